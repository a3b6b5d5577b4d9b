"""The parser interface, and the parser of the query language's own text and JSON forms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from talk2model.errors import QueryError
from talk2model.query.ast import Query
from talk2model.query.text import KEYWORDS


@dataclass
class Choice:
    """One reading offered when the question is ambiguous: a label to show, and its query."""

    label: str
    query: Query


@dataclass
class Parse:
    query: Query | None = None
    confidence: float = 0.0
    choices: list[Choice] = field(default_factory=list)   # clarifying readings, most likely first
    message: str | None = None                             # what was not understood, when no query
    source: str = "text"                                   # text | json | nl

    @property
    def ok(self) -> bool:
        return self.query is not None


_STEP_WORDS = {w for w in KEYWORDS if w not in {"and", "or", "not", "then", "true", "false", "top",
                                                   "feature", "metric", "set", "increase", "decrease"}}


def looks_like_query(text: str) -> bool:
    stripped = text.strip()
    if stripped.startswith("{"):
        return True
    first = stripped.split(" ", 1)[0]
    return first in _STEP_WORDS and (" " not in stripped or bool(_THEN_STEP.search(stripped))
                                      or first in ("filter", "whatif", "explain", "score", "mistakes",
                                                   "importance", "statistic", "dependence", "bias", "define"))


# "then" joins steps only before a step's name ("more then 10000" is a question's slip of "than")
_THEN_STEP = re.compile(r"\bthen (?:" + "|".join(sorted(_STEP_WORDS)) + r")\b")
_FORMAL_MARKS = re.compile(r"==|!=|>=|<=|`|" + _THEN_STEP.pattern)


def is_surely_formal(text: str) -> bool:
    """JSON, or query text with operators no question would use: its errors are worth showing."""
    stripped = text.strip()
    return stripped.startswith("{") or (looks_like_query(stripped) and bool(_FORMAL_MARKS.search(stripped)))


def parse_formal(text: str) -> Parse:
    """The query language's JSON or text form; raises QueryError when it is neither."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return Parse(query=Query.from_json(stripped), confidence=1.0, source="json")
    return Parse(query=Query.from_text(stripped), confidence=1.0, source="text")


class QueryTextParser:
    """Accepts only the query language (text or JSON): the fallback when no NL parser is present."""

    def __init__(self, workspace) -> None:
        self.workspace = workspace

    def parse(self, question: str, state=None) -> Parse:
        try:
            return parse_formal(question)
        except QueryError as exc:
            return Parse(message=f"I could not read that as a query: {exc}")
