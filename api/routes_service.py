"""The service's own endpoints: the indexed articles, liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import (
    ConversationsDep,
    MetricsDep,
    ModelLoaderDep,
    PipelineDep,
    ReadyDep,
    get_pipeline,
)
from api.models import (
    DocumentModel,
    DocumentsResponse,
    HealthResponse,
    ReadyResponse,
    error_doc,
)
from api.scope import live_archive
from api.startup import ModelState

router = APIRouter(tags=["service"])


@router.get("/documents", response_model=DocumentsResponse, summary="The indexed articles")
async def documents(pipeline: PipelineDep) -> DocumentsResponse:
    """Each article's id (for `doc_id`), headline, sentence count and revision hash."""
    counts: dict[str, int] = {}
    for sentence in pipeline.index.sentences:
        counts[sentence.doc_id] = counts.get(sentence.doc_id, 0) + 1
    return DocumentsResponse(
        documents=[
            DocumentModel(id=d.id, title=d.title, sentences=counts.get(d.id, 0), revision=d.sha256)
            for d in pipeline.index.documents
        ]
    )


@router.get("/healthz", response_model=HealthResponse, summary="Liveness")
async def healthz() -> HealthResponse:
    """200 while the process serves HTTP at all."""
    return HealthResponse()


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    responses={503: error_doc("The index is not loaded yet.")},
    summary="Readiness, and which retrieval mode answers use",
)
async def readyz(
    request: Request, loader: ModelLoaderDep, conversations: ConversationsDep
) -> ReadyResponse:
    """200 as soon as questions are answered: from BM25 while the model loads, then hybrid."""
    live = live_archive(request)
    if live is not None:
        mode, dense, count = live.effective_mode(), live.dense_ready, len(live.refresh().articles)
    else:
        pipeline = get_pipeline(request)
        mode, dense, count = (
            pipeline.effective_mode(),
            pipeline.dense_ready,
            len(pipeline.index.documents),
        )
    state = loader.state if loader is not None else _state_of(dense)
    return ReadyResponse(
        retrieval=mode.value, model=state.value, documents=count, conversations=len(conversations)
    )


def _state_of(dense_ready: bool) -> ModelState:
    return ModelState.READY if dense_ready else ModelState.DISABLED


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics(
    request: Request, metrics: MetricsDep, conversations: ConversationsDep, _: ReadyDep
) -> Response:
    """Requests by route and status, latency, answered/abstained counts, retrieval mode."""
    live = live_archive(request)
    mode = live.effective_mode() if live is not None else get_pipeline(request).effective_mode()
    body = metrics.render(mode, len(conversations))
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
