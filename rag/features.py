"""Features: named rows of numbers that the learned scorer reads.

Two kinds of row, both pure functions of what the pipeline already computed:

- one per candidate sentence (`sentence_rows`): how well it matches the question in meaning,
  in words and word by word, whether it holds the kind of thing asked for, where it sits;
  relative columns (`*_gap`) compare it with the best candidate of the same question, so that
  one linear model can rank sentences of questions whose scores live on different scales;
- one per question (`question_row`): how sure the best sentence is, and the signs that the
  article does not answer at all (a name it never mentions, a figure it never gives, a
  question word nothing in the closest sentences matches).

>>> import numpy as np
>>> word_match(np.eye(3)[:2], np.eye(3)[[1]])
array([0., 1.], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SENTENCE_FEATURES: tuple[str, ...] = (
    "dense",
    "dense_gap",
    "context",
    "context_gap",
    "passage",
    "lexical",
    "lexical_gap",
    "anchored",
    "type_asked",
    "type_match",
    "type_gap",
    "word_min",
    "word_mean",
    "word_mean_gap",
    "position",
    "lede",
    "log_length",
    "repeated",
    "adjacent",
)

QUESTION_FEATURES: tuple[str, ...] = (
    "top_logit",
    "margin",
    "top_dense",
    "top_lexical",
    "worst_word",
    "mean_word",
    "missing_names",
    "missing_focus",
    "missing_words",
    "absent_person",
    "type_unmet",
    "followup",
)


@dataclass(frozen=True, slots=True)
class SentenceSignals:
    """What the pipeline measured for one candidate sentence (inputs to `sentence_rows`)."""

    dense: float
    context: float
    passage: float
    lexical: float
    anchored: float
    type_asked: bool
    type_match: float
    word_matches: np.ndarray | None  # per content word of the question: its best match here
    position: float  # 0 for the article's first sentence, 1 for its last
    length: int
    repeated: bool
    adjacent: bool


@dataclass(frozen=True, slots=True)
class QuestionSignals:
    """What the pipeline knows about the question as a whole (inputs to `question_row`)."""

    missing_names: int
    missing_focus: bool
    missing_words: int
    absent_person: bool
    type_asked: bool
    followup: bool


def word_match(question_words: np.ndarray, sentence_tokens: np.ndarray) -> np.ndarray:
    """For each question word vector, its best cosine with any token vector of a sentence.

    Rows are unit vectors; an empty sentence matches nothing (0).
    """
    if len(question_words) == 0:
        return np.zeros(0, dtype=np.float32)
    if len(sentence_tokens) == 0:
        return np.zeros(len(question_words), dtype=np.float32)
    similarity = question_words @ np.asarray(sentence_tokens, dtype=np.float32).T
    return similarity.max(axis=1).astype(np.float32)


def sentence_rows(signals: Sequence[SentenceSignals]) -> np.ndarray:
    """One row of `SENTENCE_FEATURES` per candidate, in the order given."""
    if not signals:
        return np.zeros((0, len(SENTENCE_FEATURES)), dtype=np.float32)
    word_min = [_stat(s.word_matches, np.min) for s in signals]
    word_mean = [_stat(s.word_matches, np.mean) for s in signals]
    best_dense = max(s.dense for s in signals)
    best_context = max(s.context for s in signals)
    best_lexical = max(s.lexical for s in signals)
    best_type = max(s.type_match for s in signals)
    best_word = max(word_mean)
    rows = [
        (
            s.dense,
            s.dense - best_dense,
            s.context,
            s.context - best_context,
            s.passage,
            s.lexical,
            s.lexical - best_lexical,
            s.anchored,
            float(s.type_asked),
            s.type_match,
            s.type_match - best_type,
            mn,
            mean,
            mean - best_word,
            s.position,
            float(s.position == 0.0),
            math.log1p(s.length) / 6.0,
            float(s.repeated),
            float(s.adjacent),
        )
        for s, mn, mean in zip(signals, word_min, word_mean, strict=True)
    ]
    return np.asarray(rows, dtype=np.float32)


def question_row(
    logits: np.ndarray,
    rows: np.ndarray,
    word_matches: Sequence[np.ndarray | None],
    signals: QuestionSignals,
    top: int = 3,
) -> np.ndarray:
    """The `QUESTION_FEATURES` of one question, given its candidates' sentence logits and rows.

    The word columns take, for each content word, its best match among the `top` sentences
    the scorer likes best, then the worst of those: one word nothing near the answer says
    ("weather") is the sign of a question the article does not answer.
    """
    if len(logits) == 0:
        return np.asarray(
            [-10.0, 0.0, 0.0, 0.0, 0.0, 0.0, *_question_flags(signals, signals.type_asked)],
            dtype=np.float32,
        )
    order = np.argsort(-logits, kind="stable")
    best = int(order[0])
    margin = float(logits[best] - logits[order[1]]) if len(order) > 1 else 5.0
    column = SENTENCE_FEATURES.index
    matched = [word_matches[i] for i in order[:top] if word_matches[i] is not None]
    if matched and len(matched[0]):
        per_word = np.max(np.stack(matched), axis=0)
        worst, mean = float(per_word.min()), float(per_word.mean())
    else:
        worst = mean = 0.0
    type_unmet = signals.type_asked and not np.any(rows[order[:top], column("type_match")] > 0)
    return np.asarray(
        [
            float(logits[best]),
            min(margin, 5.0),
            float(rows[best, column("dense")]),
            float(rows[best, column("lexical")]),
            worst,
            mean,
            *_question_flags(signals, type_unmet),
        ],
        dtype=np.float32,
    )


def _question_flags(signals: QuestionSignals, type_unmet: bool) -> tuple[float, ...]:
    return (
        float(min(signals.missing_names, 2)),
        float(signals.missing_focus),
        float(min(signals.missing_words, 3)),
        float(signals.absent_person),
        float(type_unmet),
        float(signals.followup),
    )


def _stat(values: np.ndarray | None, reduce) -> float:
    return float(reduce(values)) if values is not None and len(values) else 0.0
