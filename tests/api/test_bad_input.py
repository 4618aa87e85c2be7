"""Bad input gets a 4xx with a message a person understands: never a 500, never a hang."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from api.errors import describe_validation_error, validation_message

pytestmark = pytest.mark.model


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert message[0].isupper() and message.endswith((".", "?")), message
    assert "Traceback" not in message and "pydantic" not in message.lower()
    return message


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({"question": ""}, "invalid_question", "empty"),
        ({"question": "   \n\t "}, "invalid_question", "empty"),
        ({"question": "\x00\x01\x7f"}, "invalid_question", "empty"),
        ({"question": "why " * 200}, "invalid_question", "to 500 characters or fewer"),
        ({"question": "x" * 501}, "invalid_question", "501 characters long"),
        ({"question": "\u200b\u2060\ufeff \u00ad"}, "invalid_question", "empty"),
        ({}, "invalid_request", "'question' is required"),
        ({"conversation_id": "x"}, "invalid_request", "'question' is required"),
        ({"question": 42}, "invalid_request", "'question' must be text"),
        ({"question": None}, "invalid_request", "'question' must be text"),
        ({"question": ["who?"]}, "invalid_request", "'question' must be text"),
        ({"question": "who?", "history": "who?"}, "invalid_request", "'history' must be a list"),
        ({"question": "who?", "history": [1]}, "invalid_request", "'history[0]' must be text"),
        (
            {"question": "who?", "history": ["q"] * 21},
            "invalid_request",
            "too many items; at most 20",
        ),
        ({"question": "who?", "conversation_id": 7}, "invalid_request", "conversation_id"),
        ({"question": "who?", "conversation_id": "x" * 65}, "invalid_request", "too long"),
        (
            {"question": "who?", "conversation_id": "abc", "history": ["who?"]},
            "invalid_request",
            "not both",
        ),
    ],
)
def test_invalid_questions_and_fields_are_422(client, payload, code, words):
    message = _error(client.post("/chat", json=payload), 422, code)
    assert words in message


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
def test_unknown_conversation_is_404(client, path):
    response = client.post(path, json={"question": "Who?", "conversation_id": "no-such-id"})
    message = _error(response, 404, "unknown_conversation")
    assert "without conversation_id" in message


def test_unknown_document_is_404(client):
    response = client.post("/chat", json={"question": "Who?", "doc_id": "no-such-article"})
    message = _error(response, 404, "unknown_document")
    assert "trump-asia-tour-south-korea" in message


@pytest.mark.parametrize(
    ("body", "headers", "words"),
    [
        ("{bad json", {"content-type": "application/json"}, "not valid JSON"),
        ('{"question": "who?",}', {"content-type": "application/json"}, "not valid JSON"),
        ("", {"content-type": "application/json"}, "needs a JSON body"),
        ('"just a string"', {"content-type": "application/json"}, "JSON object"),
        ("[1, 2]", {"content-type": "application/json"}, "JSON object"),
        ('{"question": "who\\ud800?"}', {"content-type": "application/json"}, "broken character"),
        ("question=who", {"content-type": "application/x-www-form-urlencoded"}, "JSON"),
        ('{"question": "who?"}', {"content-type": "text/plain"}, "JSON"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_422(client, body, headers, words):
    response = client.post("/chat", content=body.encode(), headers=headers)
    assert words in _error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "body",
    ['{"question": "Who is', '{\n  "question": "who?",\n}', '{"question": "who?"} x'],
    ids=["unterminated string", "trailing comma on line 2", "extra data"],
)
def test_invalid_json_says_where(client, body):
    response = client.post(
        "/chat", content=body.encode(), headers={"content-type": "application/json"}
    )
    message = _error(response, 422, "invalid_request")
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(body)
    where = f"line {caught.value.lineno} column {caught.value.colno} (char {caught.value.pos})"
    assert f"({caught.value.msg}: {where})" in message, message


@pytest.mark.parametrize(
    "body",
    [b'{"question": "\xff\xfe who?"}', b"[" * 5000],
    ids=["not UTF-8", "nested too deep"],
)
def test_bodies_that_cannot_be_read_are_400(client, body):
    response = client.post("/chat", content=body, headers={"content-type": "application/json"})
    assert "UTF-8" in _error(response, 400, "bad_request")


def test_unknown_route_and_wrong_method(client):
    assert "/docs" in _error(client.get("/nowhere"), 404, "not_found")
    response = client.get("/chat")
    assert "use POST" in _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "question",
    [
        "Who is South Korea's president? 🇰🇷🤔",
        "ما هي قيمة الاستثمار؟",  # Arabic, right to left
        "\u202eWho is the president?\u202c",  # right-to-left override
        "Who\u200bis\u200dthe president?",  # zero-width characters
        "Was kostet das? Ünïcödé ñ 日本語",
        "Who is\x07 the\x1b[31m president?\r\n",  # bell, escape sequence, CR LF
    ],
)
def test_unicode_emoji_rtl_and_control_characters_are_answered(client, question):
    response = client.post("/chat", json={"question": question})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["answered"], bool)
    assert "\x1b" not in body["answer"] and "\x07" not in body["answer"]


def test_the_validation_messages_read_as_sentences():
    assert validation_message([{"type": "missing", "loc": ("body", "question")}]) == (
        "The field 'question' is required."
    )
    assert describe_validation_error(
        {"type": "string_type", "loc": ("body", "messages", 0, "content")}
    ) == ("the field 'messages[0].content' must be text (a JSON string)")
    many = [{"type": "missing", "loc": ("body", f"f{i}")} for i in range(5)]
    assert validation_message(many).endswith("(and 2 more).")


# -- body size, against a real server: refused before the body is read whole ------------


def _raw_request(url: str, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send a request over a plain socket, part by part; return what the server answered."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        for part in body_parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _status_and_json(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.http
def test_a_declared_huge_body_is_refused_before_it_is_sent(api_server):
    # Content-Length says 10 MB, but only 100 bytes ever come: a server that waited for
    # the body would hang here until the socket timeout.
    head = (
        b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000\r\n\r\n"
    )
    status, body = _status_and_json(
        _raw_request(api_server.url, head, [b'{"question": "' + b"a" * 86])
    )
    assert status == 413
    assert body["error"]["code"] == "body_too_large"
    assert "16,384 bytes" in body["error"]["message"]


@pytest.mark.http
def test_an_oversized_article_is_told_to_be_shorter_not_its_question(api_server):
    head = (
        b"PUT /documents/harbour HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000000\r\n\r\n"
    )
    status, body = _status_and_json(_raw_request(api_server.url, head, [b'{"text": "a']))
    assert status == 413
    assert "publish a shorter article" in body["error"]["message"]
    assert "FOOTNOTE_MAX_ARTICLE_CHARS" in body["error"]["message"]


@pytest.mark.http
def test_a_chunked_body_is_refused_once_it_passes_the_limit(api_server):
    head = (
        b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"a" * 4096
    parts = [b'10\r\n{"question": "aa\r\n'] + [b"1000\r\n" + chunk + b"\r\n"] * 8
    status, body = _status_and_json(_raw_request(api_server.url, head, parts))
    assert status == 413
    assert body["error"]["code"] == "body_too_large"


@pytest.mark.http
def test_a_large_body_through_httpx_gets_413(api_server):
    response = httpx.post(f"{api_server.url}/chat", json={"question": "a" * 20_000}, timeout=10)
    _error(response, 413, "body_too_large")
