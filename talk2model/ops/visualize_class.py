"""visualize_class: what the model thinks a class looks like, or what a unit of a layer responds
to — synthetic images by activation maximisation (talk2model.explainers.visualize). The answer
always says they are synthetic, and the class probability each one reaches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from talk2model.errors import OperationError
from talk2model.explainers.network import network, one_thread
from talk2model.explainers.visualize import STEPS, maximise
from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, pct, says
from talk2model.workspace.schema import plain_value

ERR_NOT_IMAGES = "class visualisation draws images: it works with image workspaces, not tables"
ERR_LAYER = "the model has no layer '{layer}' with units to visualise; its layers are: {names}"
ERR_UNIT = "layer {layer} has {count} units (0 to {last}); there is no unit {unit}"


@dataclass
class VisualizeResult(Result):
    what: str                            # "class" or "unit"
    images: list[dict]                   # class / unit, image (H x W), probability, objective, predicted
    synthetic: bool = True               # always: these are made by the model's gradients, not data
    layer: str | None = None
    steps: int = STEPS
    regularisation: str = "jitter of one pixel, Gaussian blur every 10 steps, L2 toward blank, clamped to range"
    examples: list = field(default_factory=list)   # a real image of each class, for comparison


def _layers(module: nn.Module) -> dict[str, nn.Module]:
    return {name: m for name, m in module.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
            or (name and isinstance(m, nn.ReLU))}


@operation("visualize_class", description="What the model thinks a class looks like (activation "
           "maximisation: gradient ascent on a synthetic image with jitter, blur and an L2 penalty, seeded), "
           "with the class probability each image reaches; or what one unit of a layer responds to.",
           examples=("Draw what the model thinks a 4 is.",
                     "What does a 7 look like to the model?",
                     "What does filter 3 of the first layer respond to?",
                     "Show me the model's idea of every digit."))
def visualize_class(ctx, step) -> VisualizeResult:
    ws = ctx.workspace
    if ws.kind != "image":
        raise OperationError(ERR_NOT_IMAGES)
    net = network(ws, "Class visualisation")
    one_thread()
    shape = ws.image_spec.shape
    from talk2model.ops.image_answers import _shown

    if step.layer is not None:
        layers = _layers(net.module)
        if step.layer not in layers:
            raise OperationError(ERR_LAYER.format(layer=step.layer, names=", ".join(layers)))
        layer = layers[step.layer]
        count = getattr(layer, "out_channels", None) or getattr(layer, "out_features", None)
        if count is None:   # a ReLU: as many units as the layer before it
            names = list(layers)
            before = [layers[n] for n in names[:names.index(step.layer)] if not isinstance(layers[n], nn.ReLU)]
            count = (getattr(before[-1], "out_channels", None) or getattr(before[-1], "out_features", 0)) if before else 0
        if step.unit >= count:
            raise OperationError(ERR_UNIT.format(layer=step.layer, count=count, last=count - 1, unit=step.unit))
        found = maximise(net.module, shape, net.low, net.high, layer=layer, unit=step.unit)[0]
        return VisualizeResult(what="unit", layer=step.layer, images=[{
            "unit": step.unit, "image": _shown(found.image), "objective": found.objective,
            "predicted": plain_value(net.classes[found.predicted]),
            "predicted_probability": None}])
    targets = [net.class_index(step.target)] if step.target is not None else list(range(len(net.classes)))
    found = maximise(net.module, shape, net.low, net.high, batch=targets)
    examples = []
    for t in targets:   # the real image the model is surest of, beside each synthetic one
        labelled = ws.data.index[(ws.y == net.classes[t]).to_numpy()]
        if len(labelled):
            proba = ws.probabilities().loc[labelled, plain_value(net.classes[t])]
            examples.append({"class": plain_value(net.classes[t]), "id": plain_value(proba.idxmax()),
                             "image": _shown(ws.pixels([proba.idxmax()])[0])})
    return VisualizeResult(what="class", images=[
        {"class": plain_value(net.classes[t]), "image": _shown(v.image), "probability": v.probability,
         "logit": v.objective, "predicted": plain_value(net.classes[v.predicted])}
        for t, v in zip(targets, found)], examples=examples)


@says(VisualizeResult)
def say_visualize(r: VisualizeResult, ctx) -> Reply:
    schema = ctx.schema
    caveat = (" These images are synthetic: made by following the model's gradients from noise, not drawn by "
              "anyone or taken from the data, so they show what excites the model, which can look unlike a real "
              f"digit ({r.steps} steps of gradient ascent; {r.regularisation}; seeded).")
    if r.what == "unit":
        item = r.images[0]
        text = (f"This synthetic image drives unit {item['unit']} of layer {r.layer} hardest (mean activation "
                f"{fmt_number(item['objective'])}); the model would call it {schema.class_phrase(item['predicted'])}.") + caveat
        figure = FigureSpec(kind="images", title=f"What unit {item['unit']} of {r.layer} responds to (synthetic)",
                            images=[item["image"]], labels=[f"{r.layer} unit {item['unit']}"])
        return Reply(text, figure=figure)
    if len(r.images) == 1:
        item = r.images[0]
        text = (f"This is what the model thinks {schema.class_phrase(item['class'])} looks like: on this image it "
                f"says {schema.class_phrase(item['predicted'])}, giving {schema.class_phrase(item['class'])} "
                f"{pct(item['probability'])}.")
    else:
        low = min(r.images, key=lambda i: i["probability"])
        text = (f"These are what the model thinks each class looks like; each synthetic image reaches between "
                f"{pct(low['probability'])} ({schema.class_phrase(low['class'])}) and "
                f"{pct(max(i['probability'] for i in r.images))} for its class.")
    text += caveat
    shown, labels = [], []
    real = {e["class"]: e for e in r.examples}
    for item in r.images:
        shown.append(item["image"])
        labels.append(f"{item['class']}: {pct(item['probability'])} (synthetic)")
        if item["class"] in real and len(r.images) <= 4:
            shown.append(real[item["class"]]["image"])
            labels.append(f"a real {item['class']} (id {real[item['class']]['id']})")
    figure = FigureSpec(kind="images", title="What the model thinks " + (
        schema.class_phrase(r.images[0]["class"]) if len(r.images) == 1 else "each class") + " looks like (synthetic)",
        images=shown, labels=labels, xlabel="class: probability the model gives it")
    table = pd.DataFrame([{"class": schema.class_phrase(i["class"]), "probability reached": pct(i["probability"]),
                           "logit": i["logit"]} for i in r.images])
    return Reply(text, table=table, figure=figure)
