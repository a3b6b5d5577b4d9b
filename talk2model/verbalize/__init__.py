"""Results -> words, tables and figures.

An operation returns a typed result (data only); its verbaliser, registered with `@says`, turns
that into a `Reply`: a sentence, an optional table (a DataFrame), an optional figure (a
`FigureSpec`, plain data that `verbalize.plots` draws with matplotlib), and optionally `more`:
the rest, given when the person says "tell me more".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from talk2model.query.human import fmt_number  # noqa: F401  (re-exported for verbalisers)


@dataclass
class FigureSpec:
    """A chart as data, with titles: kind 'bar' (labels, values), 'line' (x, series),
    'heatmap' (an image and attributions over it, side by side with a colour bar: image, heat,
    labels = the two panels' titles), 'images' (a grid of images with captions in labels), or
    'matrix' (a table of numbers as colours: matrix, labels = row/column names), or 'scatter'
    (points in 2-D: points, groups = each point's colour group, marked = points drawn with a ring,
    e.g. mistakes). In 'images', the images whose positions are in `signed` are differences,
    drawn red/blue around zero."""

    kind: str
    title: str
    labels: list[Any] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    xlabel: str = ""
    ylabel: str = ""
    colors: list[str] = field(default_factory=list)
    image: list = field(default_factory=list)      # heatmap: H x W (grey) or H x W x C
    heat: list = field(default_factory=list)       # heatmap: H x W attributions
    images: list = field(default_factory=list)     # images: several H x W (x C) pixel arrays
    matrix: list = field(default_factory=list)     # matrix: rows of numbers
    signed: list = field(default_factory=list)     # images: positions of images drawn red/blue (differences)
    points: list = field(default_factory=list)     # scatter: [x, y] per point
    groups: list = field(default_factory=list)     # scatter: each point's group (its colour)
    marked: list = field(default_factory=list)     # scatter: positions of points ringed (mistakes)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ([], {}, "")}


@dataclass
class Reply:
    text: str
    table: pd.DataFrame | None = None
    figure: FigureSpec | None = None
    more: "Reply | None" = None


SAYERS: dict[type, Callable[[Any, Any], Reply]] = {}


def says(result_type: type):
    def register(fn):
        SAYERS[result_type] = fn
        return fn

    return register


def say(result, ctx) -> Reply:
    for cls in type(result).__mro__:
        if cls in SAYERS:
            return SAYERS[cls](result, ctx)
    raise TypeError(f"no verbaliser for {type(result).__name__}")


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{n:,} {word}"


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Page:
    """One page of a long table, shown on "tell me more". The page after it is made only when
    asked for, so a 48,842-row table costs nothing until someone pages through it."""

    figure = None

    def __init__(self, table: pd.DataFrame, title: str, size: int, offset: int) -> None:
        self._table, self._title, self._size, self._offset = table, title, size, offset
        end = min(offset + size, len(table))
        self.text = f"{title} (rows {offset + 1}–{end} of {len(table):,}):"
        self.table = table.iloc[offset:end]

    @property
    def more(self) -> "_Page | None":
        following = self._offset + self._size
        return _Page(self._table, self._title, self._size, following) if following < len(self._table) else None


def page(table: pd.DataFrame, title_more: str, size: int = 10, offset: int = 0) -> tuple[pd.DataFrame, Reply | None]:
    """First `size` rows of `table`, and the rest as follow-up replies made on demand."""
    shown = table.iloc[offset:offset + size]
    rest = _Page(table, title_more, size, offset + size) if len(table) > offset + size else None
    return shown, rest
