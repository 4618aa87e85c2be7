"""Per-question latency in this process, split into its stages, for the benchmark.

The stages are timed from the outside: the embedder is wrapped, and the retrievers'
`retrieve` is wrapped while a pass runs, so the pipeline is measured as it is.
Composition is the rest of `Pipeline.ask`: follow-up resolution, the fusion, sentence
scoring, coverage and the template.

    pipeline = Pipeline(index, TimedEmbedder(embedder), cache_size=0)
    stats = timed_pass(pipeline, items, Mode.HYBRID)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from eval.dataset import QAItem
from eval.load import percentiles
from index.embeddings import Embedder, TokenVectors
from rag.errors import FootnoteError
from rag.pipeline import Pipeline
from rag.retrieve import BM25Retriever, DenseRetriever, Mode

STAGES = ("encode", "dense", "bm25")


class Clock:
    """Milliseconds spent in each stage since the last reset."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(STAGES, 0.0)

    def reset(self) -> None:
        self.spent = dict.fromkeys(STAGES, 0.0)

    def add(self, stage: str, began: float) -> None:
        self.spent[stage] += (time.perf_counter() - began) * 1000


CLOCK = Clock()


class TimedEmbedder:
    """An embedder whose encodings are counted as the `encode` stage."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        began = time.perf_counter()
        try:
            return self.inner.encode(texts)
        finally:
            CLOCK.add("encode", began)

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        began = time.perf_counter()
        try:
            return self.inner.encode_with_tokens(texts)
        finally:
            CLOCK.add("encode", began)


@contextlib.contextmanager
def timed_retrievers() -> Iterator[None]:
    """While open, BM25 and dense retrieval count as their stages."""
    originals = {BM25Retriever: BM25Retriever.retrieve, DenseRetriever: DenseRetriever.retrieve}

    def wrap(cls: type, stage: str):
        original = originals[cls]

        def retrieve(self, query, k):
            began = time.perf_counter()
            try:
                return original(self, query, k)
            finally:
                CLOCK.add(stage, began)

        return retrieve

    BM25Retriever.retrieve = wrap(BM25Retriever, "bm25")  # type: ignore[method-assign]
    DenseRetriever.retrieve = wrap(DenseRetriever, "dense")  # type: ignore[method-assign]
    try:
        yield
    finally:
        BM25Retriever.retrieve = originals[BM25Retriever]  # type: ignore[method-assign]
        DenseRetriever.retrieve = originals[DenseRetriever]  # type: ignore[method-assign]


def timed_pass(
    pipeline: Pipeline,
    items: list[QAItem],
    mode: Mode,
    per_article: bool = True,
    warmup: int = 5,
) -> dict[str, Any]:
    """Ask every question once (earlier turns replayed untimed); percentiles per stage in ms.

    `per_article` asks each question about its own article, as the widget does; else the
    whole index.
    """
    totals: list[float] = []
    stages: dict[str, list[float]] = {s: [] for s in (*STAGES, "compose")}
    errors = 0
    with timed_retrievers():
        for item in items[:warmup]:
            pipeline.ask(item.question, None, item.doc_id if per_article else None, mode)
        for item in items:
            target = item.doc_id if per_article else None
            try:
                turns = pipeline.replay(list(item.history), target, mode)
                CLOCK.reset()
                began = time.perf_counter()
                pipeline.ask(item.question, turns, target, mode)
                total = (time.perf_counter() - began) * 1000
            except FootnoteError:
                errors += 1
                continue
            totals.append(total)
            spent = dict(CLOCK.spent)
            for stage in STAGES:
                stages[stage].append(spent[stage])
            stages["compose"].append(max(0.0, total - sum(spent.values())))
    return {
        "mode": mode.value,
        "questions": len(totals),
        "errors": errors,
        "total_ms": percentiles(totals),
        "stages_ms": {stage: percentiles(values) for stage, values in stages.items()},
        "mean_ms": round(float(np.mean(totals)), 3) if totals else None,
    }
