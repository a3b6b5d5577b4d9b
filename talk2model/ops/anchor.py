"""anchor: under which conditions the model's prediction for a row surely holds — an anchor rule
(Ribeiro et al. 2018) with precision >= 0.95, its precision and coverage measured on the data
(talk2model.explainers.anchors: beam search with the KL-LUCB bandit)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers import uncertainty as unc
from talk2model.explainers.anchors import THRESHOLD
from talk2model.explainers.anchors import anchor as find_anchor
from talk2model.formatting import fmt_interval, fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, pct, says, too_small_text
from talk2model.workspace.schema import plain_value, value_text

ERR_ONE_ROW = ("an anchor is a rule for one {entity}'s prediction; pick one (for example "
               "\"filter id == 12 then anchor\")")
ERR_NOT_CLASSES = "anchors explain a class; this model predicts a number"
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
    agree: int = 0                     # of the rows meeting the rule, how many the model predicts alike
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
        raise OperationError(ERR_NOT_CLASSES)
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
        data_rows=len(ws.data), history=found.history, agree=int(round(found.precision * found.rows)))


def _spec(schema, feature: str):
    return schema.features.get(feature)


def shown_condition(c: dict, schema) -> tuple[str, Any]:
    """A condition as answers show it, as (comparison, value): on a whole-number feature "> 1365.5"
    is ">= 1366" and "<= 2319.5" is "<= 2319" (as `rules` says it), so the bound is a value the
    feature can take and reads the same in the text and the table."""
    spec = _spec(schema, c["feature"])
    value = plain_value(c["value"])
    if c["cmp"] in (">", "<=") and spec is not None and spec.integer and not isinstance(value, str):
        if c["cmp"] == ">":
            return ">=", math.floor(value) + 1
        return "<=", math.floor(value)
    return c["cmp"], value


def _bound_words(cmp: str, value: Any) -> str:
    return {">=": "is at least", ">": "is above", "<=": "is at most", "<": "is below"}[cmp] + f" {fmt_number(value)}"


def condition_words(c: dict, schema) -> str:
    spec = _spec(schema, c["feature"])
    label = spec.label if spec else c["feature"]
    unit = f" {spec.unit}" if spec is not None and spec.unit and spec.kind == "numeric" else ""
    cmp, value = shown_condition(c, schema)
    if cmp == "==":
        if spec is not None and spec.kind == "flag":
            phrases = spec.value_phrases.get(value)
            return f"{label} is {'yes' if value == 1 else 'no'}" + (f" ({phrases[0]})" if phrases else "")
        if isinstance(value, str):
            return f"{label} is '{value_text(schema, c['feature'], value)}'"
        return f"{label} is {value_text(schema, c['feature'], value)}{unit}"
    return f"{label} {_bound_words(cmp, value)}{unit}"


def rule_words(rule: list[dict], schema) -> list[str]:
    """A rule in words, a numeric feature's two bounds said once ("between 1,366 and 2,319 DM")."""
    out, done = [], set()
    for c in rule:
        if c["feature"] in done:
            continue
        pair = [d for d in rule if d["feature"] == c["feature"]]
        if len(pair) == 2 and {d["cmp"] for d in pair} == {">", "<="}:
            low_cmp, low = shown_condition(next(d for d in pair if d["cmp"] == ">"), schema)
            _, high = shown_condition(next(d for d in pair if d["cmp"] == "<="), schema)
            spec = _spec(schema, c["feature"])
            unit = f" {spec.unit}" if spec is not None and spec.unit else ""
            label = spec.label if spec else c["feature"]
            if low_cmp == ">=":
                out.append(f"{label} is between {fmt_number(low)} and {fmt_number(high)}{unit}")
            else:
                out.append(f"{label} is above {fmt_number(low)} and at most {fmt_number(high)}{unit}")
            done.add(c["feature"])
        else:
            out.append(condition_words(c, schema))
    return out


def _precision_words(r: "AnchorOpResult", who: str) -> str:
    """'111 of the 114 applicants who meet that (precision 97.4%; 95% interval 92.5–99.1%)': the
    precision, like every rate, with its count and Wilson interval."""
    found = unc.rate(r.agree, r.rows)
    return f"{r.agree:,} of {who} (precision {pct(r.precision)}; 95% interval {fmt_interval(found.low, found.high)})"


@says(AnchorOpResult)
def say_anchor(r: AnchorOpResult, ctx) -> Reply:
    schema = ctx.schema
    outcome = schema.class_phrase(r.prediction)
    plural = schema.entity_plural
    small = too_small_text(r.rows) + " " if unc.rate(r.agree, r.rows).too_small else ""
    if not r.rule:
        text = small + (f"The model predicts {outcome} for {r.selection}, and it does so for "
                        f"{_precision_words(r, f'all {r.data_rows:,} {plural}')}: no condition is needed.")
        return Reply(text)
    conditions = " and ".join(rule_words(r.rule, schema))
    # coverage describes the data itself (how many of its rows meet the rule): exact, no interval
    coverage = f"the rule covers {r.rows:,} of all {r.data_rows:,} {plural} (coverage {pct(r.coverage)})"
    if r.found:
        text = (f"The model predicts {outcome} for {r.selection}. As long as {conditions}, it predicts {outcome} "
                f"for {_precision_words(r, f'the {r.rows:,} {plural} in the data who meet that')}, "
                f"and {coverage}.")
    else:
        text = (f"The model predicts {outcome} for {r.selection}, but no rule I searched holds it with "
                f"{pct(r.threshold)} precision. The closest: when {conditions}, it predicts {outcome} for "
                f"{_precision_words(r, f'the {r.rows:,} {plural} who meet that')}, and {coverage}.")
    text = small + text
    text += (f" Found by beam search with the KL-LUCB bandit over {r.evaluations:,} perturbed "
             f"{plural} the model judged (estimated precision {pct(r.precision_estimate)}, lower "
             f"bound {pct(r.precision_lower_bound)}); the precision and coverage above are counted on the data.")
    table = pd.DataFrame([{"condition": condition_words(c, schema), "feature": c["feature"],
                           "cmp": shown_condition(c, schema)[0], "value": shown_condition(c, schema)[1]}
                          for c in r.rule])
    return Reply(text, table=table)
