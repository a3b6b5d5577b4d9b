"""Limits on a query's size, nesting and values, checked before anything recurses over it.

Every reader of a query (the JSON and text forms, the AST constructors) checks these first, so a
hostile or careless input gets a QueryError naming the limit instead of a RecursionError, an
OverflowError or a string the store cannot encode. The functions here never recurse.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from talk2model.errors import QueryError
from talk2model.sanitize import clean_text, control_characters

MAX_QUERY_CHARS = 20_000    # a query's text or JSON; real ones are a few hundred characters
MAX_DEPTH = 40              # nesting of conditions: and / or / not / parentheses
MAX_CONDITIONS = 500        # comparisons in one query
FLOAT64_MAX = sys.float_info.max
# A JSON query is {"steps": [{"op": "filter", "where": <condition>}]}: three levels of wrapping
# around the condition, each further and / or adding two ({"and": [...]}) and a not one.
JSON_WRAPPING = 3
MAX_JSON_DEPTH = 2 * MAX_DEPTH + JSON_WRAPPING

ERR_TOO_LONG = "the query is {n:,} characters long; the most I read is {limit:,}"
ERR_TOO_DEEP = "the conditions are nested more than {limit} deep; write them with fewer levels"
ERR_TOO_MANY = "the query has more than {limit} conditions; split it into smaller questions"
ERR_NUMBER_RANGE = ("{where}: the number {value} is too large; numbers must fit in a 64-bit float "
                    "(at most about 1.8e308)")
ERR_NOT_FINITE = "{where}: the value must be a finite number"
ERR_CONTROL = ("{where} contains control characters ({codes}); remove them (write a tab or a "
               "newline as a space) and ask again")


def check_length(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(ERR_TOO_LONG.format(n=len(text), limit=MAX_QUERY_CHARS))


def json_text_depth(text: str) -> int:
    """How deeply `[` and `{` nest in JSON text, ignoring brackets inside strings (one pass,
    no recursion: the check that runs before `json.loads`)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def object_depth(obj: Any) -> int:
    """How deeply dicts and lists nest in an already-decoded JSON value (iteratively)."""
    deepest = 0
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:   # past the limit: no need to walk a hostile value further
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_json_depth(depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise QueryError(ERR_TOO_DEEP.format(limit=MAX_DEPTH))


def check_expr(expr: Any) -> None:
    """Depth and number of conditions of an expression tree (And / Or / Not / Cmp), iteratively."""
    stack = [(expr, 1)]
    conditions = 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise QueryError(ERR_TOO_DEEP.format(limit=MAX_DEPTH))
        items = getattr(node, "items", None)
        if items is not None:
            stack.extend((i, depth + 1) for i in items)
        elif hasattr(node, "item"):
            stack.append((node.item, depth + 1))
        else:
            conditions += 1
            if conditions > MAX_CONDITIONS:
                raise QueryError(ERR_TOO_MANY.format(limit=MAX_CONDITIONS))


def check_number(value: int | float, where: str) -> None:
    """A number must be a finite 64-bit float (a 400-digit integer is not)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(ERR_NOT_FINITE.format(where=where))
    elif abs(value) > FLOAT64_MAX:
        digits = int(value.bit_length() * math.log10(2)) + 1   # str() refuses > 4,300 digits
        raise QueryError(ERR_NUMBER_RANGE.format(where=where, value=f"with about {digits:,} digits"))


def clean_string(value: str, where: str) -> str:
    """A string value: lone surrogates replaced, control characters refused."""
    codes = control_characters(value)
    if codes:
        raise QueryError(ERR_CONTROL.format(where=where, codes=", ".join(codes)))
    return clean_text(value)
