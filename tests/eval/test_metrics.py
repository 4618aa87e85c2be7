"""Metrics on tiny hand-made cases whose answers are known."""

from __future__ import annotations

import pytest

from eval.dataset import QAItem
from eval.metrics import (
    Distribution,
    Observation,
    Rate,
    breakdown,
    holds_evidence,
    report_groups,
    score,
    summarize,
)

EV = ("pump $350 billion",)
GOOD = "Trump wants Seoul to pump $350 billion into the U.S. economy."
OTHER = "Gyeongju is a UNESCO World Heritage site."


def answerable(qid: str = "a1", evidence: tuple[str, ...] = EV, **kw) -> QAItem:
    return QAItem(qid, "How much?", "$350 billion", evidence, **kw)


def unanswerable(qid: str = "u1", **kw) -> QAItem:
    return QAItem(qid, "What did Japan pledge to Korea?", None, (), kind="unanswerable", **kw)


def said(*cited: str, retrieved=None, latency=None) -> Observation:
    return Observation(True, " ".join(cited), tuple(cited), retrieved, latency)


ABSTAINED = Observation(False, "The article doesn't say.", (), None, None, None, (OTHER,))


def test_evidence_match_ignores_whitespace_but_not_words() -> None:
    assert holds_evidence("to pump  $350\nbillion into", EV)
    assert not holds_evidence("to pump $35 billion", EV)
    assert not holds_evidence(GOOD, ())


def test_hit_at_first_citation() -> None:
    s = score(answerable(), said(GOOD, OTHER), k=6)
    assert (s.hit_at_1, s.hit_at_any, s.cited, s.cited_relevant) == (True, True, 2, 1)
    assert s.outcome == "hit@1" and s.correct


def test_hit_only_at_a_later_citation() -> None:
    s = score(answerable(), said(OTHER, GOOD), k=6)
    assert (s.hit_at_1, s.hit_at_any) == (False, True)
    assert s.outcome == "hit-later" and not s.correct


def test_answered_without_citations_is_a_miss() -> None:
    s = score(answerable(), said(), k=6)
    assert (s.hit_at_1, s.hit_at_any, s.cited) == (False, False, 0)
    assert s.outcome == "miss"
    assert summarize([s]).citation_precision.value is None  # no citation: n/a, not 0 or 100 %


def test_abstaining_on_an_answerable_question() -> None:
    s = score(answerable(), ABSTAINED, k=6)
    assert s.abstained and s.hit_at_1 is False and s.outcome == "abstained-wrongly"
    total = summarize([s])
    assert (total.false_abstention_rate.count, total.false_abstention_rate.n) == (1, 1)
    assert total.abstention_precision.value == 0.0  # the one abstention was wrong
    assert total.abstention_recall.value is None  # no unanswerable question
    assert total.answer_sentences.n == 0  # the related sentences are not an answer


def test_related_sentences_never_count_as_citations() -> None:
    s = score(answerable(evidence=("UNESCO World Heritage",)), ABSTAINED, k=6)
    assert s.hit_at_any is False and s.cited == 0


def test_abstention_precision_and_recall() -> None:
    scores = [
        score(unanswerable("u1"), ABSTAINED, k=6),  # right
        score(unanswerable("u2"), said(OTHER), k=6),  # answered: wrong
        score(unanswerable("u3"), ABSTAINED, k=6),  # right
        score(answerable("a1"), ABSTAINED, k=6),  # false abstention
        score(answerable("a2"), said(GOOD), k=6),
    ]
    total = summarize(scores)
    assert (total.abstention_precision.count, total.abstention_precision.n) == (2, 3)
    assert (total.abstention_recall.count, total.abstention_recall.n) == (2, 3)
    assert (total.false_abstention_rate.count, total.false_abstention_rate.n) == (1, 2)
    assert (total.hit_at_1.count, total.hit_at_1.n) == (1, 2)
    assert scores[1].outcome == "answered-wrongly" and scores[0].outcome == "abstained"
    # citations given to unanswerable questions are judged by abstention, not precision
    assert (total.citation_precision.count, total.citation_precision.n) == (1, 1)


def test_error_is_neither_an_answer_nor_an_abstention() -> None:
    broken = Observation(False, "", error="HTTP 500: boom")
    for s in (score(unanswerable(), broken, k=6), score(answerable(), broken, k=6)):
        assert s.error and not s.abstained and s.outcome == "error" and not s.correct
    total = summarize([score(unanswerable(), broken, k=6)])
    assert total.abstention_recall.value == 0.0 and total.errors == 1


def test_citation_precision_counts_every_citation() -> None:
    scores = [
        score(answerable("a1"), said(GOOD, OTHER, OTHER), k=6),
        score(answerable("a2"), said(GOOD), k=6),
    ]
    precision = summarize(scores).citation_precision
    assert (precision.count, precision.n) == (2, 4)
    assert precision.value == pytest.approx(0.5)


def test_mrr_and_recall_at_k() -> None:
    two = answerable(evidence=("pump $350 billion", "UNESCO World Heritage"))
    s = score(two, said(GOOD, retrieved=("nothing here", OTHER, f"x {GOOD}")), k=2)
    assert s.reciprocal_rank == pytest.approx(1 / 2)
    assert s.recall == pytest.approx(1 / 2)  # only the UNESCO evidence is in the top 2
    assert score(two, said(GOOD, retrieved=(OTHER, GOOD)), k=6).recall == 1.0
    missed = score(two, said(GOOD, retrieved=("a", "b")), k=6)
    assert (missed.reciprocal_rank, missed.recall) == (0.0, 0.0)
    total = summarize([s, missed])
    assert total.mrr.value == pytest.approx(0.25) and total.mrr.n == 2


def test_unseen_retrieval_is_not_applicable() -> None:
    s = score(answerable(), said(GOOD, retrieved=None), k=6)
    assert s.reciprocal_rank is None and s.recall is None
    total = summarize([s])
    assert total.mrr.value is None and total.mrr.n == 0 and str(total.mrr) == "n/a (n=0)"


def test_empty_sets_are_not_applicable_not_a_crash() -> None:
    total = summarize([])
    assert total.questions == 0
    for rate in (total.hit_at_1, total.abstention_precision, total.false_abstention_rate):
        assert rate.value is None and str(rate) == "n/a (n=0)"
    assert total.latency_ms == Distribution(None, None, None, 0)
    assert total.to_dict()["hit_at_1"] == {"value": None, "count": 0, "n": 0}
    only_unanswerable = summarize([score(unanswerable(), ABSTAINED, k=6)])
    assert only_unanswerable.hit_at_1.value is None


def test_lengths_and_latency() -> None:
    scores = [
        score(answerable(f"a{i}"), said(GOOD, latency=float(ms)), k=6)
        for i, ms in enumerate([10, 20, 30, 40, 1000])
    ]
    scores.append(score(answerable("a9"), said(GOOD, OTHER, latency=5.0), k=6))
    total = summarize(scores)
    assert (
        total.latency_ms.median == 25.0 and total.latency_ms.p95 == 1000 and total.latency_ms.n == 6
    )
    assert total.answer_sentences.median == 1 and total.answer_sentences.mean == pytest.approx(
        7 / 6
    )
    assert total.citation_chars.median == len(GOOD)
    assert total.answer_chars.n == 6


def test_rate_text_carries_its_count() -> None:
    assert str(Rate(39, 47)) == "83.0% (39/47)"
    assert Rate(1, 3).to_dict() == {"value": 0.3333, "count": 1, "n": 3}


def test_groups_by_split_kind_and_followups() -> None:
    scores = [
        score(answerable("a1", split="dev", kind="fact"), said(GOOD), k=6),
        score(answerable("a2", split="test", kind="fact"), said(OTHER), k=6),
        score(answerable("f1", split="test", kind="followup", history=("Who?",)), said(GOOD), k=6),
        score(unanswerable("u1", split="test"), ABSTAINED, k=6),
    ]
    groups = report_groups(scores)
    assert groups["all"].questions == 4
    assert groups["splits"]["test"].hit_at_1.value == pytest.approx(0.5)
    assert groups["splits"]["dev"].hit_at_1.value == 1.0
    assert groups["kinds"]["unanswerable"].abstention_recall.value == 1.0
    assert groups["followups"].questions == 1 and groups["followups"].hit_at_1.value == 1.0
    assert groups["kinds_by_split"]["test"]["fact"].hit_at_1.value == 0.0
    assert list(breakdown(scores, lambda s: None)) == []
