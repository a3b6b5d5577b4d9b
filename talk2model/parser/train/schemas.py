"""Invented schemas for training the reader: a workspace TOML without data or model.

A training schema is the `[schema]` table of a workspace (target, classes, entity, optional
synonyms ...) plus a `[columns]` table that says what the data looks like, so a small synthetic
table can be made for grounding (ranges, categorical values, ids):

    name = "telco_churn"
    rows = 400                 # ids 0..rows-1, or ids = [first, last] for a sparse range
    [schema]
    target = "Churn"
    entity = "customer"
    [schema.classes]
    1 = "will churn"
    0 = "will stay"
    [columns]
    tenure_months = { type = "numeric", range = [0, 72], integer = true }
    Contract = { type = "categorical", values = ["Month-to-month", "One year", "Two year"] }
    SeniorCitizen = { type = "flag" }
    Churn = { type = "flag" }

`load_training_workspace(name_or_path)` gives a `Workspace` with that synthetic data and no model:
enough for the parser, never for answering.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError
from talk2model.paths import resource_dir
from talk2model.workspace import Workspace
from talk2model.workspace.schema import build_schema

ERR_COLUMN = "{path}: column '{name}': {problem}"


def schemas_dir() -> Path:
    return resource_dir("prompts") / "schemas"


def training_schema_names() -> list[str]:
    return sorted(p.stem for p in schemas_dir().glob("*.toml"))


def _column(path: Path, name: str, spec: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    kind = spec.get("type")
    if kind == "flag":
        return rng.integers(0, 2, n)
    if kind == "categorical":
        values = spec.get("values")
        if not values:
            raise WorkspaceError(ERR_COLUMN.format(path=path, name=name, problem="categorical needs values"))
        return rng.choice(np.array(values, dtype=object), n)
    if kind == "numeric":
        lo, hi = spec.get("range", (0, 100))
        if spec.get("integer", isinstance(lo, int) and isinstance(hi, int)):
            out = rng.integers(int(lo), int(hi) + 1, n)
            out[0], out[-1] = int(lo), int(hi)          # the range is the data's own
            return out
        out = np.round(rng.uniform(float(lo), float(hi), n), 2)
        out[0], out[-1] = float(lo), float(hi)
        return out
    raise WorkspaceError(ERR_COLUMN.format(path=path, name=name,
                                           problem=f"type must be numeric, categorical or flag, not {kind!r}"))


@lru_cache(maxsize=None)
def load_training_workspace(name_or_path: str) -> Workspace:
    """A built-in workspace by name, else an invented schema (name or path) with synthetic data."""
    path = Path(name_or_path)
    if not path.suffix:
        candidate = schemas_dir() / f"{name_or_path}.toml"
        if not candidate.exists():
            from talk2model.workspace import load_workspace

            return load_workspace(name_or_path)
        path = candidate
    table = tomllib.loads(path.read_text())
    name = table.get("name", path.stem)
    n = int(table.get("rows", 400))
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    columns = table.get("columns", {})
    if not columns:
        raise WorkspaceError(f"{path}: a training schema needs a [columns] table")
    data = pd.DataFrame({col: _column(path, col, spec, n, rng) for col, spec in columns.items()})
    if "ids" in table:
        first, last = table["ids"]
        ids = np.sort(rng.choice(np.arange(int(first), int(last) + 1), n, replace=False))
        ids[0], ids[-1] = int(first), int(last)
        data.index = pd.Index(ids, name="id")
    else:
        data.index = pd.RangeIndex(n, name="id")
    schema = build_schema(name, table.get("schema", {}), data)
    return Workspace(name=name, schema=schema, data=data, model=None, source=str(path))
