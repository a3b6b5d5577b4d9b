"""One view of a workspace's PyTorch network for the methods that look inside it (adversarial
examples, influence, class visualisation, concepts, embeddings).

    net = network(workspace)       # OperationError when the model is not a PyTorch network
    net.module                     # inputs (N x ...) -> one logit per class (N x K)
    net.inputs(ids)                # the rows' inputs as float32: pixels, or a table's feature values
    net.class_index(value)         # the output index of a class value
    net.hidden_layer               # the module whose *input* is the last hidden representation

Image workspaces give their CNN as it is. The tabular MLP (`diabetes-mlp`) gives one logit, the
log-odds of its second class; `TwoLogits` turns that into the logits (0, z), whose softmax is
(1 - sigmoid z, sigmoid z), so every method treats both kinds alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from talk2model.errors import OperationError

ERR_NOT_TORCH = ("{what} looks inside a PyTorch network; this model is a {kind}, so there is none to "
                 "look into here (the digits and diabetes-mlp workspaces have one)")


class TwoLogits(nn.Module):
    """A one-logit binary classifier as two logits (0, z): softmax gives (1 - σ(z), σ(z))."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.inner = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.inner(x).reshape(len(x), 1)
        return torch.cat([torch.zeros_like(z), z], dim=1)


@dataclass
class Network:
    module: nn.Module                 # N x ... -> N x K logits
    classes: list[Any]
    kind: str                         # "image" or "table"
    low: float = float("-inf")        # the range inputs are clamped to (images: the value range)
    high: float = float("inf")
    feature_names: list[str] | None = None
    raw: nn.Module | None = None      # the module as stored (the MLP's one-logit module)
    workspace: Any = None

    def inputs(self, ids) -> np.ndarray:
        ws = self.workspace
        if self.kind == "image":
            return ws.pixels(ids)
        return ws.data.loc[list(ids), self.feature_names].to_numpy(dtype=np.float32)

    def frame_inputs(self, frame) -> np.ndarray:
        if self.kind == "image":
            return self.workspace.pixels(frame.index)
        return frame[self.feature_names].to_numpy(dtype=np.float32)

    def logits(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.module(torch.as_tensor(np.asarray(X, dtype=np.float32))).numpy()

    def class_index(self, value: Any) -> int:
        from talk2model.workspace.schema import plain_value

        values = [plain_value(c) for c in self.classes]
        if plain_value(value) not in values:
            raise OperationError(f"'{value}' is not one of the model's classes ({', '.join(map(str, values))})")
        return values.index(plain_value(value))

    @property
    def hidden_layer(self) -> nn.Module:
        """The last linear layer: its input is the network's last hidden representation."""
        linears = [m for m in self.module.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise OperationError("this network has no final linear layer to read a representation from")
        return linears[-1]

    @property
    def fingerprint(self) -> str:
        return self.workspace.model_fingerprint


def network(workspace, what: str = "This") -> Network:
    """The workspace's PyTorch network, or OperationError saying there is none."""
    if workspace.kind == "image":
        spec = workspace.image_spec
        model = workspace.model
        return Network(module=model.module, classes=list(model.classes), kind="image", low=spec.low,
                       high=spec.high, raw=model.module, workspace=workspace)
    from talk2model.workspace.torch_model import TorchMLPClassifier

    estimator = workspace.model.estimator
    if isinstance(estimator, TorchMLPClassifier):
        estimator.module.eval()
        return Network(module=TwoLogits(estimator.module).eval(), classes=list(estimator.classes), kind="table",
                       feature_names=list(estimator.feature_names), raw=estimator.module, workspace=workspace)
    raise OperationError(ERR_NOT_TORCH.format(what=what, kind=workspace.model.kind))


def one_thread() -> None:
    """These networks are small: on the shared machine a second thread costs more than it gives."""
    torch.set_num_threads(1)


def layer_activations(module: nn.Module, layer: nn.Module, X: np.ndarray, batch: int = 512,
                      layer_input: bool = False) -> np.ndarray:
    """The output (or with `layer_input`, the input) of `layer` for each row of X, flattened per
    row, through Captum's LayerActivation in batches (the time budget checked between them)."""
    import warnings

    from captum.attr import LayerActivation

    from talk2model import deadline

    reader = LayerActivation(module, layer)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, len(X), batch):
            deadline.check()
            xb = torch.as_tensor(np.asarray(X[start:start + batch], dtype=np.float32))
            got = reader.attribute(xb, attribute_to_layer_input=layer_input)
            out.append(got.detach().reshape(len(xb), -1).numpy())
    return np.concatenate(out)

