"""The scorer's features on hand-made cases whose values are known."""

import numpy as np
import pytest

from rag.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    QuestionSignals,
    SentenceSignals,
    question_row,
    sentence_rows,
    word_match,
)


def signals(dense=0.5, lexical=0.5, type_match=0.0, matches=None, position=0.5, **kw):
    return SentenceSignals(
        dense=dense,
        context=kw.get("context", dense),
        passage=kw.get("passage", 1.0),
        lexical=lexical,
        anchored=0.0,
        type_asked=kw.get("type_asked", False),
        type_match=type_match,
        word_matches=None if matches is None else np.asarray(matches, dtype=np.float32),
        position=position,
        length=kw.get("length", 100),
        repeated=False,
        adjacent=False,
    )


QUESTION = QuestionSignals(
    missing_names=0,
    missing_focus=False,
    missing_words=0,
    absent_person=False,
    type_asked=True,
    followup=False,
)


def column(name):
    return SENTENCE_FEATURES.index(name)


def test_word_match_takes_each_question_words_best_token():
    words = np.eye(4, dtype=np.float32)[:2]  # two question words
    tokens = np.asarray([[0.6, 0.8, 0, 0], [0, 0, 1, 0]], dtype=np.float32)
    assert word_match(words, tokens).tolist() == pytest.approx([0.6, 0.8])
    assert word_match(words, np.zeros((0, 4))).tolist() == [0.0, 0.0]
    assert word_match(np.zeros((0, 4)), tokens).shape == (0,)


def test_sentence_rows_are_relative_to_the_best_candidate():
    rows = sentence_rows([signals(dense=0.8, lexical=0.2), signals(dense=0.5, lexical=0.6)])
    assert rows.shape == (2, len(SENTENCE_FEATURES))
    assert rows[0, column("dense_gap")] == 0.0
    assert rows[1, column("dense_gap")] == pytest.approx(-0.3)
    assert rows[0, column("lexical_gap")] == pytest.approx(-0.4)
    assert rows[1, column("lexical_gap")] == 0.0


def test_sentence_rows_word_columns_and_lede():
    rows = sentence_rows(
        [signals(matches=[0.9, 0.3], position=0.0), signals(matches=None, position=1.0)]
    )
    assert rows[0, column("word_min")] == pytest.approx(0.3)
    assert rows[0, column("word_mean")] == pytest.approx(0.6)
    assert rows[1, column("word_mean")] == 0.0  # no token vectors: no word evidence
    assert rows[0, column("lede")] == 1.0 and rows[1, column("lede")] == 0.0
    assert sentence_rows([]).shape == (0, len(SENTENCE_FEATURES))


def test_question_row_worst_word_looks_at_the_best_three_sentences_only():
    cands = [
        signals(matches=[0.9, 0.1]),
        signals(matches=[0.2, 0.7]),
        signals(matches=[0.1, 0.2]),
        signals(matches=[0.1, 0.99]),  # the lowest logit: ignored
    ]
    rows = sentence_rows(cands)
    logits = np.asarray([3.0, 2.0, 1.0, -5.0])
    row = question_row(logits, rows, [c.word_matches for c in cands], QUESTION)
    assert row.shape == (len(QUESTION_FEATURES),)
    assert row[QUESTION_FEATURES.index("worst_word")] == pytest.approx(0.7)
    assert row[QUESTION_FEATURES.index("margin")] == pytest.approx(1.0)
    assert row[QUESTION_FEATURES.index("top_logit")] == pytest.approx(3.0)


def test_question_row_says_when_no_close_sentence_has_the_asked_for_type():
    typed = [signals(type_match=0.0), signals(type_match=0.0)]
    rows = sentence_rows(typed)
    row = question_row(np.asarray([1.0, 0.0]), rows, [None, None], QUESTION)
    assert row[QUESTION_FEATURES.index("type_unmet")] == 1.0
    typed = [signals(type_match=0.0), signals(type_match=1.0)]
    row = question_row(np.asarray([1.0, 0.0]), sentence_rows(typed), [None, None], QUESTION)
    assert row[QUESTION_FEATURES.index("type_unmet")] == 0.0


def test_question_row_without_candidates_is_a_sure_no():
    row = question_row(np.zeros(0), sentence_rows([]), [], QUESTION)
    assert row[QUESTION_FEATURES.index("top_logit")] < -5
