"""`footnote bench`: how fast, how big, how many readers, each beside BM25-only answering.

Every figure is measured in the same run as its baseline (the same questions answered
from BM25 alone), and reported as a ratio too, because absolute times on a shared
machine drift from run to run. It prints a table and writes JSON (reports/bench.json):

* cold start: process start to the first answer (`footnote ask`), and service start to
  /readyz answering (BM25) and to hybrid mode;
* index build: time and peak memory for the article and synthetic archives of 10, 100
  and 1,000 variants of it, and how that grows;
* per-question latency in this process over the eval questions (median, p95, p99), split
  into query encoding, dense search, BM25 and answer composition;
* the service over HTTP on 127.0.0.1 (a real `footnote serve`): latency at concurrency 1,
  throughput and p99 at 8 and 32, errors, and its peak memory.

* stores (eval.bench_stores): the PostgreSQL archive beside the folder archive with 1,000
  articles: per-question latency, /chat throughput, publish-to-answerable time.
* updates (eval.bench_updates): `footnote add` of one article into the largest archive, and
  `footnote build` after one of its articles changed, each beside its full build.

`--models minilm,mpnet` adds the `models` section (eval.bench_models): each encoder's
floor, answer latency and /chat throughput side by side.

`--quick` skips the 1,000-article archive and the slower variants (the updates section
then uses 100 articles); `--sections` and `--questions`/`--requests` make a smoke run of
a few seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench_models import models_section, parse_models
from eval.bench_report import rows, table
from eval.bench_stores import stores_section
from eval.bench_updates import updates_section
from eval.dataset import QAItem, default_files, load_questions
from eval.load import ROOT, Server, run_load
from eval.synthetic import write_corpus
from footnote.settings import Settings
from index.documents import doc_id_for
from index.models import MODELS
from index.progress import Progress
from rag.retrieve import Mode

SECTIONS = ("build", "cold", "latency", "http", "updates", "stores")
# Only when asked (--models or --sections models): it builds an index with each model.
OPTIONAL_SECTIONS = ("models",)
SEED = ROOT / "seeds" / "trump-asia-tour-south-korea.txt"
QUESTION = "How much did Trump want South Korea to invest?"


def add_bench(subparsers: argparse._SubParsersAction) -> None:
    """`footnote bench`."""
    p = subparsers.add_parser(
        "bench",
        help="measure cold start, build, latency and the service under load; write JSON",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--quick", action="store_true", help="skip 1,000 articles and slow variants")
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS + OPTIONAL_SECTIONS)} "
        f"(default {','.join(SECTIONS)}; models also runs with --models)",
    )
    p.add_argument(
        "--models",
        type=parse_models,
        metavar="KEYS",
        help="encoders to measure side by side, comma-separated (minilm,mpnet): adds the "
        "models section",
    )
    p.add_argument(
        "--corpora",
        help="archive sizes to build, comma-separated (default 1,10,100,1000; quick 1,10,100)",
    )
    p.add_argument("--questions", type=int, metavar="N", help="ask only the first N questions")
    p.add_argument(
        "--requests", type=int, metavar="N", help="requests per load level at concurrency 8/32"
    )
    p.add_argument("--repeats", type=int, default=3, help="cold starts per variant (median)")
    p.add_argument(
        "--workers", type=int, default=2, help="also load a service with N workers (0: skip)"
    )
    p.add_argument("--index", metavar="DIR", help="the article's index (default: built here)")
    p.add_argument("--work", type=Path, metavar="DIR", help="folder for corpora and indexes")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports/bench.json"),
        metavar="FILE",
        help="JSON report (default reports/bench.json)",
    )
    p.set_defaults(run=cmd_bench)


def _env(index: Path, sources: Path, **extra: str) -> dict[str, str]:
    """This environment without FOOTNOTE_* variables, plus the ones given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTNOTE_")}
    env.update(HF_HUB_OFFLINE="1", FOOTNOTE_INDEX_DIR=str(index), FOOTNOTE_SOURCES=str(sources))
    env.update(FOOTNOTE_RATE_LIMIT_PER_MINUTE="0")
    env.update(extra)
    return env


def run_measured(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `footnote ARGS`: wall seconds, the child's own peak RSS (wait4), its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "footnote.cli", *args], env=env, cwd=ROOT, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            tail = err.read().decode(errors="replace")[-1500:]
            raise RuntimeError(f"footnote {' '.join(args)} failed ({process.returncode}): {tail}")
        return {
            "seconds": round(seconds, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "out": out.read(),
        }


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] or 0 for r in runs),
        "runs": [r["seconds"] for r in runs],
    }


# -- sections ------------------------------------------------------------------------------


def build_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """Build the article and each archive twice: BM25 only (baseline), then with vectors.

    `index` (the other sections' index) is not used: this section builds its own."""
    rows = []
    bar = progress.bar(2 * len(plan.corpora) + 1, "builds", unit="build")
    for count in plan.corpora:
        source = SEED if count == 1 else plan.work / f"corpus-{count}"
        if count > 1:
            write_corpus(source, SEED, count)
        measured: dict[str, Any] = {"articles": count}
        for name, embedder in (("bm25", "none"), ("hybrid", "onnx")):
            folder = plan.work / (f"index-{count}" if name == "hybrid" else f"bm25-index-{count}")
            shutil.rmtree(folder, ignore_errors=True)  # a first build: torch encodes and exports
            bar.set_postfix_str(f"{count} article(s), {name}")
            run = run_measured(["build"], _env(folder, source, FOOTNOTE_EMBEDDER=embedder))
            bar.update(1)
            manifest = json.loads((folder / "current" / "manifest.json").read_text())
            files = (folder / "current").resolve()
            measured[name] = {
                "seconds": run["seconds"],
                "peak_rss_mb": run["peak_rss_mb"],
                "disk_mb": round(sum(p.stat().st_size for p in files.iterdir()) / 2**20, 1),
            }
            measured.update(manifest["counts"])
        bar.write(
            f"  built {count} article(s): {measured['chunks']} chunks, "
            f"{measured['hybrid']['seconds']} s"
        )
        rows.append(measured)
    article = plan.work / "index-1"
    result: dict[str, Any] = {"corpora": rows, "growth": _growth(rows)}
    if (article / "current").exists():
        # What a newsroom's every update costs: the export is reused, no torch is loaded.
        bar.set_postfix_str("rebuilding the article")
        run = run_measured(["build"], _env(article, SEED))
        result["rebuild_article"] = {k: run[k] for k in ("seconds", "peak_rss_mb")}
        bar.update(1)
    bar.close()
    return result


def _growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From each size to the next: how much more time and memory for how many more chunks."""
    steps = []
    for small, large in itertools.pairwise(rows):
        factor = large["chunks"] / max(small["chunks"], 1)
        steps.append(
            {
                "from": small["articles"],
                "to": large["articles"],
                "chunks_factor": round(factor, 2),
                "time_factor": round(large["hybrid"]["seconds"] / small["hybrid"]["seconds"], 2),
                "memory_factor": round(
                    large["hybrid"]["peak_rss_mb"] / small["hybrid"]["peak_rss_mb"], 2
                ),
                "ms_per_chunk": round(1000 * large["hybrid"]["seconds"] / large["chunks"], 2),
            }
        )
    return steps


def cold_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """`footnote ask` from process start to its answer; `footnote serve` to /readyz."""
    variants = [
        ("bm25", {"FOOTNOTE_RETRIEVAL": "bm25"}, "bm25"),
        ("hybrid", {}, "hybrid"),
        ("hybrid_torch", {"FOOTNOTE_EMBEDDER": "torch"}, "hybrid"),
    ]
    ask: dict[str, Any] = {}
    bar = progress.bar(len(variants) * (plan.repeats + 1), "cold starts", unit="start")
    for name, extra, mode in variants:
        runs = []
        for _ in range(plan.repeats):
            bar.set_postfix_str(f"footnote ask, {name}")
            run = run_measured(["ask", "--json", QUESTION], _env(index, SEED, **extra))
            bar.update(1)
            answer = json.loads(run.pop("out"))
            if answer["retrieval"] != mode:
                raise RuntimeError(f"`footnote ask` answered in {answer['retrieval']}, not {mode}")
            runs.append(run)
        ask[name] = _median_of(runs)
    serve: dict[str, Any] = {}
    for name, extra, mode in variants:
        bar.set_postfix_str(f"footnote serve, {name}")
        with Server(env=_env(index, SEED, **extra), log=plan.work / f"serve-{name}.log") as s:
            serve[name] = {**s.wait_ready(mode), **s.memory()}
        bar.update(1)
    bar.close()
    return {"ask": ask, "serve": serve}


def _items(plan: argparse.Namespace) -> list[QAItem]:
    # The questions about the benchmarked article: the other sets' articles are not indexed.
    seed = doc_id_for(SEED)
    items = [i for i in load_questions(default_files()) if i.doc_id in (None, seed)]
    return items[: plan.questions] if plan.questions else items


def latency_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """The eval questions in this process: BM25 (baseline), hybrid, cached, torch, at scale."""
    from eval.timing import TimedEmbedder, timed_pass
    from footnote.runtime import limit_search_threads, load_embedder
    from index.onnx_embedder import OnnxEmbedder
    from index.store import load_index
    from rag.pipeline import Pipeline

    items = _items(plan)
    settings = Settings(sources=[SEED], index_dir=index, cache_size=0)
    limit_search_threads()  # as open_pipeline does for the service
    onnx = load_embedder(settings)
    if not isinstance(onnx, OnnxEmbedder):
        raise RuntimeError(f"the index at {index} has no ONNX encoder; run `footnote build`")
    loaded = load_index(index)

    def pipeline(embedder, cache: int = 0) -> Pipeline:
        return Pipeline(
            loaded,
            TimedEmbedder(embedder),
            retrieval=settings.retrieval_config(),
            answering=settings.answer_config(),
            cache_size=cache,
        )

    runs: dict[str, Any] = {}
    bar = progress.bar(6 if plan.quick else 8, "passes over the questions", unit="pass")

    def timed(name: str, *args, **kwargs) -> dict[str, Any]:
        bar.set_postfix_str(name)
        measured = timed_pass(*args, **kwargs)
        bar.update(1)
        return measured

    plain = pipeline(onnx)
    runs["bm25"] = timed("bm25", plain, items, Mode.BM25)
    runs["hybrid"] = timed("hybrid", plain, items, Mode.HYBRID)
    cached = pipeline(onnx, cache=1024)
    for mode in (Mode.BM25, Mode.HYBRID):
        # Readers before asked the same questions.
        timed(f"warming the {mode.value} cache", cached, items, mode)
        runs[f"{mode.value}_cached"] = timed(f"{mode.value} cached", cached, items, mode)
    if not plan.quick:
        runs["hybrid_onnx_2_threads"] = timed(
            "hybrid, 2 threads", pipeline(OnnxEmbedder(onnx.folder, threads=2)), items, Mode.HYBRID
        )
        from index.embeddings import SentenceTransformerEmbedder

        runs["hybrid_torch"] = timed(
            "hybrid, torch", pipeline(SentenceTransformerEmbedder()), items, Mode.HYBRID
        )
    bar.close()
    result: dict[str, Any] = {"questions": len(items), "runs": runs}
    largest = max((c for c in plan.corpora if c > 1), default=None)
    archive = plan.work / f"index-{largest}"
    if largest and (archive / "current").exists():
        progress.note(f"the same questions against the {largest}-article archive")
        result["scale"] = _scale(plan, archive, largest, items, onnx)
    return result


def _scale(plan, archive: Path, articles: int, items, onnx) -> dict[str, Any]:
    """The same questions against the largest archive: about their article, and archive-wide."""
    from eval.timing import TimedEmbedder, timed_pass
    from index.store import load_index
    from index.tokens import tokenize
    from rag.pipeline import Pipeline
    from rag.retrieve import BM25Retriever

    began = time.perf_counter()
    loaded = load_index(archive)
    pipeline = Pipeline(loaded, TimedEmbedder(onnx), cache_size=0)
    opened = time.perf_counter() - began
    runs = {
        "bm25": timed_pass(pipeline, items, Mode.BM25),
        "hybrid": timed_pass(pipeline, items, Mode.HYBRID),
        "bm25_archive_wide": timed_pass(pipeline, items, Mode.BM25, per_article=False),
        "hybrid_archive_wide": timed_pass(pipeline, items, Mode.HYBRID, per_article=False),
    }
    # BM25 scoring alone: rank_bm25's get_scores (a Python loop over every chunk per term)
    # against the postings the retriever scores with; the scores are identical.
    retriever = BM25Retriever(loaded)
    queries = [tokenize(i.question) for i in items[:40]]
    timings = {}
    for name, score in (
        ("rank_bm25_get_scores", retriever.model.get_scores),
        ("postings", retriever.postings.get_scores),
    ):
        began = time.perf_counter()
        for tokens in queries:
            score(tokens)
        timings[name] = round((time.perf_counter() - began) * 1000 / len(queries), 3)
    return {
        "articles": articles,
        "chunks": len(loaded.chunks),
        "open_seconds": round(opened, 3),
        "runs": runs,
        "bm25_scoring_ms_per_question": timings,
    }


def http_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """Real services on 127.0.0.1 under bounded load; BM25-only services as the baseline."""
    items = _items(plan)
    bodies = [
        {
            "question": i.question,
            "doc_id": i.doc_id,
            **({"history": list(i.history)} if i.history else {}),
        }
        for i in items
    ]
    sequential = len(bodies)
    concurrent = plan.requests or (64 if plan.quick else 3 * len(bodies))
    services = [
        ("bm25", {"FOOTNOTE_RETRIEVAL": "bm25", "FOOTNOTE_CACHE_SIZE": "0"}, "bm25", 1),
        ("hybrid", {"FOOTNOTE_CACHE_SIZE": "0"}, "hybrid", 1),
    ]
    if not plan.quick:
        services += [
            ("bm25_cached", {"FOOTNOTE_RETRIEVAL": "bm25"}, "bm25", 1),
            ("hybrid_cached", {}, "hybrid", 1),
        ]
        if plan.workers > 1:
            services += [
                (f"bm25_{plan.workers}_workers", services[0][1], "bm25", plan.workers),
                (f"hybrid_{plan.workers}_workers", services[1][1], "hybrid", plan.workers),
            ]
    result: dict[str, Any] = {"questions": len(bodies)}
    bar = progress.bar(len(services), "services under load", unit="service")
    for name, extra, mode, workers in services:
        bar.set_postfix_str(name)
        env = _env(index, SEED, **extra)
        with Server(env=env, workers=workers, log=plan.work / f"http-{name}.log") as server:
            server.wait_ready(mode)
            warm = sequential if "cached" in name else min(10, sequential)
            run_load(server.port, bodies, 1, warm)
            measured: dict[str, Any] = {"workers": workers}
            if workers == 1:
                measured["c1"] = run_load(server.port, bodies, 1, sequential)
            measured["c8"] = run_load(server.port, bodies, 8, concurrent)
            measured["c32"] = run_load(server.port, bodies, 32, concurrent)
            measured["memory"] = server.memory()
        result[name] = measured
        bar.update(1)
    bar.close()
    return result


def encoders_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """Each encoder of --models side by side (eval.bench_models); `index` is not used."""

    def env(folder: Path, **extra: str) -> dict[str, str]:
        return _env(folder, SEED, **extra)

    def build(folder: Path, child: dict[str, str]) -> dict[str, Any]:
        return run_measured(["build"], child)

    return models_section(plan, _items(plan), env, build, progress)


# -- the command ---------------------------------------------------------------------------


def _commit() -> str | None:
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _machine() -> dict[str, Any]:
    import onnxruntime

    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
    }


# Each section: its name, what it measures (shown as it starts), the function that runs it.
_SECTIONS = (
    ("build", "build time and memory", build_section),
    ("cold", "cold start of footnote ask and serve", cold_section),
    ("latency", "in-process latency per stage", latency_section),
    ("http", "HTTP throughput under load", http_section),
    ("updates", "one article added or changed, beside the full build", updates_section),
    ("stores", "the PostgreSQL archive beside the folder archive", stores_section),
    ("models", "each encoder side by side", encoders_section),
)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen sections, print the table, write the JSON."""
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    known = SECTIONS + OPTIONAL_SECTIONS
    unknown = sorted(set(sections) - set(known))
    if unknown:
        print(f"footnote bench: unknown section(s) {', '.join(unknown)}; use {','.join(known)}", file=sys.stderr)  # fmt: skip
        return 2
    if args.models and "models" not in sections:
        sections.append("models")
    args.models = args.models or list(MODELS)
    default = "1,10,100" if args.quick else "1,10,100,1000"
    args.corpora = sorted({int(c) for c in (args.corpora or default).split(",")})
    if args.work is None:
        args.work = Path(tempfile.mkdtemp(prefix="footnote-bench-"))
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "schema": 1,
        "command": "footnote " + " ".join(sys.argv[1:]) if sys.argv[1:] else "footnote bench",
        "commit": _commit(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": _machine(),
        "options": {
            "quick": args.quick,
            "sections": sections,
            "corpora": args.corpora,
            "questions": args.questions,
            "requests": args.requests,
            "models": args.models if "models" in sections else None,
        },
        "sections": {},
    }
    index = Path(args.index) if args.index else args.work / "index-1"
    progress = Progress.terminal()
    chosen = [section for section in _SECTIONS if section[0] in sections]
    stages = progress.stages("footnote bench", len(chosen))
    for name, title, section in chosen:
        if name not in ("build", "models") and not (index / "current").exists():
            progress.note(f"building the index at {index}")
            run_measured(["build"], _env(index, SEED))
        stages.next(title)
        report["sections"][name] = section(args, index, progress)
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["rows"] = rows(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(report["rows"]))
    print(f"\nreport: {args.out} ({report['seconds']} s; load average {report['machine']['load_average']} -> {report['machine']['load_average_after']})")  # fmt: skip
    return 0
