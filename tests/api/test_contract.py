"""The OpenAPI document says what the service accepts and answers (the fuzz test checks it live)."""

from __future__ import annotations

import sys

import pytest

from api.app import create_app
from api.models import NON_BLANK, has_text
from footnote.settings import Settings
from rag.errors import QuestionError
from rag.pipeline import clean_question

ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def settings() -> Settings:
    """The defaults: building the document needs no index."""
    return Settings()


@pytest.fixture(scope="module")
def document(settings):
    return create_app(settings).openapi()


def _statuses(document, path, method):
    return set(document["paths"][path][method]["responses"])


def test_every_operation_lists_the_statuses_it_can_give(document):
    questions = {"200", "400", "404", "413", "422", "429", "503"}
    for path in ("/chat", "/chat/stream", "/v1/chat/completions"):
        assert _statuses(document, path, "post") == questions, path
    assert _statuses(document, "/documents/{doc_id}/starters", "get") == {
        "200",
        "404",
        "413",
        "422",
        "429",
        "503",
    }
    assert _statuses(document, "/documents", "get") == {"200", "413", "429", "503"}
    # Probes are never rate limited, and liveness needs nothing loaded.
    assert _statuses(document, "/healthz", "get") == {"200", "413"}
    assert _statuses(document, "/readyz", "get") == {"200", "413", "503"}


def test_every_error_has_the_error_model(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": ERROR_REF}, (method, path, status)
                if status == "429":
                    assert response["headers"]["Retry-After"]["required"] is True
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_no_rate_limit_no_429(settings):
    unlimited = create_app(settings.model_copy(update={"rate_limit_per_minute": 0})).openapi()
    assert "429" not in _statuses(unlimited, "/chat", "post")


def test_the_question_rules_are_in_the_schema(settings):
    document = create_app(settings.model_copy(update={"max_question_chars": 120})).openapi()
    schemas = document["components"]["schemas"]
    question = schemas["ChatRequest"]["properties"]["question"]
    assert question["minLength"] == 1
    assert question["pattern"] == NON_BLANK
    assert question["maxLength"] == 120
    assert schemas["ChatRequest"]["not"]["required"] == ["conversation_id", "history"]
    assert "x-footnote-max-question-chars" not in str(document)


def test_the_chat_completion_rules_are_in_the_schema(document):
    schemas = document["components"]["schemas"]
    messages = schemas["ChatCompletionRequest"]["properties"]["messages"]
    assert messages["items"]["discriminator"]["propertyName"] == "role"
    assert messages["contains"]["properties"]["role"] == {"const": "user"}
    user = schemas["UserMessage"]
    assert "content" in user["required"]
    text, parts = user["properties"]["content"]["anyOf"]
    assert text["pattern"] == NON_BLANK and text["maxLength"] == 500
    assert parts["contains"]["properties"]["text"]["pattern"] == NON_BLANK
    stream = schemas["ChatCompletionRequest"]["properties"]["stream"]
    assert stream["anyOf"] == [{"type": "boolean"}, {"type": "null"}]


def test_what_the_answerer_finds_empty_the_schema_finds_blank():
    """Every code point the answerer's cleaning reduces to nothing is BLANK in the pattern.

    Otherwise the document would call a question valid that the service refuses.
    """
    disagree = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        try:
            clean_question(ch, 10)
        except QuestionError:
            if has_text(ch):
                disagree.append(f"U+{code:04X}")
    assert not disagree, f"the answerer finds these empty but NON_BLANK does not: {disagree[:40]}"
    assert not has_text(" \u200b\ufeff\u2060\u00a0\u3000\x07")
    assert has_text("\u200bWho?")
