"""Session fixtures: the real model, the seed index built once, a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

# The answer JSON's fields, in order (design.md's contract, with `revision` since issue 12).
ANSWER_FIELDS = ["answer", "answered", "citations", "retrieval", "conversation_id", "revision"]

# A short story the publishing tests put into an archive, and a question it answers.
HARBOR_HEADLINE = "Harbor Bridge Repair to Cost $41 Million"
HARBOR_TEXT = (
    "OAKPORT — The city will close the harbor bridge for six weeks from March, Mayor Ana "
    "Ruiz said on Monday.\n\nThe repair will cost $41 million, most of it paid by a state "
    'grant.\n\nTraffic\n\n"We cannot wait another winter," Ruiz said of the cracked deck.'
)
HARBOR_QUESTION = "How much will the bridge repair cost?"
ARTICLE = SEEDS / "trump-asia-tour-south-korea.txt"
ARTIFACTS = ROOT / "test-artifacts"


def article_pipeline(doc_id: str, text: str, embedder):
    """A pipeline over one short article, indexed in memory with the real model."""
    from index.build import build_index
    from index.documents import parse_document
    from index.store import BuildConfig
    from rag.pipeline import Pipeline

    return Pipeline(build_index([parse_document(doc_id, text)], embedder, BuildConfig()), embedder)


@pytest.fixture(scope="session")
def embedder():
    """The bundled all-MiniLM-L6-v2, loaded once."""
    from index.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """The seed article's index, built once per session with the real model and FAISS."""
    from index.build import build_and_save
    from index.store import BuildConfig

    path = tmp_path_factory.mktemp("index") / "seed-index"
    build_and_save([SEEDS], path, embedder, BuildConfig())
    return path


@pytest.fixture(scope="session")
def settings(index_dir: Path):
    """Settings pointing at the session's index and the seeds."""
    from footnote.settings import Settings

    return Settings(sources=[SEEDS], index_dir=index_dir)


@pytest.fixture(scope="session")
def pipeline(settings, embedder):
    """A hybrid pipeline over the seed index."""
    from footnote.runtime import open_pipeline

    return open_pipeline(settings, embedder)


@pytest.fixture(scope="session")
def eval_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder):
    """A hybrid pipeline over every article the shipped question sets name (seeds/ and
    seeds/newsroom/), built as `footnote eval` builds it."""
    from eval.articles import question_articles
    from eval.dataset import default_files, load_questions
    from footnote.runtime import open_pipeline
    from footnote.settings import Settings

    files = question_articles(load_questions(default_files()), [SEEDS])
    index_dir = tmp_path_factory.mktemp("index") / "eval-index"
    return open_pipeline(Settings(sources=files, index_dir=index_dir), embedder)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    """A `footnote serve` process on 127.0.0.1."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(index_dir: Path, log: Path, wait_for: str = "hybrid", **env: str) -> LiveServer:
    """Start `footnote serve` on a free port; return when /readyz reports `wait_for`."""
    port = free_port()
    workers = int(env.get("FOOTNOTE_WORKERS", "1"))
    environment = {
        **os.environ,
        "FOOTNOTE_SOURCES": str(SEEDS),
        "FOOTNOTE_INDEX_DIR": str(index_dir),
        "HF_HUB_OFFLINE": "1",
        **env,
    }
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "footnote.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        # Its own process group: with FOOTNOTE_WORKERS > 1 the workers are children of the
        # supervisor, and stopping the group stops them too (a signal to the supervisor
        # alone can leave them serving).
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {log.read_text()[-2000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            ready = httpx.get(f"{url}/readyz", timeout=2)
            if (
                ready.status_code == 200
                and ready.json().get("retrieval") == wait_for
                and _all_workers_loaded(log, workers, wait_for)
            ):
                return LiveServer(url, process, log)
        time.sleep(0.2)
    _signal_group(process, signal.SIGKILL)
    raise RuntimeError(f"server not ready in 120 s: {log.read_text()[-2000:]}")


def _all_workers_loaded(log: Path, workers: int, wait_for: str) -> bool:
    """Whether every worker has its model: /readyz answers from whichever worker takes the
    connection, so with several a ready one can answer while another still loads (and
    would turn a publish away with 503)."""
    if workers <= 1 or wait_for != "hybrid":
        return True
    return log.read_text(errors="replace").count("answering with hybrid retrieval") >= workers


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def stop_server(server: LiveServer) -> None:
    """Stop a server started by `start_server`, its workers with it."""
    _signal_group(server.process, signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(server.process, signal.SIGKILL)
        server.process.wait(timeout=10)
    # Workers that outlive the supervisor's shutdown do not outlive the test.
    _signal_group(server.process, signal.SIGKILL)


def kill_server(server: LiveServer) -> None:
    """`kill -9` a server started by `start_server`: the supervisor and every worker at once,
    as when its machine dies."""
    _signal_group(server.process, signal.SIGKILL)
    server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real service for the session, in hybrid mode, on 127.0.0.1."""
    server = start_server(index_dir, tmp_path_factory.mktemp("server") / "server.log")
    yield server
    stop_server(server)
