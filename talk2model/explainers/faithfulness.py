"""Which explanation to trust: three measures of each attribution method, on one input.

- **Deletion curve** (Samek et al. 2017; Petsiuk et al. 2018): remove the input's features
  (pixels: all channels of one position) most important first, setting them to the baseline, and
  follow the probability of the explained class. The area under that curve (x from 0 to 1: the
  share removed) is low when the attribution found what the model relies on. It is compared with
  the same curve for random orders (the mean of `RANDOM_ORDERS` seeded orders).
- **Infidelity** (Yeh et al. 2019), Captum's `captum.metrics.infidelity`, normalised (the
  attributions' scale is fitted, so methods of any scale compare): the mean squared error between
  the model's output drop when a random quarter of the features is removed and the drop the
  attributions predict. We report it relative to the mean squared drop itself, so 0 is perfect
  and 1 is no better than predicting no change at all.
- **Sanity check** (Adebayo et al. 2018): the same attribution on a copy of the model whose
  weights are drawn afresh. An explanation that hardly changes (Spearman rank correlation of
  |attributions| at or above `SANITY_LIMIT`) shows the input more than the model: it fails.

`compare` measures every method; `choose` picks the most faithful method that passes the sanity
check: the lowest deletion AUC, ties (within `TIE`) broken by infidelity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from talk2model import deadline
from talk2model.formatting import fmt_number
from talk2model.explainers.captum_backend import (METHOD_NAMES, Attribution, CaptumExplainer,
                                                  explainer_like, randomised_copy)

RANDOM_ORDERS = 10
MAX_STEPS = 64           # points on a deletion curve (all features when there are fewer)
REMOVE_SHARE = 0.25      # infidelity: each perturbation removes this share of the features
PERTURBATIONS = 32
SANITY_LIMIT = 0.5       # rank correlation at or above this after randomising the weights: fails
TIE = 0.01               # deletion AUCs closer than this are a tie, decided by infidelity
SEED = 0
DECIMALS = 4            # figures as the JSON (and so the answers' tables) carry them


@dataclass
class MethodFaithfulness:
    method: str
    deletion_auc: float              # lower is better
    random_auc: float                # the same input, random orders
    infidelity: float                # relative: 0 perfect, 1 = no better than predicting no change
    randomised_similarity: float | None  # Spearman of |attributions|, trained vs randomised weights
    passes_sanity: bool | None
    seconds: float                   # time for the attribution itself
    forward_passes: int
    curve: list[float] = field(default_factory=list)  # class probability as features are removed

    @property
    def gain(self) -> float:
        """How much better than random the deletion order is (random AUC - AUC)."""
        return self.random_auc - self.deletion_auc

    def to_json(self) -> dict:
        return {"method": self.method, "deletion_auc": round(self.deletion_auc, DECIMALS),
                "random_auc": round(self.random_auc, DECIMALS), "infidelity": round(self.infidelity, DECIMALS),
                "randomised_similarity": None if self.randomised_similarity is None else round(self.randomised_similarity, DECIMALS),
                "passes_sanity": self.passes_sanity, "seconds": round(self.seconds, DECIMALS),
                "forward_passes": self.forward_passes, "curve": [round(v, DECIMALS) for v in self.curve]}


def shown(value: float) -> str:
    """A figure in words as the faithfulness table shows it: the JSON's value, by the one formatter."""
    return fmt_number(round(value, DECIMALS))


def probability_fn(ex: CaptumExplainer, target: int) -> Callable[[torch.Tensor], np.ndarray]:
    """Inputs -> probability of the explained class: softmax over the logits, or for a one-logit
    model (the tabular MLP: the log-odds of its second class) the sigmoid."""
    def prob(X: torch.Tensor) -> np.ndarray:
        z = ex.logits(X)
        if z.shape[1] == 1:
            return torch.sigmoid(z[:, 0]).numpy()
        return torch.softmax(z, dim=1)[:, target].numpy()
    return prob


def _positions(values: np.ndarray) -> np.ndarray:
    """Per-position scores: summed over channels for images (C x H x W -> H*W), as is for rows."""
    return values.sum(axis=0).ravel() if values.ndim == 3 else values.ravel()


def _masked(x: torch.Tensor, baseline: torch.Tensor, masks: np.ndarray) -> torch.Tensor:
    """x with the positions where masks[k] is True set to the baseline, one row per mask."""
    m = torch.as_tensor(masks)
    if x.dim() == 3:   # C x H x W: a position covers every channel
        m = m.reshape(len(masks), 1, *x.shape[1:])
    return torch.where(m, baseline, x)


def deletion_curve(prob, x: torch.Tensor, baseline: torch.Tensor, order: np.ndarray) -> np.ndarray:
    """Probability of the class as positions are removed in `order` (first = removed first)."""
    n = len(order)
    steps = min(n, MAX_STEPS)
    counts = np.unique(np.round(np.linspace(0, n, steps + 1)).astype(int))
    masks = np.zeros((len(counts), n), dtype=bool)
    for row, count in enumerate(counts):
        masks[row, order[:count]] = True
    return prob(_masked(x, baseline, masks))


def auc(curve: np.ndarray) -> float:
    """Area under a curve drawn over x = 0..1 at evenly spaced points (trapezoids)."""
    curve = np.asarray(curve, dtype=float)
    if len(curve) < 2:
        return float(curve.mean()) if len(curve) else 0.0
    return float(np.trapezoid(curve, dx=1.0 / (len(curve) - 1)))


def random_auc(prob, x: torch.Tensor, baseline: torch.Tensor, n_positions: int) -> float:
    rng = np.random.default_rng(SEED)
    return float(np.mean([auc(deletion_curve(prob, x, baseline, rng.permutation(n_positions)))
                          for _ in range(RANDOM_ORDERS)]))


def relative_infidelity(ex: CaptumExplainer, x: torch.Tensor, att: Attribution) -> float:
    """Captum's normalised infidelity over random removals of REMOVE_SHARE of the positions,
    divided by the mean squared output change under the same removals."""
    from captum.metrics import infidelity

    local = att.method == "saliency"   # gradients: the perturbation is the change in the input
    baseline = ex.baseline[0]
    shape = tuple(x.shape)
    n_pos = shape[1] * shape[2] if len(shape) == 3 else shape[0]
    generator = torch.Generator().manual_seed(SEED)
    drawn: list[torch.Tensor] = []

    def perturb(inputs: torch.Tensor, baselines: torch.Tensor):
        keep = torch.rand((len(inputs), n_pos), generator=generator) >= REMOVE_SHARE
        mask = ~keep
        if len(shape) == 3:
            mask = mask.reshape(len(inputs), 1, shape[1], shape[2]).expand(-1, shape[0], -1, -1)
        mask = mask.to(inputs.dtype)
        change = mask * (inputs - baselines)
        drawn.append(change)
        return (change if local else mask), inputs - change

    inputs = x[None]
    with torch.no_grad():
        score = infidelity(ex.module, perturb, inputs, torch.tensor(np.array(att.values[None]), dtype=torch.float32),
                           baselines=baseline[None], target=att.target, n_perturb_samples=PERTURBATIONS,
                           normalize=True)
        changes = torch.cat(drawn)
        out = ex.logits(inputs)[0, att.target]
        drops = out - ex.logits(inputs - changes)[:, att.target]
    scale = float((drops ** 2).mean())
    return float(score.item()) / scale if scale > 1e-12 else 0.0


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of |a| and |b| over the positions where either is non-zero.
    Positions both leave at exactly zero (blank background under the methods that multiply by
    input - baseline) say nothing about the model, and counted as agreement they would make every
    such method look input-driven."""
    from scipy.stats import spearmanr

    a, b = np.abs(np.ravel(a)), np.abs(np.ravel(b))
    said = (a > 0) | (b > 0)
    a, b = a[said], b[said]
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def compare(ex: CaptumExplainer, x: np.ndarray, target: int, methods: list[str] | None = None, *,
            attributions: dict[str, Attribution] | None = None, sanity: bool = True,
            randomised: CaptumExplainer | None = None) -> list[MethodFaithfulness]:
    """Every method's faithfulness on one input (attributions given are reused)."""
    methods = [m for m in (methods or ex.methods()) if m in ex.methods()]
    attributions = dict(attributions or {})
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    baseline = ex.baseline[0]
    prob = probability_fn(ex, target)
    n_pos = xt.shape[1] * xt.shape[2] if xt.dim() == 3 else xt.shape[0]
    rand = random_auc(prob, xt, baseline, n_pos)
    if sanity and randomised is None and ex.hooks:
        randomised = explainer_like(ex, randomised_copy(ex.module))
    results = []
    for method in methods:
        deadline.check()
        att = attributions.get(method) or ex.attribute(x, method, target)
        attributions[method] = att
        scores = _positions(att.values)
        order = np.argsort(-scores, kind="stable")
        curve = deletion_curve(prob, xt, baseline, order)
        sim = None
        if randomised is not None:
            other = randomised.attribute(x, method, target)
            sim = similarity(_positions(att.values), _positions(other.values))
        results.append(MethodFaithfulness(
            method=method, deletion_auc=auc(curve), random_auc=rand,
            infidelity=relative_infidelity(ex, xt, att), randomised_similarity=sim,
            passes_sanity=None if sim is None else sim < SANITY_LIMIT,
            seconds=att.seconds, forward_passes=att.forward_passes, curve=[float(v) for v in curve]))
    return results


def choose(results: list[MethodFaithfulness]) -> tuple[MethodFaithfulness, str]:
    """The most faithful method, and why in words with figures ("the most faithful of 6 methods
    here, deletion AUC 0.02 vs 0.27 for a random order, ...": the caller names the method)."""
    passing = [r for r in results if r.passes_sanity is not False] or results
    best_auc = min(r.deletion_auc for r in passing)
    tied = [r for r in passing if r.deletion_auc <= best_auc + TIE]
    best = min(tied, key=lambda r: (r.infidelity, r.deletion_auc))
    n = len(results)
    why = (f"the most faithful of {n} methods here, "
           f"deletion AUC {shown(best.deletion_auc)} vs {shown(best.random_auc)} for a random order"
           f", infidelity {shown(best.infidelity)}")
    if len(tied) > 1:
        why += (" (a tie on deletion with " + ", ".join(METHOD_NAMES.get(r.method, r.method) for r in tied
                                                      if r is not best) + ", decided by infidelity)")
    failed = [r for r in results if r.passes_sanity is False]
    if failed:
        why += ("; left out because they barely change when the model's weights are randomised: "
                + ", ".join(f"{METHOD_NAMES.get(r.method, r.method)} (rank correlation "
                            f"{shown(r.randomised_similarity)})" for r in failed))
    return best, why


def aggregate(per_item: list[list[MethodFaithfulness]]) -> tuple[list[dict], dict[str, int]]:
    """Per method over several items: how often it was the most faithful (`choose`), and its mean
    deletion AUC, random AUC, infidelity, randomised similarity, share passing the sanity check and
    seconds."""
    wins: dict[str, int] = {}
    table: dict[str, list[MethodFaithfulness]] = {}
    for results in per_item:
        best, _ = choose(results)
        wins[best.method] = wins.get(best.method, 0) + 1
        for r in results:
            table.setdefault(r.method, []).append(r)
    rows = []
    for method, rs in table.items():
        sims = [r.randomised_similarity for r in rs if r.randomised_similarity is not None]
        rows.append({"method": method, "deletion_auc": float(np.mean([r.deletion_auc for r in rs])),
                     "random_auc": float(np.mean([r.random_auc for r in rs])),
                     "infidelity": float(np.mean([r.infidelity for r in rs])),
                     "randomised_similarity": float(np.mean(sims)) if sims else None,
                     "passes_sanity": float(np.mean([bool(r.passes_sanity) for r in rs])) if sims else None,
                     "seconds": float(np.mean([r.seconds for r in rs])), "wins": wins.get(method, 0)})
    return rows, wins

