"""One article's immutable part of the index: a `Segment`, built once per revision.

A segment holds everything retrieval and answering read about one article: its sentences
(offsets and sections), chunks, BM25 tokens, the words of its vocabulary, and the vectors
(chunks, sentences, vocabulary words and every token of every sentence). Sentence ids are
the article's own (0..n-1); chunk ids are renumbered when segments are assembled
(index.assemble). Token vectors keep the store's layout: `token_vectors` has one row per
token of the article, `token_offsets` n_sentences + 1 row pointers into it.

`to_bytes` is one uncompressed .npz (arrays plus a JSON member), so any store can keep a
segment as one blob and check it with one sha256.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from index.archive import ArchiveMeta
from index.chunks import Chunk
from index.documents import Document
from index.embeddings import Embedder
from index.errors import IndexCorruptError
from index.sentences import Sentence
from index.store import BuildConfig, Index, row_pointers
from index.tokens import STOPWORDS, words

SEGMENT_VERSION = 1
# The optional arrays a segment carries (vectors of the model that built it).
ARRAY_FIELDS = (
    "chunk_vectors",
    "sentence_vectors",
    "vocabulary_vectors",
    "token_vectors",
    "token_offsets",
    "token_spans",
)


def revision_of(raw: str) -> str:
    """The revision id of an article: the sha256 of its text as published (UTF-8), the
    same hash as `Document.sha256` and GET /documents' `revision`.

    >>> revision_of("Headline\\n\\nBody.")[:12]
    'cc814880f0c8'
    """
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Segment:
    """One revision of one article, ready to search."""

    document: Document
    revision: str
    sentences: tuple[Sentence, ...]
    chunks: tuple[Chunk, ...]
    chunk_tokens: tuple[tuple[str, ...], ...]
    sentence_tokens: tuple[tuple[str, ...], ...]
    vocabulary: tuple[str, ...]
    meta: ArchiveMeta
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    vocabulary_vectors: np.ndarray | None = None
    token_vectors: np.ndarray | None = None
    token_offsets: np.ndarray | None = None
    token_spans: np.ndarray | None = None

    @property
    def doc_id(self) -> str:
        """The article's id."""
        return self.document.id

    def to_bytes(self) -> bytes:
        """The segment as one .npz blob (see the module docstring)."""
        doc = self.document
        head = {
            "version": SEGMENT_VERSION,
            "document": asdict(doc),
            "revision": self.revision,
            "sentences": [[s.id, s.start, s.end, s.section] for s in self.sentences],
            "chunks": [[list(c.sentence_ids), c.start, c.end, c.section] for c in self.chunks],
            "chunk_tokens": [list(t) for t in self.chunk_tokens],
            "sentence_tokens": [list(t) for t in self.sentence_tokens],
            "vocabulary": list(self.vocabulary),
            "meta": self.meta.to_dict(),
        }
        arrays: dict[str, Any] = {
            "head": np.frombuffer(json.dumps(head, ensure_ascii=False).encode("utf-8"), np.uint8)
        }
        for name in ARRAY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                arrays[name] = np.asarray(value)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Segment:
        """The inverse of `to_bytes`; IndexCorruptError when the blob does not parse."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                head = json.loads(bytes(npz["head"]).decode("utf-8"))
                arrays = {name: npz[name] for name in ARRAY_FIELDS if name in npz.files}
            if head.get("version") != SEGMENT_VERSION:
                raise IndexCorruptError(
                    f"segment format {head.get('version')} is not {SEGMENT_VERSION}; "
                    "run `footnote build` to rebuild the archive"
                )
            doc = Document(**head["document"])
            sentences = tuple(
                Sentence(id=i, doc_id=doc.id, text=doc.text[a:b], start=a, end=b, section=sec)
                for i, a, b, sec in head["sentences"]
            )
            chunks = tuple(
                Chunk(
                    id=n,
                    doc_id=doc.id,
                    sentence_ids=tuple(ids),
                    text=doc.text[a:b],
                    start=a,
                    end=b,
                    section=sec,
                )
                for n, (ids, a, b, sec) in enumerate(head["chunks"])
            )
            return cls(
                document=doc,
                revision=head["revision"],
                sentences=sentences,
                chunks=chunks,
                chunk_tokens=tuple(tuple(t) for t in head["chunk_tokens"]),
                sentence_tokens=tuple(tuple(t) for t in head["sentence_tokens"]),
                vocabulary=tuple(head["vocabulary"]),
                meta=ArchiveMeta.from_dict(head["meta"]),
                **arrays,
            )
        except (KeyError, TypeError, ValueError, OSError) as exc:
            raise IndexCorruptError(
                f"an article segment does not parse ({type(exc).__name__}); "
                "run `footnote build` to rebuild the archive"
            ) from exc


def meta_of(index: Index) -> ArchiveMeta:
    """The archive meta an index was built with."""
    return ArchiveMeta(index.model_name, index.dimension, asdict(index.config))


def meta_for(embedder: Embedder | None, config: BuildConfig) -> ArchiveMeta:
    """The archive meta a build with this embedder and these settings gives."""
    if embedder is None:
        return ArchiveMeta(None, None, asdict(config))
    return ArchiveMeta(embedder.name, embedder.dimension, asdict(config))


def split_index(index: Index) -> list[Segment]:
    """One segment per document of a built index (no model run: its rows are sliced)."""
    meta = meta_of(index)
    rows: dict[str, list[int]] = {d.id: [] for d in index.documents}
    for row, sentence in enumerate(index.sentences):
        rows[sentence.doc_id].append(row)
    chunk_rows: dict[str, list[int]] = {d.id: [] for d in index.documents}
    for row, chunk in enumerate(index.chunks):
        chunk_rows[chunk.doc_id].append(row)
    position = {w: i for i, w in enumerate(index.vocabulary)}
    segments = []
    for doc in index.documents:
        s_rows, c_rows = rows[doc.id], chunk_rows[doc.id]
        sentences = tuple(index.sentences[r] for r in s_rows)
        segments.append(_slice(index, doc, sentences, s_rows, c_rows, position, meta))
    return segments


def _slice(
    index: Index,
    doc: Document,
    sentences: tuple[Sentence, ...],
    s_rows: list[int],
    c_rows: list[int],
    position: dict[str, int],
    meta: ArchiveMeta,
) -> Segment:
    vocabulary = tuple(sorted({w for s in sentences for w in words(s.text) if w not in STOPWORDS}))
    v_rows = [position[w] for w in vocabulary if w in position]

    def take(array: np.ndarray | None, picked: list[int]) -> np.ndarray | None:
        return None if array is None else np.asarray(array[picked])

    token_vectors = token_offsets = token_spans = None
    if index.has_token_vectors and index.token_spans is not None:
        assert index.token_offsets is not None and index.token_vectors is not None
        pieces = [(int(index.token_offsets[r]), int(index.token_offsets[r + 1])) for r in s_rows]
        token_offsets = row_pointers([b - a for a, b in pieces])
        picked = np.concatenate([np.arange(a, b) for a, b in pieces]) if pieces else np.zeros(0)
        picked = picked.astype(np.int64)
        token_vectors = np.asarray(index.token_vectors[picked])
        token_spans = np.asarray(index.token_spans[picked])
    first = c_rows[0] if c_rows else 0
    return Segment(
        document=doc,
        revision=doc.sha256,
        sentences=sentences,
        chunks=tuple(
            Chunk(c.id - first, c.doc_id, c.sentence_ids, c.text, c.start, c.end, c.section)
            for c in (index.chunks[r] for r in c_rows)
        ),
        chunk_tokens=tuple(tuple(index.chunk_tokens[r]) for r in c_rows),
        sentence_tokens=tuple(tuple(index.sentence_tokens[r]) for r in s_rows),
        vocabulary=vocabulary,
        meta=meta,
        chunk_vectors=take(index.chunk_vectors, c_rows),
        sentence_vectors=take(index.sentence_vectors, s_rows),
        vocabulary_vectors=take(index.vocabulary_vectors, v_rows),
        token_vectors=token_vectors,
        token_offsets=token_offsets,
        token_spans=token_spans,
    )
