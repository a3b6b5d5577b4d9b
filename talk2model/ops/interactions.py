"""interactions: which pairs of features act together in the model (SHAP interaction values for
tree models, Friedman's H statistic otherwise), strongest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers import explainer_for
from talk2model.explainers.interactions import interactions as measure_interactions
from talk2model.explainers.phrasing import feature_label, space_text
from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, define_terms, page, says

SHOWN = 3
WEAK_H = 0.05


@dataclass
class InteractionsResult(Result):
    selection: str
    n: int
    measure: str                  # shap-interaction, friedman-h
    rows_used: int
    output_space: str
    explained_class: Any
    pairs: list[dict]             # {"a", "b", "strength"}, strongest first


@operation("interactions", description="Which features interact most in the model's decisions.",
           examples=("Which features interact the most?", "Are there interactions between features?",
                     "What feature interactions matter for people over 50?"))
def interactions(ctx, step) -> InteractionsResult:
    ctx.require_rows()
    if len(ctx.frame) < 2:
        raise OperationError(f"interactions are measured over a group; {ctx.described()} is one "
                             f"{ctx.schema.entity}")
    ex = explainer_for(ctx.workspace)
    found = measure_interactions(ex, ctx.frame)
    classes = list(ctx.workspace.model.classes_)
    explained = classes[1] if len(classes) == 2 else ex.backend.outputs[0] if len(ex.backend.outputs) == 1 else None
    from talk2model.workspace.schema import plain_value

    return InteractionsResult(selection=ctx.described(), n=len(ctx.frame), measure=found.measure,
                              rows_used=found.rows, output_space=found.space,
                              explained_class=plain_value(explained) if explained is not None else None,
                              pairs=[{"a": a, "b": b, "strength": s} for a, b, s in found.pairs])


@says(InteractionsResult)
def say_interactions(r: InteractionsResult, ctx) -> Reply:
    schema = ctx.schema
    label = lambda f: feature_label(schema, f)  # noqa: E731
    top = r.pairs[:SHOWN]
    sample = f" (on a sample of {r.rows_used:,} of them)" if r.rows_used < r.n else ""
    if r.measure == "shap-interaction":
        unit = f"mean |SHAP interaction| on the {space_text(r.output_space, schema, r.explained_class)}"
        words = [f"{label(p['a'])} and {label(p['b'])} ({fmt_number(p['strength'])})" for p in top]
        plain = (f"For {r.selection}{sample}, the features whose effects depend most on each other are "
                 + "; ".join(f"{label(p['a'])} and {label(p['b'])}" for p in top) + ".")
        details = "Details: " + "; ".join(words) + f" ({unit})."
        meanings = define_terms(details, ctx.state)
        text = plain + "\n" + details + (" " + meanings if meanings else "")
    else:
        words = [f"{label(p['a'])} and {label(p['b'])} (H = {fmt_number(p['strength'])})" for p in top]
        if not top or top[0]["strength"] < WEAK_H:
            text = (f"For {r.selection}{sample}, the features barely interact: the strongest pair, "
                    f"{words[0] if words else 'none'}, has almost all of its joint effect explained by the "
                    f"two features' separate effects on the {r.output_space}.")
        else:
            text = (f"For {r.selection}{sample}, the strongest interactions are between " + "; ".join(words)
                    + f". H is Friedman's statistic on the {r.output_space}: the share of a pair's joint effect "
                    "that their separate effects do not explain (0 = none).")
    table = pd.DataFrame({"feature": [label(p["a"]) for p in r.pairs], "with": [label(p["b"]) for p in r.pairs],
                          "strength": [p["strength"] for p in r.pairs]})
    shown, more = page(table, "More pairs")
    figure = FigureSpec(kind="bar", title=f"Strongest interactions, {r.selection}",
                        labels=[f"{label(p['a'])} × {label(p['b'])}" for p in r.pairs[:8]],
                        values=[p["strength"] for p in r.pairs[:8]],
                        xlabel="mean |interaction|" if r.measure == "shap-interaction" else "Friedman's H")
    return Reply(text, table=shown, figure=figure, more=more)
