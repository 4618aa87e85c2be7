"""Request and response models of the HTTP API, with the examples shown at /docs.

Responses mirror the answer contract of design.md (`rag.answer.Answer.to_dict`); the routes
return that dict as is, and these models document and check it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from rag.errors import QuestionError

MAX_HISTORY = 20
"""Earlier questions a client may send as `history` (the store keeps as many turns)."""

QUESTION = "Who is South Korea's president?"
FOLLOW_UP = "When did he take office?"
DOC_ID = "trump-asia-tour-south-korea"


def _whole_characters(value: str) -> str:
    """Refuse unpaired UTF-16 surrogates: JSON can carry them (`"\\ud800"`), text cannot."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("contains a broken character (an unpaired UTF-16 surrogate escape)")
    return value


Text = Annotated[str, AfterValidator(_whole_characters)]

BLANK = (
    "\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u034f\\u061c\\u115f\\u1160\\u1680\\u17b4\\u17b5"
    "\\u180b-\\u180f\\u2000-\\u200f\\u2028-\\u202f\\u205f-\\u206f\\u3000\\u3164\\ufe00-\\ufe0f"
    "\\ufdfa\\ufeff\\uffa0\\ufff0-\\ufffb"
)
"""Characters a question may not consist of alone: spaces, control and invisible characters.

Whitespace and control characters as the answerer folds them, plus the characters Unicode
says are ignorable when rendered (zero-width spaces, joiners, direction marks, variation
selectors, the byte order mark): a question made only of these shows the reader nothing.
Written with \\uXXXX escapes, so JSON Schema (ECMA-262) and Python read the class alike.
"""

NON_BLANK = f"[^{BLANK}]"
"""The `pattern` of a question: at least one character that is not in BLANK."""

QUESTION_LIMIT = "x-footnote-max-question-chars"
"""Marks the schemas whose `maxLength` is the FOOTNOTE_MAX_QUESTION_CHARS of the running app."""

_NON_BLANK = re.compile(NON_BLANK)


def _has_text(value: str) -> str:
    if not _NON_BLANK.search(value):
        raise PydanticCustomError(
            "question_blank", "the question is empty; type a question about the article"
        )
    return value


def has_text(value: str | None) -> bool:
    """Whether `value` holds a character a reader would see (not only BLANK ones)."""
    return bool(value) and _NON_BLANK.search(value or "") is not None


Question = Annotated[
    str,
    AfterValidator(_whole_characters),
    AfterValidator(_has_text),
    Field(json_schema_extra={"minLength": 1, "pattern": NON_BLANK, QUESTION_LIMIT: True}),
]
"""A reader's question: text with something visible in it, at most
FOOTNOTE_MAX_QUESTION_CHARS characters (checked where the setting is known: `check_length`)."""


def check_length(question: str, max_chars: int, where: str = "the question") -> None:
    """Refuse a question longer than the app's limit, before any work is done on it."""
    if len(question) > max_chars:
        raise QuestionError(
            f"{where} is {len(question):,} characters long; keep it to {max_chars:,} "
            "characters or fewer"
        )


NOT_BOTH = (
    "send either conversation_id or history, not both: conversation_id continues a "
    "conversation the service remembers, history replays one the client remembers"
)


def _chat_request_schema(schema: dict[str, Any]) -> None:
    schema["examples"] = [
        {"question": QUESTION},
        {"question": FOLLOW_UP, "conversation_id": "5f0c6bd5a8a94f5e9b4f2b7c3d1e0a9f"},
        {"question": FOLLOW_UP, "history": [QUESTION]},
        {"question": "How much did Trump want South Korea to invest?", "doc_id": DOC_ID},
    ]
    # The rule of `_one_way_to_continue`, for clients and contract tests.
    schema["not"] = {
        "required": ["conversation_id", "history"],
        "properties": {"conversation_id": {"type": "string"}, "history": {"type": "array"}},
    }


REVISION_PATTERN = "^[0-9a-f]{64}$"


class ChatRequest(BaseModel):
    """A reader's question, optionally continuing a conversation (by id or by history)."""

    model_config = ConfigDict(strict=True, json_schema_extra=_chat_request_schema)

    question: Question = Field(
        description="The reader's question: some visible text (not only spaces or invisible "
        "characters), at most FOOTNOTE_MAX_QUESTION_CHARS characters (500 by default); "
        "control characters are removed.",
        examples=[QUESTION],
    )
    conversation_id: str | None = Field(
        default=None,
        max_length=64,
        description="Continue this conversation (from an earlier answer); omit to start one.",
    )
    history: list[Text] | None = Field(
        default=None,
        max_length=MAX_HISTORY,
        description="Earlier questions of the conversation, oldest first, for clients that "
        "keep their own history; send this or `conversation_id`, not both. Blank or too long "
        "ones are skipped.",
        examples=[[QUESTION]],
    )
    doc_id: str | None = Field(
        default=None,
        max_length=200,
        description="Answer from this article only (an id from GET /documents).",
        examples=[DOC_ID],
    )
    revision: str | None = Field(
        default=None,
        pattern=REVISION_PATTERN,
        description="The revision of the article the reader's page shows (with `doc_id`): "
        "answered from that revision while it is kept, else from the current text with a "
        "`notice`.",
    )

    @model_validator(mode="after")
    def _one_way_to_continue(self) -> ChatRequest:
        if self.conversation_id is not None and self.history is not None:
            raise PydanticCustomError("conversation_and_history", NOT_BOTH)
        return self


class CitationModel(BaseModel):
    """A cited sentence: `text` is exactly the article's `text[start:end]`."""

    id: int = Field(description="The number of its marker in the answer, [1], [2], ...")
    text: str
    doc_id: str
    sentence_id: int
    start: int = Field(description="Character offset of the sentence in the article.")
    end: int
    section: str | None = Field(description="The subheading the sentence is under, if any.")
    score: float
    highlight: list[int] | None = Field(
        description="[start, end] inside `text` of the very thing asked for, if found."
    )
    related: bool = Field(
        default=False,
        description="Present and true when the article does not answer and this sentence "
        "is only the closest it has.",
    )


class ChatResponse(BaseModel):
    """The answer contract of design.md, with the conversation it belongs to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "Lee assumed office in June amid economic headwinds, ... [1]",
                    "answered": True,
                    "citations": [
                        {
                            "id": 1,
                            "text": "Lee assumed office in June amid economic headwinds, ...",
                            "doc_id": DOC_ID,
                            "sentence_id": 40,
                            "start": 5120,
                            "end": 5260,
                            "section": None,
                            "score": 1.12,
                            "highlight": [20, 24],
                        }
                    ],
                    "retrieval": "hybrid",
                    "conversation_id": "5f0c6bd5a8a94f5e9b4f2b7c3d1e0a9f",
                }
            ]
        }
    )

    answer: str = Field(description="The cited sentences verbatim, each with its [n] marker.")
    answered: bool = Field(description="False when the article does not answer the question.")
    citations: list[CitationModel]
    retrieval: Literal["hybrid", "bm25", "dense"] = Field(
        description="How passages were retrieved: bm25 while the embedding model loads."
    )
    conversation_id: str = Field(description="Send it with the next question to follow up.")
    revision: str | None = Field(
        default=None,
        description="The revision (sha256) of the article text the citations quote; "
        "their offsets point into that text.",
    )
    notice: str | None = Field(
        default=None,
        description="Present when the story was updated since the revision the page sent "
        "and that revision is no longer kept: the answer quotes the current text.",
    )


class ErrorDetail(BaseModel):
    """What went wrong, for a program (`code`) and for a person (`message`)."""

    code: str = Field(examples=["invalid_question"])
    message: str = Field(examples=["The question is empty; type a question about the article."])


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx response."""

    error: ErrorDetail


class DocumentModel(BaseModel):
    """One indexed article."""

    id: str = Field(examples=[DOC_ID])
    title: str
    sentences: int = Field(description="How many sentences the article was split into.")
    revision: str = Field(description="sha256 of the article's source file.")


class DocumentsResponse(BaseModel):
    """The articles the service answers from."""

    documents: list[DocumentModel]


class HealthResponse(BaseModel):
    """The process is up."""

    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    """The service answers questions; `retrieval` says how."""

    status: Literal["ready"] = "ready"
    retrieval: Literal["hybrid", "bm25", "dense"] = Field(
        description="The mode answers are given in now: bm25 until the model is loaded."
    )
    model: Literal["loading", "ready", "unavailable", "disabled"] = Field(
        description="The embedding model: still loading, loaded, failed to load, or off."
    )
    documents: int
    conversations: int


def error_doc(description: str) -> dict[str, object]:
    """An error response of the OpenAPI document: `description` with the ErrorResponse body."""
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    404: error_doc("Unknown conversation_id or doc_id."),
}
"""The errors of the question endpoints that only they give; `api.contract` adds the
statuses every route shares (400, 413, 422, 429, 503)."""
