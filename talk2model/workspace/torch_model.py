"""A small PyTorch MLP as a scikit-learn-style classifier, loaded from a `.pt` file of plain data.

The file holds only tensors, numbers and strings (`torch.load(..., weights_only=True)`: no code
is unpickled):

    {"format": "talk2model-mlp/1",
     "architecture": {"inputs": 8, "hidden": [32, 16], "activation": "relu"},
     "feature_names": [...], "classes": [0, 1],
     "state_dict": {"scale.mean": ..., "scale.std": ..., "net.0.weight": ..., ...}}

The standardisation lives inside the module (`scale`), so the module maps raw feature values to
one logit: the log-odds of `classes[1]`. `TorchMLPClassifier` follows the estimator conventions
(`predict`, `predict_proba`, `decision_function`, `classes_`, `feature_names_in_`), so the
workspace's `Model`, scikit-learn's inspection tools and the explainers all treat it like any
other classifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from talk2model.errors import WorkspaceError

FORMAT = "talk2model-mlp/1"
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}
ERR_TORCH_FILE = "[model] {path}: not a talk2model MLP file ({why})"


class Standardize(nn.Module):
    """(x - mean) / std with the training data's statistics, stored as buffers."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class MLP(nn.Module):
    """Standardize -> (Linear -> activation) * len(hidden) -> Linear(1): one logit."""

    def __init__(self, inputs: int, hidden: list[int], activation: str = "relu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}")
        self.scale = Standardize(inputs)
        layers: list[nn.Module] = []
        width = inputs
        for size in hidden:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.scale(x))


class TorchMLPClassifier(ClassifierMixin, BaseEstimator):
    """A binary MLP with the scikit-learn classifier interface.

    Built fitted (`module`, `feature_names`, `classes`, as `load_torch_model` does) or fit with
    `fit(X, y)`: full-batch Adam on the logistic loss, seeded, on one thread, so the same data
    gives the same weights.
    """

    def __init__(self, module: nn.Module | None = None, feature_names: list[str] | None = None,
                 classes: list[Any] | None = None, *, hidden: tuple[int, ...] = (16, 8),
                 epochs: int = 150, lr: float = 0.005, weight_decay: float = 1e-2, seed: int = 0,
                 checkpoints: int = 0) -> None:
        self.module = module
        self.feature_names = feature_names
        self.classes = classes
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.checkpoints = checkpoints   # keep this many evenly spaced copies of the weights (TracIn)

    def fit(self, X: pd.DataFrame, y) -> "TorchMLPClassifier":
        y = pd.Series(np.asarray(y))
        classes = sorted(pd.unique(y).tolist())
        if len(classes) != 2:
            raise ValueError("TorchMLPClassifier handles two classes")
        X = pd.DataFrame(X)
        torch.manual_seed(self.seed)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            Xt = torch.as_tensor(X.to_numpy(dtype=np.float32))
            yt = torch.as_tensor((y.to_numpy() == classes[1]).astype(np.float32)).reshape(-1, 1)
            module = MLP(X.shape[1], list(self.hidden))
            module.scale.mean.copy_(Xt.mean(0))
            module.scale.std.copy_(Xt.std(0).clamp_min(1e-6))
            opt = torch.optim.Adam(module.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            loss_fn = nn.BCEWithLogitsLoss()
            module.train()
            at = ({round(self.epochs * (k + 1) / self.checkpoints) for k in range(self.checkpoints)}
                  if self.checkpoints else set())
            saved = []
            for epoch in range(1, self.epochs + 1):
                opt.zero_grad()
                loss_fn(module(Xt), yt).backward()
                opt.step()
                if epoch in at:
                    from talk2model.workspace.checkpoints import Checkpoint

                    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
                    saved.append(Checkpoint(epoch=epoch, lr=self.lr, state_dict=state))
            module.eval()
        finally:
            torch.set_num_threads(threads)
        self.module, self.feature_names, self.classes = module, [str(c) for c in X.columns], classes
        self.checkpoints_ = saved
        return self

    # fitted attributes, derived from the parameters
    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    @property
    def feature_names_in_(self) -> np.ndarray:
        return np.asarray(self.feature_names, dtype=object)

    @property
    def n_features_in_(self) -> int:
        return len(self.feature_names)

    def __sklearn_is_fitted__(self) -> bool:
        return self.module is not None

    def _tensor(self, X) -> torch.Tensor:
        if isinstance(X, pd.DataFrame):
            X = X[list(self.feature_names)].to_numpy(dtype=np.float32)
        return torch.as_tensor(np.asarray(X, dtype=np.float32))

    def decision_function(self, X) -> np.ndarray:
        """The logit (log-odds of classes_[1]) for each row."""
        self.module.eval()
        with torch.no_grad():
            return self.module(self._tensor(X)).numpy().astype(float).ravel()

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def to_file(self, path: Path) -> None:
        hidden = [m.out_features for m in self.module.net if isinstance(m, nn.Linear)][:-1]
        activation = next((name for name, cls in ACTIVATIONS.items()
                           if any(isinstance(m, cls) for m in self.module.net)), "relu")
        torch.save({"format": FORMAT,
                    "architecture": {"inputs": len(self.feature_names), "hidden": hidden,
                                     "activation": activation},
                    "feature_names": list(self.feature_names), "classes": list(self.classes),
                    "state_dict": self.module.state_dict()}, path)


def load_torch_model(path: Path) -> TorchMLPClassifier:
    """A `.pt` file written by `TorchMLPClassifier.to_file` (plain data only)."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds; the user sees one sentence
        raise WorkspaceError(ERR_TORCH_FILE.format(path=path.name, why=str(exc).splitlines()[0])) from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise WorkspaceError(ERR_TORCH_FILE.format(path=path.name, why=f"expected format {FORMAT}"))
    arch = blob["architecture"]
    module = MLP(int(arch["inputs"]), [int(h) for h in arch["hidden"]], arch.get("activation", "relu"))
    try:
        module.load_state_dict(blob["state_dict"])
    except RuntimeError as exc:
        raise WorkspaceError(ERR_TORCH_FILE.format(path=path.name, why=str(exc).splitlines()[0])) from None
    module.eval()
    return TorchMLPClassifier(module, list(blob["feature_names"]), list(blob["classes"]),
                              hidden=tuple(int(h) for h in arch["hidden"]))
