"""Counterfactuals per row on the credit workspace (or another): seconds per row (median, p95;
goal: p95 < 2 s), how often a valid counterfactual is found, how many features the alternatives
change, and whether any breaks the schema's constraints.

    .venv/bin/python bench/counterfactual_credit.py [rows] [workspace]   # default 100 rows of credit

Each row goes through the whole turn (Assistant.run: engine, search, verification,
words), like a person asking "what would applicant N need to change?". Every alternative shown is
re-checked here with the raw estimator, and against the schema: a feature that is not actionable,
a missing-value code ("not_known"), or a move against a feature's direction is a violation
(changes outside the person's control, shown apart, may touch non-actionable features but must
keep the other two).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402

from talk2model import Assistant  # noqa: E402
from talk2model.workspace import load_workspace  # noqa: E402


def violations(ws, cf: dict, *, actionable_only: bool) -> int:
    bad = 0
    for feature, change in cf["changes"].items():
        spec = ws.schema.features[feature]
        if (actionable_only and not spec.actionable) or change["to"] in spec.missing_values:
            bad += 1
        elif spec.direction == "increase" and not change["to"] > change["from"]:
            bad += 1
        elif spec.direction == "decrease" and not change["to"] < change["from"]:
            bad += 1
    return bad


def main(n_rows: int = 100, name: str = "credit") -> None:
    ws = load_workspace(name)
    ids = ws.data.sample(n_rows, random_state=0).index if n_rows < len(ws.data) else ws.data.index
    bot = Assistant(ws)
    bot.run(f"filter id == {ids[0]} then counterfactual")      # warm-up: imports, caches
    seconds, found, changed, shown, engines, invalid = [], 0, [], [], Counter(), 0
    broken, outside_rows, bound = 0, 0, Counter()
    for row_id in ids:
        started = time.perf_counter()
        answer = bot.run(f"filter id == {row_id} then counterfactual")
        seconds.append(time.perf_counter() - started)
        result = answer.result
        cfs = result["counterfactuals"]
        row = ws.data.loc[[row_id]]
        original = ws.model.estimator.predict(row[ws.model.feature_names])[0]
        for cf in cfs:
            new = row.copy()
            for feature, change in cf["changes"].items():
                new[feature] = change["to"]
            if ws.model.estimator.predict(new[ws.model.feature_names])[0] == original:
                invalid += 1
            changed.append(cf["n_changed"])
        found += bool(cfs)
        shown.append(len(cfs))
        broken += sum(violations(ws, cf, actionable_only=True) for cf in cfs)
        broken += sum(violations(ws, cf, actionable_only=False) for cf in result["outside_control"])
        outside_rows += bool(result["outside_control"])
        if not cfs:
            bound[result["binding"]] += 1
        engines.update(e for e in result["engines"])
    s = np.array(seconds)
    print(f"counterfactuals on {name}: {len(ids)} rows (fixed random sample, seed 0)")
    print(f"  seconds per row: median {np.median(s):.2f}, p95 {np.percentile(s, 95):.2f}, "
          f"max {s.max():.2f}   (goal: p95 < 2 s)")
    print(f"  rows with a valid counterfactual: {found}/{len(ids)} ({100 * found / len(ids):.0f}%)")
    print(f"  alternatives shown per row: mean {np.mean(shown):.2f}; "
          f"features changed per alternative: mean {np.mean(changed):.2f}")
    print(f"  alternatives that failed the independent re-check: {invalid}")
    print(f"  changes breaking actionable / missing_values / direction: {broken}")
    print(f"  rows with changes outside the person's control shown apart: {outside_rows}; "
          f"rows with none a person can make, by binding constraint: {dict(bound)}")
    print(f"  rows whose shown alternatives came from: {dict(engines)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, sys.argv[2] if len(sys.argv) > 2 else "credit")
