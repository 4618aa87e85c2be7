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


def answer_mode(wanted: Mode, dense_ready: bool) -> Mode:
    """The mode a question is answered in: the one wanted, BM25 while the model is not loaded.

    >>> answer_mode(Mode.HYBRID, dense_ready=False)
    <Mode.BM25: 'bm25'>
    """
    return wanted if dense_ready else Mode.BM25


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
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for chunk in index.chunks:  # one pass: an archive has thousands of documents
        first.setdefault(chunk.doc_id, chunk.id)
        last[chunk.doc_id] = chunk.id
    return {
        doc.id: range(first[doc.id], last[doc.id] + 1) if doc.id in first else range(0)
        for doc in index.documents
    }


def _top(scores: np.ndarray, rows: range, chunks: list[Chunk], k: int) -> list[Passage]:
    if len(rows) == 0:
        return []
    sub = scores[rows.start : rows.stop]
    k = min(k, len(sub))
    best = np.argpartition(-sub, k - 1)[:k]
    best = best[np.lexsort((best, -sub[best]))]
    return [Passage(chunks[rows.start + int(i)], float(sub[i]), r) for r, i in enumerate(best)]


class SparseBM25:
    """The scores of a fitted `BM25Okapi`, from term -> postings arrays (CSR) made once.

    rank_bm25's `get_scores` walks every chunk in Python for every query term; here a term
    adds its precomputed contributions to the chunks that hold it, in the same order and
    with the same float64 arithmetic, so the scores are identical and a question costs
    microseconds even over an archive.
    """

    def __init__(self, bm25: BM25Okapi) -> None:
        self.size = bm25.corpus_size
        self._term: dict[str, int] = {}
        term_ids: list[int] = []
        counts: list[int] = []
        for freqs in bm25.doc_freqs:
            term_ids.extend([self._term.setdefault(w, len(self._term)) for w in freqs])
            counts.extend(freqs.values())
        per_doc = np.array([len(f) for f in bm25.doc_freqs], dtype=np.int64)
        ids = np.array(term_ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")  # grouped by term, rows ascending within
        rows = np.repeat(np.arange(self.size, dtype=np.int64), per_doc)[order]
        tf = np.array(counts, dtype=np.int64)[order]
        self._indptr = np.zeros(len(self._term) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ids, minlength=len(self._term)), out=self._indptr[1:])
        self._rows = rows.astype(np.int32)
        idf = np.array([bm25.idf.get(w) or 0 for w in self._term], dtype=np.float64)
        doc_len = np.array(bm25.doc_len)[rows]
        # Exactly rank_bm25's expression, term by term.
        k1, b = bm25.k1, bm25.b
        weight = tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / bm25.avgdl))
        self._weight = idf[ids[order]] * weight

    def get_scores(self, query: list[str]) -> np.ndarray:
        """The BM25 score of every chunk for the query tokens, as `BM25Okapi.get_scores`."""
        scores = np.zeros(self.size)
        for word in query:
            t = self._term.get(word)
            if t is not None:
                start, stop = self._indptr[t], self._indptr[t + 1]
                scores[self._rows[start:stop]] += self._weight[start:stop]
        return scores


class BM25Retriever:
    """Okapi BM25 (rank_bm25's model) over chunk tokens from the shared tokenizer."""

    def __init__(self, index: Index) -> None:
        self._chunks = index.chunks
        self.model = BM25Okapi(index.chunk_tokens or [[]])
        self.postings = SparseBM25(self.model)
        self._rows = _doc_rows(index)
        self._all = range(len(index.chunks))

    def retrieve(self, query: Query, k: int) -> list[Passage]:
        """Top `k` chunks by BM25; chunks with no query term score 0 and rank last."""
        if not self._chunks:
            return []
        scores = self.postings.get_scores(query.tokens)
        rows = self._rows.get(query.doc_id, range(0)) if query.doc_id else self._all
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
