"""Follow-up questions: rewrite "When did he take office?" with what the earlier turns were about.

Also the in-memory store of conversations the service keeps, with a cap and an expiry.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from rag.answer import Answer
from rag.answer_types import AnswerType, name_spans, question_type
from rag.coverage import key_terms

_PERSON_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|himself|herself)\b", re.I)
_THING_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|their|those|these|there|then)\b", re.I)
_ELLIPTIC = re.compile(
    r"^\s*(and|what about|how about|why|what else|anything else|so|but|also)\b", re.I
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange: the question and the answer it got (if known)."""

    question: str
    answer: Answer | None = None


@dataclass(frozen=True, slots=True)
class Followup:
    """A question made to stand on its own: `question` for matching, `context` for retrieval."""

    question: str
    context: str
    cited: frozenset[tuple[str, int]]


def _person_of(turn: Turn, names: frozenset[str]) -> str | None:
    """The one person an earlier turn was about: the person it answered with, else the one it
    asked about. None when that is not clear: a wrong guess is worse than no rewrite, since the
    earlier turn's words still steer retrieval."""
    if turn.answer and turn.answer.answered:
        first = turn.answer.citations[0]
        if question_type(turn.question) is AnswerType.PERSON and first.highlight:
            return first.text[first.highlight[0] : first.highlight[1]]
    asked = {
        turn.question[a:b]
        for a, b, n in name_spans(turn.question)
        if n >= 2 or turn.question[a:b] in names
    }
    return asked.pop() if len(asked) == 1 else None


def is_followup(question: str) -> bool:
    """Whether a question leans on earlier turns (pronouns, "what about ...", very short)."""
    content = [t for t in key_terms(question)]
    return bool(
        _PERSON_PRONOUN.search(question)
        or _THING_PRONOUN.search(question)
        or _ELLIPTIC.search(question)
        or len(content) <= 1
    )


def contextualize(
    question: str, turns: list[Turn], names: frozenset[str] = frozenset()
) -> Followup:
    """Resolve a follow-up against the earlier turns (most recent last)."""
    if not turns or not is_followup(question):
        return Followup(question, question, frozenset())
    last = turns[-1]
    rewritten = question
    person = _person_of(last, names)
    if person and _PERSON_PRONOUN.search(question):

        def replace(match: re.Match[str]) -> str:
            return f"{person}’s" if match.group(1).lower() in {"his", "hers"} else person

        rewritten = _PERSON_PRONOUN.sub(replace, question)
    cited = frozenset(
        (c.doc_id, c.sentence_id)
        for turn in turns[-1:]
        if turn.answer
        for c in turn.answer.citations
    )
    if rewritten != question and not _THING_PRONOUN.search(rewritten):
        # The pronoun now names its person: the question stands on its own, and the earlier
        # turn's words would only pull retrieval back to what was already answered.
        return Followup(rewritten, rewritten, cited)
    earlier = " ".join(t.word for turn in turns[-2:] for t in key_terms(turn.question))
    # "Why is that too much?" after "$350 billion": the thing answered is what "that" is.
    answered = _answered_thing(last)
    if answered and _THING_PRONOUN.search(rewritten):
        earlier = f"{answered} {earlier}"
    return Followup(rewritten, f"{rewritten} {earlier}".strip(), cited)


def _answered_thing(turn: Turn) -> str | None:
    """The very thing an earlier answer gave (its first citation's highlight), if any."""
    if not (turn.answer and turn.answer.answered and turn.answer.citations):
        return None
    first = turn.answer.citations[0]
    return first.text[first.highlight[0] : first.highlight[1]] if first.highlight else None


class ConversationStore:
    """Conversations in memory: at most `capacity`, each forgotten `ttl_seconds` after its last use."""

    def __init__(
        self, capacity: int = 10_000, ttl_seconds: float = 3600.0, max_turns: int = 20
    ) -> None:
        self._capacity = capacity
        self._ttl = ttl_seconds
        self._max_turns = max_turns
        self._items: OrderedDict[str, tuple[float, list[Turn]]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def new_id() -> str:
        """A fresh, unguessable conversation id."""
        return uuid.uuid4().hex

    def get(self, conversation_id: str) -> list[Turn] | None:
        """The turns of a live conversation, or None when unknown or expired."""
        now = time.monotonic()
        with self._lock:
            item = self._items.get(conversation_id)
            if item is None or now - item[0] > self._ttl:
                self._items.pop(conversation_id, None)
                return None
            return list(item[1])

    def append(self, conversation_id: str, turn: Turn) -> None:
        """Record a turn, evicting the least recently used conversation past the cap."""
        now = time.monotonic()
        with self._lock:
            _, turns = self._items.pop(conversation_id, (now, []))
            turns = [*turns, turn][-self._max_turns :]
            self._items[conversation_id] = (now, turns)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
