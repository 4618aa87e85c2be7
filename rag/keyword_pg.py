"""The keyword side of archive-wide questions ranked by the archive's own database.

`DatabaseKeywordRetriever` asks a store that offers `keyword_search` (index.pg.store:
PostgreSQL full-text search over the chunks' GIN-indexed tsvector) for the best chunks of
the current revisions, and returns them as passages of the assembled index the pipeline
reads, so fusion and the answerer above work as with in-memory BM25. Chunks the assembled
index does not hold (an article published since it was assembled) are skipped until the
next reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from index.store import Index
from rag.retrieve import Passage, Query


class KeywordSearch(Protocol):
    """A store that ranks chunks by its own full-text search."""

    def keyword_search(
        self, words: Sequence[str], k: int, doc_id: str | None = None
    ) -> list[tuple[str, str, int, float]]:
        """(doc_id, revision, chunk id within the article, rank), best first."""
        ...


class DatabaseKeywordRetriever:
    """A `rag.retrieve.Retriever` over `index` whose ranking comes from `search`."""

    def __init__(self, search: KeywordSearch, index: Index) -> None:
        self._search = search
        revision = {d.id: d.sha256 for d in index.documents}
        first: dict[str, int] = {}
        for chunk in index.chunks:
            first.setdefault(chunk.doc_id, chunk.id)
        self._chunks = index.chunks
        self._row = {(doc_id, revision[doc_id]): start for doc_id, start in first.items()}

    def retrieve(self, query: Query, k: int) -> list[Passage]:
        """The best `k` passages by the database's full-text rank."""
        found = self._search.keyword_search(query.tokens, k, query.doc_id)
        passages = []
        for doc_id, revision, chunk_id, rank in found:
            start = self._row.get((doc_id, revision))
            if start is None:
                continue
            passages.append(Passage(self._chunks[start + chunk_id], rank, len(passages)))
        return passages
