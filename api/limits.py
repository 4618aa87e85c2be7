"""What one client may send: a body size limit and a per-client rate limit.

Both are plain ASGI middleware, so they refuse a request before any route reads it and
work the same for streaming responses.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes are never rate limited: an orchestrator must always reach them."""


def retry_message(seconds: int) -> str:
    """The 429 message: when to try again, in words.

    >>> retry_message(1), retry_message(30)
    ('Too many requests from this address; try again in 1 second.', 'Too many requests from this address; try again in 30 seconds.')
    """
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many requests from this address; try again in {seconds} {unit}."


def too_large_message(limit: int, article: bool = False) -> str:
    """The 413 message, with the fix for what the request carries.

    >>> too_large_message(1000, article=True)
    'The request body is larger than 1,000 bytes; publish a shorter article (FOOTNOTE_MAX_ARTICLE_CHARS sets the limit).'
    """
    fix = (
        "publish a shorter article (FOOTNOTE_MAX_ARTICLE_CHARS sets the limit)"
        if article
        else "send a shorter question or history"
    )
    return f"The request body is larger than {limit:,} bytes; {fix}."


def carries_article(method: str, path: str) -> bool:
    """Whether a request publishes an article (PUT /documents/{doc_id}): its body may be longer."""
    return method == "PUT" and path.startswith("/documents/")


def article_body_bytes(max_body_bytes: int, max_article_chars: int) -> int:
    """The body limit of a publish: an article is longer than a question, up to 4 UTF-8
    bytes a character, plus its headline and URL."""
    return max(max_body_bytes, 4 * max_article_chars + 8192)


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413 without reading them whole.

    A declared Content-Length over the limit is refused before a byte is read; a chunked
    body is counted as it arrives and refused at the first chunk past the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, publish_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.publish_bytes = publish_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Articles PUT to /documents/ may be longer, and their 413 says how to shorten them.
        article = carries_article(scope.get("method", ""), str(scope.get("path", "")))
        limit = self.publish_bytes if article else self.max_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = error_response(413, "body_too_large", too_large_message(limit, article))
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing to the handlers.
                    raise HTTPException(413, detail=too_large_message(limit, article))
            return message

        await self.app(scope, counting_receive, send)


class TokenBucket:
    """Per-key token buckets: `per_minute` requests a minute, bursts up to `per_minute`.

    Only the event loop calls it, so it needs no lock. At most `max_keys` clients are
    remembered; the longest idle is forgotten first (it would have a full bucket anyway).

    >>> bucket = TokenBucket(2, clock=lambda: 0.0)
    >>> bucket.take("a"), bucket.take("a"), bucket.take("a")
    (0.0, 0.0, 30.0)
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until a token is available."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """429 with Retry-After once a client (by IP address) exceeds its budget."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.bucket = TokenBucket(per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.bucket.take(client[0] if client else "unknown")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            response = error_response(
                429,
                "rate_limited",
                retry_message(seconds),
                headers={"Retry-After": str(seconds)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
