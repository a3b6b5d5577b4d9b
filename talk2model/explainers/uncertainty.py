"""How sure a measured rate is: Wilson intervals for shares, bootstrap intervals for other scores,
and the small-group rule every answer follows.

    r = rate(5, 7)              # Rate(count=5, n=7, low=0.359, high=0.918); r.too_small -> True
    est = bootstrap(f1, y, pred)   # Estimate(value, low, high, n, method="bootstrap")

**The small-group rule** (`MIN_ROWS`, `MAX_WIDTH`): a rate measured on fewer than 30 rows, or whose
95% interval is wider than 30 percentage points, is too small to judge. Answers still give the
figure, with its count and interval, but say so first, with the number of rows.

Rates that estimate how the model behaves (accuracy, error rates, selection and true-positive
rates in a fairness check) get intervals; counts and shares that describe the data itself ("45 of
the 1,000 applicants are over 60") are exact and get none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

CONFIDENCE = 0.95
MIN_ROWS = 30          # fewer evaluated rows than this: too small to judge
MAX_WIDTH = 0.30       # a 95% interval wider than this (30 percentage points): too small to judge
ROUNDS = 1000          # bootstrap resamples
SEED = 0


def wilson(count: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of count / n (scipy's `binomtest(...).proportion_ci`)."""
    from scipy.stats import binomtest

    if n <= 0:
        return (math.nan, math.nan)
    ci = binomtest(int(count), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Rate:
    """A share measured on n rows: count of n, with its 95% Wilson interval."""

    count: int
    n: int
    low: float
    high: float
    method: str = "wilson"

    @property
    def value(self) -> float | None:
        return self.count / self.n if self.n else None

    @property
    def width(self) -> float:
        return self.high - self.low if self.n else math.inf

    @property
    def too_small(self) -> bool:
        return too_small(self.n, self.width)

    def to_json(self) -> dict:
        return {"count": self.count, "n": self.n, "value": self.value, "low": _none(self.low),
                "high": _none(self.high), "method": self.method, "too_small": self.too_small}


def rate(count: int, n: int) -> Rate:
    low, high = wilson(count, n)
    return Rate(int(count), int(n), low, high)


def too_small(n: int, width: float | None) -> bool:
    """The small-group rule: fewer than MIN_ROWS rows, or an interval wider than MAX_WIDTH."""
    return n < MIN_ROWS or (width is not None and not math.isnan(width) and width > MAX_WIDTH)


@dataclass(frozen=True)
class Estimate:
    """A score that is not a simple share (F1, ROC AUC, an error in the target's units, a
    difference or ratio of rates): its value and a percentile bootstrap interval."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    method: str = "bootstrap"

    def to_json(self) -> dict:
        return {"value": _none(self.value), "low": _none(self.low), "high": _none(self.high),
                "n": self.n, "method": self.method}


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float | None, float | None]:
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if not len(samples):
        return None, None
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap(statistic: Callable[..., float], *arrays: np.ndarray, rounds: int = ROUNDS,
              seed: int = SEED, confidence: float = CONFIDENCE) -> Estimate:
    """The statistic on the rows and a percentile interval over `rounds` resamples of the rows
    (drawn with replacement, the same rows for every array)."""
    arrays = tuple(np.asarray(a) for a in arrays)
    n = len(arrays[0])
    value = float(statistic(*arrays)) if n else math.nan
    if n < 2:
        return Estimate(_none(value), None, None, n)
    rng = np.random.default_rng(seed)
    samples = np.empty(rounds)
    for b in range(rounds):
        idx = rng.integers(0, n, n)
        samples[b] = statistic(*(a[idx] for a in arrays))
    low, high = percentile_interval(samples, confidence)
    return Estimate(_none(value), low, high, n)


def bootstrap_cells(statistic: Callable[[np.ndarray], np.ndarray], counts, *, rounds: int = ROUNDS,
                    seed: int = SEED, confidence: float = CONFIDENCE) -> Estimate:
    """A statistic of a few cell counts (a confusion matrix: TP, FP, FN, TN) with a percentile
    bootstrap interval. Drawing n rows with replacement draws the cell counts from a multinomial
    with the observed shares, so the resamples are drawn that way directly; `statistic` takes an
    array of counts (one resample per row) and returns one value per row."""
    counts = np.asarray(counts, dtype=float)
    n = int(counts.sum())
    value = float(statistic(counts[None, :])[0]) if n else math.nan
    if n < 2:
        return Estimate(_none(value), None, None, n)
    rng = np.random.default_rng(seed)
    samples = rng.multinomial(n, counts / n, size=rounds).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = percentile_interval(statistic(samples), confidence)
    return Estimate(_none(value), low, high, n)


def bootstrap_auc(truth: np.ndarray, score: np.ndarray, *, rounds: int = ROUNDS, seed: int = SEED,
                  confidence: float = CONFIDENCE) -> Estimate:
    """ROC AUC with a percentile bootstrap interval. A resample is a vector of row counts
    (rows drawn with replacement, counted); the AUC of counted rows is the
    Mann-Whitney statistic with those counts as weights, computed on the scores sorted once."""
    truth = np.asarray(truth, dtype=bool)
    score = np.asarray(score, dtype=float)
    n = len(truth)
    if n < 2 or truth.all() or not truth.any():
        return Estimate(None, None, None, n)
    levels, inverse = np.unique(score, return_inverse=True)

    def auc(weights: np.ndarray) -> float:
        pos = np.bincount(inverse, weights=weights * truth, minlength=len(levels))
        neg = np.bincount(inverse, weights=weights * ~truth, minlength=len(levels))
        below = np.cumsum(neg) - neg                    # negatives scored strictly lower
        total = pos.sum() * neg.sum()
        return float((pos * (below + 0.5 * neg)).sum() / total) if total else math.nan

    value = auc(np.ones(n))
    rng = np.random.default_rng(seed)
    samples = np.array([auc(np.bincount(rng.integers(0, n, n), minlength=n).astype(float)) for _ in range(rounds)])
    low, high = percentile_interval(samples, confidence)
    return Estimate(value, low, high, n)


def _none(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x
