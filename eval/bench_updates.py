"""`footnote bench`'s updates section: one article's change beside the full build.

On the largest synthetic archive of the run (1,000 articles; 100 with `--quick`):

* the full build of the archive (hybrid, as the build section measures it);
* `footnote add NEW.txt`: publishing one new article into it (process start, the ONNX
  encoder loaded, the article embedded, one atomic commit), median of three;
* `footnote build` after one article of the archive changed: the previous build's
  vectors are reused for the others, only that one is embedded (median of three).

Each is a real `footnote` process timed from start to exit, as a newsroom would run it.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from eval.synthetic import write_corpus
from index.progress import Progress

REPEATS = 3


def updates_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """Time adding one article and rebuilding after one change, beside the full build."""
    from eval.bench import SEED, _env, _median_of, run_measured

    count = max(c for c in plan.corpora) if plan.corpora else 1000
    count = max(count, 10)
    corpus = plan.work / f"corpus-{count}"
    folder = plan.work / f"updates-index-{count}"
    write_corpus(corpus, SEED, count)
    shutil.rmtree(folder, ignore_errors=True)
    bar = progress.bar(1 + 2 * REPEATS, "update runs", unit="run")
    bar.set_postfix_str(f"full build of {count} articles")
    full = run_measured(["build"], _env(folder, corpus))
    bar.update(1)
    extra = plan.work / "updates-new"
    variants = write_corpus(extra, SEED, count + REPEATS)[count:]
    adds = []
    for path in variants:
        bar.set_postfix_str(f"footnote add {path.name}")
        adds.append(run_measured(["add", str(path)], _env(folder, corpus)))
        bar.update(1)
    rebuilds = []
    target = sorted(corpus.iterdir())[0]
    original = target.read_text(encoding="utf-8")
    for n in range(REPEATS):
        target.write_text(original + f"\nA correction, number {n + 1}, was added.\n", "utf-8")
        bar.set_postfix_str("footnote build after one change")
        rebuilds.append(run_measured(["build"], _env(folder, corpus)))
        bar.update(1)
    target.write_text(original, encoding="utf-8")
    bar.close()
    shutil.rmtree(folder, ignore_errors=True)  # gigabytes of vectors at 1,000 articles
    return {
        "articles": count,
        "full_build": {k: full[k] for k in ("seconds", "peak_rss_mb")},
        "add_one": _median_of(adds),
        "rebuild_one_changed": _median_of(rebuilds),
    }


def update_rows(out: Any, updates: dict[str, Any]) -> None:
    """The section's rows: each update beside the full build (the baseline column)."""
    n, full = updates["articles"], updates["full_build"]["seconds"]
    out.add("updates.full", f"full build of {n} articles", full, None, "s")
    out.add("updates.add", f"footnote add: 1 new article into {n}",
            updates["add_one"]["seconds"], full, "s")  # fmt: skip
    out.add("updates.rebuild", f"footnote build after 1 of {n} changed",
            updates["rebuild_one_changed"]["seconds"], full, "s")  # fmt: skip
