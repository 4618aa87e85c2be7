"""POST /chat and /chat/stream on the real pipeline: the contract, follow-ups, streaming."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import DOC_ID, EVIDENCE, FOLLOW_UP, QUESTION, sse_events
from tests.conftest import ANSWER_FIELDS

pytestmark = pytest.mark.model


def cites(answer: dict, evidence: str) -> bool:
    """Whether an answer (not an abstention) cites a sentence holding `evidence`."""
    return answer["answered"] and any(evidence in c["text"] for c in answer["citations"])


def _article(pipeline) -> dict[str, str]:
    return {d.id: d.text for d in pipeline.index.documents}


def test_chat_answers_with_the_contract_fields(client, pipeline):
    response = client.post(
        "/chat", json={"question": "How much did Trump want South Korea to invest?"}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ANSWER_FIELDS
    assert body["answered"] is True
    assert body["retrieval"] == "hybrid"
    assert body["conversation_id"]
    assert "$350 billion" in body["answer"]
    texts = _article(pipeline)
    for n, citation in enumerate(body["citations"], 1):
        assert citation["id"] == n
        assert f"[{n}]" in body["answer"]
        assert citation["text"] == texts[citation["doc_id"]][citation["start"] : citation["end"]]
        assert citation["text"] in body["answer"]
        if citation["highlight"] is not None:
            a, b = citation["highlight"]
            assert 0 <= a < b <= len(citation["text"])


def test_unanswerable_question_abstains_with_related_sentences(client):
    body = client.post(
        "/chat", json={"question": "What did Angela Merkel say about the tariffs?"}
    ).json()
    assert body["answered"] is False
    assert body["answer"].startswith("The article doesn't say")
    assert all(c["related"] is True for c in body["citations"])


def test_a_conversation_keeps_who_he_is_across_turns(client):
    first = client.post("/chat", json={"question": "Who runs the Treasury?"}).json()
    ids = {"conversation_id": first["conversation_id"]}
    client.post("/chat", json={"question": "What did he say about the Korea deal?", **ids})
    third = client.post("/chat", json={"question": "Where was he when he said that?", **ids})
    assert third.status_code == 200
    body = third.json()
    assert body["answered"] is True
    assert "Air Force One" in body["citations"][0]["text"]


def test_follow_up_by_conversation_id(client):
    first = client.post("/chat", json={"question": QUESTION}).json()
    second = client.post(
        "/chat", json={"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}
    )
    assert second.status_code == 200
    body = second.json()
    assert body["conversation_id"] == first["conversation_id"]
    assert body["answered"] is True
    assert cites(body, EVIDENCE)


def test_follow_up_by_history_gives_the_same_answer(client):
    by_id = client.post("/chat", json={"question": QUESTION}).json()
    by_id = client.post(
        "/chat", json={"question": FOLLOW_UP, "conversation_id": by_id["conversation_id"]}
    ).json()
    by_history = client.post("/chat", json={"question": FOLLOW_UP, "history": [QUESTION]}).json()
    assert cites(by_history, EVIDENCE)
    assert by_history["answer"] == by_id["answer"]
    assert by_history["conversation_id"] != by_id["conversation_id"]


def test_a_history_starts_a_conversation_that_continues_by_id(client):
    started = client.post("/chat", json={"question": FOLLOW_UP, "history": [QUESTION]}).json()
    more = client.post(
        "/chat",
        json={
            "question": "Who is South Korea's president?",
            "conversation_id": started["conversation_id"],
        },
    )
    assert more.status_code == 200


def test_doc_id_restricts_to_a_known_article(client):
    response = client.post("/chat", json={"question": QUESTION, "doc_id": DOC_ID})
    assert response.status_code == 200
    assert {c["doc_id"] for c in response.json()["citations"]} == {DOC_ID}


def test_stream_sends_citations_then_pieces_then_the_whole_answer(client):
    expected = client.post("/chat", json={"question": QUESTION}).json()
    with client.stream("POST", "/chat/stream", json={"question": QUESTION}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "citations"
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) >= 3
    head = json.loads(events[0][1])
    done = json.loads(events[-1][1])
    assert set(head) == {"citations", "answered", "retrieval", "conversation_id"}
    assert head["citations"] == done["citations"] == expected["citations"]
    assert head["conversation_id"] == done["conversation_id"]
    pieces = [json.loads(data)["text"] for name, data in events if name == "delta"]
    assert "".join(pieces) == done["answer"] == expected["answer"]
    assert all(0 < len(p.split()) <= 4 for p in pieces)
    assert done["answered"] is head["answered"] is True
    assert done["retrieval"] == head["retrieval"] == "hybrid"


def test_stream_follow_up_continues_the_conversation(client):
    first = client.post("/chat", json={"question": QUESTION}).json()
    response = client.post(
        "/chat/stream", json={"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}
    )
    done = json.loads(sse_events(response.text)[-1][1])
    assert cites(done, EVIDENCE)


def test_stream_refuses_a_bad_request_before_streaming(client):
    response = client.post("/chat/stream", json={"question": "   "})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "invalid_question"


def test_documents_lists_the_indexed_article(client, pipeline):
    body = client.get("/documents").json()
    [document] = body["documents"]
    assert document["id"] == DOC_ID
    assert document["title"].startswith("Trump’s Asia Tour")
    assert document["sentences"] == len(pipeline.index.sentences)
    assert len(document["revision"]) == 64


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["retrieval"] == "hybrid"
    assert ready.json()["model"] == "ready"


def test_openapi_documents_every_endpoint_with_examples(client):
    schema = client.get("/openapi.json").json()
    for path in ("/chat", "/chat/stream", "/v1/chat/completions", "/documents", "/readyz"):
        assert path in schema["paths"]
    request = schema["components"]["schemas"]["ChatRequest"]
    assert request["examples"][0] == {"question": QUESTION}
    chat = schema["paths"]["/chat"]["post"]["responses"]
    assert {"200", "404", "413", "422", "429"} <= set(chat)
    assert chat["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")
    assert client.get("/docs").status_code == 200
