"""The gate: the test split's figures must not drop below the thresholds in eval/thresholds.json.

The thresholds are the honest current figures (rounded down for noise); they are raised
when the system improves and never lowered to let a change pass.

    failures = check(summarize(scores), load_thresholds())
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import Summary

THRESHOLDS = Path(__file__).parent / "thresholds.json"
MINIMUMS = ("hit_at_1", "hit_at_any", "abstention_precision", "abstention_recall")
MAXIMUMS = {"false_abstention_rate_max": "false_abstention_rate"}


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, Any]:
    """The recorded thresholds; every gated figure must be present."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = [k for k in (*MINIMUMS, *MAXIMUMS) if not isinstance(data.get(k), int | float)]
    if missing:
        raise ValueError(f"{path}: missing numeric threshold(s) {', '.join(missing)}")
    return data


def check(summary: Summary, thresholds: dict[str, Any]) -> list[str]:
    """Every gated figure that is worse than its threshold (n/a counts as worse)."""
    failures = []
    for key in MINIMUMS:
        rate = getattr(summary, key)
        if rate.value is None or rate.value < thresholds[key]:
            failures.append(f"{key} {rate} is below its threshold {thresholds[key]:.2f}")
    for limit, key in MAXIMUMS.items():
        rate = getattr(summary, key)
        if rate.value is None or rate.value > thresholds[limit]:
            failures.append(f"{key} {rate} is above its maximum {thresholds[limit]:.2f}")
    return failures


def describe(summary: Summary) -> str:
    """The gated figures on one line each, with their counts."""
    keys = (*MINIMUMS, *MAXIMUMS.values())
    return "\n".join(f"  {key}: {getattr(summary, key)}" for key in keys)
