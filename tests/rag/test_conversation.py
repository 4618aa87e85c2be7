"""Follow-up questions and the in-memory conversation store."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import rag.conversation
from rag.answer import Answer, Citation
from rag.conversation import ConversationStore, Turn, contextualize, is_followup

PRESIDENT = "Who is South Korea's president?"
FOLLOW_UP = "When did he take office?"
SENTENCE = (
    "The high-stakes meeting between Trump and South Korean President Lee Jae Myung unfolded."
)


def answered_with(text: str, highlight: tuple[int, int] | None) -> Answer:
    citation = Citation(1, text, "doc", 2, 0, len(text), None, 1.0, highlight)
    return Answer(f"{text} [1]", True, (citation,), "hybrid")


# -- contextualize ---------------------------------------------------------------------------


def test_a_pronoun_is_resolved_to_the_person_the_last_turn_answered():
    start = SENTENCE.index("Lee Jae Myung")
    turn = Turn(PRESIDENT, answered_with(SENTENCE, (start, start + len("Lee Jae Myung"))))
    followup = contextualize(FOLLOW_UP, [turn])
    assert followup.question == "When did Lee Jae Myung take office?"
    assert "Lee Jae Myung" in followup.context
    assert ("doc", 2) in followup.cited  # so the answerer can prefer a new sentence

    possessive = contextualize("What was his first decision?", [turn])
    assert possessive.question == "What was Lee Jae Myung’s first decision?"


def test_a_question_that_stands_alone_is_left_as_it_is():
    turn = Turn(PRESIDENT, answered_with(SENTENCE, None))
    question = "How much does Trump want South Korea to invest in the US?"
    assert not is_followup(question)
    followup = contextualize(question, [turn])
    assert (followup.question, followup.context, followup.cited) == (
        question,
        question,
        frozenset(),
    )


def test_without_earlier_turns_nothing_changes():
    followup = contextualize(FOLLOW_UP, [])
    assert (followup.question, followup.context) == (FOLLOW_UP, FOLLOW_UP)


@pytest.mark.model
def test_the_real_pipeline_answers_a_follow_up(pipeline):
    turns = pipeline.replay([PRESIDENT])
    assert len(turns) == 1 and turns[0].answer.answered
    result = pipeline.ask(FOLLOW_UP, turns)
    assert "Lee" in result.question
    assert result.answer.answered
    assert any("Lee assumed office in June" in c.text for c in result.answer.citations)


@pytest.mark.model
def test_a_follow_up_after_a_longer_conversation_cites_what_it_asks(pipeline):
    # Words of turns before the one a pronoun points to must not steer retrieval away.
    turns = pipeline.replay(["How much does Trump want South Korea to invest?", PRESIDENT])
    result = pipeline.ask(FOLLOW_UP, turns)
    assert result.answer.answered
    assert "Lee assumed office in June" in result.answer.citations[0].text


@pytest.mark.model
def test_a_pronoun_two_turns_on_still_names_its_person(pipeline):
    # "he" in the third question is the person the first answered: the second turn is kept
    # as resolved, so its own "he" carries the name on.
    turns = pipeline.replay(["Who runs the Treasury?", "What did he say about the Korea deal?"])
    assert "Bessent" in turns[1].question
    result = pipeline.ask("Where was he when he said that?", turns)
    assert "Bessent" in result.question
    assert result.answer.answered
    assert "Air Force One" in result.answer.citations[0].text


def test_a_question_word_does_not_start_a_name():
    turn = Turn("Is Trump going to see him on this trip?", None)
    followup = contextualize("what does his govt want", [turn])
    assert "Is Trump" not in followup.question


@pytest.mark.model
def test_replay_skips_questions_that_are_not_valid(pipeline):
    turns = pipeline.replay(["", PRESIDENT, "  "])
    assert [t.question for t in turns] == [PRESIDENT]


# -- ConversationStore ---------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """A settable monotonic clock, seen only by rag.conversation."""
    now = SimpleNamespace(value=1000.0)
    monkeypatch.setattr(rag.conversation, "time", SimpleNamespace(monotonic=lambda: now.value))
    return now


def test_new_ids_are_unique_and_unguessable():
    ids = {ConversationStore.new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 for i in ids)


def test_turns_are_kept_in_order():
    store = ConversationStore()
    assert store.get("unknown") is None
    store.append("c", Turn("one"))
    store.append("c", Turn("two"))
    assert [t.question for t in store.get("c")] == ["one", "two"]


def test_the_cap_evicts_the_oldest_conversation(clock):
    store = ConversationStore(capacity=2)
    for name in ("a", "b"):
        clock.value += 1
        store.append(name, Turn(name))
    clock.value += 1
    store.append("a", Turn("a again"))  # "a" is now the most recently used
    store.append("c", Turn("c"))
    assert len(store) == 2
    assert store.get("b") is None
    assert [t.question for t in store.get("a")] == ["a", "a again"]
    assert store.get("c") is not None


def test_conversations_expire_after_the_ttl(clock):
    store = ConversationStore(ttl_seconds=60)
    store.append("c", Turn("one"))
    clock.value += 59
    assert store.get("c") is not None
    store.append("c", Turn("two"))  # using it again restarts its clock
    clock.value += 59
    assert [t.question for t in store.get("c")] == ["one", "two"]
    clock.value += 2
    assert store.get("c") is None
    assert len(store) == 0
    store.append("c", Turn("fresh"))
    assert [t.question for t in store.get("c")] == ["fresh"]


def test_only_the_last_max_turns_are_kept():
    store = ConversationStore(max_turns=3)
    for number in range(5):
        store.append("c", Turn(f"q{number}"))
    assert [t.question for t in store.get("c")] == ["q2", "q3", "q4"]


def test_get_returns_a_copy():
    store = ConversationStore()
    store.append("c", Turn("one"))
    store.get("c").append(Turn("not stored"))
    assert len(store.get("c")) == 1
