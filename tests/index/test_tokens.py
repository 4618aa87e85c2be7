"""The one tokenizer that BM25 indexing, BM25 queries and the answerer's term checks share."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.documents import load_document
from index.store import BuildConfig
from index.tokens import STOPWORDS, token_matches, tokenize, words
from tests.conftest import ARTICLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The U.S. Treasury Secretary's remarks", ["usa", "treasuri", "secretari", "remark"]),
        ("the USA and the U.S. and the US", ["usa", "usa", "usa"]),
    ],
)
def test_tokenize(text, expected):
    assert tokenize(text) == expected


def test_the_country_never_collides_with_the_pronoun():
    assert "usa" not in tokenize("Tell us about it")
    assert "usa" in tokenize("Tell us about the US")


def test_curly_and_straight_apostrophes_and_possessives_agree():
    assert (
        tokenize("Korea’s president")
        == tokenize("Korea's president")
        == tokenize("Korea president")
    )
    assert words("isn’t") == words("isn't") == ["isn't"]


def test_inflections_share_a_stem():
    assert tokenize("tariffs") == tokenize("tariff")
    assert tokenize("investments invested") == tokenize("investment invest")


def test_stopwords_and_question_words_carry_no_weight():
    assert tokenize("What is it that they would have been doing?") == []
    assert all(w == w.lower() for w in STOPWORDS)


def test_token_matches_related_forms_but_not_short_tokens():
    assert token_matches("korea", {"korean"})
    assert token_matches("american", {"america"})
    assert not token_matches("usa", {"usage"})  # short stems are matched exactly only
    assert not token_matches("trade", {"tradition"})  # too far apart in length


def test_index_and_query_use_the_same_tokens():
    """A question made of a sentence's own words finds all of them among its chunk's tokens."""
    document = load_document(ARTICLE)
    index = build_index([document], None, BuildConfig())
    for chunk, tokens in zip(index.chunks, index.chunk_tokens, strict=True):
        for sid in chunk.sentence_ids:
            sentence = index.sentences[sid]
            assert set(tokenize(sentence.text)) <= set(tokens)
            assert index.sentence_tokens[sid] == tokenize(sentence.text)


def test_invisible_characters_and_odd_spaces_do_not_change_the_tokens():
    clean = "Who is South Korea’s president? The firms met at APEC."
    noisy = "Wh\u200bo is South\u00a0Korea’s presi\u00addent?\u2009The ﬁrms met at ＡＰＥＣ\ufeff."
    assert tokenize(noisy) == tokenize(clean)
    assert words(noisy) == words(clean)
