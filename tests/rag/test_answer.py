"""The templated answerer: faithful by construction, abstains, knows what kind of thing is asked."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.answer import Answer
from rag.answer_types import AnswerType, question_type
from rag.coverage import question_focus
from rag.errors import QuestionError, UnknownDocumentError
from rag.pipeline import clean_question
from rag.retrieve import Mode
from tests.conftest import ANSWER_FIELDS

pytestmark = pytest.mark.model

DOC_ID = "trump-asia-tour-south-korea"
ANSWERABLE = [
    "How much does Trump want South Korea to invest in the US?",
    "Who is South Korea's president?",
    "How many Korean workers were detained in the raid?",
    "When did Lee take office?",
    "Where did immigration agents raid a Hyundai plant?",
    "What gifts did Lee give Trump?",
    "What did North Korea fire into the sea?",
    "Why does Seoul resist paying cash?",
    "Who is the US Treasury Secretary?",
]
# Everyone the article names; a who-question's highlight must be one of them.
PEOPLE = {
    "Donald Trump",
    "Trump",
    "Lee Jae Myung",
    "Lee",
    "Sanae Takaichi",
    "Howard Lutnick",
    "Scott Bessent",
    "Oh Hyunjoo",
    "Xi Jinping",
    "Kim Jong Un",
    "Kim",
}


def assert_faithful(answer: Answer, pipeline) -> None:
    """Every citation is the exact source slice; the answer is nothing but cited sentences."""
    texts = {d.id: d.text for d in pipeline.index.documents}
    sentences = {(s.doc_id, s.id): s for s in pipeline.index.sentences}
    for number, citation in enumerate(answer.citations, 1):
        assert citation.id == number
        assert citation.text == texts[citation.doc_id][citation.start : citation.end]
        sentence = sentences[(citation.doc_id, citation.sentence_id)]
        assert (sentence.start, sentence.end, sentence.section) == (
            citation.start,
            citation.end,
            citation.section,
        )
        if citation.highlight is not None:
            start, end = citation.highlight
            assert 0 <= start < end <= len(citation.text)
        assert citation.related is not answer.answered
    if answer.answered:
        assert 1 <= len(answer.citations) <= 3
        assert answer.answer == " ".join(f"{c.text} [{c.id}]" for c in answer.citations)
        # Strip the markers: every remaining character comes from the cited sentences.
        assert re.sub(r" \[\d\]", "", answer.answer) == " ".join(c.text for c in answer.citations)
    else:
        assert answer.answer.startswith("The article doesn't say")
        assert all(c.highlight is None for c in answer.citations)
        quoted = [c.text for c in answer.citations if c.text in answer.answer]
        assert not quoted, "an abstention quotes no article sentence as its answer"


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("question", ANSWERABLE)
def test_answers_are_cited_sentences_verbatim(pipeline, question, mode):
    answer = pipeline.ask(question, mode=mode).answer
    assert answer.answered
    assert answer.retrieval == mode.value
    assert_faithful(answer, pipeline)
    contract = answer.to_dict()
    # `revision` is filled where the article's revision is known (the service, the CLI).
    assert list(contract) == ANSWER_FIELDS
    assert set(contract["citations"][0]) == {
        "id",
        "text",
        "doc_id",
        "sentence_id",
        "start",
        "end",
        "section",
        "score",
        "highlight",
    }


words = st.sampled_from(
    [
        "Trump",
        "Lee",
        "Seoul",
        "tariff",
        "how",
        "much",
        "who",
        "when",
        "where",
        "why",
        "what",
        "did",
        "the",
        "invest",
        "billion",
        "visa",
        "raid",
        "Hyundai",
        "Kim",
        "missiles",
        "Germany",
        "Samsung",
        "population",
        "weather",
        "?",
        ",",
        "’s",
    ]
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(question=st.lists(words, min_size=1, max_size=12).map(" ".join))
def test_any_question_gets_a_faithful_answer_or_an_abstention(pipeline, question):
    assert_faithful(pipeline.ask(question).answer, pipeline)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(
    "question",
    [
        # Names the article never mentions: the learned scorer's strongest sign (a missing
        # attribute such as "population" is only a weak one in its training data).
        "What did Xi Jinping say about Taiwan?",
        "Who is the Chancellor of Germany?",
        "How much did Samsung pledge to invest in Texas?",
        # A figure asked for that none of the closest sentences holds (they give the day).
        "How many cruise missiles did North Korea test-fire?",
    ],
)
def test_abstains_when_the_article_does_not_say(pipeline, question, mode):
    answer = pipeline.ask(question, mode=mode).answer
    assert not answer.answered
    assert answer.answer.startswith("The article doesn't say")
    assert_faithful(answer, pipeline)


# -- answer types and highlights -------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who is South Korea's president?", AnswerType.PERSON),
        ("whose plant was raided?", AnswerType.PERSON),
        ("How much does Trump want?", AnswerType.QUANTITY),
        ("How many workers were detained?", AnswerType.QUANTITY),
        ("What share of GDP is that?", AnswerType.QUANTITY),
        ("When did Lee take office?", AnswerType.DATE),
        ("What day does Trump meet Xi?", AnswerType.DATE),
        ("Where was the summit held?", AnswerType.PLACE),
        ("In which city was the summit?", AnswerType.PLACE),
        ("Why does Seoul resist?", None),
        ("What gifts did Lee give Trump?", None),
    ],
)
def test_question_type(question, kind):
    assert question_type(question) is kind


def highlighted(answer: Answer) -> str:
    first = answer.citations[0]
    assert first.highlight is not None, f"no highlight in {first.text!r}"
    return first.text[first.highlight[0] : first.highlight[1]]


def test_how_much_highlights_the_amount(pipeline):
    answer = pipeline.ask("How much does Trump want South Korea to invest in the US?").answer
    assert highlighted(answer) == "$350 billion"
    assert answer.to_dict()["citations"][0]["highlight"] == list(answer.citations[0].highlight)


@pytest.mark.parametrize(
    ("question", "person"),
    [
        # The article names him "South Korean President Lee Jae Myung".
        ("Who is South Korea's president?", "Lee Jae Myung"),
        # ... and "U.S. Treasury Secretary Scott Bessent".
        ("Who is the US Treasury Secretary?", "Scott Bessent"),
        # ... and "reunion with leader Kim Jong Un", in a sentence that begins with Trump.
        ("Who is North Korea's leader?", "Kim Jong Un"),
        ("Who did Trump bond with in Japan?", None),
    ],
)
def test_who_highlights_a_person(pipeline, question, person):
    answer = pipeline.ask(question).answer
    assert answer.answered
    name = highlighted(answer)
    assert name in PEOPLE
    if person:
        assert name == person


def test_when_and_how_many_highlight_their_kind(pipeline):
    assert re.fullmatch(
        r"(?:over |about |nearly )?\d+",
        highlighted(pipeline.ask("How many Korean workers were detained in the raid?").answer),
    )
    when = highlighted(pipeline.ask("When did Lee take office?").answer)
    assert when in {"June", "Monday", "Wednesday", "Thursday", "August", "September"}


# -- the question at the boundary ---------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "\x00\x07", "x" * 501, None, 42, ["Who?"]])
def test_clean_question_rejects(bad):
    with pytest.raises(QuestionError):
        clean_question(bad, 500)


def test_clean_question_strips_control_characters_and_folds_spaces():
    assert clean_question("  What\x00 is\x07 the\u0085 deal?\r\n", 500) == "What is the deal?"
    assert clean_question("x" * 500, 500) == "x" * 500


def test_clean_question_folds_invisible_characters_odd_spaces_and_wide_forms():
    assert clean_question("Wh\u200bo is South\u00a0Korea\u2019s presi\u00addent?", 500) == (
        "Who is South Korea\u2019s president?"
    )
    assert clean_question("\ufeffWhat did ＬＥＥ\u2009say?\u2060", 500) == "What did LEE say?"
    with pytest.raises(QuestionError, match="empty"):
        clean_question("\u200b\u200d\ufeff\u00a0", 500)


@pytest.mark.parametrize(
    "noisy",
    [
        "Wh\u200bo is South Korea's president?",
        "Who is South\u00a0Korea's\u2009president?\ufeff",
        "Who is Ｓｏｕｔｈ Ｋｏｒｅａ's presi\u00addent?",
    ],
)
def test_invisible_characters_in_a_question_do_not_change_the_answer(pipeline, noisy):
    clean = pipeline.ask("Who is South Korea's president?", doc_id=DOC_ID).answer
    assert pipeline.ask(noisy, doc_id=DOC_ID).answer.to_dict() == clean.to_dict()


def test_the_pipeline_validates_its_input(pipeline):
    with pytest.raises(QuestionError, match="keep it under"):
        pipeline.ask("Why? " * 200)
    with pytest.raises(QuestionError, match="empty"):
        pipeline.ask(" \x00 ")
    with pytest.raises(UnknownDocumentError, match="no-such-article"):
        pipeline.ask("Who is South Korea's president?", doc_id="no-such-article")
    assert pipeline.ask("Who is South Korea's president?", doc_id=DOC_ID).answer.answered


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("What is the population of Gyeongju?", "population"),
        ("What's the capital of the Silla Kingdom?", "capital"),
        ("What is the purpose of the meeting?", None),  # frames the question, not a thing
        ("Who is South Korea's president?", None),
    ],
)
def test_question_focus_is_the_attribute_asked_for(question, focus):
    assert question_focus(question) == focus


def test_a_focus_the_article_uses_does_not_abstain(pipeline):
    answer = pipeline.ask("What is the structure of the investments under discussion?").answer
    assert answer.answered
    assert "structure of investments" in answer.citations[0].text
