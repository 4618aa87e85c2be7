"""What the service tells its operators: Prometheus metrics and one JSON log line a request.

The access log never holds question text unless FOOTNOTE_LOG_QUESTIONS is on: questions
are what readers typed, and may say more about them than they meant to share.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.answer import Answer
from rag.retrieve import Mode

ACCESS_LOG = "footnote.access"
_NOTES = "footnote.notes"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics, in a registry of their own (one per app, so tests can make many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "footnote_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "footnote_http_request_duration_seconds",
            "Time from request to the last byte of the response, by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "footnote_answers",
            "Questions answered or abstained on, by the retrieval mode used.",
            ["outcome", "retrieval"],
            registry=self.registry,
        )
        self.mode = Gauge(
            "footnote_retrieval_mode",
            "1 for the retrieval mode answers are given in now, 0 for the others.",
            ["mode"],
            registry=self.registry,
        )
        self.conversations = Gauge(
            "footnote_conversations",
            "Conversations held in memory.",
            registry=self.registry,
        )

    def render(self, mode: Mode, conversations: int) -> bytes:
        """The Prometheus text exposition, with the gauges read now."""
        for each in Mode:
            self.mode.labels(each.value).set(1.0 if each is mode else 0.0)
        self.conversations.set(conversations)
        return generate_latest(self.registry)


def record_answer(request: Request, answer: Answer, question: str) -> None:
    """Note an answer for the access log line and count it."""
    notes = request.scope.get(_NOTES)
    if notes is not None:
        notes.update(answered=answer.answered, retrieval=answer.retrieval, question=question)
    outcome = "answered" if answer.answered else "abstained"
    request.app.state.metrics.answers.labels(outcome, answer.retrieval).inc()


class RouteLabels:
    """The route's path template (`/chat`), never the raw path, so metric labels stay few.

    Requests refused before routing (413, 429) have no route in their scope; their path is
    matched against the documented templates instead.
    """

    def __init__(self) -> None:
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    def __call__(self, scope: Scope) -> str:
        path = getattr(scope.get("route"), "path", None)
        if path:
            return path
        if self._templates is None:
            app = scope.get("app")
            paths = app.openapi().get("paths", {}) if hasattr(app, "openapi") else {}
            self._templates = [(compile_path(p)[0], p) for p in paths]
        for regex, template in self._templates:
            if regex.match(scope["path"]):
                return template
        return "unmatched"


class AccessLogMiddleware:
    """One JSON line per request on the `footnote.access` logger, and the request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_questions: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.log_questions = log_questions
        self.log = logging.getLogger(ACCESS_LOG)
        self.route_of = RouteLabels()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        notes: dict[str, Any] = {}
        scope[_NOTES] = notes
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            elapsed = time.perf_counter() - start
            route = self.route_of(scope)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            line: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "route": route,
                "status": status,
                "latency_ms": round(elapsed * 1000, 2),
                "answered": notes.get("answered"),
                "retrieval": notes.get("retrieval"),
            }
            if self.log_questions and "question" in notes:
                line["question"] = notes["question"]
            self.log.info(json.dumps(line, ensure_ascii=False))
