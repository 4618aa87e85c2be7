"""Publishing into the archive: add, replace or remove one article, or sync a folder.

Each write embeds only the articles it changes (outside the store's lock, so readers and
other writers are not held up by the model), then makes one atomic `commit` (see
index.archive.ArchiveStore). A full rebuild happens only when the model or the split
settings change, since vectors of two models cannot be searched together.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.archive import ArchiveState, ArchiveStore
from index.build import build_index
from index.documents import Document, parse_document
from index.embeddings import Embedder
from index.errors import ArchiveError
from index.progress import Progress
from index.segment import Segment, meta_for, split_index
from index.store import BuildConfig, Index

log = logging.getLogger(__name__)

DOC_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$"
_DOC_ID = re.compile(DOC_ID_PATTERN)


class ArticleInputError(ArchiveError):
    """An article or id given to publish is not acceptable as it is."""


def check_doc_id(doc_id: str) -> str:
    """`doc_id` when it is a valid article id (lower-case letters, digits, inner hyphens)."""
    if not _DOC_ID.match(doc_id):
        raise ArticleInputError(
            f"the article id {doc_id[:40]!r} is not valid: use 1-100 lower-case letters, "
            "digits and hyphens, starting and ending with a letter or digit (e.g. harbor-bridge)"
        )
    return doc_id


def article_document(
    doc_id: str,
    headline: str,
    text: str,
    url: str | None = None,
    published_at: str | None = None,
    source: str | None = None,
) -> Document:
    """The Document of a published article: the headline is its first line, as in a file."""
    check_doc_id(doc_id)
    headline = " ".join(headline.split())
    body = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not headline:
        raise ArticleInputError("the headline is empty; send the article's headline")
    if not body.strip():
        raise ArticleInputError("the text is empty; send the article's body")
    document = parse_document(doc_id, f"{headline}\n\n{body}\n", source=source or "")
    extra = {k: v for k, v in (("url", url), ("published_at", published_at)) if v}
    if extra:
        document.metadata.update(extra)
    return document


def build_segments(
    documents: list[Document], embedder: Embedder | None, config: BuildConfig
) -> list[Segment]:
    """The segments of `documents`, embedded in one batch (quietly)."""
    if not documents:
        return []
    stages = Progress.quiet().stages("embedding", 5)
    return split_index(build_index(documents, embedder, config, stages))


def publish(
    store: ArchiveStore, document: Document, embedder: Embedder | None, config: BuildConfig
) -> ArchiveState:
    """Add or replace one article: embed it, then commit it as its current revision."""
    state = store.state()
    current = state.articles.get(document.id)
    if current is not None and current.revision == document.sha256:
        return state  # the same text: nothing to embed, nothing changes
    meta = meta_for(embedder, config)
    return store.commit(build_segments([document], embedder, config), [], meta)


def remove(store: ArchiveStore, doc_id: str) -> ArchiveState:
    """Take one article down: every revision of it stops being answered at once."""
    state = store.state()
    meta = state.meta or meta_for(None, BuildConfig())
    return store.commit([], [doc_id], meta)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync changed, by article id."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def owned_by(source: str | None, roots: list[Path]) -> bool:
    """Whether an archived article's source file is one of `roots` or inside one of them."""
    if not source:
        return False
    path = Path(source)
    return any(path == root or root in path.parents for root in roots)


def sync_index(
    store: ArchiveStore,
    index: Index,
    roots: list[Path],
    reembed: Callable[[list[Document]], list[Segment]] | None = None,
) -> SyncReport:
    """Make the archive's articles from `roots` those of a built index.

    Articles of the index whose text the archive lacks are put; archived articles whose
    source lies under `roots` but are no longer in the index are removed. Articles
    published through the API (no source) or from elsewhere are left as they are. When
    the index was built with another model or settings, those other articles are embedded
    again from their stored text by `reembed` (the only model run here), so a change of
    model never loses what a newsroom published; without `reembed` that is refused.
    """
    state = store.state()
    segments = split_index(index)
    meta = segments[0].meta if segments else state.meta
    if meta is None:
        return SyncReport()
    other_model = state.meta is not None and state.meta != meta
    puts = [
        s
        for s in segments
        if other_model
        or s.doc_id not in state.articles
        or state.articles[s.doc_id].revision != s.revision
    ]
    in_index = {s.doc_id for s in segments}
    removes = [
        doc_id
        for doc_id, record in state.articles.items()
        if doc_id not in in_index and owned_by(record.source, roots)
    ]
    # Counted before articles embedded again join `puts`: those are not the index's.
    unchanged = len(segments) - len(puts)
    kept = [d for d in state.articles if d not in in_index and d not in removes]
    if other_model and kept:
        if reembed is None:
            raise ArchiveError(
                f"{len(kept)} published article(s) ({', '.join(sorted(kept)[:3])}) were embedded "
                "with another model or settings; run `footnote build` with the model "
                "installed so they are embedded again from their stored text"
            )
        texts = [store.read_segment(d, state.articles[d].revision).document for d in kept]
        log.info("embedding %d published article(s) again for the new model", len(texts))
        puts += reembed(texts)
    if puts or removes or state.meta != meta:
        store.commit(puts, removes, meta)
    added = [s.doc_id for s in puts if s.doc_id not in state.articles]
    return SyncReport(
        added=added,
        replaced=[s.doc_id for s in puts if s.doc_id in state.articles],
        removed=removes,
        unchanged=unchanged,
    )
