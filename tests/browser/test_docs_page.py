"""/docs in a real browser with no network but the service: Swagger UI renders the operations.

A newsroom's closed network or strict policy blocks CDNs; the page must need nothing but
the service's own origin, under the demo page's Content-Security-Policy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from api.static_files import PAGE_CSP

pytestmark = [pytest.mark.browser, pytest.mark.http]


def test_docs_render_the_operations_offline_under_the_csp(make_session, live_server):
    session = make_session()
    elsewhere: list[str] = []

    def only_the_service(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.fallback()
        else:  # the network beyond the service is not there
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    session.context.route("**/*", only_the_service)
    page = session.page
    response = page.goto(f"{live_server.url}/docs")
    assert response.headers["content-security-policy"] == PAGE_CSP

    chat = page.locator(
        ".opblock-post", has=page.locator(".opblock-summary-path", has_text="/chat")
    )
    chat.first.wait_for(state="visible")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for path in ("/chat", "/chat/stream", "/v1/chat/completions", "/documents", "/readyz"):
        assert path in [p.strip() for p in paths], paths

    # Open POST /chat: its request schema and every documented status show.
    page.locator(".opblock-summary-path", has_text="/chat").first.click()
    block = page.locator("#operations-chat-chat_chat_post")
    block.locator(".responses-table").first.wait_for(state="visible")
    statuses = block.locator(".responses-table td.response-col_status").all_inner_texts()
    assert {"200", "400", "404", "413", "422", "429", "503"} <= {s.split()[0] for s in statuses}
    session.shot("docs", full_page=False)

    assert elsewhere == [], f"the page asked for things beyond the service: {elsewhere}"
    assert session.violations() == []
    assert session.errors == []


def test_docs_assets_are_served_with_validators(live_server):
    page = httpx.get(f"{live_server.url}/docs").text
    assert "cdn." not in page and "<script>" not in page
    script = httpx.get(f"{live_server.url}/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    again = httpx.get(
        f"{live_server.url}/docs/assets/swagger-ui-bundle.js",
        headers={"If-None-Match": script.headers["etag"]},
    )
    assert again.status_code == 304
    # A cache that holds several versions sends a list, weak or strong.
    listed = httpx.get(
        f"{live_server.url}/docs/assets/swagger-ui-bundle.js",
        headers={"If-None-Match": f'"stale", W/{script.headers["etag"]}'},
    )
    assert listed.status_code == 304
    assert "cross-origin-resource-policy" not in script.headers  # only the widget is embedded
    missing = httpx.get(f"{live_server.url}/docs/assets/nothing.js")
    assert missing.status_code == 404
    assert httpx.get(f"{live_server.url}/docs/assets/widget.js").status_code == 404
    assert "swagger-ui.css" in missing.json()["error"]["message"]
