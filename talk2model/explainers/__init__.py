"""Attribution back-ends and what is built on them.

`explainer_for(workspace).attributions(frame, method)` gives SHAP (tree, linear, deep or
permutation, chosen for the model) or LIME attributions in the user's own features, through a
memory cache, and a database cache when one is passed in (`cache=`, an `AttributionStore` from
`cached.py`; the Assistant passes its store's — nothing here imports the store). `precompute`
fills a cache ahead of time; `interactions` measures pairwise interaction strength. Counterfactuals and fairness live
beside them (counterfactual.py, fairness.py).
"""

from talk2model.explainers.attributions import METHOD_NAMES, Attributions, Explainer, explainer_for
from talk2model.explainers.cached import AttributionStore

__all__ = ["METHOD_NAMES", "AttributionStore", "Attributions", "Explainer", "explainer_for"]
