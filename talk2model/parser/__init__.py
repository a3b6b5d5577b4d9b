"""Question -> query.

`get_parser(workspace)` returns the best parser available for a workspace. Every parser returns
a `Parse`: a query (with its confidence), or clarifying choices, or a message saying what was
not understood — never a silent guess.
"""

from __future__ import annotations

from talk2model.parser.base import Choice, Parse, QueryTextParser

__all__ = ["Choice", "Parse", "QueryTextParser", "get_parser"]


def get_parser(workspace):
    try:
        from talk2model.parser.nl import NaturalLanguageParser
    except ImportError:
        return QueryTextParser(workspace)
    return NaturalLanguageParser(workspace)
