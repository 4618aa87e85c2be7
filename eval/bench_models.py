"""`footnote bench --models minilm,mpnet`: each encoder's cost per question, in the same run.

For every model named, the seed article is indexed with it (its ONNX encoder exported, as
`footnote build` does), then measured three ways, all in this one run so the figures share
the machine's load:

* the encoder-only floor: encoding each eval question alone with the index's ONNX encoder
  (sentence and token vectors, what a question costs the pipeline), median and p95;
* the in-process answer over the same questions (hybrid), and what it costs beyond encoding
  (the medians of its search and composition stages);
* a real `footnote serve` with that model on 127.0.0.1: /chat one at a time, and throughput,
  p99 and errors at 32 at once (no answer cache, so every request encodes).

The issue's targets (at most 3 ms beyond encoding; /chat p50 <= 60 ms; >= 30 answers/s at 32
concurrent, no errors) are shown beside every model: which model can be the default.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from eval.dataset import QAItem
from eval.load import Server, percentiles, run_load
from footnote.settings import Settings
from index.models import MODELS
from index.progress import Progress
from rag.retrieve import Mode


def parse_models(text: str) -> list[str]:
    """The model keys of `--models` ("minilm,mpnet"), or an error naming the known ones."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in MODELS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown model(s) {', '.join(unknown) or '(none)'}; use {','.join(MODELS)}"
        )
    return list(dict.fromkeys(keys))


def encoder_floor(embedder, items: list[QAItem], warmup: int = 5) -> dict[str, Any]:
    """Each question encoded alone, as the pipeline encodes it: percentiles in ms."""
    for item in items[:warmup]:
        embedder.encode_with_tokens([item.question])
    times = []
    for item in items:
        began = time.perf_counter()
        embedder.encode_with_tokens([item.question])
        times.append((time.perf_counter() - began) * 1000)
    return percentiles(times)


def _in_process(index: Path, key: str, items: list[QAItem]) -> dict[str, Any]:
    from eval.timing import TimedEmbedder, timed_pass
    from footnote.runtime import limit_search_threads, load_embedder
    from index.onnx_embedder import OnnxEmbedder
    from index.store import load_index
    from rag.pipeline import Pipeline

    settings = Settings(index_dir=index, model=key, cache_size=0)  # type: ignore[arg-type]
    limit_search_threads()
    embedder = load_embedder(settings)
    if not isinstance(embedder, OnnxEmbedder):
        raise RuntimeError(f"the {key} index at {index} has no ONNX encoder of that model")
    pipeline = Pipeline(
        load_index(index),
        TimedEmbedder(embedder),
        retrieval=settings.retrieval_config(),
        answering=settings.answer_config(),
        cache_size=0,
    )
    floor = encoder_floor(embedder, items)
    answer = timed_pass(pipeline, items, Mode.HYBRID)
    # What answering adds to encoding: search and composition (the pipeline's own stages;
    # its encode stage holds the question and the words the article lacks, one batch).
    stages = answer["stages_ms"]
    beyond = None
    if answer["questions"]:
        beyond = round(sum(stages[s]["median"] for s in ("dense", "bm25", "compose")), 3)
    return {"encoder_floor_ms": floor, "answer": answer, "beyond_encoding_median_ms": beyond}


def _http(plan, env: dict[str, str], items: list[QAItem], log: Path) -> dict[str, Any]:
    bodies = [
        {
            "question": i.question,
            "doc_id": i.doc_id,
            **({"history": list(i.history)} if i.history else {}),
        }
        for i in items
    ]
    concurrent = plan.requests or 3 * len(bodies)
    with Server(env=env, log=log) as server:
        server.wait_ready("hybrid")
        run_load(server.port, bodies, 1, min(10, len(bodies)))
        return {
            "c1": run_load(server.port, bodies, 1, len(bodies)),
            "c32": run_load(server.port, bodies, 32, concurrent),
            "memory": server.memory(),
        }


def models_section(
    plan: argparse.Namespace, items: list[QAItem], env, build, progress: Progress
) -> dict[str, Any]:
    """Index the seed with each model, then measure floor, answer and /chat for each.

    `env(index, **extra)` gives a child's environment and `build(index, env)` runs
    `footnote build` measured (both from eval.bench, so every section starts children alike).
    """
    result: dict[str, Any] = {"questions": len(items), "models": {}}
    bar = progress.bar(3 * len(plan.models), "encoders", unit="step")
    for key in plan.models:
        index = plan.work / f"index-model-{key}"
        child = env(index, FOOTNOTE_MODEL=key, FOOTNOTE_CACHE_SIZE="0")
        bar.set_postfix_str(f"{key}: building the article's index")
        built = build(index, child)
        bar.update(1)
        bar.set_postfix_str(f"{key}: in-process")
        measured = {"build_seconds": built["seconds"], **_in_process(index, key, items)}
        bar.update(1)
        bar.set_postfix_str(f"{key}: /chat under load")
        measured["http"] = _http(plan, child, items, plan.work / f"http-model-{key}.log")
        bar.update(1)
        result["models"][key] = measured
    bar.close()
    return result
