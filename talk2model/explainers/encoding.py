"""From the user's columns to the numbers the final estimator reads, and back.

A pipeline is split into its preprocessing (every step but the last) and its final estimator.
Explainers work on the transformed matrix; `Encoding.source` names, for every transformed column,
the user's column it came from (a one-hot column belongs to its categorical column, a member of a
`[schema.groups]` one-hot group to the group), so attributions can be summed back to the features
people know.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd


def split_pipeline(estimator: Any) -> tuple[Any | None, Any]:
    """(preprocessing or None, final estimator)."""
    steps = getattr(estimator, "steps", None)
    if steps and len(steps) > 1:
        return estimator[:-1], steps[-1][1]
    if steps:
        return None, steps[-1][1]
    return None, estimator


def _n_out_onehot(encoder, n_in: int) -> list[int] | None:
    counts = getattr(encoder, "_n_features_outs", None)
    if counts is not None and len(counts) == n_in:
        return [int(c) for c in counts]
    cats = getattr(encoder, "categories_", None)
    if cats is None:
        return None
    drop = getattr(encoder, "drop_idx_", None)
    return [len(c) - (1 if drop is not None and drop[i] is not None else 0) for i, c in enumerate(cats)]


def _by_prefix(names: list[str], inputs: list[str]) -> list[str]:
    out = []
    for name in names:
        match = [c for c in inputs if name == c or name.startswith(f"{c}_")]
        out.append(max(match, key=len) if match else name)
    return out


def source_map(transformer: Any, inputs: list[str]) -> list[str]:
    """For each output column of a fitted transformer, the input column it came from."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    if transformer is None or transformer == "passthrough":
        return list(inputs)
    if isinstance(transformer, Pipeline):
        current = list(inputs)
        for _, step in transformer.steps:
            if step is None or step == "passthrough":
                continue
            current = source_map(step, current)
        return current
    if isinstance(transformer, ColumnTransformer):
        names_in = list(getattr(transformer, "feature_names_in_", inputs))
        n_out = sum(s.stop - s.start for s in transformer.output_indices_.values())
        out: list[str | None] = [None] * n_out
        for name, trans, cols in transformer.transformers_:
            part = transformer.output_indices_.get(name)
            if trans == "drop" or part is None or part.stop == part.start:
                continue
            cols = _column_names(cols, names_in)
            mapped = source_map(trans, cols)
            out[part.start:part.stop] = [mapped[i] if i < len(mapped) else cols[0] for i in range(part.stop - part.start)]
        return [o if o is not None else "?" for o in out]
    if isinstance(transformer, OneHotEncoder):
        counts = _n_out_onehot(transformer, len(inputs))
        if counts is not None:
            return [col for col, n in zip(inputs, counts) for _ in range(n)]
    try:
        names = [str(n) for n in transformer.get_feature_names_out(inputs)]
    except Exception:  # a transformer without feature names: assume one column per input
        return list(inputs)
    if len(names) == len(inputs):
        return list(inputs)
    return _by_prefix(names, inputs)


def _column_names(cols: Any, names_in: list[str]) -> list[str]:
    if isinstance(cols, str):
        return [cols]
    if isinstance(cols, slice):
        return names_in[cols]
    cols = list(cols)
    if cols and isinstance(cols[0], (bool, np.bool_)):
        return [n for n, keep in zip(names_in, cols) if keep]
    if cols and isinstance(cols[0], (int, np.integer)):
        return [names_in[i] for i in cols]
    return [str(c) for c in cols]


@dataclass
class Encoding:
    """How a workspace's model reads its data: `transform(frame)` -> matrix, and the way back."""

    preprocess: Any | None
    final: Any
    columns: list[str]        # the model's input columns, in order
    transformed: list[str]    # names of the transformed columns
    source: list[str]         # for each transformed column, the user's feature (or group) name
    features: list[str]       # the user's features (groups as one), in the model's column order

    @classmethod
    def of(cls, model, groups: dict[str, tuple[str, ...]] | None = None) -> "Encoding":
        pre, final = split_pipeline(model.estimator)
        columns = list(model.feature_names)
        source = source_map(pre, columns) if pre is not None else list(columns)
        try:
            transformed = [str(n) for n in pre.get_feature_names_out()] if pre is not None else list(columns)
        except Exception:
            transformed = [f"x{i}" for i in range(len(source))]
        group_of = {c: g for g, members in (groups or {}).items() for c in members}
        source = [group_of.get(s, s) for s in source]
        features: list[str] = []
        for col in columns:
            name = group_of.get(col, col)
            if name not in features and name in source:
                features.append(name)
        for name in source:  # anything a transformer invented that maps to no input column
            if name not in features:
                features.append(name)
        return cls(pre, final, columns, transformed, source, features)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        X = frame[self.columns]
        if self.preprocess is None:
            return X.to_numpy(dtype=float)
        Z = self.preprocess.transform(X)
        if hasattr(Z, "toarray"):
            Z = Z.toarray()
        return np.asarray(Z, dtype=float)

    @cached_property
    def aggregator(self) -> np.ndarray:
        """(transformed columns x features) 0/1 matrix: values @ aggregator sums to features."""
        index = {f: j for j, f in enumerate(self.features)}
        out = np.zeros((len(self.source), len(self.features)))
        for i, s in enumerate(self.source):
            out[i, index[s]] = 1.0
        return out

    @cached_property
    def layout(self) -> str:
        """A short hash of the feature list: part of every cache key."""
        import hashlib

        return hashlib.sha256("\x1f".join(self.features).encode()).hexdigest()[:12]
