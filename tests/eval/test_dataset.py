"""Loading question files: any file in the format works; a bad line names its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DatasetError, default_files, load_questions, select_split

GOOD = [
    {
        "id": "q1",
        "question": "How much?",
        "answer": "$350 billion",
        "evidence": ["pump $350 billion"],
    },
    {"id": "u1", "question": "Who won?", "answer": None, "evidence": [], "split": "test"},
    {
        "id": "f1",
        "question": "When did he start?",
        "answer": "June",
        "evidence": ["assumed office in June"],
        "history": ["Who leads Korea?"],
        "doc_id": "seoul",
        "split": "dev",
        "kind": "followup",
    },
]


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_a_minimal_file_loads_with_defaults(tmp_path: Path) -> None:
    items = load_questions([write(tmp_path / "set.jsonl", GOOD)])
    q, u, f = items
    assert (q.kind, q.split, q.doc_id, q.answerable) == ("answerable", None, None, True)
    assert (u.kind, u.answerable, u.evidence) == ("unanswerable", False, ())
    assert f.followup and f.history == ("Who leads Korea?",) and f.doc_id == "seoul"
    assert q.source.endswith("set.jsonl:1")
    assert [i.id for i in select_split(items, "test")] == ["u1"]
    assert len(select_split(items, "all")) == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"id": "x", "question": "Q?", "answer": "A"}, "missing field(s) evidence"),
        ({"id": "x", "question": "Q?", "answer": "A", "evidence": []}, "at least one evidence"),
        ({"id": "x", "question": "Q?", "answer": None, "evidence": ["e"]}, '"evidence": []'),
        ({"id": "x", "question": " ", "answer": None, "evidence": []}, '"question" must be'),
        (
            {"id": "x", "question": "Q?", "answer": "A", "evidence": [3]},
            "list of non-empty strings",
        ),
        (
            {"id": "x", "question": "Q?", "answer": None, "evidence": [], "split": "train"},
            "dev, test",
        ),
        (
            {"id": "x", "question": "Q?", "answer": None, "evidence": [], "history": "Hi"},
            "earlier questions",
        ),
        (
            {"id": "x", "question": "Q?", "answer": None, "evidence": [], "extra": 1},
            "unknown field(s) extra",
        ),
    ],
)
def test_a_bad_line_names_file_and_line(tmp_path: Path, line: object, message: str) -> None:
    path = write(tmp_path / "bad.jsonl", [GOOD[0], line])
    with pytest.raises(DatasetError) as caught:
        load_questions([path])
    assert f"{path}:2: " in str(caught.value)
    assert message in str(caught.value)


def test_ids_must_be_unique_across_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", GOOD[:1])
    b = write(tmp_path / "b.jsonl", GOOD[:1])
    with pytest.raises(DatasetError, match=r"b\.jsonl:1: id 'q1' is already used at .*a\.jsonl:1"):
        load_questions([a, b])


def test_missing_empty_and_unknown_split(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such question file"):
        load_questions([tmp_path / "nope.jsonl"])
    with pytest.raises(DatasetError, match="holds no questions"):
        load_questions([write(tmp_path / "empty.jsonl", [])])
    with pytest.raises(DatasetError, match="use dev, test or all"):
        select_split([], "train")


def test_the_shipped_set_loads() -> None:
    items = load_questions(default_files())
    assert len(items) > 100
    assert select_split(items, "test") and select_split(items, "dev")
    assert {i.kind for i in items} >= {"fact", "unanswerable", "followup"}
