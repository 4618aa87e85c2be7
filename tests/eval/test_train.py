"""`footnote train` end to end on a tiny SQuAD-format set and the news dev split: the real
model reads the articles; the file it writes is complete, loadable and reproducible."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval.articles import question_articles
from eval.dataset import default_files, load_questions, select_split
from eval.squad import load_squad
from eval.train import (
    TrainConfig,
    collect_cached,
    split_squad2,
    train_mode,
)
from index.store import BuildConfig
from rag.retrieve import Mode
from rag.scorer import read_scorer, write_scorer

pytestmark = [pytest.mark.model, pytest.mark.slow]

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

TOPICS = [
    (
        "Harbor Bridge",
        "The Harbor Bridge opened in 1931. It cost $4 million to build.",
        "Engineers repainted it in 2004. The paint was a deep red chosen by the city council.",
        [
            ("When did the Harbor Bridge open?", "1931"),
            ("How much did it cost to build?", "$4 million"),
            ("What colour was the paint?", "deep red"),
        ],
    ),
    (
        "Lake Orin",
        "Lake Orin lies north of the valley. Its deepest point is 310 metres.",
        "Trout were introduced in 1952 by the fishery board. Swimming is banned in winter.",
        [
            ("How deep is Lake Orin?", "310 metres"),
            ("When were trout introduced?", "1952"),
            ("Who introduced trout?", "the fishery board"),
        ],
    ),
    (
        "Mount Vell",
        "Mount Vell is the tallest peak of the range at 4,100 metres.",
        "The first recorded ascent was by Ana Ruiz in 1899. A cable car reached the top in 1970.",
        [
            ("How tall is Mount Vell?", "4,100 metres"),
            ("Who first climbed Mount Vell?", "Ana Ruiz"),
            ("When did the cable car open?", "1970"),
        ],
    ),
]


def squad_file(path, impossible):
    data = []
    for n, (title, p1, p2, qas) in enumerate(TOPICS):
        questions = []
        for m, (q, a) in enumerate(qas):
            context = p1 if a in p1 else p2
            questions.append(
                (
                    context,
                    {
                        "id": f"{n}-{m}",
                        "question": q,
                        "answers": [{"text": a, "answer_start": context.index(a)}],
                    },
                )
            )
        if impossible:
            questions.append(
                (
                    p1,
                    {
                        "id": f"{n}-x",
                        "question": f"What is the name of {title}'s mayor?",
                        "answers": [],
                        "is_impossible": True,
                    },
                )
            )
        paragraphs = [
            {"context": c, "qas": [q for cc, q in questions if cc == c]} for c in (p1, p2)
        ]
        data.append({"title": title, "paragraphs": paragraphs})
    path.write_text(json.dumps({"data": data}))
    return str(path)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("train")
    dev = select_split(load_questions(default_files()), "dev")
    config = TrainConfig(
        squad1=squad_file(tmp / "s1.json", impossible=False),
        squad2=squad_file(tmp / "s2.json", impossible=True),
        news_sources=tuple(str(p) for p in question_articles(dev, [SEEDS])),
        squad1_articles=2,
        squad2_train_articles=2,
        paragraphs=2,
        questions_per_article=10,
        foreign_questions=1,
        folds=2,
    )
    cache = tmp / "examples.pkl"
    corpora = collect_cached(config, embedder, BuildConfig(), (Mode.HYBRID,), cache)
    squad2 = load_squad(Path(config.squad2), config.paragraphs)
    _, held = split_squad2(squad2, config.squad2_train_articles, config.seed)
    return config, corpora[Mode.HYBRID], held, cache


def test_training_writes_a_complete_reproducible_scorer(corpora, tmp_path, embedder):
    config, corpus, held, _ = corpora
    assert {e.source for e in corpus.examples} == {"squad1", "squad2", "squad2-held", "news-dev"}
    assert len(held) == 1
    # No follow-up and no test-split question is trained on.
    news = corpus.of("news-dev")
    assert news and all(e.item.split == "dev" and not e.item.followup for e in news)
    # Every dev article is read, the newsroom ones under seeds/newsroom/ too.
    assert {e.item.doc_id for e in news} == {
        "harbor-bridge-repair",
        "school-lunch-program",
        "trump-asia-tour-south-korea",
    }
    scorer = train_mode(corpus, config, embedder.name)
    again = train_mode(corpus, config, embedder.name)
    assert scorer.to_dict() == again.to_dict()
    path = tmp_path / "scorer.json"
    write_scorer(scorer, path)
    loaded = read_scorer(path)
    assert np.all(np.isfinite(loaded.sentence.weights)) and np.all(
        np.isfinite(loaded.question.weights)
    )
    assert 0.0 <= loaded.abstain_below <= 1.0 and 0.0 <= loaded.extra_citation <= 1.0
    record = loaded.record
    assert record["examples"]["news-dev"] == len(news)
    assert record["held_out_squad_articles"] == [held[0].doc_id]
    assert held[0].doc_id not in record["trained_squad_articles"]
    assert record["news_dev_out_of_fold"]["questions"] == len(news)


def test_the_cache_keeps_squad_and_rereads_the_news(corpora, embedder):
    config, corpus, _, cache = corpora
    stamp = cache.stat().st_mtime_ns
    # Only the fitting changed: the SQuAD examples come from the cache, the news anew.
    again = collect_cached(
        replace(config, news_weight=9.0),
        embedder,
        BuildConfig(),
        (Mode.HYBRID,),
        cache,
    )[Mode.HYBRID]
    assert cache.stat().st_mtime_ns == stamp
    assert [e.item.id for e in again.examples] == [e.item.id for e in corpus.examples]
    # Other SQuAD data: read again, and the cache replaced.
    fewer = collect_cached(
        replace(config, questions_per_article=2),
        embedder,
        BuildConfig(),
        (Mode.HYBRID,),
        cache,
    )[Mode.HYBRID]
    assert cache.stat().st_mtime_ns != stamp
    assert len(fewer.of("squad1")) < len(corpus.of("squad1"))
    assert len(fewer.of("news-dev")) == len(corpus.of("news-dev"))
