"""The ONNX query encoder: the same vectors as the torch model, checked files, no torch to serve."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from footnote.runtime import build_embedder, load_embedder
from footnote.settings import Settings
from index.build import has_encoder
from index.embeddings import SentenceTransformerEmbedder
from index.errors import IndexCorruptError
from index.onnx_embedder import EncoderMissingError, OnnxEmbedder
from index.store import ENCODER_FILES, load_index, sha256_file
from tests.conftest import ARTICLE, ROOT, SEEDS

pytestmark = pytest.mark.model

QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "eval" / "qa" / "trump-asia-tour-south-korea.jsonl").open()
]


@pytest.fixture(scope="module")
def onnx(index_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.from_index(index_dir, threads=1)


def texts() -> list[str]:
    lines = [line.strip() for line in ARTICLE.read_text(encoding="utf-8").splitlines()]
    odd = ["", "x", "word " * 400, "naïve café — “quoted” 日本 $350 billion 15%"]
    return [line for line in lines if line] + QUESTIONS + odd


def test_the_build_exports_the_encoder_and_lists_it_with_its_sha256(index_dir: Path):
    index = load_index(index_dir)
    assert has_encoder(index)
    for name in ENCODER_FILES:
        assert index.manifest["files"][name] == sha256_file(index.root / name)
    config = json.loads((index.root / "encoder.json").read_text())
    assert config["max_length"] == 256  # the model's sentence_bert_config, not the tokenizer's 128


def test_same_name_and_dimension_as_the_torch_model(onnx, embedder):
    assert (onnx.name, onnx.dimension) == (embedder.name, embedder.dimension)


def test_vectors_match_the_torch_model(onnx, embedder: SentenceTransformerEmbedder):
    sample = texts()
    reference = embedder.encode(sample)
    batched = onnx.encode(sample)  # longest first, padded batches
    one_by_one = np.vstack([onnx.encode([t]) for t in sample])
    for vectors in (batched, one_by_one):
        assert vectors.dtype == np.float32 and vectors.shape == reference.shape
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert float((vectors * reference).sum(axis=1).min()) >= 0.9999
    assert onnx.encode([]).shape == (0, onnx.dimension)


def copy_index(index_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    return copy


def test_an_altered_encoder_is_detected_and_bm25_still_loads(index_dir: Path, tmp_path: Path):
    copy = copy_index(index_dir, tmp_path)
    encoder = (copy / "current").resolve() / "encoder.onnx"
    data = bytearray(encoder.read_bytes())
    data[len(data) // 2] ^= 0xFF
    encoder.unlink()  # a hard link may share the original's bytes
    encoder.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"encoder\.onnx"):
        OnnxEmbedder.from_index(copy)
    assert load_index(copy).chunks  # answering from BM25 does not wait for the encoder's hash


def test_an_index_without_the_encoder_falls_back_to_torch(index_dir: Path, tmp_path: Path):
    copy = copy_index(index_dir, tmp_path)
    root = (copy / "current").resolve()
    manifest = json.loads((root / "manifest.json").read_text())
    for name in ENCODER_FILES:
        (root / name).unlink()
        del manifest["files"][name]
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(EncoderMissingError):
        OnnxEmbedder.from_index(copy)
    settings = Settings(sources=[SEEDS], index_dir=copy, embedder="onnx")
    assert isinstance(load_embedder(settings), SentenceTransformerEmbedder)


def test_a_rebuild_reuses_the_exported_encoder(index_dir: Path):
    settings = Settings(sources=[SEEDS], index_dir=index_dir, embedder="onnx")
    assert isinstance(build_embedder(settings), OnnxEmbedder)  # no torch, no new export
    assert isinstance(load_embedder(settings), OnnxEmbedder)
    torch_settings = settings.model_copy(update={"embedder": "torch"})
    assert isinstance(load_embedder(torch_settings), SentenceTransformerEmbedder)


SERVE_WITHOUT_TORCH = """
import sys
from pathlib import Path
from footnote.runtime import load_embedder, open_pipeline
from footnote.settings import Settings
settings = Settings(sources=[Path(sys.argv[1])], index_dir=Path(sys.argv[2]))
pipeline = open_pipeline(settings, load_embedder(settings))
answer = pipeline.ask("How much did Trump want South Korea to invest?").answer
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)
print(answer.retrieval, type(pipeline._embedder).__name__, heavy)
"""


def test_serving_with_onnx_imports_no_torch(index_dir: Path):
    done = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_TORCH, str(SEEDS), str(index_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hybrid", "OnnxEmbedder", "[]"]
