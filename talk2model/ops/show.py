"""show: the selected rows themselves, ten at a time."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from talk2model.ops.registry import Result, jsonable, operation
from talk2model.ops.speech import Reply, page, rows_as_shown, says
from talk2model.workspace.schema import value_text

PAGE = 10


JSON_ROWS = 100  # the JSON form (API, audit store) keeps the first rows; the chat pages through all


@dataclass
class ShowResult(Result):
    selection: str
    n: int
    rows: pd.DataFrame

    def to_json(self) -> dict:
        return {"selection": self.selection, "n": self.n, "rows": jsonable(self.rows.head(JSON_ROWS)),
                "rows_truncated": self.n > JSON_ROWS}


@operation("show", description="Show the data of one row or a group.",
           examples=("Show me applicant 12.", "Show the women older than 60.", "Show me the 9s it gets wrong."))
def show(ctx, step) -> ShowResult:
    ctx.require_rows()
    if ctx.workspace.kind == "image":   # the images themselves, with label, prediction, confidence
        from talk2model.ops import image_answers

        return image_answers.show(ctx, step)
    return ShowResult(selection=ctx.described(), n=len(ctx.frame), rows=ctx.frame)


@says(ShowResult)
def say_show(r: ShowResult, ctx) -> Reply:
    schema = ctx.schema
    table = rows_as_shown(r.rows, schema).reset_index()
    shown, more = page(table, "More rows", PAGE)
    if r.n == 1:
        row = r.rows.iloc[0]
        def unit(c: str) -> str:
            spec = schema.features.get(c)
            return f" {spec.unit}" if spec is not None and spec.unit and spec.kind == "numeric" else ""

        facts = ", ".join(f"{schema.features[c].label if c in schema.features else c} "
                          f"{value_text(schema, c, row[c])}{unit(c)}"
                          for c in r.rows.columns if c != schema.target)
        text = (f"{r.selection[:1].upper() + r.selection[1:]}: {facts}; true outcome: "
                f"{schema.class_phrase(row[schema.target])}.")
        return Reply(text, table=shown)
    text = f"Here {'are' if r.n > 1 else 'is'} {r.selection}"
    text += f" (the first {PAGE}; say \"more\" for the rest)." if more else "."
    return Reply(text, table=shown, more=more)
