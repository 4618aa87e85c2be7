"""Chunks: overlapping windows of whole sentences that never cross a section boundary."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from index.sentences import Sentence


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage for retrieval: consecutive sentences of one section of one document."""

    id: int
    doc_id: str
    sentence_ids: tuple[int, ...]
    text: str
    start: int
    end: int
    section: str | None


def make_chunks(
    sentences: list[Sentence],
    document_text: str,
    size: int = 3,
    overlap: int = 1,
    first_id: int = 0,
) -> list[Chunk]:
    """Windows of `size` sentences stepping by `size - overlap`, inside each section.

    >>> make_chunks([], "", 3, 1)
    []
    """
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(
            f"chunk size {size} and overlap {overlap}: need size >= 1 and 0 <= overlap < size"
        )
    step = size - overlap
    chunks: list[Chunk] = []
    for (doc_id, section), group in groupby(sentences, key=lambda s: (s.doc_id, s.section)):
        run = list(group)
        starts = range(0, max(len(run) - overlap, 1), step)
        for offset in starts:
            window = run[offset : offset + size]
            start, end = window[0].start, window[-1].end
            chunks.append(
                Chunk(
                    id=first_id + len(chunks),
                    doc_id=doc_id,
                    sentence_ids=tuple(s.id for s in window),
                    text=document_text[start:end],
                    start=start,
                    end=end,
                    section=section,
                )
            )
    return chunks
