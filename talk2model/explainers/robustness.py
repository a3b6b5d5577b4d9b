"""Adversarial examples through Captum's `captum.robust`: how small a change fools the network.

    found = minimal_change(net, x, norm="linf")          # one input: the smallest ε that flips it
    found.epsilon, found.adversarial, found.verified
    summary = robust_accuracy(net, X, labels, epsilon=1.6, norm="linf")   # a selection at one ε
    levels = fragility(net, X, labels, norm="linf", eps_max=16)          # smallest ε per input (grid)

One input: Captum's `MinParamPerturbation` searches the radius of a `PGD` attack by bisection
(`PGD_STEPS` steps of size radius/4 each, inputs clamped to the valid range), and the example it
returns is checked again with the network before it is reported (`verified`: another class, and a
change within ε in the stated norm). A selection: PGD at the stated ε against each input's true
class (robust accuracy, Madry et al. 2018), and a grid of growing ε for the most fragile inputs.

Tables (the MLP) are attacked in the standardised feature space the network reads after its own
`Standardize` layer: ε is in standard deviations of the training data, each feature stays within
the range the data shows, and the change is given back in each feature's units. That is a robustness finding, not advice: unlike a counterfactual,
it may change features nobody can change, by amounts the data never shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from talk2model import deadline
from talk2model.explainers.network import Network, TwoLogits

PGD_STEPS = 20
SEARCH_STEPS = 256      # the bisection's resolution: eps_max / SEARCH_STEPS
GRID = 12               # ε levels for the fragility sweep (geometric, eps_max / 2**(GRID/2) .. eps_max)
TOLERANCE = 1e-4        # a change may exceed ε by this share of ε (float32 rounding)


@dataclass
class MinimalChange:
    original: int                   # the class index predicted for the input
    adversarial: int | None         # the class index after the change (None: not fooled within eps_max)
    epsilon: float | None           # the smallest radius found that flips it
    norm: str                       # "linf" or "l2"
    x: np.ndarray                   # the input (in the space attacked)
    x_adv: np.ndarray | None        # the changed input
    verified: bool                  # re-checked with the network: another class (the one asked), within ε
    measured: float | None          # the change's actual size in the norm
    eps_max: float
    original_probability: float
    adversarial_probability: float | None
    forward_passes: int
    target: int | None = None       # the class pushed toward, when asked


def _norm(diff: torch.Tensor, norm: str) -> torch.Tensor:
    flat = diff.reshape(len(diff), -1)
    return flat.abs().max(dim=1).values if norm == "linf" else flat.norm(dim=1)


def _pgd(module: nn.Module, low: float, high: float):
    from captum.robust import PGD

    loss = lambda out, target: nn.functional.cross_entropy(out, target, reduction="none")  # noqa: E731
    return PGD(module, loss_func=loss, lower_bound=low, upper_bound=high)


def _captum_norm(norm: str) -> str:
    return "Linf" if norm == "linf" else "L2"


def attack(module: nn.Module, X: torch.Tensor, target: torch.Tensor, radius: float, norm: str, *,
           low=float("-inf"), high=float("inf"), targeted: bool = False,
           steps: int = PGD_STEPS) -> torch.Tensor:
    """PGD at one radius. L∞ with one range for every input: Captum's PGD (step size radius/4).
    Captum's PGD steps along the gradient's sign in either norm, which in L2 moves every input by
    the same amount; so L2, and bounds per feature (tables: the range the data shows), take the
    textbook projected step along the normalised gradient instead (`_projected`)."""
    if norm == "l2" or isinstance(low, np.ndarray) or isinstance(high, np.ndarray):
        return _projected(module, X, target, radius, norm, low=low, high=high, targeted=targeted, steps=steps)
    pgd = _pgd(module, low, high)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pgd.perturb(X, radius=float(radius), step_size=float(radius) / 4, step_num=steps, target=target,
                          targeted=targeted, norm=_captum_norm(norm))
    return out.detach()


def _projected(module: nn.Module, X: torch.Tensor, target: torch.Tensor, radius: float, norm: str, *,
               low, high, targeted: bool, steps: int) -> torch.Tensor:
    """Projected gradient steps of size 2.5 radius / steps (Madry et al. 2018): along the gradient's
    sign (L∞) or its direction (L2), projected back onto the ε-ball and the bounds after each step."""
    low_t = torch.as_tensor(np.asarray(low, dtype=np.float32))
    high_t = torch.as_tensor(np.asarray(high, dtype=np.float32))
    alpha = 2.5 * float(radius) / steps
    x0 = X.detach()
    x = x0.clone()
    sign = -1.0 if targeted else 1.0
    for _ in range(steps):
        x.requires_grad_(True)
        loss = nn.functional.cross_entropy(module(x), target, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
        with torch.no_grad():
            if norm == "linf":
                x = x + sign * alpha * grad.sign()
                x = x0 + (x - x0).clamp(-radius, radius)
            else:
                flat = grad.reshape(len(grad), -1).norm(dim=1).clamp_min(1e-12)
                x = x + sign * alpha * grad / flat.reshape(-1, *[1] * (grad.dim() - 1))
                x = x0 + torch.renorm(x - x0, 2, 0, float(radius))
            x = torch.maximum(torch.minimum(x, high_t), low_t)
    return x.detach()


def minimal_change(module: nn.Module, x: np.ndarray, *, norm: str, eps_max: float, low=float("-inf"),
                   high=float("inf"), target: int | None = None) -> MinimalChange:
    """The smallest PGD radius that changes the network's class for one input (toward `target`
    when given), by Captum's MinParamPerturbation (bisection), re-checked with the network."""
    from captum.robust import MinParamPerturbation

    X = torch.as_tensor(np.asarray(x, dtype=np.float32))[None]
    with torch.no_grad():
        logits = module(X)
    proba = torch.softmax(logits, dim=1)[0]
    original = int(logits.argmax(dim=1))
    goal = torch.tensor([target if target is not None else original])
    targeted = target is not None
    passes = {"n": 0}

    def perturb(inputs, radius, **_):
        deadline.check()
        passes["n"] += PGD_STEPS
        return attack(module, inputs, goal, radius, norm, low=low, high=high, targeted=targeted)

    def still_right(model_out, **_):   # "correct": the attack has not (yet) done what was asked
        predicted = int(model_out.argmax(dim=1)[0])
        return predicted != target if targeted else predicted == original

    step = eps_max / SEARCH_STEPS
    search = MinParamPerturbation(forward_func=module, attack=perturb, arg_name="radius", arg_min=step,
                                  arg_max=eps_max + step, arg_step=step, mode="binary", correct_fn=still_right)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x_adv, radius = search.evaluate(X, target=goal)
    if x_adv is None or (targeted and original == target):
        return MinimalChange(original=original, adversarial=None, epsilon=None, norm=norm, x=X[0].numpy(),
                             x_adv=None, verified=False, measured=None, eps_max=eps_max,
                             original_probability=float(proba[original]), adversarial_probability=None,
                             forward_passes=passes["n"], target=target)
    x_adv = x_adv.detach()
    with torch.no_grad():   # the example is checked again before it is reported
        out = module(x_adv)
    new = int(out.argmax(dim=1)[0])
    size = float(_norm(x_adv - X, norm)[0])
    low_t, high_t = (torch.as_tensor(np.asarray(b, dtype=np.float32)) for b in (low, high))
    within = size <= float(radius) * (1 + TOLERANCE) + 1e-6 and bool((x_adv >= low_t - 1e-5).all()
                                                                      and (x_adv <= high_t + 1e-5).all())
    flipped = (new == target) if targeted else (new != original)
    return MinimalChange(original=original, adversarial=new, epsilon=float(radius), norm=norm, x=X[0].numpy(),
                         x_adv=x_adv[0].numpy(), verified=bool(flipped and within), measured=size, eps_max=eps_max,
                         original_probability=float(proba[original]),
                         adversarial_probability=float(torch.softmax(out, dim=1)[0, new]),
                         forward_passes=passes["n"], target=target)


@dataclass
class RobustAccuracy:
    epsilon: float
    norm: str
    n: int
    clean_accuracy: float
    robust_accuracy: float
    flipped: np.ndarray             # per input: right before, wrong after the attack
    adversarial_classes: np.ndarray
    verified: bool                  # every change within ε, re-checked predictions


def robust_accuracy(module: nn.Module, X: np.ndarray, labels: np.ndarray, *, epsilon: float, norm: str,
                    low: float = float("-inf"), high: float = float("inf"), batch: int = 512) -> RobustAccuracy:
    """PGD at ε against each input's true class; robust accuracy is the share still right."""
    clean, after, sizes = [], [], []
    for start in range(0, len(X), batch):
        deadline.check()
        xb = torch.as_tensor(np.asarray(X[start:start + batch], dtype=np.float32))
        yb = torch.as_tensor(np.array(labels[start:start + batch], dtype=np.int64))
        adv = attack(module, xb, yb, epsilon, norm, low=low, high=high)
        with torch.no_grad():
            clean.append(module(xb).argmax(dim=1).numpy())
            after.append(module(adv).argmax(dim=1).numpy())
        sizes.append(_norm(adv - xb, norm).numpy())
    clean_pred, adv_pred = np.concatenate(clean), np.concatenate(after)
    size = np.concatenate(sizes)
    y = np.asarray(labels)
    right = clean_pred == y
    # PGD starts from the input, so an input it cannot move off its class keeps its prediction
    return RobustAccuracy(epsilon=float(epsilon), norm=norm, n=len(y), clean_accuracy=float(right.mean()),
                          robust_accuracy=float((adv_pred == y).mean()), flipped=right & (adv_pred != y),
                          adversarial_classes=adv_pred,
                          verified=bool((size <= epsilon * (1 + TOLERANCE) + 1e-6).all()))


def fragility(module: nn.Module, X: np.ndarray, labels: np.ndarray, *, norm: str, eps_max: float,
              low: float = float("-inf"), high: float = float("inf"), grid: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    """For each input the model gets right, the smallest ε of a geometric grid (eps_max / 2**(grid/2)
    ... eps_max) at which PGD makes it wrong (inf when none does; nan when it is wrong already), and
    the class it is then taken for (-1 when none)."""
    levels = eps_max * np.power(2.0, np.linspace(-grid / 2, 0, grid))
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(labels, dtype=np.int64)
    with torch.no_grad():
        pred = module(torch.as_tensor(X)).argmax(dim=1).numpy()
    out = np.full(len(X), np.inf)
    out[pred != y] = np.nan
    turned = np.full(len(X), -1)
    todo = np.flatnonzero(pred == y)
    for eps in levels:
        if not len(todo):
            break
        deadline.check()
        xb, yb = torch.as_tensor(X[todo]), torch.as_tensor(y[todo])
        adv = attack(module, xb, yb, float(eps), norm, low=low, high=high, steps=10)
        with torch.no_grad():
            now = module(adv).argmax(dim=1).numpy()
        fooled = now != y[todo]
        out[todo[fooled]] = eps
        turned[todo[fooled]] = now[fooled]
        todo = todo[~fooled]
    return out, turned


# ---- tables: the MLP in its standardised space --------------------------------------------------
def standardised(net: Network) -> tuple[nn.Module, np.ndarray, np.ndarray]:
    """The MLP after its Standardize layer (as two logits), and the mean and std it standardises by."""
    raw = net.raw
    mean = raw.scale.mean.detach().numpy().astype(np.float32)
    std = raw.scale.std.detach().numpy().astype(np.float32)
    return TwoLogits(raw.net).eval(), mean, std
