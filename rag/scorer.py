"""The learned scorer: which sentence answers, how sure that is, and when to abstain.

Its parameters are data, not code: a small JSON file per encoder under `rag/models/`, written
by `footnote train` (eval/train.py) together with what it was trained on and how it scored on
held-out questions. Two logistic models:

- `sentence`: P(this sentence holds the answer) from `rag.features.SENTENCE_FEATURES`; the
  answerer ranks candidates by its logit;
- `question`: P(the best sentence holds the answer) from `rag.features.QUESTION_FEATURES`,
  which is the first citation's score; below `abstain_below` the answerer abstains.

A cross-encoder could replace either behind the same `Scorer` protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.errors import FootnoteError
from rag.features import QUESTION_FEATURES, SENTENCE_FEATURES

FORMAT = "footnote-scorer"
FORMAT_VERSION = 1
BM25_KEY = "bm25"


class ScorerError(FootnoteError):
    """The scorer's parameter file is missing, damaged or for other features."""


class Scorer(Protocol):
    """What the answerer asks of a scorer."""

    abstain_below: float
    extra_citation: float

    def sentence_logits(self, rows: np.ndarray) -> np.ndarray:
        """One logit per candidate row (higher: more likely to hold the answer)."""
        ...

    def citation_threshold(self, typed_answer: bool) -> float:
        """The probability a further sentence needs to be cited; `typed_answer`: the question
        asks for a person, figure or date and the first citation holds one."""
        ...

    def confidence(self, row: np.ndarray) -> float:
        """The probability that the best sentence holds the answer."""
        ...


@dataclass(frozen=True, slots=True)
class LogisticModel:
    """Standardise, then a linear function; `predict` is the sigmoid of `logit`."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds for each row (rows are in `features` order)."""
        return ((np.asarray(rows, dtype=np.float64) - self.mean) / self.scale) @ self.weights + (
            self.bias
        )

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Probabilities for each row."""
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON, one weight per named feature so a reviewer can read them."""
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": {
                f: round(float(w), 6) for f, w in zip(self.features, self.weights, strict=True)
            },
            "bias": round(float(self.bias), 6),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], expected: tuple[str, ...]) -> LogisticModel:
        """Read parameters written by `to_dict`, checking they are for `expected` features."""
        features = tuple(data["features"])
        if features != expected:
            raise ScorerError(
                "the scorer was trained on other features than this version computes; "
                "run `footnote train`"
            )
        weights = data["weights"]
        return cls(
            features=features,
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            weights=np.asarray([weights[f] for f in features], dtype=np.float64),
            bias=float(data["bias"]),
        )


@dataclass(frozen=True, slots=True)
class LinearScorer:
    """The two logistic models and the thresholds chosen on the dev split."""

    sentence: LogisticModel
    question: LogisticModel
    abstain_below: float
    extra_citation: float
    encoder: str
    record: dict[str, Any]
    # Chosen apart: "How much does Trump want Korea to invest?" is answered by one figure,
    # and a second sentence with another figure only misleads. None: as `extra_citation`.
    extra_citation_typed: float | None = None

    def sentence_logits(self, rows: np.ndarray) -> np.ndarray:
        """One logit per candidate row."""
        if len(rows) == 0:
            return np.zeros(0)
        return self.sentence.logit(rows)

    def citation_threshold(self, typed_answer: bool) -> float:
        """`extra_citation`, or `extra_citation_typed` when the first citation already holds
        the person, figure or date asked for."""
        if typed_answer and self.extra_citation_typed is not None:
            return self.extra_citation_typed
        return self.extra_citation

    def confidence(self, row: np.ndarray) -> float:
        """P(the best sentence holds the answer)."""
        return float(self.question.predict(row[None, :])[0])

    def to_dict(self) -> dict[str, Any]:
        """The whole parameter file."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "encoder": self.encoder,
            "sentence": self.sentence.to_dict(),
            "question": self.question.to_dict(),
            "thresholds": {
                "abstain_below": round(self.abstain_below, 4),
                "extra_citation": round(self.extra_citation, 4),
                **(
                    {"extra_citation_typed": round(self.extra_citation_typed, 4)}
                    if self.extra_citation_typed is not None
                    else {}
                ),
            },
            "record": self.record,
        }


def scorer_key(encoder: str | None) -> str:
    """The file name stem for an encoder ("all-MiniLM-L6-v2"), or BM25's when there is none."""
    return encoder.rsplit("/", 1)[-1] if encoder else BM25_KEY


def scorer_path(encoder: str | None, folder: Path | None = None) -> Path:
    """Where the parameters for `encoder` (a model name, or a key `scorer_key` gave) live: the
    package's own `rag/models/` by default."""
    base = folder or Path(str(resources.files("rag") / "models"))
    return base / f"{scorer_key(encoder)}.json"


def read_scorer(path: Path) -> LinearScorer:
    """Load a parameter file written by `footnote train`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ScorerError(
            f"no trained scorer at {path}; run `footnote train` for this encoder"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ScorerError(
            f"the scorer file {path} is damaged ({exc.msg}); run `footnote train`"
        ) from exc
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ScorerError(f"{path} is not a Footnote scorer of this version; run `footnote train`")
    try:
        return LinearScorer(
            sentence=LogisticModel.from_dict(data["sentence"], SENTENCE_FEATURES),
            question=LogisticModel.from_dict(data["question"], QUESTION_FEATURES),
            abstain_below=float(data["thresholds"]["abstain_below"]),
            extra_citation=float(data["thresholds"]["extra_citation"]),
            extra_citation_typed=(
                float(data["thresholds"]["extra_citation_typed"])
                if "extra_citation_typed" in data["thresholds"]
                else None
            ),
            encoder=str(data.get("encoder")),
            record=dict(data.get("record") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ScorerError(
            f"the scorer file {path} is incomplete ({exc}); run `footnote train`"
        ) from exc


def write_scorer(scorer: LinearScorer, path: Path) -> None:
    """Write the parameter file (small, sorted, reviewable in a diff)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(scorer.to_dict(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)
