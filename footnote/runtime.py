"""Creating the long-lived objects once: the embedder, the index, the pipeline.

`FOOTNOTE_MODEL` chooses the model (index.models); an index built with another one is
rebuilt. With the default `FOOTNOTE_EMBEDDER=onnx`, questions are encoded by the ONNX export that
the index build folder holds, so neither torch nor sentence-transformers is imported to
serve. Torch is loaded only to build an index that has no exported encoder yet (the
first build, or a new version of the bundled model); the build exports one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from footnote.settings import Settings
from index.build import ensure_index, has_encoder
from index.embeddings import Embedder, SentenceTransformerEmbedder
from index.errors import IndexError_, ModelUnavailableError
from index.models import model_path
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


def open_pipeline(
    settings: Settings, embedder: Embedder | None = None, index_dir: Path | None = None
) -> Pipeline:
    """Load (building if missing or stale) the index and wrap it in a pipeline."""
    limit_search_threads()
    folder = index_dir or settings.index_dir
    onnx = settings.embedder == "onnx"
    index = ensure_index(
        list(settings.sources), folder, embedder, settings.build_config(), want_encoder=onnx
    )
    if onnx and embedder is not None and has_encoder(index):
        from index.onnx_embedder import OnnxEmbedder

        if not isinstance(embedder, OnnxEmbedder):
            # The build just exported it: answer with it rather than with the torch model.
            embedder = _onnx(settings, folder, settings.threads or ONNX_THREADS) or embedder
    return Pipeline(
        index,
        embedder if embedder is not None and index.has_vectors else None,
        retrieval=settings.retrieval_config(),
        answering=settings.answer_config(),
        default_mode=settings.retrieval,
        max_question_chars=settings.max_question_chars,
        cache_size=settings.cache_size,
    )
