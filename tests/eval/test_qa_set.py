"""Checks on the hand-written evaluation questions, every file in eval/qa/.

Each file holds the questions about one article of seeds/ (found by its id anywhere under
seeds/). The Trump Asia tour file is split dev/test question by question and keeps its own,
larger minimums; the newsroom files are split by article, so a whole article is held out.

Pure standard library plus pytest: it must run before the project is installed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
QA_DIR = ROOT / "eval" / "qa"
SEEDS = ROOT / "seeds"
QA_FILES = sorted(QA_DIR.glob("*.jsonl"))
# The one file split question by question (the others are split by article).
SPLIT_BY_QUESTION = "trump-asia-tour-south-korea"

ANSWERABLE_KINDS = {"fact", "paraphrase", "multi", "quote"}
KINDS = ANSWERABLE_KINDS | {"unanswerable", "followup"}
PREFIX = {"a": ANSWERABLE_KINDS, "u": {"unanswerable"}, "f": {"followup"}}
# Trump ids are a001, u001, f001; the newsroom ones carry their article's prefix: hb-a01.
_ID = re.compile(r"(?:(?P<article>[a-z]{2})-)?(?P<kind>[auf])\d{2,}")
REQUIRED = {
    "id": str,
    "question": str,
    "answer": (str, type(None)),
    "evidence": list,
    "doc_id": str,
    "kind": str,
    "split": str,
}
MINIMUMS = {"answerable": 12, "unanswerable": 6, "followup": 3}
SPLIT_BY_QUESTION_MINIMUMS = {
    "answerable": 90,
    "paraphrase": 25,
    "multi": 10,
    "quote": 15,
    "unanswerable": 35,
}
MIN_CONVERSATIONS = 12
MAX_UNANSWERABLE_FOLLOWUPS = 1
MIN_EVIDENCE_CHARS = 8
# A sentence end inside an evidence string: terminal punctuation (optionally closing quotes),
# whitespace, then something that can open a sentence. Conservative on purpose: evidence that
# passes can never straddle two sentences, whichever sensible splitter is used.
_SENTENCE_BREAK = re.compile(r"[.!?…][\"”’)\]]*\s+[\"“‘(\[]?[A-Z0-9$]")


def _article_path(doc_id: str) -> Path | None:
    """The article file whose name gives `doc_id`, anywhere under seeds/."""
    found = [p for p in SEEDS.rglob("*") if p.suffix in (".txt", ".md") and p.stem == doc_id]
    return found[0] if len(found) == 1 else None


def _read_rows(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8")  # raises on invalid UTF-8
    assert not text.startswith("\ufeff"), f"{path.name}: no byte-order mark"
    assert not text.endswith("\n\n"), f"{path.name}: no trailing blank lines"
    parsed = []
    for number, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"{path.name}:{number} is blank"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number} is not JSON: {exc}")
        assert isinstance(obj, dict), f"{path.name}:{number} is not a JSON object"
        parsed.append(obj)
    return parsed


@pytest.fixture(scope="module", params=QA_FILES, ids=lambda p: p.stem)
def qa_file(request: pytest.FixtureRequest) -> Path:
    return request.param


@pytest.fixture(scope="module")
def rows(qa_file: Path) -> list[dict]:
    return _read_rows(qa_file)


@pytest.fixture(scope="module")
def article(qa_file: Path) -> str:
    path = _article_path(qa_file.stem)
    if path is None:
        pytest.fail(f"no single article {qa_file.stem}.txt under {SEEDS} for {qa_file.name}")
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


def test_the_four_articles_have_question_sets() -> None:
    assert {p.stem for p in QA_FILES} >= {
        SPLIT_BY_QUESTION,
        "harbor-bridge-repair",
        "river-festival-record",
        "school-lunch-program",
    }


def test_every_line_parses(rows: list[dict]) -> None:
    assert rows


def test_ids_unique_across_files() -> None:
    ids = Counter(r["id"] for path in QA_FILES for r in _read_rows(path))
    dupes = [i for i, n in ids.items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_questions_unique(rows: list[dict]) -> None:
    dupes = [q for q, n in Counter(r["question"] for r in rows).items() if n > 1]
    assert not dupes, f"duplicate questions: {dupes}"


def test_fields_and_types(rows: list[dict], qa_file: Path) -> None:
    prefixes = set()
    for r in rows:
        for name, typ in REQUIRED.items():
            assert name in r, f"{r.get('id')}: missing {name}"
            assert isinstance(r[name], typ), f"{r['id']}: {name} has type {type(r[name]).__name__}"
        assert set(r) <= set(REQUIRED) | {"history"}, (
            f"{r['id']}: unknown fields {set(r) - set(REQUIRED)}"
        )
        assert r["question"].strip(), f"{r['id']}: empty question"
        assert r["doc_id"] == qa_file.stem, f"{r['id']}: a file holds one article's questions"
        assert r["kind"] in KINDS, f"{r['id']}: kind {r['kind']!r}"
        assert r["split"] in {"dev", "test"}, f"{r['id']}: split {r['split']!r}"
        assert all(isinstance(e, str) for e in r["evidence"]), r["id"]
        match = _ID.fullmatch(r["id"])
        assert match, f"bad id {r['id']!r}"
        prefixes.add(match["article"])
        assert r["kind"] in PREFIX[match["kind"]], (
            f"{r['id']}: prefix does not match kind {r['kind']}"
        )
        if r["kind"] == "followup":
            hist = r.get("history")
            assert isinstance(hist, list) and hist, f"{r['id']}: followup needs a history"
            assert all(isinstance(h, str) and h.strip() for h in hist), r["id"]
        else:
            assert not r.get("history"), f"{r['id']}: only followup turns carry a history"
    assert len(prefixes) == 1, f"one id prefix per file, got {sorted(map(str, prefixes))}"


def test_answerable_and_unanswerable_shape(rows: list[dict]) -> None:
    for r in rows:
        if r["answer"] is None:
            assert r["kind"] in ("unanswerable", "followup"), f"{r['id']}: {r['kind']} needs one"
            assert r["evidence"] == [], f"{r['id']}: unanswerable must have no evidence"
        else:
            assert r["kind"] != "unanswerable", f"{r['id']}: unanswerable must have answer null"
            assert r["answer"].strip(), f"{r['id']}: needs an answer"
            assert r["evidence"], f"{r['id']}: answerable needs evidence"
        if r["kind"] == "multi":
            assert len(r["evidence"]) >= 2, f"{r['id']}: multi needs evidence from two sentences"
    unanswered = [r["id"] for r in rows if r["kind"] == "followup" and r["answer"] is None]
    assert len(unanswered) <= MAX_UNANSWERABLE_FOLLOWUPS, f"unanswerable follow-ups: {unanswered}"


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


def test_counts_meet_minimums(rows: list[dict], qa_file: Path) -> None:
    kinds = Counter(r["kind"] for r in rows)
    counts = {
        "answerable": sum(kinds[k] for k in ANSWERABLE_KINDS),
        "unanswerable": kinds["unanswerable"],
        "followup": kinds["followup"],
    }
    for name, least in MINIMUMS.items():
        assert counts[name] >= least, f"{name}: {counts[name]} < {least}"
    if qa_file.stem == SPLIT_BY_QUESTION:
        counts.update((k, kinds[k]) for k in ("paraphrase", "multi", "quote"))
        for name, least in SPLIT_BY_QUESTION_MINIMUMS.items():
            assert counts[name] >= least, f"{name}: {counts[name]} < {least}"
        first_turns = {r["history"][0] for r in rows if r["kind"] == "followup"}
        assert len(first_turns) >= MIN_CONVERSATIONS, f"conversations: {len(first_turns)}"


def test_splits(rows: list[dict], qa_file: Path) -> None:
    if qa_file.stem != SPLIT_BY_QUESTION:
        splits = {r["split"] for r in rows}
        assert len(splits) == 1, f"split by article: {qa_file.name} holds {sorted(splits)}"
        return
    by_split = Counter((r["split"], r["kind"]) for r in rows)
    for kind in KINDS:
        dev, test = by_split[("dev", kind)], by_split[("test", kind)]
        assert dev and test, f"{kind}: dev={dev} test={test}"
        # roughly 50/50: neither split holds more than twice the other (allowing one extra)
        assert max(dev, test) <= 2 * min(dev, test) + 1, f"{kind}: dev={dev} test={test}"


def test_a_whole_article_is_held_out() -> None:
    held_out = [
        p.stem
        for p in QA_FILES
        if p.stem != SPLIT_BY_QUESTION and {r["split"] for r in _read_rows(p)} == {"test"}
    ]
    assert held_out, "no article's questions are all in the test split"


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
