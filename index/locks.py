"""A lock across processes: an exclusive flock on a file, held for a `with` block.

Builds of one index folder, commits to a folder archive and the one-time assembly of a model
folder each hold one, so that two processes never write the same files at once.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock_file` (created if missing) across processes."""
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
