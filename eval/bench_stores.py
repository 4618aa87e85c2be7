"""`footnote bench`'s stores section: the PostgreSQL archive beside the folder archive.

Both stores get the same 1,000 articles (100 with `--quick`): the bench article's segment
and synthetic copies of it under other ids (same text, so same vectors; no model run), on
a throwaway PostgreSQL server started for the run (index.pg.local_server). Then, for each:

* per-question latency in this process (median, p95): scoped to one article (the widget's
  case, from that article's rows cached by revision) and archive-wide (full-text search
  in PostgreSQL for the keyword side, exact vector search in memory), plus the cost of the
  generation check each scoped question makes;
* /chat throughput and latency of a real `footnote serve` over it at concurrency 8;
* publish-to-answerable: `index.publish.publish` of a new article through one replica's
  store until another replica (its own connections) answers a question scoped to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from eval.load import Server, percentiles, run_load
from index.progress import Progress

QUESTIONS = (
    "How much did Trump want South Korea to invest?",
    "Who is the president of South Korea?",
    "What did Trump say about tariffs?",
    "When did Lee take office?",
)
NEW_TEXT = (
    "OAKPORT — The city will close the harbor bridge for six weeks from March, Mayor Ana "
    "Ruiz said on Monday.\n\nThe repair will cost {n} million dollars, paid by a state grant."
)


def _copies(segment, n: int) -> list:
    docs = [segment]
    for i in range(1, n):
        # No source file: a service syncing its sources must not take the copies down.
        metadata = {k: v for k, v in segment.document.metadata.items() if k != "source"}
        doc = dataclasses.replace(segment.document, id=f"synthetic-{i:04d}", metadata=metadata)
        docs.append(dataclasses.replace(segment, document=doc))
    return docs


def _timed(call, repeats: int) -> dict[str, Any]:
    values = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        values.append((time.perf_counter() - began) * 1000)
    return percentiles(values)


def stores_section(plan: argparse.Namespace, index: Path, progress: Progress) -> dict[str, Any]:
    """Both stores over the same articles, measured in the same run."""
    import psycopg

    from footnote.live import LiveArchive
    from footnote.runtime import load_embedder, pipeline_factory
    from footnote.settings import Settings
    from index.filestore import FileStore
    from index.pg import migrations
    from index.pg.local_server import LocalPostgres
    from index.pg.store import PostgresStore
    from index.segment import split_index
    from index.store import load_index

    n = 100 if plan.quick else 1000
    loaded = load_index(index)
    seed = split_index(loaded)[0]
    segments = _copies(seed, n)
    # No answer cache: every question is answered, not looked up.
    roots = [Path(r) for r in loaded.roots] or [Path("seeds")]
    settings = Settings(index_dir=index, sources=roots, cache_size=0)
    embedder = load_embedder(settings, index)
    result: dict[str, Any] = {"articles": n}
    server = LocalPostgres().start()
    try:
        with psycopg.connect(server.dsn) as conn:
            migrations.upgrade(conn)
        folder_dir = plan.work / "stores-folder"
        shutil.rmtree(folder_dir, ignore_errors=True)
        shutil.copytree(index, folder_dir, symlinks=True)
        shutil.rmtree(folder_dir / "archive", ignore_errors=True)
        stores = {
            "folder": FileStore(folder_dir, 86_400),
            "postgres": PostgresStore(server.dsn),
        }
        bar = progress.bar(len(stores), "stores", unit="store")
        for name, store in stores.items():
            bar.set_postfix_str(name)
            began = time.perf_counter()
            store.commit(segments, [], seed.meta)
            measured: dict[str, Any] = {"load_s": round(time.perf_counter() - began, 2)}
            live = LiveArchive(store, pipeline_factory(settings, store))
            if embedder is not None:
                live.attach_embedder(embedder)
            measured["generation_check_ms"] = _timed(store.generation, 200)
            began = time.perf_counter()
            live.whole()
            measured["assemble_whole_s"] = round(time.perf_counter() - began, 2)
            doc = seed.doc_id
            for q in QUESTIONS:  # warm the encoder's caches off the clock
                live.scoped(doc).pipeline.ask(q, doc_id=doc)
            scoped, whole = [], []
            for _ in range(10):
                for q in QUESTIONS:
                    t = time.perf_counter()
                    live.scoped(doc).pipeline.ask(q, doc_id=doc)
                    scoped.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    live.whole().ask(q)
                    whole.append((time.perf_counter() - t) * 1000)
            measured["scoped_ms"] = percentiles(scoped)
            measured["archive_wide_ms"] = percentiles(whole)
            measured["publish_to_answerable_s"] = _publish_to_answerable(
                store, name, server.dsn, folder_dir, settings, embedder
            )
            measured["http"] = _http(plan, index, name, server.dsn, folder_dir, doc)
            result[name] = measured
            bar.update(1)
        bar.close()
        stores["postgres"].close()  # type: ignore[attr-defined]
    finally:
        server.cleanup()
    return result


def _publish_to_answerable(store, name, dsn, folder_dir, settings, embedder):
    """Seconds from the publish call on one replica to an answer on another, median of 3."""
    from footnote.live import LiveArchive
    from footnote.runtime import pipeline_factory
    from index.filestore import FileStore
    from index.pg.store import PostgresStore
    from index.publish import article_document, publish
    from rag.errors import UnknownDocumentError

    other = PostgresStore(dsn) if name == "postgres" else FileStore(folder_dir, 86_400)
    reader = LiveArchive(other, pipeline_factory(settings, other))
    if embedder is not None:
        reader.attach_embedder(embedder)
    times = []
    for i in range(3):
        doc = article_document(f"bench-new-{i}", f"Bridge repair {i}", NEW_TEXT.format(n=40 + i))
        began = time.perf_counter()
        publish(store, doc, embedder, settings.build_config())
        while True:
            try:
                answer = reader.scoped(doc.id).pipeline.ask("How much will it cost?", doc_id=doc.id)
            except UnknownDocumentError:  # not there yet on the other replica
                time.sleep(0.005)
                continue
            if f"{40 + i} million" in answer.answer.answer:
                break
        times.append(time.perf_counter() - began)
    if isinstance(other, PostgresStore):
        other.close()
    return round(statistics.median(times), 3)


def _http(plan, index: Path, name: str, dsn: str, folder_dir: Path, doc: str) -> dict[str, Any]:
    """A real `footnote serve` over the store: /chat at concurrency 8."""
    from eval.bench import SEED, _env

    service_dir = plan.work / f"stores-serve-{name}"
    shutil.rmtree(service_dir, ignore_errors=True)
    if name == "folder":
        shutil.copytree(folder_dir, service_dir, symlinks=True)
        env = _env(service_dir, SEED)
    else:
        shutil.copytree(index, service_dir, symlinks=True)
        shutil.rmtree(service_dir / "archive", ignore_errors=True)
        env = _env(service_dir, SEED, FOOTNOTE_STORE=dsn)
    bodies = [{"question": q, "doc_id": doc} for q in QUESTIONS]
    requests = plan.requests or (64 if plan.quick else 400)
    with Server(
        env={**env, "FOOTNOTE_CACHE_SIZE": "0"}, log=plan.work / f"stores-{name}.log"
    ) as server:
        server.wait_ready("hybrid")
        run_load(server.port, bodies, 1, 10)
        return run_load(server.port, bodies, 8, requests)


def store_rows(out: Any, stores: dict[str, Any]) -> None:
    """The section's rows: the PostgreSQL store beside the folder store (the baseline)."""
    n = stores["articles"]
    pg, folder = stores["postgres"], stores["folder"]
    for key, label in (
        ("scoped_ms", "scoped question"),
        ("archive_wide_ms", "archive-wide question"),
    ):
        for stat in ("median", "p95"):
            out.add(f"stores.{key}.{stat}", f"postgres vs folder, {n} articles: {label} {stat}",
                    pg[key][stat], folder[key][stat], "ms")  # fmt: skip
    out.add("stores.generation", "postgres vs folder: generation check median",
            pg["generation_check_ms"]["median"], folder["generation_check_ms"]["median"], "ms")  # fmt: skip
    out.add("stores.publish", "postgres vs folder: publish to answerable on another replica",
            pg["publish_to_answerable_s"], folder["publish_to_answerable_s"], "s")  # fmt: skip
    out.add("stores.assemble", f"postgres vs folder: assemble {n} articles (per generation)",
            pg["assemble_whole_s"], folder["assemble_whole_s"], "s")  # fmt: skip
    out.add("stores.http.throughput", "postgres vs folder: /chat throughput at c8",
            pg["http"]["throughput_per_s"], folder["http"]["throughput_per_s"], "req/s")  # fmt: skip
    out.add("stores.http.median", "postgres vs folder: /chat latency median at c8",
            pg["http"]["latency_ms"]["median"], folder["http"]["latency_ms"]["median"], "ms")  # fmt: skip
