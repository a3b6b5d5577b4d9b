"""`talk2model precompute -w WS [--db URL]`: fill the attribution cache ahead of time.

Rows already cached are skipped, so running it again is cheap and an interrupted run resumes.
Start-up never waits for this: explanations are computed on demand when the cache is empty.
"""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from talk2model.explainers.attributions import Explainer
from talk2model.store.cache import AttributionCache

BATCH = 4096


def precompute(workspace, cache: AttributionCache, *, method: str = "auto", batch: int = BATCH,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="talk2model precompute",
                                     description="Fill the attribution cache for a workspace.")
    parser.add_argument("-w", "--workspace", default="credit", help="built-in name or path to a TOML file")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: TALK2MODEL_DB or var/talk2model.sqlite)")
    parser.add_argument("--method", default="auto", choices=("auto", "shap", "lime"),
                        help="explanation method (default: SHAP chosen for the model)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    from talk2model.errors import Talk2ModelError
    from talk2model.workspace import load_workspace

    try:
        workspace = load_workspace(args.workspace)
    except Talk2ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.method == "lime" and len(workspace.data) > 1000:
        print("error: LIME takes about a second per row; precompute it only for small workspaces",
              file=sys.stderr)
        return 2
    cache = AttributionCache(args.db)
    figures = precompute(workspace, cache, method=args.method, progress=not args.quiet)
    rate = figures["rows_per_second"]
    print(f"{figures['workspace']}: {figures['computed']:,} rows computed, {figures['already_cached']:,} "
          f"already cached, in {figures['seconds']:.1f} s"
          + (f" ({rate:,.0f} rows/s)" if rate else "") + f" [{figures['method']}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
