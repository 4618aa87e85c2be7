"""Export the bundled model to ONNX at build time, so that serving needs no torch.

Only the build imports this module (torch and transformers are heavy: about 1.5 s and
300 MB of the serving process). The export traces the transformer with mean pooling
over the attention mask and L2 normalisation, as sentence-transformers composes them
for all-MiniLM-L6-v2 and all-mpnet-base-v2, and writes the three files `index.onnx_embedder`
reads. The graph has two outputs: the sentence vector and the last hidden state (one vector
per token, which mean pooling reads anyway), so token vectors cost no second model run.

BERT-style models take `token_type_ids`; MPNet does not. Whether the graph has that input
is read from the tokenizer and the model's forward signature, never assumed.
"""

from __future__ import annotations

import inspect
import json
import os
import warnings
from pathlib import Path

from index.embeddings import MODEL_NAME, bundled_model_path
from index.errors import ModelUnavailableError
from index.onnx_embedder import (
    CONFIG_FILE,
    ENCODER_FILE,
    EXPORT_VERSION,
    SENTENCE_OUTPUT,
    TOKEN_OUTPUT,
    TOKENIZER_FILE,
    encoder_fingerprint,
)

OPSET = 17


def _max_length(model_path: Path, default: int = 256) -> int:
    """The truncation length sentence-transformers uses (sentence_bert_config.json)."""
    try:
        config = json.loads((model_path / "sentence_bert_config.json").read_text("utf-8"))
        return int(config.get("max_seq_length") or default)
    except (OSError, ValueError):
        return default


def export_encoder(folder: Path, model_path: Path | None = None, name: str = MODEL_NAME) -> None:
    """Write encoder.onnx, tokenizer.json and encoder.json for the model at `model_path`
    (default: the bundled MiniLM) into `folder`; `name` is recorded as the model's name."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    path = model_path or bundled_model_path()
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ModelUnavailableError(
            f"exporting the encoder needs torch and transformers ({exc}); run `make install`"
        ) from exc
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModel.from_pretrained(
        str(path), local_files_only=True, attn_implementation="eager"
    ).eval()
    max_length = _max_length(path)

    accepts = inspect.signature(model.forward).parameters
    inputs = ["input_ids", "attention_mask"]
    if "token_type_ids" in tokenizer.model_input_names and "token_type_ids" in accepts:
        inputs.append("token_type_ids")

    class Encoder(torch.nn.Module):
        """Transformer, mean pooling over real tokens, unit length: one vector per text,
        and the transformer's last hidden state (one vector per token) beside it."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *feeds):
            hidden = self.model(**dict(zip(inputs, feeds, strict=True))).last_hidden_state
            attention_mask = feeds[1]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1), hidden

    sample = tokenizer(
        ["A short one.", "A somewhat longer sentence, so that the batch is padded."],
        padding=True,
        return_tensors="pt",
    )
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(
            Encoder(),
            tuple(sample[name] for name in inputs),
            str(folder / ENCODER_FILE),
            input_names=inputs,
            output_names=[SENTENCE_OUTPUT, TOKEN_OUTPUT],
            dynamic_axes={
                **{name: axes for name in inputs},
                SENTENCE_OUTPUT: {0: "batch"},
                TOKEN_OUTPUT: axes,
            },
            opset_version=OPSET,
            dynamo=False,
        )
    backend = tokenizer.backend_tokenizer
    backend.no_padding()
    backend.no_truncation()
    backend.save(str(folder / TOKENIZER_FILE))
    config = {
        "name": name,
        "dimension": int(model.config.hidden_size),
        "max_length": max_length,
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": tokenizer.pad_token or "[PAD]",
        "inputs": inputs,
        "outputs": [SENTENCE_OUTPUT, TOKEN_OUTPUT],
        "pooling": "mean",
        "normalized": True,
        "opset": OPSET,
        "export_version": EXPORT_VERSION,
        "torch": torch.__version__,
        "fingerprint": encoder_fingerprint(path),
    }
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")
