"""Which articles `footnote eval` and `footnote train` index: those the questions name,
found by id under the sources (folders searched recursively)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.articles import find_articles, locate_articles, question_articles, question_index
from eval.dataset import DatasetError, default_files, load_questions, select_split
from footnote.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
NEWSROOM = ("harbor-bridge-repair", "river-festival-record", "school-lunch-program")


def test_the_shipped_questions_find_their_articles_in_seeds_and_its_subfolders() -> None:
    files = question_articles(load_questions(default_files()), [SEEDS])
    assert [p.stem for p in files] == sorted([*NEWSROOM, "trump-asia-tour-south-korea"])
    assert {p.parent.name for p in files} == {"seeds", "newsroom"}
    dev = question_articles(select_split(load_questions(default_files()), "dev"), [SEEDS])
    assert [p.stem for p in dev] == [
        "harbor-bridge-repair",
        "school-lunch-program",
        "trump-asia-tour-south-korea",
    ]


def test_an_article_found_nowhere_is_named_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "Ferry-Fares.md").write_text("Ferry fares\n\nUp.", encoding="utf-8")
    assert find_articles(["ferry-fares"], [tmp_path]) == [tmp_path / "deep/er/Ferry-Fares.md"]
    with pytest.raises(DatasetError, match=r"city-budget, found nowhere under .*FOOTNOTE_SOURCES"):
        find_articles(["ferry-fares", "city-budget"], [tmp_path, tmp_path / "not-there"])
    assert locate_articles(["city-budget"], [tmp_path / "not-there"]) == {}


def test_two_files_with_one_id_are_an_error_naming_both(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ferry.txt").write_text("Ferry\n\nText.", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"two article files have the id 'ferry' \(.*a/ferry"):
        find_articles(["ferry"], [tmp_path])


def test_eval_indexes_the_questions_articles_apart_from_the_services_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("FOOTNOTE_SOURCES", "FOOTNOTE_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    questions = load_questions(default_files())
    chosen = question_index(Settings(), questions)
    assert [p.stem for p in chosen.sources] == sorted([*NEWSROOM, "trump-asia-tour-south-korea"])
    assert chosen.index_dir == Path(".footnote/eval-index") != Settings().index_dir
    # What a person names is what is measured: their sources, or the index they point at.
    for given in (Settings(sources=[SEEDS]), Settings(index_dir=Path("elsewhere"))):
        assert question_index(given, questions) is given
    # Questions about articles that are not under seeds/: the service's index as it was built.
    elsewhere = [q for q in questions if q.doc_id == NEWSROOM[0]]
    monkeypatch.chdir(ROOT / "eval")
    default = Settings()
    assert question_index(default, elsewhere) is default
