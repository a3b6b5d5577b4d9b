"""SHAP back-ends, one per kind of model, all working on the transformed matrix.

    tree         shap.TreeExplainer (path-dependent: no background needed, exact, fast)
    linear       shap.LinearExplainer (interventional: coef * (x - background mean))
    deep         shap.DeepExplainer on a PyTorch module (Deep SHAP: DeepLIFT + Shapley values)
    permutation  shap.PermutationExplainer with a small background, for any other model

Every back-end returns SHAP values for each of its outputs, the base values and the model's own
outputs, in the output space it names (`log-odds`, `probability` or `prediction`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import warnings
from typing import Any

import numpy as np

TREE_TYPES = ("GradientBoosting", "HistGradientBoosting", "RandomForest", "ExtraTrees", "DecisionTree",
              "XGB", "LGBM", "CatBoost", "IsolationForest")
MARGIN_TREES = ("GradientBoosting", "HistGradientBoosting", "XGB", "LGBM", "CatBoost")
LINEAR_TYPES = ("LogisticRegression", "LinearRegression", "Ridge", "RidgeClassifier", "Lasso",
                "ElasticNet", "SGDClassifier", "SGDRegressor", "LinearSVC", "LinearSVR",
                "RidgeCV", "LassoCV", "LogisticRegressionCV", "BayesianRidge", "HuberRegressor")
BACKGROUND_ROWS = {"linear": 2000, "deep": 100, "permutation": 50}
SEED = 0


def background(Z: np.ndarray, method: str) -> np.ndarray:
    """The rows a background-based explainer compares against: all, or a seeded sample."""
    size = BACKGROUND_ROWS.get(method, 100)
    if len(Z) <= size:
        return Z
    rng = np.random.default_rng(SEED)
    return Z[np.sort(rng.choice(len(Z), size, replace=False))]


class Backend(ABC):
    method: str = ""
    space: str = ""
    outputs: list[Any]   # the class each output column explains (None for regression)

    @abstractmethod
    def explain(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values (n, m, k), base (k,), output (n, k))."""

    @abstractmethod
    def output(self, Z: np.ndarray) -> np.ndarray:
        """The model's outputs (n, k) in this back-end's space, one column per `outputs`."""


def _named(final, Z: np.ndarray):
    """Z as a frame with the estimator's own column names when it was fit on a frame."""
    names = getattr(final, "feature_names_in_", None)
    if names is not None and len(names) == Z.shape[1] and not hasattr(final, "module"):
        import pandas as pd

        return pd.DataFrame(Z, columns=list(names))
    return Z


def _classes(final) -> list[Any]:
    return list(getattr(final, "classes_", []))


def _is_classifier(final) -> bool:
    return hasattr(final, "classes_") and hasattr(final, "predict_proba")


class TreeBackend(Backend):
    method = "shap-tree"

    def __init__(self, final) -> None:
        import shap

        self.final = final
        self.explainer = shap.TreeExplainer(final)
        classes = _classes(final)
        name = type(final).__name__
        if not _is_classifier(final):
            self.space, self.outputs = "prediction", [None]
        elif name.startswith(MARGIN_TREES):
            self.space = "log-odds"
            self.outputs = [classes[1]] if len(classes) == 2 else classes
        else:
            self.space, self.outputs = "probability", classes

    def output(self, Z: np.ndarray) -> np.ndarray:
        if self.space == "prediction":
            return np.asarray(self.final.predict(_named(self.final, Z)), dtype=float).reshape(len(Z), -1)
        if self.space == "probability":
            return np.asarray(self.final.predict_proba(_named(self.final, Z)), dtype=float)
        return np.asarray(self.final.decision_function(_named(self.final, Z)), dtype=float).reshape(len(Z), -1)

    def explain(self, Z):
        values = np.asarray(self.explainer.shap_values(Z, check_additivity=False), dtype=float)
        if values.ndim == 2:
            values = values[:, :, None]
        base = np.atleast_1d(np.asarray(self.explainer.expected_value, dtype=float))
        return values, base, self.output(Z)

    def interactions(self, Z: np.ndarray, output: np.ndarray) -> np.ndarray:
        """(n, m, m) SHAP interaction values, for each row the output `output[row]`."""
        values = np.asarray(self.explainer.shap_interaction_values(Z), dtype=float)
        if values.ndim == 4:
            return values[np.arange(len(Z)), :, :, np.asarray(output)]
        return values


class LinearBackend(Backend):
    method = "shap-linear"

    def __init__(self, final, Z_background: np.ndarray) -> None:
        import shap

        self.final = final
        self.background = background(Z_background, "linear")
        # an explicit masker: a bare matrix would be subsampled to 100 rows
        masker = shap.maskers.Independent(self.background, max_samples=len(self.background))
        self.explainer = shap.LinearExplainer(final, masker)
        classes = _classes(final)
        if _is_classifier(final) or hasattr(final, "decision_function") and classes:
            self.space = "log-odds" if hasattr(final, "predict_proba") else "decision score"
            self.outputs = [classes[1]] if len(classes) == 2 else classes
        else:
            self.space, self.outputs = "prediction", [None]

    def explain(self, Z):
        values = np.asarray(self.explainer.shap_values(Z), dtype=float)
        if values.ndim == 2:
            values = values[:, :, None]
        base = np.atleast_1d(np.asarray(self.explainer.expected_value, dtype=float))
        # linear SHAP is exact: the model's output is the base plus the attributions, so there is
        # no need to run the model again (that second pass was most of the overhead over shap)
        return values, base, base[None, :] + values.sum(axis=1)

    def output(self, Z):
        if self.space == "prediction":
            return np.asarray(self.final.predict(_named(self.final, Z)), dtype=float).reshape(len(Z), -1)
        return np.asarray(self.final.decision_function(_named(self.final, Z)), dtype=float).reshape(len(Z), -1)


class DeepBackend(Backend):
    method = "shap-deep"
    space = "log-odds"

    def __init__(self, final, Z_background: np.ndarray) -> None:
        import shap
        import torch

        self.final = final
        self.torch = torch
        self.background = background(Z_background, "deep")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.explainer = shap.DeepExplainer(final.module, torch.as_tensor(self.background, dtype=torch.float32))
        self.outputs = [_classes(final)[1]]

    def explain(self, Z):
        tensor = self.torch.as_tensor(np.asarray(Z, dtype=np.float32))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.asarray(self.explainer.shap_values(tensor, check_additivity=False), dtype=float)
        values = values.reshape(len(Z), Z.shape[1], -1)
        base = np.atleast_1d(np.asarray(self.explainer.expected_value, dtype=float)).ravel()
        return values, base, self.output(Z)

    def output(self, Z):
        return self.final.decision_function(Z).reshape(len(Z), -1)


class PermutationBackend(Backend):
    """Model-agnostic: exact additivity, cost ~ 2 * features * background rows per row."""

    method = "shap-permutation"

    def __init__(self, final, Z_background: np.ndarray) -> None:
        import shap

        self.final = final
        self.background = background(Z_background, "permutation")
        classes = _classes(final)
        if _is_classifier(final):
            self.space = "probability"
            self.outputs = [classes[1]] if len(classes) == 2 else classes
            cols = [1] if len(classes) == 2 else list(range(len(classes)))
            self.f = lambda Z: np.asarray(final.predict_proba(_named(final, Z)), dtype=float)[:, cols]
        else:
            self.space, self.outputs = "prediction", [None]
            self.f = lambda Z: np.asarray(final.predict(_named(final, Z)), dtype=float).reshape(len(Z), 1)
        masker = shap.maskers.Independent(self.background, max_samples=len(self.background))
        self.explainer = shap.PermutationExplainer(self.f, masker, seed=SEED)

    def explain(self, Z):
        m = Z.shape[1]
        result = self.explainer(Z, max_evals=max(2 * m + 1, 10 * m), silent=True)
        values = np.asarray(result.values, dtype=float).reshape(len(Z), m, -1)
        base = np.asarray(result.base_values, dtype=float).reshape(len(Z), -1)[0]
        return values, base, self.f(Z)

    def output(self, Z):
        return self.f(Z)


def choose(final, background_rows) -> Backend:
    """The right SHAP algorithm for the final estimator; `background_rows()` gives the
    transformed workspace data, asked for only by the explainers that need a background."""
    name = type(final).__name__
    if name == "TorchMLPClassifier":
        return DeepBackend(final, background_rows())
    if name.startswith(TREE_TYPES):
        try:
            return TreeBackend(final)
        except Exception:  # a tree type shap does not know: fall back below
            pass
    if name in LINEAR_TYPES and hasattr(final, "coef_"):
        return LinearBackend(final, background_rows())
    return PermutationBackend(final, background_rows())
