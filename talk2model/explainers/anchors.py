"""Anchors (Ribeiro, Singh and Guestrin, AAAI 2018): a rule that "anchors" a prediction — while the
rule holds, the model's prediction stays the same with high precision — found by beam search over
rules, with the KL-LUCB bandit (Kaufmann and Kalyanakrishnan 2013) choosing which rules to keep.

    found = anchor(model.predict, data, row, features=..., categorical=...)
    found.rule          # [Condition(feature, cmp, value)], the query language's comparisons
    found.precision     # measured on the data: the share of rows meeting the rule predicted alike
    found.coverage      # measured on the data: the share of rows meeting the rule

A maintained library does not fit here: `alibi` pins numpy < 2 and brings spaCy, and the authors'
`anchor-exp` has not been released since 2020. This follows their reference implementation
(`anchor_base.py`, `anchor_tabular.py`): predicates from the instance (a category's value; a
numeric feature's quartile bin as "> lower cut" and "<= upper cut"); the perturbation
distribution D(.|A) draws rows from the data and replaces each anchored feature with values drawn
from rows that meet that feature's conditions; KL confidence bounds with their exploration rate
beta(t) = log(k n t^1.1 / delta) + log log(...), k = 405.5; beam search by rule length, pruned by
coverage; a rule is accepted when its precision's lower bound clears the threshold (less
`epsilon_stop`). One addition: the rule's precision is also measured on the data's own rows that
meet it, jointly, and a rule is accepted only when that is at least the threshold too, so the
precision reported is one anyone can recompute from the data.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from talk2model import deadline

THRESHOLD = 0.95
DELTA = 0.1            # the bandit's confidence parameter (anchor_tabular's default)
EPSILON = 0.15         # KL-LUCB's tolerance (anchor_tabular's tau)
EPSILON_STOP = 0.05
BATCH = 100
MIN_BLOCK = 400        # a rule drawn again is drawn this many at a time at least, ...
MAX_BLOCK = 3200       # ... and as many as it has used so far, up to this many (see Sampler)
BEAM = 4
MAX_SIZE = 6
MIN_SHARED = 0
SEED = 0
QUANTILES = (0.25, 0.5, 0.75)


# ---- KL-LUCB --------------------------------------------------------------------------------------
def kl_bernoulli(p: float, q: float) -> float:
    p = min(0.9999999999999999, max(0.0000001, p))
    q = min(0.9999999999999999, max(0.0000001, q))
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def dup_bernoulli(p: float, level: float) -> float:
    """The largest q with KL(p, q) <= level (bisection, as anchor_base.py)."""
    lm, um = p, min(min(1.0, p + math.sqrt(level / 2.0)), 1.0)
    for _ in range(16):
        qm = (um + lm) / 2.0
        if kl_bernoulli(p, qm) > level:
            um = qm
        else:
            lm = qm
    return um


def dlow_bernoulli(p: float, level: float) -> float:
    """The smallest q with KL(p, q) <= level."""
    um, lm = p, max(min(1.0, p - math.sqrt(level / 2.0)), 0.0)
    for _ in range(16):
        qm = (um + lm) / 2.0
        if kl_bernoulli(p, qm) > level:
            lm = qm
        else:
            um = qm
    return lm


def compute_beta(n_arms: int, t: int, delta: float) -> float:
    alpha, k = 1.1, 405.5
    temp = math.log(k * n_arms * (t ** alpha) / delta)
    return temp + math.log(temp)


def kl_bounds(means: np.ndarray, levels: np.ndarray, upper: bool) -> np.ndarray:
    """`dup_bernoulli` (upper) or `dlow_bernoulli` over arrays: the same bisection, all arms at once."""
    means = np.asarray(means, dtype=float)
    levels = np.asarray(levels, dtype=float)
    p = np.clip(means, 0.0000001, 0.9999999999999999)

    def kl(q):
        q = np.clip(q, 0.0000001, 0.9999999999999999)
        return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))

    if upper:
        lm, um = means.copy(), np.minimum(1.0, means + np.sqrt(levels / 2.0))
    else:
        um, lm = means.copy(), np.maximum(np.minimum(1.0, means - np.sqrt(levels / 2.0)), 0.0)
    for _ in range(16):
        qm = (um + lm) / 2.0
        over = kl(qm) > levels
        if upper:
            um, lm = np.where(over, qm, um), np.where(over, lm, qm)
        else:
            lm, um = np.where(over, qm, lm), np.where(over, um, qm)
    return um if upper else lm


def kl_lucb(sample: Callable[[list[int], int, list[int]], list[int]], n: np.ndarray, positives: np.ndarray, *, top_n: int,
            epsilon: float = EPSILON, delta: float = DELTA, batch: int = BATCH, max_rounds: int = 10_000) -> list[int]:
    """The `top_n` arms with the highest means, to within epsilon with probability 1 - delta.
    `sample(arms, k, open_)` draws k more samples of each arm (the two of a round in one go) and
    returns how many of each were positive (`open_`: the arms whose bounds still overlap, which
    later rounds may sample: a sampler may draw ahead for them); `n` and `positives` (the counts so far) are updated in place."""
    arms = len(n)
    if arms <= top_n:
        return list(range(arms))

    def bounds(t: int) -> tuple[int, int, float, list[int]]:
        means = positives / n
        order = np.argsort(means, kind="stable")
        beta = compute_beta(arms, t, delta)
        best, rest = order[-top_n:], order[:-top_n]
        ub = kl_bounds(means[rest], beta / n[rest], upper=True)
        lb = kl_bounds(means[best], beta / n[best], upper=False)
        u, l = int(np.argmax(ub)), int(np.argmin(lb))
        # the arms whose bounds still overlap the other side: those a later round may sample
        open_ = [int(a) for a in rest[ub > lb[l]]] + [int(a) for a in best[lb < ub[u]]]
        return int(rest[u]), int(best[l]), float(ub[u] - lb[l]), open_

    t = 1
    ut, lt, gap, open_ = bounds(t)
    while gap > epsilon and t < max_rounds:
        for arm, got in zip((ut, lt), sample([ut, lt], batch, open_)):
            positives[arm] += got
            n[arm] += batch
        t += 1
        ut, lt, gap, open_ = bounds(t)
    return [int(k) for k in np.argsort(positives / n, kind="stable")[-top_n:]]


# ---- predicates and the perturbation distribution -------------------------------------------------
@dataclass(frozen=True)
class Condition:
    feature: str
    cmp: str                     # "==", "<=" or ">"
    value: Any

    def holds(self, column: pd.Series) -> pd.Series:
        if self.cmp == "==":
            return column == self.value
        return column <= self.value if self.cmp == "<=" else column > self.value

    def to_json(self) -> dict:
        return {"feature": self.feature, "cmp": self.cmp, "value": self.value}


def predicates(row: pd.Series, data: pd.DataFrame, features: list[str], categorical: set[str]) -> list[Condition]:
    """The instance's candidate conditions: a category's value; a numeric feature's quartile bin."""
    from talk2model.workspace.schema import plain_value

    out = []
    for f in features:
        value = row[f]
        column = data[f]
        if f in categorical or column.nunique() <= 4:
            out.append(Condition(f, "==", plain_value(value)))
            continue
        cuts = sorted(set(float(q) for q in column.quantile(list(QUANTILES))))
        below = [c for c in cuts if c < value]
        above = [c for c in cuts if c >= value]
        if below:
            out.append(Condition(f, ">", plain_value(below[-1])))
        if above:
            out.append(Condition(f, "<=", plain_value(above[0])))
    return out


def rule_mask(rule, data: pd.DataFrame) -> pd.Series:
    keep = pd.Series(True, index=data.index)
    for c in rule:
        keep &= c.holds(data[c.feature])
    return keep


class Sampler:
    """D(.|A): rows drawn from the data, each anchored feature replaced by values from rows that
    meet that feature's conditions (anchor_tabular's sample_from_train).

    The model is the cost, and most of a call's cost is per call, not per row (the credit
    pipeline: about 5.5 ms for 100 rows, 6.5 ms for 400, 9 ms for 1,000). So the rows asked for at
    once (every new candidate of a beam round; a bandit round's two arms) go to the model in one
    call, and a rule drawn again is drawn in a block of at least `MIN_BLOCK` and as large as what
    it has used so far (up to `MAX_BLOCK`): the outcomes not yet used wait in the rule's buffer. They are independent draws from D(.|A) made
    before they are asked for, so the bandit sees the same distribution as drawing on demand."""

    def __init__(self, data: pd.DataFrame, predict: Callable[[pd.DataFrame], np.ndarray], wanted: Any,
                 conditions: list[Condition], seed: int) -> None:
        self.data = data.reset_index(drop=True)
        self.columns = {f: self.data[f].to_numpy() for f in self.data.columns}
        self.predict = predict
        self.wanted = wanted
        self.conditions = conditions
        self.rng = np.random.default_rng(seed)
        self.evaluations = 0              # rows the model judged
        self.calls = 0                    # model calls
        self._pools: dict[tuple, np.ndarray] = {}
        self._buffers: dict[tuple, np.ndarray] = {}   # rule -> outcomes drawn and not yet used
        self._used: dict[tuple, int] = {}

    def _pool(self, feature: str, conds: tuple[int, ...]) -> np.ndarray:
        key = (feature, conds)
        if key not in self._pools:
            keep = np.ones(len(self.data), dtype=bool)
            for k in conds:
                keep &= self.conditions[k].holds(self.data[feature]).to_numpy()
            self._pools[key] = self.columns[feature][keep]
        return self._pools[key]

    def _fill(self, wants: list[tuple[tuple[int, ...], int]]) -> None:
        """Draw `k` rows of D(.|rule) for each (rule, k), all judged in one model call."""
        deadline.check()
        total = sum(k for _, k in wants)
        base = self.rng.integers(0, len(self.data), total)
        columns = {f: values[base] for f, values in self.columns.items()}
        start = 0
        for rule, k in wants:
            by_feature: dict[str, list[int]] = {}
            for c in rule:
                by_feature.setdefault(self.conditions[c].feature, []).append(c)
            for feature, conds in by_feature.items():
                pool = self._pool(feature, tuple(sorted(conds)))
                columns[feature][start:start + k] = pool[self.rng.integers(0, len(pool), k)]
            start += k
        outcomes = np.asarray(self.predict(pd.DataFrame(columns, columns=list(self.data.columns)))) == self.wanted
        self.evaluations += total
        self.calls += 1
        start = 0
        for rule, k in wants:
            held = self._buffers.get(rule)
            got = outcomes[start:start + k]
            self._buffers[rule] = got if held is None or not len(held) else np.concatenate([held, got])
            start += k

    def _block(self, rule: tuple[int, ...], need: int) -> int:
        used = self._used.get(rule, 0)
        return max(need, min(MAX_BLOCK, max(MIN_BLOCK, used))) if used else need

    def sample_many(self, rules: list[tuple[int, ...]], k: int, ahead: list[tuple[int, ...]] = ()) -> list[int]:
        """k more draws of each rule; how many of each the model predicts as the instance. When
        the model must be called, the rules `ahead` short of k draws are drawn for in the same call."""
        short = {}
        for rule in dict.fromkeys(rules):
            need = k * rules.count(rule) - len(self._buffers.get(rule, ()))
            if need > 0:
                short[rule] = self._block(rule, need)
        if short:
            for rule in ahead:
                need = k - len(self._buffers.get(rule, ()))
                if rule not in short and need > 0:
                    short[rule] = self._block(rule, need)
            self._fill(list(short.items()))
        out = []
        for rule in rules:
            held = self._buffers[rule]
            out.append(int(held[:k].sum()))
            self._buffers[rule] = held[k:]
            self._used[rule] = self._used.get(rule, 0) + k
        return out

    def sample(self, rule: tuple[int, ...], k: int) -> int:
        return self.sample_many([rule], k)[0]


@dataclass
class AnchorResult:
    rule: list[Condition]
    precision: float                   # on the data's rows that meet the rule
    coverage: float                    # share of the data's rows that meet the rule
    rows: int                          # data rows that meet it
    precision_estimate: float          # the bandit's, on D(.|A)
    precision_lower_bound: float
    evaluations: int                   # model predictions made
    seconds: float
    found: bool                        # a rule met the threshold (else the most precise one seen)
    threshold: float = THRESHOLD
    candidates: int = 0
    history: list[dict] = field(default_factory=list)


def anchor(predict: Callable[[pd.DataFrame], np.ndarray], data: pd.DataFrame, row: pd.Series, *,
           features: list[str], categorical: set[str], threshold: float = THRESHOLD, delta: float = DELTA,
           epsilon: float = EPSILON, batch: int = BATCH, beam: int = BEAM, max_size: int = MAX_SIZE,
           seed: int = SEED, data_predictions: np.ndarray | None = None) -> AnchorResult:
    """The anchor of `row`'s prediction: beam search with KL-LUCB (anchor_base.anchor_beam)."""
    started = time.perf_counter()
    frame = data[features]
    wanted = predict(row[features].to_frame().T)[0]
    same = (np.asarray(data_predictions) if data_predictions is not None else predict(frame)) == wanted
    conditions = predicates(row, frame, features, categorical)
    masks = [c.holds(frame[c.feature]).to_numpy() for c in conditions]
    sampler = Sampler(frame, predict, wanted, conditions, seed)
    stats: dict[tuple, list[int]] = {}      # rule -> [samples, positives]

    def coverage(rule: tuple) -> float:
        keep = np.ones(len(frame), dtype=bool)
        for c in rule:
            keep &= masks[c]
        return float(keep.mean())

    def data_precision(rule: tuple) -> tuple[float, int]:
        keep = np.ones(len(frame), dtype=bool)
        for c in rule:
            keep &= masks[c]
        return (float(same[keep].mean()) if keep.any() else 0.0), int(keep.sum())

    def draw_many(rules: list[tuple], k: int, ahead: list[tuple] = ()) -> list[int]:
        gots = sampler.sample_many(rules, k, ahead)
        for rule, got in zip(rules, gots):
            s = stats.setdefault(rule, [0, 0])
            s[0] += k
            s[1] += got
        return gots

    def draw(rule: tuple, k: int) -> int:
        return draw_many([rule], k)[0]

    n_arms_total = len(conditions)
    # the empty rule first: a prediction that holds almost everywhere needs no anchor
    draw((), batch)
    best_rule: tuple = ()
    best_coverage = -1.0
    best_of: dict[int, list[tuple]] = {0: [()]}
    history = []
    accepted = False
    beta_stop = math.log(1.0 / (delta / (1 + (beam - 1) * max(1, n_arms_total))))

    def settle(rule: tuple) -> tuple[float, float, float]:
        """Sample a rule until its bounds are clear of threshold - epsilon_stop (anchor_beam)."""
        n, pos = stats[rule]
        mean = pos / n
        lb, ub = dlow_bernoulli(mean, beta_stop / n), dup_bernoulli(mean, beta_stop / n)
        while (mean >= threshold and lb < threshold - EPSILON_STOP) or (mean < threshold and ub >= threshold + EPSILON_STOP):
            draw(rule, batch)
            n, pos = stats[rule]
            mean = pos / n
            lb, ub = dlow_bernoulli(mean, beta_stop / n), dup_bernoulli(mean, beta_stop / n)
        return mean, lb, ub

    mean, lb, _ = settle(())
    empty_precision, _ = data_precision(())
    if mean >= threshold and lb > threshold - EPSILON_STOP and empty_precision >= threshold:
        accepted, best_rule, best_coverage = True, (), 1.0
    size = 1
    while not accepted and size <= min(max_size, n_arms_total):
        candidates = sorted({tuple(sorted(set(r) | {c})) for r in best_of[size - 1] for c in range(n_arms_total)
                             if c not in r and conditions[c] not in [conditions[x] for x in r]})
        candidates = [r for r in candidates if coverage(r) > best_coverage]
        if not candidates:
            break
        draw_many([r for r in candidates if r not in stats], batch)
        n = np.array([stats[r][0] for r in candidates], dtype=float)
        pos = np.array([stats[r][1] for r in candidates], dtype=float)
        chosen = kl_lucb(lambda arms, k, open_: draw_many([candidates[a] for a in arms], k,
                                                                 [candidates[a] for a in open_]), n, pos, top_n=min(beam, len(candidates)),
                         epsilon=epsilon, delta=delta, batch=batch)
        best_of[size] = [candidates[k] for k in chosen]
        for rule in best_of[size]:
            mean, lb, ub = settle(rule)
            precision, rows = data_precision(rule)
            history.append({"rule": [conditions[c].to_json() for c in rule], "estimate": mean, "lower": lb,
                            "data_precision": precision, "coverage": coverage(rule)})
            if mean >= threshold and lb > threshold - EPSILON_STOP and precision >= threshold \
                    and coverage(rule) > best_coverage:
                best_rule, best_coverage, accepted = rule, coverage(rule), True
        size += 1
    if not accepted:   # no rule met the threshold: the most precise on the data among those tried
        tried = [r for rules in best_of.values() for r in rules]
        best_rule = max(tried, key=lambda r: (data_precision(r)[0], coverage(r)))
        settle(best_rule) if best_rule in stats else draw(best_rule, batch)
    n, pos = stats[best_rule]
    mean = pos / n
    precision, rows = data_precision(best_rule)
    return AnchorResult(rule=[conditions[c] for c in best_rule], precision=precision,
                        coverage=coverage(best_rule), rows=rows, precision_estimate=mean,
                        precision_lower_bound=dlow_bernoulli(mean, beta_stop / n),
                        evaluations=sampler.evaluations, seconds=time.perf_counter() - started, found=accepted,
                        threshold=threshold, candidates=n_arms_total, history=history)
