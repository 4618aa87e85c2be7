"""`PostgresStore`: the archive (index.archive.ArchiveStore) in one PostgreSQL database,
shared by every replica of the service.

Every commit is one transaction: it locks the single `archive` row (so commits from any
machine are serialised), writes the new revisions' rows, points `documents` at them, marks
the revisions they replace, drops expired ones, bumps the generation and sends
`NOTIFY footnote_archive` (delivered when, and only if, it commits). A writer killed
mid-commit leaves nothing: PostgreSQL rolls the open transaction back.

Readers poll `generation()` (one single-row SELECT, which also re-checks the schema
version) rather than LISTEN: a missed notification can never leave a replica stale, and
the poll costs well under a millisecond (docs/postgres.md has the figures).

A database that cannot be reached, or does not answer within `timeout_seconds`, raises
ArchiveUnavailableError (HTTP 503); the pool replaces broken connections, so the store
recovers by itself when the database is back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator, Sequence

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from index.archive import ArchiveMeta, ArchiveState, ArticleRecord, check_commit
from index.errors import (
    ArchiveUnavailableError,
    ArticleNotFoundError,
    RevisionGoneError,
)
from index.pg import migrations
from index.pg.rows import TEXT_SEARCH_CONFIG, read_revision, write_revision
from index.segment import Segment

CHANNEL = "footnote_archive"
_RECORD_COLUMNS = (
    "r.doc_id, r.revision, r.headline, r.segment_sha256, r.created_at, r.metadata, r.replaced_at"
)


def _record(row: tuple) -> ArticleRecord:
    doc_id, revision, headline, sha, created, extra, replaced = row
    meta = extra.get("metadata", {})
    return ArticleRecord(
        doc_id=doc_id,
        revision=revision,
        headline=headline,
        segment_sha256=sha,
        created_at=created,
        url=meta.get("url"),
        published_at=meta.get("published_at"),
        source=meta.get("source") or None,
        replaced_at=replaced,
    )


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the FOOTNOTE_STORE database"
    host, port, name = info.get("host", "localhost"), info.get("port", "5432"), info.get("dbname")
    return f"postgresql://{host}:{port}/{name or ''}"


class PostgresStore:
    """The archive in the database `dsn`; replaced revisions are kept `ttl_seconds`.

    >>> store = PostgresStore("postgresql://postgres@127.0.0.1:5432/footnote")  # doctest: +SKIP
    >>> store.generation()  # doctest: +SKIP
    0
    """

    def __init__(
        self,
        dsn: str,
        ttl_seconds: float = 86_400.0,
        timeout_seconds: float = 5.0,
        pool_size: int = 4,
    ) -> None:
        self.dsn = dsn
        self.ttl_seconds = ttl_seconds
        self.timeout_seconds = timeout_seconds
        self._where = redact(dsn)
        # Revisions never change once written, so a segment read once is kept by
        # (doc_id, revision) and dropped when `state` shows the revision is not current.
        self._segments: dict[tuple[str, str], Segment] = {}
        self._segments_lock = threading.Lock()
        statement_ms = max(int(timeout_seconds * 1000), 1)
        self._connect_options = {
            "connect_timeout": max(int(timeout_seconds), 1),
            "options": f"-c statement_timeout={statement_ms}",
        }
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            timeout=timeout_seconds,
            kwargs=self._connect_options,
            # A broken connection (the database restarted) is replaced before use, not
            # handed to a request.
            check=ConnectionPool.check_connection,
            open=False,
            name="footnote-archive",
        )
        self._pool.open(wait=False)
        try:
            with self._connection() as conn:
                migrations.check(migrations.applied_version(conn))
        except BaseException:
            self._pool.close()
            raise

    def close(self) -> None:
        """Close every connection of the pool."""
        self._pool.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; database outages become ArchiveUnavailableError."""
        try:
            with self._borrow() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise ArchiveUnavailableError(
                f"the archive database ({self._where}) is unavailable "
                f"({type(exc).__name__}); it may be restarting, try again shortly"
            ) from exc

    @contextlib.contextmanager
    def _borrow(self) -> Iterator[psycopg.Connection]:
        """A connection of the pool or, when it has none to give in time, one of its own.

        After the database restarts, the pool refills with a backoff of seconds; a
        connection made for this request meanwhile answers at once when the database is
        back, and fails at once (refused) while it is still down.
        """
        try:
            with self._pool.connection() as conn:
                yield conn
            return
        except PoolTimeout:
            pass  # nothing was yielded: the pool gave no connection
        with psycopg.connect(self.dsn, **self._connect_options) as conn:
            yield conn

    # -- reading ---------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether anything was ever committed here."""
        return self.generation() > 0

    def generation(self) -> int:
        """The archive's generation; also re-checks the schema version (one round trip)."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT a.generation, (SELECT max(version) FROM schema_version) FROM archive a"
            ).fetchone()
        assert row is not None  # the migration inserts the one archive row
        migrations.check(int(row[1]))
        return int(row[0])

    def state(self) -> ArchiveState:
        """The current revision of every article, read in one snapshot."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            generation, meta = conn.execute("SELECT generation, meta FROM archive").fetchone()  # type: ignore[misc]
            rows = conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM documents d JOIN revisions r"
                " ON r.doc_id = d.doc_id AND r.revision = d.revision"
            ).fetchall()
        articles = {row[0]: _record(row) for row in rows}
        current = {(d, r.revision) for d, r in articles.items()}
        with self._segments_lock:
            for key in [k for k in self._segments if k not in current]:
                del self._segments[key]
        return ArchiveState(
            int(generation), ArchiveMeta.from_dict(meta) if meta else None, articles
        )

    def _kept(self, conn: psycopg.Connection, doc_id: str) -> list[ArticleRecord]:
        if conn.execute("SELECT 1 FROM documents WHERE doc_id = %s", (doc_id,)).fetchone() is None:
            raise ArticleNotFoundError(f"no article with id {doc_id!r} is in the archive")
        rows = conn.execute(
            f"SELECT {_RECORD_COLUMNS} FROM revisions r WHERE r.doc_id = %s"
            " AND (r.replaced_at IS NULL OR r.replaced_at >= %s)"
            " ORDER BY r.replaced_at IS NOT NULL, r.replaced_at DESC",
            (doc_id, time.time() - self.ttl_seconds),
        ).fetchall()
        return [_record(row) for row in rows]

    def revisions(self, doc_id: str) -> list[ArticleRecord]:
        """The kept revisions of `doc_id`, newest (the current one) first."""
        with self._connection() as conn:
            return self._kept(conn, doc_id)

    def read_segment(self, doc_id: str, revision: str) -> Segment:
        """One kept revision, rebuilt from its rows in one snapshot (cached while current)."""
        with self._segments_lock:
            cached = self._segments.get((doc_id, revision))
        if cached is not None and self._is_current(doc_id, revision):
            return cached
        segment = self._read_segment(doc_id, revision)
        with self._segments_lock:
            self._segments[(doc_id, revision)] = segment
        return segment

    def _is_current(self, doc_id: str, revision: str) -> bool:
        """One indexed lookup: still the article's current revision (not taken down)?"""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM documents WHERE doc_id = %s AND revision = %s", (doc_id, revision)
            ).fetchone()
        return row is not None

    def _read_segment(self, doc_id: str, revision: str) -> Segment:
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if revision not in {r.revision for r in self._kept(conn, doc_id)}:
                raise RevisionGoneError(
                    f"revision {revision[:12]} of {doc_id!r} is not kept (replaced longer ago "
                    "than FOOTNOTE_REVISION_TTL_SECONDS, or never published)"
                )
            segment = read_revision(conn, doc_id, revision)
        if segment is None:  # pruned between the two reads of one snapshot: cannot happen
            raise RevisionGoneError(f"revision {revision[:12]} of {doc_id!r} is not kept")
        return segment

    def keyword_search(
        self, words: Sequence[str], k: int, doc_id: str | None = None
    ) -> list[tuple[str, str, int, float]]:
        """The `k` current chunks PostgreSQL's full-text search ranks best for any of
        `words` (ts_rank_cd over the chunks' tsvector, GIN-indexed): (doc_id, revision,
        chunk id within its article, rank), best first."""
        terms = [w for w in words if w.isalnum()]
        if not terms or k <= 0:
            return []
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT c.doc_id, c.revision, c.chunk_id, ts_rank_cd(c.tsv, q) AS rank"
                " FROM chunks c JOIN documents d"
                " ON d.doc_id = c.doc_id AND d.revision = c.revision,"
                " to_tsquery(%s::regconfig, %s) q"
                " WHERE c.tsv @@ q AND (%s::text IS NULL OR c.doc_id = %s)"
                " ORDER BY rank DESC, c.doc_id, c.chunk_id LIMIT %s",
                (TEXT_SEARCH_CONFIG, " | ".join(terms), doc_id, doc_id, k),
            ).fetchall()
        return [(d, r, int(c), float(rank)) for d, r, c, rank in rows]

    # -- writing ---------------------------------------------------------------------

    def commit(
        self, puts: Sequence[Segment], removes: Sequence[str], meta: ArchiveMeta
    ) -> ArchiveState:
        """Put and remove in one transaction (see index.archive.ArchiveStore.commit)."""
        with self._connection() as conn, conn.transaction():
            generation, old = conn.execute(
                "SELECT generation, meta FROM archive WHERE id = 1 FOR UPDATE"
            ).fetchone()  # type: ignore[misc]
            old_meta = ArchiveMeta.from_dict(old) if old else None
            current = dict(conn.execute("SELECT doc_id, revision FROM documents").fetchall())
            check_commit(current, old_meta, puts, removes, meta)
            now = time.time()
            changed = bool(removes) or old_meta != meta
            for doc_id in removes:
                conn.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,))
                conn.execute("DELETE FROM revisions WHERE doc_id = %s", (doc_id,))
            for segment in puts:
                doc_id, before = segment.doc_id, current.get(segment.doc_id)
                if before == segment.revision and old_meta == meta:
                    continue  # the same text, embedded the same way: nothing to write
                if before == segment.revision:
                    # The same text embedded anew (another model or settings): its rows go.
                    conn.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,))
                # A revision published again after it was replaced starts afresh.
                conn.execute(
                    "DELETE FROM revisions WHERE doc_id = %s AND revision = %s",
                    (doc_id, segment.revision),
                )
                # Serialised (for its hash) only when its row is written: a put of an
                # unchanged article, as every worker's start-up sync makes, costs nothing.
                write_revision(conn, segment, hashlib.sha256(segment.to_bytes()).hexdigest(), now)
                conn.execute(
                    "INSERT INTO documents (doc_id, revision) VALUES (%s, %s)"
                    " ON CONFLICT (doc_id) DO UPDATE SET revision = excluded.revision",
                    (doc_id, segment.revision),
                )
                conn.execute(
                    "UPDATE revisions SET replaced_at = %s WHERE doc_id = %s"
                    " AND revision <> %s AND replaced_at IS NULL",
                    (now, doc_id, segment.revision),
                )
                if old_meta is not None and old_meta != meta:
                    # Other vectors: an old revision could not be searched with them.
                    conn.execute(
                        "DELETE FROM revisions WHERE doc_id = %s AND revision <> %s",
                        (doc_id, segment.revision),
                    )
                current[doc_id] = segment.revision
                changed = True
            self._delete_expired(conn, now)
            if changed:
                conn.execute(
                    "UPDATE archive SET generation = generation + 1, meta = %s WHERE id = 1",
                    (json.dumps(meta.to_dict()),),
                )
                conn.execute(f"NOTIFY {CHANNEL}, '{int(generation) + 1}'")
        return self.state()

    def _delete_expired(self, conn: psycopg.Connection, now: float) -> int:
        cursor = conn.execute(
            "DELETE FROM revisions WHERE replaced_at IS NOT NULL AND replaced_at < %s",
            (now - self.ttl_seconds,),
        )
        return cursor.rowcount

    def prune(self, now: float | None = None) -> int:
        """Delete revisions replaced more than the TTL ago; how many were deleted."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT 1 FROM archive WHERE id = 1 FOR UPDATE")
            return self._delete_expired(conn, time.time() if now is None else now)
