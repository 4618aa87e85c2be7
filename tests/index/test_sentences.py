"""The sentence splitter: exact offsets always, and the article's hard cases right.

Offline and fast: no model, no index.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.documents import Document, load_document, parse_document
from index.normalize import normalize
from index.sentences import Sentence, is_heading, split_sentences
from tests.conftest import ARTICLE

SUBHEADINGS = [
    "A Stark Contrast to Japan’s Warm Welcome",
    "Lingering Shadows: Immigration Raid and Visa Woes",
    "Broader Horizons: China, North Korea Loom Large",
]


@pytest.fixture(scope="module")
def article() -> Document:
    return load_document(ARTICLE)


@pytest.fixture(scope="module")
def sentences(article: Document) -> list[Sentence]:
    return split_sentences(article)


def heading_lines(document: Document) -> list[tuple[int, int, str]]:
    """(start, end, text) of every body line the splitter reads as a subheading."""
    found = []
    for match in re.finditer(r"[^\n]+", document.text[document.body_start :]):
        line = match.group().strip()
        if line and is_heading(line):
            start = document.body_start + match.start() + match.group().index(line)
            found.append((start, start + len(line), line))
    return found


def assert_well_formed(document: Document, sentences: list[Sentence]) -> None:
    """The splitter's invariants, for any document."""
    text = document.text
    for number, sentence in enumerate(sentences):
        assert sentence.id == number
        assert sentence.doc_id == document.id
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text, "empty sentence"
        assert sentence.text == sentence.text.strip(), f"unstripped: {sentence.text!r}"
        assert sentence.start >= document.body_start, "the headline is not a sentence"
    for before, after in itertools.pairwise(sentences):
        assert before.end <= after.start, f"out of order or overlapping: {before} {after}"

    # Every non-space character of the body is in a sentence, unless its line is a subheading.
    headings = heading_lines(document)
    covered = bytearray(len(text))
    for sentence in sentences:
        covered[sentence.start : sentence.end] = b"\x01" * (sentence.end - sentence.start)
    for start, end, _ in headings:
        covered[start:end] = b"\x01" * (end - start)
    lost = [
        (i, text[i])
        for i in range(document.body_start, len(text))
        if not text[i].isspace() and not covered[i]
    ]
    assert not lost, f"characters in no sentence: {lost[:10]}"

    # Each sentence sits under the last subheading above it, and no sentence is a subheading.
    for sentence in sentences:
        above = [line for start, _, line in headings if start < sentence.start]
        assert sentence.section == (above[-1] if above else None)
        assert all(not (s <= sentence.start < e) for s, e, _ in headings)


def containing(sentences: list[Sentence], fragment: str) -> Sentence:
    matches = [s for s in sentences if fragment in s.text]
    assert len(matches) == 1, f"{fragment!r} is in {len(matches)} sentences"
    return matches[0]


# -- the article ---------------------------------------------------------------------------


def test_article_sentences_are_exact_ordered_slices_covering_the_body(article, sentences):
    assert len(sentences) > 40
    assert_well_formed(article, sentences)


def test_initialism_does_not_end_a_sentence(sentences):
    bessent = containing(sentences, "Treasury Secretary Scott Bessent")
    assert bessent.text.startswith("U.S. Treasury Secretary Scott Bessent")
    assert bessent.text.endswith("“a lot of details to work out.”")
    # ... while "U.S." before an ordinary word is not a boundary either.
    carrier = containing(sentences, "aircraft carrier")
    assert "U.S. aircraft carrier to address troops" in carrier.text


def test_quote_and_its_attribution_are_one_sentence(sentences):
    quote = containing(sentences, "Our companies will hesitate")
    assert (
        quote.text == "“Our companies will hesitate unless the visa system improves,” Lee warned."
    )


def test_ellipsis_inside_a_quote_does_not_end_the_sentence(sentences):
    quote = containing(sentences, "Establishing a local factory")
    assert "disadvantages… They will wonder" in quote.text
    assert quote.text.endswith("whether they should even do it.”")
    spoken = containing(sentences, "protectionism and nationalism are on the rise…")
    assert spoken.text.endswith("may sound hollow,” he said.")


def test_subheadings_are_sections_not_sentences(sentences):
    texts = [s.text for s in sentences]
    for heading in SUBHEADINGS:
        assert heading not in texts
        assert all(heading not in t for t in texts)
    sections = [s.section for s in sentences]
    # Sections appear in the article's order, each over a run of sentences.
    assert [k for i, k in enumerate(sections) if i == 0 or sections[i - 1] != k] == [
        None,
        *SUBHEADINGS,
    ]
    assert containing(sentences, "Lee assumed office in June").section == SUBHEADINGS[1]
    assert containing(sentences, "Trump’s visit to Japan earlier").section == SUBHEADINGS[0]
    assert containing(sentences, "The wildcard remains North Korea.").section == SUBHEADINGS[2]
    assert containing(sentences, "At the heart of the impasse").section is None


def test_headline_is_the_title_not_a_sentence(article, sentences):
    headline = ARTICLE.read_text(encoding="utf-8").splitlines()[0]
    assert article.title == headline
    assert all(s.start >= article.body_start for s in sentences)
    assert all("Hits Snag" not in s.text for s in sentences)
    assert sentences[0].text.startswith("GYEONGJU, South Korea — President Donald Trump’s")


# -- hand-made cases -----------------------------------------------------------------------


def split(body: str, headline: str = "A Headline") -> list[str]:
    document = parse_document("hand-made", f"{headline}\n\n{body}\n")
    found = split_sentences(document)
    assert_well_formed(document, found)
    return [s.text for s in found]


def test_quote_ending_with_a_period_joins_a_short_attribution():
    assert split("“We will do it.” Lee said. The talks went on.") == [
        "“We will do it.” Lee said.",
        "The talks went on.",
    ]


def test_a_quote_followed_by_a_full_sentence_stays_apart():
    assert split("“We will do it.” The minister left the room early on Monday.") == [
        "“We will do it.”",
        "The minister left the room early on Monday.",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Mr. Lee met Dr. Kim. They spoke.", ["Mr. Lee met Dr. Kim.", "They spoke."]),
        ("He flew to the U.S. The talks began.", ["He flew to the U.S.", "The talks began."]),
        ("Wait... What happened? Nobody knew!", ["Wait...", "What happened?", "Nobody knew!"]),
        ("Growth slowed—sharply. Exports fell.", ["Growth slowed—sharply.", "Exports fell."]),
        ("He paid $3.5 billion. Then he left.", ["He paid $3.5 billion.", "Then he left."]),
    ],
)
def test_hand_made_boundaries(body, expected):
    assert split(body) == expected


def test_sentences_never_cross_a_line():
    assert split("First paragraph without a stop\nSecond paragraph.") == [
        "First paragraph without a stop",
        "Second paragraph.",
    ]


def test_crlf_sources_keep_exact_offsets():
    document = parse_document("crlf", "Title\r\n\r\nOne sentence. Another one.\r\nMore here.\r\n")
    found = split_sentences(document)
    assert [s.text for s in found] == ["One sentence.", "Another one.", "More here."]
    assert_well_formed(document, found)


# -- generated texts -------------------------------------------------------------------------

WORDS = ["Trump", "Lee", "talks", "the", "deal", "tariff", "Seoul", "billion", "$350", "15%"]
ABBREVIATIONS = ["U.S.", "Mr.", "Dr.", "Inc.", "Jan.", "No.", "e.g.", "A."]
PUNCTUATION = [".", "?", "!", ",", ":", ";", "…", "...", "—", " — ", "-"]
QUOTES = ["“", "”", '"', "‘", "’", "'", "(", ")"]
SPACES = [" ", " ", " ", "  ", "\t", "\u00a0", "\n", "\n\n"]

piece = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(ABBREVIATIONS),
    st.sampled_from(PUNCTUATION),
    st.sampled_from(QUOTES),
    st.sampled_from(SPACES),
    st.sampled_from(WORDS).map(str.lower),
)
heading = st.lists(st.sampled_from([*WORDS, "Visa", "Woes:", "And"]), min_size=1, max_size=6).map(
    " ".join
)
paragraph = st.lists(piece, min_size=1, max_size=40).map("".join)
body = st.lists(st.one_of(paragraph, heading), min_size=1, max_size=8).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(headline=heading, body=body)
def test_generated_news_text_keeps_every_invariant(headline, body):
    document = parse_document("generated", f"{headline}\n{body}")
    assert_well_formed(document, split_sentences(document))


@settings(max_examples=300, deadline=None)
@given(raw=st.text(alphabet="aZ .?!…“”\"'’\n\r\t—$5U.S", min_size=1, max_size=80))
def test_arbitrary_text_keeps_every_invariant(raw):
    if not raw.strip():
        return  # an empty source is refused by parse_document, tested in test_store
    document = parse_document("arbitrary", raw)
    assert_well_formed(document, split_sentences(document))


# -- invisible characters, odd spaces, compatibility forms ---------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e"]
ODD_SPACES = ["\u00a0", "\u2009", "\u3000", "\u202f"]
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@st.composite
def noisy(draw, text: str) -> str:
    """`text` as a CMS or a phone pastes it: invisible characters anywhere, odd spaces for
    some spaces, full-width forms for some characters."""
    out = []
    for char in text:
        if char == " " and draw(st.booleans()):
            char = draw(st.sampled_from(ODD_SPACES))
        elif char in FULL_WIDTH and draw(st.integers(0, 9)) == 0:
            char = FULL_WIDTH[char]
        out.append(char)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


def assert_exact(document: Document, sentences: list[Sentence]) -> None:
    for number, sentence in enumerate(sentences):
        assert sentence.id == number
        assert document.text[sentence.start : sentence.end] == sentence.text
        assert sentence.start >= document.body_start
    for before, after in itertools.pairwise(sentences):
        assert before.end <= after.start


@settings(max_examples=300, deadline=None)
@given(data=st.data(), headline=heading, body=body)
def test_invisible_characters_keep_offsets_exact_and_sentences_unchanged(data, headline, body):
    raw = f"{headline}\n{body}"
    dirty = parse_document("noisy", data.draw(noisy(raw)))
    found = split_sentences(dirty)
    assert_exact(dirty, found)
    # The same sentences, sections and boundaries as the article without the noise.
    clean = parse_document("clean", normalize(dirty.text))
    expected = split_sentences(clean)
    assert [normalize(s.text) for s in found] == [s.text for s in expected]
    assert [s.section and normalize(s.section) for s in found] == [s.section for s in expected]


def test_a_zero_width_space_after_a_stop_still_ends_the_sentence():
    document = parse_document(
        "zw", "Title\n\nLee spoke.\u200b Trump\u00a0left.\u2060\n\u200bKim waited.\ufeff\n"
    )
    found = split_sentences(document)
    assert [s.text for s in found] == ["Lee spoke.", "Trump\u00a0left.", "Kim waited."]
    assert_exact(document, found)
