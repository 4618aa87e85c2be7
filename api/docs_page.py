"""GET /docs: Swagger UI from the service itself, so the API page works offline and under CSP.

FastAPI's own /docs loads Swagger UI from a CDN and starts it with an inline script: a
newsroom's closed network or strict Content-Security-Policy leaves it blank. Here the
assets come from the `fastapi-offline` package (Swagger UI's release files, kept current
by its maintainer) and the start-up script from api/static, all from this origin, and the
page is sent with the demo page's policy.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.errors import error_response
from api.widget import CACHE_CONTROL, PAGE_CSP

router = APIRouter(include_in_schema=False)

ASSETS_URL = "/docs/assets"
_SWAGGER_DIR = Path(str(files("fastapi_offline") / "static"))
_STATIC_DIR = Path(__file__).parent / "static"
_ASSETS = {
    "swagger-ui-bundle.js": (_SWAGGER_DIR, "text/javascript; charset=utf-8"),
    "swagger-ui.css": (_SWAGGER_DIR, "text/css; charset=utf-8"),
    "favicon.png": (_SWAGGER_DIR, "image/png"),
    "swagger-init.js": (_STATIC_DIR, "text/javascript; charset=utf-8"),
}


@dataclass(frozen=True, slots=True)
class Asset:
    """A file of the docs page with its validator."""

    body: bytes
    media_type: str
    etag: str


@cache
def asset(name: str) -> Asset:
    """Read one of the page's files once; its ETag is a hash of its bytes."""
    folder, media_type = _ASSETS[name]
    body = (folder / name).read_bytes()
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def render_docs_page(title: str, openapi_url: str, assets_url: str = ASSETS_URL) -> str:
    """The /docs page: Swagger UI's files and its start-up script, nothing inline."""
    a = html.escape(assets_url, quote=True)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} API</title>
<link rel="icon" type="image/png" href="{a}/favicon.png">
<link rel="stylesheet" href="{a}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{a}/swagger-ui-bundle.js"></script>
<script src="{a}/swagger-init.js" data-openapi-url="{html.escape(openapi_url, quote=True)}"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json."""
    root = request.scope.get("root_path", "").rstrip("/")
    page = render_docs_page(
        request.app.title, f"{root}{request.app.openapi_url}", f"{root}{ASSETS_URL}"
    )
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(page, headers=headers)


@router.get(ASSETS_URL + "/{name}")
def docs_asset(name: str, request: Request) -> Response:
    """Swagger UI's script, styles and icon, and the page's start-up script."""
    if name not in _ASSETS:
        known = ", ".join(sorted(_ASSETS))
        return error_response(404, "not_found", f"There is no docs file {name!r}; known: {known}.")
    file = asset(name)
    headers = {
        "ETag": file.etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == file.etag:
        return Response(status_code=304, headers=headers)
    return Response(file.body, media_type=file.media_type, headers=headers)
