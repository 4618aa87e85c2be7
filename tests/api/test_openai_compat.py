"""The official `openai` package, pointed at a running server, works unchanged."""

from __future__ import annotations

import httpx
import openai
import pytest

from api.openai_compat import message_text
from rag.answer import Answer, Citation
from tests.api.conftest import EVIDENCE, FOLLOW_UP, QUESTION

pytestmark = [pytest.mark.http, pytest.mark.model]


@pytest.fixture(scope="module")
def openai_client(api_server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api_server.url}/v1", api_key="not-needed", max_retries=0)


def test_completion_answers_with_footnotes_and_citations(openai_client):
    completion = openai_client.chat.completions.create(
        model="footnote", messages=[{"role": "user", "content": QUESTION}]
    )
    assert completion.object == "chat.completion"
    [choice] = completion.choices
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    text = choice.message.content
    extra = completion.model_extra
    assert extra["answered"] is True
    assert extra["retrieval"] == "hybrid"
    assert "\n\nSources:\n\n[1] " in text
    for citation in extra["citations"]:
        assert f"[{citation['id']}] {citation['text']}" in text
    assert completion.usage.total_tokens > 0


def test_follow_up_from_the_earlier_messages(openai_client):
    first = openai_client.chat.completions.create(
        model="footnote", messages=[{"role": "user", "content": QUESTION}]
    )
    completion = openai_client.chat.completions.create(
        model="footnote",
        messages=[
            {"role": "system", "content": "You answer questions about the article."},
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]},
        ],
    )
    assert any(EVIDENCE in c["text"] for c in completion.model_extra["citations"])


def test_streaming_gives_chunks_that_join_to_the_message(openai_client):
    whole = openai_client.chat.completions.create(
        model="footnote", messages=[{"role": "user", "content": QUESTION}]
    )
    stream = openai_client.chat.completions.create(
        model="footnote", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]


def test_errors_reach_the_client_as_readable_exceptions(openai_client):
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        openai_client.chat.completions.create(
            model="footnote", messages=[{"role": "assistant", "content": "Hello"}]
        )
    assert "has no question" in caught.value.message
    with pytest.raises(openai.UnprocessableEntityError):
        openai_client.chat.completions.create(model="footnote", messages=[])
    with pytest.raises(openai.NotFoundError):
        openai_client.chat.completions.create(
            model="footnote",
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"doc_id": "no-such-article"},
        )


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"messages": [{"role": "tool"}]}, "invalid_request", "has no question"),
        (
            {"messages": [{"role": "system", "content": "Be brief."}]},
            "invalid_request",
            "role 'user'",
        ),
        ({"messages": [{"role": "user", "content": " \u200b"}]}, "invalid_question", "is empty"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            "invalid_question",
            "no text",
        ),
        (
            {"messages": [{"role": "user", "content": ""}, {"role": "user", "content": QUESTION}]},
            "invalid_question",
            "messages[0].content",
        ),
        (
            {"messages": [{"role": "user", "content": "why " * 200}]},
            "invalid_question",
            "messages[0] is 800 characters long",
        ),
        (
            {"messages": [{"role": "user", "content": QUESTION}], "stream": 0},
            "invalid_request",
            "'stream' must be true or false",
        ),
        (
            {"messages": [{"role": "user", "content": QUESTION}], "stream": "true"},
            "invalid_request",
            "'stream' must be true or false",
        ),
        (
            {"messages": [{"content": QUESTION}]},
            "invalid_request",
            "'messages[0].role' is required",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "Who?"},
                            {"type": "note", "text": "x" * 501},
                        ],
                    }
                ]
            },
            "invalid_question",
            "messages[0].content[1] is 501 characters long",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "w" * 300}] * 2,
                    }
                ]
            },
            "invalid_question",
            "messages[0] is 601 characters long",
        ),
        (
            {"messages": [{"role": "user", "content": 42}]},
            "invalid_request",
            "'messages[0].content' must be text (a JSON string) or a list of parts.",
        ),
        (
            {"messages": [{"role": "bot", "content": QUESTION}]},
            "invalid_request",
            "'messages[0].role' must be one of",
        ),
    ],
)
def test_requests_outside_the_document_are_422(api_server, body, code, words):
    response = httpx.post(f"{api_server.url}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"], error["message"]
    assert "function-after" not in error["message"] and ".user." not in error["message"]


def test_stream_null_is_false_as_in_openais_api(api_server):
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": None}
    response = httpx.post(f"{api_server.url}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"


def test_messages_after_the_question_are_read_but_not_answered(openai_client):
    alone = openai_client.chat.completions.create(
        model="footnote", messages=[{"role": "user", "content": QUESTION}]
    )
    prefilled = openai_client.chat.completions.create(
        model="footnote",
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": "Let me look"},
        ],
    )
    assert prefilled.model_extra["citations"] == alone.model_extra["citations"]


def test_models_lists_footnote(openai_client):
    assert [m.id for m in openai_client.models.list()] == ["footnote"]


def test_message_text_marks_related_sentences_as_no_answer():
    related = Citation(1, "A sentence.", "doc", 0, 0, 11, None, 0.1, related=True)
    answer = Answer("The article doesn't say.", False, (related,), "bm25")
    assert message_text(answer) == (
        "The article doesn't say.\n\nRelated sentences (not an answer):\n\n[1] A sentence."
    )
