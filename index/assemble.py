"""Segments -> the `Index` the pipeline reads: arrays concatenated, ids shifted, FAISS rebuilt.

No model runs here: assembling copies rows. Chunk ids become positions in the assembled
arrays; token row pointers are shifted by the tokens of the segments before (a segment's
`token_offsets` count its own tokens, not its sentences). The vocabulary is the sorted
union of the segments' words, each with the vector its first segment holds (a word's
vector depends only on the model, which the archive's segments share).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.archive import ArchiveMeta
from index.chunks import Chunk
from index.errors import ArchiveMismatchError
from index.segment import Segment
from index.store import BuildConfig, Index, chunk_search_index


def assemble(segments: Sequence[Segment], meta: ArchiveMeta | None = None) -> Index:
    """One searchable index over `segments` (in their order).

    >>> assemble([]).documents
    []
    """
    meta = meta or (segments[0].meta if segments else ArchiveMeta(None, None, {}))
    for segment in segments:
        if segment.meta != meta:
            raise ArchiveMismatchError(
                f"article {segment.doc_id!r} was built with {segment.meta.model_name} and other "
                f"settings than the archive ({meta.model_name}); run `footnote build` to rebuild it"
            )
    chunks: list[Chunk] = []
    for segment in segments:
        first = len(chunks)
        chunks.extend(
            Chunk(first + c.id, c.doc_id, c.sentence_ids, c.text, c.start, c.end, c.section)
            for c in segment.chunks
        )
    vocabulary: dict[str, tuple[int, int]] = {}
    for n, segment in enumerate(segments):
        for row, word in enumerate(segment.vocabulary):
            vocabulary.setdefault(word, (n, row))
    words = sorted(vocabulary)
    index = Index(
        documents=[s.document for s in segments],
        sentences=[sentence for s in segments for sentence in s.sentences],
        chunks=chunks,
        chunk_tokens=[list(t) for s in segments for t in s.chunk_tokens],
        sentence_tokens=[list(t) for s in segments for t in s.sentence_tokens],
        vocabulary=words,
        config=BuildConfig(**meta.settings) if meta.settings else BuildConfig(),
        model_name=meta.model_name,
        dimension=meta.dimension,
    )
    if segments and all(s.chunk_vectors is not None for s in segments):
        index.chunk_vectors = _stack([s.chunk_vectors for s in segments], meta.dimension)
        index.sentence_vectors = _stack([s.sentence_vectors for s in segments], meta.dimension)
        index.vocabulary_vectors = _stack(
            [
                segments[n].vocabulary_vectors[row : row + 1]
                for n, row in (vocabulary[w] for w in words)  # type: ignore[index]
            ],
            meta.dimension,
        )
        index.faiss_index = chunk_search_index(index.chunk_vectors, meta.dimension or 0)
    if segments and all(s.token_offsets is not None for s in segments):
        _join_tokens(index, segments, meta.dimension or 0)
    return index


def _stack(parts: list[np.ndarray | None], dimension: int | None) -> np.ndarray:
    arrays = [np.asarray(p, dtype=np.float32) for p in parts if p is not None and len(p)]
    if not arrays:
        return np.zeros((0, dimension or 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(arrays))


def _join_tokens(index: Index, segments: Sequence[Segment], dimension: int) -> None:
    """Concatenate token arrays, shifting each segment's pointers by the tokens before it."""
    offsets = [np.zeros(1, dtype=np.int64)]
    total = 0
    for segment in segments:
        own = np.asarray(segment.token_offsets, dtype=np.int64)
        offsets.append(own[1:] + total)
        total += int(own[-1])
    index.token_offsets = np.concatenate(offsets)
    vectors = [s.token_vectors for s in segments if s.token_vectors is not None]
    spans = [s.token_spans for s in segments if s.token_spans is not None]
    index.token_vectors = (
        np.concatenate(vectors).astype(np.float16)
        if total
        else np.zeros((0, dimension), dtype=np.float16)
    )
    index.token_spans = (
        np.concatenate(spans).astype(np.int32) if total else np.zeros((0, 2), dtype=np.int32)
    )
