"""Request and response models of the publishing API (api.routes_publish)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from api.models import NON_BLANK, has_text
from index.archive import ArticleRecord
from index.publish import DOC_ID_PATTERN

_DOC_ID = re.compile(DOC_ID_PATTERN)

ARTICLE_LIMIT = "x-footnote-max-article-chars"
"""Marks the schemas whose `maxLength` is the FOOTNOTE_MAX_ARTICLE_CHARS of the running app."""

DOC_ID_DESCRIPTION = (
    "The article's id: 1-100 lower-case letters, digits and hyphens, starting and ending "
    "with a letter or digit. The widget's `data-doc-id`."
)


def _visible(what: str):
    def check(value: str) -> str:
        if not has_text(value):
            raise PydanticCustomError(
                "article_blank", f"the {what} is empty; send the article's {what}"
            )
        return value

    return AfterValidator(check)


def _doc_id(value: str) -> str:
    if not _DOC_ID.match(value):
        raise PydanticCustomError(
            "doc_id_format",
            "the article id must be 1-100 lower-case letters, digits and hyphens, starting "
            "and ending with a letter or digit (e.g. harbor-bridge)",
        )
    return value


CheckedDocId = AfterValidator(_doc_id)


def _iso_time(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "published_at_format",
            "published_at is not an ISO 8601 time; send e.g. 2025-10-29T08:30:00Z",
        ) from exc
    return value


class ArticleRequest(BaseModel):
    """One article as the CMS publishes it."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "headline": "Harbor bridge repair to cost $41 million",
                    "text": "OAKPORT — The city will close the harbor bridge for repairs...",
                    "url": "https://news.example/2025/harbor-bridge",
                    "published_at": "2025-10-29T08:30:00Z",
                }
            ]
        },
    )

    # The pattern is documented for clients; the validator says what is wrong in words.
    headline: Annotated[str, _visible("headline")] = Field(
        min_length=1,
        max_length=300,
        json_schema_extra={"pattern": NON_BLANK},
        description="The headline.",
    )
    text: Annotated[str, _visible("text")] = Field(
        min_length=1,
        json_schema_extra={ARTICLE_LIMIT: True, "pattern": NON_BLANK},
        description="The article's body as plain text: paragraphs separated by blank lines, "
        "a subheading on a line of its own; at most FOOTNOTE_MAX_ARTICLE_CHARS characters.",
    )
    url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="The article's canonical URL.",
    )
    published_at: Annotated[str, AfterValidator(_iso_time)] | None = Field(
        default=None,
        max_length=40,
        pattern=r"^\d{4}-\d\d-\d\d",
        description="When it was published, ISO 8601.",
    )


class RevisionModel(BaseModel):
    """One kept revision of an article."""

    revision: str = Field(description="sha256 of the article's text: the widget's data-revision.")
    headline: str
    created_at: float = Field(description="When this revision was published (Unix seconds).")
    replaced_at: float | None = Field(
        description="When a newer revision replaced it (None: it is current). Kept for "
        "FOOTNOTE_REVISION_TTL_SECONDS after that."
    )
    url: str | None = None
    published_at: str | None = None

    @classmethod
    def of(cls, record: ArticleRecord) -> RevisionModel:
        """The model of an archive record (its fields of the same names)."""
        return cls.model_validate(record, from_attributes=True)


class ArticleResponse(BaseModel):
    """An article of the archive: its current revision and those still kept."""

    doc_id: str = Field(pattern=DOC_ID_PATTERN)
    revision: str = Field(description="The current revision.")
    created: bool = Field(default=False, description="True when this PUT published a new article.")
    changed: bool = Field(
        default=False, description="True when this PUT made a new revision (False: same text)."
    )
    revisions: list[RevisionModel] = Field(description="Kept revisions, newest first.")


class RemovedResponse(BaseModel):
    """What a DELETE took down."""

    doc_id: str
    removed: bool = True
    revisions: int = Field(description="How many revisions stopped being answered.")
