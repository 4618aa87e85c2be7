"""The widget's server side without a browser: the demo page's escaping and layout, and
starter questions derived from any article (pure functions on made-up articles)."""

from __future__ import annotations

from datetime import date

from api.starters import candidates
from api.static_files import PAGE_CSP
from api.widget import render_page
from index.documents import parse_document

STORY = """Council Approves <Budget> & Tax Plan After $12 Million Shortfall

SPRINGFIELD, Illinois — The city council on Tuesday approved a budget that closes a $12 million shortfall, after Mayor Ana Lopez warned of layoffs. The vote at the Springfield budget hearing was 7 to 2.

Reactions <script>alert(1)</script>

Council member Raj Patel called the plan "a fair compromise" in March. The Illinois Municipal League (IML) praised it. Ana Lopez said the city would hire 40 workers.
"""


def test_demo_page_escapes_the_article_and_lays_it_out() -> None:
    document = parse_document("council-budget", STORY)
    page = render_page(document, [document], date(2025, 10, 29))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>Council Approves &lt;Budget&gt; &amp; Tax Plan" in page
    assert "<h2>Reactions &lt;script&gt;" in page
    assert '<span class="dateline">SPRINGFIELD, Illinois</span> —' in page
    assert '<p class="kicker">Illinois</p>' in page
    tag = f'<script src="/widget.js" data-doc-id="council-budget" data-revision="{document.sha256}"'
    assert tag + " async></script>" in page  # the page says which revision it shows
    # Under a strict CSP: the only script is the widget's, and nothing is styled inline.
    assert page.count("<script") == 1
    assert "style=" not in page and "<style" not in page
    assert "script-src 'self'" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP


def test_starter_candidates_come_from_any_article() -> None:
    document = parse_document("council-budget", STORY)
    found = {(c.kind, c.question) for c in candidates(document)}
    assert ("amount", "What is the $12 million for?") in found
    assert ("person", "Who is Ana Lopez?") in found
    assert ("person", "Who is Raj Patel?") in found
    assert ("event", "What happened at the Springfield budget hearing?") in found
    assert ("acronym", "What is IML?") in found
    # The amount in the headline comes first among amounts; the most mentioned person first.
    ordered = [c.question for c in candidates(document)]
    assert ordered[0] == "What is the $12 million for?"
    assert ordered.index("Who is Ana Lopez?") < ordered.index("Who is Raj Patel?")


def test_starter_candidates_skip_subheadings_and_the_headline_subject() -> None:
    document = parse_document(
        "profile",
        "Maria Silva Wins Again\n\nMaria Silva won the race. Mayor Tom Berg praised her.\n",
    )
    questions = [c.question for c in candidates(document)]
    assert "Who is Maria Silva?" not in questions
    assert "Who is Tom Berg?" in questions
