"""The benchmark's table: every figure beside its BM25-only baseline, the ratio, the target.

The targets are the issue's, on a 2-core machine, warm, one article; they are reported
(met or missed), never asserted: absolute times on a shared machine drift.
"""

from __future__ import annotations

from typing import Any

from eval.bench_stores import store_rows
from eval.bench_updates import update_rows

TARGETS = {
    "latency.hybrid.median": ("< 10 ms", lambda v: v < 10),
    "latency.hybrid.p95": ("< 20 ms", lambda v: v < 20),
    "http.hybrid.c1.median": ("< 15 ms", lambda v: v < 15),
    "http.hybrid.c32.throughput": (">= 100/s", lambda v: v >= 100),
    "http.hybrid.c32.errors": ("0", lambda v: v == 0),
    "cold.ask.hybrid": ("< 5 s", lambda v: v < 5),
    "cold.serve.hybrid.ready": ("< 2 s", lambda v: v < 2),
    "http.hybrid.peak_rss": ("< 600 MB", lambda v: v < 600),
    "latency.scale.hybrid.median": ("< 30 ms", lambda v: v < 30),
}
# Issue 10's targets for whichever encoder serves: each model's row shows whether it could.
MODEL_TARGETS = {
    "beyond_encoding": ("<= 3 ms", lambda v: v <= 3),
    "c1.median": ("<= 60 ms", lambda v: v <= 60),
    "c32.throughput": (">= 30/s", lambda v: v >= 30),
    "c32.errors": ("0", lambda v: v == 0),
}


class _Rows:
    """Collects rows; each names its figure, value, baseline and unit."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, key: str, figure: str, value: Any, baseline: Any, unit: str) -> None:
        ratio = round(value / baseline, 2) if value is not None and baseline else None
        model_target = (
            MODEL_TARGETS.get(key.split(".", 2)[-1]) if key.startswith("models.") else None
        )
        target, check = TARGETS.get(key) or model_target or (None, None)
        self.rows.append(
            {
                "key": key,
                "figure": figure,
                "value": value,
                "baseline": baseline,
                "ratio": ratio,
                "unit": unit,
                "target": target,
                "met": bool(check(value)) if check and value is not None else None,
            }
        )


def _cold(out: _Rows, cold: dict[str, Any]) -> None:
    ask, serve = cold["ask"], cold["serve"]
    for name in ("hybrid", "hybrid_torch"):
        bm25 = ask["bm25"]
        out.add(f"cold.ask.{name}", f"first answer from process start ({name})",
                ask[name]["seconds"], bm25["seconds"], "s")  # fmt: skip
        out.add(f"cold.ask.{name}.rss", f"  peak RSS of that process ({name})",
                ask[name]["peak_rss_mb"], bm25["peak_rss_mb"], "MB")  # fmt: skip
    for name in ("hybrid", "hybrid_torch"):
        ready = serve["bm25"]["ready_s"]
        out.add(f"cold.serve.{name}.ready", f"service answers, BM25 first ({name})",
                serve[name]["ready_s"], ready, "s")  # fmt: skip
        out.add(f"cold.serve.{name}.mode", f"service answers in hybrid mode ({name})",
                serve[name]["mode_s"], ready, "s")  # fmt: skip


def _build(out: _Rows, build: dict[str, Any]) -> None:
    for row in build["corpora"]:
        n, full, bm25 = row["articles"], row["hybrid"], row["bm25"]
        out.add(f"build.{n}", f"build {n} article(s), {row['chunks']} chunks",
                full["seconds"], bm25["seconds"], "s")  # fmt: skip
        out.add(f"build.{n}.rss", "  peak RSS of that build",
                full["peak_rss_mb"], bm25["peak_rss_mb"], "MB")  # fmt: skip
    if "rebuild_article" in build:
        out.add("build.rebuild", "rebuild the article (export reused, no torch)",
                build["rebuild_article"]["seconds"], build["corpora"][0]["bm25"]["seconds"], "s")  # fmt: skip


def _latency(out: _Rows, latency: dict[str, Any]) -> None:
    runs = latency["runs"]
    for name, run in runs.items():
        if name.startswith("bm25"):
            continue
        base = runs["bm25_cached" if name == "hybrid_cached" else "bm25"]["total_ms"]
        for stat in ("median", "p95", "p99"):
            out.add(f"latency.{name}.{stat}", f"in-process answer {stat} ({name})",
                    run["total_ms"][stat], base[stat], "ms")  # fmt: skip
    for stage in ("encode", "dense", "bm25", "compose"):
        out.add(f"latency.stage.{stage}", f"  hybrid, median of stage: {stage}",
                runs["hybrid"]["stages_ms"][stage]["median"],
                runs["bm25"]["stages_ms"][stage]["median"], "ms")  # fmt: skip
    scale = latency.get("scale")
    if scale:
        srun, label = scale["runs"], f"{scale['articles']} articles"
        for stat in ("median", "p95"):
            out.add(f"latency.scale.hybrid.{stat}", f"answer {stat}, {label}, one article",
                    srun["hybrid"]["total_ms"][stat], srun["bm25"]["total_ms"][stat], "ms")  # fmt: skip
        out.add("latency.scale.archive.median", f"answer median, {label}, archive-wide",
                srun["hybrid_archive_wide"]["total_ms"]["median"],
                srun["bm25_archive_wide"]["total_ms"]["median"], "ms")  # fmt: skip
        scoring = scale["bm25_scoring_ms_per_question"]
        out.add("latency.scale.bm25_scoring", f"BM25 scores, {label}: postings vs rank_bm25",
                scoring["postings"], scoring["rank_bm25_get_scores"], "ms")  # fmt: skip


def _http(out: _Rows, http: dict[str, Any]) -> None:
    for name in [k for k in http if k.startswith("hybrid")]:
        run, base = http[name], http.get(name.replace("hybrid", "bm25"), {})
        key = f"http.{name}"
        if "c1" in run:
            out.add(f"{key}.c1.median", f"/chat median, one at a time ({name})",
                    run["c1"]["latency_ms"]["median"],
                    base.get("c1", {}).get("latency_ms", {}).get("median"), "ms")  # fmt: skip
        for level in ("c8", "c32"):
            now, then, at = run[level], base.get(level, {}), f"{level[1:]} at once"
            out.add(f"{key}.{level}.throughput", f"/chat answers/s, {at} ({name})",
                    now["throughput_per_s"], then.get("throughput_per_s"), "/s")  # fmt: skip
            out.add(f"{key}.{level}.p99", f"/chat p99, {at} ({name})",
                    now["latency_ms"]["p99"], then.get("latency_ms", {}).get("p99"), "ms")  # fmt: skip
            out.add(f"{key}.{level}.errors", f"/chat errors, {at} ({name})",
                    now["errors"], then.get("errors"), "")  # fmt: skip
        memory, base_memory = run["memory"], base.get("memory", {})
        out.add(f"{key}.peak_rss", f"service peak RSS, summed over processes ({name})",
                memory["peak_rss_mb"], base_memory.get("peak_rss_mb"), "MB")  # fmt: skip
        out.add(f"{key}.pss", f"service PSS (shared pages split) ({name})",
                memory["pss_mb"], base_memory.get("pss_mb"), "MB")  # fmt: skip


def _models(out: _Rows, models: dict[str, Any]) -> None:
    """Each encoder: its answer beside its encoder-only floor, and its service under load."""
    for key, run in models["models"].items():
        floor, answer, http = run["encoder_floor_ms"], run["answer"]["total_ms"], run["http"]
        for stat in ("median", "p95"):
            out.add(f"models.{key}.answer.{stat}", f"{key}: in-process answer {stat} (vs encoder floor)",
                    answer[stat], floor[stat], "ms")  # fmt: skip
        out.add(f"models.{key}.beyond_encoding", f"{key}:   search + compose beyond encoding, median",
                run["beyond_encoding_median_ms"], None, "ms")  # fmt: skip
        out.add(f"models.{key}.c1.median", f"{key}: /chat median, one at a time (vs floor)",
                http["c1"]["latency_ms"]["median"], floor["median"], "ms")  # fmt: skip
        out.add(f"models.{key}.c32.throughput", f"{key}: /chat answers/s, 32 at once",
                http["c32"]["throughput_per_s"], None, "/s")  # fmt: skip
        out.add(f"models.{key}.c32.p99", f"{key}: /chat p99, 32 at once",
                http["c32"]["latency_ms"]["p99"], None, "ms")  # fmt: skip
        out.add(f"models.{key}.c32.errors", f"{key}: /chat errors, 32 at once",
                http["c32"]["errors"], None, "")  # fmt: skip
        out.add(f"models.{key}.peak_rss", f"{key}: service peak RSS",
                http["memory"]["peak_rss_mb"], None, "MB")  # fmt: skip


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure beside its BM25-only baseline, the ratio, and the issue's target."""
    out = _Rows()
    sections = report["sections"]
    adders = (
        ("cold", _cold),
        ("build", _build),
        ("latency", _latency),
        ("http", _http),
        ("updates", update_rows),
        ("stores", store_rows),
        ("models", _models),
    )
    for name, add in adders:
        if name in sections:
            add(out, sections[name])
    return out.rows


def table(lines: list[dict[str, Any]]) -> str:
    """The rows as a fixed-width table."""
    head = f"{'figure':58} {'value':>10} {'BM25 only':>10} {'ratio':>7}  target"
    text = [head, "-" * len(head)]
    for r in lines:
        value = "n/a" if r["value"] is None else f"{r['value']:g} {r['unit']}".strip()
        base = "" if r["baseline"] is None else f"{r['baseline']:g} {r['unit']}".strip()
        ratio = "" if r["ratio"] is None else f"{r['ratio']:g}x"
        target = "" if r["target"] is None else f"{r['target']} {'met' if r['met'] else 'MISSED'}"
        text.append(f"{r['figure'][:58]:58} {value:>10} {base:>10} {ratio:>7}  {target}")
    return "\n".join(text)
