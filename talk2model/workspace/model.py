"""Loading and wrapping a workspace's model.

Nothing in a model file runs unless the operator says so:

- `.skops` files load only with the types on talk2model's allow-list (exact names of
  scikit-learn, numpy and scipy types; see `skops_check`), plus any the workspace lists exactly
  under `[model] trusted_types = [...]`; `trusted = true` trusts the whole file.
- `.pt` / `.pth` files (talk2model MLPs) load with `torch.load(weights_only=True)`: tensors and
  plain data only.
- joblib and pickle files run code when loaded, so they load only with `trusted = true`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError
from talk2model.workspace.skops_check import UntrustedTypesError, load_skops

ERR_NO_MODEL = "[model] path: no file at {path}; train the demo models with `make models` or fix the path"
ERR_UNTRUSTED = (
    "[model] {path} is a {fmt} file, and loading it runs code from the file; "
    "set trusted = true under [model] only if you trust where it came from"
)
ERR_SKOPS_TYPES = (
    "[model] {path} holds types that are not on talk2model's allow-list of scikit-learn, numpy and "
    "scipy types: {types}. Loading them could run code from the file. If you trust where it came "
    "from, list them under [model] as trusted_types = [{quoted}]"
)
ERR_SKOPS_CALLS = (
    "[model] {path} holds objects that call what they name when loaded: {calls}. Only "
    "trusted = true under [model] loads such a file; set it only if you trust where it came from"
)
ERR_FORMAT = ("[model] cannot load '{suffix}' files; use .skops, .pt (talk2model MLP), or "
              ".joblib / .pkl with trusted = true")
ERR_TRUSTED = "[model] trusted must be true or false (a TOML boolean, without quotes), not {value!r}"
ERR_TRUSTED_TYPES = ("[model] trusted_types must be a list of exact type names such as "
                     "[\"mypackage.estimators.MyModel\"] (no wildcards or prefixes), not {value!r}")
ERR_FEATURES = (
    "the model expects features {missing} that the data does not have{extra}; "
    "the data's columns must match the features the model was trained on"
)

SKOPS_SUFFIXES = (".skops",)
TORCH_SUFFIXES = (".pt", ".pth")
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _file_fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def check_trust(model_spec: dict) -> tuple[bool, tuple[str, ...]]:
    """`trusted` (a TOML boolean) and `trusted_types` (exact names) from a `[model]` table."""
    trusted = model_spec.get("trusted", False)
    if not isinstance(trusted, bool):
        raise WorkspaceError(ERR_TRUSTED.format(value=trusted))
    names = model_spec.get("trusted_types", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and _TYPE_NAME.fullmatch(n) for n in names):
        raise WorkspaceError(ERR_TRUSTED_TYPES.format(value=names))
    return trusted, tuple(names)


def load_estimator(path: Path, *, trusted: bool = False, trusted_types: tuple[str, ...] = ()) -> Any:
    """The estimator in `path`, loaded as safely as its format allows (see the module docstring)."""
    if not isinstance(trusted, bool):  # a string "false" must never mean yes
        raise WorkspaceError(ERR_TRUSTED.format(value=trusted))
    if not path.is_file():
        raise WorkspaceError(ERR_NO_MODEL.format(path=path))
    suffix = path.suffix.lower()
    if suffix in SKOPS_SUFFIXES:
        try:
            return load_skops(path, trusted_types=trusted_types, trust_all=trusted)
        except UntrustedTypesError as exc:
            if exc.calls:
                raise WorkspaceError(ERR_SKOPS_CALLS.format(path=path.name, calls=", ".join(exc.calls))) from None
            raise WorkspaceError(ERR_SKOPS_TYPES.format(
                path=path.name, types=", ".join(exc.types),
                quoted=", ".join(f'"{t}"' for t in exc.types))) from None
    if suffix in PICKLE_SUFFIXES:
        if not trusted:
            fmt = "joblib" if suffix == ".joblib" else "pickle"
            raise WorkspaceError(ERR_UNTRUSTED.format(path=path.name, fmt=fmt))
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:  # a damaged or mislabelled file: one sentence, not a traceback
            raise WorkspaceError(f"[model] {path.name} could not be loaded as a {suffix[1:]} file "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from None
    if suffix in TORCH_SUFFIXES:  # a talk2model MLP file: tensors and plain data only, no pickled code
        from talk2model.workspace.torch_model import load_torch_model

        return load_torch_model(path)
    raise WorkspaceError(ERR_FORMAT.format(suffix=suffix))


@dataclass
class Model:
    """A fitted estimator with the columns it reads, in its order, and a fingerprint.

    Follows the scikit-learn conventions: `predict`, `predict_proba`, `classes_`.
    """

    estimator: Any
    feature_names: list[str]
    fingerprint: str
    task: str = "classification"
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        self.kind = type(_final_step(self.estimator)).__name__

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(getattr(self.estimator, "classes_", []))

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        return X[self.feature_names]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return _in_chunks(self.estimator.predict, self._frame(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return _in_chunks(self.estimator.predict_proba, self._frame(X))

    @property
    def has_proba(self) -> bool:
        return self.task == "classification" and hasattr(self.estimator, "predict_proba")


CHUNK_ROWS = 1_000


def _in_chunks(method, X: pd.DataFrame) -> np.ndarray:
    """`method(X)` a thousand rows at a time. Some estimators hold Python's interpreter lock for
    a whole call (k-nearest neighbours: seconds on a big table), which would stall every other
    person's question; between chunks the others run, and the question's time budget is checked."""
    from talk2model import deadline

    if len(X) <= CHUNK_ROWS:
        return np.asarray(method(X))
    parts = []
    for start in range(0, len(X), CHUNK_ROWS):
        deadline.check()
        parts.append(np.asarray(method(X.iloc[start:start + CHUNK_ROWS])))
    return np.concatenate(parts)


def _final_step(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def wrap_model(estimator: Any, data_columns: list[str], *, fingerprint: str, task: str) -> Model:
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = data_columns
    names = [str(n) for n in names]
    missing = [n for n in names if n not in data_columns]
    if missing:
        extra_cols = [c for c in data_columns if c not in names]
        extra = f" (the data has {', '.join(extra_cols)} instead)" if extra_cols else ""
        raise WorkspaceError(ERR_FEATURES.format(missing=", ".join(missing), extra=extra))
    return Model(estimator=estimator, feature_names=names, fingerprint=fingerprint, task=task)


def load_model(path: Path, data_columns: list[str], *, trusted: bool, task: str,
               trusted_types: tuple[str, ...] = ()) -> Model:
    estimator = load_estimator(path, trusted=trusted, trusted_types=trusted_types)
    return wrap_model(estimator, data_columns, fingerprint=_file_fingerprint(path), task=task)
