"""influence: which training examples made the model decide so, and which look mislabelled
(TracIn over the checkpoints saved in training: talk2model.explainers.influence, Captum's
captum.influence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.explainers.influence import influence_index
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, pct, says
from talk2model.workspace.schema import plain_value

TOP = 5           # proponents and opponents shown
SUSPECTS = 10     # mislabelled: training examples shown
SAMPLE = 200      # a bigger selection: its mean influence over a seeded sample of this many rows

HOW = ("TracIn adds up, over {k} checkpoints saved while the model trained, the learning rate times the "
       "product of the loss gradients (last layer) of the training example and of this one")


@dataclass
class InfluenceResult(Result):
    selection: str
    n: int
    rows_used: int
    kind: str
    explained_class: Any               # the class whose loss is traced (the model's prediction), when one
    proponents: list[dict]             # id, label, score: training examples that pushed toward it
    opponents: list[dict]              # id, label, score: ... that pushed against it
    checkpoints: int = 0
    training_rows: int = 0
    precompute_seconds: float | None = None


@dataclass
class MislabelledResult(Result):
    selection: str
    training_rows: int                 # training examples ranked
    suspects: list[dict]               # id, label, prediction, self_influence, rank
    disagree: int = 0                  # of the suspects, how many the model predicts otherwise
    checkpoints: int = 0
    note: str = ""
    seconds: float | None = None


def _row(rows, k: int, score: float, net) -> dict:
    out = {"id": plain_value(rows.ids[k]), "label": plain_value(rows.labels[k]), "score": float(score)}
    if rows.frame is not None:
        out["values"] = {f: plain_value(rows.frame.iloc[k][f]) for f in net.feature_names}
    return out


@operation("influence", description="Which training examples made the model decide so (TracIn over "
           "checkpoints saved during training): the proponents and opponents of a prediction, with their "
           "labels; with mode \"mislabelled\", the training examples with the highest self-influence, which "
           "is how label errors show.",
           examples=("Which training images most made the model call image 3 a 3?",
                     "Which training digits are most like this one for the model?",
                     "Are there mislabelled training images?",
                     "Which training patients most influenced the prediction for patient 51?"))
def influence(ctx, step) -> Result:
    ctx.require_rows()
    ws = ctx.workspace
    found = influence_index(ws)
    net, rows = found.net, found.rows
    if step.mode == "mislabelled":
        return _mislabelled(ctx, step, found)
    frame = ctx.frame if len(ctx.frame) <= SAMPLE else ctx.frame.sample(SAMPLE, random_state=0).sort_index()
    X = net.frame_inputs(frame) if not ctx.whatifs else net.frame_inputs(ctx.frame.loc[frame.index])
    predicted = net.logits(X).argmax(axis=1)
    scores = found.influence(X, list(predicted)).mean(axis=0)
    top = step.top or TOP
    order = np.argsort(-scores, kind="stable")
    classes = {int(c) for c in predicted}
    return InfluenceResult(
        selection=ctx.described(), n=len(ctx.frame), rows_used=len(frame), kind=net.kind,
        explained_class=plain_value(net.classes[classes.pop()]) if len(classes) == 1 else None,
        proponents=[_row(rows, k, scores[k], net) for k in order[:top] if scores[k] > 0],
        opponents=[_row(rows, k, scores[k], net) for k in order[::-1][:top] if scores[k] < 0],
        checkpoints=len(found.index.checkpoints), training_rows=len(rows.ids),
        precompute_seconds=found.index.precompute_seconds)


def _mislabelled(ctx, step, found) -> MislabelledResult:
    ws, net, rows = ctx.workspace, found.net, found.rows
    scores = found.index.self_influence()
    positions = np.arange(len(rows.ids))
    note = ""
    if not ctx.is_whole_data:
        if net.kind == "image":   # the training images among the selected ones
            chosen = set(ctx.frame.index)
            positions = np.array([k for k, i in enumerate(rows.ids) if i in chosen], dtype=int)
        else:
            note = (f"The {len(rows.ids):,} training rows are not among the workspace's own rows, so all of them "
                    "were ranked, not only the selected ones.")
    order = positions[np.argsort(-scores[positions], kind="stable")][:step.top or SUSPECTS]
    predicted = net.logits(rows.X[order]).argmax(axis=1) if len(order) else np.array([], dtype=int)
    suspects = []
    for rank, (k, p) in enumerate(zip(order, predicted), start=1):
        item = _row(rows, int(k), float(scores[k]), net)
        item.update(self_influence=item.pop("score"), prediction=plain_value(net.classes[int(p)]), rank=rank)
        suspects.append(item)
    return MislabelledResult(
        selection=ctx.described(), training_rows=len(positions), suspects=suspects,
        disagree=sum(1 for s in suspects if s["prediction"] != s["label"]),
        checkpoints=len(found.index.checkpoints), note=note, seconds=found.index.self_seconds)


def _names(items: list[dict], schema, entity: str) -> str:
    return ", ".join(f"{entity} {i['id']} ({schema.class_phrase(i['label'])})" for i in items)


@says(InfluenceResult)
def say_influence(r: InfluenceResult, ctx) -> Reply:
    schema = ctx.schema
    what = "training image" if r.kind == "image" else f"training {schema.entity}"
    outcome = (f"the model's prediction, {schema.class_phrase(r.explained_class)}," if r.explained_class is not None
               else "the model's predictions")
    sampled = f" (a random sample of {r.rows_used:,} of them)" if r.rows_used < r.n else ""
    text = f"For {r.selection}{sampled}, the {what}s that most pushed {outcome} "
    text += ("are " + _names(r.proponents, schema, what) + "." if r.proponents
             else "— none: no training example lowered its loss.")
    if r.opponents:
        text += f" The ones that pushed most against it: {_names(r.opponents, schema, what)}."
    same = [p for p in r.proponents if r.explained_class is not None and p["label"] == r.explained_class]
    if r.proponents and r.explained_class is not None:
        text += f" {len(same)} of the {len(r.proponents)} strongest proponents carry that label."
    text += " " + HOW.format(k=r.checkpoints) + f" ({r.training_rows:,} training examples scored)."
    table = pd.DataFrame([{"": "for" if sign > 0 else "against", "id": i["id"], "label": schema.class_phrase(i["label"]),
                           "TracIn score": i["score"], **(i.get("values") or {})}
                          for sign, group in ((1, r.proponents), (-1, r.opponents)) for i in group])
    figure = None
    if r.kind == "image":
        from talk2model.ops.image_answers import _shown

        items = r.proponents + r.opponents
        if items:
            pixels = ctx.workspace.pixels([i["id"] for i in items])
            figure = FigureSpec(kind="images", title=f"Training images that pushed for (+) and against (−) — {r.selection}",
                                images=[_shown(p) for p in pixels],
                                labels=[f"{'+' if i['score'] > 0 else '−'} {i['id']}: {i['label']}" for i in items],
                                xlabel="+ proponent · − opponent (id: its label)")
    return Reply(text, table=table, figure=figure)


@says(MislabelledResult)
def say_mislabelled(r: MislabelledResult, ctx) -> Reply:
    schema = ctx.schema
    kind = "image" if ctx.workspace.kind == "image" else schema.entity
    text = (f"Of the {r.training_rows:,} training {kind}s, these have the highest self-influence, the mark TracIn "
            f"leaves on examples the model found hardest to fit: "
            + ", ".join(f"{kind} {s['id']} (labelled {schema.class_phrase(s['label'])}"
                        + (f", the model says {schema.class_phrase(s['prediction'])})" if s["prediction"] != s["label"] else ")")
                        for s in r.suspects[:5]) + ".")
    if r.suspects:
        text += (f" The model disagrees with the label on {r.disagree} of the {len(r.suspects)} listed. Some may be "
                 "mislabelled; others are unusual but right: look at them before relabelling.")
    if r.note:
        text += " " + r.note
    table = pd.DataFrame([{"rank": s["rank"], "id": s["id"], "label": schema.class_phrase(s["label"]),
                           "model says": schema.class_phrase(s["prediction"]),
                           "self-influence": s["self_influence"], **(s.get("values") or {})}
                          for s in r.suspects])
    figure = None
    if ctx.workspace.kind == "image" and r.suspects:
        from talk2model.ops.image_answers import _shown

        pixels = ctx.workspace.pixels([s["id"] for s in r.suspects])
        figure = FigureSpec(kind="images", title="Training images that look most like label errors",
                            images=[_shown(p) for p in pixels],
                            labels=[f"{s['id']}: labelled {s['label']}, says {s['prediction']}" for s in r.suspects],
                            xlabel="id: the label it was trained with, and what the model says")
    return Reply(text, table=table, figure=figure)
