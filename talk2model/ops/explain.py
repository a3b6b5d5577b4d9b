"""explain: why the model predicts what it does, for one row or a group.

Plain words first: the first sentence says the outcome and its main reasons in everyday words;
the model's own units (log-odds, SHAP) come after, in a "Details" part, with a one-line meaning
the first time each appears in the conversation.

One row: the principal reasons (at most four features that pushed toward the predicted outcome),
each with the person's value compared with the rows the model judges the other way; the rest as
"more"; a bar chart. Many rows: the average attribution per feature and its direction.
Attributions come from `talk2model.explainers` (SHAP chosen for the model, or LIME on request),
in the user's own features, with the base value and output in a named output space.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.explainers import METHOD_NAMES, explainer_for
from talk2model.explainers.phrasing import (compare, feature_label, person_value, reason_sentence,
                                            space_text, value_phrase)
from talk2model.formatting import fmt_number, fmt_percent
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, capitalise, define_terms, join_words, page, says
from talk2model.workspace.schema import plain_value, value_text

MAX_REASONS = 4
MIXED = 0.2   # a group's mean attribution under this share of its mean |attribution|: "both directions"
TOWARD, AWAY = "#d1495b", "#2e86ab"


@dataclass
class ExplainResult(Result):
    selection: str
    n: int
    method: str                      # shap-tree, shap-linear, shap-deep, shap-permutation, lime
    output_space: str                # log-odds, probability, prediction
    explained_class: Any             # the class whose output is explained (None: regression)
    attributions: dict[str, float]   # one row: feature -> attribution; many: mean attribution
    base_value: float | None = None  # one row: the expected output (the starting point)
    output_value: float | None = None  # one row: the model's output, in output_space
    row_id: Any = None
    predicted: Any = None            # one row: the predicted class (or value)
    values: dict[str, Any] = field(default_factory=dict)   # one row: the person's values
    reasons: list[dict] = field(default_factory=list)      # principal reasons, strongest first
    against: list[dict] = field(default_factory=list)      # features that pushed the other way
    mean_abs: dict[str, float] = field(default_factory=dict)  # many rows: mean |attribution|
    predicted_counts: dict[Any, int] = field(default_factory=dict)
    from_cache: int = 0
    rows_used: int = 0               # many rows: rows attributed (a random sample of a big selection)


@operation("explain", description="Why the model predicts what it does, for one row or a group "
           "(SHAP, or LIME on request; for PyTorch models also Captum's saliency, Integrated Gradients, "
           "DeepLIFT, Deep SHAP, Grad-CAM and occlusion, with `auto` picking the most faithful).",
           examples=("Why was applicant 12 denied?", "Explain the prediction for patient 51 with LIME",
                     "Why does the model predict that people over 60 are good credit risks?",
                     "Why is image 12 a 2?", "What did the model look at in picture 7, with Grad-CAM?"))
def explain(ctx, step) -> ExplainResult:
    ctx.require_rows()
    if ctx.workspace.kind == "image":
        from talk2model.ops import image_answers

        return image_answers.explain(ctx, step)
    ws, schema = ctx.workspace, ctx.schema
    ex = explainer_for(ws)
    rows = ex.sample(ctx.frame, step.method)   # a big selection: a seeded sample, stated in the answer
    att = ex.attributions(rows, step.method, cacheable=not ctx.whatifs, cache=ctx.cache)
    pred = ctx.predictions()
    first_class = att.explained.iloc[0]
    if att.explained.nunique(dropna=False) > 1:   # many classes: each row explains its own
        first_class = None
    common = dict(selection=ctx.described(), n=len(ctx.frame), method=att.method,
                  output_space=att.space, explained_class=plain_value(first_class) if first_class is not None else None,
                  from_cache=att.from_cache)
    if len(ctx.frame) > 1:
        counts = {plain_value(k): int(v) for k, v in pred.value_counts().items()} \
            if schema.task == "classification" else {}
        mean = att.values.mean()
        mean_abs = att.values.abs().mean()
        order = mean_abs.sort_values(ascending=False).index
        return ExplainResult(**common, attributions={f: float(mean[f]) for f in order},
                             mean_abs={f: float(mean_abs[f]) for f in order}, predicted_counts=counts,
                             rows_used=len(rows))
    row_id = ctx.frame.index[0]
    row = ctx.frame.iloc[0]
    values = att.values.iloc[0]
    predicted = plain_value(pred.iloc[0])
    explained = att.explained.iloc[0]
    # which sign pushes toward the predicted outcome
    if schema.task != "classification" or explained is None:
        toward = 1.0 if float(att.output.iloc[0]) >= float(att.base.iloc[0]) else -1.0
    else:
        toward = 1.0 if plain_value(explained) == predicted else -1.0
    others, others_text, same, same_text = _others(ctx, predicted)
    reasons, against = [], []
    for feature in values.abs().sort_values(ascending=False).index:
        v = float(values[feature])
        if v == 0:
            continue
        item = {"feature": feature, "label": feature_label(schema, feature),
                "value": person_value(schema, feature, row), "attribution": v,
                "phrase": value_phrase(schema, feature, row)}
        if v * toward > 0:
            item["comparison"] = compare(schema, feature, row, others, others_text, same, same_text)
            reasons.append(item)
        else:
            against.append(item)
    return ExplainResult(**common, attributions={f: float(values[f]) for f in values.index},
                         base_value=float(att.base.iloc[0]), output_value=float(att.output.iloc[0]),
                         row_id=plain_value(row_id), predicted=predicted,
                         values={f: person_value(schema, f, row) for f in values.index},
                         reasons=reasons, against=against)


_SPLITS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _others(ctx, predicted) -> tuple[pd.DataFrame, str, pd.DataFrame | None, str]:
    """The workspace's rows the model judges differently from this one and those it judges
    the same, with their names (split once per workspace and class: workspaces are read-only)."""
    splits = _SPLITS.setdefault(ctx.workspace, {})
    key = predicted if ctx.schema.task == "classification" else None
    if key not in splits:
        splits[key] = _split(ctx, predicted)
    return splits[key]


def _split(ctx, predicted) -> tuple[pd.DataFrame, str, pd.DataFrame | None, str]:
    ws, schema = ctx.workspace, ctx.schema
    everyone = f"{schema.entity_plural} overall"
    if schema.task != "classification":
        return ws.data, everyone, None, ""
    preds = ws.predictions()
    classes = [c for c in schema.classes if c != predicted]
    rows = ws.data[preds != predicted]
    if len(rows) == 0:
        return ws.data, everyone, None, ""
    name = schema.class_phrase(classes[0]) if len(classes) == 1 else f"other than {schema.class_phrase(predicted)}"
    return (rows, f"{schema.entity_plural} judged {name}", ws.data[preds == predicted],
            f"{schema.entity_plural} judged {schema.class_phrase(predicted)}")


def _outcome_text(schema, predicted) -> str:
    from talk2model.ops.predict import class_text

    return class_text(schema, predicted)


def _reason_text(item: dict, outcome: str | None) -> str:
    if outcome is None:   # regression: the direction is up or down
        push = f"pushed the prediction {'up' if item['attribution'] > 0 else 'down'}"
    else:
        push = f"pushed toward {outcome}"
    return reason_sentence(item["phrase"], item.get("comparison", ""), push)


@says(ExplainResult)
def say_explain(r: ExplainResult, ctx) -> Reply:
    schema = ctx.schema
    how = METHOD_NAMES.get(r.method, r.method)
    space = space_text(r.output_space, schema, r.explained_class)
    if r.n == 1:
        return _say_one(r, ctx, how, space)
    mean = pd.Series(r.attributions)
    top = list(r.mean_abs)[:MAX_REASONS]
    binary = schema.task == "classification" and r.explained_class is not None and len(schema.classes) == 2
    other = [c for c in schema.classes if c != r.explained_class][0] if binary else None
    words = []
    for f in top:
        size = f"by {fmt_number(r.mean_abs[f])} on average"
        if abs(mean[f]) < MIXED * r.mean_abs[f]:     # pushes both ways about equally
            lean = "in both directions"
        elif binary:
            lean = f"on balance toward {schema.class_phrase(r.explained_class if mean[f] > 0 else other)}"
        else:
            lean = f"on balance {'raising' if mean[f] > 0 else 'lowering'} it"
        words.append(f"{feature_label(schema, f)} ({size}, {lean})")
    split = ""
    if r.predicted_counts:
        split = " The model predicts " + " and ".join(
            f"{schema.class_phrase(c)} for {n:,}" for c, n in
            sorted(r.predicted_counts.items(), key=lambda kv: -kv[1])) + "."
    sampled = (f", on a random sample of {r.rows_used:,} of them" if r.rows_used and r.rows_used < r.n else "")
    plain = (f"For {r.selection}, the model's decisions depend most on "
             f"{join_words([feature_label(schema, f) for f in top])}.{split}")
    details = (f"Details: the features that move the model's {space} most are " + ", ".join(words[:-1])
               + (", and " if len(words) > 1 else "") + words[-1]
               + f" ({how}; the size of each feature's push on one {schema.entity}, averaged{sampled}).")
    meanings = define_terms(details, ctx.state)
    text = plain + "\n" + details + (" " + meanings if meanings else "")
    table = pd.DataFrame({"feature": [feature_label(schema, f) for f in r.mean_abs],
                          "mean attribution": [r.attributions[f] for f in r.mean_abs],
                          "mean |attribution|": list(r.mean_abs.values())})
    shown, more = page(table, "More features")
    order = list(r.mean_abs)[:10]
    figure = FigureSpec(kind="bar", title=f"Average attribution, {r.selection}",
                        labels=[feature_label(schema, f) for f in order],
                        values=[r.attributions[f] for f in order],
                        xlabel=f"mean contribution to the {space}")
    return Reply(text, table=shown, figure=figure, more=more)


def _say_one(r: ExplainResult, ctx, how: str, space: str) -> Reply:
    schema = ctx.schema
    outcome = _outcome_text(schema, r.predicted)
    toward = outcome if schema.task == "classification" else None
    reasons = r.reasons[:MAX_REASONS]
    if reasons:
        main = join_words([item["phrase"] for item in reasons[:2]])
        first = f"The model predicts {outcome} for {r.selection}, mainly because of {main}."
        lines = [f"- {capitalise(_reason_text(item, toward))}." for item in reasons]
        text = first + "\n" + "\n".join(lines)
    else:
        text = (f"The model predicts {outcome} for {r.selection}; no single feature pushed strongly "
                f"toward it.")
    shown = fmt_percent if r.output_space == "probability" else fmt_number
    details = (f"Details: in the model's own units, its {space} is {shown(r.output_value)}, against "
               f"{shown(r.base_value)} on average ({how}); each reason's share of that difference is "
               f"its attribution, in the table.")
    meanings = define_terms(details, ctx.state)
    text += "\n" + details + (" " + meanings if meanings else "")
    rest_lines = [f"- {capitalise(_reason_text(item, toward))} ({_signed(item['attribution'])})."
                  for item in r.reasons[MAX_REASONS:]]
    rest_lines += [f"- {capitalise(item['phrase'])} pushed the other way ({_signed(item['attribution'])})."
                   for item in r.against]
    values = {f: value_text(schema, f, r.values[f]) for f in r.attributions}
    table = pd.DataFrame({"feature": [feature_label(schema, f) for f in r.attributions],
                          "value": [values[f] for f in r.attributions],
                          "attribution": list(r.attributions.values())})
    table = table.reindex(table["attribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    more = None
    if rest_lines:
        more = Reply("The other features, and how they pushed:\n" + "\n".join(rest_lines), table=table)
    order = [item["feature"] for item in (r.reasons + r.against)][:10]
    pushing = {item["feature"] for item in r.reasons}
    figure = FigureSpec(kind="bar", title=f"Why {outcome} for {r.selection}",
                        labels=[feature_label(schema, f) for f in order],
                        values=[r.attributions[f] for f in order],
                        colors=[TOWARD if f in pushing else AWAY for f in order],
                        xlabel=f"contribution to the {space}")
    shown = pd.DataFrame({"feature": [item["label"] for item in reasons],
                          "value": [values[item["feature"]] for item in reasons],
                          "attribution": [item["attribution"] for item in reasons]})
    return Reply(text, table=shown if reasons else table.head(4), figure=figure, more=more)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + fmt_number(value)
