"""Creating the long-lived objects once: the embedder, the index, the pipeline."""

from __future__ import annotations

import logging
from pathlib import Path

from footnote.settings import Settings
from index.build import ensure_index
from index.embeddings import Embedder, SentenceTransformerEmbedder
from index.errors import ModelUnavailableError
from rag.pipeline import Pipeline

log = logging.getLogger(__name__)


def load_embedder(settings: Settings) -> Embedder | None:
    """The configured query encoder, or None (BM25 only) when it is disabled or cannot load."""
    if settings.embedder == "none":
        return None
    try:
        return SentenceTransformerEmbedder(threads=settings.threads)
    except (ModelUnavailableError, ImportError, OSError) as exc:
        log.warning("embedding model unavailable, answering from BM25 alone: %s", exc)
        return None


def open_pipeline(
    settings: Settings, embedder: Embedder | None = None, index_dir: Path | None = None
) -> Pipeline:
    """Load (building if missing or stale) the index and wrap it in a pipeline."""
    index = ensure_index(
        list(settings.sources), index_dir or settings.index_dir, embedder, settings.build_config()
    )
    return Pipeline(
        index,
        embedder if embedder is not None and index.has_vectors else None,
        retrieval=settings.retrieval_config(),
        answering=settings.answer_config(),
        default_mode=settings.retrieval,
        max_question_chars=settings.max_question_chars,
        cache_size=settings.cache_size,
    )
