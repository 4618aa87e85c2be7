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
    """A key term of a question: its word (as the tokenizer reads it), whether it reads as
    a name, the word as the reader typed it, and the name it is part of ("World Cup")."""

    word: str
    is_name: bool
    typed: str = ""
    phrase: str = ""

    @property
    def shown(self) -> str:
        """How to name the term back to the reader: their own words, their own case."""
        return self.phrase or self.typed or self.word


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which key terms the article covers."""

    terms: tuple[Term, ...]
    missing: tuple[Term, ...]
    focus: str | None = None
    role: str | None = None

    @property
    def missing_role(self) -> str | None:
        """The role a who-is-X's-role question asks about ("finance minister") when the article
        never uses one of its words."""
        if self.role is None:
            return None
        absent = {t.word for t in self.missing}
        return self.role if any(w in absent for w in words(self.role)) else None

    @property
    def missing_focus(self) -> str | None:
        """The attribute asked for ("the population of Gyeongju") when the article never uses it."""
        return self.focus if self.focus in {t.word for t in self.missing} else None

    @property
    def missing_focus_shown(self) -> str | None:
        """The missing focus as the reader typed it."""
        focus = self.missing_focus
        return next((t.typed or t.word for t in self.missing if t.word == focus), None)

    @property
    def missing_names(self) -> tuple[Term, ...]:
        """Missing names: the strongest sign the article is about something else."""
        return tuple(t for t in self.missing if t.is_name)

    @property
    def missing_names_shown(self) -> tuple[str, ...]:
        """The missing names as the reader typed them, each whole name once: "World Cup"
        (even when the article has "world"), "Angela Merkel" rather than two words."""
        return tuple(dict.fromkeys(t.shown for t in self.missing_names))


_TERM = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’'-]+")
# One word of a term, split as the tokenizer splits it ("Jae-myung" is two).
_PIECE = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’']+")
_POSSESSIVE = re.compile(r"['’]s$|['’]$")


def _is_name(surface: str, position: int) -> bool:
    """Capitalised after the first word, or in capitals ("UK", "FIFA")."""
    return (position > 0 and surface[:1].isupper() and not surface.isupper()) or (
        surface.isupper() and len(surface) > 1
    )


def _name_phrases(question: str, matches: list[re.Match[str]]) -> dict[int, str]:
    """For each word that reads as a name, the run of names it stands in, as typed."""
    phrases: dict[int, str] = {}
    run: list[int] = []

    def close() -> None:
        if run:
            text = question[matches[run[0]].start() : matches[run[-1]].end()]
            for i in run:
                phrases[i] = _POSSESSIVE.sub("", text)
        run.clear()

    for i, match in enumerate(matches):
        if not _is_name(match.group(), i):
            close()
            continue
        if run and question[matches[run[-1]].end() : match.start()].strip():
            close()
        run.append(i)
        if _POSSESSIVE.search(match.group()):
            close()  # "Korea's president": the name ends at the possessive
    close()
    return phrases


def key_terms(question: str) -> list[Term]:
    """Content words of a question; capitalised words after the first read as names.

    >>> [t.shown for t in key_terms("Who won the World Cup in France?")]
    ['won', 'World Cup', 'World Cup', 'France']
    """
    terms: list[Term] = []
    seen: set[str] = set()
    matches = list(_TERM.finditer(question))
    phrases = _name_phrases(question, matches)
    for position, match in enumerate(matches):
        surface = match.group()
        is_name = _is_name(surface, position)
        for piece in _PIECE.finditer(surface):
            typed = _POSSESSIVE.sub("", piece.group().strip("'’"))
            for word in words(piece.group()):
                if (
                    word in STOPWORDS
                    or word in QUESTION_WORDS
                    or word in seen
                    or (word.isdigit() and len(word) < 2)
                ):
                    continue
                seen.add(word)
                terms.append(Term(word, is_name, typed, phrases.get(position, "")))
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
    return Coverage(tuple(terms), tuple(missing), question_focus(question), question_role(question))


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


# "Who is Japan's finance minister?": a role held by someone the question's possessor names.
# Only this form: "the ruler of China" is often answered by a title the question does not use.
_ROLE = re.compile(
    r"^\W*(?i:who(?:['’]s| is| was| are| were| will be| has been))\s+(?:(?:the|a|an)\s+)?"
    r"(?:[A-Z][\w.-]*\s+)*[A-Z][\w.-]*['’]s\s+(?:(?i:current|new|former|present)\s+)?"
    r"(?P<role>(?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s*\??\s*$"
)


def question_role(question: str) -> str | None:
    """The role a who-is-X's-role question asks about ("transport director"), when it has one."""
    match = _ROLE.search(question.strip())
    return match.group("role") if match else None


def terms_to_embed(question: str, vocabulary: Vocabulary) -> list[str]:
    """The question's ordinary words that are not literally in the article (to embed)."""
    return [t.word for t in key_terms(question) if not t.is_name and not vocabulary.literal(t.word)]
