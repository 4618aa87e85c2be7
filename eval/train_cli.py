"""`footnote train`: the command line of eval.train."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from footnote.settings import Settings

DEFAULT_SQUAD1 = Path("../shared/benchmarks/squad1-train.json")
DEFAULT_SQUAD2 = Path("../shared/benchmarks/squad2-dev-half.json")


def add_train(subparsers: argparse._SubParsersAction) -> None:
    """Register `footnote train`."""
    p = subparsers.add_parser(
        "train",
        help="learn the answerer's scorer from SQuAD and the dev questions (rag/models/)",
        description="Fit the learned scorer for the configured encoder and for BM25 answers, "
        "seeded, and write each with a record of its data and held-out figures.",
    )
    p.add_argument("--squad1", type=Path, default=DEFAULT_SQUAD1, help="SQuAD 1.0 train JSON")
    p.add_argument("--squad2", type=Path, default=DEFAULT_SQUAD2, help="SQuAD 2.0 dev JSON")
    p.add_argument("--out", type=Path, help="folder for the files (default: rag/models/)")
    p.add_argument("--articles", type=int, default=48, help="SQuAD 1.0 articles to read")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--cache",
        type=Path,
        help="keep the examples read from the articles in this file and reuse them when the "
        "data and settings are the same (to iterate on the fitting)",
    )
    p.add_argument(
        "--skip-bm25",
        action="store_true",
        help="train only the encoder's scorer (the BM25 one does not depend on the encoder)",
    )
    p.set_defaults(run=cmd_train)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train and write the scorer files."""
    from eval.articles import question_articles
    from eval.dataset import DatasetError, default_files, load_questions, select_split
    from eval.train import TrainConfig, train
    from footnote.runtime import training_embedder
    from rag.scorer import scorer_path, write_scorer

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in (args.squad1, args.squad2):
        if not path.exists():
            raise SystemExit(f"footnote train: no such file {path}; pass --squad1/--squad2")
    try:
        # The dev questions' articles, wherever they sit under the sources (seeds/newsroom/ too).
        dev = select_split(load_questions(default_files()), "dev")
        news = question_articles(dev, settings.sources)
    except DatasetError as exc:
        raise SystemExit(f"footnote train: {exc}") from exc
    config = TrainConfig(
        squad1=str(args.squad1),
        squad2=str(args.squad2),
        news_sources=tuple(str(p) for p in news),
        seed=args.seed,
        squad1_articles=args.articles,
    )
    embedder = training_embedder(settings)
    scorers = train(
        config, embedder, settings.build_config(), bm25=not args.skip_bm25, cache=args.cache
    )
    command = " ".join(["footnote", *sys.argv[1:]]) if sys.argv[1:] else "footnote train"
    if os.environ.get("FOOTNOTE_MODEL"):
        command = f"FOOTNOTE_MODEL={os.environ['FOOTNOTE_MODEL']} {command}"
    for key, scorer in scorers.items():
        scorer.record["command"] = command
        path = scorer_path(None, args.out).with_name(f"{key}.json")
        write_scorer(scorer, path)
        print(f"wrote {path}")
        print(json.dumps(scorer.record["news_dev_out_of_fold"]), "news dev (out of fold)")
        print(json.dumps(scorer.record["squad2_held_out"]), "SQuAD 2.0 held-out articles")
    return 0
