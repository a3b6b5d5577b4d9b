"""The project's own registry of PyTorch architectures for image workspaces.

A model file for an image workspace holds weights only (a state dict, loaded with
`torch.load(weights_only=True)`); the code that uses them is one of the classes registered here,
named in the workspace file:

    [model]
    path = "../models/digits-cnn.pt"
    architecture = "digits-cnn"
    [model.options]              # keyword arguments of the architecture (optional)
    classes = 10

So no code ever comes from a model file. A new architecture is a class here with
`@architecture("name")`; its keyword arguments are validated by `build`, and `gradcam_layer`
names the module Grad-CAM reads (the last convolutional block).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch
from torch import nn

from talk2model.errors import WorkspaceError

ARCHITECTURES: dict[str, type[nn.Module]] = {}

ERR_UNKNOWN_ARCH = ("[model] architecture = '{name}' is not one of talk2model's architectures "
                    "({names}){hint}; name one of them, or load a TorchScript file instead "
                    "(path = \"model.ts\")")
ERR_ARCH_OPTIONS = ("[model.options] {problem} for architecture '{name}' (it takes: {params})")


def architecture(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    def register(cls: type[nn.Module]) -> type[nn.Module]:
        cls.architecture_name = name
        ARCHITECTURES[name] = cls
        return cls

    return register


def build(name: str, options: dict[str, Any] | None = None) -> nn.Module:
    """An untrained module of the registered architecture `name`, built with `options`."""
    from talk2model.textutil import did_you_mean

    if name not in ARCHITECTURES:
        raise WorkspaceError(ERR_UNKNOWN_ARCH.format(name=name, names=", ".join(ARCHITECTURES),
                                                     hint=did_you_mean(str(name), list(ARCHITECTURES))))
    cls = ARCHITECTURES[name]
    options = dict(options or {})
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    names = {p.name: p for p in params}
    described = ", ".join(f"{p.name} (default {p.default!r})" for p in params)
    extra = sorted(set(options) - set(names))
    if extra:
        raise WorkspaceError(ERR_ARCH_OPTIONS.format(problem=f"unknown option(s) {', '.join(extra)}",
                                                     name=name, params=described))
    for key, value in options.items():
        default = names[key].default
        if isinstance(default, bool) != isinstance(value, bool) or (
                isinstance(default, (int, float)) and not isinstance(value, (int, float))):
            raise WorkspaceError(ERR_ARCH_OPTIONS.format(
                problem=f"{key} must be a {type(default).__name__}, not {value!r}", name=name,
                params=described))
        if isinstance(default, int) and not isinstance(default, bool) and (
                not isinstance(value, int) or value < 1):
            raise WorkspaceError(ERR_ARCH_OPTIONS.format(
                problem=f"{key} must be a whole number of at least 1, not {value!r}", name=name,
                params=described))
    return cls(**options)


@architecture("digits-cnn")
class DigitsCNN(nn.Module):
    """A small CNN for small grey images (sklearn's 8x8 digits).

    input (N, channels, height, width) in the workspace's value range
    -> divided by `scale` (the top of the range) -> bilinear upsampling x`upsample`
    -> conv 3x3 (16) -> ReLU -> conv 3x3 (32) -> ReLU -> average-pool 2
    -> conv 3x3 (32) -> ReLU  [Grad-CAM reads this block: height x width again when upsample = 2]
    -> flatten -> linear (64) -> ReLU -> dropout -> linear (classes): one logit per class.

    Every ReLU is its own module (DeepLIFT's rules attach to modules), nothing is in place, and the
    pooling is an average: linear, so DeepLIFT's attributions add up exactly (Captum's max-pool
    rule does not: 6% off on a digit).
    """

    gradcam_layer = "relu3"

    def __init__(self, classes: int = 10, channels: int = 1, height: int = 8, width: int = 8,
                 upsample: int = 2, scale: float = 16.0) -> None:
        super().__init__()
        self.register_buffer("scale", torch.tensor(float(scale)))
        self.up = nn.Upsample(scale_factor=upsample, mode="bilinear", align_corners=False) \
            if upsample > 1 else nn.Identity()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.AvgPool2d(2)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.flatten = nn.Flatten()
        side_h, side_w = height * upsample // 2, width * upsample // 2
        self.fc1 = nn.Linear(32 * side_h * side_w, 64)
        self.relu4 = nn.ReLU()
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.up(x / self.scale)
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        x = self.relu3(self.conv3(self.pool(x)))
        return self.fc2(self.drop(self.relu4(self.fc1(self.flatten(x)))))
