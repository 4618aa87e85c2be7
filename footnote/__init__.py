"""Footnote: the command line and the settings that sit on top of index, rag, api and eval."""

__version__ = "0.1.0"
