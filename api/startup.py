"""Start-up: serve from the index on disk at once, and bring the embedding model in behind.

The index loads in well under a second; the model takes seconds. So the service opens a
BM25 pipeline first and a background thread attaches the model when it is loaded, which
switches answers to hybrid retrieval. Only an index that is missing or stale has to wait:
it is built with the model first, then served.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum

from footnote.live import LiveArchive
from footnote.runtime import Sources, answer_sources, load_embedder, open_live
from footnote.settings import Settings
from index.build import stale_reason
from index.documents import load_documents
from index.errors import IndexMissingError, IndexStaleError
from index.progress import Progress
from index.store import read_manifest
from rag.errors import RetrievalUnavailableError
from rag.pipeline import Pipeline
from rag.retrieve import Mode

log = logging.getLogger(__name__)


class ModelState(StrEnum):
    """Where the embedding model is, as /readyz reports it."""

    LOADING = "loading"
    READY = "ready"
    UNAVAILABLE = "unavailable"
    DISABLED = "disabled"


def wants_model(settings: Settings) -> bool:
    """Whether answers would use the embedding model at all."""
    return settings.embedder != "none" and settings.retrieval is not Mode.BM25


def index_servable_without_model(settings: Settings, sources: Sources | None = None) -> bool:
    """Whether the index on disk fits the sources (`answer_sources` when not given) and holds
    vectors when the model is wanted."""
    if sources is None:
        sources = answer_sources(settings)
    try:
        if sources.paths is not None:
            documents = load_documents(sources.paths)
            if stale_reason(settings.index_dir, documents, None, settings.build_config()):
                return False
        _, manifest = read_manifest(settings.index_dir)
    except (IndexMissingError, IndexStaleError):
        return False
    return not wants_model(settings) or bool(manifest.get("model", {}).get("name"))


class ModelLoader:
    """Loads the embedding model on a background thread and attaches it to the pipeline
    (or to every pipeline of a live archive)."""

    def __init__(self, settings: Settings, pipeline: Pipeline | LiveArchive) -> None:
        self._settings = settings
        self._pipeline = pipeline
        self.state = ModelState.READY if pipeline.dense_ready else ModelState.LOADING
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin loading; the service answers from BM25 meanwhile."""
        if self.state is ModelState.LOADING:
            self._thread = threading.Thread(target=self._load, name="model-loader", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> ModelState:
        """Block until the loader has finished (for tests and the CLI); the final state."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.state

    def _load(self) -> None:
        try:
            embedder = load_embedder(self._settings)
            if embedder is None:
                self.state = ModelState.UNAVAILABLE
                return
            self._pipeline.attach_embedder(embedder)
        except RetrievalUnavailableError as exc:
            log.warning("answering from BM25 alone: %s", exc)
            self.state = ModelState.UNAVAILABLE
        except Exception:
            # A thread's exception would vanish with the thread and leave "loading" forever;
            # log it whole and keep answering from BM25.
            log.exception("the embedding model failed to load; answering from BM25 alone")
            self.state = ModelState.UNAVAILABLE
        else:
            self.state = ModelState.READY
            log.info(
                "embedding model loaded; answering with %s retrieval", self._settings.retrieval
            )


def open_service(settings: Settings) -> tuple[LiveArchive, ModelLoader]:
    """The live archive to serve and the loader of its model (not yet started).

    >>> live, loader = open_service(Settings())  # doctest: +SKIP
    >>> loader.start()  # doctest: +SKIP
    """
    # Resolved once: when the articles are gone, the service says so once, not per step.
    sources = answer_sources(settings)
    if not wants_model(settings):
        live = open_live(settings, None, sources)
        loader = ModelLoader(settings, live)
        loader.state = ModelState.DISABLED
        return live, loader
    if index_servable_without_model(settings, sources):
        live = open_live(settings, None, sources)
        return live, ModelLoader(settings, live)
    log.info("the index at %s must be built first; loading the model", settings.index_dir)
    Progress.terminal().note(
        f"the index at {settings.index_dir} must be built first; loading the embedding model"
    )
    embedder = load_embedder(settings)
    live = open_live(settings, embedder, sources)
    loader = ModelLoader(settings, live)
    if embedder is None:
        loader.state = ModelState.UNAVAILABLE
    return live, loader
