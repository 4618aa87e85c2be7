"""POST /v1/chat/completions: the OpenAI chat protocol, so existing chat clients work unchanged.

The last user message is the question, the user messages before it are the conversation
(replayed, as `history` is on /chat); system and assistant messages are read but not needed.
Citations appear in the message text as numbered footnotes and, for clients that know,
in an extra `citations` field beside `choices`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api import sse
from api.answering import answer_question
from api.deps import ConversationsDep, PipelineDep
from api.errors import RequestShapeError
from api.models import DOC_ID, ERROR_RESPONSES, FOLLOW_UP, MAX_HISTORY, QUESTION, Text
from api.observability import record_answer
from rag.answer import Answer

MODEL_ID = "footnote"
router = APIRouter(prefix="/v1", tags=["openai"])


class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are read."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    """A message of the conversation, as OpenAI clients send it."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, its text parts joined."""
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """OpenAI's chat completion request; parameters Footnote has no use for are ignored."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [
                        {"role": "user", "content": QUESTION},
                        {"role": "assistant", "content": "In a bid to thaw the ice, ... [1]"},
                        {"role": "user", "content": FOLLOW_UP},
                    ],
                },
                {
                    "model": MODEL_ID,
                    "messages": [{"role": "user", "content": QUESTION}],
                    "stream": True,
                },
            ]
        },
    )

    model: str = Field(default=MODEL_ID, max_length=200, description="Any name; one model answers.")
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=4 * MAX_HISTORY, description="The conversation, oldest first."
    )
    stream: bool = Field(default=False, description="Send `chat.completion.chunk` events.")
    doc_id: str | None = Field(
        default=None,
        max_length=200,
        description="Footnote's own: answer from this article only.",
        examples=[DOC_ID],
    )

    def question_and_history(self) -> tuple[str, list[str]]:
        """The last user message, and the user messages before it (the latest MAX_HISTORY)."""
        last = self.messages[-1]
        if last.role != "user" or not last.text().strip():
            raise RequestShapeError(
                "the last message must be the reader's question: role 'user', with text"
            )
        earlier = [m.text() for m in self.messages[:-1] if m.role == "user" and m.text().strip()]
        return last.text(), earlier[-MAX_HISTORY:]


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
    pipeline: PipelineDep,
    conversations: ConversationsDep,
) -> JSONResponse | StreamingResponse:
    """Answer the last user message in the context of the earlier ones."""
    question, history = body.question_and_history()
    answer = await answer_question(
        pipeline, conversations, question, None, history, body.doc_id, remember=False
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
