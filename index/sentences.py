"""Sentences with exact character offsets, and the sections (subheadings) they sit under.

Why our own splitter: the libraries we tried either lose exact offsets (they normalise
whitespace or quotes) or split news text in the wrong places: after initialisms such as
"U.S. Treasury", between a quote and its attribution, or at an ellipsis inside a quote.
Every sentence we cite must be the exact slice `document.text[start:end]`, so the splitter
works on offsets from the start and never rewrites text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.documents import Document
from index.normalize import normalize_with_offsets

# 2: boundaries are found in the reader's form of the text (index.normalize), so invisible
# characters and odd spaces no longer hide or fake a boundary; tokens are of that form too.
SPLITTER_VERSION = 2

_TERMINATOR = re.compile(r"(?:\.\.\.|[.!?…])+[\"”’')\]]*")
_OPEN_QUOTES = "“‘"
_CLOSE_QUOTES = "”’"
_QUOTE_CHARS = '“”"'
_NEXT_START = re.compile(r"[\"“‘'(\[]?[A-Z0-9$£€]")
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "st",
        "jr",
        "sr",
        "rev",
        "hon",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "fr",
        "pres",
    ]
)
_OTHER_ABBREVIATIONS = frozenset(
    [
        "inc",
        "corp",
        "co",
        "ltd",
        "vs",
        "etc",
        "no",
        "nos",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "est",
    ]
)
_INITIALISM = re.compile(r"(?:\b|^)(?:[A-Za-z]\.){2,}$")
_SINGLE_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")
# Words that start a new sentence after an initialism ("... in the U.S. The talks ...");
# any other capitalised word after "U.S." continues the sentence ("U.S. Treasury").
_SENTENCE_OPENERS = frozenset(
    [
        "the",
        "a",
        "an",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "its",
        "our",
        "in",
        "on",
        "at",
        "as",
        "for",
        "if",
        "when",
        "while",
        "after",
        "before",
        "however",
        "still",
        "meanwhile",
        "there",
        "then",
        "instead",
        "now",
        "still",
        "some",
        "many",
        "most",
        "no",
        "not",
        "one",
        "two",
        "officials",
    ]
)
_SPEECH_VERBS = (
    "said|says|warned|warns|added|adds|told|asked|noted|explained|argued|conceded|declared|"
    "wrote|insisted|replied|stated|continued|recalled|joked|admitted|claimed|cautioned|urged"
)
_ATTRIBUTION = re.compile(
    rf"^(?:(?:[A-Z][\w’'.-]*\s*){{1,4}}|he|she|they|we|it)\s+(?:{_SPEECH_VERBS})\b[^.!?]{{0,60}}[.!?]$"
    rf"|^(?:{_SPEECH_VERBS})\s+(?:[A-Z][\w’'.-]*\s*){{1,4}}[^.!?]{{0,60}}[.!?]$",
    re.IGNORECASE,
)
_HEADING_MAX_WORDS = 14


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: `document.text[start:end] == text` always holds."""

    id: int
    doc_id: str
    text: str
    start: int
    end: int
    section: str | None


@dataclass(frozen=True, slots=True)
class Paragraph:
    start: int
    end: int
    is_heading: bool


def paragraphs(text: str, start: int = 0) -> Iterator[Paragraph]:
    """Non-empty lines of `text` from `start`, trimmed, each flagged when it is a subheading."""
    for match in re.finditer(r"[^\n]+", text[start:]):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        begin = start + match.start() + lead
        yield Paragraph(begin, begin + len(stripped), is_heading(stripped))


def is_heading(line: str) -> bool:
    """A subheading: a short line that does not end like a sentence."""
    if line[-1] in '.!?…"”’:;,)':
        return False
    words = line.split()
    if not words or len(words) > _HEADING_MAX_WORDS:
        return False
    capitalised = sum(1 for w in words if w[0].isupper() or not w[0].isalpha())
    return capitalised / len(words) >= 0.5


def _word_before(text: str, pos: int) -> str:
    match = re.search(r"(\S+)$", text[:pos])
    return match.group(1) if match else ""


def _next_word(text: str, pos: int) -> str:
    match = re.match(r"\s*[\"“‘'(\[]?([\w’']+)", text[pos:])
    return match.group(1) if match else ""


def _quote_depth(text: str, pos: int) -> int:
    opens = sum(text.count(q, 0, pos) for q in _OPEN_QUOTES if q == "“")
    closes = text.count("”", 0, pos)
    straight = text.count('"', 0, pos) % 2
    return max(0, opens - closes) + straight


def _is_boundary(text: str, term_start: int, term_end: int) -> bool:
    after = text[term_end:]
    gap = len(after) - len(after.lstrip())
    if gap == 0 and after:
        return False
    if after and not _NEXT_START.match(after[gap:]):
        return False
    mark = text[term_start:term_end].rstrip("\"”’')]")
    if mark in ("…", "...") or mark.endswith(("…", "...")):
        # An ellipsis inside a quotation marks an omission, not the end of the sentence.
        return _quote_depth(text, term_start) == 0
    if mark == ".":
        word = _word_before(text, term_start + 1)
        bare = word.strip("\"“‘'(").rstrip(".").lower()
        if bare in _TITLES or _SINGLE_INITIAL.search(" " + word):
            return False
        if bare in _OTHER_ABBREVIATIONS and not after.strip():
            return True
        if bare in _OTHER_ABBREVIATIONS:
            return _next_word(text, term_end).lower() in _SENTENCE_OPENERS
        if _INITIALISM.search(word.strip("\"“‘'(")):
            return _next_word(text, term_end).lower() in _SENTENCE_OPENERS
    return True


def _spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans inside one paragraph [start, end)."""
    segment_start = start
    for match in _TERMINATOR.finditer(text, start, end):
        if match.end() >= end:
            break
        if _is_boundary(text[:end], match.start(), match.end()):
            yield segment_start, match.end()
            rest = text[match.end() : end]
            segment_start = match.end() + len(rest) - len(rest.lstrip())
    if segment_start < end:
        yield segment_start, end


def _merge_attributions(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join a quotation to a short attribution that follows it ("… do it.” Lee said.")."""
    merged: list[tuple[int, int]] = []
    for span in spans:
        if merged:
            prev_start, prev_end = merged[-1]
            follows_quote = text[prev_end - 1] in _CLOSE_QUOTES + '"'
            piece = text[span[0] : span[1]]
            if follows_quote and len(piece.split()) <= 8 and _ATTRIBUTION.match(piece):
                merged[-1] = (prev_start, span[1])
                continue
        merged.append(span)
    return merged


def split_sentences(document: Document) -> list[Sentence]:
    """Split a document's body into sentences; subheadings become their `section`.

    The headline is the document's title and is not a sentence. Boundaries are found in
    the reader's form of the text (no zero-width or odd spaces to confuse them), and each
    span is mapped back, so `document.text[start:end] == text` still holds exactly.
    """
    original = document.text
    view = normalize_with_offsets(original)
    text = view.text
    sentences: list[Sentence] = []
    section: str | None = None
    for para in paragraphs(text, view.view_offset(document.body_start)):
        if para.is_heading:
            begin, finish = view.original_span(para.start, para.end)
            section = original[begin:finish]
            continue
        spans = _merge_attributions(text, list(_spans(text, para.start, para.end)))
        for view_begin, view_finish in spans:
            begin, finish = view.original_span(view_begin, view_finish)
            sentences.append(
                Sentence(
                    id=len(sentences),
                    doc_id=document.id,
                    text=original[begin:finish],
                    start=begin,
                    end=finish,
                    section=section,
                )
            )
    return sentences
