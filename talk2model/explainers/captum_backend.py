"""Attributions for PyTorch models through Captum: one call per method, one result shape.

    ex = CaptumExplainer(module, baseline=zeros, background=some_training_inputs,
                         gradcam_layer=module.relu3)
    att = ex.attribute(x, "integrated_gradients", target=3)     # x: one input (C x H x W, or m)
    att.values, att.output_value, att.base_value, att.convergence_delta

| method | Captum | what it says | completeness |
|---|---|---|---|
| saliency | `Saliency(abs=False)` | the gradient: how the logit moves per unit of each input | no |
| integrated_gradients | `IntegratedGradients`, 50 Gauss-Legendre steps from the baseline | path integral of gradients x (input - baseline) | base + sum = output, up to `convergence_delta` |
| deeplift | `DeepLift` (rescale rule; max-pool rule) | each input's share of output - output(baseline) | exact, up to float error |
| deep_shap | `DeepLiftShap` over a background sample | DeepLIFT averaged over the background: Shapley-like | base = mean output over the background |
| gradcam | `LayerGradCam` on the model's last convolutional block, upsampled (bilinear) | where the last feature maps that matter are | no |
| occlusion | `Occlusion`, a window slid over the input, filled with the baseline | output drop when a patch is hidden: one forward pass per window | no |

`base_value` is the output at the baseline (deep_shap: the mean over the background), so for
the methods with completeness `base_value + sum(values) = output_value` holds, and
`convergence_delta` is the difference Captum reports (deep_shap: averaged over the background).
Layer methods (DeepLIFT, Deep SHAP, Grad-CAM) need hooks on the module's layers, which a
TorchScript module does not have; `methods()` says which apply.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from talk2model.errors import OperationError

IMAGE_METHODS = ("saliency", "integrated_gradients", "deeplift", "deep_shap", "gradcam", "occlusion")
COMPLETE = ("integrated_gradients", "deeplift", "deep_shap")
NEEDS_HOOKS = ("deeplift", "deep_shap", "gradcam")
IG_STEPS = 50
LARGE_DELTA = 0.05   # |convergence delta| above 5% of |output - base| is said in words

METHOD_NAMES = {"saliency": "saliency (gradients)", "integrated_gradients": "Integrated Gradients",
                "deeplift": "DeepLIFT", "deep_shap": "Deep SHAP", "gradcam": "Grad-CAM",
                "occlusion": "occlusion"}
KINDS = {"saliency": "backpropagation", "integrated_gradients": "backpropagation",
         "deeplift": "backpropagation", "deep_shap": "backpropagation", "gradcam": "backpropagation",
         "occlusion": "perturbation"}

ERR_NO_LAYER = ("Grad-CAM reads the model's last convolutional block, and this model names none "
                "(its architecture sets no gradcam_layer); ask for another method")
ERR_NO_HOOKS = ("{name} needs hooks on the model's layers, which a TorchScript model does not have; "
                "ask for saliency, integrated_gradients or occlusion, or load the weights into a "
                "registered architecture")
ERR_NOT_IMAGE = "{name} explains image models: it reads a convolutional layer; for this model use {others}"


@dataclass
class Attribution:
    """One input's attributions for one output, with what they add up to."""

    method: str
    values: np.ndarray              # the input's shape
    target: int                     # output index explained
    output_value: float             # the model's output (logit) for `target`
    base_value: float | None        # the output at the baseline (deep_shap: mean over the background)
    convergence_delta: float | None  # Captum's completeness error (IG, DeepLIFT, Deep SHAP)
    forward_passes: int             # model evaluations this took (batched), for the cost in words
    seconds: float

    @property
    def complete(self) -> bool:
        return self.method in COMPLETE

    @property
    def relative_delta(self) -> float | None:
        if self.convergence_delta is None or self.base_value is None:
            return None
        gap = abs(self.output_value - self.base_value)
        return abs(self.convergence_delta) / gap if gap > 1e-9 else 0.0


def occlusion_window(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sliding window and strides for an input shape: C x (side/4) x (side/4) patches moved by
    half a patch (8x8 digits: 2x2 patches, stride 1 = 49 windows); one feature at a time for a
    table row."""
    if len(shape) == 1:
        return (1,), (1,)
    c, h, w = shape
    side = max(2, min(h, w) // 4)
    step = max(1, side // 2)
    return (c, side, side), (c, step, step)


def occlusion_windows(shape: tuple[int, ...]) -> int:
    window, strides = occlusion_window(shape)
    count = 1
    for size, win, step in zip(shape, window, strides):
        count *= (size - win) // step + 1
    return count


class CaptumExplainer:
    """Captum's attribution methods around one PyTorch module (outputs: N x K logits)."""

    def __init__(self, module: torch.nn.Module, *, baseline: np.ndarray, background: np.ndarray | None = None,
                 gradcam_layer: torch.nn.Module | None = None, hooks: bool = True, image: bool = True) -> None:
        self.module = module
        self.baseline = torch.as_tensor(np.asarray(baseline, dtype=np.float32))[None]
        self.background = (torch.as_tensor(np.asarray(background, dtype=np.float32))
                           if background is not None else None)
        self.gradcam_layer = gradcam_layer
        self.hooks = hooks
        self.image = image
        self._lock = threading.Lock()   # Captum's hooks are per module: one attribution at a time
        self._base_cache: dict[int, float] = {}

    def methods(self) -> list[str]:
        out = ["saliency", "integrated_gradients"]
        if self.hooks:
            out += ["deeplift"]
            if self.background is not None:
                out += ["deep_shap"]
            if self.image and self.gradcam_layer is not None:
                out += ["gradcam"]
        if self.image:
            out += ["occlusion"]
        return [m for m in IMAGE_METHODS if m in out]

    def check(self, method: str) -> None:
        if method in self.methods():
            return
        name = METHOD_NAMES.get(method, method)
        if method in NEEDS_HOOKS and not self.hooks:
            raise OperationError(ERR_NO_HOOKS.format(name=name))
        if method == "gradcam" and self.image:
            raise OperationError(ERR_NO_LAYER)
        raise OperationError(ERR_NOT_IMAGE.format(name=name, others=", ".join(self.methods())))

    # ---- outputs ----------------------------------------------------------------------------
    def logits(self, X: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            out = self.module(X)
        return out.reshape(len(X), -1)

    def base_value(self, method: str, target: int) -> float:
        key = (method == "deep_shap", target)
        if key not in self._base_cache:
            ref = self.background if method == "deep_shap" else self.baseline
            self._base_cache[key] = float(self.logits(ref)[:, target].mean())
        return self._base_cache[key]

    # ---- attributions -----------------------------------------------------------------------
    def attribute(self, x: np.ndarray, method: str, target: int) -> Attribution:
        return self.attribute_many(np.asarray(x)[None], method, [target])[0]

    def attribute_many(self, X: np.ndarray, method: str, targets: list[int]) -> list[Attribution]:
        """Attributions of several inputs (one target each), in one batched Captum call."""
        self.check(method)
        inputs = torch.as_tensor(np.asarray(X, dtype=np.float32))
        target = torch.as_tensor(list(targets), dtype=torch.long)
        started = time.perf_counter()
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")   # Captum warns about hooks and requires_grad on every call
            values, delta, passes = self._run(method, inputs, target)
            outputs = self.logits(inputs)[torch.arange(len(inputs)), target].numpy()
        seconds = (time.perf_counter() - started) / max(1, len(inputs))
        out = []
        for k in range(len(inputs)):
            out.append(Attribution(
                method=method, values=values[k], target=int(targets[k]), output_value=float(outputs[k]),
                base_value=self.base_value(method, int(targets[k])),
                convergence_delta=None if delta is None else float(delta[k]),
                forward_passes=passes, seconds=seconds))
        return out

    def _run(self, method: str, inputs: torch.Tensor, target: torch.Tensor):
        from captum import attr

        n = len(inputs)
        baselines = self.baseline.expand_as(inputs)
        if method == "saliency":
            values = attr.Saliency(self.module).attribute(inputs.requires_grad_(), target=target, abs=False)
            return values.detach().numpy(), None, 1
        if method == "integrated_gradients":
            values, delta = attr.IntegratedGradients(self.module).attribute(
                inputs, baselines=baselines, target=target, n_steps=IG_STEPS, method="gausslegendre",
                internal_batch_size=max(IG_STEPS, 8 * IG_STEPS), return_convergence_delta=True)
            return values.detach().numpy(), delta.detach().numpy(), IG_STEPS
        if method == "deeplift":
            values, delta = attr.DeepLift(self.module).attribute(
                inputs, baselines=baselines, target=target, return_convergence_delta=True)
            return values.detach().numpy(), delta.detach().numpy(), 2
        if method == "deep_shap":
            values, delta = attr.DeepLiftShap(self.module).attribute(
                inputs, baselines=self.background, target=target, return_convergence_delta=True)
            delta = delta.detach().numpy().reshape(n, -1).mean(axis=1)
            return values.detach().numpy(), delta, 2 * len(self.background)
        if method == "gradcam":
            cam = attr.LayerGradCam(self.module, self.gradcam_layer).attribute(
                inputs, target=target, relu_attributions=False)
            size = tuple(inputs.shape[2:])
            cam = attr.LayerAttribution.interpolate(cam, size, interpolate_mode="bilinear")
            values = cam.detach().expand(-1, inputs.shape[1], *size).numpy() / inputs.shape[1]
            return values, None, 1
        if method == "occlusion":
            window, strides = occlusion_window(tuple(inputs.shape[1:]))
            values = attr.Occlusion(self.module).attribute(
                inputs, sliding_window_shapes=window, strides=strides, baselines=baselines,
                target=target, perturbations_per_eval=64)
            return values.detach().numpy(), None, occlusion_windows(tuple(inputs.shape[1:])) + 1
        raise OperationError(f"unknown attribution method '{method}'")


def randomised_copy(module: torch.nn.Module, *, seed: int = 0) -> torch.nn.Module:
    """A copy of `module` with every layer's weights drawn afresh (each layer's own initialiser,
    seeded): the model-randomisation sanity check of Adebayo et al. (2018). Buffers (input scaling)
    are kept, so only what was learned is gone."""
    import copy

    clone = copy.deepcopy(module)
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        for layer in clone.modules():
            reset = getattr(layer, "reset_parameters", None)
            if callable(reset):
                reset()
    finally:
        torch.random.set_rng_state(generator_state)
    clone.eval()
    return clone


def explainer_like(ex: CaptumExplainer, module: torch.nn.Module) -> CaptumExplainer:
    """The same explainer (baseline, background, layer by name) around another module."""
    layer = None
    if ex.gradcam_layer is not None:
        names = {id(m): n for n, m in ex.module.named_modules()}
        name = names.get(id(ex.gradcam_layer))
        layer = dict(module.named_modules()).get(name) if name else None
    return CaptumExplainer(module, baseline=ex.baseline[0].numpy(),
                           background=None if ex.background is None else ex.background.numpy(),
                           gradcam_layer=layer, hooks=ex.hooks, image=ex.image)


def plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
