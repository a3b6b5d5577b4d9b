"""Shared by the parser tests: one parser per workspace, and `check(ws, question, query_text)`
comparing the parse with a query written from the canonical rules."""

from __future__ import annotations

import json

from talk2model.parser.nl import NaturalLanguageParser
from talk2model.query.ast import Query
from talk2model.workspace import load_workspace

_PARSERS: dict[str, NaturalLanguageParser] = {}


def parser(ws: str) -> NaturalLanguageParser:
    if ws not in _PARSERS:
        _PARSERS[ws] = NaturalLanguageParser(load_workspace(ws))
    return _PARSERS[ws]


def check(ws: str, question: str, text: str) -> None:
    parsed = parser(ws).parse(question)
    assert parsed.query is not None, f"no query for {question!r}: {parsed.message or parsed.choices}"
    got = json.dumps(parsed.query.to_json(), sort_keys=True)
    want = json.dumps(Query.from_text(text).to_json(), sort_keys=True)
    assert got == want, f"{question!r}\n got  {parsed.query.to_text()}\n want {text}"
