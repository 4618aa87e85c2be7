"""Token vectors: one per real token, where it is in the text, stored with the index (MiniLM)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.build import ensure_index
from index.embeddings import SentenceTransformerEmbedder, TokenVectors
from index.errors import IndexStaleError
from index.onnx_embedder import OnnxEmbedder
from index.store import load_index, sha256_file
from tests.conftest import SEEDS

pytestmark = pytest.mark.model

TEXTS = [
    "The port's reopening was delayed by the weather in Seoul.",
    "Lee Jae-myung met Trump in Seoul on Wednesday.",
    "naïve café — “quoted” 日本 $350 billion 15%",
    "x",
]


def words_of(text: str, tokens: TokenVectors) -> list[str]:
    return [text[start:end] for start, end in tokens.spans]


def check_shapes(texts: list[str], tokens: list[TokenVectors], dimension: int) -> None:
    assert len(tokens) == len(texts)
    for text, item in zip(texts, tokens, strict=True):
        assert item.vectors.dtype == np.float32 and item.spans.dtype == np.int32
        assert item.vectors.shape == (len(item), dimension) and item.spans.shape == (len(item), 2)
        assert np.allclose(np.linalg.norm(item.vectors, axis=1), 1.0, atol=1e-5)
        starts, ends = item.spans[:, 0], item.spans[:, 1]
        assert (starts < ends).all() and (ends <= len(text)).all()  # no empty special tokens
        assert (np.diff(starts) >= 0).all()


@pytest.fixture(scope="module")
def onnx(index_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.from_index(index_dir, threads=1)


def test_sentence_vectors_are_those_of_encode(embedder: SentenceTransformerEmbedder, onnx):
    for model in (embedder, onnx):
        vectors, tokens = model.encode_with_tokens(TEXTS)
        assert np.allclose(vectors, model.encode(TEXTS), atol=1e-6)
        check_shapes(TEXTS, tokens, model.dimension)
        assert model.encode_with_tokens([])[0].shape == (0, model.dimension)


def test_spans_map_to_the_words_without_special_tokens(embedder: SentenceTransformerEmbedder):
    _, tokens = embedder.encode_with_tokens(TEXTS)
    assert words_of(TEXTS[0], tokens[0]) == [
        "The", "port", "'", "s", "re", "open", "ing", "was", "delayed", "by", "the", "weather", "in", "Seoul", ".",
    ]  # fmt: skip
    assert "[CLS]" not in words_of(TEXTS[0], tokens[0]) and len(tokens[3]) == 1
    # Word pieces of a word the vocabulary lacks keep their place in the original text.
    pieces = words_of(TEXTS[1], tokens[1])
    assert "".join(pieces[: pieces.index("met")]) == "LeeJae-myung"
    assert words_of(TEXTS[2], tokens[2])[:2] == ["naïve", "café"]


def test_a_token_vector_belongs_to_its_span(embedder: SentenceTransformerEmbedder):
    """The vector at a span is that word's: "Seoul" in one sentence is closest to "Seoul" in
    the other, "weather" to nothing so well. A vector shifted by one token would fail this."""
    _, (first, second, *_) = embedder.encode_with_tokens(TEXTS)
    words_first, words_second = words_of(TEXTS[0], first), words_of(TEXTS[1], second)
    similarity = first.vectors @ second.vectors.T
    seoul = words_first.index("Seoul")
    assert words_second[int(similarity[seoul].argmax())] == "Seoul"
    assert similarity[seoul].max() > similarity[words_first.index("weather")].max()


def test_onnx_token_vectors_are_the_torch_ones(embedder: SentenceTransformerEmbedder, onnx):
    texts = [*TEXTS, "word " * 400]  # one truncated at the model's max length
    _, reference = embedder.encode_with_tokens(texts)
    _, tokens = onnx.encode_with_tokens(texts)
    for ours, theirs in zip(tokens, reference, strict=True):
        assert (ours.spans == theirs.spans).all()
        assert float((ours.vectors * theirs.vectors).sum(axis=1).min()) >= 0.9999


def test_the_index_stores_each_sentences_token_vectors(index_dir: Path, embedder):
    index = load_index(index_dir)
    files = index.manifest["files"]
    for name in ("token_vectors.npy", "token_offsets.npy", "token_spans.npy"):
        assert files[name] == sha256_file(index.root / name)
    assert isinstance(index.token_vectors, np.memmap) and index.token_vectors.dtype == np.float16
    assert index.token_offsets.shape == (len(index.sentences) + 1,)
    sentences = [s.text for s in index.sentences]
    _, fresh = embedder.encode_with_tokens(sentences)
    for i, sentence in enumerate(index.sentences):
        stored = index.sentence_token_vectors(i)
        assert (stored.spans == fresh[i].spans).all()
        assert stored.vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(stored.vectors, axis=1), 1.0, atol=1e-5)
        assert float((stored.vectors * fresh[i].vectors).sum(axis=1).min()) > 0.999  # float16
        assert all(w.strip() for w in words_of(sentence.text, stored))
    with pytest.raises(IndexError):
        index.sentence_token_vectors(len(index.sentences))


def test_an_index_without_token_vectors_is_rebuilt(index_dir: Path, tmp_path: Path, embedder):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    root = (copy / "current").resolve()
    manifest = json.loads((root / "manifest.json").read_text())
    for name in ("token_vectors.npy", "token_offsets.npy", "token_spans.npy"):
        (root / name).unlink()
        del manifest["files"][name]
    (root / "manifest.json").write_text(json.dumps(manifest))
    old = load_index(copy)
    with pytest.raises(IndexStaleError, match="footnote build"):
        old.sentence_token_vectors(0)
    rebuilt = ensure_index([SEEDS], copy, embedder, old.config)
    assert rebuilt.manifest["build_id"] != manifest["build_id"] and rebuilt.has_token_vectors
