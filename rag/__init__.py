"""Online stage: a question becomes retrieved passages, then a cited answer."""
