"""The articles a question set asks about, found by their ids under the source folders.

`footnote eval` (without --source) and `footnote train` index exactly the articles their
questions name, wherever they sit under seeds/ (the shipped sets' articles are in seeds/ and
seeds/newsroom/), so a measurement never depends on what else a service was built from.

    files = question_articles(load_questions(default_files()), [Path("seeds")])
    settings = question_index(Settings(), load_questions(default_files()))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from eval.dataset import DatasetError, QAItem
from footnote.settings import Settings
from index.documents import SOURCE_SUFFIXES, doc_id_for

EVAL_INDEX = "eval-index"  # beside the service's index: .footnote/eval-index


def _candidates(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []  # a source that is not there holds no article; the caller names what is missing
    return sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())


def locate_articles(doc_ids: Iterable[str], roots: Sequence[Path]) -> dict[str, Path]:
    """The article file of each id found in `roots` (folders searched recursively), by id;
    ids found nowhere are left out. Two files with one id are an error naming both."""
    wanted = set(doc_ids)
    found: dict[str, Path] = {}
    for root in roots:
        for path in _candidates(Path(root)):
            doc_id = doc_id_for(path)
            if doc_id not in wanted:
                continue
            if doc_id in found and found[doc_id].resolve() != path.resolve():
                raise DatasetError(
                    f"two article files have the id {doc_id!r} ({found[doc_id]} and {path}); "
                    "rename one of them, or point FOOTNOTE_SOURCES (or --source) at the right one"
                )
            found.setdefault(doc_id, path)
    return dict(sorted(found.items()))


def find_articles(doc_ids: Iterable[str], roots: Sequence[Path]) -> list[Path]:
    """The article file of each id, in id order; an id found nowhere is an error naming the fix."""
    wanted = sorted(set(doc_ids))
    found = locate_articles(wanted, roots)
    missing = [d for d in wanted if d not in found]
    if missing:
        shown = ", ".join(str(r) for r in roots)
        raise DatasetError(
            f"the questions ask about article(s) {', '.join(missing)}, found nowhere under "
            f"{shown} (looked for <id>.txt or <id>.md); add the file there, or point FOOTNOTE_SOURCES "
            "(or --source) at its folder"
        )
    return list(found.values())


def question_articles(items: Iterable[QAItem], roots: Sequence[Path]) -> list[Path]:
    """The article files of every article `items` name (questions without a doc_id name none)."""
    return find_articles((i.doc_id for i in items if i.doc_id), roots)


def question_index(settings: Settings, items: Iterable[QAItem]) -> Settings:
    """What `footnote eval` indexes. Without --source or --index (nor their FOOTNOTE_
    settings): the articles the questions name, found under the sources (seeds/,
    recursively), in an index of their own beside the service's, so that measuring never
    rebuilds what `footnote serve` answers from and every split is asked of the same index.
    When some are not there: `settings` as they are (the service's index as it was built).
    """
    if {"sources", "index_dir"} & settings.model_fields_set:
        return settings
    wanted = {i.doc_id for i in items if i.doc_id}
    found = locate_articles(wanted, settings.sources)
    if not wanted or set(found) != wanted:
        return settings
    return settings.model_copy(
        update={
            "sources": list(found.values()),
            "index_dir": settings.index_dir.parent / EVAL_INDEX,
        }
    )
