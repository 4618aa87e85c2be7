"""BM25 through precomputed postings: the very scores of rank_bm25, fast at any size."""

from __future__ import annotations

import json
import random

import numpy as np
from rank_bm25 import BM25Okapi

from index.build import build_index
from index.documents import parse_document
from index.store import BuildConfig
from index.tokens import tokenize
from rag.retrieve import BM25Retriever, Query, SparseBM25, _doc_rows
from tests.conftest import ARTICLE, ROOT

QUESTIONS = [
    json.loads(line) for line in (ROOT / "eval" / "qa" / "trump-asia-tour-south-korea.jsonl").open()
]


def seed_index():
    document = parse_document("seed", ARTICLE.read_text(encoding="utf-8"), str(ARTICLE))
    return build_index([document], None, BuildConfig())


def queries() -> list[list[str]]:
    asked = [tokenize(q["question"]) for q in QUESTIONS]
    return [*asked, [], ["unknownword"], ["trump", "trump", "korea"]]


def test_scores_equal_rank_bm25_on_the_eval_questions():
    model = BM25Okapi(seed_index().chunk_tokens)
    sparse = SparseBM25(model)
    for tokens in queries():
        assert np.array_equal(sparse.get_scores(tokens), model.get_scores(tokens)), tokens


def test_scores_equal_rank_bm25_on_a_larger_varied_corpus():
    rng = random.Random(7)
    base = seed_index().chunk_tokens
    corpus = []
    for _ in range(40):
        for tokens in base:
            varied = [t for t in tokens if rng.random() > 0.2] + [f"name{rng.randrange(50)}"]
            corpus.append(varied)
    corpus.append([])  # an empty chunk scores 0
    model = BM25Okapi(corpus)
    sparse = SparseBM25(model)
    for tokens in [*queries(), ["name3", "name7", "korea"]]:
        assert np.array_equal(sparse.get_scores(tokens), model.get_scores(tokens)), tokens


def test_the_retriever_ranks_as_rank_bm25_would():
    index = seed_index()
    retriever = BM25Retriever(index)
    for tokens in queries()[:20]:
        scores = retriever.model.get_scores(tokens)
        got = retriever.retrieve(Query(" ".join(tokens), tokens, None), 5)
        assert [p.score for p in got] == sorted(scores, reverse=True)[:5]


def test_document_rows_in_one_pass():
    documents = [
        parse_document(
            f"d{n}", f"Story {n}\n\nThe mayor of town {n} opened a bridge. It cost $5 million."
        )
        for n in range(3)
    ]
    index = build_index(documents, None, BuildConfig())
    rows = _doc_rows(index)
    for doc in documents:
        assert {index.chunks[r].doc_id for r in rows[doc.id]} == {doc.id}
    assert sum(len(r) for r in rows.values()) == len(index.chunks)
