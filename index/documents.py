"""Documents: one article per source file, headline on its first line."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import SourceError

SOURCE_SUFFIXES = (".txt", ".md")
_ID_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Document:
    """An article. `text` is the whole file (headline included) so offsets match the source."""

    id: str
    title: str
    text: str
    body_start: int
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)


def slug(text: str, fallback: str = "article") -> str:
    """`text` as an id: lower-case letters and digits joined by hyphens.

    >>> slug("Trump’s Asia Tour")
    'trump-s-asia-tour'
    """
    return _ID_UNSAFE.sub("-", text.lower()).strip("-") or fallback


def doc_id_for(path: Path) -> str:
    """The stable id of a source: its file name, lower-cased, without extension."""
    return slug(path.stem)


def parse_document(doc_id: str, raw: str, source: str = "") -> Document:
    """Make a Document from raw text whose first non-empty line is the headline.

    >>> parse_document("a", "Title\\n\\nBody.").title
    'Title'
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SourceError(
            f"source {source or doc_id!r} is empty; an article needs a headline line and a body"
        )
    lead = len(text) - len(text.lstrip())
    line_end = text.find("\n", lead)
    line_end = len(text) if line_end == -1 else line_end
    title = text[lead:line_end].strip()
    # The revision is the text the document holds: a CRLF copy of an article is the same
    # revision, and a store that checks a revision against its text (PostgreSQL) agrees.
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(
        id=doc_id,
        title=title,
        text=text,
        body_start=line_end,
        sha256=digest,
        metadata={"source": source} if source else {},
    )


def load_document(path: Path) -> Document:
    """Read one article file (UTF-8)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SourceError(f"source {path} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"source {path} is not UTF-8 text; save it as UTF-8 and build again"
        ) from exc
    except OSError as exc:
        raise SourceError(f"source {path} cannot be read: {exc.strerror}") from exc
    # The absolute path: an index records where its articles live wherever it is used from.
    return parse_document(doc_id_for(path), raw, source=str(path.resolve()))


def source_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their article files, sorted, so builds are deterministic."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SOURCE_SUFFIXES))
        elif path.exists():
            files.append(path)
        else:
            raise SourceError(
                f"source {path} does not exist; pass an article file or a folder of them"
            )
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise SourceError(f"no article files (*.txt, *.md) found in {shown}")
    return files


def load_documents(paths: list[Path]) -> list[Document]:
    """Load every article under `paths`; ids must be unique."""
    documents = [load_document(p) for p in source_files(paths)]
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.id in seen:
            raise SourceError(
                f"two sources share the id {doc.id!r} ({seen[doc.id]} and {doc.metadata.get('source')}); "
                "rename one of them"
            )
        seen[doc.id] = doc.metadata.get("source", "")
    return documents
