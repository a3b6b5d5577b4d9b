"""Fairness over every row of data bigger than memory, from an audit's output.

A question about fairness on a workspace that holds a sample ("is the model fair to women?")
is answered over all rows when `talk2model audit` has been run on the same model and data without
`--where`: its Parquet output holds each row's prediction, label, whether it counts for error
rates, and the sensitive attributes, so the (group, truth, prediction, evaluated) cells are
counted partition by partition with Dask (on this process's threads) and `assess_cells` gives
exactly the figures `assess` would give on all the rows. The output is found at `[data] audit`
(a folder, relative to the workspace file) or `audit/<workspace name>` (the command's default).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from talk2model.explainers import fairness as fx

MARKER = "_audit.json"


def audit_output(workspace) -> Path | None:
    """The folder of an audit of every row of this workspace's data with this model, if any."""
    spec = workspace.data_spec or {}
    candidates = []
    if spec.get("audit"):
        candidates.append(Path(spec["_base"]) / spec["audit"])
    candidates.append(Path("audit") / workspace.name)
    for folder in candidates:
        marker = folder / MARKER
        if not marker.is_file():
            continue
        try:
            summary = json.loads(marker.read_text())
        except (OSError, ValueError):
            continue
        if summary.get("model_fingerprint") == workspace.model_fingerprint and summary.get("where") is None \
                and summary.get("selected") == workspace.rows_in_source:
            return folder
    return None


def fairness_over_all(workspace, attributes: list[str], bands: tuple | None = None,
                      *, scheduler: str = "threads") -> tuple[fx.FairnessReport, dict, int, int] | None:
    """(report, cut points, rows, evaluated rows) over every row, from the audit's output; None
    when there is no such audit or it lacks one of the attributes."""
    import dask
    import dask.dataframe as dd

    from talk2model.scale.audit import CELL_TYPES, count_cells, grouping
    from talk2model.scale.source import Source

    folder = audit_output(workspace)
    if folder is None:
        return None
    paths = tuple(sorted(str(p) for p in folder.glob("part.*.parquet")))
    written = dd.read_parquet(list(paths))
    if any(a not in written.columns for a in attributes):
        return None
    schema = workspace.schema
    favourable = json.loads((folder / MARKER).read_text()).get("favourable", schema.favourable)
    with dask.config.set(scheduler=scheduler):
        edges, categories = grouping(workspace, attributes, Source("parquet", paths=paths))
        if bands:
            edges[attributes[0]] = tuple(sorted(bands))
            categories.pop(attributes[0], None)
        columns = ["prediction", "label", "evaluated"] + list(dict.fromkeys(attributes))
        meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in CELL_TYPES.items()})
        cells = dd.read_parquet(list(paths), columns=columns).map_partitions(
            count_cells, [attributes], schema, edges, categories, favourable, meta=meta)
        summed = cells.groupby(["set", "g", "y", "p", "ev"]).n.sum().compute().reset_index()
    summed = summed.drop(columns="set").astype({"g": object})
    if summed["g"].nunique() < 2:
        return None
    report = fx.assess_cells(summed, favourable=favourable,
                             order=fx.group_order(attributes, schema, edges, categories))
    rows = int(summed["n"].sum())
    evaluated = int(summed.loc[summed["ev"], "n"].sum())
    return report, edges, rows, evaluated


def confusion_over_all(workspace, positive, *, scheduler: str = "threads") -> tuple[int, int, int, int] | None:
    """(TP, FN, FP, TN) for class `positive` over every evaluated row (label known, not a
    training row), from the audit's output; None when there is no such audit."""
    import dask
    import dask.dataframe as dd

    folder = audit_output(workspace)
    if folder is None:
        return None
    paths = sorted(str(p) for p in folder.glob("part.*.parquet"))

    def cells(part: pd.DataFrame) -> tuple[int, int, int, int]:
        part = part[part["evaluated"].astype(bool)]
        y, p = part["label"].to_numpy() == positive, part["prediction"].to_numpy() == positive
        return (int((y & p).sum()), int((y & ~p).sum()), int((~y & p).sum()), int((~y & ~p).sum()))

    written = dd.read_parquet(paths, columns=["prediction", "label", "evaluated"])
    parts = dask.compute(*[dask.delayed(cells)(p) for p in written.to_delayed()], scheduler=scheduler)
    return tuple(int(sum(c[k] for c in parts)) for k in range(4))
