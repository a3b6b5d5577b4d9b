"""Influence of training examples: TracIn (Pruthi et al. 2020) through Captum's `TracInCPFast`.

    index = influence_index(workspace)         # one per model; OperationError without checkpoints
    scores = index.influence(X, y)              # n_test x n_train: how much each training example's
                                                # gradient steps lowered the test example's loss
    self_scores = index.self_influence()        # per training example (computed once, cached)

TracIn sums, over the checkpoints saved during training, the learning rate times the dot product of
the loss gradients of the training and the test example. Captum's fast variants take the gradients
of the final fully-connected layer only, where the product factors into (output gradients) x
(layer inputs). Test examples go through `TracInCPFastRandProj` without a projection (exact): its
one-off precompute keeps every training example's factors per checkpoint, so a question costs one
pass of the test example per checkpoint and a matrix product (`ExactNeighbours` stands in for its
default Annoy index, a package we do not need). Self-influence (a training example with itself:
high for the examples the model found hard to fit, which is how label errors show, Pruthi et al.
section 4.1) goes through `TracInCPFast`, as Captum advises, and is computed once.

The checkpoints come from the workspace's `[training]` table (`talk2model.workspace.checkpoints`);
they are loaded into a copy of the network, so the live model is never touched.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from talk2model import deadline
from talk2model.errors import OperationError
from talk2model.explainers.network import Network, network, one_thread

BATCH = 512
ERR_NO_CHECKPOINTS = ("influence traces the model's training through checkpoints saved while it was "
                      "trained, and this workspace names none (add a [training] table with checkpoints = "
                      "a file; the built-in digits and diabetes-mlp workspaces have them)")
ERR_NO_TRAINING_ROWS = ("influence needs the rows the model was trained on: this workspace knows none "
                        "(give [model] train_ids, or [training.data] for a table)")

_LOCK = threading.Lock()
_INDEXES: dict[tuple, "WorkspaceInfluence"] = {}
KEEP = 4   # indexes kept in memory (one per model and training set)


def _exact_neighbours():
    from captum.influence._utils.nearest_neighbors import NearestNeighbors

    class ExactNeighbours(NearestNeighbors):
        """The training examples with the largest dot product with a query: all of them, exactly."""

        def setup(self, data: torch.Tensor) -> None:
            self.data = data.reshape(len(data), -1)

        def get_nearest_neighbors(self, query: torch.Tensor, k: int):
            scores = query.reshape(len(query), -1) @ self.data.T
            values, indices = torch.topk(scores, min(k, scores.shape[1]), dim=1)
            return indices, values

    return ExactNeighbours()


class TracInIndex:
    """TracInCPFast over a module, its checkpoints and its training examples."""

    def __init__(self, module: nn.Module, checkpoints: list, X: np.ndarray, y: np.ndarray, ids: list, *,
                 final_layer: nn.Module | None = None, binary_logit: bool = False) -> None:
        """`module` maps inputs to logits (or, with `binary_logit`, to one logit: the log-odds of the
        second class); `checkpoints` are `Checkpoint`s of its state dict; `y` class indices."""
        from torch.utils.data import DataLoader, TensorDataset

        self.module = copy.deepcopy(module).eval()
        self.checkpoints = {f"checkpoint-{k:03d}": c for k, c in enumerate(checkpoints)}
        self.ids = list(ids)
        self.y = np.asarray(y)
        self.binary_logit = binary_logit
        layer = final_layer if final_layer is not None else [m for m in self.module.modules()
                                                             if isinstance(m, nn.Linear)][-1]
        if final_layer is not None:   # the same layer in the copy
            names = {id(m): n for n, m in module.named_modules()}
            layer = dict(self.module.named_modules())[names[id(final_layer)]]
        self.loss = nn.BCEWithLogitsLoss(reduction="sum") if binary_logit else nn.CrossEntropyLoss(reduction="sum")
        data = TensorDataset(torch.as_tensor(np.asarray(X, dtype=np.float32)), self._targets(self.y))
        self._loader = DataLoader(data, batch_size=BATCH, shuffle=False)
        self._layer = layer
        self._fast = None
        self._self: np.ndarray | None = None
        self.self_seconds: float | None = None
        self.precompute_seconds: float | None = None
        self._lock = threading.Lock()
        self._query = None

    def _tracin(self, kind: str):
        from captum.influence import TracInCPFast, TracInCPFastRandProj

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "fast":
                return TracInCPFast(self.module, self._layer, self._loader, list(self.checkpoints),
                                    checkpoints_load_func=self._load, loss_fn=self.loss, batch_size=BATCH)
            return TracInCPFastRandProj(self.module, self._layer, self._loader, list(self.checkpoints),
                                        checkpoints_load_func=self._load, loss_fn=self.loss, batch_size=BATCH,
                                        nearest_neighbors=_exact_neighbours(), projection_dim=None)

    def precompute(self) -> float:
        """Keep every training example's gradient factors per checkpoint (once); seconds it took."""
        with self._lock:
            if self._query is None:
                started = time.perf_counter()
                self._query = self._tracin("query")
                self.precompute_seconds = time.perf_counter() - started
        return self.precompute_seconds or 0.0

    def _targets(self, y: np.ndarray) -> torch.Tensor:
        if self.binary_logit:
            return torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1)
        return torch.as_tensor(np.asarray(y, dtype=np.int64))

    def _load(self, model: nn.Module, name: str) -> float:
        deadline.check()
        checkpoint = self.checkpoints[name]
        model.load_state_dict(checkpoint.state_dict)
        model.eval()
        return float(checkpoint.lr)

    def influence(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """n_test x n_train TracIn scores (positive: the training example's steps lowered the test
        example's loss — a proponent; negative: raised it — an opponent)."""
        self.precompute()
        inputs = (torch.as_tensor(np.asarray(X, dtype=np.float32)), self._targets(np.asarray(y)))
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = self._query.influence(inputs, k=None)
        return scores.detach().numpy()

    def influence_direct(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The same scores by `TracInCPFast` without the precompute (a pass over the training set
        per checkpoint): the reference the precomputed scores are tested against."""
        inputs = (torch.as_tensor(np.asarray(X, dtype=np.float32)), self._targets(np.asarray(y)))
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._tracin("fast").influence(inputs, k=None).detach().numpy()

    def self_influence(self) -> np.ndarray:
        """Each training example's influence on itself (computed once)."""
        with self._lock:
            if self._self is None:
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fast = self._tracin("fast")
                    self._self = fast.self_influence(None, outer_loop_by_checkpoints=True).detach().numpy()
                self.self_seconds = time.perf_counter() - started
            return self._self


@dataclass
class TrainingRows:
    ids: list
    labels: list            # class values
    X: np.ndarray           # the network's inputs
    frame: pd.DataFrame | None = None   # tables: the training rows themselves


def training_rows(workspace, net: Network) -> TrainingRows:
    if workspace.kind == "image":
        if not workspace.train_ids:
            raise OperationError(ERR_NO_TRAINING_ROWS)
        ids = [i for i in workspace.data.index if i in workspace.train_ids]
        labels = list(workspace.data.loc[ids, workspace.schema.target])
        return TrainingRows(ids=ids, labels=labels, X=workspace.pixels(ids))
    frame = workspace.training.load_data() if workspace.training is not None else None
    if frame is None:
        if not workspace.train_ids:
            raise OperationError(ERR_NO_TRAINING_ROWS)
        frame = workspace.data.loc[[i for i in workspace.data.index if i in workspace.train_ids]]
    target = workspace.schema.target
    return TrainingRows(ids=list(frame.index), labels=list(frame[target]),
                        X=frame[net.feature_names].to_numpy(dtype=np.float32), frame=frame)


class WorkspaceInfluence:
    """A workspace's TracIn index, its training rows and its network."""

    def __init__(self, workspace) -> None:
        one_thread()
        self.net = network(workspace, "Influence")
        if workspace.training is None:
            raise OperationError(ERR_NO_CHECKPOINTS)
        self.rows = training_rows(workspace, self.net)
        checkpoints = workspace.training.load_checkpoints()
        y = np.array([self.net.class_index(v) for v in self.rows.labels])
        binary = self.net.kind == "table"
        module = self.net.raw if binary else self.net.module
        self.index = TracInIndex(module, checkpoints, self.rows.X, y, self.rows.ids, binary_logit=binary)

    def influence(self, X: np.ndarray, classes: list[int]) -> np.ndarray:
        return self.index.influence(X, np.asarray(classes))


def influence_index(workspace) -> WorkspaceInfluence:
    """One index per model and training set (an uploaded image's workspace shares its model's)."""
    key = (workspace.model_fingerprint, str(workspace.training.checkpoints) if workspace.training else None)
    with _LOCK:
        found = _INDEXES.get(key)
        if found is None:
            found = _INDEXES[key] = WorkspaceInfluence(workspace)
            while len(_INDEXES) > KEEP:
                _INDEXES.pop(next(iter(_INDEXES)))
        return found
