"""The OpenAPI document as the service's contract: every status a route can give, every limit.

FastAPI documents what a route declares. Some answers come from elsewhere: the body and
rate limits are middleware (413, 429), an unreadable body is FastAPI's own (400), a route
that needs the index answers 503 until it is loaded, and the question's length limit is a
setting. `install_contract` completes the generated document with these, from the app's
routes and settings, so a route added later is documented the same way without a word.

>>> from fastapi import FastAPI
>>> from footnote.settings import Settings
>>> app = FastAPI()
>>> install_contract(app, Settings())
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import get_pipeline, require_ready
from api.limits import UNLIMITED_PATHS, article_body_bytes, carries_article
from api.models import QUESTION_LIMIT, ErrorDetail, ErrorResponse
from api.publish_models import ARTICLE_LIMIT
from footnote.settings import Settings

_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def install_contract(app: FastAPI, settings: Settings) -> None:
    """Serve `app`'s OpenAPI document completed by `complete_document` (built once)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(generate(), list(operations(app)), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def operations(app: FastAPI) -> Iterator[APIRoute]:
    """The app's documented routes, also those of included routers.

    FastAPI 0.16x keeps included routers whole in `app.routes` and resolves their routes
    through `iter_route_contexts` (objects with an APIRoute's attributes); older versions
    list the APIRoutes themselves.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.16x
        routes: Iterator[Any] = iter(app.routes)
    else:
        routes = iter_route_contexts(app.routes)
    for route in routes:
        if getattr(route, "dependant", None) is not None and route.include_in_schema:
            yield route


def complete_document(
    document: dict[str, Any], routes: list[APIRoute], settings: Settings
) -> dict[str, Any]:
    """`document` with each operation's shared error statuses and the configured limits."""
    paths = document.get("paths", {})
    for route in routes:
        for method in route.methods:
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _document_errors(operation, route, settings)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    for model in (ErrorDetail, ErrorResponse):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas.setdefault(model.__name__, schema)
    for schema in _schemas_in(document):
        if schema.pop(QUESTION_LIMIT, False):
            schema["maxLength"] = settings.max_question_chars
        if schema.pop(ARTICLE_LIMIT, False):
            schema["maxLength"] = settings.max_article_chars
    return document


def shared_errors(route: APIRoute, settings: Settings) -> dict[int, str]:
    """The error statuses `route` can give beyond its own, each with what it means."""
    errors = {
        413: f"The request body is larger than {settings.max_body_bytes:,} bytes "
        "(FOOTNOTE_MAX_BODY_BYTES).",
    }
    if any(carries_article(method, route.path_format) for method in route.methods):
        limit = article_body_bytes(settings.max_body_bytes, settings.max_article_chars)
        errors[413] = (
            f"The request body is larger than {limit:,} bytes: 4 bytes for each of "
            f"FOOTNOTE_MAX_ARTICLE_CHARS ({settings.max_article_chars:,}) characters, plus 8 KB."
        )
    if route.body_field is not None:
        errors[400] = "The body cannot be read: it is not UTF-8, or nests too deep."
    if route.body_field is not None or _has_parameters(route.dependant):
        errors[422] = "The request is not valid: the message says what to fix."
    if settings.rate_limit_per_minute > 0 and route.path_format not in UNLIMITED_PATHS:
        errors[429] = (
            f"More than {settings.rate_limit_per_minute} requests a minute from this address "
            "(FOOTNOTE_RATE_LIMIT_PER_MINUTE); Retry-After says when to try again."
        )
    if _calls(route.dependant, get_pipeline) or _calls(route.dependant, require_ready):
        errors[503] = "The service is still loading its index; try again in a moment."
    return errors


def _document_errors(operation: dict[str, Any], route: APIRoute, settings: Settings) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in shared_errors(route, settings).items():
        documented = responses.get(str(status))
        if documented is None or _is_fastapi_validation(documented):
            responses[str(status)] = {"description": description}
        responses[str(status)].setdefault(
            "content", {"application/json": {"schema": _ERROR_SCHEMA}}
        )
    if "429" in responses:
        responses["429"]["headers"] = {
            "Retry-After": {
                "description": "Seconds until the next request is allowed.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    return isinstance(ref, str) and ref.endswith("/HTTPValidationError")


def _has_parameters(dependant: Dependant) -> bool:
    own = (
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
    )
    return bool(own) or any(_has_parameters(d) for d in dependant.dependencies)


def _calls(dependant: Dependant, function: Callable[..., Any]) -> bool:
    return dependant.call is function or any(_calls(d, function) for d in dependant.dependencies)


def _schemas_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `value`, depth first (the schemas among them)."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _schemas_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _schemas_in(item)
