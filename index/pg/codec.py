"""Arrays to and from the bytea columns of the PostgreSQL archive.

Vectors are little-endian float32 (chunks, sentences, vocabulary words) and token vectors
float16, as in the folder store; spans int32. `np.frombuffer` reads them without a copy.
"""

from __future__ import annotations

import numpy as np


def pack(array: np.ndarray | None, dtype: str) -> bytes | None:
    """An array's bytes in `dtype` (None stays None)."""
    if array is None:
        return None
    return np.ascontiguousarray(np.asarray(array), dtype=np.dtype(dtype)).tobytes()


def unpack(data: bytes | memoryview | None, dtype: str, width: int) -> np.ndarray | None:
    """The rows of `width` values that `pack` wrote (None stays None)."""
    if data is None:
        return None
    flat = np.frombuffer(bytes(data), dtype=np.dtype(dtype))
    return flat.reshape(-1, width) if width else flat.reshape(0, 0)


def stack(rows: list[bytes | memoryview | None], dtype: str, width: int) -> np.ndarray | None:
    """One (n, width) array from n packed rows; None when any row has no vector."""
    if any(r is None for r in rows):
        return None
    if not rows:
        return np.zeros((0, width), dtype=np.dtype(dtype))
    joined = b"".join(bytes(r) for r in rows)  # type: ignore[arg-type]
    return np.frombuffer(joined, dtype=np.dtype(dtype)).reshape(-1, width).copy()
