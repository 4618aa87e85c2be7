"""`footnote bench` on a small subset: the JSON has every field and sane values (no timing limits)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.bench_report import table
from eval.synthetic import variant, write_corpus
from footnote.cli import main
from index.documents import load_documents
from tests.conftest import ARTICLE

pytestmark = [pytest.mark.model, pytest.mark.http]


@pytest.fixture(scope="module")
def report(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    out = work / "bench.json"
    code = main(
        [
            "bench",
            "--quick",
            "--sections", "latency,http",
            "--questions", "8",
            "--requests", "16",
            "--index", str(index_dir),
            "--work", str(work),
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    return json.loads(out.read_text())


def stats_are_sane(stats: dict) -> None:
    assert set(stats) == {"median", "p95", "p99"}
    assert 0 < stats["median"] <= stats["p95"] <= stats["p99"]


def test_in_process_latency_is_split_into_stages(report):
    latency = report["sections"]["latency"]
    assert latency["questions"] == 8
    runs = latency["runs"]
    assert {"bm25", "hybrid", "bm25_cached", "hybrid_cached"} <= set(runs)
    for run in runs.values():
        assert run["questions"] == 8 and run["errors"] == 0
        stats_are_sane(run["total_ms"])
    hybrid = runs["hybrid"]["stages_ms"]
    assert set(hybrid) == {"encode", "dense", "bm25", "compose"}
    assert hybrid["encode"]["median"] > 0 and hybrid["bm25"]["median"] > 0
    assert runs["bm25"]["stages_ms"]["encode"]["median"] == 0  # the baseline encodes nothing


def test_the_service_is_loaded_over_http_without_errors(report):
    http = report["sections"]["http"]
    for name in ("bm25", "hybrid"):
        service = http[name]
        assert service["c1"]["requests"] == 8
        for level, concurrency in (("c1", 1), ("c8", 8), ("c32", 32)):
            load = service[level]
            assert load["concurrency"] == concurrency
            assert load["errors"] == 0, load["error_kinds"]
            assert load["throughput_per_s"] > 0
            stats_are_sane(load["latency_ms"])
        assert service["memory"]["peak_rss_mb"] > service["memory"]["pss_mb"] / 2 > 0


def test_every_row_stands_beside_its_baseline(report):
    rows = {row["key"]: row for row in report["rows"]}
    for key in ("latency.hybrid.median", "http.hybrid.c1.median", "http.hybrid.c32.throughput"):
        row = rows[key]
        assert row["value"] > 0 and row["baseline"] > 0
        assert row["ratio"] == round(row["value"] / row["baseline"], 2)
        assert row["target"] and isinstance(row["met"], bool)  # reported, never asserted
    assert "BM25 only" in table(report["rows"])
    assert report["machine"]["cpus"] >= 1 and report["commit"] is not None


def test_synthetic_archives_are_variants_not_copies(tmp_path: Path):
    seed = ARTICLE.read_text(encoding="utf-8")
    assert variant(seed, 0) == seed
    assert variant(seed, 3) == variant(seed, 3)  # seeded: the same archive every run
    files = write_corpus(tmp_path, ARTICLE, 4)
    documents = load_documents(files)
    assert len({d.id for d in documents}) == 4
    assert len({d.text for d in documents}) == 4
    assert "Trump" not in documents[1].text and "$350 billion" not in documents[1].text
