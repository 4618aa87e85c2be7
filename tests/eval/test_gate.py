"""The gate: the held-out test split, in hybrid mode, must not fall below eval/thresholds.json.

The thresholds are the honest current figures, raised when the system improves and never
lowered to let a change pass. Run alone with `pytest tests/eval/test_gate.py -s` to see them.
"""

from __future__ import annotations

import pytest

from eval.dataset import default_files, load_questions, select_split
from eval.gate import MAXIMUMS, MINIMUMS, check, describe, load_thresholds
from eval.metrics import summarize
from eval.runner import PipelineSystem, run_systems
from rag.retrieve import Mode


def test_thresholds_are_recorded_with_their_rule() -> None:
    thresholds = load_thresholds()
    assert "never lowered" in thresholds["comment"]
    assert thresholds["split"] == "test" and thresholds["retrieval"] == "hybrid"
    for key in (*MINIMUMS, *MAXIMUMS):
        assert 0.0 <= thresholds[key] <= 1.0, key


@pytest.mark.model
def test_test_split_holds_its_thresholds(eval_pipeline) -> None:
    thresholds = load_thresholds()
    items = select_split(load_questions(default_files()), thresholds["split"])
    system = PipelineSystem(eval_pipeline, Mode(thresholds["retrieval"]))
    (run,) = run_systems([system], items, k=eval_pipeline.retrieval.top_k)
    summary = summarize(run.scores)
    figures = describe(summary)
    print(f"test split, {system.name}, {len(items)} questions:\n{figures}")
    failures = check(summary, thresholds)
    assert not failures, "\n".join(failures) + f"\nfigures now:\n{figures}"
