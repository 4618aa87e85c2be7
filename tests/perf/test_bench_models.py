"""`footnote bench --models`: the option's parsing and each encoder's rows (no timing limits)."""

from __future__ import annotations

import argparse

import pytest

from eval.bench_models import parse_models
from eval.bench_report import rows, table


def test_models_are_parsed_in_order_without_repeats():
    assert parse_models("mpnet, minilm,mpnet") == ["mpnet", "minilm"]


@pytest.mark.parametrize("text", ["", "minilm,bert"])
def test_unknown_models_name_the_known_ones(text: str):
    with pytest.raises(argparse.ArgumentTypeError, match="use minilm,mpnet"):
        parse_models(text)


def measured(floor: float, answer: float, c1: float, throughput: float) -> dict:
    stats = {"median": answer, "p95": answer * 1.2, "p99": answer * 1.3}
    load = {"throughput_per_s": throughput, "errors": 0, "latency_ms": stats}
    return {
        "encoder_floor_ms": {"median": floor, "p95": floor * 1.1, "p99": floor * 1.2},
        "answer": {"total_ms": stats},
        "beyond_encoding_median_ms": answer - floor,
        "http": {
            "c1": {"latency_ms": {"median": c1}},
            "c32": load,
            "memory": {"peak_rss_mb": 300.0},
        },
    }


def test_each_model_is_judged_by_the_same_targets():
    report = {
        "sections": {
            "models": {
                "models": {
                    "minilm": measured(4.0, 6.5, 9.0, 120.0),
                    "mpnet": measured(45.0, 49.0, 70.0, 25.0),
                }
            }
        }
    }
    by_key = {row["key"]: row for row in rows(report)}
    assert by_key["models.minilm.c1.median"]["met"] is True
    assert by_key["models.mpnet.c1.median"]["met"] is False  # 70 ms > 60 ms
    assert by_key["models.mpnet.c32.throughput"]["met"] is False
    assert by_key["models.minilm.beyond_encoding"]["met"] is True  # 2.5 ms
    assert by_key["models.mpnet.answer.median"]["ratio"] == round(49.0 / 45.0, 2)
    assert "mpnet: /chat median, one at a time (vs floor)" in table(rows(report))
