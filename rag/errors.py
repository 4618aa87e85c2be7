"""Errors a caller can fix; the API maps each to one HTTP status in one place."""


class FootnoteError(Exception):
    """Base class of the errors a person can act on; `status` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"


class QuestionError(FootnoteError):
    """The question is empty, too long or not text."""

    status = 422
    code = "invalid_question"


class UnknownDocumentError(FootnoteError):
    """A doc_id that is not in the index."""

    status = 404
    code = "unknown_document"


class RetrievalUnavailableError(FootnoteError):
    """A retrieval mode that this index or process cannot serve (dense without the model)."""

    status = 409
    code = "retrieval_unavailable"
