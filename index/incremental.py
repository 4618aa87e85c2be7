"""Rebuild an index re-embedding only the articles whose text changed.

The previous build is split into per-article segments (index.segment, no model run); an
article whose id and sha256 are unchanged keeps its segment, the others are built, and
the segments are assembled in the sources' order (index.assemble). The result holds the
same rows as a full build of the same sources: the vectors of an unchanged article do
not depend on the other articles.
"""

from __future__ import annotations

import logging
from pathlib import Path

from index.assemble import assemble
from index.documents import Document
from index.embeddings import Embedder
from index.errors import IndexError_
from index.progress import Stages
from index.segment import Segment, meta_for, meta_of, split_index
from index.store import BuildConfig, Index, load_index

log = logging.getLogger(__name__)


def reusable_segments(
    index_dir: Path, embedder: Embedder | None, config: BuildConfig, with_tokens: bool
) -> dict[tuple[str, str], Segment]:
    """The previous build's segments by (doc_id, sha256), when it was built as this one
    would be (same model, settings, token vectors); else none."""
    try:
        previous = load_index(index_dir)
    except IndexError_:
        return {}
    if (
        meta_of(previous) != meta_for(embedder, config)
        or previous.has_vectors != (embedder is not None)
        or (embedder is not None and previous.has_token_vectors != with_tokens)
    ):
        return {}
    return {(s.doc_id, s.document.sha256): s for s in split_index(previous)}


def build_reusing(
    documents: list[Document],
    embedder: Embedder | None,
    config: BuildConfig,
    reusable: dict[tuple[str, str], Segment],
    stages: Stages,
) -> Index:
    """`build_index(documents)`, embedding only the documents `reusable` lacks."""
    from index.build import build_index

    kept = {d.id: reusable[(d.id, d.sha256)] for d in documents if (d.id, d.sha256) in reusable}
    changed = [d for d in documents if d.id not in kept]
    log.info("re-embedding %d of %d article(s)", len(changed), len(documents))
    stages.progress.note(f"{len(kept)} article(s) unchanged, {len(changed)} to embed")
    built = build_index(changed, embedder, config, stages) if changed else None
    fresh = {s.doc_id: s for s in split_index(built)} if built is not None else {}
    segments = [kept.get(d.id) or fresh[d.id] for d in documents]
    index = assemble(segments, meta_of(built) if built is not None else segments[0].meta)
    index.documents = list(documents)
    return index
