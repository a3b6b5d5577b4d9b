"""How strongly pairs of features interact in the model.

Tree models: SHAP interaction values (Lundberg et al. 2020), summed to the user's features; the
strength of a pair is the mean |interaction| over rows, both halves of the symmetric matrix, in
the explained output space. Any other model: Friedman and Popescu's H statistic on a sample: the
share of the variance of the pair's joint partial dependence that their separate effects leave
unexplained (0: no interaction; a linear model in its log-odds has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

SEED = 0
TREE_ROWS = 200
H_ROWS = 40
H_FEATURES = 6


@dataclass
class Interactions:
    measure: str                 # "shap-interaction" or "friedman-h"
    pairs: list[tuple[str, str, float]]   # strongest first
    rows: int                    # rows the measure was computed on
    space: str


def sample_rows(frame: pd.DataFrame, size: int, seed: int = SEED) -> pd.DataFrame:
    if len(frame) <= size:
        return frame
    return frame.sample(size, random_state=seed).sort_index()


def interactions(explainer, frame: pd.DataFrame) -> Interactions:
    backend = explainer.backend
    if hasattr(backend, "interactions"):
        return tree_interactions(explainer, frame)
    return friedman_h(explainer, frame)


def tree_interactions(explainer, frame: pd.DataFrame) -> Interactions:
    rows = sample_rows(frame, TREE_ROWS)
    Z = explainer.encoding.transform(rows)
    backend = explainer.backend
    index = explainer._output_index(Z, backend.outputs)
    raw = backend.interactions(Z, index)                           # (n, m, m)
    agg = explainer.encoding.aggregator                            # (m, s)
    summed = np.einsum("ms,nmt,tu->nsu", agg, raw, agg)            # (n, s, s)
    strength = 2 * np.abs(summed).mean(axis=0)
    features = explainer.encoding.features
    pairs = [(features[a], features[b], float(strength[a, b]))
             for a, b in combinations(range(len(features)), 2)]
    pairs.sort(key=lambda p: -p[2])
    return Interactions("shap-interaction", pairs, len(rows), backend.space)


def _columns_of(explainer, feature: str) -> list[str]:
    groups = explainer.workspace.schema.groups
    return list(groups[feature]) if feature in groups else [feature]


def friedman_h(explainer, frame: pd.DataFrame, *, features: list[str] | None = None,
               rows: int = H_ROWS) -> Interactions:
    """Pairwise H statistics on a sample, over the most important features (or `features`)."""
    sample = sample_rows(frame, rows)[explainer.workspace.model.feature_names]
    if features is None:
        att = explainer.attributions(sample, cacheable=False)
        features = list(att.values.abs().mean().sort_values(ascending=False).index[:H_FEATURES])
    n = len(sample)
    blocks, spans = [], {}

    def grid(cols_list: list[list[str]]) -> pd.DataFrame:
        # row r of block i: sample row r with the columns set to sample row i's values
        base = pd.concat([sample] * n, ignore_index=True)
        donors = sample.iloc[np.repeat(np.arange(n), n)].reset_index(drop=True)
        for cols in cols_list:
            base[cols] = donors[cols].to_numpy()
        return base

    for f in features:
        spans[(f,)] = len(blocks)
        blocks.append(grid([_columns_of(explainer, f)]))
    for a, b in combinations(features, 2):
        spans[(a, b)] = len(blocks)
        blocks.append(grid([_columns_of(explainer, a), _columns_of(explainer, b)]))
    out = explainer.model_output(pd.concat(blocks, ignore_index=True)).reshape(len(blocks), n, n)
    pd_of = {key: out[i].mean(axis=1) for key, i in spans.items()}   # PD at each sample row
    centred = {key: v - v.mean() for key, v in pd_of.items()}
    pairs = []
    for a, b in combinations(features, 2):
        joint = centred[(a, b)]
        denominator = float((joint ** 2).sum())
        numerator = float(((joint - centred[(a,)] - centred[(b,)]) ** 2).sum())
        h = np.sqrt(numerator / denominator) if denominator > 1e-12 else 0.0
        pairs.append((a, b, float(h)))
    pairs.sort(key=lambda p: -p[2])
    return Interactions("friedman-h", pairs, n, explainer.backend.space)
