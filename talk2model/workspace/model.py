"""Loading and wrapping a workspace's model.

skops files load with only scikit-learn / numpy / scipy types trusted. joblib and pickle files
run code when loaded, so they load only when the workspace says `trusted = true`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError

ERR_NO_MODEL = "[model] path: no file at {path}; train the demo models with `make models` or fix the path"
ERR_UNTRUSTED = (
    "[model] {path} is a {fmt} file, and loading it runs code from the file; "
    "set trusted = true under [model] only if you trust where it came from"
)
ERR_SKOPS_TYPES = (
    "[model] {path} contains types that are not part of scikit-learn, numpy or scipy ({types}); "
    "set trusted = true under [model] to load it anyway"
)
ERR_FORMAT = "[model] cannot load '{suffix}' files; use .skops, .pt (talk2model MLP), or .joblib / .pkl with trusted = true"
ERR_FEATURES = (
    "the model expects features {missing} that the data does not have{extra}; "
    "the data's columns must match the features the model was trained on"
)

_SAFE_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.", "talk2model.")


def _file_fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_estimator(path: Path, *, trusted: bool = False) -> Any:
    if not path.is_file():
        raise WorkspaceError(ERR_NO_MODEL.format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        unsafe = [t for t in untrusted if not t.startswith(_SAFE_PREFIXES)]
        if unsafe and not trusted:
            raise WorkspaceError(ERR_SKOPS_TYPES.format(path=path.name, types=", ".join(unsafe)))
        return sio.load(path, trusted=untrusted)
    if suffix in (".joblib", ".pkl", ".pickle"):
        if not trusted:
            fmt = "joblib" if suffix == ".joblib" else "pickle"
            raise WorkspaceError(ERR_UNTRUSTED.format(path=path.name, fmt=fmt))
        import joblib

        return joblib.load(path)
    if suffix == ".pt":  # a talk2model MLP file: tensors and plain data only, no pickled code
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
        return np.asarray(self.estimator.predict(self._frame(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict_proba(self._frame(X)))

    @property
    def has_proba(self) -> bool:
        return self.task == "classification" and hasattr(self.estimator, "predict_proba")


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


def load_model(path: Path, data_columns: list[str], *, trusted: bool, task: str) -> Model:
    estimator = load_estimator(path, trusted=trusted)
    return wrap_model(estimator, data_columns, fingerprint=_file_fingerprint(path), task=task)
