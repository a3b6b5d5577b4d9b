"""describe_model: what kind of model this is, what it reads, and how well it does."""

from __future__ import annotations

from dataclasses import dataclass

from talk2model.ops.registry import Result, operation
from talk2model.ops.score import compute_metric
from talk2model.verbalize import Reply, pct, says


@dataclass
class DescribeModelResult(Result):
    kind: str
    steps: list[str]
    task: str
    features: list[str]
    trained_rows_known: bool
    held_out_rows: int
    held_out_accuracy: float | None
    fingerprint: str


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
    acc = None
    if ws.schema.task == "classification" and held.any():
        acc = compute_metric("accuracy", ws.y[held], ws.predictions()[held])
    return DescribeModelResult(kind=ws.model.kind, steps=steps, task=ws.schema.task,
                               features=list(ws.model.feature_names),
                               trained_rows_known=ws.train_ids is not None,
                               held_out_rows=int(held.sum()), held_out_accuracy=acc,
                               fingerprint=ws.model_fingerprint)


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
        which = ("rows it was not trained on" if r.trained_rows_known
                 else "this workspace's data, which it was not trained on")
        text += f" Its accuracy on {r.held_out_rows:,} {which} is {pct(r.held_out_accuracy)}."
    return Reply(text)
