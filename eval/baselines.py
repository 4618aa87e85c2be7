"""Naive baselines: cite the single top sentence by BM25 or by cosine, never abstain.

They read the same index as the answerer (same sentences, same tokenizer, same vectors),
so the answerer's gain over them is measured on equal terms. A baseline sees only the
question, not the conversation before it.

    baseline = TopSentence(index, embedder, "cosine")
    baseline.observe(item).cited   # (the sentence most similar to the question,)
"""

from __future__ import annotations

import time

import numpy as np
from rank_bm25 import BM25Okapi

from eval.dataset import QAItem
from eval.metrics import Observation
from index.embeddings import Embedder
from index.store import Index
from index.tokens import tokenize

METHODS = ("bm25", "cosine")


class TopSentence:
    """First citation = the best sentence of the question's article by one method."""

    kind = "baseline"
    target = "in-process"

    def __init__(self, index: Index, embedder: Embedder | None, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown baseline {method!r}; use one of {', '.join(METHODS)}")
        if method == "cosine" and (embedder is None or index.sentence_vectors is None):
            raise ValueError("the cosine baseline needs the embedding model and sentence vectors")
        self.index = index
        self.embedder = embedder
        self.method = method
        self.name = f"{method}-top1"
        self._rows: dict[str | None, np.ndarray] = {}
        self._bm25: dict[str | None, BM25Okapi] = {}

    def _doc_rows(self, doc_id: str | None) -> np.ndarray:
        if doc_id not in self._rows:
            self._rows[doc_id] = np.array(
                [
                    i
                    for i, s in enumerate(self.index.sentences)
                    if doc_id is None or s.doc_id == doc_id
                ],
                dtype=np.int64,
            )
        return self._rows[doc_id]

    def _scores(self, question: str, rows: np.ndarray, doc_id: str | None) -> np.ndarray:
        if self.method == "bm25":
            if doc_id not in self._bm25:
                self._bm25[doc_id] = BM25Okapi([self.index.sentence_tokens[r] for r in rows])
            return np.asarray(self._bm25[doc_id].get_scores(tokenize(question)))
        assert self.embedder is not None and self.index.sentence_vectors is not None
        vector = self.embedder.encode([question])[0]
        return np.asarray(self.index.sentence_vectors[rows]) @ vector

    def observe(self, item: QAItem) -> Observation:
        """Cite the top sentence (ties: the earlier one)."""
        start = time.perf_counter()
        rows = self._doc_rows(item.doc_id)
        if len(rows) == 0:
            return Observation(False, "", error=f"no sentences for article {item.doc_id!r}")
        scores = self._scores(item.question, rows, item.doc_id)
        best = int(np.argmax(scores))  # argmax returns the first of equal maxima
        text = self.index.sentences[int(rows[best])].text
        latency = (time.perf_counter() - start) * 1000
        return Observation(True, f"{text} [1]", (text,), None, latency)
