"""Errors the index stage raises, each with the command that fixes it."""


class IndexError_(Exception):
    """Base class; named with a trailing underscore so it never shadows the builtin."""


class SourceError(IndexError_):
    """A source article cannot be read or is empty."""


class IndexMissingError(IndexError_):
    """No index folder at the configured place."""


class IndexStaleError(IndexError_):
    """The index was built from other sources, another model or other settings."""


class IndexCorruptError(IndexError_):
    """A file of the index is missing, truncated, altered or not ours."""


class ModelUnavailableError(IndexError_):
    """The bundled embedding model cannot be loaded."""


class ArchiveError(IndexError_):
    """A request to the archive of published articles cannot be met as asked."""


class ArticleNotFoundError(ArchiveError):
    """No article with this id is in the archive (never published, or removed)."""


class RevisionGoneError(ArchiveError):
    """The article exists but this revision of it is not kept (too old, or never existed)."""


class ArchiveMismatchError(ArchiveError):
    """A segment was built with another model or other settings than the archive holds."""


class ArchiveUnavailableError(ArchiveError):
    """The archive's database cannot be reached or did not answer in time (it may be
    restarting); the request can be retried."""


class ModelCorruptError(ModelUnavailableError):
    """A model file or piece is there but its bytes are not the pinned ones."""
