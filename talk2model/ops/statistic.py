"""statistic: summary statistics of one feature (or of the true outcome) over the selection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, pct, says
from talk2model.workspace.schema import feature_label, value_text


@dataclass
class StatisticResult(Result):
    feature: str
    selection: str
    n: int
    kind: str                                   # numeric | categorical
    summary: dict[str, float] = field(default_factory=dict)   # mean, std, min, 25%, 50%, 75%, max
    counts: dict[Any, int] = field(default_factory=dict)


@operation("statistic", description="Summary statistics of a feature: average, range, spread or counts.",
           examples=("What is the average age of the applicants?", "What's the distribution of glucose for patients over 50?",
                     "How are the outcomes distributed?"))
def statistic(ctx, step) -> StatisticResult:
    ctx.require_rows()
    schema = ctx.schema
    name = step.feature
    if name in ("target", "label", schema.target):
        series, kind, name = ctx.labels, "categorical", "target"
    elif name == "prediction":
        series, kind = ctx.predictions(), "categorical"
    elif name == "confidence":
        if not ctx.model.has_proba:
            from talk2model.errors import OperationError

            raise OperationError("this model gives no probabilities, so it has no confidence")
        series, kind = ctx.probabilities().max(axis=1), "numeric"
    else:
        series = ctx.frame[name]
        kind = "numeric" if schema.features[name].kind == "numeric" else "categorical"
    result = StatisticResult(feature=name, selection=ctx.described(), n=len(series), kind=kind)
    if kind == "numeric":
        desc = series.describe()
        result.summary = {k: float(desc[k]) for k in ("mean", "std", "min", "25%", "50%", "75%", "max")}
    else:
        result.counts = {k: int(v) for k, v in series.value_counts().items()}
    return result


@says(StatisticResult)
def say_statistic(r: StatisticResult, ctx) -> Reply:
    schema = ctx.schema
    label = feature_label(schema, r.feature)
    if r.kind == "numeric":
        s = r.summary
        unit = schema.features[r.feature].unit if r.feature in schema.features else ""
        if r.feature == "confidence":
            text = (f"For {r.selection}, the model's confidence (its probability of the class it "
                    f"predicts) averages {pct(s['mean'])} (median {pct(s['50%'])}, from {pct(s['min'])} "
                    f"to {pct(s['max'])}).")
            # percentages, as the text gives them (the spread too: a share's standard deviation)
            table = pd.DataFrame({"statistic": list(s), label: [pct(v) for v in s.values()]})
            return Reply(text, table=table)
        u = f" {unit}" if unit else ""
        std = "" if pd.isna(s["std"]) else f", standard deviation {fmt_number(s['std'])}"
        text = (f"For {r.selection}, {label} averages {fmt_number(s['mean'])}{u} "
                f"(median {fmt_number(s['50%'])}, from {fmt_number(s['min'])} to {fmt_number(s['max'])}{std}).")
        # the same numbers as the text (the table writer formats them the same way), unit in the header
        table = pd.DataFrame({"statistic": list(s), f"{label}{f' ({unit})' if unit else ''}": list(s.values())})
        return Reply(text, table=table)

    def name_of(value):
        if r.feature in ("target", "prediction"):
            return schema.class_phrase(value)
        return value_text(schema, r.feature, value)

    parts = [f"{name_of(v)}: {n:,} ({pct(n / r.n)})" for v, n in r.counts.items()]
    text = f"For {r.selection}, {label} — " + ", ".join(parts) + "."
    figure = FigureSpec("bar", f"{label} — {r.selection}", labels=[name_of(v) for v in r.counts],
                        values=list(r.counts.values()), xlabel="rows")
    table = pd.DataFrame({label: [name_of(v) for v in r.counts], "rows": list(r.counts.values()),
                          "share": [pct(n / r.n) for n in r.counts.values()]})
    return Reply(text, table=table, figure=figure)
