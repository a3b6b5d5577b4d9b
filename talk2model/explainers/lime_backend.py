"""LIME (Ribeiro et al. 2016) in the user's own columns, on request ("explain with lime").

Categorical columns are coded as integers for LIME's sampler and decoded before the model sees
them, so LIME perturbs whole categories, not one-hot bits. The explained output is the
probability of the explained class (the prediction, for regression). Each row is explained with
its own seeded random state, so the same row gives the same weights every time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SEED = 0
SAMPLES = 1000


class LimeBackend:
    method = "lime"

    def __init__(self, workspace, outputs: list[Any]) -> None:
        from lime.lime_tabular import LimeTabularExplainer

        self.model = workspace.model
        self.columns = list(self.model.feature_names)
        X = workspace.X()
        self.categories: dict[int, list[Any]] = {}
        for i, col in enumerate(self.columns):
            if not pd.api.types.is_numeric_dtype(X[col]):
                self.categories[i] = sorted(pd.unique(X[col].dropna()).tolist(), key=str)
        self.dtypes = X.dtypes
        self.classification = self.model.has_proba
        self.space = "probability" if self.classification else "prediction"
        self.outputs = outputs
        self.explainer = LimeTabularExplainer(
            self.encode(X), mode="classification" if self.classification else "regression",
            feature_names=self.columns, categorical_features=list(self.categories),
            categorical_names={i: [str(v) for v in cats] for i, cats in self.categories.items()},
            discretize_continuous=True, random_state=SEED)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)))
        for i, col in enumerate(self.columns):
            if i in self.categories:
                lookup = {v: k for k, v in enumerate(self.categories[i])}
                out[:, i] = frame[col].map(lookup).fillna(0).to_numpy(dtype=float)
            else:
                out[:, i] = frame[col].to_numpy(dtype=float)
        return out

    def decode(self, arr: np.ndarray) -> pd.DataFrame:
        data = {}
        for i, col in enumerate(self.columns):
            if i in self.categories:
                cats = self.categories[i]
                data[col] = [cats[int(round(v))] for v in np.clip(arr[:, i], 0, len(cats) - 1)]
            else:
                column = arr[:, i]
                data[col] = column.round().astype(self.dtypes[col]) \
                    if pd.api.types.is_integer_dtype(self.dtypes[col]) else column
        return pd.DataFrame(data, columns=self.columns)

    def _predict(self, arr: np.ndarray) -> np.ndarray:
        frame = self.decode(arr)
        if self.classification:
            return self.model.predict_proba(frame)
        return self.model.predict(frame).astype(float)

    def explain_row(self, row: pd.Series, output_class: Any, *, samples: int = SAMPLES
                    ) -> tuple[np.ndarray, float, float]:
        """(weights per model column, intercept, model output) for one row."""
        state = np.random.RandomState(SEED)
        self.explainer.random_state = state
        self.explainer.base.random_state = state
        if getattr(self.explainer, "discretizer", None) is not None:
            self.explainer.discretizer.random_state = state
        encoded = self.encode(row.to_frame().T)[0]
        if self.classification:
            index = list(self.model.classes_).index(output_class)
            exp = self.explainer.explain_instance(encoded, self._predict, labels=(index,),
                                                  num_features=len(self.columns), num_samples=samples)
            pairs, intercept = exp.as_map()[index], exp.intercept[index]
            output = float(self._predict(encoded[None, :])[0, index])
        else:
            exp = self.explainer.explain_instance(encoded, self._predict,
                                                  num_features=len(self.columns), num_samples=samples)
            pairs, intercept = exp.as_map()[1], exp.intercept[1] if isinstance(exp.intercept, dict) else exp.intercept
            output = float(self._predict(encoded[None, :])[0])
        weights = np.zeros(len(self.columns))
        for i, w in pairs:
            weights[i] = w
        return weights, float(intercept), output
