"""POST /chat and POST /chat/stream: a question in, the cited answer out (whole or streamed)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from api import sse
from api.answering import answer_question
from api.deps import ConversationsDep, ReadyDep
from api.errors import as_sentence
from api.models import ERROR_RESPONSES, ChatRequest, ChatResponse
from api.observability import record_answer
from api.scope import resolve
from rag.answer import Answer
from rag.errors import FootnoteError

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])

_STREAM_EXAMPLE = (
    "event: citations\n"
    'data: {"citations": [{"id": 1, "text": "Lee assumed office in June ...", ...}], '
    '"answered": true, "retrieval": "hybrid", "conversation_id": "5f0c..."}\n\n'
    "event: delta\n"
    'data: {"text": "Lee assumed office in "}\n\n'
    "event: delta\n"
    'data: {"text": "June amid economic headwinds, "}\n\n'
    "event: done\n"
    'data: {"answer": "Lee assumed office in June ... [1]", "answered": true, ...}\n\n'
)


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=ERROR_RESPONSES,
    summary="Answer a question with cited sentences of the article",
)
async def chat(
    body: ChatRequest, request: Request, conversations: ConversationsDep, _: ReadyDep
) -> JSONResponse:
    """The answer JSON of design.md, with the `conversation_id` to follow up with.

    Follow-ups ("When did he take office?") are answered in the context of the earlier
    turns: send the `conversation_id` of the previous answer, or the earlier questions as
    `history`.
    """
    answer = await _answer(body, request, conversations)
    # The contract's own serialisation (a `related` key only on related citations).
    return JSONResponse(answer.to_dict())


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: `citations`, then `delta` pieces of the "
            "answer text, then `done` with the whole answer JSON; `error` if it fails "
            "after the stream began.",
            "content": {
                "text/event-stream": {
                    "itemSchema": sse.event_schema(["citations", "delta", "done", "error"]),
                    "example": _STREAM_EXAMPLE,
                }
            },
        },
        **ERROR_RESPONSES,
    },
    summary="The same answer as Server-Sent Events",
)
async def chat_stream(
    body: ChatRequest, request: Request, conversations: ConversationsDep, _: ReadyDep
) -> StreamingResponse:
    """Citations first, then the answer text a few words at a time, then the whole answer.

    The `delta` texts joined together are exactly the final `answer`. A request that is
    not valid gets an ordinary JSON error response before any event is sent.
    """
    answer = await _answer(body, request, conversations)
    return sse.stream_response(answer_events(answer))


async def _answer(body: ChatRequest, request: Request, conversations: ConversationsDep) -> Answer:
    """The answer to one chat request, from the revision it asks for, recorded."""
    scoped = await resolve(request, body.doc_id, body.revision)
    answer = await answer_question(
        scoped.pipeline,
        conversations,
        body.question,
        body.conversation_id,
        body.history,
        body.doc_id,
    )
    answer = scoped.quote(answer)
    record_answer(request, answer, body.question)
    return answer


async def answer_events(answer: Answer) -> AsyncIterator[str]:
    """The SSE events of one answer; an `error` event if anything fails once begun."""
    try:
        payload = answer.to_dict()
        head: dict[str, Any] = {
            "citations": payload["citations"],
            "answered": answer.answered,
            "retrieval": answer.retrieval,
            "conversation_id": answer.conversation_id,
        }
        yield sse.event("citations", head)
        for piece in sse.pieces(answer.answer):
            yield sse.event("delta", {"text": piece})
        yield sse.event("done", payload)
    except FootnoteError as exc:
        yield sse.event("error", stream_error(exc.code, as_sentence(str(exc)), exc.status))
    except Exception:
        # The 200 status is already sent: the error can only travel as an event. The
        # traceback goes to the log, never to the reader.
        log.exception("the answer stream failed")
        yield sse.event(
            "error", stream_error("internal_error", "Something went wrong on our side.", 500)
        )


def stream_error(code: str, message: str, status: int) -> dict[str, Any]:
    """The data of an `error` event."""
    return {"error": {"code": code, "message": message, "status": status}}
