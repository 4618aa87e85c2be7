"""A how-much or how-many question is answered only by a sentence that holds a figure, and a
question about a cost, price or investment only by one that holds a sum of money, and one
that names what it measures (miles, minutes, a share, a count) only by a figure of that kind:
when the sentence closest to it holds none, the answerer says so rather than cite it."""

from __future__ import annotations

import pytest

from rag.answer_types import (
    AnswerType,
    Measure,
    asked_measure,
    asks_for_money,
    entity_spans,
    holds_measure,
    holds_money,
)
from rag.pipeline import Pipeline
from tests.conftest import article_pipeline

ARTICLE = (
    "Library reopens\n\n"
    "The city library reopened on Monday after a long renovation. "
    "Visitors praised the new reading room and its tall windows. "
    "The library lends books, films and music to anyone with a card. "
    "The renovation took 14 months and added 200 seats. "
    "Parking in the garage next door is $3 an hour."
)

FERRY = (
    "Ferry timetable\n\n"
    "The harbor ferry will add a second boat this spring. "
    "The crossing takes 25 minutes each way. "
    "The council will vote on the new timetable on June 12. "
    "The ferry carried 2,400 passengers on its busiest day last year."
)


@pytest.fixture(scope="module")
def pipeline(embedder) -> Pipeline:
    return article_pipeline("library", ARTICLE, embedder)


@pytest.fixture(scope="module")
def ferry(embedder) -> Pipeline:
    return article_pipeline("ferry", FERRY, embedder)


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


@pytest.mark.parametrize(
    "question, top, measure",
    [
        ("How many miles long is the crossing?", "25 minutes", Measure.DISTANCE),
        ("How many votes does the new timetable need?", "June 12", Measure.COUNT),
    ],
)
def test_a_figure_of_another_kind_is_an_abstention(
    ferry, question: str, top: str, measure: Measure
) -> None:
    result = ferry.ask(question)
    assert top in result.ranked[0][0].sentence.text
    assert not result.answer.answered
    assert measure.value in (result.abstention or "")


@pytest.mark.parametrize(
    "question, figure",
    [
        ("How many minutes does the crossing take?", "25 minutes"),
        ("How many passengers did the ferry carry on its busiest day?", "2,400"),
    ],
)
def test_a_figure_of_the_kind_asked_is_answered(ferry, question: str, figure: str) -> None:
    answer = ferry.ask(question).answer
    assert answer.answered and figure in answer.citations[0].text


@pytest.mark.parametrize(
    "question, measure",
    [
        ("How much did the plant cost?", Measure.MONEY),
        ("How many kilometres long is the canal?", Measure.DISTANCE),
        ("How many years did the war last?", Measure.DURATION),
        ("How many months after the vote did the strike begin?", None),
        ("How old was Bell when he moved?", Measure.AGE),
        ("What percentage of pupils qualify?", Measure.SHARE),
        ("How many seats were added?", Measure.COUNT),
        ("What's the won-to-dollar exchange rate right now?", Measure.RATE),
        ("What is the income limit for a free lunch?", Measure.AMOUNT),
        ("How far back does the history of pubs go?", None),
        ("What portion of the city is the hospital in?", None),
    ],
)
def test_what_a_question_measures(question: str, measure: Measure | None) -> None:
    assert asked_measure(question) is measure


@pytest.mark.parametrize(
    "text, measure, holds",
    [
        ("The detour adds about 20 minutes.", Measure.DISTANCE, False),
        ("The canal is 77 km long.", Measure.DISTANCE, True),
        ("The siege lasted 17 years.", Measure.DURATION, True),
        ("At 20 he dropped out of college.", Measure.AGE, True),
        ("The bridge was built in 1931.", Measure.AGE, True),
        ("The bridge closes for six weeks from March 3.", Measure.AGE, False),
        ("The deck carries 38,000 vehicles a day.", Measure.AGE, False),
        ("They propose a currency swap line.", Measure.RATE, False),
        ("The won traded at 1,400 to the dollar.", Measure.RATE, True),
        ("In 2004 the figure rose to 45\u00a0per\u00a0cent.", Measure.SHARE, True),
        ("Less than one-thirteenth of the region lives there.", Measure.SHARE, True),
        ("The council votes on February 10.", Measure.COUNT, False),
        ("The law passed in 1998.", Measure.COUNT, False),
        ("The council has 12 members since 1998.", Measure.COUNT, True),
        ("About 1500 troops landed.", Measure.COUNT, True),
    ],
)
def test_sentences_that_hold_a_measure(text: str, measure: Measure, holds: bool) -> None:
    assert holds_measure(text, measure) is holds
