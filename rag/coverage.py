"""Does the article mention what the question is about at all?

Similarity alone separates answerable from unanswerable questions badly: "Who is the
Chancellor of Germany?" lands close to sentences about presidents. So before trusting
the best sentence we check the question's key terms against the article's words:
names must occur (allowing a typo or an inflection), other words may occur as a
near-synonym ("warship" ~ "carrier", "carmakers" ~ "automakers") judged by the same
embedding model over the article's vocabulary, which is embedded at build time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.tokens import STOPWORDS, Terms, stem, words

# Words that frame a question rather than name its subject.
QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "did",
        "do",
        "is",
        "are",
        "was",
        "were",
        "will",
        "would",
        "can",
        "could",
        "should",
        "tell",
        "say",
        "said",
        "says",
        "saying",
        "article",
        "story",
        "piece",
        "report",
        "reported",
        "mention",
        "mentioned",
        "mentions",
        "according",
        "happen",
        "happened",
        "happening",
        "kind",
        "sort",
        "type",
        "thing",
        "things",
        "something",
        "anything",
        "anyone",
        "someone",
        "people",
        "person",
        "one",
        "ones",
        "much",
        "many",
        "explain",
        "describe",
        "give",
        "list",
        "name",
        "know",
        "about",
        "get",
        "got",
        "go",
        "going",
        "make",
        "made",
        "think",
        "thought",
        "way",
        "ways",
        "really",
        "exactly",
        "main",
        "else",
        "also",
        "like",
        "please",
        "mean",
        "means",
        "meant",
        "doing",
        "done",
        "happen",
        "role",
        "part",
    ]
)
_TYPO_MIN_LENGTH = 5


@dataclass(frozen=True, slots=True)
class Term:
    """A key term of a question: its surface form, and whether it reads as a name."""

    word: str
    is_name: bool


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which key terms the article covers."""

    terms: tuple[Term, ...]
    missing: tuple[Term, ...]
    focus: str | None = None

    @property
    def missing_focus(self) -> str | None:
        """The attribute asked for ("the population of Gyeongju") when the article never uses it."""
        return self.focus if self.focus in {t.word for t in self.missing} else None

    @property
    def missing_names(self) -> tuple[Term, ...]:
        """Missing names: the strongest sign the article is about something else."""
        return tuple(t for t in self.missing if t.is_name)


def key_terms(question: str) -> list[Term]:
    """Content words of a question; capitalised words after the first read as names."""
    terms: list[Term] = []
    seen: set[str] = set()
    for position, match in enumerate(re.finditer(r"(?:[A-Za-z]\.){2,}|[\w’'-]+", question)):
        surface = match.group()
        for word in words(surface):
            if (
                word in STOPWORDS
                or word in QUESTION_WORDS
                or word in seen
                or (word.isdigit() and len(word) < 2)
            ):
                continue
            seen.add(word)
            is_name = (position > 0 and surface[:1].isupper() and not surface.isupper()) or (
                surface.isupper() and len(surface) > 1
            )
            terms.append(Term(word, is_name))
    return terms


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Bounded Levenshtein distance check, early exit; `limit` is 1 or 2."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


class Vocabulary:
    """The article's words, their stems and (when the model is loaded) their vectors."""

    def __init__(self, vocabulary: list[str], vectors: np.ndarray | None) -> None:
        self.words = vocabulary
        self.word_set = frozenset(vocabulary)
        self.stems = frozenset(stem(w) for w in vocabulary)
        self.vectors = vectors
        self._word_terms = Terms(self.word_set)
        self._stem_terms = Terms(self.stems)
        self._by_initial: dict[str, list[str]] = {}
        for word in vocabulary:
            self._by_initial.setdefault(word[:1], []).append(word)

    def literal(self, word: str) -> bool:
        """Present as written, as the same stem, as a longer or shorter form ("Palestine" /
        "Palestinian"), or with a typo (one edit; two in words of six letters or more)."""
        if word in self.word_set or stem(word) in self.stems:
            return True
        if len(word) >= 4 and (
            self._word_terms.matches(word) or self._stem_terms.matches(stem(word))
        ):
            return True
        if len(word) >= _TYPO_MIN_LENGTH:
            limit = 2 if len(word) >= 6 else 1
            return any(
                _within_edits(word, v, limit)
                for v in self._by_initial.get(word[:1], ())
                if abs(len(v) - len(word)) <= limit
            )
        return False


def check_coverage(
    question: str,
    vocabulary: Vocabulary,
    term_vectors: dict[str, np.ndarray] | None = None,
    synonym_threshold: float = 0.6,
) -> Coverage:
    """Which key terms of `question` the article covers.

    `term_vectors` holds the vectors of terms that are not literally present (the caller
    encodes them together with the question, in one batch); a name is never covered by
    a synonym: "Germany" is close to "Japan" in embedding space but not the same place.
    """
    terms = key_terms(question)
    missing: list[Term] = []
    for term in terms:
        if vocabulary.literal(term.word):
            continue
        if (
            not term.is_name
            and term_vectors is not None
            and vocabulary.vectors is not None
            and term.word in term_vectors
            and float(np.max(vocabulary.vectors @ term_vectors[term.word])) >= synonym_threshold
        ):
            continue
        missing.append(term)
    return Coverage(tuple(terms), tuple(missing), question_focus(question))


# "What is the population of Gyeongju?", "What's the exchange rate of ...": the noun before
# "of" is the very thing asked for. Words that only frame a question are not a focus.
_FOCUS = re.compile(
    r"\bwhat(?:['’]s| is| was| are| were)\s+(?:the\s+)?(?:\w+\s+)?(\w+)\s+(?:of|for|in)\b", re.I
)
_NOT_FOCUS = frozenset(
    [
        "point",
        "purpose",
        "reason",
        "name",
        "meaning",
        "significance",
        "impact",
        "role",
        "goal",
        "aim",
        "result",
        "outcome",
        "effect",
        "story",
        "gist",
        "deal",
        "matter",
        "idea",
        "nature",
        "state",
        "status",
        "issue",
        "thing",
        "part",
        "rest",
        "size",
    ]
)


def question_focus(question: str) -> str | None:
    """The attribute a what-is-the-X-of question asks for, when it has one."""
    match = _FOCUS.search(question)
    if not match:
        return None
    found = words(match.group(1))
    word = found[0] if found else ""
    return word if word and word not in _NOT_FOCUS and word not in STOPWORDS else None


def terms_to_embed(question: str, vocabulary: Vocabulary) -> list[str]:
    """The question's ordinary words that are not literally in the article (to embed)."""
    return [t.word for t in key_terms(question) if not t.is_name and not vocabulary.literal(t.word)]
