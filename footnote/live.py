"""`LiveArchive`: what each service worker answers from, kept in step with the archive.

Every worker holds one. It reads the archive's generation (a stat for the FileStore) at
most every FOOTNOTE_RELOAD_SECONDS, and before every question scoped to one article, so:

* an article published on any worker is answered on every worker within the reload
  interval (the first scoped question after the publish sees it at once);
* an article taken down is answered by nothing from the next question on, on every worker
  (the scoped check), and unscoped questions stop citing it within the reload interval.

A scoped question is answered from a pipeline over that one revision's segment (built on
first use, kept in a small LRU), so its answers do not move when other articles are
published, and a page that still shows an older revision is answered from that revision
while the archive keeps it. Unscoped questions use one index assembled from every current
segment, rebuilt at most once per generation.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from index.archive import ArchiveState, ArchiveStore, ArticleRecord
from index.assemble import assemble
from index.embeddings import Embedder
from index.errors import RevisionGoneError
from index.segment import Segment
from index.store import Index
from rag.answer import Answer
from rag.errors import RetrievalUnavailableError, UnknownDocumentError
from rag.pipeline import Pipeline
from rag.retrieve import Mode, answer_mode

log = logging.getLogger(__name__)

UPDATED_NOTICE = (
    "This story was updated after the version on your page was published; the answer "
    "quotes the current text."
)

PipelineFactory = Callable[[Index, Embedder | None], Pipeline]


@dataclass(frozen=True, slots=True)
class Scoped:
    """The pipeline a question is answered from, the revision it quotes and, when that is
    not the revision the reader's page shows, the notice saying so."""

    pipeline: Pipeline
    revision: str | None
    notice: str | None = None

    def quote(self, answer: Answer) -> Answer:
        """The answer carrying the revision it quotes (for an unscoped question, that of
        the article its first citation comes from) and the notice, if any."""
        revision = self.revision or quoted_revision(self.pipeline, answer)
        return dataclasses.replace(answer, revision=revision, notice=self.notice)


def quoted_revision(pipeline: Pipeline, answer: Answer) -> str | None:
    """The revision (sha256) of the article the answer's first citation quotes; None
    when it cites nothing."""
    if not answer.citations:
        return None
    doc_id = answer.citations[0].doc_id
    return next((d.sha256 for d in pipeline.index.documents if d.id == doc_id), None)


class LiveArchive:
    """The archive as one worker answers from it (see the module docstring)."""

    def __init__(
        self,
        store: ArchiveStore,
        make_pipeline: PipelineFactory,
        reload_seconds: float = 2.0,
        cache_size: int = 64,
        default_mode: Mode = Mode.HYBRID,
    ) -> None:
        self.store = store
        self.reload_seconds = reload_seconds
        self.default_mode = default_mode
        self._make = make_pipeline
        self._embedder: Embedder | None = None
        # `_lock` guards the caches and the embedder for moments only; no index is
        # assembled under it, so a scoped question never waits on another's build.
        # `_whole_lock` makes one unscoped rebuild per generation, however many ask at once.
        self._lock = threading.RLock()
        self._whole_lock = threading.Lock()
        self._state = store.state()
        self._checked = time.monotonic()
        self._scoped: OrderedDict[tuple[str, str], Pipeline] = OrderedDict()
        self._cache_size = cache_size
        self._whole: tuple[int, Pipeline] | None = None

    # -- the archive's state -------------------------------------------------------------

    def refresh(self, now: bool = False) -> ArchiveState:
        """The archive's state, re-read when its generation changed; the generation is
        checked when `now` or when the reload interval has passed."""
        moment = time.monotonic()
        if now or moment - self._checked >= self.reload_seconds:
            self._checked = moment
            if self.store.generation() != self._state.generation:
                with self._lock:
                    self._state = self.store.state()
                    log.info("archive generation %d", self._state.generation)
        return self._state

    @property
    def state(self) -> ArchiveState:
        """The state last read (see `refresh`)."""
        return self._state

    def record(self, doc_id: str) -> ArticleRecord:
        """The current revision of `doc_id`, checked against the archive now."""
        articles = self.refresh(now=True).articles
        if doc_id not in articles:
            known = ", ".join(sorted(articles)[:5]) or "none"
            raise UnknownDocumentError(
                f"no article with id {doc_id!r} is published; known ids: {known}"
            )
        return articles[doc_id]

    # -- the embedder --------------------------------------------------------------------

    def attach_embedder(self, embedder: Embedder) -> None:
        """Answer with dense retrieval from now on, in every pipeline (made or to be made)."""
        with self._lock:
            pipelines = [*self._scoped.values(), *([self._whole[1]] if self._whole else [])]
            for pipeline in pipelines:
                pipeline.attach_embedder(embedder)
            self._embedder = embedder

    @property
    def embedder(self) -> Embedder | None:
        """The loaded embedder, None while it loads (or when disabled)."""
        return self._embedder

    @property
    def dense_ready(self) -> bool:
        """Whether answers use the embedding model."""
        return self._embedder is not None

    def effective_mode(self, requested: Mode | None = None) -> Mode:
        """The mode a question is answered in: BM25 whenever the model is not loaded."""
        return answer_mode(requested or self.default_mode, self.dense_ready)

    # -- pipelines -----------------------------------------------------------------------

    def _pipeline(self, index: Index) -> Pipeline:
        embedder = self._embedder if index.has_vectors else None
        try:
            return self._make(index, embedder)
        except RetrievalUnavailableError as exc:
            log.warning("answering from BM25 alone: %s", exc)
            return self._make(index, None)

    def _adopt(self, pipeline: Pipeline) -> Pipeline:
        """A pipeline built outside the lock, given the embedder if it was attached meanwhile
        (call under `_lock`)."""
        if self._embedder is not None and pipeline.index.has_vectors and not pipeline.dense_ready:
            pipeline.attach_embedder(self._embedder)
        return pipeline

    def _of_segment(self, segment: Segment) -> Pipeline:
        """The pipeline of a segment `_cached` does not hold, built and kept."""
        key = (segment.doc_id, segment.revision)
        # Built outside the lock: two first questions about one article may both build it
        # (the first kept), which costs less than making every other question wait.
        built = self._pipeline(assemble([segment]))
        with self._lock:
            found = self._scoped.setdefault(key, self._adopt(built))
            self._scoped.move_to_end(key)
            while len(self._scoped) > self._cache_size:
                self._scoped.popitem(last=False)
        return found

    def _cached(self, doc_id: str, revision: str) -> Pipeline | None:
        with self._lock:
            found = self._scoped.get((doc_id, revision))
            if found is not None:  # least recently used goes first, not least recently built
                self._scoped.move_to_end((doc_id, revision))
            return found

    def scoped(self, doc_id: str, page_revision: str | None = None) -> Scoped:
        """The pipeline for a question about `doc_id` on a page showing `page_revision`.

        The current revision when the page's is unknown or current; the page's own while
        the archive keeps it; else the current one, with `UPDATED_NOTICE`.
        """
        current = self.record(doc_id)
        wanted = page_revision or current.revision
        pipeline = self._cached(doc_id, wanted)
        if pipeline is not None:
            return Scoped(pipeline, wanted)
        if wanted != current.revision:
            try:
                return Scoped(self._of_segment(self.store.read_segment(doc_id, wanted)), wanted)
            except RevisionGoneError:
                return dataclasses.replace(self.scoped(doc_id, None), notice=UPDATED_NOTICE)
        segment = self.store.read_segment(doc_id, current.revision)
        return Scoped(self._of_segment(segment), current.revision)

    def whole(self) -> Pipeline:
        """A pipeline over every current article (for questions not scoped to one)."""
        state = self.refresh()
        with self._whole_lock:
            with self._lock:
                if self._whole is not None and self._whole[0] == state.generation:
                    return self._whole[1]
            if not state.articles:
                raise UnknownDocumentError(
                    "no article is published yet; publish one with PUT /documents/{doc_id} "
                    "or `footnote add`"
                )
            segments = [
                self.store.read_segment(doc_id, record.revision)
                for doc_id, record in sorted(state.articles.items())
            ]
            pipeline = self._pipeline(assemble(segments, state.meta))
            with self._lock:
                self._whole = (state.generation, self._adopt(pipeline))
            return pipeline
