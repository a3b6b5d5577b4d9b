"""predict: the model's class for the selection (before and after any what-if)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, capitalise, page, pct, plural, says
from talk2model.query.whatif import whatif_notes


@dataclass
class PredictResult(Result):
    selection: str
    n: int
    predictions: dict[Any, Any]                 # id -> class value (or number, for regression)
    counts: dict[Any, int]                      # class -> number of rows
    before: dict[Any, Any] | None = None        # id -> class before the what-if
    flips: dict[str, int] = field(default_factory=dict)  # "a -> b" -> rows that changed
    probability: dict[str, float] | None = None  # one row + what-if: P(class) "before" / "after"
    notes: list[str] = field(default_factory=list)  # what-if values outside the data's range


@operation("predict", description="What the model predicts for one row or a group.",
           examples=("What does the model predict for applicant 12?",
                     "What would the model predict for people older than 50?"))
def predict(ctx, step) -> PredictResult:
    ctx.require_rows()
    pred = ctx.predictions()
    counts = {k: int(v) for k, v in pred.value_counts().sort_index().items()} \
        if ctx.schema.task == "classification" else {}
    result = PredictResult(selection=ctx.described(), n=len(pred),
                           predictions={i: v for i, v in pred.items()}, counts=counts)
    if ctx.whatifs:
        before = ctx.original_predictions()
        result.before = {i: v for i, v in before.items()}
        changed = before != pred
        for (a, b), n in pd.DataFrame({"a": before[changed], "b": pred[changed]}).value_counts().items():
            result.flips[f"{a} -> {b}"] = int(n)
        result.notes = whatif_notes(ctx.whatifs, ctx.schema, ctx.workspace.data, ctx.frame)
        if len(pred) == 1 and ctx.model.has_proba:
            cls = pred.iloc[0]
            result.probability = {"class": cls,
                                  "before": float(ctx.original_probabilities().iloc[0][cls]),
                                  "after": float(ctx.probabilities().iloc[0][cls])}
    return result


def class_text(schema, value) -> str:
    return schema.class_phrase(value) if schema.task == "classification" else fmt_number(value)


@says(PredictResult)
def say_predict(r: PredictResult, ctx) -> Reply:
    schema = ctx.schema
    if r.n == 1:
        (row_id, value), = r.predictions.items()
        text = f"The model predicts {class_text(schema, value)} for {r.selection}."
        if ctx.workspace.kind == "image" and r.before is None:
            ranked = ctx.probabilities().iloc[0].sort_values(ascending=False, kind="stable")
            text = text[:-1] + f" ({pct(float(ranked.iloc[0]))} sure"
            text += (f"; next {schema.class_phrase(ranked.index[1])} at {pct(float(ranked.iloc[1]))})."
                     if len(ranked) > 1 else ").")
        if r.before is not None:
            old = r.before[row_id]
            if old == value:
                text = (f"For {r.selection}, the prediction stays {class_text(schema, value)} "
                        f"(it was {class_text(schema, old)} before the change).")
            else:
                text = (f"For {r.selection}, the prediction changes from {class_text(schema, old)} "
                        f"to {class_text(schema, value)}.")
            if r.probability is not None:
                p = r.probability
                text += (f" The probability of {class_text(schema, p['class'])} goes from "
                         f"{pct(p['before'])} to {pct(p['after'])}.")
        return Reply(text + _notes_text(r.notes))
    if schema.task != "classification":
        values = pd.Series(r.predictions)
        return Reply(f"For {r.selection}, the model predicts on average {fmt_number(values.mean())} "
                     f"(from {fmt_number(values.min())} to {fmt_number(values.max())}).")
    parts = [f"{plural(n, schema.entity, schema.entity_plural)} ({pct(n / r.n)}) as {schema.class_phrase(c)}"
             for c, n in sorted(r.counts.items(), key=lambda kv: -kv[1])]
    text = f"For {r.selection}, the model predicts " + " and ".join(parts) + "."
    if r.before is not None:
        flipped = sum(r.flips.values())
        if flipped == 0:
            text += " None of the predictions change with this what-if."
        else:
            moves = "; ".join(f"{n:,} from {schema.class_phrase(_cls(k, 0, schema))} to "
                              f"{schema.class_phrase(_cls(k, 1, schema))}" for k, n in r.flips.items())
            text += f" {capitalise(plural(flipped, 'prediction'))} change: {moves}."
    text += _notes_text(r.notes)
    table = pd.DataFrame({"id": list(r.predictions), "prediction": [schema.class_phrase(v) for v in r.predictions.values()]})
    if r.before is not None:
        table.insert(1, "before", [schema.class_phrase(v) for v in r.before.values()])
    shown, more = page(table, "More predictions")
    return Reply(text, table=shown, more=more)


def _notes_text(notes: list[str]) -> str:
    """What-if values outside the data's range: allowed, but said."""
    if not notes:
        return ""
    return (" Note: " + "; ".join(notes) + ", so the model is extrapolating beyond what it has seen.")


def _cls(key: str, side: int, schema):
    raw = key.split(" -> ")[side]
    for value in schema.classes:
        if str(value) == raw:
            return value
    return raw
