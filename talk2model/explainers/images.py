"""Attributions and faithfulness for an image workspace's model, with a memory cache.

    ex = image_explainer(workspace)
    atts = ex.attribute(workspace, ids, "integrated_gradients")    # one Attribution per image
    table = ex.faithfulness(workspace, image_id)                   # every method, measured
    method, why, table = ex.model_choice(workspace)                # `auto` for many images

One explainer per model (an uploaded image's workspace shares its model, and so its explainer
and cache). The baseline is a blank image (the low end of the value range: no ink); Deep SHAP's
background is a seeded sample of `BACKGROUND` training images. Attributions are cached by
(method, pixels, target), so asking about the same image again is free.

Torch runs on one thread here: these models are small, and on the shared 2-core machine the
second thread costs more than it gives (bench/image_bench.py: the full comparison for one digit
0.29 s on one thread, 1.2 s on two while other work ran).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

from talk2model import deadline
from talk2model.errors import OperationError
from talk2model.explainers.captum_backend import (METHOD_NAMES, Attribution, CaptumExplainer,
                                                  explainer_like, randomised_copy)
from talk2model.explainers.faithfulness import MethodFaithfulness, aggregate, compare

BACKGROUND = 20          # Deep SHAP's background: this many training images, seeded
MODEL_SAMPLE = 10        # `auto` for a group: faithfulness measured on this many held-out images
SAMPLE_IMAGES = 300      # attributions over a bigger selection use a seeded sample of this many
CACHE = 4096
SEED = 0

_LOCK = threading.Lock()
_EXPLAINERS: "weakref.WeakKeyDictionary[Any, ImageExplainer]" = weakref.WeakKeyDictionary()


def image_explainer(workspace) -> "ImageExplainer":
    with _LOCK:
        ex = _EXPLAINERS.get(workspace.model)
        if ex is None:
            ex = _EXPLAINERS[workspace.model] = ImageExplainer(workspace)
        return ex


def _digest(x: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(x, dtype=np.float32).tobytes(), digest_size=12).hexdigest()


class ImageExplainer:
    def __init__(self, workspace) -> None:
        import torch

        torch.set_num_threads(1)
        model, spec = workspace.model, workspace.image_spec
        self.model = model
        self.spec = spec
        rng = np.random.default_rng(SEED)
        pool = sorted(workspace.train_ids) if workspace.train_ids else list(workspace.ids)
        pool = [i for i in pool if i in workspace.data.index]
        chosen = sorted(rng.choice(len(pool), min(BACKGROUND, len(pool)), replace=False))
        background = workspace.pixels([pool[k] for k in chosen])
        self.captum = CaptumExplainer(model.module, baseline=np.full(spec.shape, spec.low, dtype=np.float32),
                                      background=background,
                                      gradcam_layer=model.gradcam_layer if model.scriptable_hooks else None,
                                      hooks=model.scriptable_hooks, image=True)
        self._randomised: CaptumExplainer | None = None
        self._memory: OrderedDict[tuple, Attribution] = OrderedDict()
        self._faith: OrderedDict[tuple, list[MethodFaithfulness]] = OrderedDict()
        self._choice: tuple[str, str, list[dict]] | None = None
        self._lock = threading.RLock()

    def methods(self) -> list[str]:
        return self.captum.methods()

    @property
    def randomised(self) -> CaptumExplainer | None:
        if self._randomised is None and self.captum.hooks:
            self._randomised = explainer_like(self.captum, randomised_copy(self.model.module))
        return self._randomised

    def targets(self, workspace, ids) -> list[int]:
        """The output index of each image's predicted class."""
        logits = self.model.logits(workspace.pixels(ids))
        return [int(k) for k in logits.argmax(axis=1)]

    # ---- attributions ----------------------------------------------------------------------
    def attribute(self, workspace, ids, method: str, targets: list[int] | None = None) -> list[Attribution]:
        """Attributions of the images `ids` (for their predicted classes unless `targets`)."""
        self.captum.check(method)
        ids = list(ids)
        pixels = workspace.pixels(ids)
        targets = targets if targets is not None else [int(k) for k in self.model.logits(pixels).argmax(axis=1)]
        keys = [(method, _digest(x), t) for x, t in zip(pixels, targets)]
        with self._lock:
            found = {k: self._memory[k] for k in keys if k in self._memory}
        todo = [j for j, k in enumerate(keys) if k not in found]
        for start in range(0, len(todo), 64):   # batches, checking the question's time budget
            deadline.check()
            part = todo[start:start + 64]
            fresh = self.captum.attribute_many(pixels[part], method, [targets[j] for j in part])
            with self._lock:
                for j, att in zip(part, fresh):
                    found[keys[j]] = att
                    self._memory[keys[j]] = att
                while len(self._memory) > CACHE:
                    self._memory.popitem(last=False)
        return [found[k] for k in keys]

    # ---- faithfulness ----------------------------------------------------------------------
    def faithfulness(self, workspace, image_id, methods: list[str] | None = None,
                     target: int | None = None) -> list[MethodFaithfulness]:
        """Every method's faithfulness on one image (cached)."""
        x = workspace.pixels([image_id])[0]
        target = self.targets(workspace, [image_id])[0] if target is None else target
        wanted = [m for m in (methods or self.methods())]
        for m in wanted:
            self.captum.check(m)
        key = (_digest(x), target)
        with self._lock:
            done = {r.method: r for r in self._faith.get(key, [])}
        missing = [m for m in wanted if m not in done]
        if missing:
            atts = {m: self.attribute(workspace, [image_id], m, [target])[0] for m in missing}
            fresh = compare(self.captum, x, target, missing, attributions=atts, randomised=self.randomised,
                            sanity=self.randomised is not None)
            with self._lock:
                merged = {**done, **{r.method: r for r in fresh}}
                self._faith[key] = list(merged.values())
                while len(self._faith) > CACHE // 8:
                    self._faith.popitem(last=False)
                done = merged
        return [done[m] for m in wanted]

    def model_choice(self, workspace) -> tuple[str, str, list[dict]]:
        """`auto` for this model: the method most often most faithful on a seeded sample of
        held-out images (mean deletion AUC breaks ties), why in words, and the mean figures."""
        with self._lock:
            if self._choice is not None:
                return self._choice
        held = [i for i in workspace.data.index if not workspace.train_ids or i not in workspace.train_ids]
        held = [i for i in held if i not in workspace.uploads]
        rng = np.random.default_rng(SEED)
        sample = [held[k] for k in sorted(rng.choice(len(held), min(MODEL_SAMPLE, len(held)), replace=False))]
        rows, _ = aggregate([self.faithfulness(workspace, image_id) for image_id in sample])
        rows = [{"method": r["method"], "wins": r["wins"], **{k: v for k, v in r.items()
                                                              if k not in ("method", "wins", "seconds")}}
                for r in rows]
        best = max(rows, key=lambda r: (r["wins"], -r["deletion_auc"]))
        why = (f"{METHOD_NAMES[best['method']]} is the most faithful of {len(rows)} methods on "
               f"{best['wins']} of {len(sample)} held-out images (mean deletion AUC "
               f"{best['deletion_auc']:.2f} vs {best['random_auc']:.2f} for a random order)")
        with self._lock:
            self._choice = (best["method"], why, rows)
        return self._choice

    def resolve(self, workspace, method: str) -> tuple[str, str | None]:
        """The method to use for a group: `auto` becomes the model's choice (with why)."""
        if method in ("auto", "shap"):
            chosen, why, _ = self.model_choice(workspace)
            return chosen, why
        if method == "lime":
            raise OperationError("LIME explains a table's rows; for images ask for saliency, "
                                 "integrated_gradients, deeplift, deep_shap, gradcam or occlusion")
        self.captum.check(method)
        return method, None
