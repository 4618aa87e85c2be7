r"""Text as a reader means it: invisible characters dropped, odd spaces made plain, and
compatibility forms folded, with a map back to the original offsets.

Text pasted from CMSs, word processors and phones carries characters a reader never sees:
zero-width spaces and joiners, soft hyphens, byte-order marks, bidi marks, no-break and
thin spaces, full-width letters, ligatures. "Wh\u200bo" must be the word "who" to BM25, to
the embedding model and to the answerer's term checks, in questions and in articles alike.

Why a view with offsets and not a rewritten article: a citation is the exact slice
`document.text[start:end]`, and the widget finds it on the newsroom's page by that text.
The page keeps its invisible characters, so the stored article must keep them too. The
splitter therefore reads the normalised view and maps each span back to the original
text; tokens and vectors are computed from the view.

What is folded: every format character (Unicode category Cf: U+200B..U+200F, U+2060..,
U+FEFF, U+00AD, bidi controls), as Unicode's NFKC_Casefold drops default-ignorable code
points; every space separator (Zs: NBSP, U+2009, U+3000, ...; and Zl, Zp) becomes " "
(articles break paragraphs with newlines, which is what the splitter reads); then NFKC,
which turns "ＡＰＥＣ" into "APEC", "？" into "?" and "ﬁ" into "fi". NFKC is not applied
where it changes what a reader reads: superscripts, subscripts and vulgar fractions ("1½"
would become "11⁄2", "10²" would become "102"); nor to typographic punctuation such as
"…", which the splitter reads as it is and which ordinary news text is full of (folding
it would change the vectors of every clean article, for no reader's benefit).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

# Compatibility decompositions that flatten a number's meaning; these keep their form.
_UNSAFE_TAGS = ("<super>", "<sub>", "<fraction>")


_VISIBLE_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2")


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """What one character becomes; "" for an invisible one."""
    category = unicodedata.category(char)
    # Format characters are invisible, except the marks that print (Arabic number signs,
    # end of ayah ...); those outside the Basic Multilingual Plane are left as they are, so
    # the service's schema (which can only name BMP characters) agrees with the answerer.
    if category == "Cf" and char not in _VISIBLE_FORMAT and ord(char) <= 0xFFFF:
        return ""
    if category in ("Zs", "Zl", "Zp"):
        return " "
    decomposition = unicodedata.decomposition(char)
    if decomposition.startswith(_UNSAFE_TAGS):
        return char
    folded = unicodedata.normalize("NFKC", char)
    if decomposition.startswith("<compat>") and not any(c.isalnum() for c in folded):
        return char  # typography, not a pasted artefact: "…" stays, as readers see it
    return folded


class _FoldTable(dict):
    """A `str.translate` table filled on first sight of each character."""

    def __missing__(self, codepoint: int) -> str:
        folded = self[codepoint] = _fold_char(chr(codepoint))
        return folded


_TABLE = _FoldTable()


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The reader's form of a text, and where each of its characters came from.

    `starts[i]` and `ends[i]` are the original offsets of the characters that produced
    `text[i]`; `starts` is empty when the text needed no change (the map is the identity).
    """

    original: str
    text: str
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the view's non-empty span [start, end)."""
        if not self.starts:
            return start, end
        return self.starts[start], self.ends[end - 1]

    def view_offset(self, original: int) -> int:
        """The first view position that comes from original offset `original` or later."""
        if not self.starts:
            return original
        return bisect_left(self.starts, original)


def _is_unchanged(text: str) -> bool:
    return text.isascii() or (
        text.translate(_TABLE) == text and unicodedata.is_normalized("NFC", text)
    )


def normalize_with_offsets(text: str) -> NormalizedText:
    """The reader's form of `text` with the map back to its offsets.

    >>> view = normalize_with_offsets("Wh\\u200bo?")
    >>> view.text, view.original_span(0, 3)
    ('Who', (0, 4))
    """
    if _is_unchanged(text):
        return NormalizedText(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        # A base character and the combining marks after it fold together, so that NFC can
        # compose them ("e" + U+0301 is "é"), and each output character maps to them all.
        j = i + 1
        while j < len(text) and unicodedata.category(text[j]).startswith("M"):
            j += 1
        piece = unicodedata.normalize("NFC", "".join(_fold_char(c) for c in text[i:j]))
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return NormalizedText(text, "".join(out), tuple(starts), tuple(ends))


def normalize(text: str) -> str:
    """The reader's form of `text` (see the module docstring).

    >>> normalize("Ｓｅｏｕｌ\\u00a0is\\u2009the capi\\u00adtal")
    'Seoul is the capital'
    """
    return text if _is_unchanged(text) else normalize_with_offsets(text).text
