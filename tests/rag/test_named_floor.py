"""A which-company (school, boat...) question asks for a name: when the sentence closest to
it names nothing the question does not already say, the answerer says so rather than cite it."""

from __future__ import annotations

import pytest

from rag.answer_types import asked_name, holds_new_name
from rag.pipeline import Pipeline
from tests.conftest import article_pipeline

ARTICLE = (
    "Harbor works\n\n"
    "The council chose a contractor for the harbor repairs on Monday. "
    "The repairs will cost $2 million and take a year. "
    "Brightway Marine will dredge the channel in the spring. "
    "Boats will be moored at the north pier while the work goes on."
)


@pytest.fixture(scope="module")
def pipeline(embedder) -> Pipeline:
    return article_pipeline("harbor", ARTICLE, embedder)


def test_a_name_asked_for_and_not_given_is_an_abstention(pipeline) -> None:
    result = pipeline.ask("Which company will carry out the harbor repairs?")
    assert "contractor" in result.ranked[0][0].sentence.text
    assert not result.answer.answered
    assert "names no company" in (result.abstention or "")


def test_a_name_asked_for_and_given_is_answered(pipeline) -> None:
    answer = pipeline.ask("Which company will dredge the channel?").answer
    assert answer.answered and "Brightway Marine" in answer.citations[0].text


@pytest.mark.parametrize(
    "question, thing",
    [
        ("Which company will carry out the repair?", "company"),
        ("Which six schools will get new kitchens?", "schools"),
        ("What newspaper named Comcast its top place to work?", "newspaper"),
        ("Which Korean carmakers are losing out?", "carmakers"),
        ("What type of island grouping is Tuvalu?", None),
        ("What does a team do when it cannot score?", None),
        ("Which of the companies pays?", None),
        ("Who runs the company?", None),
    ],
)
def test_questions_that_ask_for_a_name(question: str, thing: str | None) -> None:
    assert asked_name(question) == thing


@pytest.mark.parametrize(
    "text, question, named",
    [
        ("The repair will cost $41 million.", "Which company will do the repair?", False),
        ("Kitchens at six schools will be upgraded.", "Which six schools get kitchens?", False),
        ("The vote is on Monday.", "Which party wins the vote?", False),
        ("The Detroit Salt Company mines there.", "What company mines salt?", True),
        ("Hyundai and Kia lose out.", "Which Korean carmakers lose out?", True),
        ("Forbes magazine listed her first.", "Which magazine listed her?", False),
    ],
)
def test_sentences_that_name_something_new(text: str, question: str, named: bool) -> None:
    assert holds_new_name(text, question, frozenset({"Kia"})) is named
