"""The own counterfactual search against dice-ml, on the same rows under the same constraints.

    python bench/counterfactual_vs_dice.py [--rows 60] [--limit 1.0] [--method random]
        [--sample unfavourable|all] [--workspaces credit,compas,german,diabetes] [--seed 0]

dice-ml is not a dependency of talk2model (dropped in issue 15); this bench needs it installed
beside the project, for example in a throwaway environment:

    /work/main/.venv/bin/python -m venv /tmp/dicevenv
    echo /work/main/.venv/lib/python3.11/site-packages \
        > /tmp/dicevenv/lib/python3.11/site-packages/zz_project.pth   # the project's packages
    /tmp/dicevenv/bin/pip install dice-ml==0.12    # "already satisfied" if the project's
                                                   # environment still has it from before
    /tmp/dicevenv/bin/python bench/counterfactual_vs_dice.py

Without dice_ml it stops at once with a message saying so (exit code 0, so that `make bench`, which
runs every bench script in the project's own environment, goes on).

What is compared, per workspace:

* Rows: `--rows` rows (60) predicted the unfavourable class, a fixed-seed sample (seed 0);
  when the workspace has fewer such rows (german: 45 of 200), all of them, topped up with a
  fixed-seed sample of the favourable ones. `--sample all`: a fixed-seed sample of all rows
  instead (as bench/counterfactual_credit.py takes). Each row asks for the other class (as the
  `counterfactual` operation does for a two-class model).
* Constraints, the same for both: only features a person can change vary (the workspace's
  `ChangeSpace`: immutables and `actionable = false` stay as they are); numbers stay in the range
  the search uses (the data's range, `lowest` / `highest`, and from the current value up or down
  for a feature with a `direction`); categories take only the values the search allows (no
  missing-value code). dice-ml gets these as `features_to_vary` and `permitted_range`.
* The same number of counterfactuals (3), and the same per-row time limit (`--limit`, 1 s): each
  engine runs in its own worker process, which is killed and restarted when a row goes over the
  limit, so a timeout never blocks the next row. The two engines take turns row by row, so load
  on the shared machine falls on both alike. Setup (loading the workspace, building dice-ml's
  Data / Model / explainer, one warm-up row under the same limit) is not timed; a worker started
  again after a timeout has no warm-up.
* dice-ml's settings are those it ran with inside talk2model until issue 15: method "random",
  sample_size 400, posthoc_sparsity_algorithm "binary", random_seed 0 (`--method genetic` or
  `kdtree` uses dice-ml's defaults for the rest). Its counterfactuals are judged as it returns
  them: inside talk2model they were also rounded and shrunk by the own search before being shown,
  which is not done here. The own search runs as the `counterfactual` operation calls it, without
  the diagnosis of the binding constraint when it finds nothing.
* Every counterfactual either engine returns is re-checked here, independently of both: the raw
  estimator predicts the changed row (a real flip to the class asked for?), and each change is
  checked against the schema (an immutable or not-actionable feature changed, a number outside
  its permitted range or against its direction, a value the feature may not take).
* Distances are L1 in the search's own units: |change| / the feature's median absolute deviation
  in the workspace's data (its standard deviation when the MAD is 0) for a number, 1 for a
  category, a flag or a one-hot group. "features changed" counts a one-hot group as one.

Seconds are per row, the engine's own call timed inside its worker; a timed-out row counts at the
limit. No assertion depends on time: this prints figures and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import io
import multiprocessing as mp
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

WORKSPACES = ("credit", "compas", "german", "diabetes")
N_CFS = 3
DICE_SAMPLE = 400          # dice-ml's sample_size in talk2model until issue 15
SEED = 0
NONE_RAISED = "No counterfactuals found"   # dice-ml raises this when it finds none
NO_DICE = ("counterfactual_vs_dice: skipped, dice_ml is not installed in this Python ({python}).\n"
           "dice-ml is not a talk2model dependency; install it beside the project in a throwaway "
           "environment (see this script's docstring), e.g. `pip install dice-ml==0.12`, and run "
           "this script with that environment's python.")


# --------------------------------------------------------------------------------------------
# The worker: one engine on one workspace, one row per request
class _RawModel:
    """What dice-ml calls: predict / predict_proba on raw frames, put back into the data's types
    (dice-ml hands categories and flags back as text, integers sometimes as floats)."""

    def __init__(self, model, dtypes) -> None:
        self.model = model
        self.dtypes = dtypes
        self.classes_ = getattr(model, "classes_", None)

    def _fix(self, X):
        import pandas as pd

        X = X[list(self.dtypes.index)].copy()
        for c, dtype in self.dtypes.items():
            if pd.api.types.is_numeric_dtype(dtype):
                values = pd.to_numeric(X[c])
                X[c] = values.astype(dtype) if pd.api.types.is_float_dtype(dtype) else values.round().astype(dtype)
            elif X[c].dtype != dtype:
                X[c] = X[c].astype(dtype)
        return X

    def predict(self, X):
        return self.model.predict(self._fix(X))

    def predict_proba(self, X):
        return self.model.predict_proba(self._fix(X))


def _to_data_types(record: dict, X) -> dict:
    """A counterfactual row from dice-ml (text for categories and flags) in the data's own values."""
    import pandas as pd

    out = {}
    for c in X.columns:
        v = record[c]
        if pd.api.types.is_numeric_dtype(X[c].dtype):
            v = float(v)
            if pd.api.types.is_integer_dtype(X[c].dtype):
                v = int(round(v))
        else:
            v = next((u for u in pd.unique(X[c].dropna()) if str(u) == str(v)), v)
        out[c] = v
    return out


def _serve(conn, workspace: str, engine: str, method: str) -> None:
    """Runs in a worker process: set up, answer ("ready", seconds), then one answer per row."""
    warnings.simplefilter("ignore")
    import pandas as pd

    from talk2model.explainers.counterfactual import ChangeSpace, apply_changes, counterfactuals
    from talk2model.workspace import load_workspace
    from talk2model.workspace.schema import plain_value

    started = time.perf_counter()
    ws = load_workspace(workspace)
    X = ws.X()
    space = ChangeSpace.from_workspace(ws)
    cols = list(space.feature_names)
    if engine == "dice":
        import dice_ml

        continuous = list(space.numeric)
        frame = X[cols].copy()
        for c in cols:
            if c not in continuous:
                frame[c] = frame[c].astype(str)
        frame["__outcome__"] = [plain_value(p) for p in ws.model.predict(X[cols])]
        vary = [u.name for u in space.units if u.kind != "group"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            data = dice_ml.Data(dataframe=frame, continuous_features=continuous, outcome_name="__outcome__")
            model = dice_ml.Model(model=_RawModel(ws.model, X[cols].dtypes), backend="sklearn",
                                  model_type="classifier")
            explainer = dice_ml.Dice(data, model, method=method)

    def run(row_id, desired):
        row = X.loc[row_id, cols]
        if engine == "own":
            found = counterfactuals(ws.model, row, space, desired=desired, n=N_CFS, diagnose=False)
            return [apply_changes(row, space, cf).iloc[0].to_dict() for cf in found.counterfactuals]
        ranges = {}
        for u in space.units:
            if u.kind == "numeric":
                now = float(u.current(row))
                low = max(u.low, now) if u.direction == "increase" else u.low
                high = min(u.high, now) if u.direction == "decrease" else u.high
                ranges[u.name] = [low, high]
            elif u.kind == "categorical":
                ranges[u.name] = [str(v) for v in u.values]
            elif u.kind == "flag" and u.direction is not None:
                now = int(u.current(row))
                ranges[u.name] = [str(v) for v in (0, 1)
                                  if (v >= now if u.direction == "increase" else v <= now)]
        query = space.row_frame(row)
        for c in cols:
            if c not in continuous:
                query[c] = query[c].astype(str)
        classes = [plain_value(c) for c in ws.model.classes_]
        target = "opposite" if len(classes) == 2 else classes.index(desired)
        np.random.seed(SEED)    # dice-ml also draws from numpy's global generator
        kwargs = dict(total_CFs=N_CFS, desired_class=target, features_to_vary=vary,
                      permitted_range=ranges, verbose=False)
        if method == "random":     # only "random" takes a seed; the others draw from numpy's
            kwargs.update(sample_size=DICE_SAMPLE, posthoc_sparsity_algorithm="binary", random_seed=SEED)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = explainer.generate_counterfactuals(query, **kwargs)
        cfs = result.cf_examples_list[0].final_cfs_df
        if cfs is None or not len(cfs):
            return []
        return [_to_data_types(r, X[cols]) for r in cfs[cols].to_dict("records")]

    conn.send(("ready", time.perf_counter() - started))
    while True:
        request = conn.recv()
        if request is None:
            return
        t0 = time.perf_counter()
        try:
            records = run(*request)
            conn.send(("ok", time.perf_counter() - t0, records))
        except Exception as exc:  # dice-ml raises many kinds of errors: record, go on
            conn.send(("failed", time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"[:160]))


class Worker:
    """A worker process for one engine; killed and replaced when a row runs over the limit."""

    def __init__(self, workspace, engine, method, warm_row, limit: float) -> None:
        self.args = (workspace, engine, method)
        self.restarts = 0
        self.setup_seconds: list[float] = []
        self._start()
        # one untimed warm-up row (imports, caches), under the same limit
        self.conn.send(warm_row)
        if self.conn.poll(limit):
            self.conn.recv()
        else:
            self._replace()

    def _replace(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.restarts += 1
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, *self.args), daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(600):
            raise RuntimeError(f"the {self.args[1]} worker did not start in 600 s")
        status, seconds = self.conn.recv()
        self.setup_seconds.append(seconds)

    def ask(self, row_id, desired, limit: float):
        """("ok", seconds, rows) | ("failed", seconds, message) | ("timed out", limit, None)."""
        self.conn.send((row_id, desired))
        if self.conn.poll(limit):
            return self.conn.recv()
        self._replace()
        return ("timed out", limit, None)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


# --------------------------------------------------------------------------------------------
# The independent re-check
@dataclass
class Tally:
    seconds: list = field(default_factory=list)
    returned_rows: int = 0          # rows with at least one counterfactual returned
    valid_rows: int = 0             # rows with at least one that passes every check
    returned: int = 0
    valid: int = 0
    changed: list = field(default_factory=list)     # features changed per valid counterfactual
    best: dict = field(default_factory=dict)        # row id -> smallest L1 among its valid ones
    timed_out: int = 0
    failed: list = field(default_factory=list)
    none_found: int = 0
    raised_none: int = 0            # of which dice-ml raised its "no counterfactuals found" error
    violations: dict = field(default_factory=lambda: {
        "no flip": 0, "immutable changed": 0, "not-actionable changed": 0, "outside range": 0,
        "against direction": 0, "value not allowed": 0, "no change": 0})


def _scale(values) -> float:

    values = values.dropna().astype(float)
    mad = float(np.median(np.abs(values - np.median(values))))
    if mad > 0:
        return mad
    std = float(values.std())
    return std if std > 0 else 1.0


def check(ws, space, X, row, record, desired, tally: Tally) -> tuple[bool, int, float]:
    """(passes every check, features changed, L1 distance) of one returned counterfactual."""
    import pandas as pd

    from talk2model.workspace.schema import plain_value

    cols = list(space.feature_names)
    frame = pd.DataFrame([record], columns=cols)
    for c in cols:
        if frame[c].dtype != X[c].dtype:
            frame[c] = frame[c].astype(X[c].dtype)
    prediction = plain_value(ws.model.estimator.predict(frame[ws.model.feature_names])[0])
    bad = set()
    if prediction != desired:
        bad.add("no flip")
    group_of = {c: g for g, members in ws.schema.groups.items() for c in members}
    units = {u.name: u for u in space.units}
    changed_units: set[str] = set()
    distance = 0.0
    for c in cols:
        old, new = plain_value(row[c]), plain_value(record[c])
        numeric = pd.api.types.is_numeric_dtype(X[c].dtype)
        if (abs(float(new) - float(old)) <= 1e-9) if numeric else (str(new) == str(old)):
            continue
        name = group_of.get(c, c)
        if name not in changed_units:
            spec = ws.schema.features.get(c)
            kind = "group" if c in group_of else (spec.kind if spec is not None else "numeric")
            distance += abs(float(new) - float(old)) / _scale(X[c]) if kind == "numeric" else 1.0
        changed_units.add(name)
        if c in ws.schema.immutable:
            bad.add("immutable changed")
            continue
        if c in space.frozen or name not in units:
            bad.add("not-actionable changed")
            continue
        unit = units[name]
        if unit.kind == "numeric":
            if not unit.low - 1e-9 <= float(new) <= unit.high + 1e-9:
                bad.add("outside range")
        elif unit.kind in ("categorical", "group"):
            if unit.kind == "categorical" and new not in unit.values:
                bad.add("value not allowed")
        elif new not in (0, 1):
            bad.add("value not allowed")
        if unit.direction and unit.kind in ("numeric", "flag"):
            up = float(new) - float(old)
            if (unit.direction == "increase" and up < 0) or (unit.direction == "decrease" and up > 0):
                bad.add("against direction")
    if group_of:   # a one-hot group must keep exactly one member set
        for g, members in ws.schema.groups.items():
            members = [m for m in members if m in record]
            if members and g in changed_units and sum(int(record[m]) for m in members) != 1:
                bad.add("value not allowed")
    if not changed_units:
        bad.add("no change")
    for b in bad:
        tally.violations[b] += 1
    return not bad, len(changed_units), distance


# --------------------------------------------------------------------------------------------
def choose_rows(ws, X, n: int, seed: int, sample: str = "unfavourable"):
    """(row ids, desired class per row, unfavourable rows among them). `sample` "all": a fixed-seed
    sample of all rows instead, as bench/counterfactual_credit.py takes."""

    from talk2model.workspace.schema import plain_value

    predicted = np.asarray([plain_value(p) for p in ws.model.estimator.predict(X[ws.model.feature_names])],
                           dtype=object)
    fav = ws.schema.favourable
    classes = [plain_value(c) for c in ws.model.classes_]
    unfav = X.index[predicted != fav]
    fav_rows = X.index[predicted == fav]
    if sample == "all":
        ids = list(X.sample(min(n, len(X)), random_state=seed).index)
    elif len(unfav) >= n:
        ids = list(X.loc[unfav].sample(n, random_state=seed).index)
    else:
        ids = list(unfav) + list(X.loc[fav_rows].sample(n - len(unfav), random_state=seed).index)
    by_id = dict(zip(X.index, predicted))
    desired = {i: (fav if by_id[i] != fav else next(c for c in classes if c != fav)) for i in ids}
    return ids, desired, sum(by_id[i] != fav for i in ids)


def _q(values, q):

    return float(np.percentile(values, q)) if len(values) else float("nan")


def run_workspace(name: str, args) -> dict:

    from talk2model.explainers.counterfactual import ChangeSpace
    from talk2model.workspace import load_workspace

    warnings.simplefilter("ignore")
    ws = load_workspace(name)
    X = ws.X()
    space = ChangeSpace.from_workspace(ws)
    ids, desired, n_unfav = choose_rows(ws, X, args.rows, args.seed, args.sample)
    warm = (ids[0], desired[ids[0]])
    workers = {"own": Worker(name, "own", args.method, warm, args.limit),
               "dice": Worker(name, "dice", args.method, warm, args.limit)}
    tallies = {engine: Tally() for engine in workers}
    try:
        for row_id in ids:
            row = X.loc[row_id, list(space.feature_names)]
            for engine, worker in workers.items():
                t = tallies[engine]
                status, seconds, payload = worker.ask(row_id, desired[row_id], args.limit)
                t.seconds.append(seconds)
                if status == "timed out":
                    t.timed_out += 1
                    continue
                if status == "failed" and NONE_RAISED in payload:
                    t.none_found += 1      # dice-ml says "none found" by raising
                    t.raised_none += 1
                    continue
                if status == "failed":
                    t.failed.append(payload)
                    continue
                if not payload:
                    t.none_found += 1
                    continue
                t.returned += len(payload)
                t.returned_rows += 1
                distances = []
                for record in payload:
                    ok, k, d = check(ws, space, X, row, record, desired[row_id], t)
                    if ok:
                        t.valid += 1
                        t.changed.append(k)
                        distances.append(d)
                if distances:
                    t.valid_rows += 1
                    t.best[row_id] = min(distances)
    finally:
        for w in workers.values():
            w.close()
    out = {"name": name, "rows": len(ids), "unfavourable": n_unfav, "tallies": tallies,
           "setup": {e: w.setup_seconds[0] for e, w in workers.items()},
           "restarts": {e: w.restarts for e, w in workers.items()}}
    print_workspace(out, args)
    return out


def _fmt(x, digits=2):
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def print_workspace(out, args) -> None:

    own, dice = out["tallies"]["own"], out["tallies"]["dice"]
    both = sorted(set(own.best) & set(dice.best))
    n = out["rows"]
    if args.sample == "all":
        note = f", a fixed-seed sample of all rows ({out['unfavourable']} predicted unfavourable)"
    else:
        note = ("" if out["unfavourable"] == n else
                f" ({out['unfavourable']} predicted unfavourable: all of them; {n - out['unfavourable']} favourable)")
    print(f"\n== {out['name']}: {n} rows{note}; limit {args.limit:g} s per row; "
          f"setup (untimed) own {out['setup']['own']:.1f} s, dice {out['setup']['dice']:.1f} s")
    print(f"  {'':44s} {'own search':>12s} {'dice-ml':>12s}")

    def line(label, a, b):
        print(f"  {label:44s} {a:>12s} {b:>12s}")

    line("rows with >= 1 counterfactual returned", f"{own.returned_rows}/{n}", f"{dice.returned_rows}/{n}")
    line("rows with >= 1 passing every re-check", f"{own.valid_rows}/{n}", f"{dice.valid_rows}/{n}")
    line("counterfactuals per row (returned)", _fmt(own.returned / n), _fmt(dice.returned / n))
    line("seconds per row: median", _fmt(np.median(own.seconds), 3), _fmt(np.median(dice.seconds), 3))
    line("seconds per row: p90", _fmt(_q(own.seconds, 90), 3), _fmt(_q(dice.seconds, 90), 3))
    line("seconds per row: max", _fmt(max(own.seconds), 3), _fmt(max(dice.seconds), 3))
    line("features changed per valid counterfactual", _fmt(np.mean(own.changed) if own.changed else None),
         _fmt(np.mean(dice.changed) if dice.changed else None))
    line(f"best L1 (MAD units), mean on {len(both)} rows both found",
         _fmt(np.mean([own.best[i] for i in both]) if both else None, 3),
         _fmt(np.mean([dice.best[i] for i in both]) if both else None, 3))
    line("best L1, median on the same rows",
         _fmt(np.median([own.best[i] for i in both]) if both else None, 3),
         _fmt(np.median([dice.best[i] for i in both]) if both else None, 3))
    line("rows timed out / failed / none found",
         f"{own.timed_out}/{len(own.failed)}/{own.none_found}", f"{dice.timed_out}/{len(dice.failed)}/{dice.none_found}")
    line("counterfactuals failing a re-check", f"{own.returned - own.valid}", f"{dice.returned - dice.valid}")
    for kind in own.violations:
        if own.violations[kind] or dice.violations[kind]:
            line(f"  {kind}", str(own.violations[kind]), str(dice.violations[kind]))
    med_own, med_dice = np.median(own.seconds), np.median(dice.seconds)
    print(f"  ratios dice / own: median seconds {med_dice / med_own:.1f}x, p90 {_q(dice.seconds, 90) / _q(own.seconds, 90):.1f}x"
          + (f", best L1 (mean) {np.mean([dice.best[i] for i in both]) / np.mean([own.best[i] for i in both]):.2f}x"
             if both and np.mean([own.best[i] for i in both]) > 0 else "")
          + (f", features changed {np.mean(dice.changed) / np.mean(own.changed):.2f}x"
             if dice.changed and own.changed else ""))
    if dice.raised_none:
        print(f"  (dice-ml raised its 'no counterfactuals found' error on {dice.raised_none} rows: "
              "counted as none found)")
    if dice.failed:
        print(f"  dice-ml failures, first: {dice.failed[0]}")
    if own.failed:
        print(f"  own search failures, first: {own.failed[0]}")


def summary(results, args) -> None:

    print("\nSummary (markdown), own search / dice-ml:\n")
    names = [r["name"] for r in results]
    print("| | " + " | ".join(f"{r['name']} ({r['rows']} rows)" for r in results) + " |")
    print("|---|" + "---|" * len(names))

    def row(label, fn):
        print(f"| {label} | " + " | ".join(fn(r["tallies"]["own"], r["tallies"]["dice"], r) for r in results) + " |")

    def both(o, d):
        return sorted(set(o.best) & set(d.best))

    row("rows with a counterfactual passing the re-check", lambda o, d, r: f"{o.valid_rows} / {d.valid_rows}")
    row("seconds per row, median", lambda o, d, r: f"{np.median(o.seconds):.2f} / {np.median(d.seconds):.2f}")
    row("seconds per row, p90", lambda o, d, r: f"{_q(o.seconds, 90):.2f} / {_q(d.seconds, 90):.2f}")
    row("median dice / own", lambda o, d, r: f"{np.median(d.seconds) / np.median(o.seconds):.1f}x")
    row("counterfactuals per row", lambda o, d, r: f"{o.returned / r['rows']:.2f} / {d.returned / r['rows']:.2f}")
    row("features changed per counterfactual", lambda o, d, r: (
        f"{np.mean(o.changed):.2f} / {np.mean(d.changed):.2f}" if o.changed and d.changed else "n/a"))
    row("best L1 (MAD units), mean over rows both found", lambda o, d, r: (
        f"{np.mean([o.best[i] for i in both(o, d)]):.2f} / {np.mean([d.best[i] for i in both(o, d)]):.2f}"
        if both(o, d) else "n/a"))
    row("rows timed out (dice-ml)", lambda o, d, r: f"{d.timed_out}")
    row("rows failed / none found (dice-ml)", lambda o, d, r: f"{len(d.failed)} / {d.none_found}")
    row("rows timed out / none found (own)", lambda o, d, r: f"{o.timed_out} / {o.none_found}")
    row("counterfactuals failing the re-check", lambda o, d, r: f"{o.returned - o.valid} / {d.returned - d.valid}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--limit", type=float, default=1.0, help="seconds per row and engine")
    parser.add_argument("--method", default="random", help="dice-ml's method (random, genetic, kdtree)")
    parser.add_argument("--workspaces", default=",".join(WORKSPACES))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sample", choices=("unfavourable", "all"), default="unfavourable",
                        help="rows predicted the unfavourable class (default), or any rows")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("dice_ml") is None:
        print(NO_DICE.format(python=sys.executable), file=sys.stderr)
        return 0      # not an error: `make bench` runs every bench script in the project's .venv
    import importlib.metadata as md

    import pandas
    import sklearn

    load = os.getloadavg()
    print(f"counterfactual_vs_dice: {datetime.date.today().isoformat()}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"  python {platform.python_version()}, dice-ml {md.version('dice-ml')}, scikit-learn "
          f"{sklearn.__version__}, pandas {pandas.__version__}, numpy {np.__version__}")
    settings = (f", sample_size {DICE_SAMPLE}, posthoc_sparsity_algorithm 'binary'"
                if args.method == "random" else "")
    print(f"  dice-ml method {args.method!r}{settings}, numpy seed {SEED}; {N_CFS} counterfactuals "
          f"a row; rows: {args.sample}, seed {args.seed}")
    started = time.perf_counter()
    results = [run_workspace(name, args) for name in args.workspaces.split(",")]
    summary(results, args)
    load = os.getloadavg()
    print(f"\n{time.perf_counter() - started:.0f} s in all; load average at the end "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
