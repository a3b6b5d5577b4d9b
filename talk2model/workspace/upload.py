"""A workspace from files someone uploaded: never trusted, always limited.

An upload is a table (`.csv` / `.parquet`) and a model. Whoever can reach the app can upload,
so an upload never honours trust:

- a `.skops` model loads only with the types on the allow-list (`skops_check`): no
  `trusted_types`, no `trusted = true`;
- a `.pt` / `.pth` model (a talk2model MLP) loads with `torch.load(weights_only=True)`;
- joblib and pickle files are refused: loading one runs code from it.

Files larger than `UploadLimits.max_bytes` and tables with more than `UploadLimits.max_rows`
rows are refused with a message that names the limit and the setting. Every error is a
WorkspaceError whose text (a constant here) says what to fix.

The steps, in the order the app's widgets call them (ui.py only wires them):
`inspect_upload` (rows and columns, a suggested target) -> `upload_schema` (the editable schema
table and class names) -> `workspace_from_upload` (the workspace, predictions checked).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from talk2model.errors import WorkspaceError
from talk2model.workspace import Workspace
from talk2model.workspace.data import read_frame
from talk2model.workspace.model import PICKLE_SUFFIXES, SKOPS_SUFFIXES, TORCH_SUFFIXES, load_estimator
from talk2model.workspace.schema import build_schema, split_words
from talk2model.workspace.skops_check import UntrustedTypesError

DATA_SUFFIXES = (".csv", ".parquet", ".pq")
MODEL_SUFFIXES = SKOPS_SUFFIXES + TORCH_SUFFIXES

ENV_MAX_UPLOAD_MB = "TALK2MODEL_MAX_UPLOAD_MB"
ENV_MAX_ROWS = "TALK2MODEL_MAX_ROWS"
DEFAULT_MAX_UPLOAD_MB = 20
DEFAULT_MAX_ROWS = 200_000

# User-facing texts (tests assert them).
ERR_NO_DATA = "Upload a data file first: a .csv or .parquet table with one row per case."
ERR_DATA_SUFFIX = "The data file must be .csv or .parquet, not '{suffix}'. Export the table to CSV and upload that."
ERR_DATA_READ = "The data file could not be read ({error}). Check that it is a valid {kind} file."
ERR_TOO_FEW = "The data file needs at least two columns (features and the target) and one row."
ERR_NO_MODEL = "Upload a model file too: a .skops file (skops.io.dump(model, 'model.skops'))."
ERR_PICKLE = (
    "'{name}' is a {fmt} file, and loading it would run code from the file, so uploads are never "
    "loaded from {fmt} files. Save the model with skops instead (skops.io.dump(model, 'model.skops')); "
    "a model that needs other types can only be set up by the operator, as a workspace file."
)
ERR_SKOPS_TYPES = (
    "'{name}' holds types that are not on talk2model's allow-list of scikit-learn, numpy and scipy "
    "types ({types}), so it is not loaded: uploads are never trusted. Save a model built from "
    "scikit-learn only, or ask the operator to set it up as a workspace file."
)
ERR_MODEL_SUFFIX = "The model file must be .skops (or a talk2model .pt file), not '{suffix}'."
ERR_TOO_BIG = ("'{name}' is {size:.1f} MB; uploads are limited to {limit:g} MB (the operator sets "
               "this with --max-upload-mb or {env}). Upload a smaller file, e.g. a sample of the rows.")
ERR_TOO_MANY_ROWS = ("'{name}' has more than {limit:,} rows; this app takes at most {limit:,} (the "
                     "operator sets this with --max-rows or {env}). Upload a sample of the rows.")
ERR_NO_TARGET = "Choose the target: the column that holds the outcome the model predicts."
ERR_BAD_CLASSES = ("Class names: write one 'value = name' per line or separated by ';' (for example "
                   "'0 = denied; 1 = approved'); could not read '{part}'.")
ERR_PREDICT = ("The model could not predict on this data ({error}). The data's columns must be the "
               "features the model was trained on, with the same types, plus the target.")


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_rows: int = DEFAULT_MAX_ROWS

    @property
    def max_mb(self) -> float:
        return self.max_bytes / (1024 * 1024)

    @classmethod
    def from_settings(cls, max_upload_mb: float | None = None, max_rows: int | None = None) -> "UploadLimits":
        """Arguments first, then TALK2MODEL_MAX_UPLOAD_MB / TALK2MODEL_MAX_ROWS, then defaults."""
        mb = max_upload_mb if max_upload_mb is not None else float(os.environ.get(ENV_MAX_UPLOAD_MB, DEFAULT_MAX_UPLOAD_MB))
        rows = max_rows if max_rows is not None else int(os.environ.get(ENV_MAX_ROWS, DEFAULT_MAX_ROWS))
        return cls(max_bytes=int(mb * 1024 * 1024), max_rows=int(rows))


def check_size(path: Path, limits: UploadLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise WorkspaceError(ERR_TOO_BIG.format(name=path.name, size=size / (1024 * 1024),
                                                limit=limits.max_mb, env=ENV_MAX_UPLOAD_MB))


def read_upload_frame(path: str | None, limits: UploadLimits = UploadLimits()) -> pd.DataFrame:
    """The uploaded table, indexed 0..n-1 (named `id`), within the size and row limits."""
    if not path:
        raise WorkspaceError(ERR_NO_DATA)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise WorkspaceError(ERR_DATA_SUFFIX.format(suffix=suffix or "no suffix"))
    check_size(p, limits)
    if suffix != ".csv":
        _check_parquet_rows(p, limits)
    try:  # one row past the limit tells a table that is too long without reading all of it
        frame = read_frame(p, nrows=limits.max_rows + 1 if suffix == ".csv" else None)
    except WorkspaceError as exc:
        raise WorkspaceError(ERR_DATA_READ.format(error=str(exc), kind="CSV" if suffix == ".csv" else "Parquet")) from None
    if len(frame) > limits.max_rows:
        raise WorkspaceError(ERR_TOO_MANY_ROWS.format(name=p.name, limit=limits.max_rows, env=ENV_MAX_ROWS))
    if frame.empty or len(frame.columns) < 2:
        raise WorkspaceError(ERR_TOO_FEW)
    frame = frame.reset_index(drop=True)
    frame.index.name = "id"
    return frame


def _check_parquet_rows(path: Path, limits: UploadLimits) -> None:
    try:
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # not a Parquet file: read_frame says so in a sentence
        raise WorkspaceError(ERR_DATA_READ.format(error=f"{type(exc).__name__}: {str(exc)[:200]}",
                                                  kind="Parquet")) from None
    if rows > limits.max_rows:
        raise WorkspaceError(ERR_TOO_MANY_ROWS.format(name=path.name, limit=limits.max_rows, env=ENV_MAX_ROWS))


def load_upload_model(path: str | None, limits: UploadLimits = UploadLimits()) -> Any:
    """The uploaded model, loaded without any trust (see the module docstring)."""
    if not path:
        raise WorkspaceError(ERR_NO_MODEL)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise WorkspaceError(ERR_PICKLE.format(name=p.name, fmt="joblib" if suffix == ".joblib" else "pickle"))
    if suffix not in MODEL_SUFFIXES:
        raise WorkspaceError(ERR_MODEL_SUFFIX.format(suffix=suffix or "no suffix"))
    check_size(p, limits)
    try:
        if suffix in SKOPS_SUFFIXES:
            from talk2model.workspace.skops_check import load_skops

            return load_skops(p)   # the allow-list only: trust is never read from an upload
        return load_estimator(p, trusted=False)
    except UntrustedTypesError as exc:
        raise WorkspaceError(ERR_SKOPS_TYPES.format(name=p.name, types=", ".join(exc.calls or exc.types))) from None
    except WorkspaceError:
        raise
    except Exception as exc:  # a model file damaged in some other way
        raise WorkspaceError(f"The model file could not be loaded ({type(exc).__name__}: {str(exc)[:200]}).") from None


def inferred_schema(frame: pd.DataFrame, target: str | None) -> tuple[pd.DataFrame, str]:
    """The editable schema table and class-names text inferred from the data."""
    if not target:
        raise WorkspaceError(ERR_NO_TARGET)
    schema = build_schema("upload", {"target": target}, frame)
    rows = [[f.name, f.kind, False, False, f.description] for f in schema.features.values()]
    classes = "; ".join(f"{value} = {split_words(target)} {value}" for value in schema.classes)
    return pd.DataFrame(rows, columns=SCHEMA_HEADERS), classes


SCHEMA_HEADERS = ["column", "type", "sensitive", "immutable", "description"]


@dataclass(frozen=True)
class UploadedTable:
    """What an uploaded data file holds: enough to choose the target and check the schema."""

    rows: int
    columns: list[str]

    @property
    def suggested_target(self) -> str:
        """The last column: where a table usually keeps its outcome."""
        return self.columns[-1]


def inspect_upload(data_path: str | None, limits: UploadLimits = UploadLimits()) -> UploadedTable:
    """Step 1 of an upload: read the data file (within the limits) and list its columns."""
    frame = read_upload_frame(data_path, limits)
    return UploadedTable(len(frame), [str(c) for c in frame.columns])


def upload_schema(data_path: str | None, target: str | None,
                  limits: UploadLimits = UploadLimits()) -> tuple[UploadedTable, pd.DataFrame, str]:
    """Step 2: the editable schema table and class-names text inferred for `target`
    (step 3 is `workspace_from_upload`, with the table as the person edited it)."""
    frame = read_upload_frame(data_path, limits)
    table, classes = inferred_schema(frame, target)
    return UploadedTable(len(frame), [str(c) for c in frame.columns]), table, classes


def parse_classes(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise WorkspaceError(ERR_BAD_CLASSES.format(part=part.strip()))
        value, name = (s.strip() for s in part.split("=", 1))
        if not value or not name:
            raise WorkspaceError(ERR_BAD_CLASSES.format(part=part.strip()))
        out[value] = name
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "x", "✓")
    return bool(value) and not (isinstance(value, float) and pd.isna(value))


def workspace_from_upload(data_path, model_path, target, table, classes_text, *, name="my-model",
                          entity="row", limits: UploadLimits = UploadLimits()) -> Workspace:
    """A workspace from the uploads and the (edited) schema table; WorkspaceError says what to fix."""
    frame = read_upload_frame(data_path, limits)
    if not target:
        raise WorkspaceError(ERR_NO_TARGET)
    estimator = load_upload_model(model_path, limits)
    features: dict[str, dict] = {}
    sensitive, immutable = [], []
    if isinstance(table, pd.DataFrame) and len(table):
        for row in table.to_dict("records"):
            col = str(row.get("column") or "").strip()
            if not col:
                continue
            spec: dict[str, Any] = {}
            kind = str(row.get("type") or "").strip().lower()
            if kind:
                spec["type"] = kind
            if str(row.get("description") or "").strip():
                spec["description"] = str(row["description"]).strip()
            features[col] = spec
            if _truthy(row.get("sensitive")):
                sensitive.append(col)
            if _truthy(row.get("immutable")):
                immutable.append(col)
    entity = (entity or "row").strip() or "row"
    schema = {"target": target, "features": features, "sensitive": sensitive, "immutable": immutable,
              "classes": parse_classes(classes_text), "entity": entity,
              "title": (name or "my-model").strip()}
    ws = Workspace.from_frame((name or "my-model").strip(), frame, estimator, schema,
                              source=f"upload:{Path(data_path).name}")
    try:
        ws.predictions()
        if ws.model.has_proba:
            ws.probabilities()
    except Exception as exc:
        raise WorkspaceError(ERR_PREDICT.format(error=str(exc).splitlines()[0][:200])) from exc
    ws.log_checks()     # the data checks run at load (leakage, imbalance; training rows unknown)
    return ws
