"""One article revision as rows of the PostgreSQL archive, and back into a `Segment`.

`write_revision` inserts a revision's row, its sentences and its chunks with COPY, then
fills the chunks' tsvector (the keyword side of archive-wide questions) in one UPDATE;
the caller's transaction makes it all visible at once. `read_revision` reads them back
and checks the text against its revision id (the sha256 of the text).
"""

from __future__ import annotations

import json

import psycopg

from index.archive import ArchiveMeta
from index.chunks import Chunk
from index.documents import Document
from index.errors import IndexCorruptError
from index.pg.codec import pack, stack, unpack
from index.segment import Segment, revision_of
from index.sentences import Sentence
from index.store import row_pointers

TEXT_SEARCH_CONFIG = "english"


def write_revision(
    conn: psycopg.Connection, segment: Segment, segment_sha256: str, now: float
) -> None:
    """Insert one revision (not yet current: the caller points `documents` at it)."""
    doc = segment.document
    meta = {k: v for k, v in doc.metadata.items()}
    conn.execute(
        "INSERT INTO revisions (doc_id, revision, headline, body, metadata, segment_sha256,"
        " created_at, vocabulary, vocabulary_vectors) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
        (
            doc.id,
            segment.revision,
            doc.title,
            doc.text,
            json.dumps({"body_start": doc.body_start, "sha256": doc.sha256, "metadata": meta}),
            segment_sha256,
            now,
            list(segment.vocabulary),
            pack(segment.vocabulary_vectors, "<f4"),
        ),
    )
    offsets = segment.token_offsets
    with conn.cursor() as cur:
        with cur.copy(
            "COPY sentences (doc_id, revision, sentence_id, start_offset, end_offset, section,"
            " tokens, vector, token_count, token_vectors, token_spans) FROM STDIN"
        ) as copy:
            for row, sentence in enumerate(segment.sentences):
                count = a = b = None
                if offsets is not None:
                    a, b = int(offsets[row]), int(offsets[row + 1])
                    count = b - a
                copy.write_row(
                    (
                        doc.id,
                        segment.revision,
                        sentence.id,
                        sentence.start,
                        sentence.end,
                        sentence.section,
                        list(segment.sentence_tokens[row]),
                        _row(segment.sentence_vectors, row, "<f4"),
                        count,
                        None if count is None else pack(segment.token_vectors[a:b], "<f2"),  # type: ignore[index]
                        None if count is None else pack(segment.token_spans[a:b], "<i4"),  # type: ignore[index]
                    )
                )
        with cur.copy(
            "COPY chunks (doc_id, revision, chunk_id, sentence_ids, start_offset, end_offset,"
            " section, tokens, vector) FROM STDIN"
        ) as copy:
            for row, chunk in enumerate(segment.chunks):
                copy.write_row(
                    (
                        doc.id,
                        segment.revision,
                        chunk.id,
                        list(chunk.sentence_ids),
                        chunk.start,
                        chunk.end,
                        chunk.section,
                        list(segment.chunk_tokens[row]),
                        _row(segment.chunk_vectors, row, "<f4"),
                    )
                )
    # PostgreSQL's substr counts characters, as Python's offsets do.
    conn.execute(
        "UPDATE chunks c SET tsv = to_tsvector(%s::regconfig,"
        " substr(r.body, c.start_offset + 1, c.end_offset - c.start_offset))"
        " FROM revisions r WHERE r.doc_id = c.doc_id AND r.revision = c.revision"
        " AND c.doc_id = %s AND c.revision = %s",
        (TEXT_SEARCH_CONFIG, doc.id, segment.revision),
    )


def _row(array, row: int, dtype: str) -> bytes | None:
    return None if array is None else pack(array[row], dtype)


def read_revision(conn: psycopg.Connection, doc_id: str, revision: str) -> Segment | None:
    """The segment of one stored revision, or None when it is not stored."""
    head = conn.execute(
        "SELECT r.headline, r.body, r.metadata, r.vocabulary, r.vocabulary_vectors, a.meta"
        " FROM revisions r, archive a WHERE r.doc_id = %s AND r.revision = %s",
        (doc_id, revision),
    ).fetchone()
    if head is None:
        return None
    headline, body, extra, vocabulary, vocabulary_vectors, meta_json = head
    if revision_of(body) != revision:
        raise IndexCorruptError(
            f"the stored text of {doc_id!r} does not match its revision {revision[:12]}; "
            "publish the article again"
        )
    meta = ArchiveMeta.from_dict(meta_json or {})
    width = meta.dimension or 0
    doc = Document(
        doc_id, headline, body, extra["body_start"], extra["sha256"], dict(extra["metadata"])
    )
    s_rows = conn.execute(
        "SELECT sentence_id, start_offset, end_offset, section, tokens, vector, token_count,"
        " token_vectors, token_spans FROM sentences WHERE doc_id = %s AND revision = %s"
        " ORDER BY sentence_id",
        (doc_id, revision),
    ).fetchall()
    c_rows = conn.execute(
        "SELECT chunk_id, sentence_ids, start_offset, end_offset, section, tokens, vector"
        " FROM chunks WHERE doc_id = %s AND revision = %s ORDER BY chunk_id",
        (doc_id, revision),
    ).fetchall()
    sentences = tuple(
        Sentence(id=i, doc_id=doc_id, text=body[a:b], start=a, end=b, section=sec)
        for i, a, b, sec, *_ in s_rows
    )
    chunks = tuple(
        Chunk(n, doc_id, tuple(ids), body[a:b], a, b, sec) for n, ids, a, b, sec, _, _ in c_rows
    )
    token_offsets = token_vectors = token_spans = None
    if s_rows and all(r[6] is not None for r in s_rows):
        token_offsets = row_pointers([r[6] for r in s_rows])
        token_vectors = stack([r[7] for r in s_rows], "<f2", width)
        token_spans = stack([r[8] for r in s_rows], "<i4", 2)
    return Segment(
        document=doc,
        revision=revision,
        sentences=sentences,
        chunks=chunks,
        chunk_tokens=tuple(tuple(r[5]) for r in c_rows),
        sentence_tokens=tuple(tuple(r[4]) for r in s_rows),
        vocabulary=tuple(vocabulary),
        meta=meta,
        chunk_vectors=stack([r[6] for r in c_rows], "<f4", width) if width else None,
        sentence_vectors=stack([r[5] for r in s_rows], "<f4", width) if width else None,
        vocabulary_vectors=unpack(vocabulary_vectors, "<f4", width) if width else None,
        token_vectors=token_vectors,
        token_offsets=token_offsets,
        token_spans=token_spans,
    )
