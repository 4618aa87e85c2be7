"""Server-Sent Events: the wire format, and an answer cut into pieces a few words long."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi.responses import StreamingResponse

_WORD_START = re.compile(r"(?<=\s)(?=\S)")

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""No caching, and no buffering by a reverse proxy (nginx honours X-Accel-Buffering)."""


def event_schema(names: list[str] | None = None) -> dict[str, Any]:
    """The OpenAPI `itemSchema` of one event: its name (one of `names`) and its JSON data."""
    name: dict[str, Any] = {"type": "string"}
    if names:
        name["enum"] = names
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": name,
            "data": {"type": "string", "contentMediaType": "application/json"},
        },
    }


def event(name: str | None, data: Any) -> str:
    """One SSE event; `data` is JSON-encoded on a single line.

    >>> event("delta", {"text": "Hi "})
    'event: delta\\ndata: {"text": "Hi "}\\n\\n'
    """
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


def pieces(text: str, words: int = 4) -> Iterator[str]:
    """`text` in pieces of a few words, split where a word begins; they join back to `text`.

    >>> list(pieces("one two three", words=2))
    ['one two ', 'three']
    """
    tokens = _WORD_START.split(text)
    for i in range(0, len(tokens), words):
        yield "".join(tokens[i : i + words])


def stream_response(events: Any) -> StreamingResponse:
    """A `text/event-stream` response over an async iterator of encoded events."""
    return StreamingResponse(events, media_type="text/event-stream", headers=STREAM_HEADERS)
