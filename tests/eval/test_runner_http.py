"""The HTTP runner against a stub service: the request it sends and how it reads answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from eval.dataset import QAItem
from eval.runner import EvalError, HttpSystem, run_systems

SENTENCE = "Lee assumed office in June after a snap election."
ANSWER = {
    "answer": f"{SENTENCE} [1]",
    "answered": True,
    "citations": [{"id": 1, "text": SENTENCE, "doc_id": "seoul", "sentence_id": 3}],
    "retrieval": "hybrid",
    "conversation_id": "c1",
}
ABSTAIN = {
    "answer": "The article doesn't say.",
    "answered": False,
    "citations": [{"id": 1, "text": SENTENCE, "related": True}],
    "retrieval": "hybrid",
    "conversation_id": "c2",
}


class Stub(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.requests.append((self.path, body))
        if body["question"] == "boom":
            status, payload = 422, {"error": {"code": "invalid_question"}}
        else:
            status, payload = 200, ABSTAIN if "Japan" in body["question"] else ANSWER
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_url() -> Iterator[str]:
    Stub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_http_runner_posts_question_history_and_doc_id(stub_url: str) -> None:
    items = [
        QAItem(
            "f1",
            "When did he take office?",
            "June",
            ("assumed office in June",),
            "seoul",
            history=("Who leads Korea?",),
        ),
        QAItem("u1", "What did Japan pledge?", None, (), None),
        QAItem("e1", "boom", None, ()),
    ]
    (run,) = run_systems([HttpSystem(stub_url)], items, k=6)
    assert Stub.requests[0] == (
        "/chat",
        {
            "question": "When did he take office?",
            "history": ["Who leads Korea?"],
            "doc_id": "seoul",
        },
    )
    assert Stub.requests[1][1] == {"question": "What did Japan pledge?", "history": []}
    first, second, third = run.records
    assert first.score.hit_at_1 and first.observation.latency_ms is not None
    assert first.score.reciprocal_rank is None  # retrieval is not visible over HTTP
    assert second.score.abstained and second.observation.related == (SENTENCE,)
    assert third.score.outcome == "error" and "HTTP 422" in (third.observation.error or "")
    assert run.target == stub_url.rstrip("/")


def test_unreachable_service_stops_the_run() -> None:
    with pytest.raises(EvalError, match="is `footnote serve` running"):
        HttpSystem("http://127.0.0.1:9", timeout=2).observe(QAItem("q", "Q?", None, ()))
