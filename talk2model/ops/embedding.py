"""embedding: how the model groups the rows — its last hidden layer in 2-D (t-SNE or PCA),
coloured by true label or prediction, with the mistakes marked (talk2model.explainers.embedding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.explainers.embedding import embedding as compute
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, pct, says
from talk2model.workspace.schema import plain_value

MAX_POINTS = 5000   # a bigger selection is drawn (and returned) as a seeded sample of this many


@dataclass
class EmbeddingResult(Result):
    selection: str
    n: int
    method: str
    by: str
    layer: str
    width: int
    points: list[dict]                 # id, x, y, label, prediction, mistake
    mistakes: int
    seconds: float
    explained_variance: list[float] | None = None
    groups: list[dict] = field(default_factory=list)   # per class: centre, spread, nearest other class
    rows_used: int = 0


@operation("embedding", description="How the model groups the rows: its last hidden layer drawn in "
           "2-D with t-SNE or PCA, coloured by true label or prediction, mistakes marked; which classes "
           "sit close together.",
           examples=("Show me a map of how the model sees the digits.",
                     "How does the model group the digits?",
                     "Where do the mistakes sit?",
                     "Show the PCA of the network's last layer, coloured by prediction."))
def embedding(ctx, step) -> EmbeddingResult:
    ctx.require_rows()
    ws = ctx.workspace
    found = compute(ws, step.method)
    frame = ctx.frame if len(ctx.frame) <= MAX_POINTS else ctx.frame.sample(MAX_POINTS, random_state=0).sort_index()
    coords = found.coords[found.position(frame.index)]
    labels = frame[ctx.schema.target]
    pred = ws.predictions().loc[frame.index]
    wrong = labels.notna() & (labels.astype(object) != pred.astype(object))
    points = [{"id": plain_value(i), "x": float(x), "y": float(y),
               "label": None if pd.isna(t) else plain_value(t), "prediction": plain_value(p), "mistake": bool(m)}
              for i, (x, y), t, p, m in zip(frame.index, coords, labels, pred, wrong)]
    by = step.by or "label"
    key = labels if by == "label" else pred
    groups = []
    centres = {plain_value(c): coords[(key == c).to_numpy()].mean(axis=0)
               for c in pd.unique(key.dropna()) if (key == c).any()}
    for c, centre in sorted(centres.items(), key=lambda kv: str(kv[0])):
        spread = float(np.linalg.norm(coords[(key == c).to_numpy()] - centre, axis=1).mean())
        others = {o: float(np.linalg.norm(centre - oc)) for o, oc in centres.items() if o != c}
        nearest = min(others, key=others.get) if others else None
        groups.append({"class": c, "x": float(centre[0]), "y": float(centre[1]), "spread": spread,
                       "nearest": nearest, "distance": others.get(nearest) if nearest is not None else None,
                       "count": int((key == c).sum())})
    return EmbeddingResult(selection=ctx.described(), n=len(ctx.frame), method=step.method, by=by, layer=found.layer,
                           width=found.width, points=points, mistakes=int(wrong.sum()), seconds=found.seconds,
                           explained_variance=found.explained, groups=groups, rows_used=len(frame))


def _phrase(schema, text: str) -> str:
    """A class phrase from a class value written as text ('8' -> 'an 8')."""
    for value in schema.classes:
        if str(value) == text:
            return schema.class_phrase(value)
    return text


@says(EmbeddingResult)
def say_embedding(r: EmbeddingResult, ctx) -> Reply:
    schema = ctx.schema
    how = "t-SNE" if r.method == "tsne" else "PCA"
    text = (f"Here is how the model's last hidden layer (the {r.width} units feeding {r.layer}) places {r.selection}, "
            f"drawn in 2-D with {how} and coloured by {'the model' + chr(39) + 's prediction' if r.by == 'prediction' else 'true label'}; "
            f"{r.mistakes:,} mistake{'s are' if r.mistakes != 1 else ' is'} ringed.")
    if r.explained_variance:
        text += f" The two components hold {pct(sum(r.explained_variance))} of the layer's variance."
    if len(r.groups) > 1:
        close = sorted((g for g in r.groups if g["distance"] is not None), key=lambda g: g["distance"])
        pairs, seen = [], set()
        for g in close:
            pair = frozenset((g["class"], g["nearest"]))
            if pair not in seen:
                seen.add(pair)
                pairs.append(g)
        text += (" Closest together: " + "; ".join(f"{schema.class_phrase(g['class'])} and "
                                                 f"{schema.class_phrase(g['nearest'])}" for g in pairs[:2]) + ".")
        if r.mistakes:
            wrong = [p for p in r.points if p["mistake"]]
            between = pd.Series([f"{p['label']}→{p['prediction']}" for p in wrong]).value_counts()
            true, said = between.index[0].split("→")
            text += (f" The most common mistake takes {_phrase(schema, true)} for {_phrase(schema, said)} "
                     f"({int(between.iloc[0])} of the {r.mistakes} ringed).")
    if r.method == "tsne":
        text += (" In t-SNE, distances within a cluster mean more than distances between clusters, and the "
                 "sizes of clusters mean little.")
    colour = [p["label"] if r.by == "label" else p["prediction"] for p in r.points]
    figure = FigureSpec(kind="scatter", title=f"How the model groups {r.selection} ({how} of {r.layer})",
                        points=[[round(p["x"], 4), round(p["y"], 4)] for p in r.points],
                        groups=["unknown" if c is None else str(c) for c in colour],
                        marked=[k for k, p in enumerate(r.points) if p["mistake"]],
                        xlabel=f"coloured by {'prediction' if r.by == 'prediction' else 'true label'}",
                        ylabel="mistake")
    table = pd.DataFrame([{"class": schema.class_phrase(g["class"]), "points": g["count"],
                           "closest class": schema.class_phrase(g["nearest"]) if g["nearest"] is not None else "",
                           "spread": g["spread"]} for g in r.groups])
    return Reply(text, table=table, figure=figure)
