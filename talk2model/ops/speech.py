"""What an operation's verbaliser says with: `Reply` and `FigureSpec`, the `@says` registry, and
the shared phrasing (percentages, plurals, paging a long table, rows as answers show them, the
small-group rule, model units defined once, data checks in words).

It sits in the operations' layer, so an operation's module keeps its verbaliser beside its run
function without importing `talk2model.verbalize` above it; `verbalize.say` dispatches a result
to the verbaliser registered here, and `verbalize.tables` / `verbalize.plots` turn a `Reply`'s
table and figure into Markdown and PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from talk2model.formatting import fmt_cell, fmt_interval, fmt_number, fmt_percent, fmt_points  # noqa: F401  (for verbalisers)


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
    percent: bool = False          # values are shares: drawn and labelled as percentages (fmt_percent)
    image: list = field(default_factory=list)      # heatmap: H x W (grey) or H x W x C
    heat: list = field(default_factory=list)       # heatmap: H x W attributions
    images: list = field(default_factory=list)     # images: several H x W (x C) pixel arrays
    matrix: list = field(default_factory=list)     # matrix: rows of numbers
    signed: list = field(default_factory=list)     # images: positions of images drawn red/blue (differences)
    points: list = field(default_factory=list)     # scatter: [x, y] per point
    groups: list = field(default_factory=list)     # scatter: each point's group (its colour)
    marked: list = field(default_factory=list)     # scatter: positions of points ringed (mistakes)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ([], {}, "", False)}


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


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{n:,} {word}"


def pct(x: float) -> str:
    """A share as a percentage, the same everywhere: 0.579 -> '57.9%' (`formatting.fmt_percent`)."""
    return fmt_percent(x)


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


# ---- the small-group rule in words (talk2model.explainers.uncertainty) ---------------------------
MSG_TOO_SMALL = ("Too few to judge: this rests on {n} {rows}, and a figure needs at least {least} rows and a "
                 "95% interval at most {width} points wide before it says much about the model.")


def too_small_text(n: int) -> str:
    from talk2model.explainers.uncertainty import MAX_WIDTH, MIN_ROWS

    return MSG_TOO_SMALL.format(n=f"{n:,}", rows="row" if n == 1 else "rows", least=MIN_ROWS,
                                width=round(100 * MAX_WIDTH))


def rows_as_shown(rows: pd.DataFrame, schema) -> pd.DataFrame:
    """Rows as answers show them: the outcome as its class phrase, coded numbers with their meaning
    ('2 (skilled)'), flags as yes / no, categories as people write them (`value_text`), columns by
    their labels with the unit ('credit amount (DM)')."""
    from talk2model.workspace.schema import value_text

    out = rows.copy()
    for column in out.columns:
        if column in schema.features or column == schema.target:
            out[column] = [value_text(schema, column, v) for v in out[column]]
    return out.rename(columns={schema.target: "true outcome", **{
        name: f"{f.label} ({f.unit})" if f.unit and f.kind == "numeric" else f.label
        for name, f in schema.features.items()}})


# ---- model units, explained once ----------------------------------------------------------------
# A one-line meaning for each model unit, given the first time it appears in a conversation.
TERMS = {
    "log-odds": ("log-odds are the model's score before it becomes a probability: 0 is an even "
                 "chance, and each step of 1 multiplies the odds by about 2.7"),
    "SHAP": ("a SHAP value is how far one feature moved that score away from its average over the "
             "data, the others taken into account"),
    "LIME": ("LIME fits a simple model to the model's answers on made-up cases near this one and "
             "reads each feature's weight from it"),
}


def terms_in(text: str) -> list[str]:
    return [term for term in TERMS if term in text]


def define_terms(text: str, state=None) -> str:
    """The meanings of the model units `text` uses that this conversation has not had yet
    ("" when none), as sentences; the conversation (`state.defined`) remembers them."""
    seen = getattr(state, "defined", None)
    fresh = [t for t in terms_in(text) if seen is None or t not in seen]
    if seen is not None:
        seen.update(fresh)
    return " ".join(capitalise(TERMS[t]) + "." for t in fresh)


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ---- data checks (talk2model.workspace.checks) in words -------------------------------------------
MSG_LEAK_AUC = ("{label} alone predicts the outcome almost perfectly (ROC AUC {auc}): possible leakage — "
                "it may be recorded with or after the outcome")
MSG_LEAK_AFTER = ("{label} reads as recorded after the outcome (“{words}”): possible leakage — a model "
                  "that uses it is told part of what it should predict")
MSG_IMBALANCED = ("the classes are imbalanced: {shares}, so accuracy alone misleads (always predicting "
                  "{majority} would be right {share} of the time)")
MSG_TRAINING_UNKNOWN = ("which rows the model was trained on is not known, so no row can be called held "
                        "out and scores on this data may be better than on new data")


def check_sentences(checks, schema) -> list[str]:
    """The data checks that need saying, as sentences without a full stop (leakage, imbalance,
    unknown training rows); an empty list when all is well."""
    out = []
    for item in checks.leakage:
        label = schema.features[item["feature"]].label if item["feature"] in schema.features else item["feature"]
        if item["reason"] == "auc":
            out.append(MSG_LEAK_AUC.format(label=capitalise(label), auc=fmt_number(item["auc"])))
        else:
            out.append(MSG_LEAK_AFTER.format(label=capitalise(label), words=item["words"]))
    if checks.imbalanced:
        shares = ", ".join(f"{fmt_percent(v)} {schema.class_phrase(k)}" for k, v in checks.class_shares.items())
        out.append(MSG_IMBALANCED.format(shares=shares, majority=schema.class_phrase(checks.majority),
                                         share=fmt_percent(checks.class_shares[checks.majority])))
    if checks.training == "unknown":
        out.append(MSG_TRAINING_UNKNOWN)
    return out
