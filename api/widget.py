"""The widget's routes: the script, its demo newsroom page and the starter questions.

    GET /                               the demo newsroom page (first article, or ?doc_id=)
    GET /widget.js                      the embeddable widget (ETag, Cache-Control, 304)
    GET /newsroom.css                   the demo page's stylesheet
    GET /documents/{doc_id}/starters    three questions the article answers, computed once

The demo page is rendered here, escaped, with no inline script or style, and is sent with
a strict Content-Security-Policy: it is the page a newsroom copies, so it must show that
the one-tag embed works under one.
"""

from __future__ import annotations

import html
import math
import re
import threading
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.deps import ReadyDep, get_pipeline
from api.models import error_doc
from api.newsroom import render_front
from api.scope import choose, find_document
from api.starters import StarterCache
from api.static_files import PAGE_HEADERS, serve_static
from index.documents import Document
from index.sentences import paragraphs
from rag.errors import UnknownDocumentError
from rag.pipeline import Pipeline

router = APIRouter(tags=["widget"])

_DATELINE = re.compile(r"^([A-Z][A-Z’'.\- ]{2,}(?:,\s[^—–\n]{2,40}?)?)\s+([—–])\s+")
_starter_lock = threading.Lock()


@router.get("/widget.js", include_in_schema=False)
def widget_js(request: Request) -> Response:
    """The embeddable widget: one script, no dependencies."""
    return serve_static(request, "widget.js")


@router.get("/newsroom.css", include_in_schema=False)
def newsroom_css(request: Request) -> Response:
    """The demo page's stylesheet (served, so the page needs no inline style)."""
    return serve_static(request, "newsroom.css")


class Starters(BaseModel):
    """Questions a reader can click before typing their own."""

    doc_id: str
    questions: list[str] = Field(description="Up to three questions the article answers.")


def _document(pipeline: Pipeline, doc_id: str | None) -> Document:
    documents = pipeline.index.documents
    return documents[0] if doc_id is None else find_document(documents, doc_id)


@router.get(
    "/documents/{doc_id}/starters",
    response_model=Starters,
    responses={404: error_doc("No article with this id is indexed.")},
)
def starters(doc_id: str, request: Request, _: ReadyDep) -> Starters:
    """Three questions derived from the article that the answerer answers (cached per
    revision), checked with the pipeline that answers the article's questions in /chat."""
    pipeline = choose(request, doc_id, None).pipeline
    document = find_document(pipeline.index.documents, doc_id)
    with _starter_lock:
        cache_ = getattr(request.app.state, "starter_cache", None)
        if cache_ is None:
            cache_ = request.app.state.starter_cache = StarterCache()
    questions = cache_.get(pipeline, document)
    return Starters(doc_id=document.id, questions=questions)


# -- the demo page -----------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _article_html(document: Document) -> str:
    """The article body as paragraphs and <h2> subheadings, the dateline set apart."""
    parts: list[str] = []
    first = True
    for paragraph in paragraphs(document.text, document.body_start):
        text = document.text[paragraph.start : paragraph.end]
        if paragraph.is_heading:
            parts.append(f"<h2>{_e(text)}</h2>")
            continue
        match = _DATELINE.match(text) if first else None
        if match:
            rest = text[match.end() :]
            parts.append(
                f'<p class="lead datelined"><span class="dateline">{_e(match.group(1))}</span> '
                f"{match.group(2)} {_e(rest)}</p>"
            )
        else:
            parts.append(f"<p{' class=lead' if first else ''}>{_e(text)}</p>")
        first = False
    return "\n".join(parts)


def _kicker(document: Document) -> str:
    """The place of the dateline ("GYEONGJU, South Korea" gives "South Korea"), else "Top story"."""
    for paragraph in paragraphs(document.text, document.body_start):
        match = _DATELINE.match(document.text[paragraph.start : paragraph.end])
        if match:
            place = match.group(1).split(",")[-1].strip()
            return place if place.upper() != place else place.title()
        break
    return "Top story"


def _reading_minutes(document: Document) -> int:
    return max(1, math.ceil(len(document.text[document.body_start :].split()) / 230))


def render_page(document: Document, documents: list[Document], today: date) -> str:
    """The demo newsroom page for `document`: masthead, story, the widget's one tag."""
    doc_id = _e(document.id)
    others = [d for d in documents if d.id != document.id][:6]
    more = ""
    if others:
        items = "".join(f'<li><a href="/?doc_id={_e(d.id)}">{_e(d.title)}</a></li>' for d in others)
        more = f'<aside class="more"><h2>More stories</h2><ul>{items}</ul></aside>'
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(document.title)} · The Footnote Gazette</title>
<meta name="description" content="Footnote demo: ask this article a question and get its own sentences back, cited.">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/newsroom.css">
</head>
<body>
<a class="skip" href="#story">Skip to the story</a>
<header class="masthead">
  <div class="masthead-meta">
    <span>{today:%A, %B} {today.day}, {today.year}</span>
    <span>Demo edition</span>
  </div>
  <p class="nameplate">The Footnote Gazette</p>
  <nav aria-label="Sections"><ul>
    <li><a href="/">Front page</a></li><li><a href="/publish">Publish</a></li>
    <li><a href="/docs">API</a></li>
    <li><a href="#story">The story</a></li>
  </ul></nav>
</header>
<main id="story">
  <article class="story" data-doc-id="{doc_id}">
    <header class="story-head">
      <p class="kicker">{_e(_kicker(document))}</p>
      <h1>{_e(document.title)}</h1>
      <p class="byline">{_reading_minutes(document)} min read</p>
    </header>
    <div class="story-body">
{_article_html(document)}
    </div>
  </article>
  <section class="ask" aria-label="Ask this story">
    <script src="/widget.js" data-doc-id="{doc_id}" data-revision="{_e(document.sha256)}" async></script>
  </section>
  {more}
</main>
<footer class="colophon">
  <p>This is Footnote's demo page. Every answer above is made of the article's own sentences,
  each one cited; click a citation to see it in the story.</p>
  <p>Put the widget under your own story with one tag:
  <code>&lt;script src="/widget.js" data-doc-id="{doc_id}" async&gt;&lt;/script&gt;</code></p>
</footer>
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page(
    request: Request, doc_id: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    """The demo newsroom: the front page (several articles), or one article with its widget."""
    pipeline = get_pipeline(request)
    if doc_id is None and len(pipeline.index.documents) > 1:
        return HTMLResponse(
            render_front(pipeline.index.documents, date.today()), headers=PAGE_HEADERS
        )
    try:
        document = _document(pipeline, doc_id)
    except UnknownDocumentError as exc:
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<title>Story not found</title><link rel="stylesheet" href="/newsroom.css"></head>'
            f'<body><main class="story"><h1>Story not found</h1><p>{_e(str(exc))}</p>'
            '<p><a href="/">Front page</a></p></main></body></html>'
        )
        return HTMLResponse(body, status_code=404, headers=PAGE_HEADERS)
    page = render_page(document, pipeline.index.documents, date.today())
    return HTMLResponse(page, headers=PAGE_HEADERS)
