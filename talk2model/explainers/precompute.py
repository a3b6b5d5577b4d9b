"""Fill an attribution cache ahead of time (`talk2model precompute -w WS [--db URL]`, whose
command line is `cli.precompute_main`: it opens the store's cache and passes it here).

Rows already cached are skipped, so running it again is cheap and an interrupted run resumes.
Start-up never waits for this: explanations are computed on demand when the cache is empty.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from talk2model.explainers.attributions import Explainer
from talk2model.explainers.cached import AttributionStore

BATCH = 4096


def precompute(workspace, cache: AttributionStore, *, method: str = "auto", batch: int = BATCH,
               progress: bool = True) -> dict:
    """Compute and store the attributions of every row not yet cached; returns the figures."""
    ex = Explainer(workspace)
    name = ex.method_for(method)
    key = ex.key(name)
    started = time.perf_counter()
    have = set(cache.get(key, [str(i) for i in workspace.data.index]).keys())
    todo = workspace.data[[str(i) not in have for i in workspace.data.index]]
    computed = 0
    with tqdm(total=len(todo), unit="row", desc=f"{workspace.name} {name}", disable=not progress,
              file=sys.stderr) as bar:
        for start in range(0, len(todo), batch):
            part = todo.iloc[start:start + batch]
            cache.put(key, ex.compute(part, name), wait=True)
            computed += len(part)
            bar.update(len(part))
    seconds = time.perf_counter() - started
    return {"workspace": workspace.name, "method": name, "rows": len(workspace.data),
            "already_cached": len(have), "computed": computed, "seconds": seconds,
            "rows_per_second": computed / seconds if seconds > 0 and computed else None}
