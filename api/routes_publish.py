"""The publishing API for a newsroom's CMS: PUT, DELETE and GET /documents/{doc_id}.

Writes need `Authorization: Bearer <FOOTNOTE_PUBLISH_TOKEN>`; with no token set, writes
are disabled (403, saying how to enable them). The readers' routes take no token at all.
A PUT embeds the article (only it) and commits it to the archive atomically; every worker
answers it within FOOTNOTE_RELOAD_SECONDS, and scoped questions at once. A DELETE stops it
being answered from the next question on.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import NotReadyError
from api.models import error_doc
from api.publish_models import (
    DOC_ID_DESCRIPTION,
    ArticleRequest,
    ArticleResponse,
    CheckedDocId,
    RemovedResponse,
    RevisionModel,
)
from api.scope import live_archive
from footnote.live import LiveArchive
from index.errors import ArchiveMismatchError, ArticleNotFoundError
from index.publish import DOC_ID_PATTERN, article_document, publish, remove
from rag.errors import FootnoteError, UnknownDocumentError

router = APIRouter(tags=["publishing"])
_bearer = HTTPBearer(auto_error=False, description="FOOTNOTE_PUBLISH_TOKEN")

DocId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        json_schema_extra={"pattern": DOC_ID_PATTERN},
        description=DOC_ID_DESCRIPTION,
    ),
    CheckedDocId,
]


class PublishingDisabledError(FootnoteError):
    status = 403
    code = "publishing_disabled"


class MissingTokenError(FootnoteError):
    status = 401
    code = "missing_token"


class WrongTokenError(FootnoteError):
    status = 403
    code = "wrong_token"


class ArchiveConflictError(FootnoteError):
    status = 409
    code = "archive_conflict"


class ArticleTooLongError(FootnoteError):
    status = 422
    code = "article_too_long"


class ModelLoadingError(FootnoteError):
    status = 503
    code = "model_loading"


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let a write through only with the configured token."""
    token = request.app.state.settings.publish_token
    secret = token.get_secret_value() if token is not None else ""  # empty: publishing is off
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise MissingTokenError(
            "this write needs the publishing token: send `Authorization: Bearer <token>` "
            "with the value of FOOTNOTE_PUBLISH_TOKEN"
            + ("" if secret else " (this service has none set, so publishing is disabled)")
        )
    if not secret:
        raise PublishingDisabledError(
            "publishing over HTTP is disabled: set FOOTNOTE_PUBLISH_TOKEN on the service and "
            "send it as `Authorization: Bearer <token>`"
        )
    if not hmac.compare_digest(credentials.credentials.encode("utf-8"), secret.encode("utf-8")):
        raise WrongTokenError(
            "the publishing token is wrong: send the value of FOOTNOTE_PUBLISH_TOKEN"
        )


Writer = Annotated[None, Depends(require_token)]


def _live(request: Request) -> LiveArchive:
    live = live_archive(request)
    if live is None:
        raise NotReadyError("the service is still loading its archive; try again in a moment")
    return live


def _article(live: LiveArchive, doc_id: str, **flags: bool) -> ArticleResponse:
    try:
        kept = live.store.revisions(doc_id)
    except ArticleNotFoundError as exc:
        raise UnknownDocumentError(f"no article with id {doc_id!r} is published") from exc
    return ArticleResponse(
        doc_id=doc_id,
        revision=kept[0].revision,
        revisions=[RevisionModel.of(r) for r in kept],
        **flags,
    )


_NOT_FOUND = {404: error_doc("No article with this id is published.")}
_WRITE_ERRORS = {
    401: error_doc("No publishing token was sent."),
    403: error_doc("The token is wrong, or publishing is disabled (no FOOTNOTE_PUBLISH_TOKEN)."),
}


@router.put(
    "/documents/{doc_id}",
    response_model=ArticleResponse,
    responses={
        **_WRITE_ERRORS,
        409: error_doc("The archive was built with another model: run `footnote build`."),
        503: error_doc("The embedding model is still loading; try again in a few seconds."),
    },
    summary="Publish or correct an article",
)
def put_document(
    doc_id: DocId, body: ArticleRequest, request: Request, _: Writer
) -> ArticleResponse:
    """Add the article, or replace its text with a new revision (the previous one stays
    answerable for FOOTNOTE_REVISION_TTL_SECONDS). The same text again changes nothing."""
    # A plain `def`: FastAPI runs it on its thread pool, so the archive's reads and writes
    # (files, or PostgreSQL queries) never block the event loop.
    settings = request.app.state.settings
    if len(body.text) > settings.max_article_chars:
        raise ArticleTooLongError(
            f"the text is {len(body.text):,} characters long; the limit is "
            f"{settings.max_article_chars:,} (FOOTNOTE_MAX_ARTICLE_CHARS)"
        )
    live = _live(request)
    embedder = live.embedder
    if embedder is None and live.state.meta is not None and live.state.meta.model_name:
        raise ModelLoadingError(
            "the embedding model is still loading, and articles are embedded when they are "
            "published; try again in a few seconds"
        )
    document = article_document(doc_id, body.headline, body.text, body.url, body.published_at)
    # The archive as it is now, not as this worker last read it: another worker may have
    # published this article within the reload interval.
    before = live.refresh(now=True).articles.get(doc_id)
    try:
        publish(live.store, document, embedder, settings.build_config())
    except ArchiveMismatchError as exc:
        raise ArchiveConflictError(str(exc)) from exc
    live.refresh(now=True)
    return _article(
        live,
        doc_id,
        created=before is None,
        changed=before is None or before.revision != document.sha256,
    )


@router.delete(
    "/documents/{doc_id}",
    response_model=RemovedResponse,
    responses={**_WRITE_ERRORS, **_NOT_FOUND},
    summary="Take an article down",
)
def delete_document(doc_id: DocId, request: Request, _: Writer) -> RemovedResponse:
    """Stop answering the article, every revision of it, from the next question on."""
    live = _live(request)
    try:
        kept = len(live.store.revisions(doc_id))
        remove(live.store, doc_id)
    except ArticleNotFoundError as exc:
        raise UnknownDocumentError(f"no article with id {doc_id!r} is published") from exc
    live.refresh(now=True)
    return RemovedResponse(doc_id=doc_id, revisions=kept)


@router.get(
    "/documents/{doc_id}",
    response_model=ArticleResponse,
    responses=_NOT_FOUND,
    summary="An article and its kept revisions",
)
def get_document(doc_id: DocId, request: Request) -> ArticleResponse:
    """The current revision and the older ones still answered for pages that show them."""
    return _article(_live(request), doc_id)
