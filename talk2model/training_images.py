"""Train the `digits` demo model: a small CNN on scikit-learn's bundled handwritten digits.

    data/digits/digits.npz     the 1,797 8x8 images (values 0..16), their labels and ids (0..1796),
                               written from sklearn.datasets.load_digits (offline, bundled)
    models/digits-cnn.pt       the CNN's state dict only (architecture "digits-cnn")
    models/digits.train_ids.json   the 80% it was fit on (stratified, seed 0); the other 360 score it
    models/digits-cnn.checkpoints.pt   the weights after epochs 5, 10, 15, 20 and 25 with the mean
                               learning rate before each (TracIn's influence reads them)

Fixed seeds, one thread and a fixed order of mini-batches make the run repeatable; it takes
about 20 seconds on one core. Mini-batches are shifted by up to one pixel (the same shift for
the whole batch), which makes the model less fussy about where a drawn digit sits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SEED = 0
EPOCHS = 25
BATCH = 64
MAX_LR = 3e-3
CHECKPOINTS = 5   # saved for influence (TracIn): models/digits-cnn.checkpoints.pt


def digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.uint8)          # 0..16 ink
    return images, digits.target.astype(np.int64), np.arange(len(images))


def fit_digits_cnn(images: np.ndarray, labels: np.ndarray, train: np.ndarray, *, epochs: int = EPOCHS,
                   checkpoints: int = CHECKPOINTS, seed: int = SEED):
    """The digits CNN fit on `images[train]` (values 0..16, N x 8 x 8) with `labels[train]`, and
    `checkpoints` Checkpoints evenly spaced over training (the last is the final weights), each with
    the mean learning rate of the epochs before it. Seeded, one thread, a fixed batch order."""
    import torch
    from torch import nn

    from talk2model.workspace.architectures import build
    from talk2model.workspace.checkpoints import Checkpoint

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    saved: list = []
    try:
        torch.manual_seed(seed)
        net = build("digits-cnn", {})
        X = torch.as_tensor(images[train, None].astype(np.float32))
        y = torch.as_tensor(labels[train])
        steps = epochs * ((len(train) + BATCH - 1) // BATCH)
        opt = torch.optim.Adam(net.parameters(), lr=MAX_LR, weight_decay=1e-4)
        schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=MAX_LR, total_steps=steps)
        order = torch.Generator().manual_seed(seed)
        at = {round(epochs * (k + 1) / checkpoints) for k in range(checkpoints)} if checkpoints else set()
        rates: list[float] = []
        for epoch in range(1, epochs + 1):
            net.train()
            perm = torch.randperm(len(train), generator=order)
            for start in range(0, len(train), BATCH):
                batch = perm[start:start + BATCH]
                dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=order))
                xb = torch.roll(X[batch], shifts=(dy, dx), dims=(2, 3))
                rates.append(float(opt.param_groups[0]["lr"]))
                opt.zero_grad()
                nn.functional.cross_entropy(net(xb), y[batch]).backward()
                opt.step()
                schedule.step()
            if epoch in at:
                state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                saved.append(Checkpoint(epoch=epoch, lr=float(np.mean(rates)), state_dict=state))
                rates = []
        net.eval()
    finally:
        torch.set_num_threads(threads)
    return net, saved


def train_digits(data: Path, out: Path) -> dict:
    import torch
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from talk2model.workspace.checkpoints import save_checkpoints

    images, labels, ids = digits_arrays()
    folder = data / "digits"
    folder.mkdir(exist_ok=True)
    np.savez_compressed(folder / "digits.npz", images=images, labels=labels, ids=ids)
    train, test = train_test_split(ids, test_size=0.2, random_state=SEED, stratify=labels)
    net, checkpoints = fit_digits_cnn(images, labels, train)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            logits = net(torch.as_tensor(images[test, None].astype(np.float32)))
        proba = torch.softmax(logits, dim=1).numpy()
    finally:
        torch.set_num_threads(threads)
    torch.save(net.state_dict(), out / "digits-cnn.pt")
    save_checkpoints(out / "digits-cnn.checkpoints.pt", checkpoints)
    (out / "digits.train_ids.json").write_text(json.dumps(sorted(int(i) for i in train)))
    return {"accuracy": float(accuracy_score(labels[test], proba.argmax(axis=1))),
            "roc_auc": float(roc_auc_score(labels[test], proba, multi_class="ovr")),
            "test_rows": int(len(test))}
