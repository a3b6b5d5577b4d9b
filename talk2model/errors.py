"""The error hierarchy. Every message is a sentence meant for the person asking."""

from __future__ import annotations


class Talk2ModelError(Exception):
    """Base class: anything talk2model raises on purpose."""


class WorkspaceError(Talk2ModelError):
    """A workspace file, its data or its model is not usable; the message names field and fix."""


class QueryError(Talk2ModelError):
    """A query is malformed or does not fit the workspace.

    `position` is the character offset in the query text when known; `expected` lists what
    would have been accepted there.
    """

    def __init__(self, message: str, *, position: int | None = None,
                 expected: tuple[str, ...] = (), suggestion: str | None = None):
        super().__init__(message)
        self.position = position
        self.expected = expected
        self.suggestion = suggestion


class OperationError(Talk2ModelError):
    """An operation could not answer (empty selection, unknown id, not available, ...)."""
