"""The demo newsroom's other pages: the front page and the publishing page.

    GET /          (several articles, no doc_id) the front page: every story, linked
    GET /publish   a page that publishes an article through the API and asks it a question
    GET /publish.js  that page's script (no inline script: the pages run under a strict CSP)

Article pages themselves are api.widget's; each carries its own widget scoped to it, with
the revision it shows (`data-revision`).
"""

from __future__ import annotations

import html
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.static_files import PAGE_HEADERS, serve_static
from index.documents import Document
from index.publish import DOC_ID_PATTERN
from index.sentences import paragraphs

router = APIRouter(tags=["widget"])


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _head(title: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · The Footnote Gazette</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/newsroom.css">
</head>
<body>
<header class="masthead">
  <p class="nameplate">The Footnote Gazette</p>
  <nav aria-label="Sections"><ul>
    <li><a href="/">Front page</a></li><li><a href="/publish">Publish</a></li>
    <li><a href="/docs">API</a></li>
  </ul></nav>
</header>
"""


def _lead(document: Document, limit: int = 220) -> str:
    for paragraph in paragraphs(document.text, document.body_start):
        if not paragraph.is_heading:
            text = document.text[paragraph.start : paragraph.end]
            return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return ""


def render_front(documents: list[Document], today: date) -> str:
    """The front page: each story's headline (linked to its page with its widget) and lead."""
    items = "\n".join(
        f'<li class="front-story"><h2><a href="/?doc_id={_e(d.id)}">{_e(d.title)}</a></h2>'
        f"<p>{_e(_lead(d))}</p></li>"
        for d in documents
    )
    return (
        _head("Front page")
        + f"""<main id="story" class="story front">
  <p class="byline">{today:%A, %B} {today.day}, {today.year} · {len(documents)} stories</p>
  <h1>Today's stories</h1>
  <ul class="front-list">
{items}
  </ul>
</main>
</body>
</html>
"""
    )


# The API's rule for an id, as an <input pattern>: browsers compile that with the `v` flag,
# where a hyphen inside a class must be escaped (unescaped, the pattern is dropped with a
# console error and the form checks nothing); the anchors are implied.
DOC_ID_INPUT_PATTERN = DOC_ID_PATTERN.removeprefix("^").removesuffix("$").replace("-]", r"\-]")

PUBLISH_PAGE = (
    _head("Publish")
    + """<main id="story" class="story publish">
  <h1>Publish a story</h1>
  <p>What a newsroom's CMS does: <code>PUT /documents/{doc_id}</code> with the publishing
  token (FOOTNOTE_PUBLISH_TOKEN), then readers can ask the story a few seconds later.</p>
  <form id="publish-form">
    <p><label for="doc-id">Article id</label><br><input id="doc-id" name="doc_id" required
      pattern=\""""
    + _e(DOC_ID_INPUT_PATTERN)
    + """" value="city-budget"></p>
    <p><label for="headline">Headline</label><br><input id="headline" name="headline" required
      value="City Budget Adds $3 Million for Parks"></p>
    <p><label for="text">Text</label><br><textarea id="text" name="text" rows="8" required>The city council approved a budget on Tuesday that adds $3 million for parks, Mayor Ana Ruiz said.

"Every neighborhood deserves a park within a ten-minute walk," Ruiz said.</textarea></p>
    <p><label for="question">Question to ask after publishing</label><br><input id="question"
      name="question" value="How much does the budget add for parks?"></p>
    <p><label for="token">Publishing token</label><br><input id="token" name="token"
      type="password" autocomplete="off" required></p>
    <p><button type="submit">Publish and ask</button></p>
  </form>
  <p id="publish-status" role="status"></p>
  <blockquote id="publish-answer"></blockquote>
  <p><a id="publish-link" hidden>Open the story with its widget</a></p>
</main>
<script src="/publish.js"></script>
</body>
</html>
"""
)


@router.get("/publish", response_class=HTMLResponse, include_in_schema=False)
def publish_page() -> HTMLResponse:
    """The page that publishes through the API and asks the new story a question."""
    return HTMLResponse(PUBLISH_PAGE, headers=PAGE_HEADERS)


@router.get("/publish.js", include_in_schema=False)
def publish_js(request: Request) -> Response:
    """The publishing page's script."""
    return serve_static(request, "publish.js")
