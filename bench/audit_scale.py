"""How `talk2model audit` scales: rows/s on 1 and 2 Dask workers against a plain single-process
loop, and peak memory per worker as the table grows.

    .venv/bin/python bench/audit_scale.py                      # 0.5M, 1M, 2M rows (about 5 minutes on 2 cores)
    .venv/bin/python bench/audit_scale.py --sizes 20000 40000  # a quick look

The table is adult resampled with noise (talk2model.scale.synthetic, seed 0), written as a Parquet
dataset of 100,000-row files under /tmp/talk2model-bench (never committed); the smaller sizes are
the first files of the same dataset. The workspace reads it as a dataset bigger than memory (it
holds a 20,000-row sample; the audit reads every row from the files, partition by partition).

For each size: a fresh LocalCluster of 2 single-threaded worker processes runs the whole audit
(attributions, reasons, the Parquet output and the fairness report), timed from when the workers
are up with their libraries imported; peak memory per worker is
each worker process's peak resident set (getrusage) at the end. Then 1 worker on the smallest
size, and the plain loop: one process reading the same rows with pandas and running the same
explainer 4,096 rows at a time (what `precompute --in-process` does), without writing or fairness.
Prints a table and writes /tmp/talk2model-bench/audit_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/talk2model-bench")
FILE_ROWS = 100_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: kilobytes


def write_dataset(total: int) -> Path:
    """The generated table as Parquet files of FILE_ROWS rows (kept between runs)."""
    import pandas as pd

    from talk2model.scale.synthetic import resample
    from talk2model.workspace import load_workspace

    folder = WORK / f"adult-{total}"
    done = folder / "_complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    adult = load_workspace("adult")
    frame = resample(adult.data, total, seed=0, keep=(adult.schema.target,))
    for k, start in enumerate(range(0, total, FILE_ROWS)):
        part = frame.iloc[start:start + FILE_ROWS]
        part.to_parquet(folder / f"part-{k:04d}.parquet", row_group_size=20_000)
    done.write_text(str(total))
    del frame
    return folder


def subset(folder: Path, rows: int) -> Path:
    """The first files of the dataset, as a dataset of their own (hard links)."""
    target = WORK / f"first-{rows}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    files = sorted(folder.glob("part-*.parquet"))[: max(1, rows // FILE_ROWS)]
    for f in files:
        os.link(f, target / f.name)
    return target


def workspace_file(folder: Path) -> Path:
    model = (ROOT / "models" / "adult.skops").resolve()
    schema = (ROOT / "workspaces" / "adult.toml").read_text().split("[schema]", 1)[1]
    toml = folder.with_suffix(".toml")
    toml.write_text(f'name = "adult-bench"\n[data]\npath = "{folder.name}"\nmemory_rows = 20000\n'
                    f'sample_rows = 20000\n[model]\npath = "{model}"\ntrained_on_these_rows = false\n'
                    f'[schema]{schema}')
    return toml


def warm() -> None:
    """What a worker imports on its first task (about 3 s), done before timing: a cluster's
    workers are running before a job arrives."""
    import shap  # noqa: F401

    import talk2model.scale.audit  # noqa: F401


def audit(folder: Path, workers: int, partition_rows: int) -> dict:
    from talk2model.scale import open_client
    from talk2model.scale.audit import run_audit
    from talk2model.workspace import load_workspace

    ws = load_workspace(workspace_file(folder), cache=False)
    out = WORK / f"out-{folder.name}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    with open_client(n_workers=workers, processes=True, dashboard=False) as client:
        client.run(warm)           # workers are up, with the libraries imported, before the clock starts
        started = time.perf_counter()
        summary = run_audit(ws, client, out, partition_rows=partition_rows)
        seconds = time.perf_counter() - started
        peaks = sorted(client.run(peak_rss_mb).values())
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": summary.selected, "workers": workers, "seconds": round(seconds, 2),
            "rows_per_second": round(summary.selected / seconds), "partitions": summary.partitions,
            "peak_mb_per_worker": [round(p) for p in peaks],
            "phases": {k: round(v, 1) for k, v in summary.phases.items()},
            "explain_rows_per_second": round(summary.selected / summary.phases["explain"]),
            "dp_ratio_sex": summary.fairness["sex"].demographic_parity_ratio}


def plain_loop(folder: str) -> dict:
    """One process, no Dask: read the rows, predict, explain 4,096 at a time."""
    import pandas as pd

    from talk2model.explainers.attributions import Explainer
    from talk2model.workspace import load_workspace

    adult = load_workspace("adult")
    frame = pd.concat([pd.read_parquet(f) for f in sorted(Path(folder).glob("part-*.parquet"))])
    ex = Explainer(adult)
    name = ex.method_for("auto")
    started = time.perf_counter()
    for start in range(0, len(frame), 4096):
        part = frame.iloc[start:start + 4096]
        adult.model.predict_proba(adult.X(part))
        ex.compute(part, name)
    seconds = time.perf_counter() - started
    return {"rows": len(frame), "workers": "plain loop", "seconds": round(seconds, 2),
            "rows_per_second": round(len(frame) / seconds), "peak_mb": round(peak_rss_mb())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 1_000_000, 2_000_000])
    parser.add_argument("--partition-rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    global FILE_ROWS
    FILE_ROWS = min(FILE_ROWS, sizes[0])
    WORK.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    full = write_dataset(sizes[-1])
    print(f"generated {sizes[-1]:,} rows as Parquet in {time.perf_counter() - t:.0f} s ({full})", flush=True)
    results = []
    for rows in sizes:
        folder = full if rows == sizes[-1] else subset(full, rows)
        results.append(audit(folder, 2, args.partition_rows))
        print(json.dumps(results[-1]), flush=True)
    small = full if sizes[0] == sizes[-1] else subset(full, sizes[0])
    results.append(audit(small, 1, args.partition_rows))
    print(json.dumps(results[-1]), flush=True)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        results.append(pool.submit(plain_loop, str(small)).result())
    print(json.dumps(results[-1]), flush=True)

    two = next(r for r in results if r["workers"] == 2 and r["rows"] == sizes[0])
    one = next(r for r in results if r["workers"] == 1)
    plain = results[-1]
    print()
    print(f"{'rows':>10} {'workers':>10} {'seconds':>8} {'rows/s':>8} {'explain rows/s':>15}  peak MB per worker")
    for r in results:
        peak = r.get("peak_mb_per_worker", [r.get("peak_mb")])
        phase = r.get("explain_rows_per_second", r["rows_per_second"])
        print(f"{r['rows']:>10,} {str(r['workers']):>10} {r['seconds']:>8.1f} {r['rows_per_second']:>8,} "
              f"{phase:>15,}  {peak}")
    print(f"\nscaling efficiency, 1 -> 2 workers at {sizes[0]:,} rows: "
          f"{two['rows_per_second'] / (2 * one['rows_per_second']):.0%} end to end, "
          f"{two['explain_rows_per_second'] / (2 * one['explain_rows_per_second']):.0%} in the explain phase")
    print(f"2 workers against the plain loop: {two['rows_per_second'] / plain['rows_per_second']:.2f}x; "
          f"1 worker against it: {one['rows_per_second'] / plain['rows_per_second']:.2f}x")
    (WORK / "audit_scale.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
