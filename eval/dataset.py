"""Question sets: JSONL files of question-answer pairs, loaded and checked line by line.

One object a line (design.md):

    {"id": "a001", "question": "...", "answer": "$350 billion", "evidence": ["pump $350 billion"],
     "doc_id": "trump-asia-tour-south-korea", "kind": "fact", "split": "test"}
    {"id": "u001", "question": "...", "answer": null, "evidence": []}
    {"id": "f001", "question": "When did he take office?", "history": ["Who leads Korea?"], ...}

`id`, `question`, `answer` and `evidence` are required; `doc_id`, `kind`, `split` and
`history` are optional, so a newsroom can bring its own set for its own articles. A bad
line raises `DatasetError` naming the file and line and saying how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPLITS = ("dev", "test")
_FIELDS = {"id", "question", "answer", "evidence", "doc_id", "kind", "split", "history"}


class DatasetError(ValueError):
    """A question file that cannot be used as it is; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class QAItem:
    """One evaluation question.

    `answer` is None when the article does not answer it (the right response is to
    abstain); `evidence` are verbatim substrings of the article, one of which a right
    citation contains.
    """

    id: str
    question: str
    answer: str | None
    evidence: tuple[str, ...]
    doc_id: str | None = None
    kind: str = ""
    split: str | None = None
    history: tuple[str, ...] = ()
    source: str = ""

    @property
    def answerable(self) -> bool:
        """Whether the article answers the question."""
        return self.answer is not None

    @property
    def followup(self) -> bool:
        """Whether the question only makes sense after the earlier turns in `history`."""
        return bool(self.history)


def _fail(where: str, problem: str) -> DatasetError:
    return DatasetError(f"{where}: {problem}")


def _text(obj: dict[str, Any], name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f'"{name}" must be a non-empty string, got {value!r}')
    return value


def parse_item(obj: object, where: str) -> QAItem:
    """Check one decoded line and turn it into a `QAItem`.

    >>> parse_item({"id": "u1", "question": "Who?", "answer": None, "evidence": []}, "x:1").kind
    'unanswerable'
    """
    if not isinstance(obj, dict):
        raise _fail(where, f"each line must be a JSON object, got {type(obj).__name__}")
    missing = [n for n in ("id", "question", "answer", "evidence") if n not in obj]
    if missing:
        raise _fail(
            where, f"missing field(s) {', '.join(missing)}; see docs/eval.md for the format"
        )
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise _fail(
            where, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}"
        )
    item_id = _text(obj, "id", where)
    question = _text(obj, "question", where)
    answer = obj["answer"]
    if answer is not None and (not isinstance(answer, str) or not answer.strip()):
        raise _fail(
            where,
            f'"answer" must be a non-empty string, or null when the article does not answer; got {answer!r}',
        )
    evidence = obj["evidence"]
    if not isinstance(evidence, list) or not all(
        isinstance(e, str) and e.strip() for e in evidence
    ):
        raise _fail(where, '"evidence" must be a list of non-empty strings copied from the article')
    if answer is None and evidence:
        raise _fail(where, 'an unanswerable question ("answer": null) must have "evidence": []')
    if answer is not None and not evidence:
        raise _fail(
            where,
            "an answerable question needs at least one evidence string copied verbatim from the article",
        )
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history):
        raise _fail(where, '"history" must be a list of the earlier questions, oldest first')
    doc_id = obj.get("doc_id")
    if doc_id is not None and (not isinstance(doc_id, str) or not doc_id.strip()):
        raise _fail(where, f'"doc_id" must be an article id string, got {doc_id!r}')
    split = obj.get("split")
    if split is not None and split not in SPLITS:
        raise _fail(where, f'"split" must be one of {", ".join(SPLITS)}, got {split!r}')
    kind = obj.get("kind")
    if kind is None:
        kind = "unanswerable" if answer is None else "followup" if history else "answerable"
    elif not isinstance(kind, str) or not kind.strip():
        raise _fail(where, f'"kind" must be a short label such as "fact", got {kind!r}')
    return QAItem(
        id=item_id,
        question=question,
        answer=answer,
        evidence=tuple(evidence),
        doc_id=doc_id,
        kind=kind,
        split=split,
        history=tuple(history),
        source=where,
    )


def parse_lines(lines: Iterable[str], name: str) -> list[QAItem]:
    """Parse JSONL text; `name` is how errors refer to the file."""
    items = []
    for number, line in enumerate(lines, 1):
        where = f"{name}:{number}"
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(where, f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
        items.append(parse_item(obj, where))
    return items


def load_file(path: Path) -> list[QAItem]:
    """Read one JSONL question file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such question file") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text; save it as UTF-8") from exc
    items = parse_lines(text.splitlines(), str(path))
    if not items:
        raise DatasetError(f"{path}: holds no questions")
    return items


def load_questions(paths: Iterable[Path]) -> list[QAItem]:
    """Load every file; question ids must be unique across them.

    >>> load_questions([])
    []
    """
    items: list[QAItem] = []
    seen: dict[str, str] = {}
    for path in paths:
        for item in load_file(Path(path)):
            if item.id in seen:
                raise DatasetError(
                    f"{item.source}: id {item.id!r} is already used at {seen[item.id]}; ids must be unique"
                )
            seen[item.id] = item.source
            items.append(item)
    return items


def select_split(items: list[QAItem], split: str) -> list[QAItem]:
    """The questions of one split (`dev`, `test`), or all of them (`all`)."""
    if split == "all":
        return list(items)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; use dev, test or all")
    return [item for item in items if item.split == split]


def default_files() -> list[Path]:
    """The question sets shipped with Footnote: eval/qa/*.jsonl."""
    return sorted((Path(__file__).parent / "qa").glob("*.jsonl"))
