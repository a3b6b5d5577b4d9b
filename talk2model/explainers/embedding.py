"""The network's last hidden representation in 2-D: PCA or t-SNE (scikit-learn), cached per model.

    emb = embedding(workspace, "tsne")    # Embedding: ids, coords (N x 2), of every row of the data
    emb.coords[emb.position(ids)]

The representation is the input of the network's last linear layer (the CNN's 64 units after its
first fully-connected layer; the MLP's last hidden layer), read with Captum's `LayerActivation`.
Every row of the workspace is embedded once per model and method (t-SNE depends on all the points,
so a selection is a subset of the same map, not a map of its own), with a fixed seed: the same
model and data give the same coordinates.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from talk2model.explainers.network import network, one_thread

SEED = 0
PERPLEXITY = 30.0
TSNE_ITERATIONS = 500   # half scikit-learn's default: the 1,797 digits settle by then, in half the time
KEEP = 8
_LOCK = threading.Lock()
_CACHE: dict[tuple, "Embedding"] = {}


@dataclass
class Embedding:
    method: str
    ids: pd.Index
    coords: np.ndarray          # N x 2
    width: int                  # units in the layer
    layer: str
    seconds: float
    explained: list[float] | None = None   # PCA: the variance share of the two components

    def position(self, ids) -> np.ndarray:
        return self.ids.get_indexer(pd.Index(ids))


def representations(module: torch.nn.Module, layer: torch.nn.Module, X: np.ndarray, batch: int = 1024) -> np.ndarray:
    """The input of `layer` for each row of X, through Captum's LayerActivation."""
    from talk2model.explainers.network import layer_activations

    return layer_activations(module, layer, X, batch, layer_input=True)


def project(H: np.ndarray, method: str, *, seed: int = SEED) -> tuple[np.ndarray, list[float] | None]:
    """2-D coordinates of the rows of H: PCA, or t-SNE (Barnes-Hut, PCA start, seeded)."""
    from sklearn.decomposition import PCA

    if method == "pca":
        pca = PCA(n_components=2, random_state=seed).fit(H)
        return pca.transform(H), [float(v) for v in pca.explained_variance_ratio_]
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    perplexity = min(PERPLEXITY, max(2.0, (len(H) - 1) / 3))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, learning_rate="auto",
                max_iter=TSNE_ITERATIONS)
    with threadpool_limits(1):   # on the shared 2-core machine a second OpenMP thread made it 4x slower
        return tsne.fit_transform(H.astype(np.float32)), None


def embedding(workspace, method: str) -> Embedding:
    net = network(workspace, "The embedding map")
    key = (workspace.model_fingerprint, workspace.data_fingerprint, method)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    one_thread()
    started = time.perf_counter()
    layer = net.hidden_layer
    names = {id(m): n for n, m in net.module.named_modules()}
    X = net.frame_inputs(workspace.data)
    H = representations(net.module, layer, X)
    coords, explained = project(H, method)
    found = Embedding(method=method, ids=workspace.data.index, coords=coords, width=H.shape[1],
                      layer=names.get(id(layer), "the last linear layer"), seconds=time.perf_counter() - started,
                      explained=explained)
    with _LOCK:
        _CACHE[key] = found
        while len(_CACHE) > KEEP:
            _CACHE.pop(next(iter(_CACHE)))
    return found


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
