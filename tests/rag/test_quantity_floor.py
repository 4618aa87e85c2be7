"""A how-much or how-many question is answered only by a sentence that holds a figure, and a
question about a cost, price or investment only by one that holds a sum of money: when the
sentence closest to it holds none, the answerer says so rather than cite it."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.documents import parse_document
from index.store import BuildConfig
from rag.answer_types import AnswerType, asks_for_money, entity_spans, holds_money
from rag.pipeline import Pipeline

ARTICLE = (
    "Library reopens\n\n"
    "The city library reopened on Monday after a long renovation. "
    "Visitors praised the new reading room and its tall windows. "
    "The library lends books, films and music to anyone with a card. "
    "The renovation took 14 months and added 200 seats. "
    "Parking in the garage next door is $3 an hour."
)


@pytest.fixture(scope="module")
def pipeline(embedder) -> Pipeline:
    return Pipeline(
        build_index([parse_document("library", ARTICLE)], embedder, BuildConfig()), embedder
    )


def test_a_figure_asked_for_and_given_is_answered(pipeline) -> None:
    answer = pipeline.ask("How much does parking cost?").answer
    assert answer.answered and "$3" in answer.citations[0].text


def test_a_cost_answered_by_a_count_is_an_abstention(pipeline) -> None:
    result = pipeline.ask("How much did the renovation cost?")
    assert not result.answer.answered
    assert "renovation" in result.ranked[0][0].sentence.text
    assert "money" in (result.abstention or "")


@pytest.mark.parametrize(
    "question, money",
    [
        ("How much did Hyundai invest in the plant?", True),
        ("How much will the new stadium cost?", True),
        ("how much money did the concert raise", True),
        ("What is the price of a ticket?", True),
        ("How much of the budget goes to schools?", False),
        ("By how much did sales grow?", False),
        ("How much time do drivers lose?", False),
        ("How many workers were detained?", False),
    ],
)
def test_questions_that_ask_for_money(question: str, money: bool) -> None:
    assert asks_for_money(question) is money


@pytest.mark.parametrize(
    "text, money",
    [
        ("The plan costs $6.8 million a year.", True),
        ("It sold for 40 Swiss francs, about 45 USD.", True),
        ("Tolls were 30-cent at first.", True),
        ("Fares will be waived for six weeks.", True),
        ("Agents detained over 300 workers.", False),
        ("A 25% tariff applies to cars.", False),
    ],
)
def test_sentences_that_hold_money(text: str, money: bool) -> None:
    assert holds_money(text) is money


def test_no_figure_in_the_closest_sentence_is_an_abstention(pipeline) -> None:
    result = pipeline.ask("How many books does the library hold?")
    assert not result.answer.answered
    assert result.ranked[0][0].type_match == 0
    assert "figure" in (result.abstention or "")


@pytest.mark.parametrize(
    "text, figure",
    [
        ("Fourteen territories remain under its rule.", "Fourteen territories"),
        ("The railway took twenty years to build.", "twenty years"),
        ("Several proposals have failed.", "Several proposals"),
    ],
)
def test_number_words_are_figures(text: str, figure: str) -> None:
    assert figure in [text[a:b] for a, b in entity_spans(text, AnswerType.QUANTITY)]


def test_a_name_with_a_number_word_is_no_figure() -> None:
    assert entity_spans("He spoke aboard Air Force One Monday.", AnswerType.QUANTITY) == []
