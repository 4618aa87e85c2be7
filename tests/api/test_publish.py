"""The publishing API on a real service of two workers on 127.0.0.1 (issue 12).

One module server (`footnote serve`, FOOTNOTE_WORKERS=2, a token, a copy of the session's
index): publish, ask, correct, ask again (new revision; the old page's revision still
quoted with its own offsets), delete, ask (nothing); concurrent publishes and questions;
the token rules; every bad input, each followed by a check that nothing changed. Every
request opens a new connection, so the two workers share the questions.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    HARBOR_HEADLINE,
    HARBOR_QUESTION,
    HARBOR_TEXT,
    LiveServer,
    start_server,
    stop_server,
)

pytestmark = [pytest.mark.http, pytest.mark.model]

TOKEN = "test-publish-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_CHARS = 3000


def revision_of(headline: str, text: str) -> str:
    """The revision the service gives an article published as (headline, text)."""
    return hashlib.sha256(f"{headline}\n\n{text}\n".encode()).hexdigest()


@pytest.fixture(scope="module")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("publish")
    index = folder / "index"
    shutil.copytree(index_dir, index, symlinks=True)
    live = start_server(
        index,
        folder / "server.log",
        FOOTNOTE_WORKERS="2",
        FOOTNOTE_PUBLISH_TOKEN=TOKEN,
        FOOTNOTE_RATE_LIMIT_PER_MINUTE="0",
        FOOTNOTE_MAX_ARTICLE_CHARS=str(MAX_CHARS),
        FOOTNOTE_RELOAD_SECONDS="0.5",
        FOOTNOTE_THREADS="1",
    )
    yield live
    stop_server(live)


def put(server: LiveServer, doc_id: str, headers=AUTH, **body) -> httpx.Response:
    return httpx.put(f"{server.url}/documents/{doc_id}", json=body, headers=headers, timeout=60)


def ask(server: LiveServer, doc_id: str | None, revision: str | None = None) -> httpx.Response:
    body = {"question": HARBOR_QUESTION, "doc_id": doc_id, "revision": revision}
    body = {k: v for k, v in body.items() if v is not None}
    return httpx.post(f"{server.url}/chat", json=body, timeout=60)


def test_publish_ask_correct_ask_delete_ask(server):
    created = put(server, "harbor-bridge", headline=HARBOR_HEADLINE, text=HARBOR_TEXT)
    assert created.status_code == 200, created.text
    first = created.json()["revision"]
    assert first == revision_of(HARBOR_HEADLINE, HARBOR_TEXT) and created.json()["created"] is True
    for _ in range(4):  # new connections: both workers answer it at once
        answer = ask(server, "harbor-bridge").json()
        assert "$41 million" in answer["answer"] and answer["revision"] == first

    corrected = HARBOR_TEXT.replace("$41 million", "$45.5 million")
    second = put(server, "harbor-bridge", headline=HARBOR_HEADLINE, text=corrected).json()
    assert second["revision"] != first and second["changed"] is True
    assert [r["revision"] for r in second["revisions"]] == [second["revision"], first]
    for _ in range(4):
        answer = ask(server, "harbor-bridge").json()
        assert "$45.5 million" in answer["answer"] and answer["revision"] == second["revision"]

    # The page still showing the first text: answered from it, offsets into it.
    page = f"{HARBOR_HEADLINE}\n\n{HARBOR_TEXT}\n"
    for _ in range(2):
        old = ask(server, "harbor-bridge", revision=first).json()
        assert old["revision"] == first and "notice" not in old
        cited = old["citations"][0]
        assert page[cited["start"] : cited["end"]] == cited["text"]
        start, end = cited["highlight"]
        assert cited["text"][start:end] == "$41 million"

    removed = httpx.delete(f"{server.url}/documents/harbor-bridge", headers=AUTH, timeout=30)
    assert removed.status_code == 200 and removed.json()["revisions"] == 2
    for revision in (None, first, second["revision"], None):
        gone = ask(server, "harbor-bridge", revision)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_document"
    assert httpx.get(f"{server.url}/documents/harbor-bridge", timeout=10).status_code == 404
    listed = httpx.get(f"{server.url}/documents", timeout=10).json()["documents"]
    assert "harbor-bridge" not in {d["id"] for d in listed}


def test_starters_follow_a_correction(server):
    url = f"{server.url}/documents/pier-starters"
    amount = "The city will pay $41 million for the pier repair, officials said."
    rest = "\n\nMayor Ana Ruiz said work starts in March."
    assert put(server, "pier-starters", headline="Pier Repair", text=amount + rest).is_success
    for _ in range(4):  # new connections: both workers compute (and keep) them
        first = httpx.get(f"{url}/starters", timeout=60).json()["questions"]
        assert "What is the $41 million for?" in first
    corrected = "The city will close the pier for repairs, officials said." + rest
    assert put(server, "pier-starters", headline="Pier Repair", text=corrected).is_success
    for _ in range(4):
        questions = httpx.get(f"{url}/starters", timeout=60).json()["questions"]
        assert questions and "What is the $41 million for?" not in questions
        for question in questions:
            body = {"question": question, "doc_id": "pier-starters"}
            answer = httpx.post(f"{server.url}/chat", json=body, timeout=60).json()
            assert answer["answered"] is True, question


def test_concurrent_publishes_and_questions_lose_nothing(server):
    texts = {
        f"ferry-{n}": f"The island ferry adds crossing number {n} on Fridays, the operator "
        f"said.\n\nEach crossing carries {100 + n} passengers."
        for n in range(4)
    }

    def publish(doc_id: str) -> tuple[str, int, str]:
        first = put(server, doc_id, headline=f"Ferry {doc_id}", text=texts[doc_id])
        final = texts[doc_id].replace("passengers", "passengers and bicycles")
        again = put(server, doc_id, headline=f"Ferry {doc_id}", text=final)
        return doc_id, max(first.status_code, again.status_code), again.json()["revision"]

    def question(_: int) -> int:
        return ask(server, "trump-asia-tour-south-korea").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        published = list(pool.map(publish, texts))
        asked = list(pool.map(question, range(8)))
    assert all(status == 200 for _, status, _ in published), published
    assert all(status == 200 for status in asked), asked
    for doc_id, _, revision in published:
        final = texts[doc_id].replace("passengers", "passengers and bicycles")
        assert revision == revision_of(f"Ferry {doc_id}", final)
        kept = httpx.get(f"{server.url}/documents/{doc_id}", timeout=10).json()
        assert kept["revision"] == revision
        answer = httpx.post(
            f"{server.url}/chat",
            json={"question": "How many passengers does each crossing carry?", "doc_id": doc_id},
            timeout=60,
        ).json()
        assert answer["revision"] == revision and "bicycles" in answer["answer"]


def test_token_rules(server, live_server):
    assert put(server, "tok", headers={}, headline="H", text="T t.").status_code == 401
    wrong = put(server, "tok", headers={"Authorization": "Bearer nope"}, headline="H", text="T.")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_token"
    basic = put(server, "tok", headers={"Authorization": "Basic eDp5"}, headline="H", text="T.")
    assert basic.status_code == 401
    assert httpx.delete(f"{server.url}/documents/trump-asia-tour-south-korea").status_code == 401
    # A service without FOOTNOTE_PUBLISH_TOKEN refuses every write and says how to enable them.
    disabled = put(live_server, "tok", headline="H", text="T.")
    assert disabled.status_code == 403
    assert "FOOTNOTE_PUBLISH_TOKEN" in disabled.json()["error"]["message"]
    # The readers' routes take no token: the same answer with or without one, no writes.
    plain = ask(server, "trump-asia-tour-south-korea").json()
    with_token = httpx.post(
        f"{server.url}/chat",
        json={"question": HARBOR_QUESTION, "doc_id": "trump-asia-tour-south-korea"},
        headers=AUTH,
        timeout=60,
    ).json()
    assert with_token["answer"] == plain["answer"]
    assert httpx.put(f"{server.url}/chat", headers=AUTH, json={}).status_code == 405
    assert httpx.get(f"{server.url}/documents/tok").status_code == 404  # nothing was written


BAD = [
    ("no-headline", {"text": HARBOR_TEXT}, 422),
    ("blank-headline", {"headline": " \u200b ", "text": HARBOR_TEXT}, 422),
    ("empty-text", {"headline": HARBOR_HEADLINE, "text": ""}, 422),
    ("blank-text", {"headline": HARBOR_HEADLINE, "text": "\n\n  \n"}, 422),
    ("huge-text", {"headline": HARBOR_HEADLINE, "text": "Word. " * MAX_CHARS}, 422),
    ("headline-number", {"headline": 5, "text": HARBOR_TEXT}, 422),
    ("text-list", {"headline": HARBOR_HEADLINE, "text": ["a"]}, 422),
    (
        "bad-url",
        {"headline": HARBOR_HEADLINE, "text": HARBOR_TEXT, "url": "javascript:alert(1)"},
        422,
    ),
    (
        "bad-time",
        {"headline": HARBOR_HEADLINE, "text": HARBOR_TEXT, "published_at": "2025-13-45"},
        422,
    ),
    ("extra-field", {"headline": HARBOR_HEADLINE, "text": HARBOR_TEXT, "author": "me"}, 422),
    ("Upper_Case", {"headline": HARBOR_HEADLINE, "text": HARBOR_TEXT}, 422),
    ("-leading-hyphen", {"headline": HARBOR_HEADLINE, "text": HARBOR_TEXT}, 422),
    ("x" * 101, {"headline": HARBOR_HEADLINE, "text": HARBOR_TEXT}, 422),
]


@pytest.mark.parametrize(("doc_id", "body", "status"), BAD, ids=[b[0][:20] for b in BAD])
def test_bad_input_is_refused_and_changes_nothing(server, doc_id, body, status):
    before = httpx.get(f"{server.url}/documents", timeout=10).json()
    response = httpx.put(f"{server.url}/documents/{doc_id}", json=body, headers=AUTH, timeout=30)
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    assert message.endswith(".") and len(message) > 20
    assert httpx.get(f"{server.url}/documents", timeout=10).json() == before


def test_unknown_ids_and_unreadable_bodies(server):
    gone = httpx.delete(f"{server.url}/documents/never-published", headers=AUTH, timeout=10)
    assert gone.status_code == 404 and "never-published" in gone.json()["error"]["message"]
    assert httpx.get(f"{server.url}/documents/never-published", timeout=10).status_code == 404
    broken = httpx.put(
        f"{server.url}/documents/broken",
        content=b'{"headline": "H", "text": ',
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=10,
    )
    assert broken.status_code in (400, 422) and "JSON" in broken.json()["error"]["message"]
    bad_revision = httpx.post(
        f"{server.url}/chat",
        json={
            "question": HARBOR_QUESTION,
            "doc_id": "trump-asia-tour-south-korea",
            "revision": "abc",
        },
        timeout=10,
    )
    assert bad_revision.status_code == 422
    assert httpx.get(f"{server.url}/documents/broken", timeout=10).status_code == 404
