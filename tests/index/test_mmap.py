"""The index loads memory-mapped, so that the service's worker processes share one copy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index.store import load_index

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps"),
]

SHARED = ("chunks.faiss", "chunk_vectors.npy", "sentence_vectors.npy", "vocabulary_vectors.npy")


def mapped(root: Path) -> set[str]:
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {name for name in SHARED if any(line.endswith(str(root / name)) for line in lines)}


def test_vectors_and_the_faiss_index_are_mapped_not_copied(index_dir: Path):
    index = load_index(index_dir)
    assert mapped(index.root) == set(SHARED)


def test_mapped_search_equals_search_in_memory(index_dir: Path):
    shared, private = load_index(index_dir), load_index(index_dir, mmap=False)
    queries = np.asarray(private.chunk_vectors[:5])
    for got, want in zip(
        shared.faiss_index.search(queries, 4), private.faiss_index.search(queries, 4), strict=True
    ):
        assert np.array_equal(got, want)
