"""Versioned schema migrations for the PostgreSQL archive, applied by `footnote db upgrade`.

The database records the migrations applied in `schema_version`. A service opening the
store compares the highest applied version with `SCHEMA_VERSION`, the one this code reads:
lower means `footnote db upgrade` has not been run, higher means the database was
upgraded by a newer Footnote; both are a clear `SchemaVersionError`, never a guess.

Each migration is applied in its own transaction with its version row, so a failed one
leaves the database at the version before it. An advisory lock stops two upgrades racing.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from index.errors import ArchiveError

# Layout of the tables (see docs/postgres.md): one row per article (its current revision),
# one per kept revision (text, metadata, vocabulary and its vectors), one per sentence
# (offsets, section, BM25 tokens, vector, token vectors with their spans) and one per chunk
# (sentence ids, offsets, tokens, vector, and the tsvector of the keyword side). Vectors are
# little-endian float32 bytea, token vectors float16: read straight into numpy.
_V1 = """
CREATE TABLE archive (
    id          int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    generation  bigint NOT NULL DEFAULT 0,
    meta        jsonb
);
INSERT INTO archive (id, generation, meta) VALUES (1, 0, NULL);
CREATE TABLE revisions (
    doc_id              text NOT NULL,
    revision            text NOT NULL,
    headline            text NOT NULL,
    body                text NOT NULL,
    metadata            jsonb NOT NULL,
    segment_sha256      text NOT NULL,
    created_at          double precision NOT NULL,
    replaced_at         double precision,
    vocabulary          text[] NOT NULL,
    vocabulary_vectors  bytea,
    PRIMARY KEY (doc_id, revision)
);
CREATE TABLE documents (
    doc_id    text PRIMARY KEY,
    revision  text NOT NULL,
    FOREIGN KEY (doc_id, revision) REFERENCES revisions (doc_id, revision)
);
CREATE TABLE sentences (
    doc_id         text NOT NULL,
    revision       text NOT NULL,
    sentence_id    int NOT NULL,
    start_offset   int NOT NULL,
    end_offset     int NOT NULL,
    section        text,
    tokens         text[] NOT NULL,
    vector         bytea,
    token_count    int,
    token_vectors  bytea,
    token_spans    bytea,
    PRIMARY KEY (doc_id, revision, sentence_id),
    FOREIGN KEY (doc_id, revision) REFERENCES revisions (doc_id, revision) ON DELETE CASCADE
);
CREATE TABLE chunks (
    doc_id        text NOT NULL,
    revision      text NOT NULL,
    chunk_id      int NOT NULL,
    sentence_ids  int[] NOT NULL,
    start_offset  int NOT NULL,
    end_offset    int NOT NULL,
    section       text,
    tokens        text[] NOT NULL,
    vector        bytea,
    PRIMARY KEY (doc_id, revision, chunk_id),
    FOREIGN KEY (doc_id, revision) REFERENCES revisions (doc_id, revision) ON DELETE CASCADE
);
CREATE INDEX revisions_replaced ON revisions (replaced_at) WHERE replaced_at IS NOT NULL;
"""

# The keyword side of archive-wide questions: PostgreSQL's full-text search over chunks.
_V2 = """
ALTER TABLE chunks ADD COLUMN tsv tsvector;
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "archive, revisions, documents, sentences, chunks", _V1),
    (2, "full-text search over chunks (tsvector, GIN)", _V2),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
_LOCK_KEY = 0x466F6F74  # "Foot": the advisory lock that serialises upgrades


class SchemaVersionError(ArchiveError):
    """The database's schema is not the version this Footnote reads."""


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database stands: the version applied and the one this code reads."""

    applied: int
    wanted: int

    @property
    def pending(self) -> list[int]:
        """Versions `footnote db upgrade` would apply."""
        return [v for v, _, _ in MIGRATIONS if v > self.applied]


def applied_version(conn: psycopg.Connection) -> int:
    """The highest migration applied (0: a database without Footnote's tables)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    version = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(version[0]) if version else 0


def status(conn: psycopg.Connection) -> SchemaStatus:
    """The database's schema version beside the one this code reads."""
    return SchemaStatus(applied_version(conn), SCHEMA_VERSION)


def check(applied: int) -> None:
    """Raise SchemaVersionError unless `applied` is the version this code reads."""
    if applied == SCHEMA_VERSION:
        return
    if applied < SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the database's Footnote schema is at version {applied}, this Footnote reads "
            f"version {SCHEMA_VERSION}; run `footnote db upgrade` (FOOTNOTE_STORE names the database)"
        )
    raise SchemaVersionError(
        f"the database's Footnote schema is at version {applied}, newer than this Footnote "
        f"reads ({SCHEMA_VERSION}); upgrade Footnote, or point FOOTNOTE_STORE at another database"
    )


def upgrade(conn: psycopg.Connection, target: int | None = None) -> list[int]:
    """Apply the pending migrations up to `target` (default: all); the versions applied.

    A database newer than this code is refused (SchemaVersionError), never downgraded.
    """
    goal = SCHEMA_VERSION if target is None else target
    done: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version int PRIMARY KEY, description text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = applied_version(conn)
        if applied > SCHEMA_VERSION:
            check(applied)
        for version, description, sql in MIGRATIONS:
            if applied < version <= goal:
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                        (version, description),
                    )
                done.append(version)
    return done
