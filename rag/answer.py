"""The templated answerer: score the retrieved sentences, pick one to three, cite them verbatim.

Nothing in an answer comes from anywhere but the article, apart from the template's own
words: the answer text is the chosen sentences, each followed by its citation marker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from index.sentences import Sentence
from rag.answer_types import AnswerType, Measure
from rag.coverage import Coverage


@dataclass(frozen=True, slots=True)
class Citation:
    """A cited sentence: `text` is exactly `document.text[start:end]`."""

    id: int
    text: str
    doc_id: str
    sentence_id: int
    start: int
    end: int
    section: str | None
    score: float
    highlight: tuple[int, int] | None = None
    related: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The citation as in the answer contract (design.md)."""
        data = asdict(self)
        data["highlight"] = list(self.highlight) if self.highlight else None
        if not self.related:
            del data["related"]
        return data


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer contract of design.md."""

    answer: str
    answered: bool
    citations: tuple[Citation, ...]
    retrieval: str
    conversation_id: str | None = None
    # The revision (sha256) of the article text the citations' offsets point into, and a
    # plain notice when that is not the revision the reader's page showed.
    revision: str | None = None
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the contract's field order (`notice` only when there is one)."""
        data = {
            "answer": self.answer,
            "answered": self.answered,
            "citations": [c.to_dict() for c in self.citations],
            "retrieval": self.retrieval,
            "conversation_id": self.conversation_id,
            "revision": self.revision,
        }
        if self.notice is not None:
            data["notice"] = self.notice
        return data


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence from a retrieved passage with the evidence for choosing it."""

    sentence: Sentence
    dense: float
    lexical: float
    passage: float
    context: float
    anchored: float
    type_match: float
    highlight: tuple[int, int] | None
    repeated: bool = False
    adjacent: bool = False


@dataclass(frozen=True, slots=True)
class AnswerConfig:
    """How many sentences are cited, and how many shown as related with an abstention."""

    max_sentences: int = 3
    related_count: int = 2
    synonym_threshold: float = 0.6


def select(
    ranked: list[tuple[Candidate, float]], extra_citation: float, config: AnswerConfig
) -> list[tuple[Candidate, float]]:
    """From candidates ranked best first with their probability of holding the answer: the
    best, and up to two more that are themselves likely (`extra_citation`, learned) to hold it.
    """
    if not ranked:
        return []
    first, _ = ranked[0]
    chosen = [ranked[0]]
    for cand, value in ranked[1:]:
        if len(chosen) >= config.max_sentences or value < extra_citation:
            break
        # When the question asks for a person, figure or date, a further sentence must hold
        # one as fully as the first does: "Who is Korea's president?" wants no other people.
        if first.type_match > 0 and cand.type_match < first.type_match:
            continue
        chosen.append((cand, value))
    return chosen


_TYPED_KINDS = {
    AnswerType.PERSON: "person",
    AnswerType.QUANTITY: "figure",
    AnswerType.DATE: "date or day",
}


def abstention_reason(
    ranked: list[tuple[Candidate, float]],
    coverage: Coverage,
    kind: AnswerType | None,
    dense_available: bool,
    absent_person: str | None = None,
    type_window: int = 3,
    unmet_measure: Measure | None = None,
    unnamed: str | None = None,
) -> str:
    """Why the article does not answer the question, in a sentence for the reader: the
    strongest sign among those the scorer weighed, or a plain one."""
    if not ranked:
        return "Nothing in it matches the question."
    if coverage.missing_names:
        shown = ", ".join(coverage.missing_names_shown[:3])
        return f"It never mentions {shown}."
    if coverage.missing_focus_shown:
        return f"It never mentions the {coverage.missing_focus_shown}."
    if coverage.missing_role:
        return f"It never mentions a {coverage.missing_role}."
    if absent_person:
        return f"Its sentences that come closest do not involve {absent_person}."
    if kind in _TYPED_KINDS and not any(c.type_match > 0 for c, _ in ranked[:type_window]):
        return f"Its closest sentences give no {_TYPED_KINDS[kind]} for that."
    if kind in _TYPED_KINDS and ranked[0][0].type_match == 0:
        return f"The sentence closest to the question gives no {_TYPED_KINDS[kind]} for that."
    if unmet_measure is not None:
        return f"The sentence closest to the question gives no {unmet_measure.value} for that."
    if unnamed is not None:
        return f"The sentence closest to the question names no {unnamed}."
    if not dense_available:
        return "Too few of the question's words occur in it."
    return "Its closest sentences are about something else."


def _citation(number: int, candidate: Candidate, value: float, related: bool = False) -> Citation:
    s = candidate.sentence
    return Citation(
        id=number,
        text=s.text,
        doc_id=s.doc_id,
        sentence_id=s.id,
        start=s.start,
        end=s.end,
        section=s.section,
        score=round(float(value), 4),
        highlight=None if related else candidate.highlight,
        related=related,
    )


def compose(chosen: list[tuple[Candidate, float]], retrieval: str) -> Answer:
    """Fill the template: each chosen sentence verbatim, followed by its marker."""
    citations = tuple(_citation(n, c, v) for n, (c, v) in enumerate(chosen, 1))
    text = " ".join(f"{c.text} [{c.id}]" for c in citations)
    return Answer(answer=text, answered=True, citations=citations, retrieval=retrieval)


def abstain(related: list[tuple[Candidate, float]], reason: str, retrieval: str) -> Answer:
    """Say plainly that the article does not answer; offer the closest sentences as related."""
    text = f"The article doesn't say. {reason}"
    citations = tuple(_citation(n, c, v, related=True) for n, (c, v) in enumerate(related, 1))
    if citations:
        text += " The closest sentences are shown as related, not as an answer."
    return Answer(answer=text, answered=False, citations=citations, retrieval=retrieval)
