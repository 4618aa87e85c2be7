"""One question in its conversation: find the earlier turns, ask the pipeline, record the turn.

Shared by /chat, /chat/stream and /v1/chat/completions. The pipeline is CPU-bound, so
it runs in the thread pool and the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import dataclasses

from fastapi.concurrency import run_in_threadpool

from api.errors import ConversationNotFoundError, RequestShapeError
from api.models import check_length
from rag.answer import Answer
from rag.conversation import ConversationStore, Turn
from rag.pipeline import Pipeline


def earlier_turns(
    conversations: ConversationStore, conversation_id: str | None, history: list[str] | None
) -> list[Turn] | None:
    """The stored turns of `conversation_id`; None when the client sent no id.

    Raises ConversationNotFoundError for an id the store does not hold, and
    RequestShapeError when both an id and a history are sent.
    """
    if conversation_id is None:
        return None
    if history is not None:
        raise RequestShapeError(
            "send either conversation_id or history, not both: conversation_id continues a "
            "conversation the service remembers, history replays one the client remembers"
        )
    turns = conversations.get(conversation_id)
    if turns is None:
        raise ConversationNotFoundError(
            f"there is no conversation {conversation_id!r}: it never existed or was forgotten "
            "after a while without questions; send the question without conversation_id to "
            "start a new one"
        )
    return turns


async def answer_question(
    pipeline: Pipeline,
    conversations: ConversationStore,
    question: str,
    conversation_id: str | None = None,
    history: list[str] | None = None,
    doc_id: str | None = None,
    remember: bool = True,
) -> Answer:
    """Answer `question` in its conversation and record it; the answer carries the id.

    A new conversation is started when no `conversation_id` is given; the replayed `history`
    becomes its first turns, so the client can continue it by id afterwards. Clients that
    always send their whole history (OpenAI's protocol) pass `remember=False`: nothing is
    stored and the answer has no conversation id.
    """
    check_length(question, pipeline.max_question_chars)
    stored = earlier_turns(conversations, conversation_id, history)

    def work() -> tuple[list[Turn], Answer, str]:
        turns = stored if stored is not None else pipeline.replay(history or [], doc_id)
        result = pipeline.ask(question, turns, doc_id)
        return turns, result.answer, result.question

    turns, answer, resolved = await run_in_threadpool(work)
    if not remember:
        return answer
    if conversation_id is None:
        conversation_id = conversations.new_id()
        for turn in turns:
            conversations.append(conversation_id, turn)
    # The question as resolved ("he" → "Scott Bessent"), so that a later "he" still has its person.
    conversations.append(conversation_id, Turn(resolved, answer))
    return dataclasses.replace(answer, conversation_id=conversation_id)
