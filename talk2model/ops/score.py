"""score: how well the model does, on rows it was not trained on (when that is known), with its
count and a 95% interval: Wilson for shares (accuracy, precision, recall, specificity, NPV), a
bootstrap for the rest (F1, ROC AUC, errors of a regression). Below the small-group rule (fewer than
30 rows, or an interval wider than 30 points) the answer first says the group is too small to judge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from talk2model.errors import OperationError
from talk2model.explainers import uncertainty as unc
from talk2model.formatting import fmt_interval, fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, pct, says, too_small_text

METRIC_NAMES = {"accuracy": "accuracy", "f1": "F1 score", "precision": "precision",
                "recall": "recall (true-positive rate)", "specificity": "specificity (true-negative rate)",
                "roc_auc": "ROC AUC", "npv": "negative predictive value", "mae": "mean absolute error",
                "rmse": "root mean squared error", "r2": "R²"}


NOTE_TRAINING_UNKNOWN = ("on all of them: which rows the model was trained on is not known, so some "
                         "may be training rows and the figure may be better than on new data")
SHARES = ("accuracy", "precision", "recall", "specificity", "npv")   # a count of rows out of rows
TWO_CLASS = ("f1", "precision", "recall", "specificity", "npv")      # need one positive class of two
ERR_MULTICLASS = ("the {name} is measured for one positive class against one other; this model has {k} "
                  "classes, so ask for its accuracy, the confusion between classes, or its mistakes")


def classified_rows(ctx, needs: str, what: str) -> tuple[pd.DataFrame, str]:
    """The evaluation rows of an operation that only a classifier answers ("a confusion matrix
    is", "mistakes are counted"), saying so plainly when the model is not one or was trained on
    every selected row ("its mistakes there say little")."""
    ctx.require_rows()
    if ctx.schema.task != "classification":
        raise OperationError(f"{needs} for classification models; ask for the score (mae, rmse) instead")
    rows, note = evaluation_rows(ctx)
    if len(rows) == 0:
        raise OperationError(f"the model was trained on all of {ctx.described()}, so its {what} there say little")
    return rows, note


def evaluation_rows(ctx) -> tuple[pd.DataFrame, str]:
    """The selected rows the model was not trained on, and a note saying which rows were used
    (when the training rows are not known: all rows, and a note that says so — never "held out")."""
    frame = ctx.frame
    unknown = frame[ctx.schema.target].isna().to_numpy()     # uploaded images: no true label
    unlabelled = (f"; {int(unknown.sum()):,} without a true label (uploaded) left out" if unknown.any() else "")
    if not ctx.workspace.training_known:
        if unknown.any():
            return (frame[~unknown], NOTE_TRAINING_UNKNOWN.replace(
                "on all of them", f"on the {int((~unknown).sum()):,} of them with a true label") + unlabelled)
        return frame, NOTE_TRAINING_UNKNOWN
    held = ctx.workspace.held_out_mask(frame.index) & ~unknown
    dropped = int((~held).sum() - unknown.sum())
    if dropped:
        note = (f"on the {int(held.sum()):,} of them the model was not trained on "
                f"({dropped:,} training rows left out{unlabelled})")
        return frame[held], note
    if unknown.any():
        return frame[~unknown], f"on the {int((~unknown).sum()):,} of them with a true label" + unlabelled
    return frame, ""


def share_counts(metric: str, y, pred, pos) -> tuple[int, int]:
    """(count, out of) behind a share: accuracy = right of all; precision = truly positive of
    predicted positive; recall = predicted positive of truly positive; specificity = predicted
    negative of truly negative; NPV = truly negative of predicted negative."""
    y, pred = np.asarray(y), np.asarray(pred)
    if metric == "accuracy":
        return int((y == pred).sum()), len(y)
    if metric == "precision":
        said = pred == pos
        return int((y[said] == pos).sum()), int(said.sum())
    if metric == "recall":
        real = y == pos
        return int((pred[real] == pos).sum()), int(real.sum())
    if metric == "specificity":
        real = y != pos
        return int((pred[real] != pos).sum()), int(real.sum())
    said = pred != pos                                      # npv
    return int((y[said] != pos).sum()), int(said.sum())


def _f1(cells: np.ndarray) -> np.ndarray:
    tp, fp, fn = cells[:, 0], cells[:, 1], cells[:, 2]
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 0.0)


def interval(metric: str, y, pred, proba=None, *, pos=None) -> unc.Rate | unc.Estimate | None:
    """The 95% interval of a metric: a Wilson `Rate` for shares, a bootstrap `Estimate` otherwise."""
    y, pred = np.asarray(y), np.asarray(pred)
    if metric in SHARES:
        count, n = share_counts(metric, y, pred, pos)
        return unc.rate(count, n) if n else None
    if metric == "f1":
        cells = [int(((pred == pos) & (y == pos)).sum()), int(((pred == pos) & (y != pos)).sum()),
                 int(((pred != pos) & (y == pos)).sum()), int(((pred != pos) & (y != pos)).sum())]
        return unc.bootstrap_cells(_f1, cells)
    if metric == "roc_auc":
        return unc.bootstrap_auc(y == pos, proba) if proba is not None else None
    fn = {"mae": lambda a, b: np.mean(np.abs(a - b)), "rmse": lambda a, b: np.sqrt(np.mean((a - b) ** 2)),
          "r2": lambda a, b: 1 - np.sum((a - b) ** 2) / np.sum((a - a.mean()) ** 2) if np.ptp(a) else np.nan}[metric]
    return unc.bootstrap(fn, y.astype(float), pred.astype(float))


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
    n: int                                   # rows the score was measured on
    selection: str
    rows_note: str
    positive_class: Any = None
    count: int | None = None                 # a share: the count behind it ...
    of: int | None = None                    # ... out of this many rows
    low: float | None = None                 # its 95% interval
    high: float | None = None
    interval: str = ""                       # wilson | bootstrap
    too_small: bool = False                  # the small-group rule: too few rows to judge
    training_known: bool = True


@operation("score", description="How accurate the model is (accuracy, F1, precision, recall, ...).",
           examples=("How accurate is the model?", "What is the model's recall for women?",
                     "What's the F1 score on applicants over 60?"))
def score(ctx, step) -> ScoreResult:
    ctx.require_rows()
    everything = _score_everything(ctx, step)
    if everything is not None:
        return everything
    rows, note = evaluation_rows(ctx)
    if len(rows) == 0:
        raise OperationError(f"the model was trained on all of {ctx.described()}, so there is "
                             "nothing left to score it on honestly")
    schema = ctx.schema
    if schema.task == "classification" and len(schema.classes) > 2 and step.metric in TWO_CLASS:
        raise OperationError(ERR_MULTICLASS.format(name=METRIC_NAMES[step.metric], k=len(schema.classes)))
    pred = ctx.predictions().loc[rows.index]
    y = rows[schema.target]
    pos = positive_class(schema, list(schema.classes)) if schema.task == "classification" else None
    proba = None
    if step.metric == "roc_auc" and ctx.model.has_proba:
        proba = ctx.probabilities().loc[rows.index][pos].to_numpy()
    value = compute_metric(step.metric, y, pred, proba, pos=pos)
    result = ScoreResult(metric=step.metric, value=None if np.isnan(value) else value, n=len(rows),
                         selection=ctx.described(), rows_note=note, positive_class=pos,
                         training_known=ctx.workspace.training_known)
    found = interval(step.metric, y, pred, proba, pos=pos) if result.value is not None else None
    if isinstance(found, unc.Rate):
        result.count, result.of, result.low, result.high = found.count, found.n, found.low, found.high
        result.interval, result.too_small = "wilson", found.too_small
    elif found is not None and found.low is not None:
        result.low, result.high, result.interval = found.low, found.high, "bootstrap"
        width = (found.high - found.low) if step.metric in ("f1", "roc_auc", "r2") else None
        result.too_small = unc.too_small(len(rows), width)
    else:
        result.too_small = unc.too_small(len(rows), None)
    return result


def _score_everything(ctx, step) -> ScoreResult | None:
    """On a workspace that holds a sample: a share (accuracy, precision, recall, specificity, NPV)
    over every row of the source, from the confusion counts of an audit of all of them
    (talk2model.scale.fairness), when the whole data is asked about."""
    ws, schema = ctx.workspace, ctx.schema
    if not ws.sampled or ctx.whatifs or ctx.fetched or not ctx.is_whole_data or step.metric not in SHARES \
            or schema.task != "classification" or len(schema.classes) != 2:
        return None
    from talk2model.scale.fairness import confusion_over_all

    pos = positive_class(schema, list(schema.classes))
    found = confusion_over_all(ws, pos)
    if found is None:
        return None
    tp, fn, fp, tn = found
    count, n = {"accuracy": (tp + tn, tp + fn + fp + tn), "precision": (tp, tp + fp), "recall": (tp, tp + fn),
                "specificity": (tn, tn + fp), "npv": (tn, tn + fn)}[step.metric]
    if not n:
        return None
    ctx.exact_ops += 1
    rate = unc.rate(count, n)
    evaluated = tp + fn + fp + tn
    note = (NOTE_TRAINING_UNKNOWN if not ws.training_known else
            f"on the {evaluated:,} of them with a known outcome the model was not trained on "
            f"(from the audit of every row)")
    return ScoreResult(metric=step.metric, value=count / n, n=evaluated,
                       selection=f"all {ws.rows_in_source:,} {schema.entity_plural}", rows_note=note,
                       positive_class=pos, count=count, of=n, low=rate.low, high=rate.high, interval="wilson",
                       too_small=rate.too_small, training_known=ws.training_known)


COUNT_WORDS = {"accuracy": "{count:,} of {of:,} right",
               "precision": "{count:,} of the {of:,} predicted {pos} truly are",
               "recall": "{count:,} of the {of:,} truly {pos} are recognised",
               "specificity": "{count:,} of the {of:,} truly {neg} are recognised",
               "npv": "{count:,} of the {of:,} predicted {neg} truly are"}


def score_text(r: ScoreResult, schema) -> str:
    """'71.4% (5 of 7 right; 95% interval 35.9–91.8%)', '0.8123 (95% bootstrap interval 0.78–0.84)'."""
    if r.count is not None:
        neg = [c for c in schema.classes if c != r.positive_class]
        words = COUNT_WORDS[r.metric].format(
            count=r.count, of=r.of, pos=schema.class_phrase(r.positive_class) if r.positive_class is not None else "",
            neg=schema.class_phrase(neg[0]) if len(neg) == 1 else "other classes")
        return f"{pct(r.value)} ({words}; 95% interval {fmt_interval(r.low, r.high)})"
    shown = pct(r.value) if r.metric == "f1" else fmt_number(r.value)
    if r.low is None:
        return shown
    span = fmt_interval(r.low, r.high) if r.metric == "f1" else fmt_interval(r.low, r.high, percent=False)
    return f"{shown} (95% bootstrap interval {span})"


@says(ScoreResult)
def say_score(r: ScoreResult, ctx) -> Reply:
    name = METRIC_NAMES[r.metric]
    where = f", {r.rows_note}" if r.rows_note else ""
    if r.value is None:
        return Reply(f"The {name} cannot be computed for {r.selection}{where}: "
                     "it needs both outcomes to be present.")
    text = f"The model's {name} on {r.selection} is {score_text(r, ctx.schema)}{where}."
    if r.too_small:
        n = r.of if r.count is not None else r.n
        text = too_small_text(n) + " " + text
    if r.metric in ("f1", "precision", "recall", "specificity", "npv", "roc_auc") and r.positive_class is not None:
        text += f" The positive class is {ctx.schema.class_phrase(r.positive_class)}."
    return Reply(text)
