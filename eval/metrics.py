"""Metrics: pure functions from what the system did to per-question scores and totals.

Every percentage carries the count behind it (`Rate(count, n)`), and a figure over an
empty set is "n/a" (value None), never a crash and never a flattering 0 or 100 %.

>>> item = QAItem("q1", "How much?", "$350 billion", ("pump $350 billion",))
>>> s = score(item, Observation(True, "…", ("to pump $350 billion into it.",)), k=6)
>>> s.hit_at_1, summarize([s]).hit_at_1.value
(True, 1.0)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from eval.dataset import QAItem


@dataclass(frozen=True, slots=True)
class Observation:
    """What the system did with one question.

    `cited` are the cited sentences in order (not the "related" ones offered with an
    abstention); `retrieved` the passages read before answering, best first, or None when
    they cannot be seen (over HTTP, or a baseline that retrieves nothing).
    """

    answered: bool
    answer: str
    cited: tuple[str, ...] = ()
    retrieved: tuple[str, ...] | None = None
    latency_ms: float | None = None
    error: str | None = None
    related: tuple[str, ...] = ()
    confidence: float | None = None


OUTCOME_GRADES = {"hit@1": 2, "hit-later": 1, "abstained": 1}


def grade(outcome: str) -> int:
    """How good an outcome is (2 best): hit@1 > hit at a later citation > miss or error;
    for an unanswerable question, a rightful abstention (1) > an answer (0).

    >>> grade("hit@1") > grade("hit-later") > grade("abstained-wrongly")
    True
    """
    return OUTCOME_GRADES.get(outcome, 0)


@dataclass(frozen=True, slots=True)
class QuestionScore:
    """The scores of one question. Fields that do not apply are None."""

    id: str
    split: str | None
    kind: str
    answerable: bool
    followup: bool
    answered: bool
    error: bool
    hit_at_1: bool | None
    hit_at_any: bool | None
    cited: int
    cited_relevant: int | None
    reciprocal_rank: float | None
    recall: float | None
    sentences: int
    characters: int
    citation_chars: tuple[int, ...]
    latency_ms: float | None
    confidence: float | None = None
    top_right: bool = False
    doc_id: str | None = None

    @property
    def abstained(self) -> bool:
        """Whether the system said the article does not answer (an error is no abstention)."""
        return not self.answered and not self.error

    @property
    def outcome(self) -> str:
        """One word for what happened, used by reports and comparisons."""
        if self.error:
            return "error"
        if self.answerable:
            if self.hit_at_1:
                return "hit@1"
            if self.hit_at_any:
                return "hit-later"
            return "abstained-wrongly" if self.abstained else "miss"
        return "abstained" if self.abstained else "answered-wrongly"

    @property
    def grade(self) -> int:
        """An order on outcomes (higher is better) so runs can be compared question by question."""
        return grade(self.outcome)

    @property
    def correct(self) -> bool:
        """Right at the first citation, or a rightful abstention."""
        return self.outcome in ("hit@1", "abstained")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready scores."""
        return {
            "outcome": self.outcome,
            "correct": self.correct,
            "hit_at_1": self.hit_at_1,
            "hit_at_any": self.hit_at_any,
            "citations_given": self.cited,
            "citations_relevant": self.cited_relevant,
            "reciprocal_rank": self.reciprocal_rank,
            "recall": self.recall,
            "sentences": self.sentences,
            "characters": self.characters,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
        }


def _norm(text: str) -> str:
    return " ".join(text.split())


def holds_evidence(text: str, evidence: Sequence[str]) -> bool:
    """Whether `text` contains one of the evidence strings (whitespace-insensitive).

    >>> holds_evidence("Lee assumed office in June.", ["assumed office in June"])
    True
    """
    haystack = _norm(text)
    return any(_norm(e) and _norm(e) in haystack for e in evidence)


def score(item: QAItem, obs: Observation, k: int) -> QuestionScore:
    """Score one answer against the question's evidence; `k` is the recall@k cut-off."""
    relevant = [holds_evidence(c, item.evidence) for c in obs.cited]
    answered = obs.answered and obs.error is None
    hit1 = hitany = rr = recall = None
    if item.answerable:
        hit1 = answered and bool(relevant) and relevant[0]
        hitany = answered and any(relevant)
        if obs.retrieved is not None:
            first = next(
                (i for i, p in enumerate(obs.retrieved) if holds_evidence(p, item.evidence)), None
            )
            rr = 0.0 if first is None else 1.0 / (first + 1)
            top = obs.retrieved[:k]
            found = sum(1 for e in item.evidence if any(holds_evidence(p, [e]) for p in top))
            recall = found / len(item.evidence)
    return QuestionScore(
        id=item.id,
        split=item.split,
        kind=item.kind,
        answerable=item.answerable,
        followup=item.followup,
        answered=answered,
        error=obs.error is not None,
        hit_at_1=hit1,
        hit_at_any=hitany,
        cited=len(obs.cited) if answered else 0,
        cited_relevant=sum(relevant) if item.answerable and answered else None,
        reciprocal_rank=rr,
        recall=recall,
        sentences=len(obs.cited) if answered else 0,
        characters=len(obs.answer) if answered else 0,
        citation_chars=tuple(len(c) for c in obs.cited) if answered else (),
        latency_ms=obs.latency_ms,
        confidence=obs.confidence,
        # What the confidence is a probability of: the best sentence (cited, or offered as
        # related with an abstention) holds the answer.
        top_right=item.answerable
        and any(holds_evidence(t, item.evidence) for t in (obs.cited or obs.related)[:1]),
        doc_id=item.doc_id,
    )


# -- figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` out of `n`; its value is None (n/a) when `n` is 0."""

    count: int
    n: int

    @property
    def value(self) -> float | None:
        """The share, or None when there is nothing to count."""
        return self.count / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        """{"value", "count", "n"}."""
        value = self.value
        return {
            "value": None if value is None else round(value, 4),
            "count": self.count,
            "n": self.n,
        }

    def __str__(self) -> str:
        return "n/a (n=0)" if self.value is None else f"{self.value:.1%} ({self.count}/{self.n})"


@dataclass(frozen=True, slots=True)
class Mean:
    """The mean of `n` values in [0, 1] (MRR, recall@k); None when `n` is 0."""

    total: float
    n: int

    @property
    def value(self) -> float | None:
        """The mean, or None when there is nothing to average."""
        return self.total / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        """{"value", "n"}."""
        value = self.value
        return {"value": None if value is None else round(value, 4), "n": self.n}

    def __str__(self) -> str:
        return "n/a (n=0)" if self.value is None else f"{self.value:.3f} (n={self.n})"


@dataclass(frozen=True, slots=True)
class Distribution:
    """Median, mean and 95th percentile (nearest rank) of `n` values."""

    median: float | None
    mean: float | None
    p95: float | None
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        """Summarise values; all None when there are none.

        >>> Distribution.of([1, 2, 3, 4, 100]).p95
        100
        """
        if not values:
            return cls(None, None, None, 0)
        ordered = sorted(values)
        rank = max(math.ceil(0.95 * len(ordered)) - 1, 0)
        return cls(
            statistics.median(ordered), statistics.fmean(ordered), ordered[rank], len(ordered)
        )

    def to_dict(self) -> dict[str, Any]:
        """{"median", "mean", "p95", "n"}."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(float(x), 2)

        return {"median": r(self.median), "mean": r(self.mean), "p95": r(self.p95), "n": self.n}


@dataclass(frozen=True, slots=True)
class Summary:
    """The totals over a set of questions."""

    questions: int
    answerable: int
    unanswerable: int
    errors: int
    hit_at_1: Rate
    hit_at_any: Rate
    citation_precision: Rate
    mrr: Mean
    recall_at_k: Mean
    abstention_precision: Rate
    abstention_recall: Rate
    false_abstention_rate: Rate
    answer_sentences: Distribution
    answer_chars: Distribution
    citation_chars: Distribution
    latency_ms: Distribution
    calibration: Calibration

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready totals."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.to_dict() if hasattr(value, "to_dict") else value
        return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """How well the stated confidence of the first citation matches how often it is right."""

    error: float | None
    n: int
    bins: tuple[ReliabilityBin, ...]

    @classmethod
    def of(cls, scores: Sequence[QuestionScore], bins: int = 10) -> Calibration:
        """Over the questions that came with a confidence."""
        rated = [s for s in scores if s.confidence is not None and not s.error]
        error, table = calibration(
            [float(s.confidence or 0.0) for s in rated], [s.top_right for s in rated], bins
        )
        return cls(error, len(rated), tuple(table))

    def to_dict(self) -> dict[str, Any]:
        """{"value", "n", "bins"}: `value` is the expected calibration error."""
        return {
            "value": None if self.error is None else round(self.error, 4),
            "n": self.n,
            "bins": [
                {
                    "low": b.low,
                    "high": b.high,
                    "count": b.count,
                    "confidence": None if b.confidence is None else round(b.confidence, 4),
                    "accuracy": None if b.accuracy is None else round(b.accuracy, 4),
                }
                for b in self.bins
            ],
        }


def summarize(scores: Sequence[QuestionScore]) -> Summary:
    """Totals over `scores`: each figure counts only the questions it applies to.

    - hit@1, hit@any, false-abstention rate: over answerable questions;
    - citation precision: over the citations given to answerable questions;
    - MRR, recall@k: over answerable questions whose retrieved passages were seen;
    - abstention precision: over abstentions; abstention recall: over unanswerable questions.
    """
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    abstentions = [s for s in scores if s.abstained]
    seen = [s for s in answerable if s.reciprocal_rank is not None]
    answered = [s for s in scores if s.answered]
    return Summary(
        questions=len(scores),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        errors=sum(s.error for s in scores),
        hit_at_1=Rate(sum(bool(s.hit_at_1) for s in answerable), len(answerable)),
        hit_at_any=Rate(sum(bool(s.hit_at_any) for s in answerable), len(answerable)),
        citation_precision=Rate(
            sum(s.cited_relevant or 0 for s in answerable), sum(s.cited for s in answerable)
        ),
        mrr=Mean(sum(s.reciprocal_rank or 0.0 for s in seen), len(seen)),
        recall_at_k=Mean(sum(s.recall or 0.0 for s in seen), len(seen)),
        abstention_precision=Rate(sum(not s.answerable for s in abstentions), len(abstentions)),
        abstention_recall=Rate(sum(s.abstained for s in unanswerable), len(unanswerable)),
        false_abstention_rate=Rate(sum(s.abstained for s in answerable), len(answerable)),
        answer_sentences=Distribution.of([s.sentences for s in answered]),
        answer_chars=Distribution.of([s.characters for s in answered]),
        citation_chars=Distribution.of([c for s in answered for c in s.citation_chars]),
        latency_ms=Distribution.of([s.latency_ms for s in scores if s.latency_ms is not None]),
        calibration=Calibration.of(scores),
    )


def breakdown(
    scores: Sequence[QuestionScore], key: Callable[[QuestionScore], str | None]
) -> dict[str, Summary]:
    """Totals per group (for example per split or per kind), groups in first-seen order."""
    groups: dict[str, list[QuestionScore]] = {}
    for s in scores:
        name = key(s)
        if name is not None:
            groups.setdefault(name, []).append(s)
    return {name: summarize(group) for name, group in groups.items()}


def report_groups(
    scores: Sequence[QuestionScore], hard: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Every grouping a report shows: all, per split, per article, per kind, per split and
    kind, follow-ups, and the hard unanswerable questions (`hard`: ids of those that use only words the article
    has, so that nothing but its not holding the answer tells them apart), per split."""
    splits = breakdown(scores, lambda s: s.split)
    named = [s for s in scores if s.id in hard]
    return {
        "hard_unanswerable": {
            "all": summarize(named),
            **breakdown(named, lambda s: s.split),
        },
        "all": summarize(scores),
        "splits": splits,
        "articles": breakdown(scores, lambda s: s.doc_id),
        "kinds": breakdown(scores, lambda s: s.kind),
        "kinds_by_split": {
            split: breakdown([s for s in scores if s.split == split], lambda s: s.kind)
            for split in splits
        },
        "followups": summarize([s for s in scores if s.followup]),
    }


def groups_to_dict(groups: dict[str, Any]) -> dict[str, Any]:
    """`report_groups` as JSON-ready dicts."""

    def convert(value: Any) -> Any:
        if isinstance(value, Summary):
            return value.to_dict()
        return {k: convert(v) for k, v in value.items()}

    return convert(groups)


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """Questions whose stated confidence fell in [low, high): how sure, and how often right."""

    low: float
    high: float
    count: int
    confidence: float | None
    accuracy: float | None


def calibration(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> tuple[float | None, list[ReliabilityBin]]:
    """Expected calibration error and the reliability table behind it.

    A confidence of 0.8 should be right 8 times in 10: the error is the count-weighted mean
    gap between stated confidence and accuracy over equal-width bins (None when empty).

    >>> ece, table = calibration([0.9, 0.9, 0.1, 0.1], [True, True, False, False], bins=2)
    >>> round(ece, 2), [b.count for b in table]
    (0.1, [2, 2])
    """
    if len(confidences) != len(correct):
        raise ValueError("one correctness flag per confidence")
    table = []
    total_gap = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            (c, ok)
            for c, ok in zip(confidences, correct, strict=True)
            if low <= c < high or (b == bins - 1 and c == 1.0)
        ]
        if members:
            mean_conf = sum(c for c, _ in members) / len(members)
            accuracy = sum(ok for _, ok in members) / len(members)
            total_gap += len(members) * abs(mean_conf - accuracy)
            table.append(ReliabilityBin(low, high, len(members), mean_conf, accuracy))
        else:
            table.append(ReliabilityBin(low, high, 0, None, None))
    return (total_gap / len(confidences) if confidences else None), table
