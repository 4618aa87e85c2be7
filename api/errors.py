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


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
    return name


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """One pydantic/FastAPI validation error as a sentence that says how to fix it."""
    kind = error.get("type", "")
    field = _field(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        detail = ctx.get("error", "it cannot be parsed")
        return f"the request body is not valid JSON ({detail})"
    if kind == "missing":
        if not field:
            return "the request needs a JSON body"
        return f"the field '{field}' is required"
    if kind in {"model_attributes_type", "dict_type", "model_type"} and not field:
        return "the request body must be a JSON object"
    subject = f"the field '{field}'"
    if kind == "string_type":
        return f"{subject} must be text (a JSON string)"
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


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """Up to three validation errors in one message."""
    described = list(dict.fromkeys(describe_validation_error(e) for e in errors))
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


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404:
        return f"There is nothing at {request.url.path}; the endpoints are listed at /docs."
    if exc.status_code == 405:
        allowed = exc.headers.get("Allow", "") if exc.headers else ""
        hint = f"; use {allowed}" if allowed else ""
        return f"{request.method} is not allowed on {request.url.path}{hint}."
    if isinstance(exc.detail, str) and exc.detail:
        return _BETTER_DETAILS.get(exc.detail) or as_sentence(exc.detail)
    return "The request cannot be served."


async def _footnote_error(request: Request, exc: FootnoteError) -> JSONResponse:
    return error_response(exc.status, exc.code, as_sentence(str(exc)))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(422, "invalid_request", validation_message(exc.errors()))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, _http_message(request, exc), headers=exc.headers)


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
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
