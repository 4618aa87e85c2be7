"""Two services on different ports against one PostgreSQL database stand in for two machines.

Service A runs two workers (`footnote serve --workers 2`), B one; each has its own copy of
the seed index folder, so nothing but the database is shared. Publish on A, answer on B;
delete on A, nothing on B; the same answers as the folder store; the database restarting
under load (503s with a message, then answers again, no service restarted); A killed with
SIGKILL mid-publish (last: it leaves A dead) loses nothing and leaves no half article.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import (
    HARBOR_HEADLINE,
    HARBOR_QUESTION,
    HARBOR_TEXT,
    LiveServer,
    kill_server,
    start_server,
    stop_server,
)
from tests.store.conftest import new_database

pytestmark = [pytest.mark.http, pytest.mark.model, pytest.mark.slow]

TOKEN = "two-services-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEED = "trump-asia-tour-south-korea"
SEED_QUESTIONS = (
    "How much did Trump want South Korea to invest?",
    "Who is the president of South Korea?",
    "What is the capital of France?",
)


@pytest.fixture(scope="module")
def dsn(postgres) -> str:
    return new_database(postgres)


def _service(index_dir: Path, folder: Path, dsn: str, workers: int) -> LiveServer:
    folder.mkdir()
    index = folder / "index"
    shutil.copytree(index_dir, index, symlinks=True)
    shutil.rmtree(index / "archive", ignore_errors=True)  # only the database is shared
    return start_server(
        index,
        folder / "server.log",
        FOOTNOTE_STORE=dsn,
        FOOTNOTE_STORE_TIMEOUT_SECONDS="1",
        FOOTNOTE_WORKERS=str(workers),
        FOOTNOTE_PUBLISH_TOKEN=TOKEN,
        FOOTNOTE_RATE_LIMIT_PER_MINUTE="0",
        FOOTNOTE_RELOAD_SECONDS="0.5",
        FOOTNOTE_THREADS="1",
    )


@pytest.fixture(scope="module")
def services(
    index_dir: Path, dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    root = tmp_path_factory.mktemp("two-services")
    with ThreadPoolExecutor(2) as pool:  # both start at once: half the wait
        started = pool.map(
            lambda name_workers: _service(index_dir, root / name_workers[0], dsn, name_workers[1]),
            [("a", 2), ("b", 1)],
        )
        a, b = list(started)
    yield a, b
    for service in (a, b):
        if service.process.poll() is None:
            stop_server(service)


def put(server: LiveServer, doc_id: str, headline: str, text: str) -> httpx.Response:
    body = {"headline": headline, "text": text}
    return httpx.put(f"{server.url}/documents/{doc_id}", json=body, headers=AUTH, timeout=60)


def ask(server: LiveServer, question: str, doc_id: str | None) -> httpx.Response:
    body = {"question": question, **({"doc_id": doc_id} if doc_id else {})}
    return httpx.post(f"{server.url}/chat", json=body, timeout=60)


def _answer(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    body.pop("conversation_id", None)
    return body


def test_published_on_one_answered_on_the_other_at_once(services):
    a, b = services
    published = put(a, "harbor-bridge", HARBOR_HEADLINE, HARBOR_TEXT)
    assert published.status_code == 200, published.text
    revision = published.json()["revision"]
    # The very next question on B, scoped to the article (the widget's case), sees it:
    # every scoped question checks the archive's generation first.
    answer = _answer(ask(b, HARBOR_QUESTION, "harbor-bridge"))
    assert "$41 million" in answer["answer"] and answer["revision"] == revision
    assert httpx.get(f"{b.url}/documents/harbor-bridge", timeout=10).json()["revision"] == revision


def test_deleted_on_one_answered_by_nothing_on_the_other(services):
    a, b = services
    assert (
        put(
            a,
            "to-take-down",
            "Council Vote Delayed",
            "The council delayed its vote on the budget to Friday, the clerk said.",
        ).status_code
        == 200
    )
    assert _answer(ask(b, "When is the vote?", "to-take-down"))["answered"]
    removed = httpx.delete(f"{a.url}/documents/to-take-down", headers=AUTH, timeout=30)
    assert removed.status_code == 200, removed.text
    gone = ask(b, "When is the vote?", "to-take-down")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_document"
    assert httpx.get(f"{b.url}/documents/to-take-down", timeout=10).status_code == 404
    deadline = time.monotonic() + 30  # unscoped questions follow within FOOTNOTE_RELOAD_SECONDS
    while time.monotonic() < deadline:
        cited = {
            c["doc_id"] for c in _answer(ask(b, "When is the council vote?", None))["citations"]
        }
        if "to-take-down" not in cited:
            break
        time.sleep(0.2)
    assert "to-take-down" not in cited


def test_same_answers_as_the_folder_store(services, live_server):
    _, b = services
    for question in SEED_QUESTIONS:
        folder = _answer(ask(live_server, question, SEED))
        database = _answer(ask(b, question, SEED))
        assert database == folder, question


def test_the_database_restarting_under_load_gives_503s_then_answers(services, postgres):
    a, b = services
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def load(server: LiveServer) -> None:
        while not stop.is_set():
            try:
                response = ask(server, HARBOR_QUESTION, "harbor-bridge")
            except httpx.HTTPError as exc:  # the service itself must never drop a request
                seen.append((-1, type(exc).__name__))
                continue
            message = response.json().get("error", {}).get("message", "")
            seen.append((response.status_code, message))

    threads = [threading.Thread(target=load, args=(s,)) for s in (a, b, b)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    postgres.stop()
    time.sleep(3.0)
    postgres.start()
    back = len(seen)
    deadline = time.monotonic() + 60  # the pools reconnect with a backoff of a few seconds
    while time.monotonic() < deadline and not (recovered := _recovered(seen[back:])):
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(30)
    statuses = {status for status, _ in seen}
    assert statuses <= {200, 503}, seen[:5]
    unavailable = [m for s, m in seen if s == 503]
    assert unavailable, "no request met the database down"
    assert all("archive database" in m and "try again" in m for m in unavailable)
    assert recovered
    for service in (a, b):  # recovered without a restart of either service
        assert "$41 million" in _answer(ask(service, HARBOR_QUESTION, "harbor-bridge"))["answer"]
        assert service.process.poll() is None


def _recovered(seen: list[tuple[int, str]]) -> bool:
    """Whether the last six answers (two per thread) came back 200 (a request that met the
    database down can still end after them: ordering, not a relapse)."""
    return len(seen) >= 6 and all(status == 200 for status, _ in seen[-6:])


def test_a_service_killed_mid_publish_loses_nothing(services, dsn):
    a, b = services
    before = httpx.get(f"{b.url}/documents/harbor-bridge", timeout=10).json()["revision"]
    long_text = "\n\n".join(
        f"Paragraph {n}: the ferry line {n} will carry {n * 100} riders a day, officials said."
        for n in range(1, 120)
    )
    result: list[object] = []

    def publish() -> None:
        try:
            result.append(put(a, "ferry-lines", "Ferry Lines Expand", long_text).status_code)
        except httpx.HTTPError as exc:
            result.append(type(exc).__name__)

    thread = threading.Thread(target=publish)
    thread.start()
    time.sleep(0.5)  # the publish is embedding or committing
    kill_server(a)
    thread.join(60)
    # Nothing lost: what was published before is still there, on the other service.
    assert httpx.get(f"{b.url}/documents/harbor-bridge", timeout=10).json()["revision"] == before
    assert "$41 million" in _answer(ask(b, HARBOR_QUESTION, "harbor-bridge"))["answer"]
    # No half article: the killed publish is either absent or whole.
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT d.doc_id, (SELECT count(*) FROM sentences s WHERE s.doc_id = d.doc_id"
            " AND s.revision = d.revision), (SELECT count(*) FROM chunks c WHERE c.doc_id ="
            " d.doc_id AND c.revision = d.revision) FROM documents d"
        ).fetchall()
    assert rows and all(sentences > 0 and chunks > 0 for _, sentences, chunks in rows)
    ferry = ask(b, "How many riders will line 7 carry?", "ferry-lines")
    if ferry.status_code == 200:
        assert "700 riders" in ferry.json()["answer"]
    else:
        assert ferry.status_code == 404
    # B goes on publishing into the same database.
    again = put(b, "ferry-lines", "Ferry Lines Expand", long_text)
    assert again.status_code == 200, again.text
