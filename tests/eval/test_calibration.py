"""Calibration: is the first citation's score a probability?"""

import pytest

from eval.dataset import QAItem
from eval.metrics import Calibration, Observation, calibration, score


def test_a_perfectly_calibrated_set_has_no_error():
    confidences = [0.25] * 4 + [0.75] * 4
    correct = [True, False, False, False, True, True, True, False]
    error, table = calibration(confidences, correct, bins=4)
    assert error == pytest.approx(0.0)
    assert [b.count for b in table] == [0, 4, 0, 4]


def test_an_overconfident_set_shows_its_gap():
    error, table = calibration([0.9] * 10, [True] * 5 + [False] * 5, bins=10)
    assert error == pytest.approx(0.4)
    assert table[9].accuracy == pytest.approx(0.5)


def test_edges_empty_and_one():
    assert calibration([], [])[0] is None
    error, table = calibration([1.0], [True], bins=5)
    assert error == 0.0 and table[-1].count == 1
    with pytest.raises(ValueError):
        calibration([0.5], [])


def test_unanswerable_questions_count_as_not_right():
    answerable = QAItem("a", "How much?", "$5", ("costs $5",))
    unanswerable = QAItem("u", "Who?", None, ())
    scores = [
        score(answerable, Observation(True, "x", ("It costs $5.",), confidence=0.8), k=6),
        score(
            unanswerable, Observation(False, "x", related=("It costs $5.",), confidence=0.2), k=6
        ),
    ]
    assert [s.top_right for s in scores] == [True, False]
    result = Calibration.of(scores, bins=10)
    assert result.n == 2
    assert result.error == pytest.approx((0.2 + 0.2) / 2)
