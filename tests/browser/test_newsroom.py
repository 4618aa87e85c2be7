"""The demo newsroom of several articles in a real browser (issue 12): the front page, each
article with its own widget, the publishing page, and an old page whose widget still
quotes and highlights the text it shows after the story was corrected.

One service for the module: seeds/ and seeds/newsroom/ on a copy of the session's index,
with a publishing token; pages opened with make_session as in test_widget.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import SHADOW, Session, ask
from tests.conftest import ARTIFACTS, SEEDS, LiveServer, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.http]

TOKEN = "newsroom-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HIGHLIGHT = """() => { const h = CSS.highlights && CSS.highlights.get('footnote-cite');
  return h ? [...h][0].toString().replace(/\\s+/g, ' ').trim() : null; }"""


@pytest.fixture(scope="module")
def live_server(index_dir: Path, tmp_path_factory) -> Iterator[LiveServer]:
    """This module's service, in place of the session's: make_session opens pages on it."""
    folder = tmp_path_factory.mktemp("newsroom-demo")
    shutil.copytree(index_dir, folder / "index", symlinks=True)
    server = start_server(
        folder / "index",
        folder / "server.log",
        FOOTNOTE_SOURCES=f"{SEEDS},{SEEDS / 'newsroom'}",
        FOOTNOTE_PUBLISH_TOKEN=TOKEN,
        FOOTNOTE_RATE_LIMIT_PER_MINUTE="0",
        FOOTNOTE_THREADS="1",
    )
    yield server
    stop_server(server)


@pytest.fixture
def session(make_session) -> Iterator[Session]:
    session = make_session()
    session.page.set_default_timeout(20_000)
    yield session
    assert not session.errors, session.errors


@pytest.fixture
def page(session: Session):
    return session.page


def test_front_page_lists_the_stories_and_each_has_its_own_widget(page, live_server):
    page.goto(live_server.url + "/")
    links = page.locator(".front-story h2 a")
    assert links.count() == 4
    page.get_by_role("link", name="School Lunches", exact=False).click()
    page.wait_for_selector("footnote-chat")
    widget = page.locator("footnote-chat")
    assert widget.get_attribute("doc-id") == "school-lunch-program"
    assert len(widget.get_attribute("revision") or "") == 64
    ask(page, "How much will the program cost each year?")
    answer = page.evaluate(f"() => {SHADOW}.querySelector('.log .turn .a .text').textContent")
    assert "$6.8 million" in answer
    page.screenshot(path=str(ARTIFACTS / "newsroom-article.png"))


def test_publish_page_publishes_through_the_api_then_answers(page, live_server):
    page.goto(live_server.url + "/publish")
    page.fill("#doc-id", "Parks_Budget")  # the form checks the id as the API does
    assert page.eval_on_selector("#doc-id", "e => e.validity.patternMismatch") is True
    page.fill("#doc-id", "parks-budget")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('publish-answer').textContent.length > 0", timeout=30_000
    )
    assert "$3 million" in page.text_content("#publish-answer")
    assert "Answered from revision" in page.text_content("#publish-status")
    page.screenshot(path=str(ARTIFACTS / "newsroom-publish.png"))
    page.click("#publish-link")
    page.wait_for_selector("footnote-chat")
    assert page.locator("h1").text_content() == "City Budget Adds $3 Million for Parks"


def test_an_old_page_still_quotes_and_highlights_its_own_text(session, page, live_server):
    url = live_server.url
    text = "The city will pay $41 million for the repair, officials said.\n\nWork starts in March."
    assert httpx.put(
        f"{url}/documents/pier-repair", json={"headline": "Pier Repair", "text": text}, headers=AUTH
    ).is_success
    old_page = httpx.get(f"{url}/?doc_id=pier-repair").text
    corrected = text.replace("$41 million", "$52 million")
    assert httpx.put(
        f"{url}/documents/pier-repair",
        json={"headline": "Pier Repair", "text": corrected},
        headers=AUTH,
    ).is_success
    # The reader still has the page as first published, with its data-revision.
    page.goto(session.host("pier-old.html", old_page))
    ask(page, "How much will the repair cost?")
    answer = page.evaluate(f"() => {SHADOW}.querySelector('.log .turn .a .text').textContent")
    assert "$41 million" in answer and "$52 million" not in answer
    page.evaluate(f"() => {SHADOW}.querySelector('.cites .go').click()")
    page.wait_for_function(f"() => ({HIGHLIGHT})() !== null")
    assert "$41 million" in page.evaluate(HIGHLIGHT)
    # The current page is answered from the corrected text.
    page.goto(f"{url}/?doc_id=pier-repair")
    ask(page, "How much will the repair cost?")
    current = page.evaluate(f"() => {SHADOW}.querySelector('.log .turn .a .text').textContent")
    assert "$52 million" in current
