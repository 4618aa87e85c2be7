"""GET /docs: Swagger UI from the service itself, so the API page works offline and under CSP.

FastAPI's own /docs loads Swagger UI from a CDN and starts it with an inline script: a
newsroom's closed network or strict Content-Security-Policy leaves it blank. Here the
assets come from the `fastapi-offline` package (Swagger UI's release files, kept current
by its maintainer) and the start-up script from api/static, all from this origin, and the
page is sent with the demo page's policy.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.errors import error_response
from api.static_files import PAGE_HEADERS, SWAGGER_FILES, serve_static

router = APIRouter(include_in_schema=False)

ASSETS_URL = "/docs/assets"


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
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get(ASSETS_URL + "/{name}")
def docs_asset(name: str, request: Request) -> Response:
    """Swagger UI's script, styles and icon, and the page's start-up script."""
    if name not in SWAGGER_FILES:
        known = ", ".join(sorted(SWAGGER_FILES))
        return error_response(404, "not_found", f"There is no docs file {name!r}; known: {known}.")
    return serve_static(request, name, embeddable=False)
