"""The app factory: `create_app(settings)` builds the service; its lifespan loads the index once.

>>> from footnote.settings import Settings
>>> app = create_app(Settings())  # nothing is loaded until the server starts it
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from api import docs_page, openai_compat, routes_chat, routes_publish, routes_service
from api.contract import install_contract
from api.errors import install_error_handlers
from api.limits import BodyLimitMiddleware, RateLimitMiddleware, article_body_bytes
from api.observability import AccessLogMiddleware, Metrics
from api.startup import open_service
from footnote.settings import Settings
from rag.conversation import ConversationStore
from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

DESCRIPTION = """
Answers a reader's question about a news article with the article's own sentences,
each one cited, and says plainly when the article does not answer it.

* `POST /chat`: the answer JSON; follow up with its `conversation_id`.
* `POST /chat/stream`: the same answer as Server-Sent Events.
* `POST /v1/chat/completions`: the OpenAI chat protocol, for existing chat clients.
* `PUT`, `DELETE`, `GET /documents/{doc_id}`: publishing for the newsroom's CMS (writes need
  `Authorization: Bearer` with FOOTNOTE_PUBLISH_TOKEN).

Every error is `{"error": {"code": ..., "message": ...}}` with a message a person can act on.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the index (BM25 answers at once), then the model in the background."""
    if app.state.pipeline is None and app.state.live is None:
        live, loader = await run_in_threadpool(open_service, app.state.settings)
        app.state.live = live
        app.state.model_loader = loader
        loader.start()
        log.info(
            "serving %d article(s) with %s retrieval; embedding model %s",
            len(live.state.articles),
            live.effective_mode().value,
            loader.state.value,
        )
    yield


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> FastAPI:
    """The service over `settings`; pass a loaded `pipeline` to skip loading (tests).

    Middleware, outermost first: access log and metrics (so refusals are logged too), CORS
    (so refusals still carry CORS headers a browser can read), rate limit, body size limit.
    """
    app = FastAPI(
        title="Footnote",
        version="0.1.0",
        summary="Answers questions about a news article with its own sentences, cited.",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs is served by api.docs_page from packaged assets, never from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.pipeline = pipeline
    app.state.live = None  # the live archive, set by the lifespan (footnote.live)
    app.state.model_loader = None  # set by the lifespan when it loads the pipeline itself
    app.state.conversations = ConversationStore(
        settings.conversation_capacity, settings.conversation_ttl_seconds
    )
    app.state.metrics = Metrics()

    install_error_handlers(app)
    app.include_router(routes_chat.router)
    app.include_router(openai_compat.router)
    app.include_router(routes_service.router)
    app.include_router(routes_publish.router)
    app.include_router(docs_page.router)
    if importlib.util.find_spec("api.widget") is not None:
        from api import newsroom, widget

        app.include_router(widget.router)
        app.include_router(newsroom.router)
    install_contract(app, settings)

    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        publish_bytes=article_body_bytes(settings.max_body_bytes, settings.max_article_chars),
    )
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Content-Type", "Authorization"],
        max_age=600,
    )
    app.add_middleware(
        AccessLogMiddleware, metrics=app.state.metrics, log_questions=settings.log_questions
    )
    return app


def create_app_from_env() -> FastAPI:
    """The app with settings from `FOOTNOTE_*` variables (for `uvicorn --factory` workers)."""
    return create_app(Settings())
