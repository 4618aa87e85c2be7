"""Request and response models of the HTTP API, with the examples shown at /docs.

Responses mirror the answer contract of design.md (`rag.answer.Answer.to_dict`); the routes
return that dict as is, and these models document and check it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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


class ChatRequest(BaseModel):
    """A reader's question, optionally continuing a conversation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": QUESTION},
                {"question": FOLLOW_UP, "conversation_id": "5f0c6bd5a8a94f5e9b4f2b7c3d1e0a9f"},
                {"question": FOLLOW_UP, "history": [QUESTION]},
                {"question": "How much did Trump want South Korea to invest?", "doc_id": DOC_ID},
            ]
        }
    )

    question: Text = Field(
        description="The reader's question; control characters are removed and the length "
        "is limited (FOOTNOTE_MAX_QUESTION_CHARS, 500 by default).",
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
        "keep their own history; send this or `conversation_id`, not both.",
        examples=[[QUESTION]],
    )
    doc_id: str | None = Field(
        default=None,
        max_length=200,
        description="Answer from this article only (an id from GET /documents).",
        examples=[DOC_ID],
    )


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


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        404: "Unknown conversation_id or doc_id.",
        413: "The request body is larger than FOOTNOTE_MAX_BODY_BYTES.",
        422: "The request is not valid: a message says what to fix.",
        429: "Too many requests from this client; see the Retry-After header.",
    }.items()
}
"""Error responses documented on the question endpoints."""
