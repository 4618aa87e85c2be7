"""Checks on the hand-written evaluation questions for the Trump Asia tour article.

Pure standard library plus pytest: it must run before the project is installed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

DOC_ID = "trump-asia-tour-south-korea"
ROOT = Path(__file__).parents[2]
QA_PATH = ROOT / "eval" / "qa" / f"{DOC_ID}.jsonl"
ARTICLE_PATH = ROOT / "seeds" / f"{DOC_ID}.txt"

ANSWERABLE_KINDS = {"fact", "paraphrase", "multi", "quote"}
KINDS = ANSWERABLE_KINDS | {"unanswerable", "followup"}
PREFIX = {"a": ANSWERABLE_KINDS, "u": {"unanswerable"}, "f": {"followup"}}
REQUIRED = {
    "id": str,
    "question": str,
    "answer": (str, type(None)),
    "evidence": list,
    "doc_id": str,
    "kind": str,
    "split": str,
}
MINIMUMS = {"answerable": 90, "paraphrase": 25, "multi": 10, "quote": 15, "unanswerable": 35}
MIN_CONVERSATIONS = 12
MIN_EVIDENCE_CHARS = 8
# A sentence end inside an evidence string: terminal punctuation (optionally closing quotes),
# whitespace, then something that can open a sentence. Conservative on purpose: evidence that
# passes can never straddle two sentences, whichever sensible splitter is used.
_SENTENCE_BREAK = re.compile(r"[.!?…][\"”’)\]]*\s+[\"“‘(\[]?[A-Z0-9$]")


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE_PATH.exists():
        pytest.fail(f"article missing: {ARTICLE_PATH} (copy it from the shared seeds folder)")
    return ARTICLE_PATH.read_text(encoding="utf-8").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    data = QA_PATH.read_bytes()
    text = data.decode("utf-8")  # raises on invalid UTF-8
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert not text.endswith("\n\n"), "no trailing blank lines"
    return text.splitlines()


@pytest.fixture(scope="module")
def rows(raw_lines: list[str]) -> list[dict]:
    parsed = []
    for number, line in enumerate(raw_lines, 1):
        assert line.strip(), f"line {number} is blank"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"line {number} is not JSON: {exc}")
        assert isinstance(obj, dict), f"line {number} is not a JSON object"
        parsed.append(obj)
    return parsed


def test_every_line_parses(rows: list[dict]) -> None:
    assert rows


def test_ids_unique(rows: list[dict]) -> None:
    dupes = [i for i, n in Counter(r["id"] for r in rows).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_questions_unique(rows: list[dict]) -> None:
    dupes = [q for q, n in Counter(r["question"] for r in rows).items() if n > 1]
    assert not dupes, f"duplicate questions: {dupes}"


def test_fields_and_types(rows: list[dict]) -> None:
    for r in rows:
        for name, typ in REQUIRED.items():
            assert name in r, f"{r.get('id')}: missing {name}"
            assert isinstance(r[name], typ), f"{r['id']}: {name} has type {type(r[name]).__name__}"
        assert set(r) <= set(REQUIRED) | {"history"}, (
            f"{r['id']}: unknown fields {set(r) - set(REQUIRED)}"
        )
        assert r["question"].strip(), f"{r['id']}: empty question"
        assert r["doc_id"] == DOC_ID, r["id"]
        assert r["kind"] in KINDS, f"{r['id']}: kind {r['kind']!r}"
        assert r["split"] in {"dev", "test"}, f"{r['id']}: split {r['split']!r}"
        assert all(isinstance(e, str) for e in r["evidence"]), r["id"]
        assert re.fullmatch(r"[auf]\d{3,}", r["id"]), f"bad id {r['id']!r}"
        assert r["kind"] in PREFIX[r["id"][0]], f"{r['id']}: prefix does not match kind {r['kind']}"
        if r["kind"] == "followup":
            hist = r.get("history")
            assert isinstance(hist, list) and hist, f"{r['id']}: followup needs a history"
            assert all(isinstance(h, str) and h.strip() for h in hist), r["id"]
        else:
            assert not r.get("history"), f"{r['id']}: only followup turns carry a history"


def test_answerable_and_unanswerable_shape(rows: list[dict]) -> None:
    for r in rows:
        if r["kind"] == "unanswerable":
            assert r["answer"] is None, f"{r['id']}: unanswerable must have answer null"
            assert r["evidence"] == [], f"{r['id']}: unanswerable must have no evidence"
        else:
            assert isinstance(r["answer"], str) and r["answer"].strip(), (
                f"{r['id']}: needs an answer"
            )
            assert r["evidence"], f"{r['id']}: answerable needs evidence"
        if r["kind"] == "multi":
            assert len(r["evidence"]) >= 2, f"{r['id']}: multi needs evidence from two sentences"


def test_evidence_verbatim_unique_and_within_one_sentence(rows: list[dict], article: str) -> None:
    headline, _, body = article.partition("\n")
    problems = []
    for r in rows:
        for ev in r["evidence"]:
            count = article.count(ev)
            if count == 0:
                problems.append(f"{r['id']}: not in article: {ev!r}")
            elif count > 1:
                problems.append(f"{r['id']}: occurs {count} times: {ev!r}")
            if len(ev) < MIN_EVIDENCE_CHARS:
                problems.append(f"{r['id']}: shorter than {MIN_EVIDENCE_CHARS} chars: {ev!r}")
            if ev != ev.strip():
                problems.append(f"{r['id']}: leading/trailing whitespace: {ev!r}")
            if "\n" in ev or _SENTENCE_BREAK.search(ev):
                problems.append(f"{r['id']}: spans a sentence boundary: {ev!r}")
            if ev in headline and ev not in body:
                problems.append(f"{r['id']}: headline is not a citable sentence: {ev!r}")
        if len(set(r["evidence"])) != len(r["evidence"]):
            problems.append(f"{r['id']}: repeated evidence string")
    assert not problems, "\n".join(problems)


def test_counts_meet_minimums(rows: list[dict]) -> None:
    kinds = Counter(r["kind"] for r in rows)
    answerable = sum(kinds[k] for k in ANSWERABLE_KINDS)
    assert answerable >= MINIMUMS["answerable"], f"answerable {answerable}"
    for kind in ("paraphrase", "multi", "quote", "unanswerable"):
        assert kinds[kind] >= MINIMUMS[kind], f"{kind}: {kinds[kind]}"
    first_turns = {r["history"][0] for r in rows if r["kind"] == "followup"}
    assert len(first_turns) >= MIN_CONVERSATIONS, f"conversations: {len(first_turns)}"


def test_both_splits_hold_every_kind(rows: list[dict]) -> None:
    by_split = Counter((r["split"], r["kind"]) for r in rows)
    for kind in KINDS:
        dev, test = by_split[("dev", kind)], by_split[("test", kind)]
        assert dev and test, f"{kind}: dev={dev} test={test}"
        # roughly 50/50: neither split holds more than twice the other (allowing one extra)
        assert max(dev, test) <= 2 * min(dev, test) + 1, f"{kind}: dev={dev} test={test}"


def test_conversations(rows: list[dict]) -> None:
    by_question = {(r["split"], r["question"]): r for r in rows}
    for r in rows:
        if r["kind"] != "followup":
            continue
        hist = r["history"]
        assert 1 <= len(hist) <= 2, f"{r['id']}: conversations have 2-3 turns"
        assert r["question"] not in hist, f"{r['id']}: question repeats its own history"
        for turn in hist:
            assert (r["split"], turn) in by_question, (
                f"{r['id']}: history turn {turn!r} is not a question in split {r['split']}"
            )
        first = by_question[(r["split"], hist[0])]
        assert first["kind"] in ANSWERABLE_KINDS, (
            f"{r['id']}: first turn must be an answerable line"
        )
        for position, turn in enumerate(hist[1:], 1):
            earlier = by_question[(r["split"], turn)]
            assert earlier["kind"] == "followup", (
                f"{r['id']}: turn {position + 1} must be a followup line"
            )
            assert earlier["history"] == hist[:position], f"{r['id']}: history out of order"


def test_conversations_do_not_straddle_splits(rows: list[dict]) -> None:
    split_of: dict[str, set[str]] = {}
    for r in rows:
        if r["kind"] == "followup":
            split_of.setdefault(r["history"][0], set()).add(r["split"])
    first_split = {r["question"]: r["split"] for r in rows if r["kind"] != "followup"}
    for first, splits in split_of.items():
        splits = splits | {first_split.get(first, "?")}
        assert len(splits) == 1, f"conversation starting {first!r} spans splits {splits}"
