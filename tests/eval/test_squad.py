"""SQuAD 2.0: loading, deterministic balanced sampling, and a tiny article end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DatasetError, QAItem
from eval.squad import SquadArticle, article_text, load_squad, run_squad, sample
from rag.retrieve import Mode

TINY = {
    "version": "v2.0",
    "data": [
        {
            "title": "Golden_Gate_Bridge",
            "paragraphs": [
                {
                    "context": "The Golden Gate Bridge is a suspension bridge spanning the Golden Gate strait. "
                    "It opened to traffic in 1937 after four years of construction.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "In what year did the Golden Gate Bridge open to traffic?",
                            "answers": [
                                {"text": "1937", "answer_start": 107},
                                {"text": "1937", "answer_start": 107},
                            ],
                            "is_impossible": False,
                        },
                        {
                            "id": "q2",
                            "question": "In what year did the Golden Gate Bridge close to traffic?",
                            "answers": [],
                            "plausible_answers": [{"text": "1937", "answer_start": 107}],
                            "is_impossible": True,
                        },
                    ],
                },
                {
                    "context": "The bridge is painted in a colour called International Orange. "
                    "The colour was chosen because it is visible in fog.",
                    "qas": [
                        {
                            "id": "q3",
                            "question": "What colour is the Golden Gate Bridge painted?",
                            "answers": [{"text": "International Orange", "answer_start": 42}],
                            "is_impossible": False,
                        }
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(TINY))
    return path


def test_loader_makes_one_document_per_article(tiny_file: Path) -> None:
    (article,) = load_squad(tiny_file)
    assert article.doc_id == "golden-gate-bridge" and article.title == "Golden Gate Bridge"
    assert article.text.startswith("Golden Gate Bridge\n\nThe Golden Gate Bridge is")
    assert "\n\nThe bridge is painted" in article.text
    q1, q2, q3 = article.questions
    assert q1.evidence == ("1937",) and q1.answerable and q1.doc_id == "golden-gate-bridge"
    assert q2.evidence == () and not q2.answerable and q2.kind == "unanswerable"
    assert q3.answer == "International Orange"


def test_loader_rejects_other_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"data": [{"paragraphs": []}]}))
    with pytest.raises(DatasetError, match="needs a title"):
        load_squad(path)
    path.write_text("[]")
    with pytest.raises(DatasetError, match="not SQuAD format"):
        load_squad(path)


def _article(name: str, answerable: int, unanswerable: int) -> SquadArticle:
    questions = [QAItem(f"{name}-a{i}", "Q?", "x", ("x",), name) for i in range(answerable)]
    questions += [QAItem(f"{name}-u{i}", "Q?", None, (), name) for i in range(unanswerable)]
    return SquadArticle(name, name, article_text(name, ["x."]), tuple(questions))


def test_sample_is_deterministic_and_balanced() -> None:
    articles = [_article(f"art{i}", 30, 30) for i in range(5)]
    first = sample(articles, n_articles=3, n_questions=10)
    assert first == sample(articles, n_articles=3, n_questions=10)
    assert len(first) == 3
    for article in first:
        assert sum(q.answerable for q in article.questions) == 5
        assert sum(not q.answerable for q in article.questions) == 5
    short = sample([_article("few", 2, 30)], n_articles=16, n_questions=10)[0]
    assert sum(q.answerable for q in short.questions) == 2 and len(short.questions) == 10
    assert len(sample(articles, 16, 500)[0].questions) == 60  # never more than there are


@pytest.mark.model
def test_tiny_squad_end_to_end(tiny_file: Path, embedder) -> None:
    articles = sample(load_squad(tiny_file), n_articles=16, n_questions=60)
    runs, facts = run_squad(articles, embedder, [Mode.HYBRID])
    assert [r.name for r in runs] == ["hybrid", "bm25-top1", "cosine-top1"]
    assert facts["questions"] == 3 and facts["unanswerable"] == 1
    text = articles[0].text
    for run in runs:
        assert [r.item.id for r in run.records] == ["q1", "q2", "q3"]
        for record in run.records:
            assert all(c in text for c in record.observation.cited)  # cited verbatim
    bm25 = {r.item.id: r.score for r in runs[1].records}
    assert bm25["q1"].hit_at_1
    assert bm25["q2"].outcome == "answered-wrongly"  # a baseline never abstains
    hybrid = runs[0].records
    assert hybrid[0].observation.retrieved  # the passages read are visible in-process
    assert hybrid[0].score.reciprocal_rank is not None
