"""Train the `diabetes-mlp` demo model: a small PyTorch MLP on ttm/diabetes_train.csv.

Fixed seeds and full-batch training on one thread make the weights the same on every run. The
standardisation statistics are stored inside the module, so the file maps raw values to a logit.
The weights after every 30 epochs go to models/diabetes-mlp.checkpoints.pt (influence reads them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score

from talk2model.workspace.checkpoints import save_checkpoints
from talk2model.workspace.torch_model import TorchMLPClassifier

SEED = 0
HIDDEN = (16, 8)
CHECKPOINTS = 5   # weights after epochs 30, 60, ..., 150, for influence (TracIn)


def train_diabetes_mlp(data: Path, out: Path) -> dict:
    train = pd.read_csv(data / "ttm" / "diabetes_train.csv", index_col=0)
    test = pd.read_csv(data / "ttm" / "diabetes_test.csv", index_col=0)
    X, y = train.drop(columns="y"), train["y"]
    Xt, yt = test.drop(columns="y"), test["y"]
    model = TorchMLPClassifier(hidden=HIDDEN, epochs=150, lr=0.005, weight_decay=1e-2, seed=SEED,
                               checkpoints=CHECKPOINTS).fit(X, y)
    model.to_file(out / "diabetes-mlp.pt")
    save_checkpoints(out / "diabetes-mlp.checkpoints.pt", model.checkpoints_)
    return {"accuracy": float(accuracy_score(yt, model.predict(Xt))),
            "roc_auc": float(roc_auc_score(yt, model.predict_proba(Xt)[:, 1])),
            "test_rows": int(len(yt))}
