"""Activation maximisation: synthetic inputs that drive a class's logit (or one unit of a layer)
up, by gradient ascent on the input with the usual regularisers (Olah et al. 2017, "Feature
Visualization"): random jitter (a shift of up to one pixel each step), a light Gaussian blur every
few steps, an L2 penalty toward the blank image, and clamping to the valid range. Seeded: the same
model and settings give the same images.

    found = maximise(module, shape, low, high, target=7)                 # a class
    found = maximise(module, shape, low, high, layer=module.conv1, unit=3)  # a unit (channel) of a layer
    found.image, found.probability (of the class), found.activation
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from talk2model import deadline

STEPS = 200
LR = 0.05             # Adam's step, as a share of the value range
L2 = 0.05             # penalty on the distance from the blank image (per pixel, in range units)
BLUR_EVERY = 10
SEED = 0


@dataclass
class Visualisation:
    image: np.ndarray          # C x H x W, in the value range
    objective: float           # the logit (class) or mean activation (unit) reached
    probability: float | None  # the class's probability on the synthetic image (classes only)
    predicted: int             # the class the model gives the synthetic image
    steps: int


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
    c = x.shape[1]
    weight = kernel.expand(c, 1, 3, 3).contiguous()
    return nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=c)


def maximise(module: nn.Module, shape: tuple[int, ...], low: float, high: float, *, target: int | None = None,
             layer: nn.Module | None = None, unit: int | None = None, steps: int = STEPS, seed: int = SEED,
             batch: list[int] | None = None) -> list[Visualisation]:
    """Gradient ascent on the input for each class in `batch` (or `target`), or for `unit` of `layer`."""
    span = high - low
    targets = batch if batch is not None else [target]
    n = len(targets) if layer is None else 1
    generator = torch.Generator().manual_seed(seed)
    x = (low + span * (0.25 + 0.05 * torch.randn((n, *shape), generator=generator))).clamp(low, high)
    x = x.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=LR * span)
    captured: dict[str, torch.Tensor] = {}
    handle = None
    if layer is not None:
        handle = layer.register_forward_hook(lambda _m, _i, out: captured.__setitem__("out", out))
    index = torch.as_tensor([t for t in targets]) if layer is None else None
    try:
        for step in range(steps):
            if step % 50 == 0:
                deadline.check()
            dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=generator))
            shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            out = module(shifted)
            if layer is None:
                objective = out[torch.arange(n), index]
            else:
                objective = captured["out"][:, unit].reshape(n, -1).mean(dim=1)
            penalty = L2 * ((x - low) / span).pow(2).reshape(n, -1).sum(dim=1)
            opt.zero_grad()
            (-(objective - penalty).sum()).backward()
            opt.step()
            with torch.no_grad():
                if (step + 1) % BLUR_EVERY == 0:
                    x.copy_(_blur(x))
                x.clamp_(low, high)
        with torch.no_grad():
            out = module(x)
            final = captured["out"][:, unit].reshape(n, -1).mean(dim=1) if layer is not None else out[torch.arange(n), index]
            proba = torch.softmax(out, dim=1)
    finally:
        if handle is not None:
            handle.remove()
    result = []
    for k in range(n):
        predicted = int(proba[k].argmax())
        result.append(Visualisation(image=x[k].detach().numpy(), objective=float(final[k]),
                                    probability=float(proba[k, targets[k]]) if layer is None else None,
                                    predicted=predicted, steps=steps))
    return result
