"""dependence: how the model's prediction changes with one feature, all else kept as it is
(partial dependence with individual conditional expectation curves, sklearn.inspection), as a
line chart and a sentence about the trend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence

from talk2model.errors import OperationError
from talk2model.explainers.phrasing import feature_label
from talk2model.formatting import fmt_number, fmt_percent
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, says
from talk2model.workspace.schema import plain_value

MAX_ROWS = 500
GRID = 20
SEED = 0
FLAT = 0.01          # a range of the average curve below this (probability) reads as flat
JUMP = 0.4           # one step with at least this share of the range reads as a threshold


@dataclass
class DependenceResult(Result):
    selection: str
    n: int
    feature: str
    kind: str                      # numeric, categorical
    output: str                    # "probability of good credit risk" or "prediction"
    grid: list[Any]
    average: list[float]           # partial dependence at each grid value
    ice_low: list[float]           # 10th percentile of the individual curves
    ice_high: list[float]          # 90th percentile
    trend: str                     # rises, falls, flat, rises then falls, falls then rises, mixed
    threshold: float | None = None
    rows_used: int = 0
    opposite_share: float = 0.0    # share of individual curves moving against the average
    row_value: Any = None          # one row selected: its own value
    row_curve: list[float] = field(default_factory=list)


@operation("dependence", description="How the prediction changes with one feature (partial "
           "dependence and individual curves).",
           examples=("How does the prediction depend on age?", "How does glucose affect the model?",
                     "Show the effect of loan duration"))
def dependence(ctx, step) -> DependenceResult:
    ctx.require_rows()
    ws, schema = ctx.workspace, ctx.schema
    feature = step.feature
    if feature not in ws.model.feature_names:
        group = next((g for g, cols in schema.groups.items() if feature in cols), None)
        raise OperationError(f"the model does not read '{feature}' as one column"
                             + (f" (it is part of the group {group})" if group else ""))
    frame = ctx.frame
    sample = frame if len(frame) <= MAX_ROWS else frame.sample(MAX_ROWS, random_state=SEED)
    X = sample[ws.model.feature_names]
    spec = schema.features.get(feature)
    categorical = not pd.api.types.is_numeric_dtype(ws.data[feature]) or (spec is not None and spec.kind == "categorical")
    if not categorical and pd.api.types.is_integer_dtype(X[feature]):
        X = X.astype({feature: float})   # sklearn refuses integer columns (silent rounding)
    estimator = ws.model.estimator
    classification = ws.model.has_proba
    positive = None
    kwargs: dict[str, Any] = {"kind": "both"}
    if categorical:
        kwargs["categorical_features"] = [feature]
        values = sorted(pd.unique(ws.data[feature].dropna()), key=str)
        kwargs["custom_values"] = {feature: np.asarray(values, dtype=object)}
    else:
        # the grid comes from the whole data, so one row's curve covers the usual range too
        distinct = np.unique(ws.data[feature].dropna()).astype(float)
        if len(distinct) > GRID:
            distinct = np.unique(np.percentile(ws.data[feature].dropna().astype(float),
                                               np.linspace(5, 95, GRID)))
        kwargs["custom_values"] = {feature: distinct}
    if classification:
        kwargs["response_method"] = "predict_proba"
        classes = list(ws.model.classes_)
        positive = classes[1] if len(classes) == 2 else classes[-1]
    pdp = partial_dependence(estimator, X, [feature], **kwargs)
    grid = list(pdp["grid_values"][0])
    k = 0 if len(pdp["average"]) == 1 else list(ws.model.classes_).index(positive)
    average = np.asarray(pdp["average"][k], dtype=float)
    ice = np.asarray(pdp["individual"][k], dtype=float)
    trend, threshold = describe_trend(np.asarray(grid, dtype=float) if not categorical else None, average)
    total = average[-1] - average[0]
    opposite = float(np.mean(np.sign(ice[:, -1] - ice[:, 0]) == -np.sign(total))) if not categorical and abs(total) > 0 else 0.0
    output = f"probability of {schema.class_phrase(positive)}" if classification else "prediction"
    result = DependenceResult(
        selection=ctx.described(), n=len(frame), feature=feature,
        kind="categorical" if categorical else "numeric", output=output,
        grid=[plain_value(g) for g in grid], average=average.tolist(),
        ice_low=np.percentile(ice, 10, axis=0).tolist(), ice_high=np.percentile(ice, 90, axis=0).tolist(),
        trend=trend, threshold=threshold, rows_used=len(sample), opposite_share=opposite)
    if len(frame) == 1:
        result.row_value = plain_value(frame.iloc[0][feature])
        result.row_curve = ice[0].tolist()
    return result


def describe_trend(x: np.ndarray | None, y: np.ndarray) -> tuple[str, float | None]:
    """rises / falls / flat / rises then falls / falls then rises / mixed, and a threshold (the
    middle of the one step that makes most of the change) when there is one."""
    span = float(y.max() - y.min())
    if x is None:
        return ("flat" if span < FLAT else "varies"), None
    if span < FLAT:
        return "flat", None
    steps = np.diff(y)
    big = np.abs(steps) >= 0.05 * span
    signs = np.sign(steps[big])
    if len(signs) == 0 or (signs > 0).all():
        trend = "rises"
    elif (signs < 0).all():
        trend = "falls"
    else:
        peak, trough = int(np.argmax(y)), int(np.argmin(y))
        if 0 < peak < len(y) - 1 and y[0] < y[peak] - 0.2 * span and y[-1] < y[peak] - 0.2 * span:
            trend = "rises then falls"
        elif 0 < trough < len(y) - 1 and y[0] > y[trough] + 0.2 * span and y[-1] > y[trough] + 0.2 * span:
            trend = "falls then rises"
        else:
            trend = "rises" if y[-1] - y[0] > 0.5 * span else "falls" if y[0] - y[-1] > 0.5 * span else "mixed"
    threshold = None
    j = int(np.argmax(np.abs(steps)))
    if trend in ("rises", "falls") and abs(steps[j]) >= JUMP * span:
        threshold = float((x[j] + x[j + 1]) / 2)
    return trend, threshold


@says(DependenceResult)
def say_dependence(r: DependenceResult, ctx) -> Reply:
    schema = ctx.schema
    label = feature_label(schema, r.feature)
    unit = schema.features[r.feature].unit if r.feature in schema.features else ""
    unit = f" {unit}" if unit else ""
    avg = np.asarray(r.average)
    about = f"for {r.selection}" + (f" (a sample of {r.rows_used:,})" if r.rows_used < r.n else "")
    # the output in the answer's units: a probability as a percentage, a prediction as a number
    out = fmt_percent if r.output.startswith("probability") else fmt_number
    if r.kind == "categorical":
        hi, lo = int(np.argmax(avg)), int(np.argmin(avg))
        text = (f"Keeping everything else as it is {about}, the model's {r.output} is highest when {label} "
                f"is '{r.grid[hi]}' ({out(avg[hi])}) and lowest when it is '{r.grid[lo]}' ({out(avg[lo])}).")
        figure = FigureSpec(kind="bar", title=f"Partial dependence on {label}", labels=[str(g) for g in r.grid],
                            values=r.average, xlabel=f"average {r.output}", percent=out is fmt_percent)
    else:
        start, end = f"{fmt_number(r.grid[0])}{unit}", f"{fmt_number(r.grid[-1])}{unit}"
        where = f"as {label} goes from {start} to {end}"
        if r.trend == "flat":
            text = (f"Keeping everything else as it is {about}, the model's {r.output} barely changes {where} "
                    f"(it stays between {out(avg.min())} and {out(avg.max())}).")
        else:
            verb = {"rises": "rises", "falls": "falls", "rises then falls": "rises and then falls",
                    "falls then rises": "falls and then rises", "mixed": "goes up and down"}[r.trend]
            text = (f"Keeping everything else as it is {about}, the model's {r.output} {verb} {where}, "
                    f"from {out(avg[0])} to {out(avg[-1])} on average (between {out(avg.min())} and {out(avg.max())}).")
            if r.threshold is not None:
                text += f" Most of the change happens near {label} = {fmt_number(r.threshold)}{unit}."
            if r.opposite_share >= 0.1:
                text += f" For {fmt_percent(r.opposite_share)} of the individual {schema.entity_plural} it moves the other way."
        series = {f"average {r.output}": r.average, "10th percentile of individual curves": r.ice_low,
                  "90th percentile of individual curves": r.ice_high}
        if r.row_curve:
            series = {f"{r.selection}": r.row_curve, **{k: v for k, v in series.items() if k.startswith("average")}}
        figure = FigureSpec(kind="line", title=f"Partial dependence on {label}", x=[float(g) for g in r.grid],
                            series=series, xlabel=f"{label}{unit}", ylabel=r.output, percent=out is fmt_percent)
    if r.row_curve:
        own = fmt_number(r.row_value) if not isinstance(r.row_value, str) else repr(r.row_value)
        text = text.replace(" on average", "") + f" (Their own {label} is {own}{unit if r.kind == 'numeric' else ''}.)"
    table = pd.DataFrame({label: r.grid, f"average {r.output}": [out(v) for v in r.average]})
    return Reply(text, table=table, figure=figure)
