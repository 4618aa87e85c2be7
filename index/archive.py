"""The archive of published articles: what any store of them must do (`ArchiveStore`).

An archive holds, for every article, its current revision and, for a while
(FOOTNOTE_REVISION_TTL_SECONDS), the revisions it replaced. Each revision is one immutable
`Segment` (index.segment): the article's sentences, chunks, tokens and vectors, built once
when it was published. A revision's id is the sha256 of the article's text (index.segment.
revision_of), so publishing the same text twice changes nothing.

Two stores implement the Protocol: index.store.FileStore (a folder, for one machine) and a
PostgreSQL store (several machines). Readers (footnote.live.LiveArchive) need only:

* `generation()`: a number that changes on every commit; cheap, polled every few seconds;
* `state()`: the current revision of every article, read when the generation changed;
* `read_segment(doc_id, revision)`: one revision's segment, read once and cached;
* `revisions(doc_id)`: the revisions kept, for GET /documents/{doc_id}.

Writers (index.publish) embed the changed articles first, outside any lock, then make one
`commit(puts, removes, meta)`: all of it becomes visible at once or none of it does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from index.errors import ArchiveMismatchError, ArticleNotFoundError

if TYPE_CHECKING:
    from index.segment import Segment


@dataclass(frozen=True, slots=True)
class ArchiveMeta:
    """What every segment of one archive shares: the model that embedded it and the
    settings that split it (index.store.BuildConfig as a dict). Segments of another model
    cannot be mixed in: their vectors would not compare."""

    model_name: str | None
    dimension: int | None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stores keep it beside the articles)."""
        return {
            "model_name": self.model_name,
            "dimension": self.dimension,
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArchiveMeta:
        """The inverse of `to_dict`."""
        return cls(data.get("model_name"), data.get("dimension"), dict(data.get("settings", {})))


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One revision of one article, as the archive lists it.

    `revision` is the sha256 of the article's text; `segment_sha256` the sha256 of the
    segment's bytes (checked when it is read back). `source` is the absolute path of the
    file it was built from (None when published through the API). `replaced_at` is None
    for the current revision, else when a newer one replaced it (Unix seconds).
    """

    doc_id: str
    revision: str
    headline: str
    segment_sha256: str
    created_at: float
    url: str | None = None
    published_at: str | None = None
    source: str | None = None
    replaced_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, fields in declaration order."""
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArticleRecord:
        """The inverse of `to_dict` (unknown keys are ignored)."""
        names = cls.__slots__  # type: ignore[attr-defined]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, slots=True)
class ArchiveState:
    """The archive at one generation: its meta and the current revision of each article."""

    generation: int
    meta: ArchiveMeta | None
    articles: Mapping[str, ArticleRecord]


@runtime_checkable
class ArchiveStore(Protocol):
    """A store of article segments with revisions; every method is safe across processes."""

    def generation(self) -> int:
        """A number that changes with every commit (0: nothing committed yet). Cheap."""
        ...

    def state(self) -> ArchiveState:
        """The current revision of every article, at one generation."""
        ...

    def revisions(self, doc_id: str) -> list[ArticleRecord]:
        """The revisions of `doc_id` still kept, newest (the current one) first.

        Raises index.errors.ArticleNotFoundError when the archive has no such article.
        """
        ...

    def read_segment(self, doc_id: str, revision: str) -> Segment:
        """The segment of one kept revision, its checksum verified.

        Raises ArticleNotFoundError (no such article) or RevisionGoneError (the revision
        is not kept), IndexCorruptError when its bytes do not match the checksum.
        """
        ...

    def commit(
        self, puts: Sequence[Segment], removes: Sequence[str], meta: ArchiveMeta
    ) -> ArchiveState:
        """Make `puts` the current revisions of their articles and drop `removes`, atomically.

        A put whose revision is already current is skipped; the revision it replaces is
        kept until FOOTNOTE_REVISION_TTL_SECONDS have passed. A removed article loses every
        revision at once. `meta` must equal the archive's unless every article is replaced
        (a rebuild with another model); else ArchiveMismatchError. Removing an id the
        archive lacks raises ArticleNotFoundError and commits nothing. Returns the new state.
        """
        ...

    def prune(self, now: float | None = None) -> int:
        """Delete revisions replaced more than the TTL ago; how many were deleted."""
        ...


def check_commit(
    current: Collection[str],
    old_meta: ArchiveMeta | None,
    puts: Sequence[Segment],
    removes: Sequence[str],
    meta: ArchiveMeta,
) -> None:
    """The checks every store makes before a commit writes anything (see `ArchiveStore.commit`):
    removed ids exist, and vectors of another model or settings replace the whole archive."""
    missing = [d for d in removes if d not in current]
    if missing:
        raise ArticleNotFoundError(f"no article with id {missing[0]!r} is in the archive")
    replaced_all = set(current) <= {s.doc_id for s in puts} | set(removes)
    if old_meta is not None and old_meta != meta and not replaced_all:
        raise ArchiveMismatchError(
            f"the archive was built with {old_meta.model_name} and settings "
            f"{dict(old_meta.settings)}; this article with {meta.model_name} and "
            f"{dict(meta.settings)}: run `footnote build` to rebuild the archive"
        )
    for segment in puts:
        if segment.meta != meta:
            raise ArchiveMismatchError(
                f"article {segment.doc_id!r} was built with other settings than the commit"
            )
