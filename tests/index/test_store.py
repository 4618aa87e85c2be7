"""The index on disk: round trip, manifest, rebuilds, corruption, foreign folders, interrupted builds.

Each test builds a small index of a hand-made article in a temporary folder, with the
session's real embedder and real FAISS, so the whole module stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

import index.store
from index.build import build_and_save, build_index, ensure_index
from index.documents import load_documents
from index.errors import IndexCorruptError, IndexMissingError, IndexStaleError, SourceError
from index.sentences import SPLITTER_VERSION
from index.store import FORMAT_VERSION, BuildConfig, Index, build_lock, load_index, save_index
from rag.pipeline import Pipeline

pytestmark = pytest.mark.model

BAKERY = """Riverside Bakery Opens a Second Shop

The Riverside Bakery opened its second shop on Elm Street on Tuesday. Owner Maria Costa said the new shop would bake rye bread and almond croissants. The bakery now employs 12 people.

Plans for the Harbour

Costa hopes to open a third shop in the harbour district next spring. She said the town council had approved the lease.
"""
ADDED = "\nThe bakery sells 40 loaves of sourdough every morning.\n"
QUESTION_ON_ADDED = "How many sourdough loaves does the bakery sell each morning?"


class EncodeOnly:
    """A model behind nothing but the Embedder protocol (name, dimension, encode)."""

    def __init__(self, model) -> None:
        self.name = model.name
        self.dimension = model.dimension
        self._model = model

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)


@pytest.fixture(scope="module")
def embedder(embedder):
    """The session's real model, as a bare Embedder: these tests are about the store, and
    leaving out what an embedder may add to a build (an exported encoder) keeps each of
    their small builds fast."""
    return EncodeOnly(embedder)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "sources" / "riverside-bakery.txt"
    path.parent.mkdir()
    path.write_text(BAKERY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """One saved index of the bakery article; tests that damage an index damage a copy."""
    folder = tmp_path_factory.mktemp("pristine")
    path = folder / "riverside-bakery.txt"
    path.write_text(BAKERY, encoding="utf-8")
    build_and_save([path], folder / "index", embedder, BuildConfig())
    return folder / "index"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory, embedder) -> Index:
    """The bakery article with one more sentence, built in memory (not yet saved)."""
    path = tmp_path_factory.mktemp("changed") / "riverside-bakery.txt"
    path.write_text(BAKERY + ADDED, encoding="utf-8")
    return build_index(load_documents([path]), embedder, BuildConfig())


@pytest.fixture
def index_copy(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(pristine, target, symlinks=True)
    return target


def build_id(index_dir: Path) -> str:
    return load_index(index_dir).manifest["build_id"]


def current_build(index_dir: Path) -> Path:
    return (index_dir / "current").resolve()


def answer(index_dir: Path, embedder, question: str):
    return Pipeline(load_index(index_dir), embedder).ask(question).answer


# -- round trip and manifest ---------------------------------------------------------------


def test_round_trip(changed, tmp_path, embedder):
    built = changed
    root = save_index(built, tmp_path / "index")
    for loaded in (load_index(tmp_path / "index"), load_index(tmp_path / "index", mmap=False)):
        assert loaded.root == root == current_build(tmp_path / "index")
        assert loaded.documents == built.documents
        assert loaded.sentences == built.sentences
        assert loaded.chunks == built.chunks
        assert loaded.chunk_tokens == built.chunk_tokens
        assert loaded.sentence_tokens == built.sentence_tokens
        assert loaded.vocabulary == built.vocabulary
        assert loaded.config == built.config
        assert (loaded.model_name, loaded.dimension) == (embedder.name, 384)
        for name in ("chunk_vectors", "sentence_vectors", "vocabulary_vectors"):
            assert np.array_equal(getattr(loaded, name), getattr(built, name)), name
        assert loaded.faiss_index.ntotal == len(built.chunks)
        # FAISS finds each chunk from its own vector.
        _, ids = loaded.faiss_index.search(np.asarray(built.chunk_vectors), 1)
        assert ids[:, 0].tolist() == list(range(len(built.chunks)))


def test_manifest(pristine):
    source = pristine.parent / "riverside-bakery.txt"
    root = current_build(pristine)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "footnote-index"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {"name": "sentence-transformers/all-MiniLM-L6-v2", "dimension": 384}
    assert manifest["sources"] == [
        {
            "doc_id": "riverside-bakery",
            "source": str(source),
            "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        }
    ]
    assert manifest["settings"] == {
        "chunk_size": 3,
        "chunk_overlap": 1,
        "splitter_version": SPLITTER_VERSION,
    }
    assert root.name == manifest["build_id"]
    written = {p.name for p in root.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == written
    assert {"chunks.faiss", "sentences.json", "chunks.json", "chunk_vectors.npy"} <= written
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest
    assert manifest["counts"]["sentences"] == len(load_index(pristine).sentences)


# -- missing and stale indexes ---------------------------------------------------------------


def test_missing_index(tmp_path):
    for folder in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(IndexMissingError, match="footnote build"):
            load_index(folder)


def test_ensure_index_reuses_an_index_that_fits(index_copy, source, embedder):
    first = build_id(index_copy)
    assert ensure_index([source], index_copy, embedder).manifest["build_id"] == first
    assert ensure_index([source], index_copy, embedder).manifest["build_id"] == first
    # The BM25-only fallback reads the same index rather than rebuilding it.
    assert ensure_index([source], index_copy, None).manifest["build_id"] == first


def test_ensure_index_rebuilds_when_a_source_changes(index_copy, source, embedder):
    before = load_index(index_copy)
    assert not any("sourdough" in s.text for s in before.sentences)

    source.write_text(BAKERY + ADDED, encoding="utf-8")
    after = ensure_index([source], index_copy, embedder)
    assert after.manifest["build_id"] != before.manifest["build_id"]
    assert after.manifest["sources"][0]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    # The old build is gone; the new content answers.
    assert [p.name for p in (index_copy / "builds").iterdir()] == [after.manifest["build_id"]]
    reply = answer(index_copy, embedder, QUESTION_ON_ADDED)
    assert reply.answered
    assert reply.citations[0].text == ADDED.strip()


def test_ensure_index_rebuilds_for_other_settings_or_model(index_copy, source, embedder):
    first = build_id(index_copy)
    smaller = ensure_index([source], index_copy, embedder, BuildConfig(chunk_size=2))
    assert smaller.manifest["build_id"] != first
    assert smaller.manifest["settings"]["chunk_size"] == 2

    class OtherModel:
        """Another model of the same dimension (vectors are irrelevant here)."""

        name = "another/model"
        dimension = 384

        def encode(self, texts):
            vectors = np.random.default_rng(0).normal(size=(len(texts), 384))
            return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    other = ensure_index([source], index_copy, OtherModel(), BuildConfig(chunk_size=2))
    assert other.manifest["model"]["name"] == "another/model"


def test_ensure_index_adds_vectors_to_a_bm25_only_index(source, tmp_path, embedder):
    bare = ensure_index([source], tmp_path / "index", None)
    assert not bare.has_vectors
    full = ensure_index([source], tmp_path / "index", embedder)
    assert full.has_vectors
    assert full.manifest["build_id"] != bare.manifest["build_id"]


def test_an_older_format_is_rebuilt(index_copy, source, embedder):
    first = build_id(index_copy)
    manifest_path = current_build(index_copy) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION - 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="footnote build"):
        load_index(index_copy)
    rebuilt = ensure_index([source], index_copy, embedder)
    assert rebuilt.manifest["build_id"] != first


def test_a_missing_source_is_a_clear_error(tmp_path, embedder):
    with pytest.raises(SourceError, match="does not exist"):
        ensure_index([tmp_path / "absent.txt"], tmp_path / "index", embedder)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(SourceError, match="empty"):
        ensure_index([empty], tmp_path / "index", embedder)


# -- corruption ------------------------------------------------------------------------------


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def remove(path: Path) -> None:
    path.unlink()


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("chunks.faiss", truncate),
        ("chunks.faiss", flip),
        ("sentences.json", flip),
        ("sentences.json", truncate),
        ("chunk_vectors.npy", flip),
        ("tokens.json", remove),
        ("manifest.json", truncate),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_damaged_file_is_a_clear_error(index_copy, source, embedder, name, damage):
    damage(current_build(index_copy) / name)
    with pytest.raises(IndexCorruptError, match="footnote build"):
        load_index(index_copy)
    # Never wrong answers: the commands that build on first use refuse too.
    with pytest.raises(IndexCorruptError, match="footnote build"):
        ensure_index([source], index_copy, embedder)


def test_a_foreign_folder_is_refused_and_left_alone(source, tmp_path, embedder):
    folder = tmp_path / "my-documents"
    folder.mkdir()
    mine = folder / "notes.txt"
    mine.write_text("my notes", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="not a Footnote index"):
        load_index(folder)
    with pytest.raises(IndexCorruptError, match="not a Footnote index"):
        ensure_index([source], folder, embedder)
    with pytest.raises(IndexCorruptError, match="not a Footnote index"):
        build_and_save([source], folder, embedder, BuildConfig())
    assert mine.read_text(encoding="utf-8") == "my notes"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_file_in_place_of_the_index_folder_is_refused(source, tmp_path, embedder):
    mine = tmp_path / "report.txt"
    mine.write_text("mine", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="--index"):
        load_index(mine)
    with pytest.raises(IndexCorruptError, match="--index"):
        ensure_index([source], mine, embedder)
    assert mine.read_text(encoding="utf-8") == "mine"


# -- interrupted builds ------------------------------------------------------------------------


def fail(*args, **kwargs):
    raise OSError("No space left on device")


def write_json_then_fail_at_manifest(real):
    def write(path, data):
        if path.name == "manifest.json":
            fail()
        real(path, data)

    return write


def assert_answers_old_content(index_dir: Path, embedder) -> None:
    reply = answer(index_dir, embedder, "Where did the bakery open its second shop?")
    assert reply.answered
    assert "Elm Street" in reply.citations[0].text


@pytest.mark.parametrize("where", ["faiss.write_index", "manifest", "os.replace"])
def test_an_interrupted_build_leaves_the_previous_index_working(
    index_copy, changed, embedder, monkeypatch, where
):
    previous = build_id(index_copy)
    with monkeypatch.context() as patch:
        if where == "faiss.write_index":
            patch.setattr(faiss, "write_index", fail)
        elif where == "manifest":
            real = index.store._write_json
            patch.setattr(index.store, "_write_json", write_json_then_fail_at_manifest(real))
        else:  # after the new build is complete, at the swap of `current`
            patch.setattr(index.store.os, "replace", fail)
        with pytest.raises(OSError, match="No space left"), build_lock(index_copy):
            save_index(changed, index_copy)

    # The previous build is still current, whole and answering.
    assert build_id(index_copy) == previous
    assert os.readlink(index_copy / "current") == f"builds/{previous}"
    assert_answers_old_content(index_copy, embedder)
    assert not list((index_copy / "builds").glob(".tmp-*")), "a half-written build was left"
    assert sorted(p.name for p in index_copy.iterdir()) == [".lock", "builds", "current"]

    # The next build goes through and serves the new content.
    save_index(changed, index_copy)
    assert build_id(index_copy) != previous
    assert [p.name for p in (index_copy / "builds").iterdir()] == [build_id(index_copy)]
    assert answer(index_copy, embedder, QUESTION_ON_ADDED).answered


def test_leftovers_of_a_killed_build_do_not_break_loading_or_building(
    index_copy, source, changed, embedder
):
    """A process killed mid-build (no cleanup at all) leaves a staging folder and maybe a link."""
    previous = build_id(index_copy)
    staging = index_copy / "builds" / ".tmp-20260101T000000-deadbeef"
    staging.mkdir()
    (staging / "sentences.json").write_text("[[", encoding="utf-8")
    (index_copy / ".current-20260101T000000-deadbeef").symlink_to(staging.relative_to(index_copy))

    assert build_id(index_copy) == previous
    assert ensure_index([source], index_copy, embedder).manifest["build_id"] == previous
    assert_answers_old_content(index_copy, embedder)

    with build_lock(index_copy):
        save_index(changed, index_copy)
    assert build_id(index_copy) != previous
    assert answer(index_copy, embedder, QUESTION_ON_ADDED).answered
    assert not list(index_copy.glob(".current-*"))


def test_a_first_build_killed_before_its_swap_is_rebuilt(source, tmp_path, embedder):
    """Killed after writing its folder and link but before `current` existed."""
    folder = tmp_path / "index"
    (folder / "builds" / "20260101T000000-deadbeef").mkdir(parents=True)
    (folder / ".current-20260101T000000-deadbeef").symlink_to("builds/20260101T000000-deadbeef")
    with pytest.raises(IndexMissingError):
        load_index(folder)
    assert ensure_index([source], folder, embedder).has_vectors


def test_processes_starting_together_build_the_index_once(source, tmp_path, embedder, monkeypatch):
    import threading

    import index.build

    builds = []
    real_build = index.build.build_index

    def counting_build(*args, **kwargs):
        builds.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(index.build, "build_index", counting_build)
    target = tmp_path / "shared-index"
    results: list[Index] = []
    workers = [
        threading.Thread(target=lambda: results.append(ensure_index([source], target, embedder)))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(results) == 3
    assert len(builds) == 1
    assert len({r.manifest["build_id"] for r in results}) == 1
