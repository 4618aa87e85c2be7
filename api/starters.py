"""Starter questions for the widget: derived from any article, kept only when answerable.

Candidates come from the article's own sentences through a few templates (amounts,
people, events, acronyms); each is asked through the real pipeline and kept only when it
is answered *and* one of its citations holds the thing the question was made from, so a
reader who clicks a starter gets a cited answer about what was asked. Nothing here is
specific to one article.

>>> starter_questions(pipeline, index.documents[0])  # doctest: +SKIP
['What is the $350 billion for?', 'Who is Lee Jae Myung?', 'What happened at the Gyeongju business forum?']
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from index.documents import Document
from index.sentences import paragraphs
from rag.answer_types import AnswerType, entity_spans, name_spans
from rag.errors import FootnoteError
from rag.pipeline import Pipeline

COUNT = 3
_CURRENCY = re.compile(r"[$£€¥₩]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:trillion|billion|million)\b)?", re.I)
_ACRONYM = re.compile(r"\(([A-Z]{2,6})\)")
_EVENT = re.compile(
    r"\b(?:at|during|after|before)\s+(?:a|an|the)\s+((?:[A-Z][\w’'-]+\s+){1,3}"
    r"(?:[a-z]+\s+)?(?:forum|summit|meeting|conference|rally|hearing|ceremony|vote|debate|talks))\b"
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A question, the kind of template it came from, and the text an answer must cite."""

    question: str
    kind: str
    evidence: str
    position: int


def _body_sentences(document: Document) -> Iterator[tuple[int, str]]:
    """(offset, paragraph text) of the article body, subheadings left out."""
    for paragraph in paragraphs(document.text, document.body_start):
        if not paragraph.is_heading:
            yield paragraph.start, document.text[paragraph.start : paragraph.end]


def candidates(document: Document) -> list[Candidate]:
    """Every templated question the article supports, most prominent first within a kind."""
    title = document.title
    found: list[Candidate] = []
    seen: set[str] = set()

    def add(question: str, kind: str, evidence: str, position: int) -> None:
        if question.lower() not in seen:
            seen.add(question.lower())
            found.append(Candidate(question, kind, evidence, position))

    # Amounts in the headline first: they are what the story is about.
    headline_amounts = {m.group().lower() for m in _CURRENCY.finditer(title)}
    people: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    body = list(_body_sentences(document))
    for offset, text in body:
        for a, b in entity_spans(text, AnswerType.QUANTITY):
            match = _CURRENCY.search(text[a:b])
            if match:
                amount = match.group()
                rank = -1 if amount.lower() in headline_amounts else offset + a
                add(f"What is the {amount} for?", "amount", amount, rank)
        for a, b, count in name_spans(text):
            if count >= 2:
                name = text[a:b]
                people[name] += 1
                first_seen.setdefault(name, offset + a)
        for match in _EVENT.finditer(text):
            add(f"What happened at the {match.group(1)}?", "event", match.group(1), offset)
        for match in _ACRONYM.finditer(text):
            add(f"What is {match.group(1)}?", "acronym", match.group(1), offset)
    # People: the most mentioned (by any of their names' words), not the headline's subject.
    mentions = Counter(
        {
            name: sum(document.text.count(part) for part in name.split())
            for name in people
            if not any(part in title for part in name.split())
        }
    )
    for rank, (name, _) in enumerate(mentions.most_common()):
        add(f"Who is {name}?", "person", name, rank)
    order = {"amount": 0, "person": 1, "event": 2, "acronym": 3}
    return sorted(found, key=lambda c: (order[c.kind], c.position))


def _answers(pipeline: Pipeline, candidate: Candidate, doc_id: str) -> bool:
    try:
        answer = pipeline.ask(candidate.question, doc_id=doc_id).answer
    except FootnoteError:
        return False
    return answer.answered and any(
        candidate.evidence in c.text for c in answer.citations if not c.related
    )


def starter_questions(pipeline: Pipeline, document: Document, count: int = COUNT) -> list[str]:
    """Up to `count` answerable questions, one per kind first, then the best of the rest."""
    pool = candidates(document)
    chosen: list[Candidate] = []
    rejected: set[str] = set()
    for kind_first in (True, False):
        for candidate in pool:
            if len(chosen) == count:
                return [c.question for c in chosen]
            if candidate in chosen or candidate.question in rejected:
                continue
            if kind_first and any(c.kind == candidate.kind for c in chosen):
                continue
            if _answers(pipeline, candidate, document.id):
                chosen.append(candidate)
            else:
                rejected.add(candidate.question)
    return [c.question for c in chosen]


class StarterCache:
    """Starter questions computed once per (document revision, retrieval mode) and kept."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str], list[str]] = {}
        self._lock = threading.Lock()

    def get(self, pipeline: Pipeline, document: Document) -> list[str]:
        """The document's starters, computing them on first use (one thread at a time)."""
        # The revision too: a corrected article gets starters of its new text.
        key = (document.id, document.sha256, pipeline.effective_mode().value)
        with self._lock:
            if key not in self._items:
                self._items[key] = starter_questions(pipeline, document)
            return self._items[key]
