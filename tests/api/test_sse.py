"""The SSE helpers: pieces that join back to the text, events on one line, errors as events."""

from __future__ import annotations

import asyncio
import json

import pytest

from api import sse
from api.routes_chat import answer_events
from rag.answer import Answer
from rag.errors import UnknownDocumentError
from tests.api.conftest import sse_events


@pytest.mark.parametrize(
    "text",
    [
        "One two three four five six seven. [1]",
        "  leading and trailing spaces  ",
        "Lines\n\nand\ttabs — dashes—inside, “quotes”. [2]",
        "word",
        "",
    ],
)
def test_pieces_join_back_to_the_text_a_few_words_each(text):
    pieces = list(sse.pieces(text, words=3))
    assert "".join(pieces) == text
    assert all(len(p.split()) <= 3 for p in pieces)
    assert all(not p[:1].isspace() for p in pieces[1:])  # every piece after the first starts a word


def test_an_event_is_one_line_of_json_whatever_the_text():
    encoded = sse.event("delta", {"text": "two\nlines \u2028 and ünïcode"})
    assert encoded.count("\n") == 3
    [(name, data)] = sse_events(encoded)
    assert name == "delta"
    assert json.loads(data) == {"text": "two\nlines \u2028 and ünïcode"}


class _Failing(Answer):
    def __init__(self, error: Exception) -> None:
        object.__setattr__(self, "error", error)

    def to_dict(self):
        raise self.error


async def _collect(answer) -> list[tuple[str | None, dict]]:
    return [
        (n, json.loads(d))
        for e in [x async for x in answer_events(answer)]
        for n, d in sse_events(e)
    ]


def test_a_failure_after_the_stream_began_is_an_error_event():
    [(name, data)] = asyncio.run(_collect(_Failing(UnknownDocumentError("no article 'x'"))))
    assert name == "error"
    assert data == {
        "error": {"code": "unknown_document", "message": "No article 'x'.", "status": 404}
    }


def test_an_unexpected_failure_is_an_error_event_without_its_details(caplog):
    [(name, data)] = asyncio.run(_collect(_Failing(RuntimeError("secret internals"))))
    assert name == "error"
    assert data["error"]["code"] == "internal_error" and data["error"]["status"] == 500
    assert "secret" not in json.dumps(data)
    assert "secret internals" in caplog.text  # but the operator sees it
