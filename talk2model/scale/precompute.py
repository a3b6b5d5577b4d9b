"""`talk2model precompute -w WS [--scheduler ADDRESS] [--db URL]`: the attribution cache filled
by the audit's path.

The rows are explained on Dask exactly as `talk2model audit` explains them (the same task per
partition, the same Parquet output), then the Parquet dataset is read back one partition at a
time into the store's attribution cache, under the key a question looks up (model, data,
method, feature layout). Later answers about those rows come from the cache. Rows already
cached are kept (an insert that skips existing keys), so running it again is harmless.
`--in-process` runs the old single-process loop instead (`explainers.precompute`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from talk2model.errors import Talk2ModelError
from talk2model.explainers.attributions import Explainer
from talk2model.store.cache import AttributionCache, Block


def fill_cache(workspace, out: str | Path, cache: AttributionCache, *, method: str = "auto") -> int:
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


def precompute(workspace, client, cache: AttributionCache, *, out: str | Path | None = None,
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


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    parser = argparse.ArgumentParser(prog="talk2model precompute",
                                     description="Fill the attribution cache for a workspace, on Dask.")
    parser.add_argument("-w", "--workspace", default="credit", help="built-in name or path to a TOML file")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: TALK2MODEL_DB or var/talk2model.sqlite)")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (default: a LocalCluster)")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    parser.add_argument("--out", default=None, help="keep the Parquet output in this folder (default: a temporary one)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    from talk2model.scale.cluster import dashboard_link, open_client
    from talk2model.workspace import load_workspace

    try:
        workspace = load_workspace(args.workspace)
        with open_client(args.scheduler, n_workers=args.workers) as client:
            link = dashboard_link(client)
            if link and not args.quiet:
                print(f"dashboard: {link}", file=sys.stderr)
            figures = precompute(workspace, client, AttributionCache(args.db), out=args.out,
                                 progress=not args.quiet)
    except Talk2ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rate = figures["rows_per_second"]
    print(f"{figures['workspace']}: {figures['stored']:,} rows explained on Dask and stored in the cache "
          f"in {figures['seconds']:.1f} s" + (f" ({rate:,.0f} rows/s)" if rate else "") + f" [{figures['method']}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
