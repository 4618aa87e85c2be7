"""The pipeline's cache of recent answers: hits only on the same question in the same context."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from index.store import load_index
from rag.conversation import Turn
from rag.pipeline import Pipeline
from rag.retrieve import Mode

QUESTION = "How much did Trump want South Korea to invest?"


def test_a_repeated_question_is_answered_from_the_cache(index_dir, embedder):
    pipeline = Pipeline(load_index(index_dir), embedder)
    first = pipeline.ask(QUESTION)
    assert pipeline.ask("  How much did Trump want South Korea   to invest? ") is first
    assert pipeline.ask(QUESTION, mode=Mode.BM25) is not first
    doc_id = pipeline.index.documents[0].id
    assert pipeline.ask(QUESTION, doc_id=doc_id) is not first


def test_the_conversation_is_part_of_the_key(index_dir, embedder):
    pipeline = Pipeline(load_index(index_dir), embedder)
    alone = pipeline.ask("When did he take office?")
    earlier = pipeline.ask("Who is the president of South Korea?")
    turns = [Turn("Who is the president of South Korea?", earlier.answer)]
    followup = pipeline.ask("When did he take office?", turns)
    assert followup is not alone
    assert pipeline.ask("When did he take office?", list(turns)) is followup


def test_attaching_the_embedder_clears_the_cache(index_dir, embedder):
    pipeline = Pipeline(load_index(index_dir), None)
    before = pipeline.ask(QUESTION)
    assert before.answer.retrieval == "bm25"
    pipeline.attach_embedder(embedder)
    after = pipeline.ask(QUESTION)
    assert after.answer.retrieval == "hybrid"
    assert pipeline.ask(QUESTION, mode=Mode.BM25) is not before


def test_size_zero_turns_the_cache_off(index_dir, embedder):
    pipeline = Pipeline(load_index(index_dir), embedder, cache_size=0)
    assert pipeline.ask(QUESTION) is not pipeline.ask(QUESTION)


def test_the_cache_is_bounded_and_safe_across_threads(index_dir, embedder):
    pipeline = Pipeline(load_index(index_dir), embedder, cache_size=4)
    questions = [f"What did Trump say about item {n}?" for n in range(12)] * 3
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda q: pipeline.ask(q).answer, questions))
    assert len(pipeline._answers._items) <= 4
    for question, answer in zip(questions, answers, strict=True):
        assert answer == pipeline.ask(question).answer
