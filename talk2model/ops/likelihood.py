"""likelihood: how sure the model is — class probabilities for one row or a group."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.errors import OperationError
from talk2model.formatting import fmt_points
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, page, pct, says
from talk2model.query.whatif import whatif_notes


@dataclass
class LikelihoodResult(Result):
    selection: str
    n: int
    probabilities: dict[Any, dict[Any, float]]   # id -> class -> probability
    mean: dict[Any, float]                       # class -> mean probability over the selection
    top: int | None = None                       # the k most likely classes asked for
    ranked: dict[Any, list] = field(default_factory=dict)  # one row: [[class, probability], ...] best first
    before_mean: dict[Any, float] | None = None
    flips: dict[str, int] = field(default_factory=dict)  # what-if: "a -> b" -> rows whose class changed
    notes: list[str] = field(default_factory=list)        # what-if values outside the data's range


SHOWN_CLASSES = 3   # with more than four classes, an answer names the three most likely unless asked


@operation("likelihood", description="How likely each outcome is, according to the model (or its top k guesses).",
           examples=("How likely is applicant 12 to be a good credit risk?",
                     "What is the probability of diabetes for patients over 60?",
                     "What are the model's top 3 guesses for image 40?"))
def likelihood(ctx, step) -> LikelihoodResult:
    ctx.require_rows()
    if not ctx.model.has_proba:
        raise OperationError("this model does not give probabilities, only predictions")
    proba = ctx.probabilities()
    result = LikelihoodResult(
        selection=ctx.described(), n=len(proba),
        probabilities={i: {c: float(p) for c, p in row.items()} for i, row in proba.iterrows()},
        mean={c: float(v) for c, v in proba.mean().items()}, top=step.top)
    if len(proba) == 1:
        row = proba.iloc[0].sort_values(ascending=False, kind="stable")
        result.ranked = {proba.index[0]: [[c, float(p)] for c, p in row.items()]}
    if ctx.whatifs:
        result.before_mean = {c: float(v) for c, v in ctx.original_probabilities().mean().items()}
        result.notes = whatif_notes(ctx.whatifs, ctx.schema, ctx.workspace.data, ctx.frame)
        before, after = ctx.original_predictions(), ctx.predictions()
        changed = before != after
        for (a, b), n in pd.DataFrame({"a": before[changed], "b": after[changed]}).value_counts().items():
            result.flips[f"{a} -> {b}"] = int(n)
    return result


@says(LikelihoodResult)
def say_likelihood(r: LikelihoodResult, ctx) -> Reply:
    schema = ctx.schema
    ordered = sorted(r.mean.items(), key=lambda kv: -kv[1])
    k = r.top or (len(ordered) if len(ordered) <= 4 else SHOWN_CLASSES)
    named = ordered[:k]
    figure = FigureSpec("bar", f"Probability of each outcome — {r.selection}",
                        labels=[schema.class_phrase(c) for c, _ in ordered[:max(k, 10)]],
                        values=[p for _, p in ordered[:max(k, 10)]], xlabel="probability", percent=True)
    rest = len(ordered) - len(named)
    others = (f"; the other {rest} outcomes share {pct(sum(p for _, p in ordered[k:]))}" if rest else "")
    if r.n == 1:
        top, p = named[0]
        guesses = "" if not r.top else (f"The model's top guess{'es' if k > 1 else ''} for {r.selection}: ")
        text = (guesses + (f"{schema.class_phrase(top)} ({pct(p)})" + "".join(
                    f", then {schema.class_phrase(c)} ({pct(q)})" for c, q in named[1:]) if r.top else
                f"The model gives {r.selection} a {pct(p)} probability of {schema.class_phrase(top)}"
                + "".join(f" and {pct(q)} of {schema.class_phrase(c)}" for c, q in named[1:])) + others + ".")
    else:
        text = (f"For {r.selection}, the model's average probability of "
                + " and ".join(f"{schema.class_phrase(c)} is {pct(p)}" for c, p in named) + others + ".")
    if r.before_mean is not None:
        top = ordered[0][0]
        before, after = r.before_mean[top], r.mean[top]
        direction = "up" if after > before else "down" if after < before else "unchanged"
        text += (f" Before the change it was {pct(before)} for {schema.class_phrase(top)}"
                 f" ({direction}{'' if direction == 'unchanged' else ' ' + fmt_points(abs(after - before))}).")
        if r.n > 1:
            flipped = sum(r.flips.values())
            moves = "; ".join(f"{n:,} from {schema.class_phrase(_side(k, 0, schema))} to "
                              f"{schema.class_phrase(_side(k, 1, schema))}" for k, n in r.flips.items())
            text += (f" {flipped:,} of the {r.n:,} predicted classes change: {moves}." if flipped
                     else " No predicted class changes with it.")
        if r.notes:
            text += " Note: " + "; ".join(r.notes) + ", so the model is extrapolating beyond what it has seen."
    table = None
    more = None
    if r.n == 1 and rest:
        table = pd.DataFrame({"outcome": [schema.class_phrase(c) for c, _ in ordered],
                              "probability": [pct(p) for _, p in ordered]})   # as the text gives them
        table, more = page(table, "More outcomes", k)
    if r.n > 1:
        frame = pd.DataFrame(r.probabilities).T.map(pct)        # percentages, as the text gives them
        frame.columns = [f"P({schema.class_phrase(c)})" for c in frame.columns]
        frame.index.name = "id"
        table, more = page(frame.reset_index(), "More probabilities")
    return Reply(text, table=table, figure=figure, more=more)


def _side(key: str, side: int, schema):
    raw = key.split(" -> ")[side]
    return next((value for value in schema.classes if str(value) == raw), raw)
