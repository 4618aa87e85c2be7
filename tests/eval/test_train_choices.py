"""The choices `footnote train` makes from out-of-fold predictions, on hand-made examples."""

import numpy as np
import pytest

from eval.dataset import QAItem
from eval.train import Example, choose_abstention


def example(answerable: bool, right: bool) -> Example:
    item = QAItem("q", "?", "a" if answerable else None, ("a",) if answerable else ())
    e = Example("news-dev", item, None, np.zeros(0, dtype=bool))  # type: ignore[arg-type]
    e.top_correct = right
    return e


def test_the_threshold_abstains_on_the_unanswerable_without_refusing_the_answerable():
    examples = [example(True, True)] * 20 + [example(False, False)] * 10
    confidence = np.asarray([0.9] * 20 + [0.1] * 10)
    threshold = choose_abstention(examples, confidence, limit=0.05)
    assert 0.1 < threshold <= 0.9


def test_the_false_abstention_limit_holds():
    # One answerable question looks as unsure as the unanswerable ones.
    examples = [example(True, True)] * 9 + [example(True, True)] + [example(False, False)] * 5
    confidence = np.asarray([0.9] * 9 + [0.1] + [0.1] * 5)
    assert choose_abstention(examples, confidence, limit=0.05) <= 0.1
    assert choose_abstention(examples, confidence, limit=0.2) > 0.1


@pytest.mark.parametrize("limit", [0.0, 0.05])
def test_nothing_to_gain_means_no_abstention(limit):
    examples = [example(True, True)] * 5
    assert choose_abstention(examples, np.asarray([0.5] * 5), limit) == 0.0
