"""Fixtures of the service tests: an in-process app (TestClient) and real servers on 127.0.0.1.

The session's `live_server` keeps the default rate limit; these tests send far more than
120 requests a minute from one address, so they start their own servers with the limit
off, and small ones with the settings under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import LiveServer, start_server, stop_server

QUESTION = "Who is South Korea's president?"
FOLLOW_UP = "When did he take office?"
EVIDENCE = "Lee assumed office in June"
DOC_ID = "trump-asia-tour-south-korea"
ALLOWED_ORIGIN = "https://news.example"
RATE_LIMIT = 5


@pytest.fixture(scope="session")
def app(settings, pipeline):
    """The service over the session's hybrid pipeline (nothing loaded at start-up)."""
    from api.app import create_app

    return create_app(settings, pipeline)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    """A TestClient of `app`, with its lifespan run."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def api_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`footnote serve` in hybrid mode with the rate limit off (for the load and fuzz tests)."""
    log = tmp_path_factory.mktemp("api-server") / "server.log"
    server = start_server(index_dir, log, FOOTNOTE_RATE_LIMIT_PER_MINUTE="0")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def bm25_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`footnote serve` with the embedding model off: BM25 answers only."""
    log = tmp_path_factory.mktemp("bm25-server") / "server.log"
    server = start_server(index_dir, log, wait_for="bm25", FOOTNOTE_EMBEDDER="none")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def newsroom_server(
    index_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server as a newsroom deploys it: one allowed origin, a small rate limit (no model)."""
    log = tmp_path_factory.mktemp("newsroom-server") / "server.log"
    server = start_server(
        index_dir,
        log,
        wait_for="bm25",
        FOOTNOTE_EMBEDDER="none",
        FOOTNOTE_ALLOWED_ORIGINS=ALLOWED_ORIGIN,
        FOOTNOTE_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT),
    )
    yield server
    stop_server(server)


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """Parse a text/event-stream body into (event name, data) pairs."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        events.append((name, "\n".join(data)))
    return events
