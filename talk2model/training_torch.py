"""Train the `diabetes-mlp` demo model: a small PyTorch MLP on ttm/diabetes_train.csv.

Fixed seeds and full-batch training on one thread make the weights the same on every run. The
standardisation statistics are stored inside the module, so the file maps raw values to a logit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, roc_auc_score

from talk2model.workspace.torch_model import MLP, TorchMLPClassifier

SEED = 0
HIDDEN = [16, 8]
EPOCHS = 150


def fit_mlp(X: pd.DataFrame, y: pd.Series, *, hidden: list[int] = HIDDEN, epochs: int = EPOCHS,
            lr: float = 0.005, weight_decay: float = 1e-2, seed: int = SEED) -> TorchMLPClassifier:
    """A binary MLP fit with full-batch Adam on the logistic loss."""
    torch.manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        classes = sorted(pd.unique(y).tolist())
        if len(classes) != 2:
            raise ValueError("the MLP trainer handles two classes")
        Xt = torch.as_tensor(X.to_numpy(dtype=np.float32))
        yt = torch.as_tensor((y.to_numpy() == classes[1]).astype(np.float32)).reshape(-1, 1)
        module = MLP(X.shape[1], hidden)
        module.scale.mean.copy_(Xt.mean(0))
        module.scale.std.copy_(Xt.std(0).clamp_min(1e-6))
        opt = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=weight_decay)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        module.train()
        for _ in range(epochs):
            opt.zero_grad()
            loss = loss_fn(module(Xt), yt)
            loss.backward()
            opt.step()
        module.eval()
    finally:
        torch.set_num_threads(threads)
    return TorchMLPClassifier(module, [str(c) for c in X.columns], classes)


def train_diabetes_mlp(data: Path, out: Path) -> dict:
    train = pd.read_csv(data / "ttm" / "diabetes_train.csv", index_col=0)
    test = pd.read_csv(data / "ttm" / "diabetes_test.csv", index_col=0)
    X, y = train.drop(columns="y"), train["y"]
    Xt, yt = test.drop(columns="y"), test["y"]
    model = fit_mlp(X, y)
    model.to_file(out / "diabetes-mlp.pt", hidden=HIDDEN)
    return {"accuracy": float(accuracy_score(yt, model.predict(Xt))),
            "roc_auc": float(roc_auc_score(yt, model.predict_proba(Xt)[:, 1])),
            "test_rows": int(len(yt))}
