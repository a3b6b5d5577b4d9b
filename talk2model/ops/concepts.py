"""concepts: is the model sensitive to a concept when it says a class? TCAV with random-concept
baselines and a t-test (talk2model.explainers.concepts). Concepts are built-ins made from simple
image statistics (thick or thin strokes, loops, random) or the images a condition names."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers import concepts as tc
from talk2model.explainers.network import network, one_thread
from talk2model.formatting import fmt_number, fmt_points
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, pct, says
from talk2model.workspace.schema import plain_value

INPUTS = 100      # inputs of a class scored, a seeded sample
ERR_NOT_IMAGES = ("concept tests (TCAV) take concepts made of example images; they work with image "
                  "workspaces, not tables")
ERR_CONCEPT = "there is no built-in concept '{name}'; the built-ins are {names}, or name images with 'where'"
ERR_SMALL = "the concept {name} has {n} example{s}; TCAV needs at least 5 (and twice as many others)"

_LOCK = threading.Lock()
_ACTS: dict[tuple, np.ndarray] = {}


@dataclass
class ConceptsResult(Result):
    selection: str
    layer: str
    tests: list[dict]            # concept, class, score, p_value, significant, random_mean, runs, concept_size, inputs
    alpha: float
    runs: int
    concepts: dict[str, str] = field(default_factory=dict)   # concept -> what it is
    examples: dict[str, list] = field(default_factory=dict)  # concept -> a few ids


def _layer(net, ws):
    layer = ws.model.gradcam_layer if ws.kind == "image" and ws.model.scriptable_hooks else None
    if layer is None:
        layer = net.hidden_layer
    names = {id(m): n for n, m in net.module.named_modules()}
    return layer, names.get(id(layer), "the last hidden layer")


def _all_activations(ws, net, layer) -> np.ndarray:
    key = (ws.model_fingerprint, ws.data_fingerprint, id(layer))
    with _LOCK:
        if key in _ACTS:
            return _ACTS[key]
    acts = tc.activations(net.module, layer, ws.images)
    with _LOCK:
        _ACTS.clear()
        _ACTS[key] = acts
    return acts


@operation("concepts", description="Is the model sensitive to a concept when it predicts a class? "
           "TCAV: concept activation vectors against random examples, scored on the class's images, with "
           "a t-test against random directions; built-in concepts (thick_strokes, thin_strokes, loops, "
           "random) or the images a condition names.",
           examples=("Does stroke thickness matter for 1s?",
                     "Is the model sensitive to thick strokes when it says 1?",
                     "Do loops matter when the model says 8?",
                     "Does looking like a 0 matter when the model says 6?"))
def concepts(ctx, step) -> ConceptsResult:
    ws = ctx.workspace
    if ws.kind != "image":
        raise OperationError(ERR_NOT_IMAGES)
    ctx.require_rows()
    net = network(ws, "A concept test")
    one_thread()
    layer, layer_name = _layer(net, ws)
    spec = ws.image_spec
    ids = list(ws.data.index)
    position = {i: k for k, i in enumerate(ids)}
    if step.where is not None:
        from talk2model.query.human import describe_expr

        name = f"{ws.schema.entity_plural} where {describe_expr(step.where, ws.schema)}"
        sets = {name: list(ctx.rows_where(step.where).index)}
        meaning = {name: f"the {ws.schema.entity_plural} that meet the condition"}
    elif step.concept is not None:
        if step.concept not in tc.BUILTIN:
            raise OperationError(ERR_CONCEPT.format(name=step.concept, names=", ".join(tc.BUILTIN)))
        sets = {step.concept: tc.builtin_concept(step.concept, ids, ws.images, spec.low, spec.high)}
        meaning = {step.concept: tc.BUILTIN[step.concept]}
    else:
        sets = {name: tc.builtin_concept(name, ids, ws.images, spec.low, spec.high) for name in tc.BUILTIN}
        meaning = dict(tc.BUILTIN)
    for name, members in sets.items():
        if len(members) < 5 or len(ids) - len(members) < 10:
            raise OperationError(ERR_SMALL.format(name=name, n=len(members), s="" if len(members) == 1 else "s"))
    # the classes tested, and their inputs: the selection's images of that class
    frame = ctx.frame
    truth = frame[ws.schema.target]
    pred = ws.predictions().loc[frame.index]
    if step.target is not None:
        targets = [net.class_index(step.target)]
    else:
        present = pd.unique(truth.dropna()) if truth.notna().any() else pd.unique(pred)
        targets = sorted(net.class_index(v) for v in present)
    acts = _all_activations(ws, net, layer)
    rng = np.random.default_rng(0)
    tests = []
    n_tests = len(sets) * len(targets)
    for t in targets:
        value = net.classes[t]
        members = frame.index[(truth == value).to_numpy() | (truth.isna() & (pred == value)).to_numpy()]
        if len(members) == 0:
            members = frame.index[(pred == value).to_numpy()]
        if len(members) == 0:
            continue
        chosen = [members[k] for k in sorted(rng.choice(len(members), min(INPUTS, len(members)), replace=False))]
        grads = tc.layer_gradients(net.module, layer, ws.pixels(chosen), t)
        for name, concept_ids in sets.items():
            inside = np.array([position[i] for i in concept_ids])
            outside = np.setdiff1d(np.arange(len(ids)), inside)
            found = tc.tcav(acts[inside], acts[outside], grads, concept=name, target=t, tests=n_tests)
            tests.append({"concept": name, "class": plain_value(value), "score": found.score,
                          "p_value": found.p_value, "significant": found.significant,
                          "random_mean": float(np.mean(found.random_scores)),
                          "random_std": float(np.std(found.random_scores)),
                          "scores": found.scores, "concept_size": len(concept_ids), "inputs": found.inputs})
    if not tests:
        raise OperationError("none of the selected images belong to the class asked about")
    return ConceptsResult(selection=ctx.described(), layer=layer_name, tests=tests, alpha=tc.ALPHA / max(1, n_tests),
                          runs=tc.RUNS, concepts=meaning,
                          examples={name: [plain_value(i) for i in members[:8]] for name, members in sets.items()})


@says(ConceptsResult)
def say_concepts(r: ConceptsResult, ctx) -> Reply:
    schema = ctx.schema

    def named(test):
        return test["concept"].replace("_", " ")

    lines = []
    for t in sorted(r.tests, key=lambda t: t["p_value"])[:4]:
        cls = schema.class_phrase(t["class"])
        if t["significant"]:
            way = "raises" if t["score"] > t["random_mean"] else "lowers"
            lines.append(f"for {cls}, '{named(t)}' matters: moving toward it {way} the score for {cls} on "
                         f"{pct(t['score'])} of the {t['inputs']:,} images scored (random directions: "
                         f"{pct(t['random_mean'])} ± {fmt_points(t['random_std'])}; p = {fmt_number(t['p_value'])})")
        else:
            lines.append(f"for {cls}, '{named(t)}' is not significant: its TCAV score {pct(t['score'])} could be "
                         f"that of a random direction ({pct(t['random_mean'])} ± {fmt_points(t['random_std'])}; "
                         f"p = {fmt_number(t['p_value'])})")
    text = "TCAV at layer " + r.layer + ": " + "; ".join(lines) + "."
    if len(r.tests) > 4:
        text += f" ({len(r.tests)} tests in the table.)"
    text += (f" Each concept was tested with {r.runs} concept vectors against different random images, and "
             f"compared with vectors between two random sets by a t-test (significant below p = {fmt_number(r.alpha)}, "
             "0.05 shared among the tests).")
    table = pd.DataFrame([{"concept": named(t), "class": schema.class_phrase(t["class"]),
                           "TCAV score": pct(t["score"]), "random": pct(t["random_mean"]),
                           "random ±": fmt_points(t["random_std"]),
                           "p-value": t["p_value"], "significant": "yes" if t["significant"] else "no",
                           "examples": t["concept_size"]} for t in r.tests])
    figure = FigureSpec(kind="bar", title=f"TCAV scores — {r.selection}",
                        labels=[f"{named(t)} → {t['class']}" for t in r.tests],
                        values=[t["score"] - t["random_mean"] for t in r.tests],
                        colors=["#2e86ab" if t["significant"] else "#bbbbbb" for t in r.tests],
                        xlabel="TCAV score minus the random directions' (grey: not significant)")
    return Reply(text, table=table, figure=figure)
