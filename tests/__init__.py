"""Footnote's tests; a package so that nested conftests can import the shared fixtures."""
