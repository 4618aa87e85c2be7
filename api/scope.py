"""Which pipeline answers a question, and which revision of the article it quotes.

With a live archive (the service) a question scoped to one article is answered from that
article's revision the reader's page shows, while the archive keeps it (footnote.live);
an app built around a fixed pipeline (tests, embedding) answers from it and quotes the
revision its index holds.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from api.deps import get_pipeline
from footnote.live import LiveArchive, Scoped
from index.documents import Document
from rag.errors import UnknownDocumentError
from rag.pipeline import Pipeline


def live_archive(request: Request) -> LiveArchive | None:
    """The worker's live archive, None for an app around a fixed pipeline."""
    return getattr(request.app.state, "live", None)


def find_document(documents: list[Document], doc_id: str) -> Document:
    """The document `doc_id` of an index, or UnknownDocumentError naming some known ids."""
    for document in documents:
        if document.id == doc_id:
            return document
    known = ", ".join(sorted(d.id for d in documents)[:5])
    raise UnknownDocumentError(f"no article with id {doc_id!r} is indexed; known ids: {known}")


def _fixed(pipeline: Pipeline, doc_id: str | None) -> Scoped:
    if doc_id is None:
        return Scoped(pipeline, None)
    return Scoped(pipeline, find_document(pipeline.index.documents, doc_id).sha256)


def choose(request: Request, doc_id: str | None, revision: str | None) -> Scoped:
    """The pipeline and revision for a question; blocking (it may read a segment), so
    `resolve` from async code."""
    live = live_archive(request)
    if live is None:
        return _fixed(get_pipeline(request), doc_id)
    if doc_id is None:
        return Scoped(live.whole(), None)
    return live.scoped(doc_id, revision)


async def resolve(request: Request, doc_id: str | None, revision: str | None) -> Scoped:
    """The pipeline and revision for a question (reading a segment runs off the loop)."""
    return await run_in_threadpool(choose, request, doc_id, revision)
