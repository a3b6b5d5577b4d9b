"""describe_data: what the data set is — rows, features, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, check_sentences, pct, says


@dataclass
class DescribeDataResult(Result):
    title: str
    description: str
    rows: int
    features: list[dict[str, Any]]
    target: str
    outcome_counts: dict[Any, int]
    checks: dict[str, Any] | None = None     # talk2model.workspace.checks: leakage, imbalance, training


@operation("describe_data", description="What the data set is about: its rows, features and outcomes.",
           examples=("What data is this?", "Tell me about the dataset.", "What features are there?"))
def describe_data(ctx, step) -> DescribeDataResult:
    ws = ctx.workspace
    if ws.kind == "image":
        from talk2model.ops import image_answers

        return image_answers.describe_data(ctx, step)
    feats = [{"feature": f.name, "type": f.kind, "description": f.description or f.words,
              "unit": f.unit, "can a person change it": "yes" if f.actionable else "no",
              "only moves": f.direction or "",
              "missing-value codes": ", ".join(map(str, f.missing_values))}
             for f in ws.schema.features.values()]
    return DescribeDataResult(title=ws.schema.title, description=ws.schema.description,
                              rows=len(ws.data), features=feats, target=ws.schema.target,
                              outcome_counts={k: int(v) for k, v in ws.y.value_counts().items()},
                              checks=ws.checks.to_json())


@says(DescribeDataResult)
def say_describe_data(r: DescribeDataResult, ctx) -> Reply:
    schema = ctx.schema
    outcomes = ", ".join(f"{pct(n / r.rows)} {schema.class_phrase(c)}" for c, n in r.outcome_counts.items()) \
        if schema.task == "classification" else ""
    text = (f"{r.title}: {r.description} There are {r.rows:,} {schema.entity_plural} and "
            f"{len(r.features)} features; the outcome ({r.target}) is {outcomes}.")
    warnings = check_sentences(ctx.workspace.checks, schema)
    if warnings:
        text += " Checks: " + "; ".join(warnings) + "."
    else:
        text += " Checks: no feature alone predicts the outcome suspiciously well, and the classes are not imbalanced."
    return Reply(text, table=pd.DataFrame(r.features))
