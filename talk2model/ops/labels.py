"""labels: the true outcomes recorded in the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, page, pct, plural, says


@dataclass
class LabelsResult(Result):
    selection: str
    n: int
    labels: dict[Any, Any]          # id -> true class
    counts: dict[Any, int]          # class -> rows


@operation("labels", description="The true outcomes recorded in the data.",
           examples=("What is the true label of applicant 12?", "What are the actual outcomes for renters?"))
def labels(ctx, step) -> LabelsResult:
    ctx.require_rows()
    y = ctx.labels
    return LabelsResult(selection=ctx.described(), n=len(y), labels=dict(y.items()),
                        counts={k: int(v) for k, v in y.value_counts().sort_index().items()})


@says(LabelsResult)
def say_labels(r: LabelsResult, ctx) -> Reply:
    schema = ctx.schema
    if r.n == 1:
        (_, value), = r.labels.items()
        return Reply(f"In the data, {r.selection} is recorded as {schema.class_phrase(value)}.")
    parts = [f"{plural(n, schema.entity, schema.entity_plural)} ({pct(n / r.n)}) {schema.class_phrase(c)}"
             for c, n in sorted(r.counts.items(), key=lambda kv: -kv[1])]
    table = pd.DataFrame({"id": list(r.labels), "true outcome": [schema.class_phrase(v) for v in r.labels.values()]})
    shown, more = page(table, "More true outcomes")
    return Reply(f"In the data, {r.selection} are recorded as: " + ", ".join(parts) + ".",
                 table=shown, more=more)
