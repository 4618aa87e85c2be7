"""As a newsroom deploys it: CORS, rate limit, access logs, metrics, BM25 before the model."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.app import create_app
from api.limits import RateLimitMiddleware, TokenBucket, retry_message
from tests.api.conftest import ALLOWED_ORIGIN, QUESTION, RATE_LIMIT


@pytest.mark.http
def test_preflight_from_an_allowed_origin(newsroom_server):
    response = httpx.options(
        f"{newsroom_server.url}/chat",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.http
def test_preflight_from_another_origin_is_refused(newsroom_server):
    response = httpx.options(
        f"{newsroom_server.url}/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.http
def test_no_cross_origin_access_by_default(api_server):
    response = httpx.options(
        f"{api_server.url}/chat",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers
    simple = httpx.get(f"{api_server.url}/documents", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.http
def test_rate_limit_answers_429_with_retry_after(newsroom_server):
    url = f"{newsroom_server.url}/documents"
    statuses = [httpx.get(url, headers={"Origin": ALLOWED_ORIGIN}) for _ in range(RATE_LIMIT + 3)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    response = limited[0]
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    seconds = int(response.headers["retry-after"])
    assert response.json()["error"]["message"] == retry_message(seconds)
    # The browser widget can read the refusal: CORS headers are on it too.
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    # Probes are never limited.
    assert httpx.get(f"{newsroom_server.url}/readyz").status_code == 200


@pytest.mark.parametrize(("per_minute", "words"), [(60, "in 1 second."), (6, "in 10 seconds.")])
def test_the_wait_is_said_in_grammatical_english(per_minute, words):
    async def ok(request):
        return PlainTextResponse("ok")

    app = RateLimitMiddleware(Starlette(routes=[Route("/", ok)]), per_minute=per_minute)
    with TestClient(app) as client:
        responses = [client.get("/") for _ in range(per_minute + 1)]
    refused = responses[-1]
    assert [r.status_code for r in responses[:-1]] == [200] * per_minute
    assert refused.status_code == 429
    message = refused.json()["error"]["message"]
    assert message.endswith(words), message
    assert message == "Too many requests from this address; try again " + words


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])
    assert all(bucket.take("a") == 0.0 for _ in range(60))
    assert bucket.take("a") == pytest.approx(1.0)
    assert bucket.take("b") == 0.0  # another client has its own bucket
    now[0] += 2.0
    assert bucket.take("a") == 0.0


@pytest.mark.http
def test_bm25_mode_when_the_model_is_off(bm25_server):
    ready = httpx.get(f"{bm25_server.url}/readyz").json()
    assert ready["retrieval"] == "bm25"
    assert ready["model"] == "disabled"
    question = "How much did Trump push South Korea to pump into the U.S. economy?"
    answer = httpx.post(f"{bm25_server.url}/chat", json={"question": question}).json()
    assert answer["retrieval"] == "bm25"
    assert answer["answered"] is True, answer
    assert "$350 billion" in answer["answer"]


@pytest.mark.model
def test_metrics_count_requests_answers_and_mode(client):
    client.post("/chat", json={"question": QUESTION})
    client.post("/chat", json={"question": "What is the capital of France?"})
    client.post("/chat", json={"question": ""})
    text = client.get("/metrics").text
    assert 'footnote_http_requests_total{method="POST",route="/chat",status="200"}' in text
    assert 'footnote_http_requests_total{method="POST",route="/chat",status="422"}' in text
    assert 'footnote_http_request_duration_seconds_bucket{le="0.1",route="/chat"}' in text
    assert 'footnote_answers_total{outcome="answered",retrieval="hybrid"}' in text
    assert 'footnote_answers_total{outcome="abstained",retrieval="hybrid"}' in text
    assert 'footnote_retrieval_mode{mode="hybrid"} 1.0' in text
    assert 'footnote_retrieval_mode{mode="bm25"} 0.0' in text


def _access_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "footnote.access"]


@pytest.mark.model
def test_access_log_has_one_json_line_per_request_without_the_question(client, caplog):
    secret = "How much did Trump want South Korea to invest?"
    with caplog.at_level(logging.INFO, logger="footnote.access"):
        client.post("/chat", json={"question": secret})
        client.get("/nowhere")
    chat, missing = _access_lines(caplog)
    assert chat["route"] == "/chat" and chat["method"] == "POST" and chat["status"] == 200
    assert chat["answered"] is True and chat["retrieval"] == "hybrid"
    assert chat["latency_ms"] > 0
    assert missing["route"] == "unmatched" and missing["status"] == 404
    assert secret not in caplog.text and "invest" not in caplog.text


@pytest.mark.model
def test_requests_refused_before_routing_are_logged_with_their_route(client, caplog):
    with caplog.at_level(logging.INFO, logger="footnote.access"):
        client.post("/chat", content=b"{}", headers={"content-length": "999999"})
    [line] = _access_lines(caplog)
    assert (line["route"], line["status"]) == ("/chat", 413)


@pytest.mark.model
def test_questions_are_logged_only_when_the_setting_is_on(settings, pipeline, caplog):
    app = create_app(settings.model_copy(update={"log_questions": True}), pipeline)
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="footnote.access"):
        client.post("/chat", json={"question": QUESTION})
    [line] = _access_lines(caplog)
    assert line["question"] == QUESTION
