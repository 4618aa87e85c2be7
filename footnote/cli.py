"""`footnote build | ask | serve | eval | bench`: a thin layer over the stages."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from footnote.settings import Settings
from index.errors import IndexError_
from rag.answer import Answer
from rag.errors import FootnoteError
from rag.retrieve import Mode


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
    """Build the index from the sources, atomically replacing the previous one."""
    from footnote.runtime import build_embedder
    from index.build import build_and_save

    embedder = build_embedder(settings)
    index = build_and_save(
        list(settings.sources), settings.index_dir, embedder, settings.build_config()
    )
    counts = index.manifest["counts"]
    dense = "with vectors" if index.has_vectors else "BM25 only (no embedding model)"
    print(
        f"built {settings.index_dir}: {counts['documents']} article(s), {counts['sentences']} sentences, "
        f"{counts['chunks']} chunks, {dense}"
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


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or one question per line of standard input."""
    from footnote.runtime import load_embedder, open_pipeline

    pipeline = open_pipeline(
        settings, load_embedder(settings) if settings.retrieval is not Mode.BM25 else None
    )
    mode = Mode(args.retrieval) if args.retrieval else None
    if args.question:
        answer = pipeline.ask(" ".join(args.question), doc_id=args.doc_id, mode=mode).answer
        print(
            json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else format_answer(answer)
        )
        return 0
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = pipeline.ask(line, doc_id=args.doc_id, mode=mode).answer
            out = answer.to_dict() if args.json else format_answer(answer)
        except FootnoteError as exc:
            status = 1
            out = {"error": {"code": exc.code, "message": str(exc)}, "question": line.rstrip("\n")}
            if not args.json:
                out = f"error: {exc}"
        print(json.dumps(out, ensure_ascii=False) if args.json else out + "\n", flush=True)
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

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands that live with their stage (serve in api, eval and bench in eval)."""
    registers = []
    for module, name in (("api.cli", "register"), ("eval.cli", "register")):
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
