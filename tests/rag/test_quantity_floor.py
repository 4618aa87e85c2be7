"""A how-much or how-many question is answered only by a sentence that holds a figure: when the
sentence closest to it holds none, the answerer says so rather than cite it."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.documents import parse_document
from index.store import BuildConfig
from rag.answer_types import AnswerType, entity_spans
from rag.pipeline import Pipeline

ARTICLE = (
    "Library reopens\n\n"
    "The city library reopened on Monday after a long renovation. "
    "Visitors praised the new reading room and its tall windows. "
    "The library lends books, films and music to anyone with a card. "
    "Parking costs $3 an hour in the garage next door."
)


@pytest.fixture(scope="module")
def pipeline(embedder) -> Pipeline:
    return Pipeline(
        build_index([parse_document("library", ARTICLE)], embedder, BuildConfig()), embedder
    )


def test_a_figure_asked_for_and_given_is_answered(pipeline) -> None:
    answer = pipeline.ask("How much does parking cost?").answer
    assert answer.answered and "$3" in answer.citations[0].text


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
