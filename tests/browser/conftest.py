"""Fixtures of the browser tests: one headless Debian chromium per session, a fresh context
per test, host pages served on the live server's origin, and helpers to look into the
widget's shadow root.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, LiveServer, free_port, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DOC_ID = "trump-asia-tour-south-korea"
HOST_PREFIX = "/__host/"

# Records every CSP violation, dialog-free, before any page script runs.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile}));
"""


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (never Playwright's own download)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class Session:
    """A page in a fresh context, with what it reported."""

    page: object
    context: object
    server: LiveServer
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    host_pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def host(self, name: str, html: str, headers: dict[str, str] | None = None) -> str:
        """Serve `html` at the live server's origin under /__host/<name>; return its URL."""
        self.host_pages[name] = (html, headers or {})
        return f"{self.server.url}{HOST_PREFIX}{name}"

    def shot(self, name: str, full_page: bool = False) -> None:
        """Save a screenshot to test-artifacts/."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"), full_page=full_page)

    def violations(self) -> list[dict]:
        return self.page.evaluate("window.__violations || []")


class Newsroom:
    """A static site on its own 127.0.0.1 port: another origin than the service's."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"

    def page(self, path: str, html: str) -> str:
        """Publish `html` at `path`; return its URL."""
        self.pages[path] = html
        return self.origin + path


@pytest.fixture(scope="session")
def newsroom() -> Iterator[Newsroom]:
    """A newsroom's site on another origin, served from a thread."""
    site = Newsroom()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="session")
def cross_origin_server(
    index_dir: Path, newsroom: Newsroom, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A BM25-only service that lets the newsroom's origin call it (CORS), as deployed."""
    log = tmp_path_factory.mktemp("widget-server") / "server.log"
    server = start_server(
        index_dir,
        log,
        wait_for="bm25",
        FOOTNOTE_EMBEDDER="none",
        FOOTNOTE_ALLOWED_ORIGINS=newsroom.origin,
    )
    yield server
    stop_server(server)


@pytest.fixture
def make_session(browser, live_server: LiveServer) -> Iterator[Callable[..., Session]]:
    """Open pages in fresh contexts (any viewport); everything is closed after the test."""
    contexts = []

    def make(width: int = 1280, height: int = 900, **options) -> Session:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(15_000)
        session = Session(page, context, live_server)

        def fulfil(route) -> None:
            name = route.request.url.split(HOST_PREFIX, 1)[1].split("?")[0]
            body, headers = session.host_pages[name]
            content_type = "text/css" if name.endswith(".css") else "text/html; charset=utf-8"
            route.fulfill(status=200, body=body, headers={"Content-Type": content_type, **headers})

        context.route(f"{live_server.url}{HOST_PREFIX}**", fulfil)

        def on_dialog(dialog) -> None:
            session.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: session.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: session.errors.append(msg.text) if msg.type == "error" else None,
        )
        return session

    yield make
    for context in contexts:
        context.close()


# -- looking into the widget -------------------------------------------------------------

# The widget's shadow root, or an empty fragment while the script has not run yet.
SHADOW = (
    "(document.querySelector('footnote-chat')?.shadowRoot ?? document.createDocumentFragment())"
)


def shadow_eval(page, expression: str, arg=None):
    """Evaluate `expression` with `root` bound to the widget's shadow root."""
    return page.evaluate(f"(arg) => {{ const root = {SHADOW}; return {expression}; }}", arg)


def deep_active(page) -> dict:
    """The focused element, looking through shadow roots: its tag, class and text."""
    return page.evaluate(
        """() => { let a = document.activeElement;
        while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
        return a ? {tag: a.tagName.toLowerCase(), cls: a.className || '', text: a.textContent || '',
                    host: !!(a.getRootNode() && a.getRootNode().host)} : null; }"""
    )


def ask(page, question: str, turns: int = 1) -> None:
    """Type a question into the widget, press Enter, wait until `turns` answers are logged."""
    field_ = page.locator("footnote-chat input")
    field_.fill(question)
    field_.press("Enter")
    wait_for_turns(page, turns)


def wait_for_turns(page, turns: int) -> None:
    page.wait_for_function(
        f"() => {SHADOW}.querySelectorAll('.log .turn .a:not(.streaming)').length >= {turns}"
        f" && !{SHADOW}.querySelector('.send').disabled"
    )


def host_html(
    server: LiveServer,
    body: str,
    *,
    head: str = "",
    attrs: str = "",
) -> str:
    """A small newsroom page: `body`, then the one-tag embed from the live server."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>Host page</title>{head}</head><body>{body}'
        f'<script src="{server.url}/widget.js" data-doc-id="{DOC_ID}" {attrs} async></script>'
        "</body></html>"
    )


def as_json(value) -> str:
    return json.dumps(value)
