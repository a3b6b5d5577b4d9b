"""`talk2model audit`: every decision of a model explained and the whole of them checked for fairness.

    talk2model audit -w adult --out audit/adult [--scheduler tcp://host:8786] [--where "age > 50"]
                     [--counterfactuals] [--db URL] [--quiet]

Per row (or per row meeting `--where`, a condition of the query language) one row of a
partitioned Parquet dataset (`OUT/part.N.parquet`, index `id` = the row id):

| column | what |
|---|---|
| `prediction`, `probability` | the model's decision and its probability of the favourable class |
| `label`, `evaluated` | the true outcome (when the data has it); whether the row counts for error rates (not a training row, label known) |
| the sensitive attributes | as in the data, so the fairness report can be recomputed from the output alone |
| `explained`, `base`, `output` | the class the attributions explain, the explainer's base value and the model's output in its space (log-odds for boosted trees) |
| `attribution_<feature>` | each feature's attribution (the workspace's own explainer: tree SHAP, linear SHAP, ...), one-hot columns summed to the user's feature |
| `reason_1` … `reason_4` | the principal reasons: the features that pushed hardest toward the decision, strongest first (at most four, as Regulation B asks of an adverse-action notice; empty when fewer pushed that way) |
| `counterfactual` | with `--counterfactuals`, for rows not given the favourable outcome: the smallest changes the person could make that flip it (JSON), from the same search as a question's |

Then the fairness report over every selected row — for each sensitive attribute and each pair of
them: per group size, selection rate, TPR, FPR, accuracy with Wilson intervals, and the
demographic-parity difference and ratio and equalized-odds difference with their bootstrap
intervals — from the (group, truth, prediction, evaluated) cells counted per partition and added
up by Dask: the figures of `explainers.fairness.assess` on all the rows, exactly. A summary goes
to `OUT/_audit.json`, and the command (`cli.audit_main`, above the store) records it in the store's
`audits` table.

Each partition is written by one task to its own file, so a task that is run again (its worker
died) rewrites that file: every row is in the output once.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import Talk2ModelError
from talk2model.explainers import fairness as fx
from talk2model.explainers.attributions import Explainer
from talk2model.scale.source import PARTITION_ROWS, Source, dask_frame, source_of
from talk2model.scale.where import parse_where, where_mask
from talk2model.workspace import Workspace
from talk2model.workspace.schema import plain_value

MAX_REASONS = 4
MARKER = "_audit.json"
ERR_OUT_NOT_AUDIT = ("--out {path} holds files that are not an earlier audit's; choose an empty or new "
                     "folder (an audit replaces only its own output)")
ERR_NOT_TABLE = "an audit explains a table's rows; {name} is an image workspace"
ERR_REGRESSION_CF = "--counterfactuals needs a model that predicts classes"
BACKGROUND_SEED = 0


# ------------------------------------------------------------------------------ one partition
@dataclass
class RowAuditor:
    """What a worker needs to audit a partition: the model, schema and explainer inputs (a
    workspace without its data, apart from the explainer's background rows). Picklable; the
    explainer is rebuilt once per worker process."""

    workspace: Workspace
    method: str
    features: list[str]
    favourable: Any
    keep: list[str]                         # sensitive attributes copied to the output
    train_ids: np.ndarray | None = None     # ids the model was trained on (None: not known)
    where: Any = None                       # a validated condition, or None
    change_space: Any = None                # explainers.counterfactual.ChangeSpace for --counterfactuals
    _explainer: Explainer | None = field(default=None, repr=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_explainer"] = None
        return state

    @property
    def explainer(self) -> Explainer:
        if self._explainer is None:
            self._explainer = Explainer(self.workspace)
        return self._explainer

    def __call__(self, part: pd.DataFrame) -> pd.DataFrame:
        ws, schema = self.workspace, self.workspace.schema
        model = ws.model
        target = schema.target
        X = part[model.feature_names]
        pred = pd.Series(model.predict(X), index=part.index) if len(part) else pd.Series([], dtype=float)
        proba = model.predict_proba(X) if (model.has_proba and len(part)) else None
        if self.where is not None:
            conf = pd.Series(proba.max(axis=1), index=part.index) if proba is not None else None
            keep = where_mask(self.where, part, target=target, predictions=pred, confidence=conf)
            part, pred = part[keep], pred[keep]
            proba = proba[keep] if proba is not None else None
        out = pd.DataFrame(index=part.index.rename("id"))
        out["prediction"] = pred.to_numpy()
        if proba is not None:
            classes = [plain_value(c) for c in model.classes_]
            out["probability"] = proba[:, classes.index(self.favourable)] if self.favourable in classes \
                else proba.max(axis=1)
        else:
            out["probability"] = np.nan
        labelled = part[target].notna().to_numpy() if target in part else np.zeros(len(part), dtype=bool)
        out["label"] = part[target] if target in part else np.nan
        held = ~np.isin(part.index.to_numpy(), self.train_ids) if self.train_ids is not None \
            else np.ones(len(part), dtype=bool)
        out["evaluated"] = held & labelled
        for name in self.keep:
            out[name] = part[name]       # same index: keeps the column's type
        if len(part):
            block = self.explainer.compute(part, self.method)
            values, explained = block.values, block.explained
            out["explained"] = pd.array(explained, dtype="string")
            out["base"], out["output"] = block.base, block.output
        else:
            values = np.zeros((0, len(self.features)))
            out["explained"] = pd.array([], dtype="string")
            out["base"], out["output"] = np.zeros(0), np.zeros(0)
        for j, name in enumerate(self.features):
            out[f"attribution_{name}"] = values[:, j]
        reasons = principal_reasons(values, self._toward(out), self.features)
        for k in range(MAX_REASONS):
            out[f"reason_{k + 1}"] = pd.array(reasons[:, k], dtype="string")
        if self.change_space is not None:
            out["counterfactual"] = pd.array(self._counterfactuals(part, out["prediction"]), dtype="string")
        return out

    def _toward(self, out: pd.DataFrame) -> np.ndarray:
        """Per row, the sign of an attribution that pushes toward the decision (as `explain` does):
        +1 when the explained class is the predicted one, else -1; for a number, the side of the
        base value the output is on."""
        if not len(out):
            return np.zeros(0)
        if self.workspace.schema.task != "classification" or out["explained"].isna().all():
            return np.where(out["output"].to_numpy() >= out["base"].to_numpy(), 1.0, -1.0)
        predicted = out["prediction"].map(lambda v: str(plain_value(v))).to_numpy()
        return np.where(out["explained"].astype(object).to_numpy() == predicted, 1.0, -1.0)

    def _counterfactuals(self, part: pd.DataFrame, predictions: pd.Series) -> list[str | None]:
        from talk2model.explainers.counterfactual import counterfactuals

        found = []
        for rid, predicted in predictions.items():
            if plain_value(predicted) == self.favourable:
                found.append(None)
                continue
            search = counterfactuals(self.workspace.model, part.loc[rid], self.change_space,
                                     desired=self.favourable, diagnose=False)
            found.append(json.dumps([{"changes": {k: [plain_value(a), plain_value(b)] for k, (a, b) in cf.changes.items()},
                                      "probability": cf.probability} for cf in search.counterfactuals],
                                    default=str))
        return found


def principal_reasons(values: np.ndarray, toward: np.ndarray, features: list[str]) -> np.ndarray:
    """(rows, 4) feature names: per row the features whose attribution pushes toward the decision,
    largest first (None where fewer than four do)."""
    n = len(values)
    out = np.full((n, MAX_REASONS), None, dtype=object)
    if not n:
        return out
    push = values * toward[:, None]
    ranked = np.argsort(-np.where(push > 0, push, -np.inf), axis=1, kind="stable")[:, :MAX_REASONS]
    names = np.asarray(features, dtype=object)
    for k in range(min(MAX_REASONS, values.shape[1])):
        col = ranked[:, k]
        pushes = push[np.arange(n), col] > 0
        out[pushes, k] = names[col[pushes]]
    return out


# ------------------------------------------------------------------------------ fairness cells
def count_cells(part: pd.DataFrame, sets: list[list[str]], schema, edges: dict, categories: dict,
                favourable: Any) -> pd.DataFrame:
    """The (set, group, truth, prediction, evaluated) cells of one partition of the output."""
    frames = []
    for attrs in sets:
        groups = fx.group_labels(part, attrs, schema, edges={a: edges[a] for a in attrs if a in edges},
                                 categories={a: categories[a] for a in attrs if a in categories})
        cells = fx.cells_of(part["label"], part["prediction"], groups.labels, favourable=favourable,
                            evaluate=part["evaluated"].to_numpy(dtype=bool))
        cells.insert(0, "set", " × ".join(attrs))
        frames.append(cells)
    out = pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame({c: [] for c in ("set", "g", "y", "p", "ev", "n")})
    return out.astype(CELL_TYPES)


CELL_TYPES = {"set": "string", "g": "string", "y": "int64", "p": "int64", "ev": "bool", "n": "int64"}


def attribute_sets(attributes: list[str]) -> list[list[str]]:
    """Each sensitive attribute, then each pair of them (intersections)."""
    return [[a] for a in attributes] + [list(p) for p in itertools.combinations(attributes, 2)]


def grouping(workspace, attributes: list[str], source: Source) -> tuple[dict, dict]:
    """Cut points of the numeric attributes that are banded, and every value of the others,
    computed over all the rows of `source` with Dask (so each partition groups alike), as
    `group_labels` would decide them on those rows in one frame."""
    import dask

    from talk2model.scale.source import column_values

    schema = workspace.schema
    seen = column_values(workspace, attributes, source=source)
    edges, categories = {}, {}
    quantiles = {}
    for name in attributes:
        info, spec = seen[name], schema.features.get(name)
        numeric = info[0] == "numeric"
        if numeric and spec is not None and spec.kind == "numeric" and len(info[3]) > 6:
            low, high = float(info[1]), float(info[2])
            if "age" in name.lower().split("_") or name.lower() == "age":
                cuts = tuple(b for b in fx.DEFAULT_AGE_BANDS if low < b < high)
                if cuts:
                    edges[name] = cuts
                    continue
            quantiles[name] = (low, high)
        else:
            categories[name] = list(info[3]) if numeric else info[1]
    if quantiles:   # terciles: exact in one partition, Dask's approximation over many
        ddf = dask_frame(workspace, columns=list(quantiles), source=source)
        qs = dask.compute({n: ddf[n].quantile([1 / 3, 0.5, 2 / 3]) for n in quantiles})[0]
        for name, (low, high) in quantiles.items():
            q = qs[name].to_numpy()
            edges[name] = fx.tercile_edges(low, high, [q[0], q[2]], q[1])
    return edges, categories


# ------------------------------------------------------------------------------ the job
@dataclass
class AuditSummary:
    workspace: str
    out: str
    rows: int                      # rows read
    selected: int                  # rows audited (meeting --where)
    partitions: int
    method: str
    seconds: float
    where: str | None
    workers: int
    source: str
    dashboard: str | None
    fairness: dict[str, fx.FairnessReport] = field(default_factory=dict)
    counterfactuals: bool = False
    model_fingerprint: str = ""
    data_fingerprint: str = ""
    phases: dict[str, float] = field(default_factory=dict)   # seconds: prepare, explain (and write), fairness
    favourable: Any = None

    @property
    def rows_per_second(self) -> float:
        return self.selected / self.seconds if self.seconds > 0 else float("nan")

    def to_json(self) -> dict:
        return {"workspace": self.workspace, "out": self.out, "rows": self.rows, "selected": self.selected,
                "partitions": self.partitions, "method": self.method, "seconds": round(self.seconds, 3),
                "rows_per_second": round(self.rows_per_second, 1), "where": self.where,
                "workers": self.workers, "source": self.source, "counterfactuals": self.counterfactuals,
                "model_fingerprint": self.model_fingerprint, "data_fingerprint": self.data_fingerprint,
                "phases": {k: round(v, 3) for k, v in self.phases.items()}, "favourable": self.favourable,
                "fairness": {name: report_json(r) for name, r in self.fairness.items()}}


def report_json(report: fx.FairnessReport) -> dict:
    def num(x):
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

    return {"verdict": report.verdict,
            "demographic_parity_difference": num(report.demographic_parity_difference),
            "demographic_parity_difference_ci": [num(x) for x in report.dp_difference_ci],
            "demographic_parity_ratio": num(report.demographic_parity_ratio),
            "demographic_parity_ratio_ci": [num(x) for x in report.dp_ratio_ci],
            "equalized_odds_difference": num(report.equalized_odds_difference),
            "equalized_odds_difference_ci": [num(x) for x in report.eo_difference_ci],
            "four_fifths_flagged": report.four_fifths_flagged,
            "equalized_odds_flagged": report.equalized_odds_flagged,
            "small_groups": report.small_groups,
            "groups": {str(g): {k: num(v) if k not in ("size", "evaluated") else int(v) for k, v in row.items()}
                       for g, row in report.groups.iterrows()}}


def slim_workspace(workspace, method: str) -> Workspace:
    """The workspace without its data, but with the rows the explainer takes its background
    from (the same rows as in the full workspace, so attributions are identical)."""
    from talk2model.explainers.shapley import BACKGROUND_ROWS

    data = workspace.data
    kind = method.removeprefix("shap-")
    size = BACKGROUND_ROWS.get(kind)
    if method == "shap-tree":
        rows = data.iloc[:1]
    elif size is None or len(data) <= size:
        rows = data
    else:
        rng = np.random.default_rng(BACKGROUND_SEED)
        rows = data.iloc[np.sort(rng.choice(len(data), size, replace=False))]
    return Workspace(name=workspace.name, schema=workspace.schema, data=rows, model=workspace.model,
                     train_ids=None, source=workspace.source)


def _prepare_out(out: Path) -> None:
    if out.exists():
        entries = [p for p in out.iterdir()]
        if entries and not (out / MARKER).exists() and not all(p.name.startswith("part.") for p in entries):
            raise Talk2ModelError(ERR_OUT_NOT_AUDIT.format(path=out))
        shutil.rmtree(out)
    out.mkdir(parents=True)


def run_audit(workspace, client, out: str | Path, *, where: str | None = None, counterfactuals: bool = False,
              partition_rows: int = PARTITION_ROWS, progress: bool = False, method: str = "auto",
              fairness: bool = True, on_submit=None) -> AuditSummary:
    """Audit every row of `workspace` (those meeting `where`) on the Dask `client`; write the
    per-row Parquet dataset to `out` and return the summary (with the fairness reports).
    `on_submit(future)` is called once the job runs (tests use it to kill a worker mid-job)."""
    import dask

    if workspace.kind != "table":
        raise Talk2ModelError(ERR_NOT_TABLE.format(name=workspace.name))
    started = time.perf_counter()
    schema = workspace.schema
    out = Path(out).resolve()
    _prepare_out(out)
    ex = Explainer(workspace)
    name = ex.method_for(method)
    condition = parse_where(where, schema) if where else None
    favourable = schema.favourable
    if favourable is None and schema.task == "classification":
        classes = [plain_value(c) for c in workspace.model.classes_]
        favourable = classes[-1]
    if counterfactuals and schema.task != "classification":
        raise Talk2ModelError(ERR_REGRESSION_CF)
    sensitive = [a for a in schema.sensitive if a in schema.features] if schema.task == "classification" else []
    space = None
    if counterfactuals:
        from talk2model.explainers.counterfactual import ChangeSpace

        space = ChangeSpace.from_workspace(workspace)
    train = workspace.train_ids
    auditor = RowAuditor(workspace=slim_workspace(workspace, name), method=name,
                         features=list(ex.encoding.features), favourable=favourable, keep=sensitive,
                         train_ids=np.asarray(sorted(train), dtype=object if any(isinstance(i, str) for i in train)
                                              else None) if train else None,
                         where=condition, change_space=space)
    source = source_of(workspace)
    if source.kind in ("memory", "csv"):   # rows known: at least two partitions a worker
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        partition_rows = max(1000, min(partition_rows, math.ceil(len(workspace.data) / (2 * workers))))
    needed = list(dict.fromkeys(list(workspace.model.feature_names) + [schema.target] + sensitive))
    needed = [c for c in needed if c in workspace.data.columns]
    ddf = dask_frame(workspace, columns=needed, partition_rows=partition_rows, source=source)
    meta = auditor(workspace.data[needed].iloc[:2]).iloc[:0]
    audited = ddf.map_partitions(auditor_call, dask.delayed(auditor, pure=True), meta=meta,
                                 clear_divisions=True)
    job = audited.to_parquet(str(out), write_index=True, compute=False, write_metadata_file=False)
    phases = {"prepare": time.perf_counter() - started}
    future = client.compute(job)
    if on_submit is not None:
        on_submit(future)
    if progress:
        from distributed import progress as show_progress

        import contextlib

        with contextlib.redirect_stdout(sys.stderr):   # the bar on stderr; results on stdout
            show_progress(future)
        print(file=sys.stderr)
    future.result()
    phases["explain"] = time.perf_counter() - started - phases["prepare"]
    import dask.dataframe as dd

    written = dd.read_parquet(str(out), columns=["prediction", "label", "evaluated"] + sensitive)
    selected = int(written.map_partitions(len).sum().compute())
    total_rows = int(ddf.map_partitions(len).sum().compute()) if condition is not None else selected
    reports: dict[str, fx.FairnessReport] = {}
    if fairness and sensitive and selected:
        # groups from the audited rows themselves (the output: no second pass over the source)
        written_source = Source("parquet", paths=tuple(sorted(str(p) for p in out.glob("part.*.parquet"))))
        edges, categories = grouping(workspace, sensitive, written_source)
        sets = attribute_sets(sensitive)
        cell_meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in CELL_TYPES.items()})
        cells = written.map_partitions(count_cells, sets, schema, edges, categories, favourable, meta=cell_meta)
        summed = cells.groupby(["set", "g", "y", "p", "ev"]).n.sum().compute().reset_index()
        for attrs in sets:
            key = " × ".join(attrs)
            mine = summed[summed["set"] == key].drop(columns="set")
            mine = mine.astype({"g": object})
            if mine["g"].nunique() < 2:
                continue
            order = fx.group_order(attrs, schema, edges, categories)
            reports[key] = fx.assess_cells(mine, favourable=favourable, order=order)
    seconds = time.perf_counter() - started
    phases["fairness"] = seconds - phases["prepare"] - phases["explain"]
    workers = len(client.scheduler_info().get("workers", {}))
    from talk2model.scale.cluster import dashboard_link

    summary = AuditSummary(workspace=workspace.name, out=str(out), rows=int(total_rows), selected=int(selected),
                           partitions=int(ddf.npartitions), method=name, seconds=seconds, where=where,
                           workers=workers, source=source.description, dashboard=dashboard_link(client),
                           fairness=reports, counterfactuals=counterfactuals,
                           model_fingerprint=workspace.model_fingerprint,
                           data_fingerprint=_data_fingerprint(workspace, source), phases=phases,
                           favourable=plain_value(favourable))
    (out / MARKER).write_text(json.dumps(summary.to_json(), indent=1))
    return summary


def auditor_call(part: pd.DataFrame, auditor: RowAuditor) -> pd.DataFrame:
    return auditor(part)


def _data_fingerprint(workspace, source: Source) -> str:
    """The data's fingerprint: of the frame in memory, or of the files / table read."""
    if source.kind == "memory":
        return workspace.data_fingerprint
    import hashlib

    digest = hashlib.sha256(source.kind.encode())
    for p in source.paths:
        st = os.stat(p)
        digest.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
    if source.url:
        digest.update(f"{source.url}:{source.table}".encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------ the summary in words
def summary_lines(summary: AuditSummary) -> list[str]:
    """What the command prints: the run, then one line per fairness comparison."""
    from talk2model.formatting import fmt_interval, fmt_number, fmt_percent, fmt_points

    rate = summary.rows_per_second
    lines = [f"{summary.workspace}: {summary.selected:,} of {summary.rows:,} rows audited in "
             f"{summary.seconds:.1f} s ({rate:,.0f} rows/s) on {summary.workers} worker"
             f"{'s' if summary.workers != 1 else ''} [{summary.method}, {summary.partitions} partition"
             f"{'s' if summary.partitions != 1 else ''}, "
             f"from {summary.source}] -> {summary.out}"]
    def points(ci) -> str:
        if ci[0] is None:
            return "n/a"
        return f"{fmt_points(ci[0]).split()[0]}{' to ' if ci[0] < 0 else '–'}{fmt_points(ci[1])}"

    for key, r in summary.fairness.items():
        rates = ", ".join(f"{g} {fmt_percent(row['selection_rate'])} of {int(row['size']):,}"
                          for g, row in r.groups.iterrows())
        eo = "" if r.equalized_odds_difference is None else (
            f"; equalized-odds difference {fmt_points(r.equalized_odds_difference)} "
            f"(95% {points(r.eo_difference_ci)})")
        lines.append(f"  {key} [{r.verdict}]: selected {rates}; demographic-parity difference "
                     f"{fmt_points(r.demographic_parity_difference)} (95% {points(r.dp_difference_ci)}), "
                     f"ratio {fmt_number(r.demographic_parity_ratio)} "
                     f"(95% {fmt_interval(*r.dp_ratio_ci, percent=False)}){eo}")
    return lines
