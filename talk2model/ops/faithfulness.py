"""faithfulness: which explanation to trust. Each attribution method is measured on this
model: a deletion curve against random orders, Captum's infidelity, and the model-randomisation
sanity check (talk2model.explainers.faithfulness). One image or row: its own figures; a group:
the mean over a seeded sample of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers.captum_backend import METHOD_NAMES
from talk2model.explainers.faithfulness import aggregate, choose
from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, pct, says

SAMPLE = 10   # a group is measured on a seeded sample of this many of its rows / images

ERR_NOT_TORCH = ("the faithfulness comparison measures attribution methods for PyTorch models; this model "
                 "is a {kind}, explained with SHAP")


@dataclass
class FaithfulnessResult(Result):
    selection: str
    n: int
    rows_used: int
    methods: list[dict]                 # per method: deletion_auc, random_auc, infidelity, randomised_similarity, passes_sanity, ...
    best: str
    why: str
    output: str = "the class's probability"
    wins: dict[str, int] = field(default_factory=dict)


def _sample(frame: pd.DataFrame, ws) -> list:
    held = frame.index[ws.held_out_mask(frame.index)] if ws.train_ids else frame.index
    pool = list(held) if len(held) else list(frame.index)
    rng = np.random.default_rng(0)
    return [pool[k] for k in sorted(rng.choice(len(pool), min(SAMPLE, len(pool)), replace=False))]


@operation("faithfulness", description="Which explanation method to trust for this model: each one's "
           "deletion curve against random orders, infidelity, and whether it passes the "
           "weight-randomisation sanity check.",
           examples=("Is Grad-CAM or integrated gradients more trustworthy here?",
                     "Which explanation method is most faithful for image 12?",
                     "How reliable are the explanations for patient 51?"))
def faithfulness(ctx, step) -> FaithfulnessResult:
    ctx.require_rows()
    ws = ctx.workspace
    methods = list(step.methods) if step.methods else None
    if ws.kind == "image":
        from talk2model.explainers.images import image_explainer

        ex = image_explainer(ws)
        items = list(ctx.frame.index) if len(ctx.frame) == 1 else _sample(ctx.frame, ws)
        per_item = [ex.faithfulness(ws, i, methods) for i in items]
    else:
        from talk2model.explainers import explainer_for

        ex = explainer_for(ws)
        if ex.captum is None:
            raise OperationError(ERR_NOT_TORCH.format(kind=ws.model.kind))
        items = list(ctx.frame.index) if len(ctx.frame) == 1 else _sample(ctx.frame, ws)
        per_item = [ex.faithfulness(ctx.frame.loc[[i]], methods) for i in items]
    if len(per_item) == 1:
        rows = [r.to_json() for r in per_item[0]]
        best, why = choose(per_item[0])
        why = f"{METHOD_NAMES.get(best.method, best.method)} is {why}"
        best_method, wins = best.method, {best.method: 1}
    else:
        rows, wins = aggregate(per_item)
        best_row = max(rows, key=lambda r: (r["wins"], -r["deletion_auc"]))
        why = (f"{METHOD_NAMES.get(best_row['method'], best_row['method'])} is the most faithful on "
               f"{best_row['wins']} of {len(per_item)} of them (mean deletion AUC {fmt_number(best_row['deletion_auc'])} "
               f"vs {fmt_number(best_row['random_auc'])} for a random order, infidelity {fmt_number(best_row['infidelity'])})")
        best_method = best_row["method"]
    return FaithfulnessResult(selection=ctx.described(), n=len(ctx.frame), rows_used=len(per_item),
                              methods=rows, best=best_method, why=why, wins=wins,
                              output="the predicted class's probability" if ws.kind == "image"
                              else f"the probability of {ctx.schema.class_phrase(ws.model.classes_[-1])}")


@says(FaithfulnessResult)
def say_faithfulness(r: FaithfulnessResult, ctx) -> Reply:
    from talk2model.ops.image_answers import faithfulness_table

    over = r.selection if r.rows_used >= r.n else f"a random sample of {r.rows_used} of {r.selection}"
    text = f"For {over}: {r.why}."
    ranked = sorted(r.methods, key=lambda m: m["deletion_auc"])
    if len(ranked) > 1:
        text += (" Deletion AUC (the area under " + r.output + " as the most important inputs are removed "
                 "first; lower is better): " + ", ".join(f"{METHOD_NAMES.get(m['method'], m['method'])} "
                                                       f"{fmt_number(m['deletion_auc'])}" for m in ranked)
                 + f"; a random order gives {fmt_number(ranked[0]['random_auc'])}.")
    failed = [m for m in r.methods if m.get("passes_sanity") is False
              or (isinstance(m.get("passes_sanity"), float) and m["passes_sanity"] < 0.5)]
    if failed:
        text += (" " + " and ".join(METHOD_NAMES.get(m["method"], m["method"]) for m in failed)
                 + (" fails" if len(failed) == 1 else " fail") + " the sanity check"
                 + (" on most of them" if r.rows_used > 1 else "")
                 + ": the map hardly changes when the model's weights are randomised, so it shows the input more than the model.")
    occl = next((m for m in r.methods if m["method"] == "occlusion"), None)
    if occl is not None:
        text += (" Occlusion is the one perturbation method here (a forward pass per patch hidden); "
                 "the others read the model's gradients.")
    return Reply(text, table=faithfulness_table(r.methods))
