"""Key terms of a question and how an abstention names what the article lacks: in the
reader's own words and case. Offline: a BM25-only index of hand-made and seed articles."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.documents import load_documents, parse_document
from index.store import BuildConfig
from rag.answer import abstention_reason
from rag.answer_types import question_type
from rag.coverage import Vocabulary, check_coverage, key_terms, question_role
from rag.pipeline import Pipeline
from tests.conftest import SEEDS

HAND_MADE = (
    "Talks Stall in Seoul\n\n"
    "Officials from Korea and Japan met in Seoul on Monday to discuss tariffs. "
    "The ministers agreed to meet again in the spring.\n"
)


@pytest.fixture(scope="module")
def seed_pipeline() -> Pipeline:
    return Pipeline(build_index(load_documents([SEEDS]), None, BuildConfig()))


@pytest.fixture(scope="module")
def small_pipeline() -> Pipeline:
    return Pipeline(build_index([parse_document("talks", HAND_MADE)], None, BuildConfig()))


def test_terms_keep_what_the_reader_typed_and_the_name_they_belong_to():
    terms = {t.word: t for t in key_terms("Did the FIFA World Cup visit France's capital?")}
    assert (terms["fifa"].typed, terms["fifa"].phrase) == ("FIFA", "FIFA World Cup")
    assert (terms["cup"].typed, terms["cup"].phrase) == ("Cup", "FIFA World Cup")
    assert terms["france"].typed == "France"
    assert terms["capital"].shown == "capital"


def test_missing_names_are_shown_whole_and_once():
    vocabulary = Vocabulary(["world", "leaders", "met"], None)
    coverage = check_coverage("Did Angela Merkel watch the World Cup?", vocabulary)
    assert coverage.missing_names_shown == ("Angela Merkel", "World Cup")


def reason_for(pipeline: Pipeline, question: str) -> str:
    """The reason the pipeline gives when it abstains on `question`, worded from what it
    found (whether it abstains is the learned scorer's call, tested in test_answer)."""
    result = pipeline.ask(question)
    if result.abstention is not None:
        assert result.abstention in result.answer.answer
        return result.abstention
    return abstention_reason(result.ranked, result.coverage, question_type(question), False)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("Who won the World Cup?", "It never mentions World Cup."),
        ("Did Angela Merkel attend?", "It never mentions Angela Merkel."),
        ("Did the USA beat the UK?", "It never mentions UK."),
    ],
)
def test_abstention_names_the_missing_thing_as_typed(seed_pipeline, question, reason):
    assert reason_for(seed_pipeline, question) == reason


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What did France say about the tariffs?", "It never mentions France."),
        ("What is the population of Seoul?", "It never mentions the population."),
        ("What is the Population of Seoul?", "It never mentions Population."),
    ],
)
def test_abstention_keeps_the_readers_case(small_pipeline, question, reason):
    assert reason_for(small_pipeline, question) == reason


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("Who is Oakport's transport director?", "transport director"),
        ("Who was Chopin's physician?", "physician"),
        ("Who is Japan's new leader?", "leader"),
        ("Who was the ruler of China in 677?", None),
        ("Who met the ministers?", None),
    ],
)
def test_the_role_a_who_question_asks_about(question, role):
    assert question_role(question) == role


def test_a_role_the_article_never_mentions_is_an_abstention(small_pipeline):
    result = small_pipeline.ask("Who is Korea's finance minister?")
    assert not result.answer.answered
    assert result.abstention == "It never mentions a finance minister."


def test_a_role_the_article_mentions_is_not_missing():
    vocabulary = Vocabulary(["officials", "korea", "ministers", "met"], None)
    assert check_coverage("Who is Korea's minister?", vocabulary).missing_role is None
