"""The reader's form of text: invisible characters, odd spaces and compatibility forms
fold away, and every character of the view maps back to the original offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.normalize import normalize, normalize_with_offsets

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202a"]
ODD_SPACES = ["\u00a0", "\u2009", "\u3000", "\u202f", "\u2007", "\u2028"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wh\u200bo is South Korea’s president?", "Who is South Korea’s president?"),
        ("\ufeffSeoul", "Seoul"),
        ("capi\u00adtal", "capital"),
        ("South\u00a0Korea\u2009and\u3000Japan", "South Korea and Japan"),
        ("ＡＰＥＣ summit", "APEC summit"),
        ("ﬁrms", "firms"),
        ("Cafe\u0301", "Café"),
        # Superscripts and fractions keep their meaning: not flattened into other numbers.
        ("1½ years, 10² km", "1½ years, 10² km"),
        ("plain text", "plain text"),
        # Full-width punctuation folds; typographic punctuation is left as readers see it.
        ("Wait… what？", "Wait… what?"),
        ("curly “quotes” and — dashes", "curly “quotes” and — dashes"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected
    assert normalize_with_offsets(raw).text == expected


def test_clean_news_text_is_left_as_it_is():
    # Its tokens and vectors must not change: the scorer was trained on them.
    from tests.conftest import ARTICLE

    text = ARTICLE.read_text(encoding="utf-8")
    assert normalize(text) == text
    assert normalize_with_offsets(text).starts == ()


def test_view_spans_map_back_to_the_original_text():
    raw = "Wh\u200bo met ＬＥＥ\u00a0today?"
    view = normalize_with_offsets(raw)
    assert view.text == "Who met LEE today?"
    start = view.text.index("LEE")
    begin, end = view.original_span(start, start + 3)
    assert raw[begin:end] == "ＬＥＥ"
    begin, end = view.original_span(0, 3)
    assert raw[begin:end] == "Wh\u200bo"
    assert view.view_offset(raw.index("met")) == view.text.index("met")


piece = st.one_of(
    st.sampled_from(["Lee", "Seoul", "ﬁrm", "ＡＰＥＣ", "Cafe\u0301", "1½", " ", ".", "“", "”"]),
    st.sampled_from(INVISIBLE),
    st.sampled_from(ODD_SPACES),
    st.text(max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(raw=st.lists(piece, max_size=30).map("".join), data=st.data())
def test_every_view_span_is_the_normalised_original_slice(raw, data):
    view = normalize_with_offsets(raw)
    assert view.text == normalize(raw)
    if not view.text:
        return
    # Spans whose ends fall between the characters of the original (not inside the
    # expansion of one character, such as "ﬁ" -> "fi").
    cuts = [i for i in range(len(view.text) + 1) if _is_cut(view, i)]
    start = data.draw(st.sampled_from(cuts[:-1]))
    end = data.draw(st.sampled_from([c for c in cuts if c > start]))
    begin, finish = view.original_span(start, end)
    assert 0 <= begin < finish <= len(raw)
    assert normalize(raw[begin:finish]) == view.text[start:end]


def _is_cut(view, i: int) -> bool:
    if not view.starts or i in (0, len(view.text)):
        return True
    return view.starts[i] != view.starts[i - 1]


@pytest.mark.model
def test_an_article_with_invisible_characters_is_indexed_as_the_reader_reads_it(embedder):
    from index.build import build_index
    from index.documents import parse_document
    from index.store import BuildConfig

    clean = "Talks Stall\n\nLee met Trump in Gyeongju. The firms pledged $350 billion.\n"
    noisy = (
        "Talks\u00a0Stall\n\n\ufeffLee met Tru\u200bmp in Gyeong\u00adju.\u2009"
        "The ﬁrms pledged\u202f$350 billion.\u2060\n"
    )
    config = BuildConfig()
    plain = build_index([parse_document("a", clean)], embedder, config)
    pasted = build_index([parse_document("a", noisy)], embedder, config)
    document = pasted.documents[0]
    assert [s.text for s in pasted.sentences] == [
        "Lee met Tru\u200bmp in Gyeong\u00adju.",
        "The ﬁrms pledged\u202f$350 billion.",
    ]
    assert all(document.text[s.start : s.end] == s.text for s in pasted.sentences)
    assert pasted.sentence_tokens == plain.sentence_tokens
    assert pasted.chunk_tokens == plain.chunk_tokens
    assert pasted.vocabulary == plain.vocabulary
    assert abs(pasted.sentence_vectors - plain.sentence_vectors).max() < 1e-5
    assert abs(pasted.chunk_vectors - plain.chunk_vectors).max() < 1e-5
