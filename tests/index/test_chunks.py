"""Chunks: overlapping windows of whole sentences, inside one section, knowing their sentences."""

from __future__ import annotations

from itertools import groupby, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunks import Chunk, make_chunks
from index.documents import load_document
from index.sentences import Sentence, split_sentences
from tests.conftest import ARTICLE


def assert_valid_chunks(
    chunks: list[Chunk], sentences: list[Sentence], text: str, size: int, overlap: int
) -> None:
    by_id = {s.id: s for s in sentences}
    for number, chunk in enumerate(chunks):
        assert chunk.id == number
        members = [by_id[i] for i in chunk.sentence_ids]
        assert 1 <= len(members) <= size
        # Whole, consecutive sentences of one section and one document.
        assert list(chunk.sentence_ids) == list(
            range(chunk.sentence_ids[0], chunk.sentence_ids[-1] + 1)
        )
        assert {s.section for s in members} == {chunk.section}
        assert {s.doc_id for s in members} == {chunk.doc_id}
        # The text is the exact source slice from the first sentence to the last.
        assert (chunk.start, chunk.end) == (members[0].start, members[-1].end)
        assert chunk.text == text[chunk.start : chunk.end]
        assert all(s.text in chunk.text for s in members)

    # Every sentence is in some chunk, and neighbours within a section share `overlap` sentences.
    assert {i for c in chunks for i in c.sentence_ids} == set(by_id)
    for _, group in groupby(chunks, key=lambda c: (c.doc_id, c.section)):
        run = list(group)
        assert all(len(c.sentence_ids) == size for c in run[:-1]), "only the last may be short"
        for before, after in pairwise(run):
            shared = set(before.sentence_ids) & set(after.sentence_ids)
            assert len(shared) == overlap
            assert after.sentence_ids[0] == before.sentence_ids[-1] + 1 - overlap


@pytest.fixture(scope="module")
def article():
    document = load_document(ARTICLE)
    return document, split_sentences(document)


@pytest.mark.parametrize(("size", "overlap"), [(3, 1), (1, 0), (2, 0), (4, 2), (5, 4)])
def test_article_chunks(article, size, overlap):
    document, sentences = article
    chunks = make_chunks(sentences, document.text, size, overlap)
    assert_valid_chunks(chunks, sentences, document.text, size, overlap)
    # Sections bound chunks: as many sections as the article has, none crossed.
    assert {c.section for c in chunks} == {s.section for s in sentences}


def test_default_chunks_stay_inside_sections(article):
    document, sentences = article
    chunks = make_chunks(sentences, document.text)
    boundary = next(s for s in sentences if s.text.startswith("The goodwill gestures"))
    before = sentences[boundary.id - 1]
    assert not any(before.id in c.sentence_ids and boundary.id in c.sentence_ids for c in chunks), (
        "a chunk crosses a subheading"
    )


def test_first_id_continues_numbering(article):
    document, sentences = article
    chunks = make_chunks(sentences, document.text, first_id=100)
    assert [c.id for c in chunks] == list(range(100, 100 + len(chunks)))


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (-1, 0), (3, 3), (3, 4), (3, -1)])
def test_bad_size_or_overlap_is_refused(article, size, overlap):
    document, sentences = article
    with pytest.raises(ValueError, match="overlap"):
        make_chunks(sentences, document.text, size, overlap)


def synthetic(section_lengths: list[int]) -> tuple[list[Sentence], str]:
    """Sentences "S0." "S1." ... in sections of the given lengths, and their text."""
    sentences: list[Sentence] = []
    text = ""
    for number, length in enumerate(section_lengths):
        section = None if number == 0 else f"Section {number}"
        text += f"{section or ''}\n"
        for _ in range(length):
            body = f"S{len(sentences)}."
            sentences.append(
                Sentence(len(sentences), "doc", body, len(text), len(text) + len(body), section)
            )
            text += body + " "
    return sentences, text


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=5),
    size=st.integers(1, 6),
    data=st.data(),
)
def test_any_sections_any_window(lengths, size, data):
    overlap = data.draw(st.integers(0, size - 1))
    sentences, text = synthetic(lengths)
    chunks = make_chunks(sentences, text, size, overlap)
    assert_valid_chunks(chunks, sentences, text, size, overlap)
