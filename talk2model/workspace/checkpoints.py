"""Training checkpoints, for influence (TracIn): what a workspace's `[training]` table names.

    [training]
    checkpoints = "../models/digits-cnn.checkpoints.pt"   # weights at a few points of training
    [training.data]                                        # the rows the model was fit on, when the
    path = "../data/ttm/diabetes_train.csv"                # workspace's own data are not them
    index_column = 0

A checkpoints file holds only tensors, numbers and strings (`torch.load(weights_only=True)`: no
code is unpickled):

    {"format": "talk2model-checkpoints/1",
     "checkpoints": [{"epoch": 5, "lr": 0.0021, "state_dict": {...}}, ...]}

`lr` is the mean learning rate over the epochs since the previous checkpoint: TracIn weighs each
checkpoint's gradient products by the step size that led to it (Pruthi et al. 2020).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from talk2model.errors import WorkspaceError

FORMAT = "talk2model-checkpoints/1"
ERR_NO_CHECKPOINTS = ("[training] checkpoints: no file at {path}; train the demo models with `make models`, "
                      "or point it at a checkpoints file")
ERR_CHECKPOINTS = ("[training] {name} is not a talk2model checkpoints file ({why}); save "
                   "{{\"format\": \"" + FORMAT + "\", \"checkpoints\": [{{\"epoch\", \"lr\", \"state_dict\"}}, ...]}} "
                   "with torch.save")
ERR_TRAINING_TABLE = "[training] must be a table with checkpoints = a file path (and optionally [training.data])"


@dataclass(frozen=True)
class Checkpoint:
    epoch: int
    lr: float
    state_dict: dict


@dataclass(frozen=True)
class TrainingSpec:
    """Where a workspace's training checkpoints (and, for tables, training rows) are."""

    checkpoints: Path
    data: dict | None = None     # a [data]-like table; None: the workspace's rows in train_ids
    base: Path = Path(".")

    def load_checkpoints(self) -> list[Checkpoint]:
        return load_checkpoints(self.checkpoints)

    def load_data(self) -> pd.DataFrame | None:
        if self.data is None:
            return None
        from talk2model.workspace.data import load_table

        return load_table(self.data, self.base)


def training_spec(table: Any, base: Path) -> TrainingSpec | None:
    if table is None:
        return None
    if not isinstance(table, dict) or not isinstance(table.get("checkpoints"), str):
        raise WorkspaceError(ERR_TRAINING_TABLE)
    data = table.get("data")
    if data is not None and not isinstance(data, dict):
        raise WorkspaceError(ERR_TRAINING_TABLE)
    return TrainingSpec(checkpoints=(base / table["checkpoints"]).resolve(), data=data, base=base)


def save_checkpoints(path: Path, checkpoints: list[Checkpoint]) -> None:
    import torch

    torch.save({"format": FORMAT,
                "checkpoints": [{"epoch": int(c.epoch), "lr": float(c.lr), "state_dict": c.state_dict}
                                for c in checkpoints]}, path)


def load_checkpoints(path: Path) -> list[Checkpoint]:
    import torch

    if not path.is_file():
        raise WorkspaceError(ERR_NO_CHECKPOINTS.format(path=path))
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickled object, a damaged file
        raise WorkspaceError(ERR_CHECKPOINTS.format(name=path.name, why=str(exc).strip().splitlines()[0][:200])) from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or not isinstance(blob.get("checkpoints"), list) \
            or not blob["checkpoints"]:
        raise WorkspaceError(ERR_CHECKPOINTS.format(name=path.name, why=f"expected format {FORMAT}"))
    out = []
    for item in blob["checkpoints"]:
        if not isinstance(item, dict) or not isinstance(item.get("state_dict"), dict) \
                or not all(isinstance(v, torch.Tensor) for v in item["state_dict"].values()):
            raise WorkspaceError(ERR_CHECKPOINTS.format(name=path.name, why="a checkpoint without a state dict"))
        out.append(Checkpoint(epoch=int(item.get("epoch", len(out))), lr=float(item.get("lr", 1.0)),
                              state_dict=item["state_dict"]))
    return out
