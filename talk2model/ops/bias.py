"""bias: does the model treat the groups of a sensitive attribute alike?

For a group of rows: per-group selection rates, true/false-positive rates and accuracy (fairlearn's
MetricFrame, via talk2model.explainers.fairness), demographic parity, equalized odds, the
four-fifths rule, small-group warnings and proxies. For one row: the flip test — would the
decision change if only the attribute were different (a what-if on that attribute)?
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers import fairness as fx
from talk2model.formatting import fmt_interval, fmt_number, fmt_points
from talk2model.ops.registry import Result, operation
from talk2model.ops.score import NOTE_TRAINING_UNKNOWN, evaluation_rows, positive_class
from talk2model.ops.speech import FigureSpec, Reply, capitalise, page, pct, says
from talk2model.query import ast as q
from talk2model.query.whatif import apply_whatif, complementary_flags
from talk2model.textutil import did_you_mean
from talk2model.workspace.schema import plain_value

ERR_REGRESSION = "the bias check needs a model that predicts classes; this one predicts numbers"
ERR_NO_FEATURE = "no feature '{name}'{hint}"
ERR_BANDS = "bands (cut points) only apply to a numeric attribute, and {name} is not one"
ERR_ONE_GROUP = ("all of {selection} fall in one group of {attribute} ({group}), so there is nothing "
                 "to compare")
ERR_METRIC = "unknown fairness metric '{metric}'; use one of {names}"
CAVEAT = ("the four-fifths rule is a US employment-law rule of thumb for adverse impact, "
          "not a verdict on fairness")

METRICS = {  # what a person may name -> the column shown
    "selection_rate": "selection_rate", "demographic_parity": "selection_rate",
    "statistical_parity": "selection_rate", "disparate_impact": "selection_rate",
    "tpr": "tpr", "true_positive_rate": "tpr", "recall": "tpr", "equal_opportunity": "tpr",
    "fpr": "fpr", "false_positive_rate": "fpr", "equalized_odds": "tpr",
    "accuracy": "accuracy",
}
METRIC_WORDS = {"selection_rate": "share predicted {fav}", "tpr": "true-positive rate",
                "fpr": "false-positive rate", "accuracy": "accuracy"}


@dataclass
class BiasResult(Result):
    selection: str
    attributes: list[str]
    favourable: Any
    mode: str = "groups"                      # groups | individual
    metric: str = "selection_rate"            # the metric charted
    groups: dict[str, dict] = field(default_factory=dict)   # group -> size, selection_rate, tpr, fpr, accuracy
    demographic_parity_difference: float | None = None
    demographic_parity_ratio: float | None = None
    equal_opportunity_difference: float | None = None
    false_positive_rate_difference: float | None = None
    equalized_odds_difference: float | None = None
    four_fifths_flagged: bool = False
    equalized_odds_flagged: bool = False
    flagged: bool = False
    lowest: str | None = None                 # group with the lowest selection rate
    highest: str | None = None
    small_groups: list[str] = field(default_factory=list)   # too small to judge (fewer than 30 rows, or
    thin_groups: list[str] = field(default_factory=list)    # a wide interval); thin: its evaluated rows are
    verdict: str = "clear"                    # flagged | uncertain | clear (see fairness.FairnessReport)
    demographic_parity_difference_ci: list = field(default_factory=list)   # 95% bootstrap [low, high]
    demographic_parity_ratio_ci: list = field(default_factory=list)
    equalized_odds_difference_ci: list = field(default_factory=list)
    training_known: bool = True
    phrased: bool = False                     # group names are plain phrases ("women")
    proxies: list[dict] = field(default_factory=list)   # {"feature", "cramers_v", "strong"}
    bands: dict[str, list] = field(default_factory=dict)
    rows_note: str = ""                       # which rows TPR / FPR / accuracy were computed on
    over_all: int = 0                         # data bigger than memory: rows of the audit the figures come from
    evaluated: int = 0
    flip_test: list[dict] = field(default_factory=list)  # individual: one entry per alternative value


def _resolve(schema, name: str) -> str:
    if name in schema.features:
        return name
    lowered = {f.lower(): f for f in schema.features}
    if name.lower() in lowered:
        return lowered[name.lower()]
    raise OperationError(ERR_NO_FEATURE.format(name=name, hint=did_you_mean(name, schema.feature_names)))


@operation("bias", description="Whether the model treats the groups of a sensitive attribute alike "
                               "(selection rates, error rates, four-fifths rule, proxies).",
           examples=("Is the model fair to women?", "Check bias by age.",
                     "Is the model biased against black defendants?",
                     "Would applicant 12's decision change if their sex were different?"))
def bias(ctx, step: q.Bias) -> BiasResult:
    ctx.require_rows()
    schema = ctx.schema
    if schema.task != "classification":
        raise OperationError(ERR_REGRESSION)
    attributes = [_resolve(schema, step.attribute)] + [_resolve(schema, a) for a in step.attributes or ()]
    attributes = list(dict.fromkeys(attributes))
    if step.bands and schema.features[attributes[0]].kind != "numeric":
        raise OperationError(ERR_BANDS.format(name=schema.features[attributes[0]].label))
    metric = "selection_rate"
    if step.metric:
        if step.metric not in METRICS:
            raise OperationError(ERR_METRIC.format(metric=step.metric, names=", ".join(METRICS)))
        metric = METRICS[step.metric]
    fav = schema.favourable if schema.favourable is not None else positive_class(schema, list(schema.classes))
    result = BiasResult(selection=ctx.described(), attributes=attributes, favourable=fav, metric=metric)
    if len(ctx.frame) == 1:
        result.mode = "individual"
        result.flip_test = _flip_test(ctx, attributes, fav, step.bands)
        return result

    frame = ctx.frame
    groups = fx.group_labels(frame, attributes, schema, step.bands)
    present = groups.labels.dropna().unique()
    if len(present) < 2:
        raise OperationError(ERR_ONE_GROUP.format(
            selection=ctx.described(), attribute=" and ".join(schema.features[a].label for a in attributes),
            group=present[0] if len(present) else "none"))
    everything = _over_everything(ctx, attributes, step.bands)
    if everything is not None:     # every row of a source too big for memory, from its audit
        report, edges, rows, evaluated = everything
        groups.edges = edges
        result.over_all = rows
        result.selection = f"all {rows:,} {schema.entity_plural}"
        note = NOTE_TRAINING_UNKNOWN if not ctx.workspace.training_known else \
            f"on the {evaluated:,} of them the model was not trained on"
        n_evaluated = evaluated
    else:
        held_rows, note = evaluation_rows(ctx)
        evaluate = frame.index.isin(held_rows.index)
        report = fx.assess(frame[schema.target], ctx.predictions(), groups.labels, favourable=fav,
                           evaluate=evaluate, order=groups.order)
        n_evaluated = int(evaluate.sum())
    result.groups = {str(g): {"size": int(r["size"]), "selection_rate": float(r["selection_rate"]),
                              "evaluated": int(r["evaluated"]), "tpr": _none(r["tpr"]),
                              "fpr": _none(r["fpr"]), "accuracy": _none(r["accuracy"]),
                              "intervals": {k: v.to_json() if v is not None else None
                                            for k, v in report.intervals[str(g)].items()}}
                     for g, r in report.groups.iterrows()}
    result.verdict = report.verdict
    result.demographic_parity_difference_ci = list(report.dp_difference_ci)
    result.demographic_parity_ratio_ci = list(report.dp_ratio_ci)
    result.equalized_odds_difference_ci = list(report.eo_difference_ci)
    result.training_known = ctx.workspace.training_known
    result.demographic_parity_difference = report.demographic_parity_difference
    result.demographic_parity_ratio = report.demographic_parity_ratio
    result.equal_opportunity_difference = report.equal_opportunity_difference
    result.false_positive_rate_difference = report.false_positive_rate_difference
    result.equalized_odds_difference = report.equalized_odds_difference
    result.four_fifths_flagged = report.four_fifths_flagged
    result.equalized_odds_flagged = report.equalized_odds_flagged
    result.flagged = report.flagged
    result.lowest, result.highest = report.lowest, report.highest
    result.small_groups, result.thin_groups = report.small_groups, report.thin_groups
    spec = schema.features[attributes[0]]
    result.phrased = len(attributes) == 1 and spec.kind != "numeric" \
        and all(spec.value_phrases.get(plain_value(v)) for v in frame[attributes[0]].dropna().unique())
    result.bands = {k: list(v) for k, v in groups.edges.items()}
    result.rows_note, result.evaluated = note, n_evaluated
    exclude = set(attributes) | {schema.target}
    for a in attributes:
        exclude |= set(complementary_flags(a, schema, ctx.workspace.data))
    result.proxies = [{"feature": f, "cramers_v": v, "strong": v >= fx.PROXY_STRONG}
                      for f, v in fx.proxies(frame, groups.labels, schema, sorted(exclude))]
    return result


def _over_everything(ctx, attributes: list[str], bands):
    """On a workspace that holds a sample: the report over every row of the source, from an audit
    of them (talk2model.scale.fairness), when the whole data is asked about."""
    ws = ctx.workspace
    if not ws.sampled or ctx.whatifs or ctx.fetched or not ctx.is_whole_data:
        return None
    from talk2model.scale.fairness import fairness_over_all

    found = fairness_over_all(ws, attributes, tuple(bands) if bands else None)
    if found is not None:
        ctx.exact_ops += 1
    return found


def _none(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _flip_test(ctx, attributes: list[str], fav, bands) -> list[dict]:
    """For one row: the prediction with each attribute set, one at a time, to each other value
    (numbers: the median of each other band), complements and one-hot partners changed with it."""
    schema, workspace = ctx.schema, ctx.workspace
    row = ctx.frame
    base_pred = plain_value(ctx.predictions().iloc[0])
    proba = ctx.probabilities().iloc[0] if ctx.model.has_proba else None
    out = []
    for i, name in enumerate(attributes):
        spec = schema.features[name]
        current = plain_value(row.iloc[0][name])
        if spec.kind == "numeric":
            column = workspace.data[name]
            edges = fx.band_edges(column, name, bands if i == 0 else None)
            bands_of = fx.band_of(column, edges)
            mine = fx.band_of(row[name], edges).iloc[0]
            values = [(band, plain_value(column[bands_of == band].median()))
                      for band in fx.band_names(edges) if band != mine and (bands_of == band).any()]
            values = [(band, int(round(v)) if spec.integer else v) for band, v in values]
        else:
            values = [(fx.value_name(spec, v), v) for v in spec.values if v != current]
        for label, value in values:
            changed = apply_whatif(row, q.WhatIf(name, "set", value), schema, workspace.data)
            pred = plain_value(workspace.predictions(changed).iloc[0])
            entry = {"attribute": name, "from": current, "to": value, "group": label,
                     "prediction_before": base_pred, "prediction": pred, "flipped": pred != base_pred,
                     "also_changed": [c for c in changed.columns if c != name
                                      and changed.iloc[0][c] != row.iloc[0][c]]}
            if proba is not None:
                entry["probability_before"] = float(proba[fav])
                entry["probability"] = float(workspace.probabilities(changed).iloc[0][fav])
            out.append(entry)
    return out


# ------------------------------------------------------------------------------------ words
def _label(schema, attributes: list[str]) -> str:
    return " and ".join(schema.features[a].label for a in attributes)


def _who(r: BiasResult, group: str, *, start: bool = False) -> str:
    """'women' / 'the group “age under 25”', as a sentence names a group."""
    text = group if r.phrased else f"the group “{group}”"
    return capitalise(text) if start else text


def _names(r: BiasResult, groups: list[str]) -> str:
    words = [_who(r, x) for x in groups]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


MSG_SMALL = "{who}: only {n} {entities}, too small to judge {their} rates"
MSG_THIN = ("the true- and false-positive rates and accuracy of {who} rest on only {n} {rows}: too few "
            "to judge them")


def _interval_points(ci: list) -> str:
    """'2.0–14.3 points'; '-3.2 to 14.3 points' when a resample reverses the gap."""
    if not ci or ci[0] is None:
        return "n/a"
    low = fmt_points(ci[0]).split()[0]
    return f"{low}{' to ' if ci[0] < 0 else '–'}{fmt_points(ci[1])}"


def _verdict(r: BiasResult, label: str, schema) -> str:
    """The first sentence: the verdict, with what it rests on."""
    if r.verdict == "flagged":
        text = f"There are signs the model treats the groups of {label} differently, for {r.selection}."
        doubts = []
        ratio_ci, eo_ci = r.demographic_parity_ratio_ci, r.equalized_odds_difference_ci
        if r.four_fifths_flagged and ratio_ci and ratio_ci[1] is not None and ratio_ci[1] >= fx.FOUR_FIFTHS:
            doubts.append(f"the ratio's 95% interval reaches {fmt_number(ratio_ci[1])}, above {fx.FOUR_FIFTHS}")
        if r.equalized_odds_flagged and eo_ci and eo_ci[0] is not None and eo_ci[0] <= fx.EQUALIZED_ODDS_LIMIT:
            doubts.append(f"the equalized-odds difference's 95% interval reaches down to {fmt_points(eo_ci[0])}")
        if doubts and (not r.four_fifths_flagged or not r.equalized_odds_flagged or len(doubts) == 2):
            text += " The data cannot rule out chance, though: " + "; ".join(doubts) + "."
        return text
    if r.verdict == "clear":
        return (f"I see no large differences in how the model treats the groups of {label}, for "
                f"{r.selection}, and the 95% intervals stay clear of both flags.")
    reasons = []
    ratio_ci, eo_ci = r.demographic_parity_ratio_ci, r.equalized_odds_difference_ci
    if ratio_ci and ratio_ci[0] is not None and ratio_ci[0] < fx.FOUR_FIFTHS:
        reasons.append(f"the ratio's 95% interval reaches down to {fmt_number(ratio_ci[0])}, below {fx.FOUR_FIFTHS}")
    if eo_ci and eo_ci[1] is not None and eo_ci[1] > fx.EQUALIZED_ODDS_LIMIT:
        reasons.append(f"the equalized-odds difference could be as large as {fmt_points(eo_ci[1])}")
    if r.small_groups or r.thin_groups:
        reasons.append(f"{_names(r, r.small_groups + r.thin_groups)} "
                       f"{'is' if len(r.small_groups + r.thin_groups) == 1 else 'are'} too small to judge")
    return (f"I see no large difference in how the model treats the groups of {label}, for {r.selection}, "
            f"but the data cannot rule one out: " + "; ".join(reasons) + ".")


@says(BiasResult)
def say_bias(r: BiasResult, ctx) -> Reply:
    schema = ctx.schema
    fav = schema.class_phrase(r.favourable)
    if r.mode == "individual":
        return _say_individual(r, schema, fav)
    label = _label(schema, r.attributes)
    g = r.groups
    lo, hi = r.lowest, r.highest

    def counted(group: str, metric: str) -> str:
        rate = g[group]["intervals"][metric]
        return (f"{pct(rate['value'])} ({rate['count']:,} of {rate['n']:,}; 95% interval "
                f"{fmt_interval(rate['low'], rate['high'])})")

    text = (f"{_verdict(r, label, schema)} "
            f"{_who(r, hi, start=True)} {'are' if r.phrased else 'is'} predicted {fav} "
            f"{counted(hi, 'selection_rate')} and {_who(r, lo)} {counted(lo, 'selection_rate')}: "
            f"a demographic parity difference of {fmt_points(r.demographic_parity_difference)} (95% interval "
            f"{_interval_points(r.demographic_parity_difference_ci)}) and a ratio of "
            f"{fmt_number(r.demographic_parity_ratio)} (95% interval "
            f"{fmt_interval(*r.demographic_parity_ratio_ci, percent=False)}). ")
    if r.four_fifths_flagged:
        text += (f"The ratio is below {fx.FOUR_FIFTHS}, so the four-fifths rule flags it ({CAVEAT}). ")
    else:
        text += f"The ratio is at least {fx.FOUR_FIFTHS}, so the four-fifths rule does not flag it ({CAVEAT}). "
    if r.equalized_odds_difference is not None:
        where = f"{capitalise(r.rows_note)}, among" if r.rows_note else "Among"
        tprs = {k: v["tpr"] for k, v in g.items() if v["tpr"] is not None}
        solid = {k: v for k, v in tprs.items() if k not in r.small_groups and k not in r.thin_groups}
        tprs = solid if len(solid) >= 2 else tprs
        if len(tprs) >= 2:
            t_lo, t_hi = min(tprs, key=tprs.get), max(tprs, key=tprs.get)
            text += (f"{where} those who truly are {fav}, the model recognises "
                     f"{counted(t_hi, 'tpr')} for {_who(r, t_hi)} but {counted(t_lo, 'tpr')} for "
                     f"{_who(r, t_lo)} (true-positive rate); ")
            eo_start = "the equalized-odds difference"
        else:
            eo_start = f"{where} those with a known outcome, the equalized-odds difference"
        text += (f"{eo_start} (the larger gap in true- or false-positive rate) is "
                 f"{fmt_points(r.equalized_odds_difference)} (95% interval "
                 f"{_interval_points(r.equalized_odds_difference_ci)})"
                 + (f", above {fmt_points(fx.EQUALIZED_ODDS_LIMIT)}." if r.equalized_odds_flagged else "."))
    evaluated = (f"{schema.entity_plural} the model was not trained on" if r.training_known
                 else f"{schema.entity_plural} with known outcomes")
    for name in r.small_groups:
        n = g[name]["size"]
        text += " " + capitalise(MSG_SMALL.format(
            who=_who(r, name), n=f"{n:,}", entities=schema.entity if n == 1 else schema.entity_plural,
            their="their" if r.phrased else "its")) + "."
    for name in r.thin_groups:
        text += " " + capitalise(MSG_THIN.format(who=_who(r, name), n=f"{g[name]['evaluated']:,}",
                                                rows=evaluated)) + "."
    strong = [p for p in r.proxies if p["strong"]]
    if strong:
        names = ", ".join(f"{schema.features[p['feature']].label} (Cramér's V {fmt_number(p['cramers_v'])})" for p in strong)
        text += (f" Proxies: {names} {'is' if len(strong) == 1 else 'are'} strongly associated with "
                 f"{label}, so removing {label} from the model would not remove its signal.")
    elif r.proxies:
        names = ", ".join(f"{schema.features[p['feature']].label} ({fmt_number(p['cramers_v'])})" for p in r.proxies)
        text += f" No strong proxies for {label}; the most associated features are {names} (Cramér's V)."
    if r.over_all:
        text += (f" The rates are over all {r.over_all:,} {schema.entity_plural} (from the audit of every row, "
                 f"counted with Dask)" + (f"; the proxies over the sample of {len(ctx.workspace.data):,}."
                                          if r.proxies else "."))

    def rate_cell(group: str, metric: str) -> str | None:
        rate = g[group]["intervals"][metric]
        return None if rate is None else pct(rate["value"])

    def interval_cell(group: str, metric: str) -> str | None:
        rate = g[group]["intervals"][metric]
        return None if rate is None else fmt_interval(rate["low"], rate["high"])

    rows = [{"group": k, "size": v["size"], f"predicted {fav}": rate_cell(k, "selection_rate"),
             "95% interval": interval_cell(k, "selection_rate"),
             "true-positive rate": rate_cell(k, "tpr"), "false-positive rate": rate_cell(k, "fpr"),
             "accuracy": rate_cell(k, "accuracy"), "evaluated rows": v["evaluated"],
             "too small to judge": "yes" if k in r.small_groups or k in r.thin_groups else "no"}
            for k, v in g.items()]
    table, more = page(pd.DataFrame(rows), "More groups")
    shown = [(k, v[r.metric]) for k, v in g.items() if v[r.metric] is not None]
    word = METRIC_WORDS[r.metric].format(fav=fav)
    figure = FigureSpec("bar", f"{capitalise(word)} by {label}", labels=[k for k, _ in shown],
                        values=[v for _, v in shown], xlabel=word, percent=True,
                        colors=["#d1495b" if k == (lo if r.metric == "selection_rate" else None)
                                and r.four_fifths_flagged else "#2e86ab" for k, _ in shown])
    return Reply(re.sub(r"  +", " ", text.strip()), table=table, figure=figure, more=more)


def _say_individual(r: BiasResult, schema, fav: str) -> Reply:
    if not r.flip_test:
        return Reply(f"There is no other value of {_label(schema, r.attributes)} to try for {r.selection}.")
    first = r.flip_test[0]
    now = schema.class_phrase(first["prediction_before"])
    text = f"The model predicts {now} for {r.selection}."
    if "probability_before" in first:
        text = text[:-1] + f" ({pct(first['probability_before'])} probability of {fav})."
    flipped = [t for t in r.flip_test if t["flipped"]]
    for t in r.flip_test:
        spec = schema.features[t["attribute"]]
        what = f"{spec.label} {t['group']}" if spec.kind == "numeric" else t["group"]
        outcome = (f"changes to {schema.class_phrase(t['prediction'])}" if t["flipped"]
                   else f"stays {schema.class_phrase(t['prediction'])}")
        prob = f" ({pct(t['probability'])})" if "probability" in t else ""
        also = (f", with {', '.join(schema.features[c].label for c in t['also_changed'])} changed to match"
                if t["also_changed"] else "")
        text += f" As {what}{also}, the prediction {outcome}{prob}."
    label = _label(schema, r.attributes)
    text += (f" So for this {schema.entity} the decision depends on {label}: a flag worth a closer look."
             if flipped else f" So for this {schema.entity} the decision does not depend on {label}.")
    table = pd.DataFrame([{"attribute": schema.features[t["attribute"]].label, "value": t["group"],
                           "prediction": schema.class_phrase(t["prediction"]),
                           f"P({fav})": pct(t["probability"]) if "probability" in t else None,
                           "flipped": "yes" if t["flipped"] else "no"} for t in r.flip_test])
    return Reply(text, table=table)
