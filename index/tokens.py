"""The one tokenizer shared by BM25 indexing, BM25 queries and the answerer's term checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from index.normalize import normalize

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’']+", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "also",
        "just",
    ]
)

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a lower-cased word."""
    return _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """Surface words of the reader's form of `text` (see index.normalize), lower-cased,
    apostrophes unified, possessive 's dropped; initialisms kept whole."""
    out: list[str] = []
    for match in _WORD.finditer(normalize(text).translate(_APOSTROPHES)):
        surface = match.group()
        # "US" in capitals is the country, not the pronoun.
        word = "usa" if surface in ("US", "USA") else surface.lower().strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if "." in word:
            word = word.replace(".", "")  # "U.S." -> "us" would collide with the pronoun
            word = {"us": "usa"}.get(word, word)
        if word:
            out.append(word)
    return out


def tokenize(text: str) -> list[str]:
    """Content-word stems: what BM25 indexes and what a query is matched with.

    >>> tokenize("The U.S. Treasury Secretary's remarks")
    ['usa', 'treasuri', 'secretari', 'remark']
    """
    return [stem(w) for w in words(text) if w not in STOPWORDS]


class Terms:
    """A set of tokens indexed by their first four letters, so that matching a longer or
    shorter form of a word looks at a handful of candidates, not the whole set."""

    __slots__ = ("_by_prefix", "tokens")

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = frozenset(tokens)
        by_prefix: dict[str, list[str]] = {}
        for token in self.tokens:
            if len(token) >= 4:
                by_prefix.setdefault(token[:4], []).append(token)
        self._by_prefix = by_prefix

    def matches(self, token: str) -> bool:
        """The token itself, or a longer or shorter form of the same word ("korea" and
        "korean", "america" and "american"), which stemming leaves apart."""
        if token in self.tokens:
            return True
        if len(token) < 4:
            return False
        return any(
            abs(len(other) - len(token)) <= 3
            and (other.startswith(token) or token.startswith(other))
            for other in self._by_prefix.get(token[:4], ())
        )


def token_matches(token: str, present: Iterable[str]) -> bool:
    """Whether `token` or a related form of it is among `present` (see `Terms.matches`)."""
    return Terms(present).matches(token)
