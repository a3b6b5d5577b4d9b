"""importance: which features matter most, by mean |SHAP| over the selection, with bootstrap
intervals over rows; the top k, or the rank of one feature ("age ranks 3rd of 9")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers import METHOD_NAMES, explainer_for
from talk2model.explainers.phrasing import feature_label, space_text
from talk2model.formatting import fmt_interval, fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import FigureSpec, Reply, define_terms, join_words, page, says
from talk2model.textutil import did_you_mean

BOOTSTRAP = 200
POISSON_ABOVE = 5000
SEED = 0
ERR_FEW_ROWS = ("importance over rows needs at least 2 {entities}; there is only one here, so ask why "
                "instead (\"explain\"), or for their top features (\"importance top 3\")")


def bootstrap_importance(values: np.ndarray, *, rounds: int = BOOTSTRAP, seed: int = SEED,
                         level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mean |value| per column, its percentile bootstrap interval over rows, and each column's
    rank in every resample (rounds x columns; 1 = most important)."""
    A = np.abs(values)
    n = len(A)
    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, A.shape[1]))
    if n <= POISSON_ABOVE:   # the classic bootstrap: n rows drawn with replacement
        for b in range(rounds):
            counts = np.bincount(rng.integers(0, n, n), minlength=n)
            samples[b] = counts @ A / n
    else:  # large n: resampled means are normal with the rows' covariance / n (the bootstrap's
        # own limit), so draw them directly instead of resampling tens of thousands of rows
        cov = np.cov(A, rowvar=False).reshape(A.shape[1], A.shape[1]) / n
        samples = rng.multivariate_normal(A.mean(axis=0), cov, size=rounds, method="eigh")
    lo, hi = np.percentile(samples, [100 * (1 - level) / 2, 100 * (1 + level) / 2], axis=0)
    ranks = (-samples).argsort(axis=1).argsort(axis=1) + 1
    return A.mean(axis=0), lo, hi, ranks


@dataclass
class ImportanceResult(Result):
    selection: str
    n: int
    method: str
    output_space: str
    explained_class: Any
    ranking: list[dict]                # feature, label, importance, low, high, rank (all features)
    top: int | None = None
    feature: str | None = None         # the feature asked about
    rank: int | None = None            # its rank (1 = most important)
    rank_range: list[int] = field(default_factory=list)  # 95% of bootstrap ranks fall here
    of: int = 0
    rows_used: int = 0                 # rows attributed: n, or a random sample of a big selection
    signed: float | None = None        # one row: the feature's own attribution (its sign: which way)
    signed_top: list[float] = field(default_factory=list)   # one row, top N: each one's own attribution


@operation("importance", description="Which features matter most to the model (mean |SHAP|, "
           "with bootstrap intervals), the top few, or the rank of one feature.",
           examples=("Which features matter most?", "What are the three most important features?",
                     "How important is age for the model?", "Which pixels matter for 3s?"))
def importance(ctx, step) -> ImportanceResult:
    ctx.require_rows()
    if ctx.workspace.kind == "image":   # mean |attribution| per pixel
        from talk2model.ops import image_answers

        return image_answers.importance(ctx, step)
    schema = ctx.schema
    if len(ctx.frame) < 2 and step.feature is None and step.top is None:
        raise OperationError(ERR_FEW_ROWS.format(entities=schema.entity_plural))
    ex = explainer_for(ctx.workspace)
    feature = None
    if step.feature is not None:
        feature = _feature(ex, schema, step.feature)
    rows = ex.sample(ctx.frame)   # a big selection: a seeded sample, stated in the answer
    att = ex.attributions(rows, cacheable=not ctx.whatifs, cache=ctx.cache)
    mean, lo, hi, ranks = bootstrap_importance(att.values.to_numpy())
    features = att.features
    order = np.argsort(-mean, kind="stable")
    ranking = [{"feature": features[j], "label": feature_label(schema, features[j]),
                "importance": float(mean[j]), "low": float(lo[j]), "high": float(hi[j]),
                "rank": k + 1} for k, j in enumerate(order)]
    explained = att.explained.iloc[0] if att.explained.nunique(dropna=False) == 1 else None
    result = ImportanceResult(selection=ctx.described(), n=len(ctx.frame), method=att.method,
                              output_space=att.space, explained_class=explained,
                              ranking=ranking, top=step.top, of=len(features), rows_used=len(rows))
    if feature is not None:
        j = features.index(feature)
        result.feature = feature
        result.rank = next(r["rank"] for r in ranking if r["feature"] == feature)
        low, high = np.percentile(ranks[:, j], [2.5, 97.5])
        result.rank_range = [int(np.floor(low)), int(np.ceil(high))]
        if len(ctx.frame) == 1:       # "does the model rely on his age?": his own attribution
            result.signed = float(att.values.iloc[0, j])
    elif len(ctx.frame) == 1:         # "which single thing mattered most for her?": her own top N
        result.signed_top = [float(att.values.iloc[0, j]) for j in order[:step.top]]
    return result


def _feature(ex, schema, name: str) -> str:
    """A feature of the attributions: a column, or the group a one-hot column belongs to."""
    if name in ex.encoding.features:
        return name
    for group, members in schema.groups.items():
        if name in members:
            return group
    raise OperationError(f"no feature '{name}'{did_you_mean(name, ex.encoding.features)}")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@says(ImportanceResult)
def say_importance(r: ImportanceResult, ctx) -> Reply:
    """Plain words first (which features matter, in order); the measure and its numbers after,
    in a "Details" part, with the meaning of the model's units the first time."""
    schema = ctx.schema
    space = space_text(r.output_space, schema, r.explained_class)
    over = (f"{r.n:,} {schema.entity_plural}" if not r.rows_used or r.rows_used >= r.n else
            f"a random sample of {r.rows_used:,} of the {r.n:,} {schema.entity_plural}")
    how = f"mean |{METHOD_NAMES.get(r.method, r.method)}| attribution to the {space}, over {over}"

    def interval(x: dict) -> str:
        return fmt_interval(x["low"], x["high"], percent=False)

    table = pd.DataFrame({"rank": [x["rank"] for x in r.ranking], "feature": [x["label"] for x in r.ranking],
                          "importance": [x["importance"] for x in r.ranking],
                          "95% interval": [interval(x) for x in r.ranking]})
    figure = FigureSpec(kind="bar", title=f"Feature importance, {r.selection}",
                        labels=[x["label"] for x in r.ranking[:10]],
                        values=[x["importance"] for x in r.ranking[:10]], xlabel=f"mean |attribution| ({r.output_space})")
    if r.feature is not None and r.n == 1:
        return _say_one_row(r, ctx, how, table, figure)
    if r.n == 1:
        return _say_top_of_one_row(r, ctx, how, table, figure)
    if r.feature is not None:
        item = next(x for x in r.ranking if x["feature"] == r.feature)
        lo, hi = r.rank_range
        certainty = (f"it ranks {ordinal(r.rank)} in at least 95% of bootstrap resamples" if lo == hi else
                     f"in 95% of bootstrap resamples it ranks between {ordinal(lo)} and {ordinal(hi)}")
        text = f"{item['label'].capitalize()} ranks {ordinal(r.rank)} of {r.of} features for {r.selection} ({certainty})"
        text += f"; the most important is {r.ranking[0]['label']}." if r.rank > 1 else "."
        details = (f"Details: importance is the {how}: {item['label']} {fmt_number(item['importance'])} "
                   f"(95% interval {interval(item)})")
        if r.rank > 1:
            first = r.ranking[0]
            details += f", {first['label']} {fmt_number(first['importance'])}"
        details += "."
        meanings = define_terms(details, ctx.state)
        text += "\n" + details + (" " + meanings if meanings else "")
        return Reply(text, table=table.iloc[max(0, r.rank - 3):r.rank + 2], figure=figure)
    k = r.top or len(r.ranking)
    shown = r.ranking[:k]
    labels = [x["label"] for x in shown[:6]] + (["others"] if len(shown) > 6 else [])
    if k == 1:
        text = f"The most important feature for {r.selection} is {shown[0]['label']}."
    else:
        text = f"The {k if r.top else ''} most important features for {r.selection}, in order: {join_words(labels)}.".replace("The  most", "The most")
    if len(r.ranking) > 1:
        a, b = r.ranking[0], r.ranking[1]
        if a["low"] <= b["high"]:
            text += f" The top two ({a['label']} and {b['label']}) are close: their intervals overlap."
    numbers = ", ".join(f"{x['label']} {fmt_number(x['importance'])} (95% interval {interval(x)})" for x in shown[:6])
    details = f"Details: importance is the {how}: {numbers}."
    meanings = define_terms(details, ctx.state)
    text += "\n" + details + (" " + meanings if meanings else "")
    table_k, more = page(table.iloc[:k] if r.top else table, "More features")
    return Reply(text, table=table_k, figure=figure, more=more)


def _aim(r: ImportanceResult, ctx) -> str:
    classes = getattr(ctx.schema, "classes", None) or {}
    aim = classes.get(r.explained_class) if r.explained_class is not None else None
    return aim or space_text(r.output_space, ctx.schema, r.explained_class)


def _say_top_of_one_row(r: ImportanceResult, ctx, how: str, table, figure) -> Reply:
    """One person, the top N: the features that weighed most in the model's decision on them (the
    size of their own attributions) and which way each pushed."""
    aim = _aim(r, ctx)
    shown = r.ranking[:len(r.signed_top)]
    ways = [f"{x['label']} ({'toward' if v >= 0 else 'away from'} {aim})" for x, v in zip(shown, r.signed_top)]
    if len(shown) == 1:
        text = f"For {r.selection}, the feature that weighed most in the model's decision is {ways[0]}."
    else:
        text = (f"For {r.selection}, the {len(shown)} features that weighed most in the model's decision, "
                f"in order: {join_words(ways)}.")
    numbers = ", ".join(f"{x['label']} {fmt_number(v)}" for x, v in zip(shown, r.signed_top))
    details = (f"Details: for one {ctx.schema.entity}, importance is the size of its own attribution "
               f"({how.split(', over')[0]}): {numbers}.")
    meanings = define_terms(details, ctx.state)
    text += "\n" + details + (" " + meanings if meanings else "")
    return Reply(text, table=table.iloc[:len(shown)].drop(columns=["95% interval"]), figure=figure)


def _say_one_row(r: ImportanceResult, ctx, how: str, table, figure) -> Reply:
    """One person: how much the feature weighed in the model's decision on them, its rank among
    their features and which way it pushed (their own attribution, not an average over others)."""
    item = next(x for x in r.ranking if x["feature"] == r.feature)
    toward = "toward" if (r.signed or 0) >= 0 else "away from"
    aim = _aim(r, ctx)
    text = (f"For {r.selection}, {item['label']} ranks {ordinal(r.rank)} of {r.of} features in the model's "
            f"decision, pushing it {toward} {aim}")
    text += f"; the feature that weighed most for them is {r.ranking[0]['label']}." if r.rank > 1 else "."
    details = (f"Details: for one {ctx.schema.entity}, importance is the size of its own attribution "
               f"({how.split(', over')[0]}): {item['label']} {fmt_number(r.signed)}")
    if r.rank > 1:
        details += f", {r.ranking[0]['label']} {fmt_number(r.ranking[0]['importance'])} in size"
    details += "."
    meanings = define_terms(details, ctx.state)
    text += "\n" + details + (" " + meanings if meanings else "")
    return Reply(text, table=table.iloc[max(0, r.rank - 3):r.rank + 2].drop(columns=["95% interval"]), figure=figure)
