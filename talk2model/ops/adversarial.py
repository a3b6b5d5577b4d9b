"""adversarial: how easily the network is fooled (talk2model.explainers.robustness, Captum's
captum.robust). One image or row: the smallest change that flips its prediction, re-checked with
the model. A selection: robust accuracy at a stated ε, and the most fragile of them.

An adversarial example is a robustness finding, and every answer says so: it shows how close an
input sits to the model's decision boundary, not what anyone should change (that is what
`counterfactual` answers, within what can change)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers import robustness as rb
from talk2model.explainers import uncertainty as unc
from talk2model.explainers.network import network, one_thread
from talk2model.formatting import fmt_interval, fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, pct, says, too_small_text
from talk2model.workspace.schema import plain_value

SAMPLE = 300          # robust accuracy over a bigger selection: a seeded sample of this many rows
FRAGILE_SAMPLE = 60   # the fragility sweep runs on this many of them
FRAGILE_SHOWN = 8
IMAGE_EPSILON = 1 / 16     # a selection's default ε for images: this share of the value range (L∞)
TABLE_EPSILON = 0.5        # ... for tables: half a standard deviation (L2, standardised space)
TABLE_EPS_MAX = 4.0        # one row of a table: changes up to 4 standard deviations are searched

NOT_ADVICE = ("This is a robustness finding, not advice: it shows how close the {thing} sits to the "
              "model's decision boundary, not what anyone should change.")
NOT_ADVICE_TABLE = (" Unlike a counterfactual (\"what would need to change\"), it may move features nobody "
                    "can change, by amounts the data never shows, all at once.")


@dataclass
class AdversarialResult(Result):
    """One image or row: the smallest change that flips the model's prediction."""

    selection: str
    row_id: Any
    kind: str                          # "image" or "table"
    original_class: Any
    adversarial_class: Any             # None: not fooled by any change up to eps_max
    epsilon: dict                      # {"norm": "linf"/"l2", "value": the smallest ε found, "max": searched up to}
    verified: bool                     # re-checked with the model: another class, within ε
    original_probability: float
    adversarial_probability: float | None
    perturbed: Any = None              # images: the changed pixels (H x W); tables: feature -> changed value
    difference: Any = None             # images: changed - original; tables: feature -> change
    original: Any = None               # images: the pixels; tables: feature -> value
    measured: float | None = None      # the change's actual size in the norm
    units: str = ""                    # what ε is measured in
    target: Any = None                 # the class pushed toward, when asked
    finding: str = "robustness"        # an adversarial example is a robustness finding, not advice
    forward_passes: int = 0
    changes: list[dict] = field(default_factory=list)   # tables: per feature, biggest first


@dataclass
class RobustnessResult(Result):
    """A selection: the share still right under changes up to ε, and the most fragile."""

    selection: str
    n: int
    rows_used: int
    kind: str
    epsilon: dict                      # {"norm", "value"}
    robust_accuracy: float
    clean_accuracy: float
    verified: bool
    units: str = ""
    note: str = ""
    fragile: list[dict] = field(default_factory=list)   # id, label, prediction, min_epsilon, adversarial_class
    finding: str = "robustness"
    robust_count: int = 0              # of rows_used, right under the attack ...
    robust_low: float | None = None    # ... with the 95% Wilson interval of robust accuracy
    robust_high: float | None = None
    clean_count: int = 0               # of rows_used, right without any change ...
    clean_low: float | None = None     # ... with its 95% Wilson interval
    clean_high: float | None = None
    too_small: bool = False            # the small-group rule, on the robust accuracy


def _shown(pixels: np.ndarray) -> list:
    from talk2model.ops.image_answers import _shown as shown

    return shown(pixels)


def _image_units(ws) -> str:
    spec = ws.image_spec
    return f"pixel values on the {spec.low:g}–{spec.high:g} scale"


@operation("adversarial", description="How easily the model is fooled: for one image or row, the "
           "smallest change that flips its prediction (PGD with Captum's minimal-perturbation search, "
           "re-checked with the model); for a group, the share it still gets right under changes up to "
           "a stated size (robust accuracy) and the most fragile. A robustness finding, not advice.",
           examples=("How easy is it to trick the model on image 5?",
                     "What is the smallest change that fools the model on image 12?",
                     "How robust is the model on the 3s?",
                     "What tiny change would make the model call image 7 an 8?"))
def adversarial(ctx, step) -> Result:
    ctx.require_rows()
    ws = ctx.workspace
    net = network(ws, "An adversarial search")
    one_thread()
    norm = step.norm or ("linf" if net.kind == "image" else "l2")
    if len(ctx.frame) == 1:
        return _one(ctx, step, net, norm)
    return _selection(ctx, step, net, norm)


def _one(ctx, step, net, norm: str) -> AdversarialResult:
    ws = ctx.workspace
    row_id = ctx.frame.index[0]
    target = net.class_index(step.target) if step.target is not None else None
    if net.kind == "image":
        span = net.high - net.low
        eps_max = min(step.epsilon, span) if step.epsilon is not None else span
        if norm == "l2":
            eps_max = step.epsilon if step.epsilon is not None else span * float(np.sqrt(np.prod(ws.image_spec.shape)))
        x = ws.pixels([row_id])[0]
        found = rb.minimal_change(net.module, x, norm=norm, eps_max=float(eps_max), low=net.low, high=net.high,
                                  target=target)
        units = _image_units(ws)
        extra: dict[str, Any] = {"original": _shown(x)}
        if found.x_adv is not None:
            extra.update(perturbed=_shown(found.x_adv), difference=_shown(found.x_adv - found.x))
        changes: list[dict] = []
    else:
        module, mean, std = rb.standardised(net)
        x = ctx.frame[net.feature_names].to_numpy(dtype=np.float32)[0]
        z = (x - mean) / std
        eps_max = float(step.epsilon) if step.epsilon is not None else TABLE_EPS_MAX
        low, high = _table_bounds(ws, net, mean, std)
        found = rb.minimal_change(module, z, norm=norm, eps_max=eps_max, target=target, low=low, high=high)
        units = "standard deviations of the training data"
        extra = {"original": {f: plain_value(v) for f, v in zip(net.feature_names, x)}}
        changes = []
        if found.x_adv is not None:
            new = found.x_adv * std + mean
            # re-checked once more through the workspace's own model, in the features' units
            row = pd.DataFrame([new], columns=net.feature_names)
            model_class = plain_value(ws.model.predict(row)[0])
            if model_class != plain_value(net.classes[found.adversarial]):
                found.verified = False
            extra.update(perturbed={f: float(v) for f, v in zip(net.feature_names, new)},
                         difference={f: float(n - o) for f, n, o in zip(net.feature_names, new, x)})
            dz = found.x_adv - found.x
            order = np.argsort(-np.abs(dz), kind="stable")
            changes = [{"feature": net.feature_names[k], "value": plain_value(x[k]), "changed": float(new[k]),
                        "change": float(new[k] - x[k]), "change_std": float(dz[k])}
                       for k in order if abs(dz[k]) > 1e-6]
    return AdversarialResult(
        selection=ctx.described(), row_id=plain_value(row_id), kind=net.kind,
        original_class=plain_value(net.classes[found.original]),
        adversarial_class=None if found.adversarial is None else plain_value(net.classes[found.adversarial]),
        epsilon={"norm": norm, "value": found.epsilon, "max": float(eps_max)}, verified=found.verified,
        original_probability=found.original_probability, adversarial_probability=found.adversarial_probability,
        measured=found.measured, units=units,
        target=None if target is None else plain_value(net.classes[target]), forward_passes=found.forward_passes,
        changes=changes, **extra)


def _selection(ctx, step, net, norm: str) -> RobustnessResult:
    from talk2model.ops.score import evaluation_rows

    ws = ctx.workspace
    if step.target is not None:
        raise OperationError("a targeted change is searched for one image or row at a time; "
                             "pick one (for example \"filter id == 5 then adversarial class 8\")")
    rows, note = evaluation_rows(ctx)
    if rows.empty:
        raise OperationError("none of these have a true label the model was not trained on, so there is "
                             "nothing to measure robust accuracy on")
    n = len(rows)
    if n > SAMPLE:
        rows = rows.sample(SAMPLE, random_state=0).sort_index()
    labels = np.array([net.class_index(v) for v in rows[ctx.schema.target]])
    if net.kind == "image":
        X, module, low, high = ws.pixels(rows.index), net.module, net.low, net.high
        span = net.high - net.low
        eps = float(step.epsilon) if step.epsilon is not None else span * IMAGE_EPSILON
        eps_max = span if norm == "linf" else span * float(np.sqrt(np.prod(ws.image_spec.shape)))
        units = _image_units(ws)
    else:
        module, mean, std = rb.standardised(net)
        X = (rows[net.feature_names].to_numpy(dtype=np.float32) - mean) / std
        low, high = _table_bounds(ws, net, mean, std)
        eps = float(step.epsilon) if step.epsilon is not None else TABLE_EPSILON
        eps_max = TABLE_EPS_MAX
        units = "standard deviations of the training data"
    summary = rb.robust_accuracy(module, X, labels, epsilon=eps, norm=norm, low=low, high=high)
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(X), min(FRAGILE_SAMPLE, len(X)), replace=False))
    levels, turned = rb.fragility(module, X[pick], labels[pick], norm=norm, eps_max=eps_max, low=low, high=high)
    order = [k for k in np.argsort(levels, kind="stable") if np.isfinite(levels[k])][:FRAGILE_SHOWN]
    fragile = [{"id": plain_value(rows.index[pick[k]]), "label": plain_value(net.classes[labels[pick[k]]]),
                "adversarial_class": plain_value(net.classes[turned[k]]), "min_epsilon": float(levels[k])}
               for k in order]
    used = len(rows)
    sampled = f"; on a random sample of {used:,} of the {n:,}" if used < n else ""
    robust = unc.rate(int(round(summary.robust_accuracy * summary.n)), summary.n)
    clean = unc.rate(int(round(summary.clean_accuracy * summary.n)), summary.n)
    return RobustnessResult(
        selection=ctx.described(), n=len(ctx.frame), rows_used=used, kind=net.kind,
        epsilon={"norm": norm, "value": eps}, robust_accuracy=summary.robust_accuracy,
        clean_accuracy=summary.clean_accuracy, verified=summary.verified, units=units,
        note=(note + sampled).lstrip("; "), fragile=fragile, robust_count=robust.count, robust_low=robust.low,
        robust_high=robust.high, clean_count=clean.count, clean_low=clean.low, clean_high=clean.high,
        too_small=robust.too_small)


def _table_bounds(ws, net, mean, std) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's range in the data (and the training rows, when known), standardised."""
    frames = [ws.data[net.feature_names]]
    if ws.training is not None and ws.training.data is not None:
        frames.append(ws.training.load_data()[net.feature_names])
    both = pd.concat(frames)
    low = (both.min().to_numpy(dtype=np.float32) - mean) / std
    high = (both.max().to_numpy(dtype=np.float32) - mean) / std
    return low.astype(np.float32), high.astype(np.float32)


def _eps_words(norm: str, value: float, units: str, kind: str) -> str:
    if kind == "image":
        return (f"at most {fmt_number(value)} per pixel ({units}, L∞)" if norm == "linf"
                else f"{fmt_number(value)} in all (L2 norm over the pixels, {units})")
    return f"{fmt_number(value)} {units} ({'L2' if norm == 'l2' else 'L∞'} norm)"


@says(AdversarialResult)
def say_adversarial(r: AdversarialResult, ctx) -> Reply:
    schema = ctx.schema
    before = schema.class_phrase(r.original_class)
    thing = "image" if r.kind == "image" else schema.entity
    eps = r.epsilon
    if r.adversarial_class is None:
        wanted = f" into {schema.class_phrase(r.target)}" if r.target is not None else ""
        text = (f"The model calls {r.selection} {before} ({pct(r.original_probability)} sure), and no change of "
                f"{_eps_words(eps['norm'], eps['max'], r.units, r.kind)} that I searched turned it{wanted}: "
                f"within that size it is robust.")
        if r.target is not None and r.target == r.original_class:
            text = f"The model already calls {r.selection} {schema.class_phrase(r.target)}."
        return Reply(text)
    after = schema.class_phrase(r.adversarial_class)
    text = (f"The model calls {r.selection} {before} ({pct(r.original_probability)} sure). The smallest change I "
            f"found that fools it is {_eps_words(eps['norm'], eps['value'], r.units, r.kind)}: then it says "
            f"{after} ({pct(r.adversarial_probability)}).")
    if r.kind == "image":
        spec = ctx.workspace.image_spec
        share = eps["value"] / (spec.high - spec.low)
        if eps["norm"] == "linf":
            text += f" That is {pct(share)} of the value range per pixel."
    else:
        top = r.changes[:3]
        if top:
            text += " Mostly " + ", ".join(
                f"{_label(schema, c['feature'])} {fmt_number(c['value'])} → {fmt_number(c['changed'])}"
                for c in top) + "."
        frozen = [_label(schema, c["feature"]) for c in r.changes if c["feature"] in schema.immutable]
        if frozen:
            text += " It moves " + ", ".join(frozen) + ", which cannot change."
    text += (" Re-checked with the model: the changed input is " + after + " and the change is within ε."
             if r.verified else " Re-checking with the model did not confirm it, so treat it as unverified.")
    text += " " + NOT_ADVICE.format(thing=thing) + (NOT_ADVICE_TABLE if r.kind == "table" else "")
    if r.kind == "image":
        captions = [f"{r.row_id}: {_short(before)}", f"changed: {_short(after)}",
                    f"difference (ε {fmt_number(eps['value'])})"]
        figure = FigureSpec(kind="images", title=f"The smallest change that fools the model — {r.selection}",
                            images=[r.original, r.perturbed, r.difference], labels=captions, signed=[2],
                            xlabel="red: ink added · blue: ink taken away")
        return Reply(text, figure=figure)
    table = pd.DataFrame([{"feature": c["feature"], "value": c["value"], "changed to": c["changed"],
                           "change": c["change"], "in std": c["change_std"]} for c in r.changes])
    figure = FigureSpec(kind="bar", title=f"The smallest change that flips the model — {r.selection} (in std)",
                        labels=[c["feature"] for c in r.changes], values=[round(c["change_std"], 4) for c in r.changes],
                        xlabel="change in standard deviations")
    return Reply(text, table=table, figure=figure)


def _label(schema, feature: str) -> str:
    return schema.features[feature].label if feature in schema.features else feature


def _short(phrase: str) -> str:
    return phrase.removeprefix("a ").removeprefix("an ")


@says(RobustnessResult)
def say_robustness(r: RobustnessResult, ctx) -> Reply:
    schema = ctx.schema
    eps = _eps_words(r.epsilon["norm"], r.epsilon["value"], r.units, r.kind)
    # both rates are measured on the rows_used (held out, with a true label, sampled): said against them
    text = (f"For {r.selection}, under changes of {eps}, the model is still right on {r.robust_count:,} of "
            f"{r.rows_used:,} (robust accuracy {pct(r.robust_accuracy)}; 95% interval "
            f"{fmt_interval(r.robust_low, r.robust_high)}; PGD against each true class), against "
            f"{r.clean_count:,} of {r.rows_used:,} without any change ({pct(r.clean_accuracy)}; 95% interval "
            f"{fmt_interval(r.clean_low, r.clean_high)}).")
    if r.note:
        text += f" Measured {r.note}."
    if r.too_small:
        text = too_small_text(r.rows_used) + " " + text
    if r.fragile:
        first = r.fragile[0]
        text += (f" The most fragile: {schema.entity} {first['id']} ({schema.class_phrase(first['label'])}) is "
                 f"taken for {schema.class_phrase(first['adversarial_class'])} after a change of "
                 f"{fmt_number(first['min_epsilon'])} (of {len(r.fragile)} shown, from a sweep of growing changes).")
    text += " " + NOT_ADVICE.format(thing="data")
    table = pd.DataFrame([{"id": f["id"], "true label": schema.class_phrase(f["label"]),
                           "taken for": schema.class_phrase(f["adversarial_class"]),
                           "smallest ε that fools it": f["min_epsilon"]} for f in r.fragile]) if r.fragile else None
    figure = None
    if r.fragile and r.kind == "image":
        ws = ctx.workspace
        pixels = ws.pixels([f["id"] for f in r.fragile])
        figure = FigureSpec(kind="images", title=f"The most fragile — {r.selection}",
                            images=[_shown(p) for p in pixels],
                            labels=[f"{f['id']}: {f['label']}→{f['adversarial_class']} ε {fmt_number(f['min_epsilon'])}"
                                    for f in r.fragile],
                            xlabel="id: smallest change that fools the model")
    return Reply(text, table=table, figure=figure)
