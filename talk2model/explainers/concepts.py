"""Concept sensitivity with TCAV (Kim et al. 2018), built on Captum's layer methods.

    test = tcav(module, layer, concept_X, random_X, class_X, target, runs=10)
    test.score          # mean TCAV score: the share of the class's inputs whose class logit rises
                        # when their layer activations move toward the concept
    test.p_value, test.significant   # against CAVs between two random sets (Kim et al., section 3.2)

A concept activation vector (CAV) is the normal of a linear classifier (scikit-learn's
SGDClassifier, as Captum's TCAV uses by default) that separates the layer's activations for the concept's examples from those for
random examples; the TCAV score is the share of inputs of the class whose directional derivative
(the gradient of the class logit at the layer, Captum's `LayerGradientXActivation` with
`multiply_by_inputs=False`, dotted with the CAV) is positive. Each concept is tested against `runs`
different random sets, and those scores are compared by a two-sided t-test with the scores of
CAVs trained between two random sets: a concept whose scores could be those of a random direction
is reported as not significant. Activations come from Captum's `LayerActivation`.

Captum's own `TCAV` class writes activations and CAVs to disk as pickles on every call; the same
steps done here in memory take a fraction of a second for the digits.

Built-in concepts for grey digit images are defined by simple image statistics (`builtin_concepts`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from talk2model import deadline

RUNS = 20          # CAVs per concept, each against a different random set (10 left a coin-flip null too wide)
SIZE = 50          # examples per concept and per random set
ALPHA = 0.05       # significance level, divided by the number of tests (Bonferroni)
SEED = 0

BUILTIN = {
    "thick_strokes": "images whose strokes are thick (the 15% with the largest share of ink pixels inside the stroke)",
    "thin_strokes": "images whose strokes are thin (the 15% with the smallest share of ink pixels inside the stroke)",
    "loops": "images with a closed loop (ink enclosing an empty region, as in 0, 6, 8, 9)",
    "random": "random images (a concept that should not matter: the sanity check)",
}


@dataclass
class ConceptTest:
    concept: str
    target: int
    score: float                 # mean TCAV score over the runs
    scores: list[float]          # per run
    random_scores: list[float]   # random-vs-random CAVs
    p_value: float
    significant: bool
    concept_size: int
    inputs: int                  # inputs of the class scored
    alpha: float


def activations(module: nn.Module, layer: nn.Module, X: np.ndarray, batch: int = 512) -> np.ndarray:
    """The layer's output for each row of X (what concept vectors are fitted on)."""
    from talk2model.explainers.network import layer_activations

    return layer_activations(module, layer, X, batch)


def layer_gradients(module: nn.Module, layer: nn.Module, X: np.ndarray, target: int) -> np.ndarray:
    """The gradient of the target logit with respect to the layer's activations, per input."""
    from captum.attr import LayerGradientXActivation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grads = LayerGradientXActivation(module, layer, multiply_by_inputs=False).attribute(
            torch.as_tensor(np.asarray(X, dtype=np.float32)), target=int(target))
    return grads.detach().reshape(len(X), -1).numpy()


def cav(positive: np.ndarray, negative: np.ndarray, *, seed: int = SEED) -> np.ndarray:
    """The unit normal of a linear classifier separating `positive` from `negative` activations,
    pointing toward `positive`: scikit-learn's SGDClassifier with the settings of Captum's
    DefaultClassifier for TCAV (alpha 0.01, up to 1,000 epochs, tol 1e-3), seeded."""
    from sklearn.linear_model import SGDClassifier

    X = np.vstack([positive, negative])
    y = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    model = SGDClassifier(alpha=0.01, max_iter=1000, tol=1e-3, random_state=seed).fit(X, y)
    v = model.coef_[0]
    return v / (np.linalg.norm(v) or 1.0)


def tcav(concept_acts: np.ndarray, random_acts: np.ndarray, grads: np.ndarray, *, concept: str, target: int,
         runs: int = RUNS, size: int = SIZE, seed: int = SEED, tests: int = 1) -> ConceptTest:
    """TCAV scores of a concept against `runs` random sets, and the t-test against random CAVs.
    `concept_acts` / `random_acts`: layer activations of the concept's examples and of a pool of
    random examples; `grads`: the target logit's gradients at the layer for the class's inputs."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    size = min(size, len(concept_acts), len(random_acts) // 2)
    if size < 5:
        raise ValueError("a concept needs at least 5 examples, and twice as many random ones")
    scores, nulls = [], []
    for _ in range(runs):
        deadline.check()
        pos = concept_acts[rng.choice(len(concept_acts), size, replace=False)]
        picks = rng.choice(len(random_acts), 2 * size, replace=False)
        neg, other = random_acts[picks[:size]], random_acts[picks[size:]]
        run_seed = int(rng.integers(2**31))
        scores.append(float(np.mean(grads @ cav(pos, neg, seed=run_seed) > 0)))
        nulls.append(float(np.mean(grads @ cav(other, neg, seed=run_seed) > 0)))
    if np.std(scores) == 0 and np.std(nulls) == 0:
        p = 1.0 if scores[0] == nulls[0] else 0.0
    else:
        p = float(stats.ttest_ind(scores, nulls, equal_var=False).pvalue)
    alpha = ALPHA / max(1, tests)
    return ConceptTest(concept=concept, target=int(target), score=float(np.mean(scores)), scores=scores,
                       random_scores=nulls, p_value=p, significant=bool(p < alpha), concept_size=size,
                       inputs=len(grads), alpha=alpha)


# ---- built-in concepts for grey digit images --------------------------------------------------------
def image_statistics(images: np.ndarray, low: float, high: float) -> dict[str, np.ndarray]:
    """Per image: `inside` (the share of ink pixels whose four neighbours are ink too: thick strokes
    score high) and `holes` (pixels enclosed by ink, not reachable from the border)."""
    from scipy import ndimage

    grey = (images.sum(axis=1) if images.ndim == 4 else images) / max(1, images.shape[1] if images.ndim == 4 else 1)
    ink = (grey - low) / (high - low) > 0.5
    cross = ndimage.generate_binary_structure(2, 1)
    inside = np.zeros(len(ink))
    holes = np.zeros(len(ink))
    for k, mask in enumerate(ink):
        count = mask.sum()
        inside[k] = ndimage.binary_erosion(mask, structure=cross).sum() / count if count else 0.0
        holes[k] = (ndimage.binary_fill_holes(mask) & ~mask).sum()
    return {"inside": inside, "holes": holes}


def builtin_concept(name: str, ids, images: np.ndarray, low: float, high: float, *, seed: int = SEED) -> list:
    """The ids of the images that make up a built-in concept."""
    ids = list(ids)
    if name == "random":
        rng = np.random.default_rng(seed + 1)
        return [ids[k] for k in sorted(rng.choice(len(ids), min(SIZE * 2, len(ids)), replace=False))]
    stats = image_statistics(images, low, high)
    if name == "loops":
        return [i for i, h in zip(ids, stats["holes"]) if h >= 1]
    order = np.argsort(stats["inside"], kind="stable")
    cut = max(SIZE, int(0.15 * len(ids)))
    chosen = order[-cut:] if name == "thick_strokes" else order[:cut]
    return [ids[k] for k in sorted(chosen)]
