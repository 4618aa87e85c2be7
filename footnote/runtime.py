"""Creating the long-lived objects once: the embedder, the index, the pipeline.

`FOOTNOTE_MODEL` chooses the model (index.models); an index built with another one is
rebuilt. With the default `FOOTNOTE_EMBEDDER=onnx`, questions are encoded by the ONNX export that
the index build folder holds, so neither torch nor sentence-transformers is imported to
serve. Torch is loaded only to build an index that has no exported encoder yet (the
first build, or a new version of the bundled model); the build exports one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from footnote.live import LiveArchive
from footnote.settings import Settings
from index.archive import ArchiveStore
from index.build import ensure_index, has_encoder
from index.embeddings import Embedder, SentenceTransformerEmbedder
from index.errors import IndexError_, IndexMissingError, IndexStaleError, ModelUnavailableError
from index.filestore import FileStore
from index.models import model_path
from index.progress import Progress
from index.publish import build_segments, sync_index
from index.store import Index, load_index, read_manifest
from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

# One thread per encoding: the service runs several questions at once on few cores, and a
# question is too short for a second thread to pay (see README, "Scale").
ONNX_THREADS = 1


def _onnx(settings: Settings, index_dir: Path | None, threads: int | None) -> Embedder | None:
    """The index's exported encoder, or None (with the reason logged) when it has none."""
    from index.onnx_embedder import OnnxEmbedder

    try:
        embedder = OnnxEmbedder.from_index(index_dir or settings.index_dir, threads)
    except IndexError_ as exc:
        log.info("no usable ONNX encoder (%s); using the torch encoder", exc)
        return None
    if not embedder.gives_tokens:
        log.info("the index's encoder predates token vectors; the torch encoder re-exports it")
        return None
    wanted = settings.model_spec().name
    if embedder.name != wanted:
        log.info("the index's encoder is %s, FOOTNOTE_MODEL wants %s", embedder.name, wanted)
        return None
    return embedder


def _torch(settings: Settings, threads: int | None) -> Embedder | None:
    spec = settings.model_spec()
    try:
        return SentenceTransformerEmbedder(
            model_path(spec, settings.model_cache_dir()), threads=threads, spec=spec
        )
    except (ModelUnavailableError, ImportError, OSError) as exc:
        log.warning("embedding model unavailable, answering from BM25 alone: %s", exc)
        return None


def load_embedder(settings: Settings, index_dir: Path | None = None) -> Embedder | None:
    """The configured query encoder, or None (BM25 only) when it is disabled or cannot load.

    `onnx` reads the encoder from the current build of the index folder; without one (no
    index yet, or one built before the export existed) it falls back to torch, which
    exports it at the next build.
    """
    if settings.embedder == "none":
        return None
    if settings.embedder == "onnx":
        embedder = _onnx(settings, index_dir, settings.threads or ONNX_THREADS)
        if embedder is not None:
            return embedder
    return _torch(settings, settings.threads)


def build_embedder(settings: Settings, index_dir: Path | None = None) -> Embedder | None:
    """The encoder that builds an index: the index's ONNX encoder when it was exported from
    the model installed now (no torch needed), else torch, which exports a new one."""
    if settings.embedder == "none":
        return None
    if settings.embedder == "onnx":
        from index.onnx_embedder import OnnxEmbedder, encoder_fingerprint

        embedder = _onnx(settings, index_dir, settings.threads)
        try:
            current = encoder_fingerprint(
                model_path(settings.model_spec(), settings.model_cache_dir())
            )
        except ModelUnavailableError:
            current = None
        if isinstance(embedder, OnnxEmbedder) and embedder.fingerprint() == current:
            return embedder
    return _torch(settings, settings.threads)


def training_embedder(settings: Settings) -> Embedder:
    """The torch encoder `footnote train` reads articles with; an error naming the fix if absent."""
    # One thread unless told otherwise: batches of short texts gain little from a second,
    # and on a shared machine torch's spinning threads were 4-30x slower (2 cores, loaded).
    embedder = _torch(settings, settings.threads or 1)
    if embedder is None:
        raise ModelUnavailableError("training needs the embedding model; run `make install`")
    return embedder


def limit_search_threads() -> None:
    """One FAISS thread per search: a search for one question is too small to split, and
    OpenMP's spinning threads took 3.5 ms where one thread takes 1.2 ms (24,000 chunks),
    more on cores that other requests are using. Concurrent questions use the cores."""
    import faiss

    faiss.omp_set_num_threads(1)


@dataclass(frozen=True, slots=True)
class Sources:
    """The articles an index is checked against, resolved once (`answer_sources`).

    `paths` None: the articles the index was built from are gone, so it is answered from as
    it was built, never rebuilt from other articles.
    """

    paths: list[Path] | None


def answer_sources(settings: Settings, index_dir: Path | None = None) -> Sources:
    """The articles an index is checked against: `--source`/FOOTNOTE_SOURCES when given;
    else the ones the index records (absolute paths, wherever the command runs); else, for
    a new index, seeds/. When the recorded articles are gone it says so, once, and returns
    `Sources(None)`.
    """
    if "sources" in settings.model_fields_set:
        return Sources(list(settings.sources))
    folder = index_dir or settings.index_dir
    try:
        _, manifest = read_manifest(folder)
    except (IndexMissingError, IndexStaleError):
        return Sources(list(settings.sources))
    recorded = manifest.get("roots") or [
        s["source"] for s in manifest.get("sources", []) if s.get("source")
    ]
    paths = [Path(p) for p in recorded]
    missing = [p for p in paths if not p.exists()]
    if not paths:
        return Sources(list(settings.sources))
    if missing:
        message = (
            f"the article(s) the index at {folder} was built from are gone ({missing[0]}); "
            "answering from the index as it was built. Pass --source PATH to rebuild it "
            "from other articles."
        )
        log.warning("%s", message)
        Progress.terminal().note(message)
        return Sources(None)
    return Sources(paths)


def load_or_build(
    settings: Settings,
    embedder: Embedder | None,
    index_dir: Path | None = None,
    sources: Sources | None = None,
) -> Index:
    """The index of `sources` (`answer_sources` when not given), built first when missing or
    no longer fitting them."""
    folder = index_dir or settings.index_dir
    if sources is None:
        sources = answer_sources(settings, folder)
    if sources.paths is None:
        return load_index(folder)
    onnx = settings.embedder == "onnx"
    return ensure_index(sources.paths, folder, embedder, settings.build_config(), want_encoder=onnx)


def open_pipeline(
    settings: Settings, embedder: Embedder | None = None, index_dir: Path | None = None
) -> Pipeline:
    """Load (building if missing or stale) the index and wrap it in a pipeline."""
    limit_search_threads()
    folder = index_dir or settings.index_dir
    index = load_or_build(settings, embedder, folder)
    if embedder is not None:
        embedder = _serving_encoder(settings, embedder, index, folder)
    return pipeline_factory(settings)(index, embedder)


def pipeline_factory(
    settings: Settings, store: ArchiveStore | None = None
) -> Callable[[Index, Embedder | None], Pipeline]:
    """What makes a pipeline over an index with these settings (one per article revision
    in footnote.live).

    When the store ranks chunks itself (PostgreSQL's full-text search), an index of several
    articles (the archive-wide one) takes its keyword side from the database; one article's
    index (a scoped question) is ranked in memory from that article's cached rows.
    """
    from rag.keyword_pg import DatabaseKeywordRetriever

    def make(index: Index, embedder: Embedder | None) -> Pipeline:
        keyword = None
        if hasattr(store, "keyword_search") and len(index.documents) > 1:
            keyword = DatabaseKeywordRetriever(store, index)  # type: ignore[arg-type]
        return Pipeline(
            index,
            embedder if embedder is not None and index.has_vectors else None,
            retrieval=settings.retrieval_config(),
            answering=settings.answer_config(),
            default_mode=settings.retrieval,
            max_question_chars=settings.max_question_chars,
            cache_size=settings.cache_size,
            keyword=keyword,
        )

    return make


def archive_store(settings: Settings) -> ArchiveStore:
    """The archive of published articles: the PostgreSQL database FOOTNOTE_STORE names, else
    the index folder. Nothing above this function knows which one serves."""
    if settings.store is None:
        return FileStore(settings.index_dir, settings.revision_ttl_seconds)
    from index.pg.store import PostgresStore

    return PostgresStore(
        settings.store.get_secret_value(),
        ttl_seconds=settings.revision_ttl_seconds,
        timeout_seconds=settings.store_timeout_seconds,
        pool_size=settings.store_pool_size,
    )


def open_live(
    settings: Settings, embedder: Embedder | None = None, sources: Sources | None = None
) -> LiveArchive:
    """The archive, brought in step with the articles on disk, as a worker answers from it.

    The index of the source articles (`sources`, resolved here when not given) is loaded
    (built first when missing or changed, re-embedding only changed articles), then its
    articles are synced into the archive: changed ones get a new revision, ones whose files
    were deleted are taken down; articles published through the API are left as they are.
    """
    limit_search_threads()
    index = load_or_build(settings, embedder, sources=sources)
    store = archive_store(settings)
    roots = [Path(r) for r in index.roots]
    report = sync_index(
        store,
        index,
        roots,
        lambda documents: build_segments(
            documents,
            embedder or build_embedder(settings, settings.index_dir),
            settings.build_config(),
        ),
    )
    if report.added or report.replaced or report.removed:
        log.info(
            "archive synced: %d added, %d replaced, %d removed",
            len(report.added),
            len(report.replaced),
            len(report.removed),
        )
    live = LiveArchive(
        store,
        pipeline_factory(settings, store),
        reload_seconds=settings.reload_seconds,
        default_mode=settings.retrieval,
    )
    if embedder is not None and index.has_vectors:
        live.attach_embedder(_serving_encoder(settings, embedder, index, settings.index_dir))
    return live


def _serving_encoder(
    settings: Settings, embedder: Embedder, index: Index, folder: Path
) -> Embedder:
    """The ONNX encoder the build just exported into `index`, rather than torch, when onnx
    is chosen."""
    if settings.embedder != "onnx" or not has_encoder(index):
        return embedder
    from index.onnx_embedder import OnnxEmbedder

    if isinstance(embedder, OnnxEmbedder):
        return embedder
    return _onnx(settings, folder, settings.threads or ONNX_THREADS) or embedder
