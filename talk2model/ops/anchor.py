"""anchor: under which conditions the model's prediction for a row surely holds — an anchor rule
(Ribeiro et al. 2018) with precision >= 0.95, its precision and coverage measured on the data
(talk2model.explainers.anchors: beam search with the KL-LUCB bandit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers.anchors import THRESHOLD
from talk2model.explainers.anchors import anchor as find_anchor
from talk2model.ops.registry import Result, operation
from talk2model.verbalize import Reply, pct, says
from talk2model.workspace.schema import plain_value

ERR_ONE_ROW = ("an anchor is a rule for one {entity}'s prediction; pick one (for example "
               "\"filter id == 12 then anchor\")")
ERR_IMAGES = "anchors are rules over a table's features; for images ask why (explain) or what fools the model (adversarial)"


@dataclass
class AnchorOpResult(Result):
    selection: str
    row_id: Any
    prediction: Any
    rule: list[dict]                   # feature, cmp, value: the query language's comparisons
    precision: float                   # on the data's rows that meet the rule
    coverage: float                    # share of the data's rows that meet it
    rows: int
    threshold: float
    found: bool
    precision_estimate: float          # the bandit's, on perturbed rows
    precision_lower_bound: float
    evaluations: int
    seconds: float
    data_rows: int = 0
    history: list[dict] = field(default_factory=list)


@operation("anchor", description="Under which conditions the model's prediction for one row surely "
           "holds: an anchor rule (Ribeiro et al. 2018, beam search with the KL-LUCB bandit) with precision "
           "of at least 95%, its precision and coverage measured on the data.",
           examples=("What conditions guarantee applicant 12's approval?",
                     "Under which conditions will applicant 12 surely be approved?",
                     "What rule keeps patient 51's prediction the same?",
                     "Which facts alone make the model say bad credit risk for applicant 3?"))
def anchor(ctx, step) -> AnchorOpResult:
    ws = ctx.workspace
    if ws.kind == "image":
        raise OperationError(ERR_IMAGES)
    ctx.require_rows()
    if len(ctx.frame) != 1:
        raise OperationError(ERR_ONE_ROW.format(entity=ctx.schema.entity))
    if ctx.schema.task != "classification":
        raise OperationError("anchors explain a class; this model predicts a number")
    features = list(ws.model.feature_names)
    categorical = {f for f in features if f in ctx.schema.features and ctx.schema.features[f].kind != "numeric"}
    row = ctx.frame.iloc[0]
    predict = ws.model.predict
    data_pred = ws.predictions().loc[ws.data.index].to_numpy() if not ctx.whatifs else None
    found = find_anchor(predict, ws.data, row, features=features, categorical=categorical,
                        data_predictions=data_pred)
    return AnchorOpResult(
        selection=ctx.described(), row_id=plain_value(ctx.frame.index[0]),
        prediction=plain_value(predict(ctx.frame[features])[0]), rule=[c.to_json() for c in found.rule],
        precision=found.precision, coverage=found.coverage, rows=found.rows, threshold=found.threshold,
        found=found.found, precision_estimate=found.precision_estimate,
        precision_lower_bound=found.precision_lower_bound, evaluations=found.evaluations, seconds=found.seconds,
        data_rows=len(ws.data), history=found.history)


def condition_words(c: dict, schema) -> str:
    spec = schema.features.get(c["feature"])
    label = spec.label if spec else c["feature"]
    unit = f" {spec.unit}" if spec is not None and spec.unit and spec.kind == "numeric" else ""
    value = c["value"]
    if c["cmp"] == "==":
        if spec is not None and spec.kind == "flag":
            phrases = spec.value_phrases.get(value)
            return f"{label} is {'yes' if value == 1 else 'no'}" + (f" ({phrases[0]})" if phrases else "")
        return f"{label} is {value!r}" if isinstance(value, str) else f"{label} is {value}{unit}"
    return f"{label} {'is at most' if c['cmp'] == '<=' else 'is above'} {value:g}{unit}"


def rule_words(rule: list[dict], schema) -> list[str]:
    """A rule in words, a numeric feature's two bounds said once ("between 1,366 and 2,320 DM")."""
    out, done = [], set()
    for c in rule:
        if c["feature"] in done:
            continue
        pair = [d for d in rule if d["feature"] == c["feature"]]
        if len(pair) == 2 and {d["cmp"] for d in pair} == {">", "<="}:
            low = next(d for d in pair if d["cmp"] == ">")["value"]
            high = next(d for d in pair if d["cmp"] == "<=")["value"]
            spec = schema.features.get(c["feature"])
            unit = f" {spec.unit}" if spec is not None and spec.unit else ""
            out.append(f"{spec.label if spec else c['feature']} is above {low:g} and at most {high:g}{unit}")
            done.add(c["feature"])
        else:
            out.append(condition_words(c, schema))
    return out


@says(AnchorOpResult)
def say_anchor(r: AnchorOpResult, ctx) -> Reply:
    schema = ctx.schema
    outcome = schema.class_phrase(r.prediction)
    if not r.rule:
        text = (f"The model predicts {outcome} for {r.selection}, and it does so for {pct(r.precision)} of all "
                f"{r.data_rows:,} {schema.entity_plural}: no condition is needed.")
        return Reply(text)
    conditions = " and ".join(rule_words(r.rule, schema))
    if r.found:
        text = (f"The model predicts {outcome} for {r.selection}. As long as {conditions}, it predicts {outcome} "
                f"for {pct(r.precision)} of the {r.rows:,} {schema.entity_plural} in the data who meet that "
                f"(precision), and the rule covers {pct(r.coverage)} of all {r.data_rows:,} (coverage).")
    else:
        text = (f"The model predicts {outcome} for {r.selection}, but no rule I searched holds it with "
                f"{pct(r.threshold)} precision. The closest: when {conditions}, it predicts {outcome} for "
                f"{pct(r.precision)} of the {r.rows:,} {schema.entity_plural} who meet that (coverage "
                f"{pct(r.coverage)}).")
    text += (f" Found by beam search with the KL-LUCB bandit over {r.evaluations:,} perturbed "
             f"{schema.entity_plural} the model judged (estimated precision {pct(r.precision_estimate)}, lower "
             f"bound {pct(r.precision_lower_bound)}); the precision and coverage above are counted on the data.")
    table = pd.DataFrame([{"condition": condition_words(c, schema), "feature": c["feature"], "cmp": c["cmp"],
                           "value": c["value"]} for c in r.rule])
    return Reply(text, table=table)
