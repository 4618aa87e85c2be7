"""Every error leaves the service in one shape: {"error": {"code": ..., "message": ...}}.

Domain errors (`rag.errors.FootnoteError`) carry their HTTP status and code and are mapped
in one handler; FastAPI's validation errors, Starlette's 404/405 and anything unexpected
are rewritten into the same shape, with a sentence a person can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from index.errors import ArchiveUnavailableError
from rag.errors import FootnoteError

log = logging.getLogger(__name__)


class ConversationNotFoundError(FootnoteError):
    """A conversation_id the service does not know (never issued, expired or evicted)."""

    status = 404
    code = "unknown_conversation"


class RequestShapeError(FootnoteError):
    """A request whose fields parse but do not make sense together."""

    status = 422
    code = "invalid_request"


def error_body(code: str, message: str) -> dict[str, Any]:
    """The error JSON every 4xx/5xx response carries."""
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON error response in the service's one error shape."""
    return JSONResponse(error_body(code, message), status_code=status, headers=dict(headers or {}))


def as_sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


_UNION_TAGS = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
"""Values of a discriminator that pydantic writes into an error's location (a message's role)."""

_TYPE_ERRORS = frozenset({"string_type", "list_type", "bool_type", "model_type", "dict_type"})

QUESTION_ERRORS = frozenset({"question_blank"})
"""Validation errors about the question itself: their code is `invalid_question`."""


def _field(loc: Sequence[Any]) -> str:
    name = ""
    after_index = False
    for raw in loc:
        part = str(raw)
        if raw in ("body", "query", "path", "header") and not name:
            continue
        # pydantic names the union member it tried ("function-after[...]", "list[ContentPart]")
        # and the discriminator value after a list index ("messages", 0, "user", "content").
        if "[" in part or (after_index and part in _UNION_TAGS):
            after_index = False
            continue
        after_index = isinstance(raw, int)
        name += f"[{part}]" if isinstance(raw, int) else (f".{part}" if name else part)
    return name


def json_position(document: str | bytes | None, pos: int) -> str:
    """Where in a JSON document a decoding error is, as Python's json module says it."""
    if isinstance(document, bytes):
        document = document.decode("utf-8", "replace")
    if not isinstance(document, str):
        return f"char {pos}"
    line = document.count("\n", 0, pos) + 1
    column = pos - document.rfind("\n", 0, pos)
    return f"line {line} column {column} (char {pos})"


def describe_validation_error(error: Mapping[str, Any], body: object = None) -> str:
    """One pydantic/FastAPI validation error as a sentence that says how to fix it.

    `body` is the request body as received, for saying where a JSON error is.

    >>> describe_validation_error(
    ...     {"type": "json_invalid", "loc": ("body", 14), "ctx": {"error": "Expecting value"}},
    ...     '{"question": }',
    ... )
    'the request body is not valid JSON (Expecting value: line 1 column 15 (char 14))'
    """
    kind = error.get("type", "")
    loc = error.get("loc", ())
    field = _field(loc)
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        detail = ctx.get("error", "it cannot be parsed")
        pos = loc[-1] if loc and isinstance(loc[-1], int) else None
        where = f": {json_position(body, pos)}" if pos is not None else ""
        return f"the request body is not valid JSON ({detail}{where})"
    if kind in QUESTION_ERRORS:
        message = str(error.get("msg", "the question is empty"))
        return message if field == "question" else f"the field '{field}': {message}"
    if kind == "union_tag_invalid":
        return f"the field '{field}.role' must be one of {ctx.get('expected_tags', 'the roles')}"
    if kind == "union_tag_not_found":
        return f"the field '{field}.role' is required"
    if kind == "missing":
        if not field:
            return "the request needs a JSON body"
        return f"the field '{field}' is required"
    if kind in {"model_attributes_type", "dict_type", "model_type"} and not field:
        return "the request body must be a JSON object"
    subject = f"the field '{field}'"
    if kind == "string_type":
        return f"{subject} must be text (a JSON string)"
    if kind == "text_or_list_type":
        return f"{subject} must be text (a JSON string) or a list of parts"
    if kind == "list_type":
        return f"{subject} must be a list"
    if kind == "bool_type":
        return f"{subject} must be true or false"
    if kind == "string_too_long":
        return f"{subject} is too long; at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"{subject} has too many items; at most {ctx.get('max_length')}"
    if kind in {"string_too_short", "too_short"}:
        return f"{subject} is too short"
    if kind == "literal_error":
        return f"{subject} must be one of {ctx.get('expected', 'the documented values')}"
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return f"{subject} must be a JSON object"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{subject}: {message}" if field else message


def _most_telling(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The errors worth saying, for a value that failed every member of a union.

    A value that fails one member of a union (`content` as text or a list of parts) gets an
    error from every member: the one whose type it has says what is wrong with it, so the
    others' wrong-type errors are dropped; a value of neither type gets one error naming both.
    """
    by_field: dict[str, set[str]] = {}
    for e in errors:
        by_field.setdefault(_field(e.get("loc", ())), set()).add(str(e.get("type", "")))
    kept: list[Mapping[str, Any]] = []
    for e in errors:
        field, kind = _field(e.get("loc", ())), e.get("type")
        kinds = by_field[field]
        if kind in _TYPE_ERRORS and kinds - _TYPE_ERRORS:
            continue
        if {"string_type", "list_type"} <= kinds and kind in ("string_type", "list_type"):
            e = {**e, "type": "text_or_list_type"}
        kept.append(e)
    return kept


def validation_message(errors: Sequence[Mapping[str, Any]], body: object = None) -> str:
    """Up to three validation errors in one message."""
    described = list(
        dict.fromkeys(describe_validation_error(e, body) for e in _most_telling(errors))
    )
    text = "; ".join(described[:3]) or "the request is not valid"
    if len(described) > 3:
        text += f" (and {len(described) - 3} more)"
    return as_sentence(text)


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


_BETTER_DETAILS = {
    # FastAPI's words when a body is not UTF-8, nests too deep, or otherwise cannot be read.
    "There was an error parsing the body": "The request body cannot be read: send a JSON "
    'object in UTF-8, such as {"question": "Who is South Korea\'s president?"}.',
}


def _http_message(request: Request, exc: StarletteHTTPException, headers: dict[str, str]) -> str:
    if exc.status_code == 404:
        return f"There is nothing at {request.url.path}; the endpoints are listed at /docs."
    if exc.status_code == 405:
        allowed = headers.get("Allow", "")
        hint = f"; use {allowed}" if allowed else ""
        return f"{request.method} is not allowed on {request.url.path}{hint}."
    if isinstance(exc.detail, str) and exc.detail:
        return _BETTER_DETAILS.get(exc.detail) or as_sentence(exc.detail)
    return "The request cannot be served."


async def _footnote_error(request: Request, exc: FootnoteError) -> JSONResponse:
    return error_response(exc.status, exc.code, as_sentence(str(exc)))


async def _archive_unavailable(request: Request, exc: ArchiveUnavailableError) -> JSONResponse:
    # The database behind FOOTNOTE_STORE is down or slow (a restart, a failover): say so and
    # when to retry; the pool reconnects on its own once it is back.
    log.warning("archive unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        503, "archive_unavailable", as_sentence(str(exc)), headers={"Retry-After": "2"}
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _most_telling(exc.errors())
    code = "invalid_question" if errors and errors[0].get("type") in QUESTION_ERRORS else None
    return error_response(
        422, code or "invalid_request", validation_message(errors, getattr(exc, "body", None))
    )


def _allowed_methods(request: Request) -> str | None:
    """Every method some route of this path takes: Starlette's 405 names only the first
    route's, and PUT, GET and DELETE /documents/{doc_id} are three routes."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.16x lists every route itself
        routes = list(request.app.router.routes)
    else:
        routes = list(iter_route_contexts(request.app.router.routes))
    methods: set[str] = set()
    for route in routes:
        methods_of = getattr(route, "methods", None)
        if methods_of and route.matches(request.scope)[0] is not Match.NONE:
            methods |= set(methods_of)
    return ", ".join(sorted(methods)) if methods else None


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers["Allow"] = allowed
    message = _http_message(request, exc, headers)
    return error_response(exc.status_code, code, message, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the log (Starlette re-raises after this response); the person
    # gets a sentence, never the exception text.
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal_error", "Something went wrong on our side; please try again."
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one JSON shape."""
    app.add_exception_handler(FootnoteError, _footnote_error)  # type: ignore[arg-type]
    app.add_exception_handler(ArchiveUnavailableError, _archive_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
