"""Retrievers: BM25, dense (FAISS) and their reciprocal rank fusion, behind one signature."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
from rank_bm25 import BM25Okapi

from index.chunks import Chunk
from index.store import Index


class Mode(StrEnum):
    """How passages are retrieved; every answer reports the mode it used."""

    HYBRID = "hybrid"
    BM25 = "bm25"
    DENSE = "dense"


@dataclass(frozen=True, slots=True)
class Query:
    """A question prepared once for every retriever: its BM25 tokens and (if any) its vector."""

    text: str
    tokens: list[str]
    vector: np.ndarray | None
    doc_id: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its fused score and rank (0 = best)."""

    chunk: Chunk
    score: float
    rank: int


class Retriever(Protocol):
    """Anything that returns the best `k` passages for a query, best first."""

    def retrieve(self, query: Query, k: int) -> list[Passage]:
        """The best `k` passages, best first."""
        ...


def _doc_rows(index: Index) -> dict[str, range]:
    """Chunks of one document are contiguous, so a document filter is a row range."""
    rows: dict[str, range] = {}
    for doc in index.documents:
        ids = [c.id for c in index.chunks if c.doc_id == doc.id]
        rows[doc.id] = range(ids[0], ids[-1] + 1) if ids else range(0)
    return rows


def _top(scores: np.ndarray, rows: range, chunks: list[Chunk], k: int) -> list[Passage]:
    if len(rows) == 0:
        return []
    sub = scores[rows.start : rows.stop]
    k = min(k, len(sub))
    best = np.argpartition(-sub, k - 1)[:k]
    best = best[np.lexsort((best, -sub[best]))]
    return [Passage(chunks[rows.start + int(i)], float(sub[i]), r) for r, i in enumerate(best)]


class BM25Retriever:
    """Okapi BM25 (rank_bm25) over chunk tokens from the shared tokenizer."""

    def __init__(self, index: Index) -> None:
        self._chunks = index.chunks
        self._bm25 = BM25Okapi(index.chunk_tokens or [[]])
        self._rows = _doc_rows(index)
        self._all = range(len(index.chunks))

    def retrieve(self, query: Query, k: int) -> list[Passage]:
        """Top `k` chunks by BM25; chunks with no query term score 0 and rank last."""
        if not self._chunks:
            return []
        scores = np.asarray(self._bm25.get_scores(query.tokens), dtype=np.float64)
        rows = self._rows.get(query.doc_id, self._all) if query.doc_id else self._all
        return _top(scores, rows, self._chunks, k)


class DenseRetriever:
    """Inner product of normalised vectors: FAISS over the whole index, exact rows per document."""

    def __init__(self, index: Index) -> None:
        if not index.has_vectors:
            raise ValueError("this index has no vectors; build it with the embedding model")
        self._index = index
        self._rows = _doc_rows(index)

    def retrieve(self, query: Query, k: int) -> list[Passage]:
        """Top `k` chunks by cosine similarity to the question."""
        if query.vector is None:
            raise ValueError("dense retrieval needs the question's vector")
        chunks = self._index.chunks
        if query.doc_id:
            rows = self._rows.get(query.doc_id, range(0))
            assert self._index.chunk_vectors is not None
            scores = np.zeros(len(chunks), dtype=np.float32)
            scores[rows.start : rows.stop] = (
                self._index.chunk_vectors[rows.start : rows.stop] @ query.vector
            )
            return _top(scores, rows, chunks, k)
        k = min(k, len(chunks))
        if k == 0:
            return []
        sims, ids = self._index.faiss_index.search(query.vector.reshape(1, -1), k)
        return [
            Passage(chunks[int(i)], float(s), r)
            for r, (s, i) in enumerate(zip(sims[0], ids[0], strict=True))
            if i >= 0
        ]


class HybridRetriever:
    """Reciprocal rank fusion of BM25 and dense: robust to their different score scales."""

    def __init__(
        self, bm25: Retriever, dense: Retriever, rrf_k: float = 60.0, depth: int = 20
    ) -> None:
        self._bm25 = bm25
        self._dense = dense
        self._rrf_k = rrf_k
        self._depth = depth

    def retrieve(self, query: Query, k: int) -> list[Passage]:
        """Fuse both rankings (each `depth` deep) and return the best `k`."""
        depth = max(k, self._depth)
        fused: dict[int, float] = {}
        by_id: dict[int, Chunk] = {}
        for ranking in (self._bm25.retrieve(query, depth), self._dense.retrieve(query, depth)):
            for passage in ranking:
                by_id[passage.chunk.id] = passage.chunk
                fused[passage.chunk.id] = fused.get(passage.chunk.id, 0.0) + 1.0 / (
                    self._rrf_k + passage.rank + 1
                )
        order = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        return [Passage(by_id[cid], fused[cid], r) for r, cid in enumerate(order)]
