"""The packaged files the pages and the widget load, and the headers the pages are sent with.

    api/static/widget.js       the embeddable widget (served by api.widget)
    api/static/newsroom.css    the demo pages' stylesheet
    api/static/publish.js      the publishing page's script (served by api.newsroom)
    api/static/swagger-init.js /docs's start-up script, beside Swagger UI's own files
                               from the `fastapi-offline` package (served by api.docs_page)

Each file is read once and sent with a strong ETag, so a newsroom's readers revalidate
with a 304 instead of downloading the script on every page view.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

STATIC_DIR = Path(__file__).parent / "static"
SWAGGER_DIR = Path(str(files("fastapi_offline") / "static"))

CACHE_CONTROL = "public, max-age=300"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-cache",
}
"""What the demo newsroom's pages are sent with."""
_JS = "text/javascript; charset=utf-8"
_FILES = {
    "widget.js": (STATIC_DIR, _JS),
    "newsroom.css": (STATIC_DIR, "text/css; charset=utf-8"),
    "publish.js": (STATIC_DIR, _JS),
    "swagger-init.js": (STATIC_DIR, _JS),
    "swagger-ui-bundle.js": (SWAGGER_DIR, _JS),
    "swagger-ui.css": (SWAGGER_DIR, "text/css; charset=utf-8"),
    "favicon.png": (SWAGGER_DIR, "image/png"),
}
SWAGGER_FILES = frozenset(
    {"swagger-init.js", "swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}
)
"""The files /docs loads (the rest belong to the widget and the newsroom pages)."""


@dataclass(frozen=True, slots=True)
class StaticFile:
    """A packaged file with its validator."""

    body: bytes
    media_type: str
    etag: str


@cache
def static_file(name: str) -> StaticFile:
    """Read a packaged file once; its ETag is a strong hash of its bytes."""
    folder, media_type = _FILES[name]
    body = (folder / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return StaticFile(body, media_type, etag)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def serve_static(request: Request, name: str, *, embeddable: bool = True) -> Response:
    """A packaged file with its ETag (304 when the client has it); `embeddable`: pages on
    other origins may load it (the widget's files), whatever CORP the app sets."""
    file = static_file(name)
    headers = {
        "ETag": file.etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    if embeddable:
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if _etag_matches(request.headers.get("if-none-match"), file.etag):
        return Response(status_code=304, headers=headers)
    return Response(file.body, media_type=file.media_type, headers=headers)
