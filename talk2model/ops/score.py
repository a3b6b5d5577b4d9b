"""score: how well the model does, on rows it was not trained on (when that is known)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from talk2model.errors import OperationError
from talk2model.ops.registry import Result, operation
from talk2model.verbalize import Reply, pct, says

METRIC_NAMES = {"accuracy": "accuracy", "f1": "F1 score", "precision": "precision",
                "recall": "recall (true-positive rate)", "specificity": "specificity (true-negative rate)",
                "roc_auc": "ROC AUC", "npv": "negative predictive value", "mae": "mean absolute error",
                "rmse": "root mean squared error", "r2": "R²"}


def evaluation_rows(ctx) -> tuple[pd.DataFrame, str]:
    """The selected rows the model was not trained on, and a note saying which rows were used."""
    frame = ctx.frame
    unknown = frame[ctx.schema.target].isna().to_numpy()
    unlabelled = (f"; {int(unknown.sum()):,} without a true label (uploaded) left out" if unknown.any() else "")
    held = ctx.workspace.held_out_mask(frame.index) & ~unknown
    if ctx.workspace.train_ids and not held.all():
        dropped = int((~held).sum() - unknown.sum())
        note = (f"on the {int(held.sum()):,} of them the model was not trained on "
                f"({dropped:,} training rows left out{unlabelled})")
        return frame[held], note
    if unknown.any():
        return frame[~unknown], f"on the {int((~unknown).sum()):,} of them with a true label" + unlabelled
    return frame, ""


def positive_class(schema, classes) -> Any:
    return max(classes) if len(classes) else None


def compute_metric(metric: str, y, pred, proba=None, *, pos=None) -> float:
    y, pred = np.asarray(y), np.asarray(pred)
    if metric == "accuracy":
        return float(skm.accuracy_score(y, pred))
    if metric in ("f1", "precision", "recall"):
        fn = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[metric]
        return float(fn(y, pred, pos_label=pos, zero_division=0))
    if metric == "specificity":
        neg = y != pos
        return float(np.mean(pred[neg] != pos)) if neg.any() else float("nan")
    if metric == "npv":
        said_neg = pred != pos
        return float(np.mean(y[said_neg] != pos)) if said_neg.any() else float("nan")
    if metric == "roc_auc":
        if proba is None or len(set(y)) < 2:
            return float("nan")
        return float(skm.roc_auc_score(y == pos, proba))
    if metric == "mae":
        return float(skm.mean_absolute_error(y, pred))
    if metric == "rmse":
        return float(np.sqrt(skm.mean_squared_error(y, pred)))
    if metric == "r2":
        return float(skm.r2_score(y, pred))
    raise OperationError(f"unknown metric '{metric}'")


@dataclass
class ScoreResult(Result):
    metric: str
    value: float | None
    n: int
    selection: str
    rows_note: str
    positive_class: Any = None


@operation("score", description="How accurate the model is (accuracy, F1, precision, recall, ...).",
           examples=("How accurate is the model?", "What is the model's recall for women?",
                     "What's the F1 score on applicants over 60?"))
def score(ctx, step) -> ScoreResult:
    ctx.require_rows()
    rows, note = evaluation_rows(ctx)
    if len(rows) == 0:
        raise OperationError(f"the model was trained on all of {ctx.described()}, so there is "
                             "nothing left to score it on honestly")
    schema = ctx.schema
    pred = ctx.predictions().loc[rows.index]
    y = rows[schema.target]
    pos = positive_class(schema, list(schema.classes)) if schema.task == "classification" else None
    proba = None
    if step.metric == "roc_auc" and ctx.model.has_proba:
        proba = ctx.probabilities().loc[rows.index][pos].to_numpy()
    value = compute_metric(step.metric, y, pred, proba, pos=pos)
    return ScoreResult(metric=step.metric, value=None if np.isnan(value) else value, n=len(rows),
                       selection=ctx.described(), rows_note=note, positive_class=pos)


@says(ScoreResult)
def say_score(r: ScoreResult, ctx) -> Reply:
    name = METRIC_NAMES[r.metric]
    where = f" {r.rows_note}" if r.rows_note else ""
    if r.value is None:
        return Reply(f"The {name} cannot be computed for {r.selection}{where}: "
                     "it needs both outcomes to be present.")
    shown = pct(r.value) if r.metric in ("accuracy", "precision", "recall", "specificity", "npv", "f1") \
        else f"{r.value:.3f}"
    text = f"The model's {name} on {r.selection} is {shown}{where} ({r.n:,} rows)."
    if r.metric in ("f1", "precision", "recall", "specificity", "npv", "roc_auc") and r.positive_class is not None:
        text += f" The positive class is {ctx.schema.class_phrase(r.positive_class)}."
    return Reply(text)
