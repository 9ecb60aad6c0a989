"""Exceptions of the search side (drawn in the tree of indexer.errors)."""

from __future__ import annotations

from indexer.errors import TracuuError


class SearchError(TracuuError):
    """Base of the search side's errors."""


class InvalidParam(SearchError):
    """A parameter the API refuses, with a machine-readable code (400 over HTTP)."""

    exit_code = 2  # a usage error, like argparse's own

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
