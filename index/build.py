"""From article files to a saved index, and the check that an index still fits its sources."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np

from index.chunks import Chunk, make_chunks
from index.documents import Document, load_documents
from index.embeddings import Embedder, EncoderWriter, TokenVectors
from index.errors import IndexMissingError, IndexStaleError
from index.normalize import NormalizedText, normalize, normalize_with_offsets
from index.progress import Progress, Stages
from index.sentences import SPLITTER_VERSION, Sentence, split_sentences
from index.store import (
    ENCODER_FILES,
    BuildConfig,
    Index,
    build_lock,
    chunk_search_index,
    load_index,
    pack_token_vectors,
    read_manifest,
    save_index,
)
from index.tokens import STOPWORDS, tokenize, words

log = logging.getLogger(__name__)


# Stages of a build: splitting, then (with a model) three embeddings, then saving.
_STAGES_WITHOUT_MODEL = 2
_STAGES_WITH_MODEL = 5
# Texts encoded per call, so that a bar can move on a large archive; the encoder batches
# them further itself, so the vectors are the same as in one call.
_ENCODE_SLICE = 256


def build_index(
    documents: list[Document],
    embedder: Embedder | None,
    config: BuildConfig,
    stages: Stages | None = None,
) -> Index:
    """Split, chunk, tokenize and (when an embedder is given) embed `documents` in memory.

    `stages` reports each step (see index.progress); none: quiet.
    """
    stages = stages or Progress.quiet().stages("building the index", _STAGES_WITH_MODEL)
    stages.next(f"splitting and tokenizing {len(documents)} article(s)")
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc in documents:
        doc_sentences = split_sentences(doc)
        sentences.extend(doc_sentences)
        chunks.extend(
            make_chunks(
                doc_sentences,
                doc.text,
                config.chunk_size,
                config.chunk_overlap,
                first_id=len(chunks),
            )
        )
    vocabulary = sorted({w for s in sentences for w in words(s.text) if w not in STOPWORDS})
    index = Index(
        documents=documents,
        sentences=sentences,
        chunks=chunks,
        chunk_tokens=[tokenize(_chunk_context(c)) for c in chunks],
        sentence_tokens=[tokenize(s.text) for s in sentences],
        vocabulary=vocabulary,
        config=config,
        model_name=embedder.name if embedder else None,
        dimension=embedder.dimension if embedder else None,
    )
    if embedder is not None:
        # The model reads the reader's form, as questions are cleaned to it (rag.pipeline).
        index.chunk_vectors = _encode(
            embedder, [normalize(_chunk_context(c)) for c in chunks], "chunks", stages
        )
        views = [normalize_with_offsets(s.text) for s in sentences]
        if _gives_tokens(embedder):
            # The same model run gives the sentence vectors and every token's vector.
            index.sentence_vectors, tokens = _encode_with_tokens(
                embedder, [v.text for v in views], stages
            )
            index.token_vectors, index.token_offsets, index.token_spans = pack_token_vectors(
                [_in_original(t, v) for t, v in zip(tokens, views, strict=True)],
                embedder.dimension,
            )
        else:
            index.sentence_vectors = _encode(embedder, [v.text for v in views], "sentences", stages)
        index.vocabulary_vectors = _encode(embedder, vocabulary, "words", stages)
        index.faiss_index = chunk_search_index(index.chunk_vectors, embedder.dimension)
    return index


def _encode(embedder: Embedder, texts: list[str], what: str, stages: Stages) -> np.ndarray:
    """`embedder.encode(texts)`, a slice at a time under a progress bar."""
    stages.next(f"embedding {len(texts)} {what}")
    if len(texts) <= _ENCODE_SLICE:
        return embedder.encode(texts)
    parts = []
    with stages.bar(len(texts), what, unit=what.rstrip("s")) as bar:
        for start in range(0, len(texts), _ENCODE_SLICE):
            part = texts[start : start + _ENCODE_SLICE]
            parts.append(embedder.encode(part))
            bar.update(len(part))
    return np.vstack(parts)


def _build_stages(progress: Progress | None, index_dir: Path, embedder: Embedder | None) -> Stages:
    total = _STAGES_WITH_MODEL if embedder is not None else _STAGES_WITHOUT_MODEL
    return (progress or Progress.terminal()).stages(f"building the index at {index_dir}", total)


def _save(index: Index, index_dir: Path, embedder: Embedder | None, stages: Stages) -> None:
    writer = _encoder_writer(embedder) if index.has_vectors else None
    stages.next("saving" + (" and exporting the ONNX query encoder" if writer else ""))
    save_index(index, index_dir, writer)


def _encode_with_tokens(
    embedder: Embedder, texts: list[str], stages: Stages
) -> tuple[np.ndarray, list[TokenVectors]]:
    """`embedder.encode_with_tokens(texts)`, a slice at a time under a progress bar."""
    stages.next(f"embedding {len(texts)} sentences and their tokens")
    vectors, tokens = [], []
    with stages.bar(len(texts), "sentences", unit="sentence") as bar:
        for start in range(0, max(len(texts), 1), _ENCODE_SLICE):
            part = texts[start : start + _ENCODE_SLICE]
            found, part_tokens = embedder.encode_with_tokens(part)
            vectors.append(found)
            tokens.extend(part_tokens)
            bar.update(len(part))
    return np.vstack(vectors), tokens


def _in_original(tokens: TokenVectors, view: NormalizedText) -> TokenVectors:
    """Token spans into the sentence as written (the store's contract), not into the
    normalised text the model read."""
    if not view.starts or not len(tokens):
        return tokens
    spans = [view.original_span(int(a), max(int(b), int(a) + 1)) for a, b in tokens.spans]
    return TokenVectors(tokens.vectors, np.asarray(spans, dtype=np.int32).reshape(-1, 2))


def _gives_tokens(embedder: Embedder | None) -> bool:
    """Whether the embedder gives token vectors (a minimal one may give only `encode`)."""
    return callable(getattr(embedder, "encode_with_tokens", None))


def _chunk_context(chunk: Chunk) -> str:
    # The section title helps both retrievers: "Immigration Raid" is in the heading, not the text.
    return f"{chunk.section}. {chunk.text}" if chunk.section else chunk.text


def stale_reason(
    index_dir: Path, documents: list[Document], embedder: Embedder | None, config: BuildConfig
) -> str | None:
    """Why the index at `index_dir` no longer fits these sources, model and settings; None if it fits."""
    _, manifest = read_manifest(index_dir)
    built = {s["doc_id"]: s["sha256"] for s in manifest.get("sources", [])}
    wanted = {d.id: d.sha256 for d in documents}
    if built != wanted:
        changed = sorted(
            set(built) ^ set(wanted)
            | {k for k in built.keys() & wanted.keys() if built[k] != wanted[k]}
        )
        return f"its sources changed ({', '.join(changed[:3])})"
    if manifest.get("settings") != asdict(config):
        return "it was built with other chunk settings"
    model = manifest.get("model", {}).get("name")
    if embedder is not None and model != embedder.name:
        return f"it was built with the model {model!r}, not {embedder.name!r}"
    return None


def _encoder_writer(embedder: Embedder | None):
    """What puts the ONNX query encoder into a new build: the embedder itself, if it can."""
    return embedder.write_encoder if isinstance(embedder, EncoderWriter) else None


def has_encoder(index: Index) -> bool:
    """Whether the build holds the exported query encoder (see index.onnx_embedder)."""
    return all(name in index.manifest.get("files", {}) for name in ENCODER_FILES)


def build_and_save(
    sources: list[Path],
    index_dir: Path,
    embedder: Embedder | None,
    config: BuildConfig,
    progress: Progress | None = None,
) -> Index:
    """Build from `sources` and save atomically to `index_dir`, with the ONNX encoder when
    the embedder can write one. Stages show on a terminal (`progress`, default stderr)."""
    documents = load_documents(sources)
    with build_lock(index_dir):
        stages = _build_stages(progress, index_dir, embedder)
        index = _build(documents, sources, embedder, config, stages, index_dir)
        _save(index, index_dir, embedder, stages)
    return load_index(index_dir)


def _build(
    documents: list[Document],
    sources: list[Path],
    embedder: Embedder | None,
    config: BuildConfig,
    stages: Stages,
    index_dir: Path,
) -> Index:
    """Build the index of `documents` (read from `sources`, which it records as its
    roots), re-embedding only those the previous build of `index_dir` lacks or holds with
    another text (index.incremental)."""
    from index.incremental import build_reusing, reusable_segments

    reusable = reusable_segments(index_dir, embedder, config, _gives_tokens(embedder))
    if not reusable:
        index = build_index(documents, embedder, config, stages)
    else:
        index = build_reusing(documents, embedder, config, reusable, stages)
    index.roots = [str(p.resolve()) for p in sources]
    return index


def _rebuild_reason(
    index_dir: Path,
    documents: list[Document],
    embedder: Embedder | None,
    config: BuildConfig,
    want_encoder: bool,
) -> tuple[str | None, Index | None]:
    """Why the index at `index_dir` must be (re)built for these sources, or the loaded
    index when it fits."""
    try:
        reason = stale_reason(index_dir, documents, embedder, config)
    except IndexMissingError:
        return "there is none yet", None
    except IndexStaleError as exc:
        return str(exc), None
    if reason is not None:
        return reason, None
    index = load_index(index_dir)
    writer = _encoder_writer(embedder)
    if index.has_vectors and _gives_tokens(embedder) and not index.has_token_vectors:
        return "it has no token vectors yet", None
    if embedder is None or (
        index.has_vectors and (has_encoder(index) or not want_encoder or writer is None)
    ):
        return None, index
    if index.has_vectors:
        return "it has no ONNX query encoder yet", None
    return "it was built without the embedding model", None


def ensure_index(
    sources: list[Path],
    index_dir: Path,
    embedder: Embedder | None,
    config: BuildConfig | None = None,
    want_encoder: bool = False,
    progress: Progress | None = None,
) -> Index:
    """Load the index, building it first when it is missing or no longer fits its sources
    (or, with `want_encoder`, lacks the ONNX encoder that this embedder could add).

    Several processes starting at once (service workers) build it once: the check is
    repeated under the build lock, so the ones that waited load what the first one built.
    A build shows its stages on a terminal (`progress`, default stderr).
    """
    config = config or BuildConfig(splitter_version=SPLITTER_VERSION)
    documents = load_documents(sources)
    reason, index = _rebuild_reason(index_dir, documents, embedder, config, want_encoder)
    if index is not None:
        return index
    with build_lock(index_dir):
        reason, index = _rebuild_reason(index_dir, documents, embedder, config, want_encoder)
        if index is not None:
            return index
        log.info("building the index at %s because %s", index_dir, reason)
        stages = _build_stages(progress, index_dir, embedder)
        stages.progress.note(f"the index at {index_dir} is built because {reason}")
        index = _build(documents, sources, embedder, config, stages, index_dir)
        _save(index, index_dir, embedder, stages)
    return load_index(index_dir)
