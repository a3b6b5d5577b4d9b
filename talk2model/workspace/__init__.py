"""A workspace: a data set + a model + a schema, described by one TOML file.

    name = "credit"
    [data]    path = "../data/credit/german_credit.csv"      # or url + table / query
    [model]   path = "../models/credit.skops"                 # trusted = true for joblib/pickle;
              # trusted_types = ["pkg.Type"]: exact types a .skops file may hold beyond the allow-list
              train_ids = "../models/credit.train_ids.json"   # rows the model was fit on, or
              trained_on_these_rows = false    # it was fit on other data; neither: unknown
    [schema]  target = "risk", classes, favourable, features.<col>..., sensitive, immutable

A file with `kind = "image"` describes images and a PyTorch classifier instead
(`talk2model.workspace.images`: an `ImageWorkspace`, whose rows are the images).

`load_workspace("credit")` loads a built-in; `load_workspace("path/to/file.toml")` any other;
`Workspace.from_frame(...)` builds one from objects already in memory (the app's upload, whose
steps are in `workspace.upload`); `workspace_summary(name)` reads a file's title, description and
examples without loading anything (`read_workspace_file` is the one TOML reader).
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError
from talk2model.paths import resource_dir
from talk2model.workspace.data import fetch_rows, fingerprint_frame, load_rows
from talk2model.workspace.model import Model, check_trust, load_model, wrap_model
from talk2model.textutil import did_you_mean
from talk2model.workspace.schema import Feature, Schema, build_schema, split_words

__all__ = ["Feature", "ImageWorkspace", "Model", "Schema", "Workspace", "WorkspaceSummary",
           "builtin_workspaces", "load_workspace", "read_workspace_file", "split_words", "workspace_path",
           "workspace_summary"]

ERR_UNKNOWN_WORKSPACE = "no workspace '{name}' (built-in workspaces: {names}){hint}"
ERR_TOML = "workspace file {path}: {error}"
ERR_TRAINED_ON = ("[model] trained_on_these_rows must be true or false (a TOML boolean), not {value!r}; "
                  "or list the training rows with train_ids")
ERR_TRAINED_BOTH = "[model] gives both train_ids and trained_on_these_rows; keep one"
ERR_BIG_TABLE_ID = ("[data] table {table} has {rows:,} rows, more than memory_rows, so the workspace holds a "
                    "sample and reads other rows by id: set [schema] id_column to its (indexed) id column")

log = logging.getLogger("talk2model.workspace")


@dataclass(eq=False)
class Workspace:
    name: str
    schema: Schema
    data: pd.DataFrame  # indexed by row id; features + target
    model: Model
    train_ids: frozenset | None = None  # ids of rows the model was trained on; None: not known
    source: str = ""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    training: Any = None   # talk2model.workspace.checkpoints.TrainingSpec: checkpoints for influence
    # the workspace file's [data] table ("_base": its folder) and [schema] id_column: where batch
    # work (talk2model.scale) reads every row from, in partitions; None for a frame in memory
    data_spec: dict | None = None
    id_column: str | None = None
    # rows in the source when `data` holds only a random sample of them (a Parquet dataset or SQL
    # table bigger than [data] memory_rows); None when `data` is everything
    rows_in_source: int | None = None
    kind: ClassVar[str] = "table"   # "image" for ImageWorkspace

    @classmethod
    def from_frame(cls, name: str, data: pd.DataFrame, estimator: Any, schema: dict[str, Any],
                   *, train_ids=None, source: str = "memory") -> "Workspace":
        """A workspace from a frame (index = ids), a fitted estimator and a `[schema]` table."""
        built = build_schema(name, schema, data)
        if built.id_column:
            data = data.set_index(built.id_column)
            data.index.name = "id"
        feature_cols = [c for c in data.columns if c != built.target]
        import pickle
        import hashlib

        try:
            fp = hashlib.sha256(pickle.dumps(estimator)).hexdigest()[:16]
        except Exception:  # an estimator that does not pickle still gets an identity
            fp = f"obj{id(estimator):x}"
        model = wrap_model(estimator, feature_cols, fingerprint=fp, task=built.task)
        return cls(name=name, schema=built, data=data, model=model,
                   train_ids=frozenset(train_ids) if train_ids is not None else None,
                   source=source)

    # ---- views -------------------------------------------------------------------------
    @property
    def ids(self) -> pd.Index:
        return self.data.index

    def X(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        frame = self.data if frame is None else frame
        return frame[self.model.feature_names]

    @property
    def y(self) -> pd.Series:
        return self.data[self.schema.target]

    @cached_property
    def data_fingerprint(self) -> str:
        return fingerprint_frame(self.data)

    @property
    def model_fingerprint(self) -> str:
        return self.model.fingerprint

    # ---- model outputs on the workspace's own data (computed once) ---------------------
    def predictions(self, frame: pd.DataFrame | None = None) -> pd.Series:
        if frame is None:
            if "pred" not in self._cache:
                self._cache["pred"] = pd.Series(self.model.predict(self.X()), index=self.ids)
            return self._cache["pred"]
        return pd.Series(self.model.predict(self.X(frame)), index=frame.index)

    def probabilities(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        if frame is None:
            if "proba" not in self._cache:
                self._cache["proba"] = self._proba(self.data)
            return self._cache["proba"]
        return self._proba(frame)

    def _proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        values = self.model.predict_proba(self.X(frame))
        classes = [_plain(c) for c in self.model.classes_]
        return pd.DataFrame(values, index=frame.index, columns=classes)

    # ---- data bigger than memory ----------------------------------------------------------
    @property
    def sampled(self) -> bool:
        """`data` is a random sample of a bigger source (answers say so)."""
        return self.rows_in_source is not None and self.rows_in_source > len(self.data)

    def fetch(self, ids) -> pd.DataFrame:
        """The rows with these ids, from `data` when they are in it, else read from the source
        (only what holds them). Ids in neither are left out."""
        ids = list(ids)
        have = [i for i in ids if i in self.data.index]
        missing = [i for i in ids if i not in self.data.index]
        parts = [self.data.loc[have]] if have else []
        if missing and self.sampled and self.data_spec:
            read = fetch_rows(self.data_spec, Path(self.data_spec["_base"]), missing, self.id_column)
            if len(read):
                parts.append(read[self.data.columns].astype(self.data.dtypes.to_dict()))
        return pd.concat(parts) if parts else self.data.iloc[:0]

    def predictions_of(self, frame: pd.DataFrame) -> pd.Series:
        """The model's predictions for rows of the data (cached) or any other rows (computed)."""
        cached = self.predictions()
        if frame.index.isin(cached.index).all():
            return cached.loc[frame.index]
        return self.predictions(frame)

    def probabilities_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        cached = self.probabilities()
        if frame.index.isin(cached.index).all():
            return cached.loc[frame.index]
        return self.probabilities(frame)

    def held_out_mask(self, ids: pd.Index) -> np.ndarray:
        """True for the rows the model was not trained on. When that is not known
        (`training_known` false) every row is True: usable, but never to be called held out."""
        if not self.train_ids:
            return np.ones(len(ids), dtype=bool)
        return ~ids.isin(list(self.train_ids))

    @property
    def training_known(self) -> bool:
        """Whether the rows the model was trained on are known (listed, or declared none of these)."""
        return self.train_ids is not None

    @cached_property
    def checks(self):
        """Data checks (possible leakage, class imbalance, training rows): `workspace.checks`."""
        from talk2model.workspace.checks import run_checks

        return run_checks(self.schema, self.data, self.train_ids)

    def log_checks(self) -> None:
        for item in self.checks.leakage:
            log.warning("workspace %s: feature %s may leak the outcome (%s)", self.name, item["feature"],
                        f"AUC {item['auc']:.3f} alone" if item["reason"] == "auc" else f"'{item['words']}'")


@dataclass(eq=False)
class ImageWorkspace(Workspace):
    """Images addressed like rows: `data` has one row per image (index = id, the true label),
    `images` the pixels in the same order (N x C x H x W, float32, in the model's value range).
    `X(frame)` is the pixels of the frame's rows, so predictions, probabilities and filters on
    `prediction` / `confidence` work as for a table (see talk2model.workspace.images)."""

    images: np.ndarray | None = None
    image_spec: Any = None                      # talk2model.workspace.images.ImageSpec
    uploads: dict[Any, str] = field(default_factory=dict)   # id -> file name, for uploaded images
    kind: ClassVar[str] = "image"

    def positions(self, ids) -> np.ndarray:
        pos = self.data.index.get_indexer(pd.Index(ids))
        if (pos < 0).any():
            from talk2model.errors import OperationError

            missing = list(pd.Index(ids)[pos < 0])[:3]
            raise OperationError(f"there is no {self.schema.entity} {missing[0]} in the data")
        return pos

    def pixels(self, ids) -> np.ndarray:
        return self.images[self.positions(ids)]

    def X(self, frame: pd.DataFrame | None = None) -> np.ndarray:  # type: ignore[override]
        return self.images if frame is None else self.pixels(frame.index)

    @cached_property
    def data_fingerprint(self) -> str:
        import hashlib

        digest = hashlib.sha256(fingerprint_frame(self.data).encode())
        digest.update(np.ascontiguousarray(self.images).tobytes())
        return digest.hexdigest()[:16]


def _plain(value: Any) -> Any:
    from talk2model.workspace.schema import plain_value

    return plain_value(value)


def builtin_workspaces() -> dict[str, Path]:
    folder = resource_dir("workspaces")
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


DEFAULT_WORKSPACE = "credit"
_LOADED: dict[Path, Workspace] = {}


def load_workspace(name_or_path: str | Path = DEFAULT_WORKSPACE, *, cache: bool = True) -> Workspace:
    """A built-in workspace by name, or any workspace TOML file by path.

    Workspaces are read-only, so one loaded copy is shared (what-if works on copies).
    """
    path = workspace_path(name_or_path)
    if cache and path in _LOADED:
        return _LOADED[path]
    workspace = _load_toml(path)
    workspace.log_checks()      # the data checks run at load; answers report them
    if cache:
        _LOADED[path] = workspace
    return workspace


def workspace_path(name_or_path: str | Path) -> Path:
    """The TOML file of a built-in workspace by name, or the given .toml path (resolved)."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        builtins = builtin_workspaces()
        if str(name_or_path) not in builtins:
            raise WorkspaceError(ERR_UNKNOWN_WORKSPACE.format(
                name=name_or_path, hint=did_you_mean(str(name_or_path), list(builtins)),
                names=", ".join(builtins)))
        path = builtins[str(name_or_path)]
    return path.resolve()


def read_workspace_file(path: Path) -> dict[str, Any]:
    """The one reader of workspace TOML files: parsed, and every key checked (unknown keys and
    mistyped values are a WorkspaceError naming the fix) before anything else is read."""
    if not path.is_file():
        raise WorkspaceError(f"no workspace file at {path}")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(ERR_TOML.format(path=path.name, error=exc)) from None
    from talk2model.workspace.keys import check_keys

    check_keys(spec, path.name)
    return spec


@dataclass(frozen=True)
class WorkspaceSummary:
    """What a workspace file says about itself, read without loading its data or model (the app
    shows it while the workspace loads)."""

    name: str
    title: str
    description: str | None
    entity_plural: str
    examples: tuple[str, ...]


def workspace_summary(name_or_path: str | Path) -> WorkspaceSummary:
    path = workspace_path(name_or_path)
    spec = read_workspace_file(path)
    schema = spec.get("schema", {})
    entity = schema.get("entity", "row")
    name = spec.get("name", path.stem)
    return WorkspaceSummary(name=name, title=schema.get("title") or name,
                            description=schema.get("description") or None,
                            entity_plural=schema.get("entity_plural", entity + "s"),
                            examples=tuple(schema.get("examples", ())))


def _load_toml(path: Path) -> Workspace:
    spec = read_workspace_file(path)
    if spec.get("kind", "table") == "image":
        from talk2model.workspace.images import load_image_workspace

        return load_image_workspace(spec, path)
    if spec.get("kind", "table") != "table":
        raise WorkspaceError(f"workspace file {path.name}: kind must be \"table\" or \"image\", "
                             f"not {spec.get('kind')!r}")
    base = path.parent
    for section in ("data", "model", "schema"):
        if section not in spec:
            raise WorkspaceError(f"workspace file {path.name}: the [{section}] table is missing")
    trusted, trusted_types = check_trust(spec["model"])  # before any data is read
    name = spec.get("name", path.stem)
    data, rows_in_source = load_rows(spec["data"], base)
    schema_table = dict(spec["schema"])
    id_column = schema_table.get("id_column") or None
    if rows_in_source is not None and "url" in spec["data"] and not id_column:
        raise WorkspaceError(ERR_BIG_TABLE_ID.format(table=spec["data"].get("table"), rows=rows_in_source))
    if schema_table.get("id_column"):
        col = schema_table["id_column"]
        if col not in data.columns:
            from talk2model.workspace.schema import ERR_NOT_A_COLUMN

            raise WorkspaceError(ERR_NOT_A_COLUMN.format(
                field="[schema] id_column", name=col, columns=", ".join(map(str, data.columns)),
                hint=did_you_mean(col, list(data.columns))))
        data = data.set_index(col)
        data.index.name = "id"
        schema_table["id_column"] = None
    schema = build_schema(name, schema_table, data)
    feature_cols = [c for c in data.columns if c != schema.target]
    model_spec = spec["model"]
    if "path" not in model_spec:
        raise WorkspaceError("[model] path is missing; point it at a .skops (or trusted .joblib) file")
    model = load_model((base / model_spec["path"]).resolve(), feature_cols,
                       trusted=trusted, trusted_types=trusted_types, task=schema.task)
    train_ids = None
    trained_here = model_spec.get("trained_on_these_rows")
    if trained_here is not None:
        if not isinstance(trained_here, bool):
            raise WorkspaceError(ERR_TRAINED_ON.format(value=trained_here))
        if "train_ids" in model_spec:
            raise WorkspaceError(ERR_TRAINED_BOTH)
        train_ids = frozenset(data.index) if trained_here else frozenset()
    if "train_ids" in model_spec:
        ids_path = (base / model_spec["train_ids"]).resolve()
        if not ids_path.is_file():
            raise WorkspaceError(f"[model] train_ids: no file at {ids_path}")
        train_ids = frozenset(json.loads(ids_path.read_text()))
    from talk2model.workspace.checkpoints import training_spec

    return Workspace(name=name, schema=schema, data=data, model=model, train_ids=train_ids,
                     source=str(path), training=training_spec(spec.get("training"), base),
                     data_spec={**spec["data"], "_base": str(base)}, id_column=id_column,
                     rows_in_source=rows_in_source)
