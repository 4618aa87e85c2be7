"""POST /v1/chat/completions: the OpenAI chat protocol, so existing chat clients work unchanged.

The last user message is the question, the user messages before it are the conversation
(replayed, as `history` is on /chat); system and assistant messages are read but not needed.
Citations appear in the message text as numbered footnotes and, for clients that know,
in an extra `citations` field beside `choices`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from api import sse
from api.answering import answer_question
from api.deps import ConversationsDep, ReadyDep
from api.models import (
    DOC_ID,
    ERROR_RESPONSES,
    FOLLOW_UP,
    MAX_HISTORY,
    NON_BLANK,
    QUESTION,
    QUESTION_LIMIT,
    Question,
    Text,
    check_length,
    has_text,
)
from api.observability import record_answer
from api.scope import resolve
from rag.answer import Answer

MODEL_ID = "footnote"
router = APIRouter(prefix="/v1", tags=["openai"])


class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are read."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: str
    text: Text | None = None


class UserContentPart(ContentPart):
    """A part of a reader's message: its text counts toward the question's length limit."""

    text: Annotated[Text, Field(json_schema_extra={QUESTION_LIMIT: True})] | None = None


class TextPart(BaseModel):
    """A text part with something in it: what makes a multi-part user message readable."""

    type: Literal["text"]
    text: Annotated[str, Field(pattern=NON_BLANK)]


def _parts_text(parts: Sequence[ContentPart]) -> str:
    return " ".join(p.text for p in parts if p.type == "text" and p.text)


def _readable_parts(parts: list[UserContentPart]) -> list[UserContentPart]:
    if not has_text(_parts_text(parts)):
        raise PydanticCustomError(
            "question_blank",
            "the reader's message has no text; give it a text part with the question",
        )
    return parts


def _parts_schema(schema: dict[str, Any]) -> None:
    # The rule of `_readable_parts`: at least one text part with visible text.
    schema["contains"] = TextPart.model_json_schema()


UserParts = Annotated[
    list[UserContentPart],
    AfterValidator(_readable_parts),
    Field(min_length=1, json_schema_extra=_parts_schema),
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    def text(self) -> str:
        """The message's text, its text parts joined."""
        content = getattr(self, "content", None)
        if isinstance(content, list):
            return _parts_text(content)
        return content or ""


class UserMessage(_Message):
    """A message of the reader: it must have text (the last one is the question)."""

    role: Literal["user"]
    content: Question | UserParts = Field(
        description="The text, or parts of which the text ones are read (joined by spaces); "
        "at most FOOTNOTE_MAX_QUESTION_CHARS characters of text in all."
    )


class OtherMessage(_Message):
    """A message Footnote reads but does not need: instructions, earlier replies, tool output."""

    role: Literal["system", "developer", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None


ChatMessage = Annotated[UserMessage | OtherMessage, Field(discriminator="role")]
"""A message of the conversation as OpenAI clients send it, told apart by its `role`."""


def _request_schema(schema: dict[str, Any]) -> None:
    schema["examples"] = [
        {
            "model": MODEL_ID,
            "messages": [
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "In a bid to thaw the ice, ... [1]"},
                {"role": "user", "content": FOLLOW_UP},
            ],
        },
        {"model": MODEL_ID, "messages": [{"role": "user", "content": QUESTION}], "stream": True},
    ]
    # The rule of `_has_a_question`: some message is the reader's.
    schema["properties"]["messages"]["contains"] = {
        "type": "object",
        "properties": {"role": {"const": "user"}},
        "required": ["role"],
    }


class ChatCompletionRequest(BaseModel):
    """OpenAI's chat completion request; parameters Footnote has no use for are ignored.

    The question is the last user message; the user messages before it are the conversation.
    Messages after it (an assistant's prefill, a tool's output) are read but not answered.
    """

    model_config = ConfigDict(extra="allow", strict=True, json_schema_extra=_request_schema)

    model: str = Field(default=MODEL_ID, max_length=200, description="Any name; one model answers.")
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=4 * MAX_HISTORY,
        description="The conversation, oldest first; at least one message is the reader's "
        "(role `user`), and every reader's message has text.",
    )
    stream: bool | None = Field(
        default=False,
        description="Send `chat.completion.chunk` events; null is false, as in OpenAI's API.",
    )
    doc_id: str | None = Field(
        default=None,
        max_length=200,
        description="Footnote's own: answer from this article only.",
        examples=[DOC_ID],
    )

    @model_validator(mode="after")
    def _has_a_question(self) -> ChatCompletionRequest:
        if not any(m.role == "user" for m in self.messages):
            raise PydanticCustomError("no_question", NO_QUESTION)
        return self

    def question_and_history(self, max_chars: int) -> tuple[str, list[str]]:
        """The last user message, and the user messages before it (the latest MAX_HISTORY).

        Raises QuestionError when a user message is longer than `max_chars`.
        """
        asked = [(i, m.text()) for i, m in enumerate(self.messages) if m.role == "user"]
        for i, text in asked:
            content = self.messages[i].content
            # Each part's text is bounded in the document too, whatever the part's type.
            for j, part in enumerate(content if isinstance(content, list) else []):
                check_length(part.text or "", max_chars, f"the text of messages[{i}].content[{j}]")
            check_length(text, max_chars, f"the text of messages[{i}]")
        *earlier, question = (text for _, text in asked)
        return question, earlier[-MAX_HISTORY:]


NO_QUESTION = (
    "the conversation has no question: send the reader's question as a message with role "
    "'user' and text"
)


class CompletionMessage(BaseModel):
    """The assistant's reply."""

    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    """The one choice Footnote gives."""

    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Sizes in words (Footnote has no tokenizer of a generative model)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """OpenAI's `chat.completion`, with Footnote's citations beside the choices."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[dict[str, Any]] = Field(description="As `citations` in the answer of /chat.")
    answered: bool
    retrieval: str


def message_text(answer: Answer) -> str:
    """The answer with its [n] markers, then the cited sentences as numbered footnotes."""
    if not answer.citations:
        return answer.answer
    label = "Sources:" if answer.answered else "Related sentences (not an answer):"
    notes = "\n\n".join(f"[{c.id}] {c.text}" for c in answer.citations)
    return f"{answer.answer}\n\n{label}\n\n{notes}"


def _words(text: str) -> int:
    return len(text.split())


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        200: {
            "description": "A `chat.completion`; with `stream: true`, `chat.completion.chunk` "
            "Server-Sent Events ending with `data: [DONE]`.",
            "content": {"text/event-stream": {"itemSchema": sse.event_schema()}},
        },
        **ERROR_RESPONSES,
    },
    summary="OpenAI-compatible chat completion",
)
async def chat_completions(
    body: ChatCompletionRequest,
    request: Request,
    conversations: ConversationsDep,
    _: ReadyDep,
) -> JSONResponse | StreamingResponse:
    """Answer the last user message in the context of the earlier ones."""
    question, history = body.question_and_history(request.app.state.settings.max_question_chars)
    scoped = await resolve(request, body.doc_id, None)
    answer = await answer_question(
        scoped.pipeline, conversations, question, None, history, body.doc_id, remember=False
    )
    record_answer(request, answer, question)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    content = message_text(answer)
    citations = [c.to_dict() for c in answer.citations]
    if body.stream:
        return sse.stream_response(_chunks(completion_id, created, content, citations, answer))
    prompt = sum(_words(m.text()) for m in body.messages)
    completion = ChatCompletion(
        id=completion_id,
        created=created,
        model=MODEL_ID,
        choices=[Choice(message=CompletionMessage(content=content))],
        usage=Usage(
            prompt_tokens=prompt,
            completion_tokens=_words(content),
            total_tokens=prompt + _words(content),
        ),
        citations=citations,
        answered=answer.answered,
        retrieval=answer.retrieval,
    )
    return JSONResponse(completion.model_dump())


async def _chunks(
    completion_id: str, created: int, content: str, citations: list[dict[str, Any]], answer: Answer
) -> AsyncIterator[str]:
    """`chat.completion.chunk` events: the role, the text in pieces, the end, then [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return sse.event(None, data)

    yield chunk({"role": "assistant", "content": ""})
    for piece in sse.pieces(content):
        yield chunk({"content": piece})
    yield chunk(
        {}, "stop", citations=citations, answered=answer.answered, retrieval=answer.retrieval
    )
    yield "data: [DONE]\n\n"


@router.get("/models", summary="The one model, for clients that list models first")
async def models() -> dict[str, Any]:
    """OpenAI's model list, holding `footnote`."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "footnote"}],
    }
