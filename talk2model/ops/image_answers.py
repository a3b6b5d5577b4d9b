"""The image workspace's side of explain, importance, show, mistakes, faithfulness and the
descriptions: typed results (data only) and their verbalisers.

The operations themselves stay one module each (`explain.py`, `importance.py`, ...); for an image
workspace they hand over to the functions here. Attributions come from Captum
(`talk2model.explainers.images`); heatmaps are `FigureSpec(kind="heatmap")`: the image and the
attributions over it, side by side, with a colour bar (drawn by `verbalize.plots`).

Evidence is put in words by region: the image is cut into a 3 x 3 grid (upper left ... lower
right); a region's positive attributions speak for the class, its negative ones against it, and
the words say whether the region holds ink ("the stroke in the upper right") or not ("the empty
centre").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers.captum_backend import KINDS, LARGE_DELTA, METHOD_NAMES, IG_STEPS, occlusion_window
from talk2model.explainers.faithfulness import choose
from talk2model.explainers.images import SAMPLE_IMAGES, image_explainer
from talk2model.formatting import fmt_interval, fmt_number
from talk2model.ops.registry import Result
from talk2model.ops.speech import FigureSpec, Reply, check_sentences, page, pct, says
from talk2model.workspace.schema import plain_value

ROWS = ("upper", "middle", "lower")
COLS = ("left", "centre", "right")
REGION_NAMES = {("upper", "left"): "upper left", ("upper", "centre"): "top", ("upper", "right"): "upper right",
                ("middle", "left"): "left side", ("middle", "centre"): "centre", ("middle", "right"): "right side",
                ("lower", "left"): "lower left", ("lower", "centre"): "bottom", ("lower", "right"): "lower right"}
SHARE = 0.15          # a region named as evidence holds at least this share of that sign's total
THUMBNAILS = 16       # images drawn in a grid
JSON_IMAGES = 16      # show: pixels of at most this many images in the JSON


def _grid(array: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(region name, boolean mask) for the 3 x 3 regions of an H x W array."""
    h, w = array.shape
    out = []
    for rname, rows in zip(ROWS, np.array_split(np.arange(h), 3)):
        for cname, cols in zip(COLS, np.array_split(np.arange(w), 3)):
            mask = np.zeros((h, w), dtype=bool)
            mask[np.ix_(rows, cols)] = True
            out.append((REGION_NAMES[(rname, cname)], mask))
    return out


def regions(heat: np.ndarray, image: np.ndarray, low: float, high: float) -> list[dict]:
    """Per region: its positive and negative attribution, and how much ink it holds (0..1)."""
    ink = (image - low) / (high - low) if high > low else image
    out = []
    for name, mask in _grid(heat):
        values = heat[mask]
        out.append({"region": name, "for": float(values[values > 0].sum()),
                    "against": float(-values[values < 0].sum()), "ink": float(ink[mask].mean())})
    return out


def _region_phrase(item: dict) -> str:
    return f"the stroke in the {item['region']}" if item["ink"] > 0.15 else f"the empty {item['region']}"


def evidence_words(parts: list[dict], outcome: str) -> tuple[str, str]:
    """('the stroke in the upper right and the centre', 'the empty left side') for / against."""
    total_for = sum(p["for"] for p in parts)
    total_against = sum(p["against"] for p in parts)
    pro = [p for p in sorted(parts, key=lambda p: -p["for"]) if total_for and p["for"] >= SHARE * total_for][:2]
    con = [p for p in sorted(parts, key=lambda p: -p["against"])
           if total_against and p["against"] >= SHARE * total_against
           and p["against"] >= 0.1 * max(total_for, 1e-12)][:2]
    return (" and ".join(_region_phrase(p) for p in pro), " and ".join(_region_phrase(p) for p in con))


def _two_d(values: np.ndarray) -> np.ndarray:
    """C x H x W -> H x W (channels summed); H x W as is."""
    return values.sum(axis=0) if values.ndim == 3 else values


def _shown(pixels: np.ndarray) -> list:
    """Pixels as the JSON and the figures carry them: H x W for grey, H x W x C for colour."""
    if pixels.shape[0] == 1:
        return np.round(pixels[0], 4).tolist()
    return np.round(np.transpose(pixels, (1, 2, 0)), 4).tolist()


def _attr_json(values: np.ndarray) -> list:
    return np.round(values[0] if values.shape[0] == 1 else values, 6).tolist()


def _class_of(ws, target: int):
    return plain_value(ws.model.classes[target])


def _cost_sentence(method: str, att, shape) -> str:
    if method == "occlusion":
        window, _ = occlusion_window(tuple(shape))
        return (f"Occlusion is a perturbation method: it hid {att.forward_passes - 1} patches of "
                f"{window[1]}×{window[2]} pixels, one forward pass each ({att.forward_passes} in all, "
                f"{att.seconds * 1000:.0f} ms here). It measures what a patch is worth as a whole, so it "
                "is not fooled where gradients saturate, but it is coarse and costs a pass per patch.")
    if method == "integrated_gradients":
        return f"Integrated Gradients averaged the gradient over {IG_STEPS} steps from a blank image ({att.seconds * 1000:.0f} ms)."
    if method == "saliency":
        return ("Saliency is the gradient: how the score would move with a little more ink at each pixel, "
                "one backward pass; it says where the model is sensitive, not how much each pixel contributed.")
    if method == "gradcam":
        return ("Grad-CAM weighs the last convolutional block's feature maps by their gradients and "
                "upsamples the result: where the model's late features look, coarse by construction.")
    if method == "deep_shap":
        return "Deep SHAP averaged DeepLIFT over 20 training images as references."
    return "DeepLIFT compared each unit's activation with its value on a blank image, in one backward pass."


def _delta_sentence(att) -> str:
    rel = att.relative_delta
    if rel is None:
        return ""
    ref = "the average over its reference images" if att.method == "deep_shap" else "a blank image"
    delta = att.convergence_delta
    text = (f" The score for the class is {fmt_number(att.output_value)}, against {fmt_number(att.base_value)} "
            f"for {ref}; the attributions add up to the difference within {pct(rel)} (convergence delta "
            f"{'+' if delta >= 0 else '-'}{fmt_number(abs(delta))}).")
    if rel > LARGE_DELTA:
        text += (f" That is a large completeness error: the {IG_STEPS}-step path integral has not "
                 "converged here, so read the map as approximate." if att.method == "integrated_gradients"
                 else " That is a large completeness error, so read the map as approximate.")
    return text


# ---- explain --------------------------------------------------------------------------------------
@dataclass
class ImageExplainResult(Result):
    selection: str
    n: int
    method: str                        # the method used (auto resolved)
    asked: str                         # the method asked for
    target_class: Any                  # the class explained (one image: its predicted class)
    attributions: list                 # one image: H x W (or C x H x W); many: the mean map
    output_value: float | None = None  # the model's logit for target_class
    base_value: float | None = None    # the logit at the baseline (deep_shap: mean over its references)
    convergence_delta: float | None = None
    row_id: Any = None
    predicted: Any = None
    confidence: float | None = None
    runner_up: list | None = None      # [class, probability]
    image: list = field(default_factory=list)          # the image (many: the mean image)
    regions: list[dict] = field(default_factory=list)
    faithfulness: list[dict] | None = None
    chosen_because: str | None = None
    forward_passes: int = 0
    seconds: float = 0.0
    rows_used: int = 0
    predicted_counts: dict[Any, int] = field(default_factory=dict)


def explain(ctx, step) -> ImageExplainResult:
    ws = ctx.workspace
    ex = image_explainer(ws)
    frame = ctx.frame
    if len(frame) == 1:
        return _explain_one(ctx, step, ex)
    method, why = ex.resolve(ws, step.method)
    rows = frame if len(frame) <= SAMPLE_IMAGES else frame.sample(SAMPLE_IMAGES, random_state=0).sort_index()
    atts = ex.attribute(ws, rows.index, method)
    mean = np.mean([a.values for a in atts], axis=0)
    image = ws.pixels(rows.index).mean(axis=0)
    pred = ctx.predictions()
    classes = {plain_value(c) for c in pred.loc[rows.index]}
    target = classes.pop() if len(classes) == 1 else None
    return ImageExplainResult(
        selection=ctx.described(), n=len(frame), method=method, asked=step.method, target_class=target,
        attributions=_attr_json(mean), image=_shown(image),
        regions=regions(_two_d(mean), _two_d(image), ws.image_spec.low, ws.image_spec.high),
        chosen_because=why, rows_used=len(rows), seconds=float(sum(a.seconds for a in atts)),
        predicted_counts={plain_value(k): int(v) for k, v in pred.value_counts().items()})


def _explain_one(ctx, step, ex) -> ImageExplainResult:
    ws = ctx.workspace
    image_id = ctx.frame.index[0]
    proba = ctx.probabilities().iloc[0].sort_values(ascending=False, kind="stable")
    target = ex.targets(ws, [image_id])[0]
    faith, why = None, None
    if step.method in ("auto", "shap"):
        table = ex.faithfulness(ws, image_id, target=target)
        best, why = choose(table)
        method = best.method
        faith = [r.to_json() for r in table]
    elif step.method == "lime":
        ex.resolve(ws, "lime")   # says LIME is for tables
        raise AssertionError("unreachable")
    else:
        method = step.method
        ex.captum.check(method)
        faith = [r.to_json() for r in ex.faithfulness(ws, image_id, [method], target=target)]
    att = ex.attribute(ws, [image_id], method, [target])[0]
    pixels = ws.pixels([image_id])[0]
    runner = [plain_value(proba.index[1]), float(proba.iloc[1])] if len(proba) > 1 else None
    return ImageExplainResult(
        selection=ctx.described(), n=1, method=method, asked=step.method,
        target_class=_class_of(ws, target), attributions=_attr_json(att.values),
        output_value=att.output_value, base_value=att.base_value,
        convergence_delta=att.convergence_delta, row_id=plain_value(image_id),
        predicted=_class_of(ws, target), confidence=float(proba.iloc[0]), runner_up=runner,
        image=_shown(pixels), regions=regions(_two_d(att.values), _two_d(pixels), ws.image_spec.low,
                                              ws.image_spec.high),
        faithfulness=faith, chosen_because=why, forward_passes=att.forward_passes, seconds=att.seconds,
        rows_used=1)


def faithfulness_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "method": [METHOD_NAMES.get(r["method"], r["method"]) for r in rows],
        "kind": [KINDS.get(r["method"], "") for r in rows],
        # numbers as they are: the one table writer formats them as the text does (fmt_number)
        "deletion AUC (lower better)": [r["deletion_auc"] for r in rows],
        "random order": [r["random_auc"] for r in rows],
        "infidelity (0 best)": [r["infidelity"] for r in rows],
        "after randomising weights": [r.get("randomised_similarity") for r in rows],
        "sanity check": [("passes" if r["passes_sanity"] is True else "fails" if r["passes_sanity"] is False
                          else "not run") if not isinstance(r["passes_sanity"], float)
                         else f"passes on {pct(r['passes_sanity'])}" for r in rows],
        # whole milliseconds, as the sentences write a time: a timing is measured anew on each run,
        # and a tenth of a millisecond is noise
        "ms": [round(1000 * r["seconds"]) for r in rows] if all("seconds" in r for r in rows) else None,
    }).dropna(axis=1, how="all")


def _heat_figure(r: ImageExplainResult, title: str) -> FigureSpec:
    att = np.asarray(r.attributions, dtype=float)
    heat = att.sum(axis=0) if att.ndim == 3 else att
    return FigureSpec(kind="heatmap", title=title, image=r.image, heat=np.round(heat, 6).tolist(),
                      labels=["the image" if r.n == 1 else f"mean of {r.rows_used:,} images",
                              f"{METHOD_NAMES.get(r.method, r.method)} over it"],
                      xlabel="red: for the class · blue: against it")


@says(ImageExplainResult)
def say_image_explain(r: ImageExplainResult, ctx) -> Reply:
    schema = ctx.schema
    how = METHOD_NAMES.get(r.method, r.method)
    if r.n > 1:
        outcome = schema.class_phrase(r.target_class) if r.target_class is not None else "the class each image is predicted as"
        pro, con = evidence_words(r.regions, outcome)
        sampled = f" (on a random sample of {r.rows_used:,} of them)" if r.rows_used < r.n else ""
        text = (f"For {r.selection}{sampled}, on average ({how}, each image explained for the class the model "
                f"predicts for it): {pro or 'no region stands out'} speak{'s' if ' and ' not in pro else ''} "
                f"for {outcome}" + (f"; {con} argue{'s' if ' and ' not in con else ''} against it." if con else "."))
        if r.chosen_because:
            text += f" Why {how}: {r.chosen_because}."
        return Reply(text, figure=_heat_figure(r, f"Why {outcome} — {r.selection}"))
    outcome = schema.class_phrase(r.predicted)
    start = f"The model sees {outcome} in {r.selection} ({pct(r.confidence)} sure"
    if r.runner_up is not None:
        start += f"; next {schema.class_phrase(r.runner_up[0])} at {pct(r.runner_up[1])}"
    start += ")."
    pro, con = evidence_words(r.regions, outcome)
    words = f" {how[:1].upper()}{how[1:]}: " + (f"{pro} speak{'s' if ' and ' not in pro else ''} for {outcome}" if pro
                           else f"no region speaks clearly for {outcome}")
    words += (f"; {con} argue{'s' if ' and ' not in con else ''} against it." if con else ".")
    text = start + words
    if r.chosen_because:
        text += f" Why {how}: it is {r.chosen_because}."
    elif r.faithfulness:
        f = r.faithfulness[0]
        text += (f" Its deletion AUC here is {fmt_number(f['deletion_auc'])} against {fmt_number(f['random_auc'])} "
                 f"for a random order (lower is better), infidelity {fmt_number(f['infidelity'])}.")
    text += _delta_sentence(_AttView(r))
    text += " " + _cost_sentence(r.method, _AttView(r), np.asarray(ctx.workspace.image_spec.shape))
    table = faithfulness_table(r.faithfulness) if r.faithfulness else None
    figure = _heat_figure(r, f"Why {outcome} — {r.selection}")
    return Reply(text, table=table, figure=figure)


class _AttView:
    """The few Attribution fields the sentences read, from a result."""

    def __init__(self, r: ImageExplainResult) -> None:
        self.method, self.output_value, self.base_value = r.method, r.output_value, r.base_value
        self.convergence_delta, self.forward_passes, self.seconds = r.convergence_delta, r.forward_passes, r.seconds

    @property
    def relative_delta(self) -> float | None:
        if self.convergence_delta is None or self.base_value is None or self.output_value is None:
            return None
        gap = abs(self.output_value - self.base_value)
        return abs(self.convergence_delta) / gap if gap > 1e-9 else 0.0


# ---- importance ------------------------------------------------------------------------------------
@dataclass
class ImageImportanceResult(Result):
    selection: str
    n: int
    method: str
    map: list                      # mean |attribution| per pixel (H x W)
    mean_image: list
    ranking: list[dict]            # pixels, most important first: row, column, importance
    top: int | None = None
    rows_used: int = 0
    chosen_because: str | None = None
    regions: list[dict] = field(default_factory=list)


def importance(ctx, step) -> ImageImportanceResult:
    ws = ctx.workspace
    if step.feature is not None:
        raise OperationError(f"images have no named features like '{step.feature}'; ask which pixels "
                             "matter (\"importance\") or why one image is predicted as it is (\"explain\")")
    ex = image_explainer(ws)
    method, why = ex.resolve(ws, "auto")
    frame = ctx.frame
    rows = frame if len(frame) <= SAMPLE_IMAGES else frame.sample(SAMPLE_IMAGES, random_state=0).sort_index()
    atts = ex.attribute(ws, rows.index, method)
    heat = np.mean([np.abs(_two_d(a.values)) for a in atts], axis=0)
    image = ws.pixels(rows.index).mean(axis=0)
    order = np.argsort(-heat.ravel(), kind="stable")
    w = heat.shape[1]
    ranking = [{"row": int(k // w), "column": int(k % w), "importance": float(heat.ravel()[k])} for k in order]
    return ImageImportanceResult(selection=ctx.described(), n=len(frame), method=method,
                                 map=np.round(heat, 6).tolist(), mean_image=_shown(image), ranking=ranking,
                                 top=step.top, rows_used=len(rows), chosen_because=why,
                                 regions=regions(heat, _two_d(image), ws.image_spec.low, ws.image_spec.high))


@says(ImageImportanceResult)
def say_image_importance(r: ImageImportanceResult, ctx) -> Reply:
    how = METHOD_NAMES.get(r.method, r.method)
    parts = sorted(r.regions, key=lambda p: -p["for"])
    total = sum(p["for"] for p in parts) or 1.0
    named = [f"the {p['region']} ({pct(p['for'] / total)})" for p in parts[:3]]
    sampled = f", a random sample of {r.rows_used:,} of them" if r.rows_used < r.n else ""
    text = (f"For {r.selection}{sampled}, the pixels that matter most to the model are in "
            + ", ".join(named[:-1]) + f" and {named[-1]} of the image (mean |{how}| attribution; the "
            f"share of the total in each region). Ink or its absence there moves the model's score most.")
    if r.chosen_because:
        text += f" Why {how}: {r.chosen_because}."
    k = r.top or 10
    table = pd.DataFrame([{"rank": i + 1, "pixel (row, column)": f"({p['row']}, {p['column']})",
                           "mean |attribution|": p["importance"]} for i, p in enumerate(r.ranking)])
    shown, more = page(table, "More pixels", k)
    figure = FigureSpec(kind="heatmap", title=f"Which pixels matter — {r.selection}", image=r.mean_image,
                        heat=r.map, labels=[f"mean of {r.rows_used:,} images", f"mean |{how}|"],
                        xlabel="mean |attribution|")
    return Reply(text, table=shown, figure=figure, more=more)


# ---- show ------------------------------------------------------------------------------------------
def image_rows(ctx, frame: pd.DataFrame) -> pd.DataFrame:
    """id, true label, prediction and confidence of the frame's images, as words (the confidence a
    number, for the JSON; `rows_shown` writes it as the answers' text does)."""
    schema = ctx.schema
    proba = ctx.workspace.probabilities().loc[frame.index] if not ctx.whatifs else ctx.workspace.probabilities(frame)
    pred = ctx.workspace.predictions().loc[frame.index]
    labels = frame[schema.target]
    return pd.DataFrame({"id": frame.index,
                         "true label": [schema.class_phrase(v) if pd.notna(v) else "unknown (uploaded)" for v in labels],
                         "prediction": [schema.class_phrase(v) for v in pred],
                         "confidence": [round(float(p), 4) for p in proba.max(axis=1)]})


def rows_shown(rows: pd.DataFrame) -> pd.DataFrame:
    """Image rows as a table shows them: the confidence as a percentage, as the text gives it."""
    return rows.assign(confidence=rows["confidence"].map(pct)) if "confidence" in rows else rows


def thumbnails(ctx, frame: pd.DataFrame, title: str) -> FigureSpec:
    table = image_rows(ctx, frame.iloc[:THUMBNAILS])
    pixels = ctx.workspace.pixels(frame.index[:THUMBNAILS])
    captions = [f"{i}: {t} → {p}" if not str(t).startswith("unknown") else f"{i}: → {p}"
                for i, t, p in zip(table["id"], table["true label"].str.removeprefix("a ").str.removeprefix("an "),
                                   table["prediction"].str.removeprefix("a ").str.removeprefix("an "))]
    return FigureSpec(kind="images", title=title, images=[_shown(p) for p in pixels], labels=captions,
                      xlabel="id: true → predicted")


@dataclass
class ImageShowResult(Result):
    selection: str
    n: int
    rows: pd.DataFrame
    images: list = field(default_factory=list)   # pixels of the first JSON_IMAGES images

    def to_json(self) -> dict:
        from talk2model.ops.registry import jsonable

        return {"selection": self.selection, "n": self.n, "rows": jsonable(self.rows.head(100)),
                "rows_truncated": self.n > 100, "images": self.images}


def show(ctx, step) -> ImageShowResult:
    frame = ctx.frame
    rows = image_rows(ctx, frame)
    return ImageShowResult(selection=ctx.described(), n=len(frame), rows=rows,
                           images=[_shown(p) for p in ctx.workspace.pixels(frame.index[:JSON_IMAGES])])


@says(ImageShowResult)
def say_image_show(r: ImageShowResult, ctx) -> Reply:
    frame = ctx.frame
    figure = thumbnails(ctx, frame, f"{r.selection[:1].upper()}{r.selection[1:]}")
    if r.n == 1:
        row = r.rows.iloc[0]
        truth = "its true label is unknown (uploaded)" if row["true label"].startswith("unknown") else \
            f"true label {row['true label']}"
        text = (f"{r.selection[:1].upper()}{r.selection[1:]}: {truth}; the model predicts "
                f"{row['prediction']} ({pct(row['confidence'])} sure).")
        return Reply(text, table=rows_shown(r.rows), figure=figure)
    shown, more = page(rows_shown(r.rows), "More images")
    drawn = min(r.n, THUMBNAILS)
    text = (f"Here {'are' if r.n > 1 else 'is'} {r.selection}: the first {drawn} drawn"
            + (f", the first 10 listed; say \"more\" for the rest." if more else "."))
    return Reply(text, table=shown, figure=figure, more=more)


# ---- mistakes --------------------------------------------------------------------------------------
def confusion_pairs(y: pd.Series, pred: pd.Series) -> list[dict]:
    wrong = y != pred
    pairs = pd.DataFrame({"true": y[wrong], "predicted": pred[wrong]}).value_counts()
    per_class = y.value_counts()
    return [{"true": plain_value(t), "predicted": plain_value(p), "count": int(n),
             "share_of_true": float(n / per_class[t])} for (t, p), n in pairs.items()]


# ---- describe -------------------------------------------------------------------------------------
@dataclass
class ImageDataResult(Result):
    title: str
    description: str
    images: int
    shape: dict
    classes: dict
    class_counts: dict[Any, int]
    uploaded: int = 0
    checks: dict[str, Any] | None = None     # talk2model.workspace.checks: imbalance, training rows


def describe_data(ctx, step) -> ImageDataResult:
    ws = ctx.workspace
    counts = {plain_value(k): int(v) for k, v in ws.y.value_counts().sort_index().items()}
    return ImageDataResult(title=ws.schema.title, description=ws.schema.description, images=len(ws.data),
                           shape=ws.image_spec.to_json(), classes=dict(ws.schema.classes),
                           class_counts=counts, uploaded=len(ws.uploads), checks=ws.checks.to_json())


@says(ImageDataResult)
def say_image_data(r: ImageDataResult, ctx) -> Reply:
    schema, spec = ctx.schema, ctx.workspace.image_spec
    counts = ", ".join(f"{schema.class_phrase(c)} {pct(n / max(1, sum(r.class_counts.values())))}"
                       for c, n in r.class_counts.items())
    text = (f"{r.title}: {r.description} There are {r.images:,} {spec.describe()} images (values "
            f"{spec.low:g} to {spec.high:g}, {'light ink on a dark ground' if spec.background == 'dark' else 'dark ink on a light ground'}), "
            f"in {len(r.classes)} classes: {counts}.")
    if r.uploaded:
        text += f" {r.uploaded} of them {'was' if r.uploaded == 1 else 'were'} uploaded in this session (true label unknown)."
    warnings = check_sentences(ctx.workspace.checks, schema)   # imbalance, unknown training rows
    text += (" Checks: " + "; ".join(warnings) + "." if warnings else " Checks: the classes are not imbalanced.")
    total = max(1, sum(r.class_counts.values()))
    table = pd.DataFrame({"class": [schema.class_phrase(c) for c in r.class_counts],
                          "images": list(r.class_counts.values()),
                          "share": [pct(n / total) for n in r.class_counts.values()]})
    return Reply(text, table=table)


@dataclass
class ImageModelResult(Result):
    kind: str
    architecture: str
    layers: list[str]
    parameters: int
    input: dict
    classes: int
    held_out_rows: int
    held_out_accuracy: float | None
    methods: list[str]
    fingerprint: str
    correct: int = 0                    # right of held_out_rows
    low: float | None = None            # 95% Wilson interval of the accuracy
    high: float | None = None
    training_known: bool = True


def describe_model(ctx, step) -> ImageModelResult:
    from talk2model.explainers import uncertainty as unc
    from talk2model.ops.score import compute_metric

    ws = ctx.workspace
    module = ws.model.module
    layers = [f"{name}: {type(m).__name__}" for name, m in module.named_children()]
    held = ws.held_out_mask(ws.ids) & ws.y.notna().to_numpy()
    y = ws.y[held].astype(int if pd.api.types.is_integer_dtype(ws.y) else object)
    acc = compute_metric("accuracy", y, ws.predictions()[held]) if held.any() else None
    result = ImageModelResult(kind=ws.model.kind, architecture=ws.model.architecture, layers=layers,
                              parameters=int(sum(p.numel() for p in module.parameters())),
                              input=ws.image_spec.to_json(), classes=len(ws.model.classes),
                              held_out_rows=int(held.sum()), held_out_accuracy=acc,
                              methods=image_explainer(ws).methods(), fingerprint=ws.model_fingerprint,
                              training_known=ws.training_known)
    if held.any():
        right = unc.rate(int((ws.predictions()[held].to_numpy() == y.to_numpy()).sum()), int(held.sum()))
        result.correct, result.low, result.high = right.count, right.low, right.high
    return result


@says(ImageModelResult)
def say_image_model(r: ImageModelResult, ctx) -> Reply:
    spec = ctx.workspace.image_spec
    which = "a TorchScript network" if r.architecture == "torchscript" else \
        f"a convolutional neural network (PyTorch, talk2model architecture {r.architecture})"
    text = (f"The model is {which} with {r.parameters:,} weights. It reads {spec.describe()} images and "
            f"gives a score (logit) for each of its {r.classes} classes; the probabilities are their softmax.")
    if r.held_out_accuracy is not None:
        which = "images it was not trained on" if r.training_known else "images of this workspace"
        text += (f" Its accuracy on the {r.held_out_rows:,} {which} is {pct(r.held_out_accuracy)} "
                 f"({r.correct:,} of {r.held_out_rows:,} right; 95% interval {fmt_interval(r.low, r.high)}).")
    text += (" I explain it with Captum: " + ", ".join(METHOD_NAMES.get(m, m) for m in r.methods)
             + "; \"auto\" picks the most faithful of them by measuring.")
    warnings = check_sentences(ctx.workspace.checks, ctx.schema)
    if warnings:
        text += " Careful: " + "; ".join(warnings) + "."
    return Reply(text, table=pd.DataFrame({"layer": r.layers}))
