"""describe_model: what kind of model this is, what it reads, and how well it does."""

from __future__ import annotations

from dataclasses import dataclass

from talk2model.explainers import uncertainty as unc
from talk2model.formatting import fmt_interval
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, check_sentences, pct, says


@dataclass
class DescribeModelResult(Result):
    kind: str
    steps: list[str]
    task: str
    features: list[str]
    trained_rows_known: bool
    held_out_rows: int                  # rows the accuracy is measured on (all rows when unknown)
    held_out_accuracy: float | None
    fingerprint: str
    correct: int = 0                    # right of held_out_rows
    low: float | None = None            # 95% Wilson interval of the accuracy
    high: float | None = None
    baseline: float | None = None       # accuracy of always predicting the largest class there
    checks: dict | None = None


@operation("describe_model", description="What kind of model this is and how well it does.",
           examples=("What kind of model is this?", "Tell me about the model."))
def describe_model(ctx, step) -> DescribeModelResult:
    ws = ctx.workspace
    if ws.kind == "image":
        from talk2model.ops import image_answers

        return image_answers.describe_model(ctx, step)
    est = ws.model.estimator
    steps = [type(s).__name__ for _, s in getattr(est, "steps", [])] or [type(est).__name__]
    held = ws.held_out_mask(ws.ids)
    result = DescribeModelResult(kind=ws.model.kind, steps=steps, task=ws.schema.task,
                                 features=list(ws.model.feature_names),
                                 trained_rows_known=ws.training_known,
                                 held_out_rows=int(held.sum()), held_out_accuracy=None,
                                 fingerprint=ws.model_fingerprint, checks=ws.checks.to_json())
    if ws.schema.task == "classification" and held.any():
        y = ws.y[held]
        right = unc.rate(int((ws.predictions()[held] == y).sum()), int(held.sum()))
        result.held_out_accuracy, result.correct = right.value, right.count
        result.low, result.high = right.low, right.high
        result.baseline = float(y.value_counts(normalize=True).iloc[0])
    return result


_KIND_WORDS = {"GradientBoostingClassifier": "a gradient-boosted tree ensemble",
               "RandomForestClassifier": "a random forest",
               "LogisticRegression": "a logistic regression (a linear model)",
               "DecisionTreeClassifier": "a decision tree", "TorchClassifier": "a neural network (PyTorch MLP)"}


@says(DescribeModelResult)
def say_describe_model(r: DescribeModelResult, ctx) -> Reply:
    kind = _KIND_WORDS.get(r.kind, f"a {r.kind}")
    classes = " or ".join(ctx.schema.classes.values())
    text = (f"The model is {kind}" + (f" (pipeline: {' → '.join(r.steps)})" if len(r.steps) > 1 else "")
            + f". It is a {r.task} model that predicts {classes} from {len(r.features)} features.")
    if r.held_out_accuracy is not None:
        which = "rows it was not trained on" if r.trained_rows_known else "rows of this workspace"
        text += (f" Its accuracy on the {r.held_out_rows:,} {which} is {pct(r.held_out_accuracy)} "
                 f"({r.correct:,} of {r.held_out_rows:,} right; 95% interval {fmt_interval(r.low, r.high)})"
                 f"; always predicting the most common outcome would be right {pct(r.baseline)} of the time.")
    warnings = check_sentences(ctx.workspace.checks, ctx.schema)
    if warnings:
        text += " Careful: " + "; ".join(warnings) + "."
    return Reply(text)
