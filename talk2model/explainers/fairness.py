"""Fairness of a classifier's decisions across the groups of a sensitive attribute.

Built on fairlearn's `MetricFrame`: per group the size, the selection rate of the favourable
outcome (on every selected row: it needs no true labels), and the true-positive rate (equal
opportunity), false-positive rate and accuracy (on the rows the model was not trained on, when
that is known). From those: demographic-parity difference and ratio, equalized-odds difference,
and the four-fifths rule. Plus proxies: other features strongly associated with the attribute
(Cramér's V), because dropping a column does not remove its signal.

Uncertainty: every group rate has its count and a 95% Wilson interval, and the demographic-parity
difference and ratio and the equalized-odds difference have 95% percentile bootstrap intervals.
MetricFrame computes the figures; the bootstrap resamples each group's rows (stratified: a
group keeps its size; its (truth, prediction) cells are drawn from a multinomial, which is what
drawing its rows with replacement does) and recomputes the same difference and ratio on each
resample (a test checks a resample against MetricFrame on that resample's rows). The verdict
leans on them: "no large differences" only when neither interval reaches a flag and no group is
too small to judge; otherwise the answer says the data cannot rule a difference out.

    groups = group_labels(data, ["sex", "age"], schema)          # "women, under 25", ...
    report = assess(y_true, y_pred, groups, favourable=1, evaluate=held_out)
    report.demographic_parity_ratio, report.groups.loc["women, under 25", "tpr"]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import accuracy_score

from talk2model.explainers import uncertainty as unc
from talk2model.formatting import fmt_number

FOUR_FIFTHS = 0.8        # selection-rate ratio below which the four-fifths rule flags
EQUALIZED_ODDS_LIMIT = 0.1   # a TPR or FPR gap above this between groups is flagged
SMALL_GROUP = unc.MIN_ROWS   # fewer rows than this (or a rate interval wider than 30 points): too small
ROUNDS = 1000                # bootstrap resamples for the differences and the ratio
SEED = 0
PROXY_STRONG = 0.3       # Cramér's V at or above this: a strong proxy
PROXY_SHOWN = 0.1        # Cramér's V below this is not worth mentioning
DEFAULT_AGE_BANDS = (25, 60)


# ---------------------------------------------------------------------------------- groups
def band_edges(series: pd.Series, name: str, bands: tuple | None = None) -> tuple:
    """Cut points for a numeric attribute: the ones given, 25 / 60 for an age, else terciles
    rounded to two significant figures."""
    if bands:
        return tuple(sorted(bands))
    values = pd.to_numeric(series, errors="coerce").dropna()
    low, high = values.min(), values.max()
    if "age" in name.lower().split("_") or name.lower() == "age":
        edges = tuple(b for b in DEFAULT_AGE_BANDS if low < b < high)
        if edges:
            return edges
    return tercile_edges(low, high, [float(values.quantile(q)) for q in (1 / 3, 2 / 3)], values.median())


def tercile_edges(low: float, high: float, terciles: list[float], median: float) -> tuple:
    """The cut points `band_edges` takes from a number's range and terciles (two significant
    figures; the median when the terciles fall on the ends). Also used with terciles computed
    by Dask over a table too big for memory."""
    cuts = []
    for v in terciles:
        v = float(v)
        if v != 0:
            v = round(v, -int(math.floor(math.log10(abs(v)))) + 1)
        v = int(v) if float(v).is_integer() else v
        if low < v < high and v not in cuts:
            cuts.append(v)
    return tuple(cuts) or (float(median),)


def band_names(edges: tuple) -> list[str]:
    """(25, 60) -> ['under 25', '25–60', 'over 60']."""
    names = [f"under {fmt_number(edges[0])}"]
    names += [f"{fmt_number(a)}–{fmt_number(b)}" for a, b in zip(edges, edges[1:])]
    return names + [f"over {fmt_number(edges[-1])}"]


def band_of(values: pd.Series, edges: tuple) -> pd.Series:
    """under c1 (x < c1); c_i–c_{i+1} (c_i <= x < c_{i+1}, the last of these including c_k);
    over c_k (x > c_k)."""
    names = band_names(edges)
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(edges, dtype=float), x, side="right")   # 0 .. k
    idx = np.where((x == edges[-1]) & (len(edges) > 1), len(edges) - 1, idx)
    if len(edges) == 1:
        idx = np.where(x == edges[0], 1, idx)  # one cut: under c / over c, the cut itself above
    out = pd.Series(np.asarray(names, dtype=object)[idx], index=values.index)
    return out.where(~np.isnan(x), None)


def value_name(spec, value: Any) -> str:
    """How a value of an attribute is said: 'women', 'black', 'foreign worker: no', 'rent'."""
    phrases = spec.value_phrases.get(value) if spec is not None else None
    if phrases:
        return phrases[0]
    if spec is not None and spec.kind == "flag":
        return f"{spec.label}: {'yes' if value == 1 else 'no'}"
    return str(value).replace("_", " ")


@dataclass
class Groups:
    """Each row's group label, the groups in a natural order, and the cut points used."""

    labels: pd.Series                     # 'women', 'women, over 60' (None: value missing)
    order: list[str]                      # bands low to high, categories in sorted order
    edges: dict[str, tuple] = field(default_factory=dict)


def group_labels(frame: pd.DataFrame, attributes: list[str], schema, bands: tuple | None = None,
                 edges: dict[str, tuple] | None = None, categories: dict[str, list] | None = None) -> Groups:
    """Groups of one attribute, or of several crossed (intersectional). Numbers with more than six
    values are banded; `bands` (cut points) applies to the first attribute. `edges` (cut points per
    banded attribute) and `categories` (every value of the others) fix what the data would decide,
    so each partition of a big table is grouped and ordered alike (talk2model.scale)."""
    parts, ranks, edges_used = [], [], {}
    for i, name in enumerate(attributes):
        spec = schema.features.get(name)
        column = frame[name]
        numeric = spec is not None and spec.kind == "numeric"
        fixed = edges is not None and name in edges
        if fixed or (edges is None and numeric and ((bands and i == 0) or column.nunique() > 6)):
            cuts = edges[name] if fixed else band_edges(column, name, bands if i == 0 else None)
            edges_used[name] = cuts
            labels = band_of(column, cuts)
            rank = labels.map({n: k for k, n in enumerate(band_names(cuts))})
            labels = labels.map(lambda t, n=spec.label: f"{n} {t}" if t is not None else None)
        else:
            present = categories[name] if categories and name in categories else pd.unique(column.dropna())
            values = category_order(present)
            rank = column.map({v: k for k, v in enumerate(values)})
            labels = column.map({v: value_name(spec, _plain(v)) for v in values})
        parts.append(labels)
        ranks.append(rank)
    label = parts[0]
    for extra in parts[1:]:
        label = label.str.cat(extra, sep=", ")
    keyed = pd.DataFrame({"label": label, **{f"r{i}": r for i, r in enumerate(ranks)}}).dropna()
    order = keyed.drop_duplicates("label").sort_values([f"r{i}" for i in range(len(ranks))])["label"].tolist()
    return Groups(labels=label, order=order, edges=edges_used)


def category_order(values) -> list:
    """A categorical attribute's values in the order groups are shown: numbers first, ascending,
    then text."""
    return sorted(values, key=lambda v: (not isinstance(v, (int, float, np.number)),
                                         v if isinstance(v, (int, float, np.number)) else str(v)))


def group_order(attributes: list[str], schema, edges: dict[str, tuple], categories: dict[str, list]) -> list[str]:
    """Every group `group_labels(..., edges=edges, categories=categories)` can give, in its order
    (bands low to high, categories in `category_order`, crossed attributes nested)."""
    import itertools

    per = []
    for name in attributes:
        spec = schema.features.get(name)
        if name in edges:
            per.append([f"{spec.label} {b}" for b in band_names(edges[name])])
        else:
            per.append([value_name(spec, _plain(v)) for v in category_order(categories[name])])
    return [", ".join(parts) for parts in itertools.product(*per)]


def _plain(v):
    from talk2model.workspace.schema import plain_value

    return plain_value(v)


# ---------------------------------------------------------------------------------- metrics
def _size(y_true, y_pred, sample_weight) -> float:
    return float(np.sum(sample_weight))


def _rate(y_true, y_pred, sample_weight) -> float:
    return float(selection_rate(y_true, y_pred, pos_label=1, sample_weight=sample_weight))


def _tpr(y_true, y_pred, sample_weight) -> float:
    if not np.sum(sample_weight[np.asarray(y_true) == 1]):
        return float("nan")
    return float(true_positive_rate(y_true, y_pred, pos_label=1, sample_weight=sample_weight))


def _fpr(y_true, y_pred, sample_weight) -> float:
    if not np.sum(sample_weight[np.asarray(y_true) == 0]):
        return float("nan")
    return float(false_positive_rate(y_true, y_pred, pos_label=1, sample_weight=sample_weight))


def _accuracy(y_true, y_pred, sample_weight) -> float:
    return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))


@dataclass
class FairnessReport:
    groups: pd.DataFrame           # index: group; size, selection_rate, evaluated, tpr, fpr, accuracy
    favourable: Any
    demographic_parity_difference: float
    demographic_parity_ratio: float
    equal_opportunity_difference: float | None
    false_positive_rate_difference: float | None
    equalized_odds_difference: float | None
    four_fifths_flagged: bool
    equalized_odds_flagged: bool
    small_groups: list[str] = field(default_factory=list)   # too small to judge its selection rate
    thin_groups: list[str] = field(default_factory=list)    # enough rows, too few evaluated ones
    intervals: dict[str, dict] = field(default_factory=dict)  # group -> metric -> Rate (Wilson)
    dp_difference_ci: tuple[float | None, float | None] = (None, None)   # 95% bootstrap
    dp_ratio_ci: tuple[float | None, float | None] = (None, None)
    eo_difference_ci: tuple[float | None, float | None] = (None, None)

    @property
    def flagged(self) -> bool:
        return self.four_fifths_flagged or self.equalized_odds_flagged

    @property
    def could_be_flagged(self) -> bool:
        """An interval reaches a flag the point estimate does not raise."""
        low_ratio = self.dp_ratio_ci[0]
        high_eo = self.eo_difference_ci[1]
        return bool((low_ratio is not None and low_ratio < FOUR_FIFTHS and not self.four_fifths_flagged)
                    or (high_eo is not None and high_eo > EQUALIZED_ODDS_LIMIT and not self.equalized_odds_flagged))

    @property
    def verdict(self) -> str:
        """'flagged' (a flag is raised), 'uncertain' (none is, but an interval reaches one or a group is
        too small to judge) or 'clear' (no flag, and the data would show one)."""
        if self.flagged:
            return "flagged"
        if self.could_be_flagged or self.small_groups or self.thin_groups:
            return "uncertain"
        return "clear"

    @property
    def lowest(self) -> str:
        return str(self.groups["selection_rate"].idxmin())

    @property
    def highest(self) -> str:
        return str(self.groups["selection_rate"].idxmax())


def _nan_none(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def cells_of(y_true, y_pred, groups: pd.Series, *, favourable: Any,
             evaluate: np.ndarray | None = None) -> pd.DataFrame:
    """The (group, truth, prediction, evaluated) cells of some rows with their number of rows
    `n` (truth and prediction as 1 = favourable). Everything `assess` reports is a function of
    these counts, so cells counted partition by partition and added up (talk2model.scale) give
    exactly the figures of the rows themselves."""
    keep = groups.notna().to_numpy()
    y = (np.asarray(y_true) == favourable).astype(int)[keep]
    p = (np.asarray(y_pred) == favourable).astype(int)[keep]
    g = groups.to_numpy()[keep].astype(str)
    ev = np.ones(len(groups), dtype=bool) if evaluate is None else np.asarray(evaluate, dtype=bool)
    frame = pd.DataFrame({"g": g, "y": y, "p": p, "ev": ev[keep]})
    return frame.value_counts().reset_index(name="n")


def assess(y_true: pd.Series, y_pred: pd.Series, groups: pd.Series, *, favourable: Any,
           evaluate: np.ndarray | None = None, order: list[str] | None = None) -> FairnessReport:
    """Group metrics with fairlearn's MetricFrame. The favourable class is the positive one:
    selection rate = share predicted favourable; TPR = share of the truly favourable predicted
    favourable; FPR = share of the truly unfavourable predicted favourable. Selection rates use
    every row; TPR, FPR and accuracy only the rows in `evaluate` (the held-out ones)."""
    return assess_cells(cells_of(y_true, y_pred, groups, favourable=favourable, evaluate=evaluate),
                        favourable=favourable, order=order)


def _weighted_frame(metrics: dict, cells: pd.DataFrame) -> MetricFrame:
    """A MetricFrame over counted cells (columns g, y, p, n), each weighted by its rows."""
    weights = cells["n"].to_numpy(dtype=float)
    return MetricFrame(metrics=metrics, y_true=cells["y"].to_numpy(), y_pred=cells["p"].to_numpy(),
                       sensitive_features=pd.Series(cells["g"].to_numpy(), name="group"),
                       sample_params={name: {"sample_weight": weights} for name in metrics})


def assess_cells(cells: pd.DataFrame, *, favourable: Any, order: list[str] | None = None) -> FairnessReport:
    """`assess` from counted cells (`cells_of`: columns g, y, p, ev, n), wherever they were counted."""
    cells = cells[cells["n"] > 0]
    every = cells.groupby(["g", "y", "p"], as_index=False, sort=True)["n"].sum()
    held = cells[cells["ev"].astype(bool)].groupby(["g", "y", "p"], as_index=False, sort=True)["n"].sum()
    selection = _weighted_frame({"size": _size, "selection_rate": _rate}, every)
    table = selection.by_group.copy()
    dp_difference = float(selection.difference()["selection_rate"])
    dp_ratio = float(selection.ratio()["selection_rate"])
    evaluated = len(held) > 0
    if evaluated:
        quality = _weighted_frame({"evaluated": _size, "tpr": _tpr, "fpr": _fpr, "accuracy": _accuracy}, held)
        table = table.join(quality.by_group, how="left")
        diff = quality.difference()
        compared = quality.by_group
        tpr_diff = _nan_none(diff["tpr"]) if compared["tpr"].notna().sum() >= 2 else None
        fpr_diff = _nan_none(diff["fpr"]) if compared["fpr"].notna().sum() >= 2 else None
    else:
        table = table.assign(evaluated=0, tpr=np.nan, fpr=np.nan, accuracy=np.nan)
        tpr_diff = fpr_diff = None
    table["size"] = table["size"].astype(int)
    table["evaluated"] = table["evaluated"].fillna(0).astype(int)
    table = table[["size", "selection_rate", "evaluated", "tpr", "fpr", "accuracy"]]
    if order is not None:
        table = table.loc[[o for o in order if o in table.index]]
    gaps = [d for d in (tpr_diff, fpr_diff) if d is not None]
    eo = max(gaps) if gaps else None
    counts = counted_cells(every, held, [str(x) for x in table.index])
    intervals = {name: group_rates(c) for name, c in counts.items()}
    small = [name for name, r in intervals.items() if r["selection_rate"].too_small]
    thin = [name for name, r in intervals.items() if name not in small and evaluated
            and (r["accuracy"] is None or r["accuracy"].too_small)]
    boot = bootstrap_gaps(counts)
    return FairnessReport(
        groups=table, favourable=favourable, demographic_parity_difference=dp_difference,
        demographic_parity_ratio=dp_ratio, equal_opportunity_difference=tpr_diff,
        false_positive_rate_difference=fpr_diff, equalized_odds_difference=eo,
        four_fifths_flagged=bool(dp_ratio < FOUR_FIFTHS),
        equalized_odds_flagged=bool(eo is not None and eo > EQUALIZED_ODDS_LIMIT),
        small_groups=small, thin_groups=thin, intervals=intervals,
        dp_difference_ci=boot["dp_difference"], dp_ratio_ci=boot["dp_ratio"],
        eo_difference_ci=boot["eo_difference"] if eo is not None else (None, None))


def counted_cells(every: pd.DataFrame, held: pd.DataFrame, groups: list[str]) -> dict[str, dict]:
    """From counted cells (columns g, y, p, n), per group the rows predicted
    favourable / not ("all"), and [TP, FN, FP, TN] on the evaluated rows ("evaluated")."""
    def count(frame, g, y=None, p=None):
        m = frame["g"] == g
        if y is not None:
            m &= frame["y"] == y
        if p is not None:
            m &= frame["p"] == p
        return int(frame.loc[m, "n"].sum())

    return {name: {"all": np.array([count(every, name, p=1), count(every, name, p=0)]),
                   "evaluated": np.array([count(held, name, 1, 1), count(held, name, 1, 0),
                                          count(held, name, 0, 1), count(held, name, 0, 0)])}
            for name in groups}


# ---------------------------------------------------------------------------------- uncertainty
def group_rates(cells: dict) -> dict[str, unc.Rate | None]:
    """Each rate of a group with its count and 95% Wilson interval."""
    chosen, rest = cells["all"]
    tp, fn, fp, tn = cells["evaluated"]

    def share(count, n):
        return unc.rate(int(count), int(n)) if n else None

    return {"selection_rate": share(chosen, chosen + rest), "tpr": share(tp, tp + fn),
            "fpr": share(fp, fp + tn), "accuracy": share(tp + tn, tp + fn + fp + tn)}


def _extremes(values: dict[str, float | None]) -> tuple[str, str] | None:
    """The groups with the highest and the lowest value (None when fewer than two have one)."""
    known = {k: v for k, v in values.items() if v is not None and not math.isnan(v)}
    if len(known) < 2:
        return None
    return max(known, key=known.get), min(known, key=known.get)


def bootstrap_gaps(cells: dict[str, dict], *, rounds: int = ROUNDS, seed: int = SEED) -> dict[str, tuple]:
    """95% percentile bootstrap intervals of the demographic-parity difference and ratio and the
    equalized-odds difference. Each group's rows are resampled with replacement (its size kept),
    i.e. its cells drawn from a multinomial with the observed shares. The figures compare the
    groups MetricFrame found highest and lowest (largest minus smallest, smallest over largest),
    so each resample recomputes the gap between those same two groups (a signed gap: a resample
    may reverse it), and the interval is centred on the figure itself."""
    rng = np.random.default_rng(seed)
    names = list(cells)
    rates = {}
    tpr: dict[str, np.ndarray] = {}
    fpr: dict[str, np.ndarray] = {}
    point = {"rate": {}, "tpr": {}, "fpr": {}}
    for name in names:
        chosen, rest = cells[name]["all"]
        n = chosen + rest
        rates[name] = rng.binomial(n, chosen / n, size=rounds) / n if n else np.full(rounds, np.nan)
        point["rate"][name] = chosen / n if n else None
        ev = cells[name]["evaluated"]
        m = int(ev.sum())
        if m:
            tp, fn, fp, tn = rng.multinomial(m, ev / m, size=rounds).T.astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                tpr[name] = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
                fpr[name] = np.where(fp + tn > 0, fp / (fp + tn), np.nan)
            point["tpr"][name] = ev[0] / (ev[0] + ev[1]) if ev[0] + ev[1] else None
            point["fpr"][name] = ev[2] / (ev[2] + ev[3]) if ev[2] + ev[3] else None
    out: dict[str, tuple] = {"dp_difference": (None, None), "dp_ratio": (None, None),
                             "eo_difference": (None, None)}
    pair = _extremes(point["rate"])
    if pair is not None:
        hi, lo = rates[pair[0]], rates[pair[1]]
        out["dp_difference"] = unc.percentile_interval(hi - lo)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1), np.nan)
        out["dp_ratio"] = unc.percentile_interval(ratio)
    gaps = []
    for metric, draws in (("tpr", tpr), ("fpr", fpr)):
        pair = _extremes(point[metric])
        if pair is not None:
            gaps.append(draws[pair[0]] - draws[pair[1]])
    if gaps:
        out["eo_difference"] = unc.percentile_interval(np.fmax.reduce(gaps) if len(gaps) > 1 else gaps[0])
    return out


# ---------------------------------------------------------------------------------- proxies
def cramers_v(a, b) -> float:
    """Cramér's V of two categorical variables (0: independent, 1: one determines the other),
    by scipy (`scipy.stats.contingency.association`, without Yates' correction); rows where
    either is missing are left out, and a variable with one value gives 0."""
    from scipy.stats.contingency import association, crosstab

    a_codes, _ = pd.factorize(pd.Series(a), use_na_sentinel=True)
    b_codes, _ = pd.factorize(pd.Series(b), use_na_sentinel=True)
    keep = (a_codes >= 0) & (b_codes >= 0)
    if not keep.any():
        return 0.0
    table = crosstab(a_codes[keep], b_codes[keep]).count   # only values that occur: no empty rows
    if min(table.shape) < 2:
        return 0.0
    return float(association(table, method="cramer", correction=False))


def _as_categories(series: pd.Series, kind: str) -> pd.Series:
    """Numbers with many values in five quantile bins (their codes); anything else as is."""
    if kind == "numeric" and series.nunique() > 10:
        return pd.qcut(pd.to_numeric(series), 5, labels=False, duplicates="drop")
    return series


def proxies(frame: pd.DataFrame, groups: pd.Series, schema, exclude: list[str],
            top: int = 3) -> list[tuple[str, float]]:
    """Features associated with the group labels, strongest first (Cramér's V >= PROXY_SHOWN).
    Excluded: the attributes themselves and flags that are their exact complement."""
    keep = groups.notna()
    out = []
    for name, spec in schema.features.items():
        if name in exclude or name not in frame:
            continue
        v = cramers_v(groups[keep].to_numpy(), _as_categories(frame.loc[keep, name], spec.kind))
        if v >= PROXY_SHOWN:
            out.append((name, v))
    out.sort(key=lambda t: -t[1])
    return out[:top]
