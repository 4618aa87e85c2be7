"""The widget in a real browser: headless Debian chromium against a real `footnote serve`.

Each test opens a fresh browser context. Host pages other than the demo page are served on
the live server's origin by Playwright's router (`/__host/...`), with the headers a test
needs (a strict Content-Security-Policy, hostile CSS). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import (
    DOC_ID,
    SHADOW,
    ask,
    deep_active,
    host_html,
    shadow_eval,
    wait_for_turns,
)

pytestmark = [pytest.mark.browser, pytest.mark.http]

ARTICLE = """
<main><article id="story">
<h1>Trump’s Asia Tour Hits Snag</h1>
<p>At the heart of the impasse: <a href="#x">Trump’s</a> bold push for South Korea to pump
   <em>$350 billion</em> into the
   U.S. economy, a figure that Seoul views as a potential economic earthquake.</p>
<p>The goodwill gestures couldn’t fully eclipse deeper frictions. Lee assumed office in June
amid economic headwinds, and his August White House visit with Trump was all smiles and flattery.</p>
</article></main>
"""
HIGHLIGHTED = """() => {
  const h = CSS.highlights && CSS.highlights.get('footnote-cite');
  const marks = [...document.querySelectorAll('mark.footnote-cite')];
  if (!h && !marks.length) return null;
  const range = h ? [...h][0] : null;
  const text = range ? range.toString() : marks.map((m) => m.textContent).join('');
  const rect = range ? range.getBoundingClientRect() : marks[0].getBoundingClientRect();
  return {text: text.replace(/\\s+/g, ' ').trim(), top: rect.top, bottom: rect.bottom,
          height: innerHeight};
}"""


# WCAG AA: 4.5:1 for text. Each element's colour against the first opaque background behind it.
CONTRAST = """(selectors) => {
  const root = document.querySelector('footnote-chat').shadowRoot;
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92
    : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const backdrop = (e) => { for (; e; e = e.parentElement || e.getRootNode().host) {
    const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0) return c; }
    return [255, 255, 255]; };
  return selectors.map((s) => { const e = root.querySelector(s); const a = lum(rgb(getComputedStyle(e).color));
    const b = lum(backdrop(e)); return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; });
}"""
CONTRASTED = [
    ".send",
    ".q",
    ".text",
    ".sub",
    ".lbl",
    ".quote",
    ".share",
    ".n",
    ".ref",
    ".foot",
    "mark",
]


def first_citation_text(page) -> str:
    quote = shadow_eval(page, "root.querySelector('.log .cite .quote').textContent")
    return quote.strip("“”")


def wait_highlight_in_view(page) -> dict:
    page.wait_for_function(
        f"() => {{ const h = ({HIGHLIGHTED})(); return h && h.top >= 0 && h.bottom <= h.height; }}"
    )
    return page.evaluate(HIGHLIGHTED)


def test_demo_page_ask_stream_cite_highlight_follow_up(make_session) -> None:
    session = make_session()
    page = session.page
    response = page.goto(session.server.url + "/")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("article h1").inner_text().startswith("Trump’s Asia Tour Hits Snag")
    assert page.locator(".story-body h2").count() >= 2
    assert "GYEONGJU" in page.locator(".dateline").inner_text()
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.chip').length === 3")
    session.shot("demo-empty", full_page=True)

    # Watch the answer grow in pieces before it is finished.
    shadow_eval(
        page,
        """(window.__pieces = [], new MutationObserver(() => {
             const t = root.querySelector('.streaming .text');
             if (t) window.__pieces.push(t.textContent.length);
           }).observe(root, {subtree: true, childList: true, characterData: true}))""",
    )
    with page.expect_response("**/chat/stream") as streamed:
        ask(page, "How much does Trump want South Korea to invest?")
    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    growth = page.evaluate("window.__pieces")
    assert len(set(growth)) >= 3, f"the answer did not stream in pieces: {growth}"
    answer = shadow_eval(page, "root.querySelector('.log .turn .text').textContent")
    assert "$350 billion" in answer
    assert shadow_eval(page, "root.querySelector('.log .text mark').textContent") == "$350 billion"
    assert shadow_eval(page, "root.querySelectorAll('.log .cite').length") >= 1
    share = shadow_eval(page, "root.querySelector('.log .cite a.share').href")
    assert "#:~:text=" in share and share.startswith(session.server.url)

    # The citation points into the article: highlighted and scrolled into view.
    cited = first_citation_text(page)
    page.locator("footnote-chat .log .cite .go").first.click()
    highlighted = wait_highlight_in_view(page)
    assert highlighted["text"] == " ".join(cited.split())
    session.shot("demo-citation")
    low = [(s, round(r, 2)) for s, r in page.evaluate(CONTRAST, CONTRASTED) if r < 4.5]
    assert low == [], f"below WCAG AA contrast: {low}"

    # A follow-up carries the conversation id of the first answer.
    first_id = shadow_eval(page, "root.host.conv || null") or page.evaluate(
        "document.querySelector('footnote-chat').conv"
    )
    with page.expect_request("**/chat/stream") as request:
        ask(page, "Who is South Korea's president?", turns=2)
    assert request.value.post_data_json["conversation_id"] == first_id
    assert request.value.post_data_json["doc_id"] == DOC_ID
    with page.expect_request("**/chat/stream") as request:
        ask(page, "When did he take office?", turns=3)
    assert request.value.post_data_json["conversation_id"] == first_id
    # Every turn stays on screen, each answered or abstaining, none an error.
    assert shadow_eval(page, "root.querySelectorAll('.log .turn .text').length") == 3
    assert shadow_eval(page, "root.querySelectorAll('.log .err').length") == 0
    page.locator("footnote-chat form").scroll_into_view_if_needed()
    session.shot("demo-answer")
    assert session.violations() == []
    assert session.errors == []


def test_keyboard_only_inline(make_session) -> None:
    session = make_session()
    page = session.page
    page.goto(session.server.url + "/")
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.chip').length === 3")
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = deep_active(page)
        if focused and focused["tag"] == "input":
            break
    else:
        pytest.fail("Tab never reached the widget's question field")
    assert focused["host"], "the focused input is not inside the widget"
    page.keyboard.type("How much does Trump want South Korea to invest?")
    page.keyboard.press("Enter")
    wait_for_turns(page, 1)
    assert "$350 billion" in shadow_eval(page, "root.querySelector('.log .text').textContent")
    # The log is a live region; the focus stays in the field for the next question.
    assert shadow_eval(page, "root.querySelector('.log').getAttribute('role')") == "log"
    assert deep_active(page)["tag"] == "input"
    # Tab onwards reaches the citation controls, Enter on one highlights its sentence.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    for _ in range(10):
        if "go" in deep_active(page)["cls"].split():
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    wait_highlight_in_view(page)


def test_keyboard_only_floating(make_session) -> None:
    session = make_session()
    page = session.page
    url = session.host(
        "floating.html", host_html(session.server, ARTICLE, attrs='data-mode="floating"')
    )
    page.goto(url)
    page.wait_for_selector("footnote-chat .launcher")
    assert shadow_eval(page, "root.querySelector('.launcher').tagName") == "BUTTON"
    for _ in range(10):
        page.keyboard.press("Tab")
        if "launcher" in deep_active(page)["cls"]:
            break
    else:
        pytest.fail("Tab never reached the launcher button")
    page.keyboard.press("Enter")
    assert shadow_eval(page, "root.querySelector('.panel').hidden") is False
    assert (
        shadow_eval(page, "root.querySelector('.launcher').getAttribute('aria-expanded')") == "true"
    )
    assert deep_active(page)["tag"] == "input"
    page.keyboard.type("How much does Trump want South Korea to invest?")
    page.keyboard.press("Enter")
    wait_for_turns(page, 1)
    session.shot("floating-open")
    page.keyboard.press("Escape")
    assert shadow_eval(page, "root.querySelector('.panel').hidden") is True
    assert "launcher" in deep_active(page)["cls"]
    assert (
        shadow_eval(page, "root.querySelector('.launcher').getAttribute('aria-expanded')")
        == "false"
    )
    assert session.errors == []


def test_question_markup_is_shown_literally_and_runs_nothing(make_session) -> None:
    session = make_session()
    page = session.page
    page.goto(session.server.url + "/")
    hostile = "<img src=x onerror=alert(1)>"
    ask(page, hostile)
    assert shadow_eval(page, "root.querySelector('.log .q').textContent").endswith(hostile)
    assert shadow_eval(page, "root.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    page.wait_for_timeout(300)
    assert session.dialogs == []
    # The article doesn't answer it: the widget says so and shows related passages as such.
    assert shadow_eval(page, "root.querySelector('.log .a').classList.contains('abstain')")


def test_hostile_host_css_does_not_reach_the_widget(make_session) -> None:
    session = make_session()
    page = session.page
    session.host("hostile.css", "* { all: unset !important; } html { font-size: 40px; }")
    head = f'<link rel="stylesheet" href="{session.server.url}/__host/hostile.css">'
    page.goto(session.host("hostile.html", host_html(session.server, ARTICLE, head=head)))
    page.wait_for_selector("footnote-chat input")
    sizes = shadow_eval(
        page,
        """(() => { const px = (s, p) => getComputedStyle(root.querySelector(s))[p];
           return {input: px('input', 'fontSize'), title: px('h2', 'fontSize'),
                   send: root.querySelector('.send').getBoundingClientRect().height,
                   panel: px('.panel', 'borderTopWidth'), display: getComputedStyle(root.host).display}; })()""",
    )
    assert sizes == {
        "input": "16px",
        "title": "17px",
        "send": pytest.approx(44, abs=2),
        "panel": "1px",
        "display": "block",
    }
    ask(page, "How much does Trump want South Korea to invest?")
    assert (
        shadow_eval(page, "getComputedStyle(root.querySelector('.log .text')).fontSize") == "17px"
    )
    page.locator("footnote-chat .log .cite .go").first.click()
    wait_highlight_in_view(page)
    session.shot("hostile-css")


def test_strict_csp_host_page_has_no_violations(make_session) -> None:
    session = make_session()
    page = session.page
    origin = session.server.url
    csp = f"default-src 'self'; script-src {origin}; connect-src {origin}; style-src 'self'"
    # The canary image is blocked by this policy: proof that the policy is enforced at all.
    body = ARTICLE + '<img id="canary" alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    page.goto(
        session.host("csp.html", host_html(session.server, body), {"Content-Security-Policy": csp})
    )
    ask(page, "How much does Trump want South Korea to invest?")
    page.locator("footnote-chat .log .cite .go").first.click()
    wait_highlight_in_view(page)
    violations = session.violations()
    canary = [v for v in violations if v["blocked"] == "data"]
    assert canary, "the Content-Security-Policy was not enforced"
    assert [v for v in violations if v not in canary] == []


def test_phone_width(make_session) -> None:
    session = make_session(width=375, height=740, is_mobile=True, has_touch=True)
    page = session.page
    page.goto(session.server.url + "/")
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.chip').length === 3")
    page.locator("footnote-chat .chip").first.click()
    wait_for_turns(page, 1)
    page.locator("footnote-chat input").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert shadow_eval(page, "root.querySelector('.panel').getBoundingClientRect().right") <= 375
    size = shadow_eval(page, "parseFloat(getComputedStyle(root.querySelector('input')).fontSize)")
    assert size >= 16
    session.shot("phone")


def test_errors_are_clear_and_retryable(make_session) -> None:
    session = make_session()
    page = session.page
    page.goto(session.host("errors.html", host_html(session.server, ARTICLE)))
    page.wait_for_selector("footnote-chat input")

    def limited(route) -> None:
        body = '{"error": {"code": "rate_limited", "message": "Too many requests"}}'
        route.fulfill(
            status=429, body=body, headers={"Retry-After": "7", "Content-Type": "application/json"}
        )

    page.route("**/chat/stream", limited)
    ask(page, "How much does Trump want South Korea to invest?")
    assert "wait 7 seconds" in shadow_eval(page, "root.querySelector('.log .err').textContent")
    page.unroute("**/chat/stream")
    page.route("**/chat/stream", lambda route: route.abort("connectionrefused"))
    shadow_eval(page, "root.querySelector('.log .err button').click()")
    wait_for_turns(page, 1)
    assert "Can’t reach" in shadow_eval(page, "root.querySelector('.log .err').textContent")
    session.shot("error")
    # Retry once the service is back: the same question is answered, the error is gone.
    page.unroute("**/chat/stream")
    shadow_eval(page, "root.querySelector('.log .err button').click()")
    page.wait_for_function(f"() => {SHADOW}.querySelector('.log .text mark')")
    assert shadow_eval(page, "root.querySelectorAll('.log .err').length") == 0
    assert deep_active(page)["tag"] == "input"
    # A conversation the service has forgotten is replayed from the questions asked so far.
    page.evaluate("document.querySelector('footnote-chat').conv = 'forgotten'")
    sent = []
    page.on("request", lambda r: sent.append(r.post_data_json) if "/chat/stream" in r.url else None)
    ask(page, "Who is South Korea's president?", turns=2)
    assert [body["conversation_id"] for body in sent] == ["forgotten", None]
    assert sent[1]["history"] == ["How much does Trump want South Korea to invest?"]
    assert shadow_eval(page, "root.querySelectorAll('.log .err').length") == 0
    assert page.evaluate("document.querySelector('footnote-chat').conv") not in (None, "forgotten")


def test_quote_marks_are_not_doubled_around_a_quotation(make_session) -> None:
    session = make_session()
    page = session.page
    page.goto(session.server.url + "/")
    ask(page, "What did Lee warn about the visa system?")
    quotes = shadow_eval(
        page, "[...root.querySelectorAll('.log .cite .quote')].map(q => q.textContent)"
    )
    # The cited sentence opens with the article's own quotation mark: shown as it is.
    assert quotes[0] == "“Our companies will hesitate unless the visa system improves,” Lee warned."
    ask(page, "How much does Trump want South Korea to invest?", turns=2)
    quotes = shadow_eval(
        page,
        "[...root.querySelectorAll('.log .turn:last-child .cite .quote')].map(q => q.textContent)",
    )
    # A sentence without quotation marks of its own is quoted by the widget.
    assert quotes[0].startswith("“At the heart of the impasse") and quotes[0].endswith(".”")
    everything = shadow_eval(
        page, "[...root.querySelectorAll('.log .quote')].map(q => q.textContent)"
    )
    doubled = [q for q in everything if re.search(r"^[“\"‘']{2}|[”\"’']{2}$", q)]
    assert doubled == []
    assert session.errors == []


def test_sentence_not_on_the_page_is_shown_in_the_widget(make_session) -> None:
    session = make_session()
    page = session.page
    page.goto(session.host("elsewhere.html", host_html(session.server, "<p>Another story.</p>")))
    ask(page, "How much does Trump want South Korea to invest?")
    page.locator("footnote-chat .log .cite .go").first.click()
    assert "isn’t on this page" in shadow_eval(page, "root.querySelector('.log .cite').textContent")
    assert shadow_eval(page, "root.querySelector('.log .cite').classList.contains('open')")
    assert page.evaluate("CSS.highlights.size") == 0


def test_embedded_on_another_origin_calls_the_script_origin(
    make_session, newsroom, cross_origin_server
) -> None:
    session = make_session()
    page = session.page
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "/chat/stream" in r.url else None)
    page.goto(newsroom.page("/story.html", host_html(cross_origin_server, ARTICLE)))
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.chip').length === 3")
    ask(page, "How much does Trump want South Korea to invest?")
    assert calls == [f"{cross_origin_server.url}/chat/stream"]
    assert "$350 billion" in shadow_eval(page, "root.querySelector('.log .text').textContent")
    share = shadow_eval(page, "root.querySelector('.log .cite a.share').href")
    assert share.startswith(f"{newsroom.origin}/story.html#:~:text=")
    page.locator("footnote-chat .log .cite .go", has_text="pump $350 billion").first.click()
    wait_highlight_in_view(page)
    assert session.errors == []


def test_custom_element_and_theme(make_session) -> None:
    session = make_session()
    page = session.page
    body = (
        ARTICLE
        + f'<footnote-chat doc-id="{DOC_ID}" heading="Questions about this story"></footnote-chat>'
    )
    head = "<style>footnote-chat { --footnote-accent: #7a1f2b; }</style>"
    page.goto(
        session.host(
            "element.html", host_html(session.server, body, head=head, attrs='data-mount="none"')
        )
    )
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.chip').length === 3")
    assert page.evaluate("document.querySelectorAll('footnote-chat').length") == 1
    assert shadow_eval(page, "root.querySelector('h2').textContent") == "Questions about this story"
    accent = shadow_eval(page, "getComputedStyle(root.querySelector('.send')).backgroundColor")
    assert accent == "rgb(122, 31, 43)"


def test_mark_fallback_without_the_highlight_api(make_session) -> None:
    session = make_session()
    page = session.page
    page.add_init_script("delete CSS.highlights; delete window.Highlight;")
    page.goto(session.host("marks.html", host_html(session.server, ARTICLE)))
    ask(page, "How much does Trump want South Korea to invest?")
    page.locator("footnote-chat .log .cite .go", has_text="pump $350 billion").first.click()
    highlighted = wait_highlight_in_view(page)
    assert highlighted["text"].startswith("At the heart of the impasse: Trump’s bold push")
    assert highlighted["text"].endswith("a potential economic earthquake.")
    # The sentence spans a link and an <em>: each piece is wrapped, the markup is kept.
    assert page.evaluate("document.querySelectorAll('mark.footnote-cite').length") >= 3
    assert page.evaluate("document.querySelector('#story a mark.footnote-cite') !== null")
    assert page.evaluate("document.querySelector('#story em').textContent") == "$350 billion"


def test_widget_js_is_small_cached_and_typed(live_server) -> None:
    response = httpx.get(f"{live_server.url}/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) < 25 * 1024, f"widget.js is {len(response.content)} bytes"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "max-age" in response.headers["cache-control"]
    again = httpx.get(f"{live_server.url}/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    css = httpx.get(f"{live_server.url}/newsroom.css")
    assert css.headers["content-type"].startswith("text/css")


def test_starter_questions_are_answered(live_server) -> None:
    response = httpx.get(f"{live_server.url}/documents/{DOC_ID}/starters", timeout=60)
    assert response.status_code == 200
    questions = response.json()["questions"]
    assert len(questions) == 3 and len(set(questions)) == 3
    for question in questions:
        answer = httpx.post(
            f"{live_server.url}/chat", json={"question": question, "doc_id": DOC_ID}, timeout=30
        ).json()
        assert answer["answered"] is True, question
    missing = httpx.get(f"{live_server.url}/documents/no-such-story/starters")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_document"
