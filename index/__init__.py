"""Offline stage: an article becomes documents, sentences, chunks, vectors and one index on disk."""
