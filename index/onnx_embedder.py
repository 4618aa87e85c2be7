"""The query encoder on ONNX Runtime: the bundled model, exported at build time into the index.

Serving needs neither torch nor sentence-transformers: `onnxruntime` runs the exported graph
(transformer, mean pooling over the attention mask and L2 normalisation, all inside it) and
`tokenizers` prepares its input. The vectors match the torch encoder's to a cosine of 0.9999+,
and `name` is the same, so an index serves either backend.

An index build folder holds the encoder as three files, listed with their sha256 in the
manifest like every other file:

    encoder.onnx       the graph: inputs input_ids, attention_mask (and token_type_ids for BERT
                       models, not MPNet); outputs sentence_embedding, token_embeddings
    tokenizer.json     the model's tokenizer, truncating at the model's max length
    encoder.json       name, dimension, max length and the fingerprint of the source model

>>> embedder = OnnxEmbedder.from_index(Path(".footnote/index"), threads=1)  # doctest: +SKIP
>>> embedder.encode(["Who is the president of South Korea?"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from index.embeddings import MODEL_NAME, TokenVectors, token_vectors
from index.errors import IndexCorruptError, ModelUnavailableError
from index.store import ENCODER_CONFIG_FILE as CONFIG_FILE
from index.store import ENCODER_FILE, ENCODER_FILES, TOKENIZER_FILE, read_manifest, sha256_file

# Bumped when the exported graph changes, so older exports are not carried forward.
# 2: the graph also outputs the token vectors, and takes token_type_ids only if the model does.
EXPORT_VERSION = 2
SENTENCE_OUTPUT = "sentence_embedding"
TOKEN_OUTPUT = "token_embeddings"
# Texts per run of the graph when encoding many (at build time): longer batches pad more.
BATCH = 32


class EncoderMissingError(ModelUnavailableError):
    """The index folder holds no exported encoder (built before it existed, or BM25 only)."""


class OnnxEmbedder:
    """The exported encoder on ONNX Runtime, CPU, `threads` threads per encoding."""

    name = MODEL_NAME

    def __init__(self, folder: Path, threads: int | None = 1) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailableError(
                f"onnxruntime or tokenizers cannot be imported ({exc}); run `make install`"
            ) from exc
        if not all((folder / name).is_file() for name in ENCODER_FILES):
            raise EncoderMissingError(f"no exported encoder in {folder}; run `footnote build`")
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        self.folder = folder
        self.config: dict[str, Any] = config
        self.name = str(config["name"])
        self.dimension = int(config["dimension"])
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(int(config["max_length"]))
        self._tokenizer.enable_padding(pad_id=int(config["pad_id"]), pad_token=config["pad_token"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads would spin on the cores the other requests need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(folder / ENCODER_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._outputs = [o.name for o in self._session.get_outputs()]

    @classmethod
    def from_index(cls, index_dir: Path, threads: int | None = 1) -> OnnxEmbedder:
        """The encoder of the current build of `index_dir`, its files checked against the manifest.

        `load_index` leaves these files to this check, so that answering from BM25 does not
        wait for 90 MB to be hashed.
        """
        root, manifest = read_manifest(index_dir)
        listed = manifest.get("files") or {}
        if not all(name in listed for name in ENCODER_FILES):
            raise EncoderMissingError(
                f"the index at {index_dir} holds no ONNX encoder; run `footnote build` to add it"
            )
        for name in ENCODER_FILES:
            path = root / name
            if not path.is_file() or sha256_file(path) != listed[name]:
                raise IndexCorruptError(
                    f"index file {name} at {index_dir} is missing, truncated or altered; "
                    f"run `footnote build --index {index_dir}` to rebuild it"
                )
        return cls(root, threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text (longest first in batches, to pad little)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= BATCH:
            return self._run(texts)[0]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for rows in _batches(texts):
            out[rows] = self._run([texts[i] for i in rows])[0]
        return out

    @property
    def gives_tokens(self) -> bool:
        """Whether the graph outputs token vectors (exports before version 2 do not)."""
        return TOKEN_OUTPUT in self._outputs

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """The rows `encode` gives, and each text's token vectors, from the same graph run."""
        if not self.gives_tokens:
            raise EncoderMissingError(
                f"the encoder in {self.folder} was exported without token vectors; "
                "run `footnote build` to export it again"
            )
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        tokens: list[TokenVectors | None] = [None] * len(texts)
        for rows in _batches(texts):
            vectors, per_text = self._run([texts[i] for i in rows], with_tokens=True)
            out[rows] = vectors
            for row, item in zip(rows, per_text, strict=True):
                tokens[row] = item
        return out, [t for t in tokens if t is not None]

    def _run(
        self, texts: list[str], with_tokens: bool = False
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        if not with_tokens:
            (vectors,) = self._session.run([SENTENCE_OUTPUT], feeds)
            return np.ascontiguousarray(vectors, dtype=np.float32), []
        vectors, hidden = self._session.run([SENTENCE_OUTPUT, TOKEN_OUTPUT], feeds)
        tokens = []
        for n, encoding in enumerate(encodings):
            real = int(mask[n].sum())
            tokens.append(
                token_vectors(
                    hidden[n, :real],
                    encoding.offsets[:real],
                    encoding.special_tokens_mask[:real],
                )
            )
        return np.ascontiguousarray(vectors, dtype=np.float32), tokens

    def write_encoder(self, folder: Path) -> None:
        """Put this encoder's files into a new build folder (hard links when possible)."""
        for name in ENCODER_FILES:
            target = folder / name
            try:
                os.link(self.folder / name, target)
            except OSError:
                shutil.copyfile(self.folder / name, target)

    def fingerprint(self) -> str | None:
        """The source model's fingerprint recorded at export (see index.onnx_export)."""
        return self.config.get("fingerprint")


def _batches(texts: list[str]) -> list[list[int]]:
    """Indices of `texts` in runs of BATCH, longest first, so that a run pads little."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[start : start + BATCH] for start in range(0, len(order), BATCH)]


def encoder_fingerprint(model_path: Path) -> str:
    """What identifies the model an encoder was exported from: the sha256 of its files.

    Hashing the 90 MB of weights takes a fraction of a second, so this is checked when an
    index is built, never per question.
    """
    digest = hashlib.sha256(f"export-{EXPORT_VERSION}".encode())
    for name in ("model.safetensors", "pytorch_model.bin", "config.json", "tokenizer.json"):
        if (model_path / name).is_file():
            digest.update(f"{name}:{sha256_file(model_path / name)}".encode())
    return digest.hexdigest()
