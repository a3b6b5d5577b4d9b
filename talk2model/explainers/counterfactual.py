"""Counterfactual explanations: the smallest actionable changes that flip a model's prediction.

    space = ChangeSpace.from_workspace(workspace)
    found = counterfactuals(workspace.model, row, space, desired=1)
    found.counterfactuals[0].changes     # {"duration": (48, 24), "credit_amount": (5951, 3000)}

What may change is decided once, from the schema and the data (`ChangeSpace`): features a person
cannot change (`Feature.actionable` false; immutables included) never change; a feature with a
`direction` moves only that way (ages and counts of past events only increase); categories in
`missing_values` ("not_known") are never suggested; numbers stay inside the range seen in the
data (and inside `lowest` / `highest`); categories take only values seen in the data; a one-hot
group (schema.groups) changes as one unit, with exactly one member set.

Candidates come from one search: every single change over quantiles of each feature, then pairs
of the most promising single changes, then (only if too few were found) a beam of triples.
(dice-ml was used beside it until issue 15; on the same rows and constraints it was 3-4.5x slower
at the median and its alternatives changed more features and lay farther away, so it was dropped:
see docs/whatif-counterfactuals-fairness.md and bench/counterfactual_vs_dice.py.)

Every candidate is verified by re-predicting with the model (only real flips are kept), shrunk
towards the original row while it still flips, and the pool is sorted by the number of changed
features, then distance (|change| / median absolute deviation for numbers, 1 per category).
Up to `n` diverse ones are kept: none changes a superset of the features another one changes.
Before anything is shown it is checked once more, against the constraints (`ChangeSpace.allows`)
and by predicting the changed row again (`_verify`).
The model is used only through `predict` / `predict_proba` on raw feature frames.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.workspace.schema import plain_value

QUANTILES = np.linspace(0.0, 1.0, 21)
PAIR_VALUES = 3          # best values per feature carried into the pair search
BEAM = 12                # non-flipping pairs extended into triples


# --------------------------------------------------------------------------------------------
# What may change
@dataclass(frozen=True)
class Unit:
    """One thing a counterfactual may change: a column, or a one-hot group as a whole."""

    name: str                       # the column, or the group's name
    kind: str                       # numeric | categorical | flag | group
    columns: tuple[str, ...]
    values: tuple[Any, ...] = ()    # numeric: quantile grid; categorical: seen values; group: members
    low: float | None = None
    high: float | None = None
    scale: float = 1.0              # numeric: median absolute deviation (distance unit)
    integer: bool = False
    step: float = 1.0               # numeric: rounding step for readable values
    float_dtype: bool = False
    distinct: int = 0               # numeric: distinct values in the data
    direction: str | None = None    # "increase" | "decrease": the only way this feature may move

    def current(self, row: pd.Series) -> Any:
        if self.kind == "group":
            on = [c for c in self.columns if row[c] == 1]
            return on[0] if on else None
        return plain_value(row[self.name])

    def candidates(self, row: pd.Series) -> list[Any]:
        now = self.current(row)
        if self.kind == "flag":
            options = [1 - now] if now in (0, 1) else [0, 1]
        else:
            options = [v for v in self.values if v != now]
        return [v for v in options if self.allows(now, v)]

    def allows(self, old: Any, new: Any) -> bool:
        """A move this unit may make: a value it may take (missing-value codes are not among
        `values`), in its direction."""
        if self.kind in ("categorical", "group") and new not in self.values:
            return False
        if self.kind == "numeric" and self.low is not None and not (self.low <= float(new) <= self.high):
            return False
        if self.direction is None or self.kind not in ("numeric", "flag") or old is None:
            return True
        up = float(new) - float(old)
        return up >= 0 if self.direction == "increase" else up <= 0

    def assign(self, values: dict[str, Any], value: Any) -> None:
        """Write `value` into a row dict (in the column's own number type)."""
        if self.kind == "group":
            for c in self.columns:
                values[c] = _typed(1 if c == value else 0, self.float_dtype)
        else:
            values[self.name] = _typed(value, self.float_dtype)

    def distance(self, old: Any, new: Any) -> float:
        if self.kind == "numeric":
            return abs(float(new) - float(old)) / self.scale
        return 1.0

    def nice(self, value: float) -> Any:
        """`value` rounded to this feature's step and clipped to its range."""
        value = round(value / self.step) * self.step
        if self.low is not None:
            value = min(max(value, self.low), self.high)
        if self.integer:
            return int(round(value))
        return float(round(value, 10))


def _typed(value: Any, float_dtype: bool) -> Any:
    if float_dtype and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return float(value)
    return value


@dataclass(frozen=True)
class ChangeSpace:
    """The features a counterfactual may change, and to which values."""

    units: tuple[Unit, ...]
    frozen: tuple[str, ...]               # columns a person cannot change (never changed)
    feature_names: tuple[str, ...]        # the model's columns, in order
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    dtypes: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    numeric: tuple[str, ...] = ()         # numeric columns (mutable or not)

    @classmethod
    def from_workspace(cls, workspace, *, allow_immutable: bool = False, widen: float = 0.0,
                       only_fixed: bool = False) -> "ChangeSpace":
        return cls.build(workspace.schema, workspace.X(), allow_immutable=allow_immutable, widen=widen,
                         only_fixed=only_fixed)

    @classmethod
    def build(cls, schema, X: pd.DataFrame, *, allow_immutable: bool = False,
              widen: float = 0.0, only_fixed: bool = False) -> "ChangeSpace":
        """`allow_immutable` lets features a person cannot change change too, and `only_fixed`
        keeps only those (both to tell changes a person can make from those they cannot); `widen`
        > 0 lets numbers go that fraction of their range beyond it (diagnosis only). Directions,
        missing-value codes and `lowest` / `highest` hold in every case: they are facts, not
        choices (an age does not go down, "not known" is not a value anyone has)."""
        immutable = set(schema.immutable) | set(schema.not_actionable)
        if only_fixed:
            allow_immutable = True
        grouped = {c for cols in schema.groups.values() for c in cols}
        units: list[Unit] = []
        labels: dict[str, str] = {}
        for gname, cols in schema.groups.items():
            cols = tuple(c for c in cols if c in X)
            if not cols:
                continue
            if immutable & set(cols) and not allow_immutable:
                continue
            if only_fixed and not immutable & set(cols):
                continue
            units.append(Unit(gname, "group", cols, values=cols,
                              float_dtype=pd.api.types.is_float_dtype(X[cols[0]])))
            labels[gname] = _group_label(gname)
            for c in cols:
                labels[c] = _member_label(c, cols)
        for name in X.columns:
            if name in grouped or name not in schema.features:
                continue
            spec = schema.features[name]
            labels[name] = spec.label
            if name in immutable and not allow_immutable:
                continue
            if only_fixed and name not in immutable:
                continue
            column = X[name]
            float_dtype = pd.api.types.is_float_dtype(column)
            if spec.kind == "numeric":
                numbers = pd.to_numeric(column, errors="coerce").dropna()
                if numbers.empty or numbers.nunique() < 2:
                    continue
                low, high = float(numbers.min()), float(numbers.max())
                span = high - low
                step = 10.0 ** math.floor(math.log10(span / 50)) if span > 0 else 1.0
                integer = bool(spec.integer)
                if integer:
                    step = max(step, 1.0)
                if widen:
                    low, high = low - widen * span, high + widen * span
                    if low < 0 <= numbers.min():
                        low = 0.0
                if spec.lowest is not None:
                    low = max(low, float(spec.lowest))
                if spec.highest is not None:
                    high = min(high, float(spec.highest))
                unit = Unit(name, "numeric", (name,), low=low, high=high,
                            scale=_scale(numbers), integer=integer, step=step,
                            float_dtype=float_dtype, distinct=int(numbers.nunique()),
                            direction=spec.direction)
                grid = np.quantile(numbers, QUANTILES)
                if widen:
                    grid = np.concatenate([grid, np.linspace(low, high, 9)])
                values = sorted({unit.nice(v) for v in grid})
                units.append(Unit(**{**unit.__dict__, "values": tuple(values)}))
            elif spec.kind == "flag":
                units.append(Unit(name, "flag", (name,), values=(0, 1), float_dtype=float_dtype,
                                  direction=spec.direction))
            else:
                values = tuple(plain_value(v) for v in pd.unique(column.dropna())
                               if plain_value(v) not in spec.missing_values)
                if len(values) < 2 and not spec.missing_values:
                    continue
                if not values:
                    continue
                units.append(Unit(name, "categorical", (name,), values=values))
        frozen = tuple(c for c in X.columns if c in immutable) if not allow_immutable else ()
        numeric = tuple(c for c in X.columns
                        if c in schema.features and schema.features[c].kind == "numeric")
        return cls(units=tuple(units), frozen=frozen, feature_names=tuple(X.columns), labels=labels,
                   dtypes=dict(X.dtypes), numeric=numeric)

    def row_frame(self, row: pd.Series) -> pd.DataFrame:
        """One row as a one-row frame in the data's own column types."""
        return _cast(row[list(self.feature_names)].to_frame().T, self.dtypes)

    def unit(self, name: str) -> Unit:
        return next(u for u in self.units if u.name == name)

    def allows(self, row: pd.Series, changes: dict[str, Any]) -> bool:
        """Every change is one this space may make from `row` (a unit it has, a value it may take,
        in the unit's direction)."""
        names = {u.name for u in self.units}
        return all(name in names and self.unit(name).allows(self.unit(name).current(row), value)
                   for name, value in changes.items())


def _scale(numbers: pd.Series) -> float:
    mad = float(np.median(np.abs(numbers - np.median(numbers))))
    if mad > 0:
        return mad
    std = float(numbers.std())
    return std if std > 0 else 1.0


def _group_label(name: str) -> str:
    from talk2model.workspace.schema import split_words

    return split_words(name)


def _member_label(column: str, columns: tuple[str, ...]) -> str:
    """'loanpurposeUsedCar' in a group of 'loanpurpose*' columns -> 'used car'."""
    from os.path import commonprefix

    from talk2model.workspace.schema import split_words

    prefix = commonprefix(list(columns)) if len(columns) > 1 else ""
    rest = column[len(prefix):] or column
    return split_words(rest)


# --------------------------------------------------------------------------------------------
# Results
@dataclass
class Counterfactual:
    """One verified alternative: unit name -> (from, to), and what the model then predicts."""

    changes: dict[str, tuple[Any, Any]]
    prediction: Any
    distance: float
    probability: float | None = None      # P(prediction) after the change
    source: str = "search"                # the engine that found it (only the search since issue 15)

    @property
    def n_changed(self) -> int:
        return len(self.changes)

    def key(self) -> tuple:
        return tuple(sorted((k, str(v[1])) for k, v in self.changes.items()))


@dataclass
class Search:
    """What `counterfactuals` found for one row."""

    original_prediction: Any
    desired: Any                           # a class, or None for "any other class"
    counterfactuals: list[Counterfactual]
    engines: list[str]                     # engines that contributed to what is shown
    binding: str | None = None             # when none found: which constraint binds
    binding_example: Counterfactual | None = None
    seconds: float = 0.0
    evaluated: int = 0                     # rows the model predicted during the search


# --------------------------------------------------------------------------------------------
# The search
class _Scorer:
    """Predicts batches of changed rows, counting how many it has predicted."""

    def __init__(self, model, original_class: Any, desired: Any) -> None:
        self.model = model
        self.original_class = original_class
        self.desired = desired
        self.evaluated = 0
        classes = [plain_value(c) for c in getattr(model, "classes_", [])]
        self.has_proba = bool(getattr(model, "has_proba", False)) and len(classes) > 0
        self.classes = classes

    def run(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(predictions, flips, score): score is P(desired) (or 1 - P(original)), higher is closer.

        With probabilities, the class is their argmax (one model call instead of two); whatever
        is finally shown is re-verified with `predict`."""
        self.evaluated += len(frame)
        if self.has_proba:
            proba = np.asarray(self.model.predict_proba(frame))
            pred = np.asarray(self.classes, dtype=object)[proba.argmax(axis=1)]
        else:
            pred = np.asarray([plain_value(p) for p in self.model.predict(frame)], dtype=object)
        flips = (pred == self.desired) if self.desired is not None else (pred != self.original_class)
        if self.has_proba:
            if self.desired is not None and self.desired in self.classes:
                score = proba[:, self.classes.index(self.desired)]
            else:
                score = 1.0 - proba[:, self.classes.index(self.original_class)]
        else:
            score = flips.astype(float)
        return pred, flips, score


def _frame(row: pd.Series, changesets: list[dict[str, Any]], space: ChangeSpace) -> pd.DataFrame:
    base = {c: row[c] for c in space.feature_names}
    records = []
    for changes in changesets:
        values = dict(base)
        for name, value in changes.items():
            space.unit(name).assign(values, value)
        records.append(values)
    return _cast(pd.DataFrame.from_records(records, columns=list(space.feature_names)), space.dtypes)


def _cast(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    for c, dtype in dtypes.items():
        if frame[c].dtype != dtype:
            if pd.api.types.is_integer_dtype(dtype):
                frame[c] = pd.to_numeric(frame[c]).round().astype(dtype)
            elif pd.api.types.is_float_dtype(dtype):
                frame[c] = pd.to_numeric(frame[c]).astype(dtype)
            else:
                frame[c] = frame[c].astype(dtype)
    return frame


def counterfactuals(model, row: pd.Series, space: ChangeSpace, *, desired: Any = None, n: int = 3,
                    data: pd.DataFrame | None = None, diagnose: bool = True,
                    schema=None) -> Search:
    """Up to `n` verified, diverse, minimal counterfactuals for one row (a Series of raw features).

    `desired` is the class to reach (None: any class but the current one). When nothing flips
    and `diagnose` is set, the search is re-run with the constraints relaxed one at a time to say
    which one binds (needs `schema` and `data`, the workspace's raw features).
    """
    started = time.perf_counter()
    row = row[list(space.feature_names)]
    original = plain_value(model.predict(space.row_frame(row))[0])
    if desired is not None and plain_value(desired) == original:
        raise ValueError("the row is already predicted as the desired class")
    classes = [plain_value(c) for c in getattr(model, "classes_", [])]
    if desired is None and len(classes) == 2:
        desired = next(c for c in classes if c != original)
    scorer = _Scorer(model, original, desired)
    pool: dict[tuple, Counterfactual] = {}
    singles = _search_singles(scorer, row, space, pool)
    beam: list[dict[str, Any]] = []
    if _diverse_count(pool) < n:
        beam = _search_pairs(scorer, row, space, pool, singles)
    if _diverse_count(pool) < n:
        _search_triples(scorer, row, space, pool, singles, beam)

    # shrink the most promising few (sorted and diverse), then choose again among the results
    shortlist = _choose(list(pool.values()), 3 * n)
    shrunk: dict[tuple, Counterfactual] = {}
    for small in _shrink_all(scorer, row, space, shortlist):
        old = shrunk.get(small.key())
        if old is None or small.distance < old.distance:
            shrunk[small.key()] = small
    chosen = _choose(list(shrunk.values()), n)
    chosen = [cf for cf in chosen if _verify(model, row, space, cf, original, desired)]
    engines = sorted({cf.source for cf in chosen})
    result = Search(original_prediction=original, desired=desired, counterfactuals=chosen,
                    engines=engines, evaluated=scorer.evaluated)
    if not chosen and diagnose and schema is not None and data is not None:
        result.binding, result.binding_example = _diagnose(model, row, schema, data, desired, original)
    result.seconds = time.perf_counter() - started
    return result


def _changes_of(row: pd.Series, space: ChangeSpace, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (space.unit(name).current(row), value) for name, value in changes.items()}


def _distance(row: pd.Series, space: ChangeSpace, changes: dict[str, Any]) -> float:
    return sum(space.unit(k).distance(space.unit(k).current(row), v) for k, v in changes.items())


def _add(pool, scorer, row, space, changesets: list[dict[str, Any]], *, source: str,
         known: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    changesets = [c for c in changesets if c]
    if not changesets:
        return
    pred, flips, score = known if known is not None else scorer.run(_frame(row, changesets, space))
    for changes, p, ok, s in zip(changesets, pred, flips, score):
        if not ok:
            continue
        cf = Counterfactual(changes=_changes_of(row, space, changes), prediction=p,
                            distance=_distance(row, space, changes), source=source,
                            probability=float(s) if scorer.has_proba else None)
        pool.setdefault(cf.key(), cf)


def _search_singles(scorer, row, space, pool):
    changesets = [{u.name: v} for u in space.units for v in u.candidates(row)]
    if not changesets:
        return {}
    pred, flips, score = scorer.run(_frame(row, changesets, space))
    _add(pool, scorer, row, space, changesets, source="search", known=(pred, flips, score))
    singles: dict[str, list[tuple[float, Any, bool]]] = {}
    for changes, ok, s in zip(changesets, flips, score):
        (name, value), = changes.items()
        singles.setdefault(name, []).append((float(s), value, bool(ok)))
    return singles


def _best_values(singles, row, space) -> dict[str, list[Any]]:
    """Per unit, the few values that move the model most towards the goal (non-flipping ones:
    flipping single changes are already minimal on their own)."""
    best: dict[str, list[Any]] = {}
    for name, scored in singles.items():
        unit = space.unit(name)
        keep = sorted((t for t in scored if not t[2]), key=lambda t: -t[0])[:PAIR_VALUES]
        if unit.kind == "numeric":
            # also the extreme values in each direction: pairs often need a big move
            ordered = sorted((t for t in scored if not t[2]), key=lambda t: t[1])
            keep += ordered[:1] + ordered[-1:]
        seen, values = set(), []
        for t in keep:
            if t[1] not in seen:
                seen.add(t[1])
                values.append(t[1])
        if values:
            best[name] = values
    return best


def _search_pairs(scorer, row, space, pool, singles) -> list[dict[str, Any]]:
    """Pairs of promising single changes; returns the best non-flipping pairs (the beam)."""
    best = _best_values(singles, row, space)
    names = list(best)
    changesets = [{a: va, b: vb} for i, a in enumerate(names) for b in names[i + 1:]
                  for va in best[a] for vb in best[b]]
    if not changesets:
        return []
    pred, flips, score = scorer.run(_frame(row, changesets, space))
    _add(pool, scorer, row, space, changesets, source="search", known=(pred, flips, score))
    order = np.argsort(-score, kind="stable")
    return [changesets[i] for i in order if not flips[i]][:BEAM]


def _search_triples(scorer, row, space, pool, singles, beam) -> None:
    best = _best_values(singles, row, space)
    changesets = []
    for pair in beam:
        for name, values in best.items():
            if name in pair:
                continue
            for v in values:
                changesets.append({**pair, name: v})
    if changesets:
        pred, flips, score = scorer.run(_frame(row, changesets, space))
        _add(pool, scorer, row, space, changesets, source="search", known=(pred, flips, score))


def _shrink_all(scorer, row, space, cfs: list[Counterfactual]) -> list[Counterfactual]:
    """Make each counterfactual smaller while it still flips, in a few batched predictions:
    drop changes that are not needed, then move each number back towards the original value
    (on readable, rounded values) as far as the prediction still flips."""
    if not cfs:
        return []
    sets = [{k: v[1] for k, v in cf.changes.items()} for cf in cfs]
    # 1. drop unneeded changes (twice: a triple can shrink to a single)
    for _ in range(2):
        trials, owner = [], []
        for i, changes in enumerate(sets):
            if len(changes) > 1:
                for name in changes:
                    trials.append({k: v for k, v in changes.items() if k != name})
                    owner.append(i)
        if not trials:
            break
        _, flips, _ = scorer.run(_frame(row, trials, space))
        for i in set(owner):
            ok = [t for t, o, f in zip(trials, owner, flips) if o == i and f]
            if ok:
                sets[i] = min(ok, key=lambda t: _distance(row, space, t))
    # 2. move numbers back towards the original value
    trials, owner = [], []
    for i, changes in enumerate(sets):
        for name, new in changes.items():
            unit = space.unit(name)
            if unit.kind != "numeric":
                continue
            old = float(unit.current(row))
            grid = {unit.nice(old + (float(new) - old) * t) for t in np.linspace(0.05, 1.0, 20)}
            for v in grid - {unit.current(row), new}:
                trials.append({**changes, name: v})
                owner.append((i, name))
    if trials:
        _, flips, _ = scorer.run(_frame(row, trials, space))
        best: dict[tuple[int, str], dict[str, Any]] = {}
        for t, (i, name), f in zip(trials, owner, flips):
            old = float(space.unit(name).current(row))
            if f and ((i, name) not in best or abs(t[name] - old) < abs(best[(i, name)][name] - old)):
                best[(i, name)] = t
        for i, changes in enumerate(sets):
            improved = [(name, t[name]) for (j, name), t in best.items() if j == i]
            if not improved:
                continue
            combined = {**changes, **dict(improved)}
            singles = [best[(i, name)] for name, _ in improved]
            options = [combined] + singles if len(improved) > 1 else singles
            _, flips, _ = scorer.run(_frame(row, options, space))
            ok = [o for o, f in zip(options, flips) if f]
            if ok:
                sets[i] = min(ok, key=lambda t: _distance(row, space, t))
    pred, flips, score = scorer.run(_frame(row, sets, space))
    out = []
    for cf, changes, p, f, s in zip(cfs, sets, pred, flips, score):
        if f:
            out.append(Counterfactual(changes=_changes_of(row, space, changes), prediction=p,
                                      distance=_distance(row, space, changes), source=cf.source,
                                      probability=float(s) if scorer.has_proba else None))
    return out


def _diverse_count(pool: dict[tuple, Counterfactual]) -> int:
    return len(_choose(list(pool.values()), 99))


def _choose(found: list[Counterfactual], n: int) -> list[Counterfactual]:
    """Sorted by number of changes, then distance; none changing a superset of the features of
    one already chosen (a superset is neither minimal nor a different idea)."""
    chosen: list[Counterfactual] = []
    for cf in sorted(found, key=lambda c: (c.n_changed, c.distance, c.key())):
        names = set(cf.changes)
        if any(set(c.changes) <= names for c in chosen):
            continue
        chosen.append(cf)
        if len(chosen) == n:
            break
    return chosen


def apply_changes(row: pd.Series, space: ChangeSpace, cf: Counterfactual) -> pd.DataFrame:
    """The row with the counterfactual's changes applied, as a one-row frame."""
    return _frame(row, [{k: v[1] for k, v in cf.changes.items()}], space)


def _verify(model, row, space, cf: Counterfactual, original, desired) -> bool:
    """The last check before a counterfactual is shown: every change is one the constraints
    allow, and the model, asked again on the changed row, predicts the class wanted."""
    if not space.allows(row, {name: new for name, (_, new) in cf.changes.items()}):
        return False
    pred = plain_value(model.predict(apply_changes(row, space, cf))[0])
    return pred == desired if desired is not None else pred != original


# --------------------------------------------------------------------------------------------
# When nothing flips: which constraint binds
def _diagnose(model, row, schema, data, desired, original) -> tuple[str, Counterfactual | None]:
    X = data
    relaxed = [
        ("immutable", ChangeSpace.build(schema, X, allow_immutable=True)),
        ("range", ChangeSpace.build(schema, X, widen=0.5)),
    ]
    for reason, space in relaxed:
        found = counterfactuals(model, row, space, desired=desired, n=1, diagnose=False)
        if found.counterfactuals:
            return reason, found.counterfactuals[0]
    return "none", None


# --------------------------------------------------------------------------------------------
# A group: the most common changes that flip its members
@dataclass
class GroupChange:
    unit: str
    how: str              # "set" | "at most" | "at least"
    value: Any
    flipped: int          # members whose prediction flips
    changed: int          # members the change actually alters
    of: int               # members considered


def group_changes(model, rows: pd.DataFrame, space: ChangeSpace, *, desired: Any, top: int = 5,
                  original: pd.Series | None = None) -> list[GroupChange]:
    """Single changes applied to every member at once ("duration at most 12 months"), ranked by
    how many members' predictions they flip to `desired`."""
    rows = rows[list(space.feature_names)]
    m = len(rows)
    plans: list[tuple[Unit, str, Any]] = []
    for unit in space.units:
        if unit.kind == "numeric":
            # thresholds strictly inside the data's range: "glucose at most 0" (the minimum, often
            # a code for missing) or "capital gain at least 99,999" (a top code) is rarely advice
            inner = [v for v in unit.values if unit.low < v < unit.high]
            if not inner and unit.distinct <= 3:   # a number with two or three values
                inner = list(unit.values)
            for v in inner:
                if unit.direction != "increase":       # "at most" lowers values
                    plans.append((unit, "at most", v))
                if unit.direction != "decrease":       # "at least" raises them
                    plans.append((unit, "at least", v))
        elif unit.kind == "flag":
            plans += [(unit, "set", v) for v in (0, 1)
                      if unit.direction is None or v == (1 if unit.direction == "increase" else 0)]
        else:
            plans += [(unit, "set", v) for v in unit.values]
    frames, altered = [], []
    for unit, how, v in plans:
        changed = rows.copy()
        if unit.kind == "numeric":
            col = pd.to_numeric(rows[unit.name])
            new = np.minimum(col, v) if how == "at most" else np.maximum(col, v)
            mask = new != col
            changed[unit.name] = new.astype(rows[unit.name].dtype) if unit.integer else new
        elif unit.kind == "group":
            mask = rows[v] != 1
            for c in unit.columns:
                changed[c] = _typed(1 if c == v else 0, unit.float_dtype)
        else:
            mask = rows[unit.name] != v
            changed[unit.name] = _typed(v, unit.float_dtype)
        frames.append(changed)
        altered.append(mask.to_numpy())
    if not frames:
        return []
    big = pd.concat(frames, ignore_index=True)
    pred = np.asarray([plain_value(p) for p in model.predict(big)], dtype=object).reshape(len(plans), m)
    out = []
    for (unit, how, v), p, mask in zip(plans, pred, altered):
        flipped = int(((p == desired) & mask).sum())
        if flipped:
            out.append(GroupChange(unit.name, how, v, flipped, int(mask.sum()), m))
    # for each feature and direction, the mildest threshold that flips at least 80% of what the
    # most extreme one flips ("duration at most 24" rather than "at most 4" for a few more flips)
    by_key: dict[tuple[str, str], list[GroupChange]] = {}
    for g in out:
        by_key.setdefault((g.unit, g.how if g.how != "set" else f"set {g.value}"), []).append(g)
    best = []
    for items in by_key.values():
        most = max(g.flipped for g in items)
        good = [g for g in items if g.flipped >= 0.8 * most]
        best.append(min(good, key=lambda g: (g.changed, -g.flipped)))
    return sorted(best, key=lambda g: (-g.flipped, g.changed, g.unit))[:top]
