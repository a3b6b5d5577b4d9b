"""The attribution cache filled by the audit's path (`talk2model precompute -w WS [--scheduler
ADDRESS] [--db URL]`, whose command is `cli.precompute_main`).

The rows are explained on Dask exactly as `talk2model audit` explains them (the same task per
partition, the same Parquet output), then the Parquet dataset is read back one partition at a
time into the attribution cache it is given (the store's, passed in by the command: nothing here
imports the store), under the key a question looks up (model, data, method, feature layout). Later answers about those rows come from the cache. Rows already
cached are kept (an insert that skips existing keys), so running it again is harmless.
`--in-process` runs the old single-process loop instead (`explainers.precompute`).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from talk2model.explainers.attributions import Explainer
from talk2model.explainers.cached import AttributionStore, Block


def fill_cache(workspace, out: str | Path, cache: AttributionStore, *, method: str = "auto") -> int:
    """Put the attributions of an audit's Parquet output into the cache; returns the rows stored."""
    import pyarrow.parquet as pq

    ex = Explainer(workspace)
    name = ex.method_for(method)
    key = ex.key(name)
    columns = [f"attribution_{f}" for f in ex.encoding.features]
    stored = 0
    for path in sorted(Path(out).glob("part.*.parquet")):
        table = pq.read_table(path, columns=["id", "base", "output", "explained"] + columns).to_pandas()
        if table.index.name != "id":
            table = table.set_index("id")
        if not len(table):
            continue
        block = Block([str(i) for i in table.index], table[columns].to_numpy(dtype=float),
                      table["base"].to_numpy(dtype=float), table["output"].to_numpy(dtype=float),
                      [None if v is None or v != v else str(v) for v in table["explained"].astype(object)])
        cache.put(key, block, wait=True)
        stored += len(block)
    return stored


def precompute(workspace, client, cache: AttributionStore, *, out: str | Path | None = None,
               progress: bool = False, partition_rows: int | None = None) -> dict:
    """Audit every row on `client` (no fairness report) and fill the cache from the output."""
    from talk2model.scale.audit import run_audit
    from talk2model.scale.source import PARTITION_ROWS

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="talk2model-precompute-") as tmp:
        folder = Path(out) if out else Path(tmp) / "audit"
        summary = run_audit(workspace, client, folder, progress=progress, fairness=False,
                            partition_rows=partition_rows or PARTITION_ROWS)
        stored = fill_cache(workspace, folder, cache)
    seconds = time.perf_counter() - started
    return {"workspace": workspace.name, "method": summary.method, "rows": summary.selected,
            "stored": stored, "seconds": seconds, "audit_seconds": summary.seconds,
            "rows_per_second": summary.selected / seconds if seconds > 0 else None}

