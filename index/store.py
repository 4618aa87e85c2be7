"""The index on disk: one folder, a manifest, atomic writes, checked loads.

Layout of an index folder:

    INDEX_DIR/current -> builds/<build-id>     (a symlink, swapped atomically)
    INDEX_DIR/builds/<build-id>/manifest.json  (format, model, sources, settings, file sha256s)
    INDEX_DIR/builds/<build-id>/*.json|*.npy|*.faiss

Token vectors (the encoder's vector for every token of every sentence, see
index.embeddings.TokenVectors) are three arrays: token_vectors.npy (total_tokens, dim)
float16, token_offsets.npy (n_sentences + 1) int64 row pointers (sentence i owns rows
offsets[i]:offsets[i+1]), token_spans.npy (total_tokens, 2) int32 character offsets into
the sentence's text. float16 halves their size; the cosines they give move by about 1e-3.

A build writes a new folder and then replaces the `current` link with one rename, so a
build that dies halfway leaves the previous index in place and usable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.chunks import Chunk
from index.documents import Document
from index.embeddings import TokenVectors
from index.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from index.locks import exclusive_lock
from index.sentences import SPLITTER_VERSION, Sentence

FORMAT = "footnote-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# The exported query encoder (index.onnx_embedder): listed in the manifest like every file,
# but checked by the encoder when it loads rather than by load_index, so that answering
# from BM25 does not wait for 90 MB to be hashed.
ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
ENCODER_CONFIG_FILE = "encoder.json"
ENCODER_FILES = (ENCODER_FILE, TOKENIZER_FILE, ENCODER_CONFIG_FILE)


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """The settings that change what an index holds; recorded in the manifest."""

    chunk_size: int = 3
    chunk_overlap: int = 1
    splitter_version: int = SPLITTER_VERSION


@dataclass(slots=True)
class Index:
    """Everything retrieval and answering need, loaded from (or about to be written to) disk."""

    documents: list[Document]
    sentences: list[Sentence]
    chunks: list[Chunk]
    chunk_tokens: list[list[str]]
    sentence_tokens: list[list[str]]
    vocabulary: list[str]
    config: BuildConfig
    model_name: str | None
    dimension: int | None
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    vocabulary_vectors: np.ndarray | None = None
    faiss_index: Any = None
    root: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    token_vectors: np.ndarray | None = None
    token_offsets: np.ndarray | None = None
    token_spans: np.ndarray | None = None
    # Absolute paths of the files and folders it was built from, so that a command given
    # this index alone (`--index DIR`, no `--source`) checks those articles, not seeds/.
    roots: list[str] = field(default_factory=list)

    @property
    def has_vectors(self) -> bool:
        """Whether dense retrieval is possible with this index."""
        return self.chunk_vectors is not None and self.faiss_index is not None

    @property
    def has_token_vectors(self) -> bool:
        """Whether the build holds each sentence's token vectors."""
        return self.token_vectors is not None and self.token_offsets is not None

    def sentence_token_vectors(self, i: int) -> TokenVectors:
        """The token vectors of sentence `i` (spans are offsets into that sentence's text)."""
        if self.token_vectors is None or self.token_offsets is None or self.token_spans is None:
            raise IndexStaleError(
                "this index holds no token vectors (built before they existed, or without a "
                "model); run `footnote build` to rebuild it"
            )
        if not 0 <= i < len(self.sentences):
            raise IndexError(f"sentence {i} out of range (0..{len(self.sentences) - 1})")
        start, end = int(self.token_offsets[i]), int(self.token_offsets[i + 1])
        vectors = np.asarray(self.token_vectors[start:end], dtype=np.float32)
        # Rows were unit length before float16 rounding: restore that exactly.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return TokenVectors(vectors, np.array(self.token_spans[start:end], dtype=np.int32))


def row_pointers(counts: Sequence[int]) -> np.ndarray:
    """The int64 row pointers of sentences holding `counts` tokens each: sentence i's tokens
    are rows `pointers[i]:pointers[i + 1]`.

    >>> row_pointers([2, 0, 3]).tolist()
    [0, 2, 2, 5]
    """
    pointers = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(np.asarray(counts, dtype=np.int64), out=pointers[1:])
    return pointers


def pack_token_vectors(
    per_sentence: list[TokenVectors], dimension: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (total_tokens, dim) float16 array, its int64 row pointers and int32 spans."""
    offsets = row_pointers([len(t) for t in per_sentence])
    if not per_sentence or not offsets[-1]:
        return (
            np.zeros((0, dimension), dtype=np.float16),
            offsets,
            np.zeros((0, 2), dtype=np.int32),
        )
    vectors = np.concatenate([t.vectors for t in per_sentence]).astype(np.float16)
    spans = np.concatenate([t.spans for t in per_sentence]).astype(np.int32)
    return vectors, offsets, spans


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chunk_search_index(vectors: np.ndarray, dimension: int) -> Any:
    """The FAISS index the dense retriever searches: exact inner product over unit vectors
    (an archive of news articles is small enough that exact search is fast)."""
    import faiss

    flat = faiss.IndexFlatIP(dimension)
    if len(vectors):
        flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return flat


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Serialise builds of one index folder across processes."""
    _check_target(index_dir)  # before the lock file, so a foreign folder gets nothing of ours
    index_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(index_dir / ".lock"):
        yield


def _is_ours(name: str) -> bool:
    """Names a Footnote index folder holds; `.current-*` is a link a killed build may leave."""
    return name in {"current", "builds", ".lock", "archive"} or name.startswith(".current-")


def _check_target(index_dir: Path) -> None:
    """Refuse to write into a folder that holds something other than a Footnote index."""
    if not index_dir.exists():
        return
    if not index_dir.is_dir():
        raise IndexCorruptError(
            f"{index_dir} is a file, not an index folder; choose another --index"
        )
    foreign = [p.name for p in index_dir.iterdir() if not _is_ours(p.name)]
    if foreign:
        raise IndexCorruptError(
            f"{index_dir} holds files that are not a Footnote index ({', '.join(sorted(foreign)[:3])}); "
            "refusing to write there so nothing of yours is lost: choose an empty folder with --index"
        )


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def save_index(index: Index, index_dir: Path, extras: Callable[[Path], None] | None = None) -> Path:
    """Write `index` as a new build of `index_dir` and make it current, atomically.

    `extras` writes more files into the new build folder (the exported encoder); the
    manifest lists them with their sha256 like the others.
    """
    import faiss

    _check_target(index_dir)
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    staging = builds / f".tmp-{build_id}"
    link = index_dir / f".current-{build_id}"
    staging.mkdir()
    try:
        _write_json(staging / "documents.json", [asdict(d) for d in index.documents])
        _write_json(
            staging / "sentences.json",
            [[s.doc_id, s.id, s.start, s.end, s.section] for s in index.sentences],
        )
        _write_json(
            staging / "chunks.json",
            [[c.doc_id, list(c.sentence_ids), c.start, c.end, c.section] for c in index.chunks],
        )
        _write_json(
            staging / "tokens.json",
            {
                "chunks": index.chunk_tokens,
                "sentences": index.sentence_tokens,
                "vocabulary": index.vocabulary,
            },
        )
        if index.has_vectors:
            assert index.sentence_vectors is not None and index.vocabulary_vectors is not None
            np.save(staging / "chunk_vectors.npy", index.chunk_vectors)
            np.save(staging / "sentence_vectors.npy", index.sentence_vectors)
            np.save(staging / "vocabulary_vectors.npy", index.vocabulary_vectors)
            faiss.write_index(index.faiss_index, str(staging / "chunks.faiss"))
        if index.has_token_vectors:
            np.save(staging / "token_vectors.npy", index.token_vectors)
            np.save(staging / "token_offsets.npy", index.token_offsets)
            np.save(staging / "token_spans.npy", index.token_spans)
        if extras is not None:
            extras(staging)
        files = {p.name: sha256_file(p) for p in sorted(staging.iterdir())}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "build_id": build_id,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "model": {"name": index.model_name, "dimension": index.dimension},
            "settings": asdict(index.config),
            "roots": list(index.roots),
            "sources": [
                {"doc_id": d.id, "source": d.metadata.get("source", ""), "sha256": d.sha256}
                for d in index.documents
            ],
            "counts": {
                "documents": len(index.documents),
                "sentences": len(index.sentences),
                "chunks": len(index.chunks),
            },
            "files": files,
        }
        _write_json(staging / MANIFEST, manifest)
        for path in staging.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        final = builds / build_id
        staging.rename(final)
        link.symlink_to(Path("builds") / build_id)
        os.replace(link, index_dir / "current")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        link.unlink(missing_ok=True)
        raise
    for old in builds.iterdir():
        if old.name != build_id and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
    for stale in index_dir.glob(".current-*"):  # links left by builds killed before their swap
        stale.unlink(missing_ok=True)
    index.root = final
    index.manifest = manifest
    return final


def read_manifest(index_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The current build folder and its manifest, or a clear error."""
    current = index_dir / "current"
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexCorruptError(
            f"{index_dir} is a file, not an index folder; choose another --index"
        )
    if not current.exists():
        if index_dir.exists() and any(
            not _is_ours(p.name) or p.name == "current" for p in index_dir.iterdir()
        ):
            raise IndexCorruptError(
                f"{index_dir} is not a Footnote index (no current build); "
                "point --index at an index folder or an empty one and run `footnote build`"
            )
        raise IndexMissingError(
            f"no index at {index_dir}; run `footnote build --index {index_dir}`"
        )
    root = current.resolve()
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"the manifest of the index at {index_dir} is missing or unreadable; "
            f"run `footnote build --index {index_dir}`"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(
            f"{index_dir} is not a Footnote index; run `footnote build --index {index_dir}`"
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexStaleError(
            f"the index at {index_dir} has format {manifest.get('format_version')}, this Footnote reads "
            f"{FORMAT_VERSION}; run `footnote build --index {index_dir}`"
        )
    return root, manifest


def _verify_files(root: Path, manifest: dict[str, Any], index_dir: Path) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexCorruptError(f"the manifest at {index_dir} lists no files; run `footnote build`")
    for name, expected in files.items():
        if name in ENCODER_FILES:
            continue  # checked by the encoder when it loads
        path = root / name
        if not path.is_file() or sha256_file(path) != expected:
            raise IndexCorruptError(
                f"index file {name} at {index_dir} is missing, truncated or altered; "
                f"run `footnote build --index {index_dir}` to rebuild it"
            )


def load_index(index_dir: Path, mmap: bool = True) -> Index:
    """Load the current build of `index_dir`, checking every file against the manifest."""
    import faiss

    root, manifest = read_manifest(index_dir)
    _verify_files(root, manifest, index_dir)
    try:
        documents = [
            Document(**d) for d in json.loads((root / "documents.json").read_text("utf-8"))
        ]
        texts = {d.id: d.text for d in documents}
        sentences = [
            Sentence(id=i, doc_id=doc, text=texts[doc][a:b], start=a, end=b, section=sec)
            for doc, i, a, b, sec in json.loads((root / "sentences.json").read_text("utf-8"))
        ]
        chunks = [
            Chunk(
                id=n,
                doc_id=doc,
                sentence_ids=tuple(ids),
                text=texts[doc][a:b],
                start=a,
                end=b,
                section=sec,
            )
            for n, (doc, ids, a, b, sec) in enumerate(
                json.loads((root / "chunks.json").read_text("utf-8"))
            )
        ]
        tokens = json.loads((root / "tokens.json").read_text("utf-8"))
        model = manifest["model"]
        config = BuildConfig(**manifest["settings"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(
            f"the index at {index_dir} does not parse ({type(exc).__name__}); run `footnote build`"
        ) from exc
    index = Index(
        documents=documents,
        sentences=sentences,
        chunks=chunks,
        chunk_tokens=tokens["chunks"],
        sentence_tokens=tokens["sentences"],
        vocabulary=tokens["vocabulary"],
        config=config,
        model_name=model.get("name"),
        dimension=model.get("dimension"),
        root=root,
        manifest=manifest,
        roots=[str(p) for p in manifest.get("roots", [])],
    )
    if (root / "chunks.faiss").exists():
        mode = "r" if mmap else None
        index.chunk_vectors = np.load(root / "chunk_vectors.npy", mmap_mode=mode)
        index.sentence_vectors = np.load(root / "sentence_vectors.npy", mmap_mode=mode)
        index.vocabulary_vectors = np.load(root / "vocabulary_vectors.npy", mmap_mode=mode)
        # IO_FLAG_MMAP alone leaves a flat index in private memory: IO_FLAG_MMAP_IFC maps its
        # vectors too, so the workers of one machine share one copy in the page cache.
        shared = faiss.IO_FLAG_MMAP | getattr(faiss, "IO_FLAG_MMAP_IFC", 0)
        flags = shared | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index.faiss_index = faiss.read_index(str(root / "chunks.faiss"), flags)
        expected = (len(chunks), model.get("dimension"))
        if index.chunk_vectors.shape != expected or index.faiss_index.ntotal != len(chunks):
            raise IndexCorruptError(
                f"the vectors at {index_dir} do not match its chunks; run `footnote build`"
            )
    if "token_vectors.npy" in manifest["files"]:
        mode = "r" if mmap else None
        index.token_vectors = np.load(root / "token_vectors.npy", mmap_mode=mode)
        index.token_offsets = np.load(root / "token_offsets.npy", mmap_mode=mode)
        index.token_spans = np.load(root / "token_spans.npy", mmap_mode=mode)
        total = int(index.token_offsets[-1]) if len(index.token_offsets) else -1
        if (
            len(index.token_offsets) != len(sentences) + 1
            or index.token_vectors.shape != (total, model.get("dimension"))
            or index.token_spans.shape != (total, 2)
        ):
            raise IndexCorruptError(
                f"the token vectors at {index_dir} do not match its sentences; run `footnote build`"
            )
    return index
