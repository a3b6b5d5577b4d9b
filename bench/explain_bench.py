"""Explanation timings: one row cold and cached, importance on adult, precompute throughput, and
the overhead of talk2model's explainer over calling shap directly. Prints figures; asserts nothing.

    .venv/bin/python bench/explain_bench.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore")

import shap  # noqa: E402

from talk2model import Assistant  # noqa: E402
from talk2model.explainers.attributions import Explainer, _EXPLAINERS  # noqa: E402
from talk2model.explainers.precompute import precompute  # noqa: E402
from talk2model.store.cache import AttributionCache  # noqa: E402
from talk2model.workspace import load_workspace  # noqa: E402

GOALS = {"cached": 50.0, "precompute": 60.0, "overhead": 1.3}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="t2m-explain-bench-"))
    url = f"sqlite:///{folder / 'cache.sqlite'}"
    cache = AttributionCache(url)
    print(f"explain bench (cache: {url})")

    # 1. one row, cold then cached, through the whole Assistant path
    for name, row in (("credit", 12), ("diabetes-mlp", 51), ("adult", 12)):
        ws = load_workspace(name)
        ws.predictions()                                  # the workspace's own start-up cost
        _EXPLAINERS.pop(ws, None)
        query = f"filter id == {row} then explain auto"
        start = time.perf_counter()
        answer = Assistant(ws, cache=cache).run(query)
        cold = time.perf_counter() - start
        assert answer.error is None, answer.text
        warm = best(lambda: Assistant(ws, cache=cache).run(query), repeat=7)
        cache.flush()                                     # flush the writer, then a "restart":
        _EXPLAINERS.pop(ws, None)                         # memory gone, database kept
        start = time.perf_counter()
        answer = Assistant(ws, cache=cache).run(query)
        from_db = time.perf_counter() - start
        assert answer.to_json()["result"]["from_cache"] == 1
        print(f"  explain one row [{name}]: cold {ms(cold)} (builds the explainer), "
              f"cached in memory {ms(warm)}, cached in the database after a restart {ms(from_db)} "
              f"(goal < {GOALS['cached']:.0f} ms)")

    # 2. importance on adult (48,842 rows): nothing cached, then cached
    adult = load_workspace("adult")
    _EXPLAINERS.pop(adult, None)
    cache = AttributionCache(f"sqlite:///{folder / 'importance.sqlite'}")
    start = time.perf_counter()
    answer = Assistant(adult, cache=cache).run("importance")
    cold = time.perf_counter() - start
    assert answer.error is None, answer.text
    warm = best(lambda: Assistant(adult, cache=cache).run("importance"), repeat=3)
    print(f"  importance on adult ({len(adult.data):,} rows): uncached {cold:.2f} s, cached {ms(warm)}")

    # 3. precompute throughput on all of adult, into an empty database
    cache = AttributionCache(f"sqlite:///{folder / 'precompute.sqlite'}")
    figures = precompute(adult, cache, progress=False)
    print(f"  precompute adult: {figures['computed']:,} rows in {figures['seconds']:.1f} s = "
          f"{figures['rows_per_second']:,.0f} rows/s, written to SQLite (goal < {GOALS['precompute']:.0f} s)")

    # 4. overhead against calling shap directly on the same rows (no cache on either side)
    for name, rows in (("adult", 5000), ("credit", 1000), ("compas", 926), ("diabetes-mlp", 308)):
        ws = load_workspace(name)
        frame = ws.data.iloc[:rows]
        ex = Explainer(ws)
        method = ex.method_for("auto")
        ex.compute(frame.iloc[:5], method)             # build the back-end outside the timing
        backend = ex.backend
        est = ws.model.estimator
        pre, final = (est[:-1], est[-1]) if hasattr(est, "steps") else (None, est)

        def direct():
            Z = pre.transform(frame[ws.model.feature_names]) if pre is not None else frame[ws.model.feature_names].to_numpy(float)
            if method == "shap-deep":
                import torch
                return backend.explainer.shap_values(torch.as_tensor(Z, dtype=torch.float32), check_additivity=False)
            return backend.explainer.shap_values(Z)

        ours = best(lambda: ex.compute(frame, method), repeat=3)
        theirs = best(direct, repeat=3)
        print(f"  overhead [{name}, {method}, {len(frame):,} rows]: talk2model {ms(ours)} vs shap directly "
              f"{ms(theirs)} = {ours / theirs:.2f}x (goal < {GOALS['overhead']}x)")
    cache.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
