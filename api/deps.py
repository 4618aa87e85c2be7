"""Dependencies the routes declare: the shared objects of the app, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.observability import Metrics
from api.startup import ModelLoader
from rag.conversation import ConversationStore
from rag.errors import FootnoteError
from rag.pipeline import Pipeline


class NotReadyError(FootnoteError):
    """The index is not loaded yet (only seen if a request beats the start-up)."""

    status = 503
    code = "not_ready"


def get_pipeline(request: Request) -> Pipeline:
    """The pipeline over every article: the live archive's (the service), else the one
    the app was made with."""
    live = getattr(request.app.state, "live", None)
    if live is not None:
        return live.whole()
    pipeline = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        raise NotReadyError("the service is still loading its index; try again in a moment")
    return pipeline


def require_ready(request: Request) -> None:
    """Refuse a question while the lifespan has not loaded the archive (or pipeline) yet."""
    if getattr(request.app.state, "live", None) is None:
        get_pipeline(request)  # the fixed pipeline, or NotReadyError


def get_conversations(request: Request) -> ConversationStore:
    """The in-memory conversations."""
    return request.app.state.conversations


def get_metrics(request: Request) -> Metrics:
    """The app's Prometheus metrics."""
    return request.app.state.metrics


def get_model_loader(request: Request) -> ModelLoader | None:
    """The background loader of the embedding model (None before start-up)."""
    return getattr(request.app.state, "model_loader", None)


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
ReadyDep = Annotated[None, Depends(require_ready)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ModelLoaderDep = Annotated[ModelLoader | None, Depends(get_model_loader)]
