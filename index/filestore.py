"""`FileStore`: the archive (index.archive.ArchiveStore) in a folder on one machine.

Layout, inside the index folder:

    INDEX_DIR/archive/manifest.json                      generation, meta, every kept revision
    INDEX_DIR/archive/segments/<doc_id>/<revision>.npz   one segment (index.segment) per revision
    INDEX_DIR/archive/.lock                              serialises commits across processes

A commit writes the new segment files first (each to a temporary name, fsynced, renamed),
then a new manifest to a temporary name, fsyncs it and renames it over the old one. A
process killed at any point leaves either the old manifest or the new one, both complete;
segment files the surviving manifest does not list are deleted by the next commit. Every
segment's sha256 is in the manifest and checked when it is read.

Kept apart from index/store.py (the one-build layout that `footnote build` writes for
evaluation and the exported encoder) so each module stays one concept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from index.archive import ArchiveMeta, ArchiveState, ArticleRecord, check_commit
from index.errors import (
    ArticleNotFoundError,
    IndexCorruptError,
    RevisionGoneError,
)
from index.locks import exclusive_lock
from index.segment import Segment

FORMAT = "footnote-archive"
FORMAT_VERSION = 1
ARCHIVE = "archive"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class FileStore:
    """The archive in `index_dir/archive`; revisions replaced are kept `ttl_seconds`.

    >>> store = FileStore(Path("/tmp/footnote-doc"), ttl_seconds=3600)  # doctest: +SKIP
    >>> store.state().articles  # doctest: +SKIP
    {}
    """

    def __init__(self, index_dir: Path, ttl_seconds: float = 86_400.0) -> None:
        self.root = index_dir / ARCHIVE
        self.ttl_seconds = ttl_seconds
        self._seen: tuple[int, int] | None = None
        self._cached: dict[str, Any] | None = None

    @property
    def _manifest(self) -> Path:
        return self.root / "manifest.json"

    def exists(self) -> bool:
        """Whether anything was ever committed here."""
        return self._manifest.is_file()

    # -- reading ---------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        """The manifest, re-read only when the file was replaced since the last read."""
        try:
            stat = self._manifest.stat()
        except FileNotFoundError:
            return {"generation": 0, "meta": None, "articles": {}}
        key = (stat.st_ino, stat.st_mtime_ns)
        if key == self._seen and self._cached is not None:
            return self._cached
        try:
            data = json.loads(self._manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(
                f"the archive manifest at {self._manifest} is unreadable; "
                "run `footnote build` to rebuild the archive"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IndexCorruptError(f"{self._manifest} is not a Footnote archive manifest")
        self._seen, self._cached = key, data
        return data

    def generation(self) -> int:
        """The generation of the manifest on disk (one stat when unchanged)."""
        return int(self._read()["generation"])

    def state(self) -> ArchiveState:
        """The current revision of every article."""
        data = self._read()
        meta = ArchiveMeta.from_dict(data["meta"]) if data.get("meta") else None
        articles = {
            doc_id: ArticleRecord.from_dict(kept[0]) for doc_id, kept in data["articles"].items()
        }
        return ArchiveState(int(data["generation"]), meta, articles)

    def _kept(self, records: list[dict[str, Any]], now: float) -> list[ArticleRecord]:
        out = [ArticleRecord.from_dict(r) for r in records]
        return [r for r in out if r.replaced_at is None or now - r.replaced_at <= self.ttl_seconds]

    def revisions(self, doc_id: str) -> list[ArticleRecord]:
        """The kept revisions of `doc_id`, newest first."""
        records = self._read()["articles"].get(doc_id)
        if not records:
            raise ArticleNotFoundError(f"no article with id {doc_id!r} is in the archive")
        return self._kept(records, time.time())

    def read_segment(self, doc_id: str, revision: str) -> Segment:
        """One kept revision's segment, its sha256 checked."""
        for record in self.revisions(doc_id):
            if record.revision == revision:
                path = self._segment_path(doc_id, revision)
                try:
                    data = path.read_bytes()
                except FileNotFoundError as exc:
                    raise IndexCorruptError(
                        f"the segment of {doc_id!r} revision {revision[:12]} is missing; "
                        "run `footnote build` to rebuild the archive"
                    ) from exc
                if hashlib.sha256(data).hexdigest() != record.segment_sha256:
                    raise IndexCorruptError(
                        f"the segment of {doc_id!r} revision {revision[:12]} is truncated or "
                        "altered; run `footnote build` to rebuild the archive"
                    )
                return Segment.from_bytes(data)
        raise RevisionGoneError(
            f"revision {revision[:12]} of {doc_id!r} is not kept (replaced longer ago than "
            "FOOTNOTE_REVISION_TTL_SECONDS, or never published)"
        )

    def _segment_path(self, doc_id: str, revision: str) -> Path:
        return self.root / "segments" / doc_id / f"{revision}.npz"

    # -- writing ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / ".lock"):
            yield

    def commit(
        self, puts: Sequence[Segment], removes: Sequence[str], meta: ArchiveMeta
    ) -> ArchiveState:
        """Put and remove atomically (see index.archive.ArchiveStore.commit)."""
        with self._lock():
            self._seen = None  # read the manifest afresh under the lock
            data = self._read()
            articles: dict[str, list[dict[str, Any]]] = {
                k: list(v) for k, v in data["articles"].items()
            }
            old_meta = ArchiveMeta.from_dict(data["meta"]) if data.get("meta") else None
            check_commit(articles, old_meta, puts, removes, meta)
            now = time.time()
            for doc_id in removes:
                del articles[doc_id]
            changed = bool(removes) or old_meta != meta
            for segment in puts:
                kept = articles.get(segment.doc_id, [])
                if kept and kept[0]["revision"] == segment.revision and old_meta == meta:
                    continue  # the same text, embedded the same way: nothing to write
                blob = segment.to_bytes()
                path = self._segment_path(segment.doc_id, segment.revision)
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_atomic(path, blob)
                doc = segment.document
                record = ArticleRecord(
                    doc_id=segment.doc_id,
                    revision=segment.revision,
                    headline=doc.title,
                    segment_sha256=hashlib.sha256(blob).hexdigest(),
                    created_at=now,
                    url=doc.metadata.get("url"),
                    published_at=doc.metadata.get("published_at"),
                    source=doc.metadata.get("source"),
                )
                older = [r for r in kept if r["revision"] != segment.revision]
                if older and older[0].get("replaced_at") is None:
                    older[0] = {**older[0], "replaced_at": now}
                if old_meta != meta:
                    older = []  # other vectors: an old revision could not be searched with them
                articles[segment.doc_id] = [record.to_dict(), *older]
                changed = True
            for doc_id, records in articles.items():
                articles[doc_id] = [r.to_dict() for r in self._kept(records, now)]
            if changed:
                generation = int(data["generation"]) + 1
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "generation": generation,
                    "meta": meta.to_dict(),
                    "articles": articles,
                }
                self._write_manifest(manifest)
                self._delete_unlisted(articles)
            self._seen = None
            return self.state()

    def prune(self, now: float | None = None) -> int:
        """Drop revisions past the TTL from the manifest and their files from disk."""
        with self._lock():
            self._seen = None
            data = self._read()
            if not data["articles"]:
                return 0
            moment = time.time() if now is None else now
            articles = {
                k: [r.to_dict() for r in self._kept(v, moment)] for k, v in data["articles"].items()
            }
            dropped = sum(len(v) for v in data["articles"].values()) - sum(
                len(v) for v in articles.values()
            )
            if dropped:
                self._write_manifest(
                    {**data, "articles": articles, "generation": int(data["generation"]) + 1}
                )
            self._delete_unlisted(articles)
            self._seen = None
            return dropped

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        payload = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
        _write_atomic(self._manifest, payload.encode("utf-8"))

    def _delete_unlisted(self, articles: dict[str, list[dict[str, Any]]]) -> None:
        """Remove segment files (and temporary files of killed commits) no revision lists."""
        folder = self.root / "segments"
        if not folder.is_dir():
            return
        for doc_dir in folder.iterdir():
            listed = {f"{r['revision']}.npz" for r in articles.get(doc_dir.name, [])}
            if not listed:
                shutil.rmtree(doc_dir, ignore_errors=True)
                continue
            for path in doc_dir.iterdir():
                if path.name not in listed:
                    path.unlink(missing_ok=True)
