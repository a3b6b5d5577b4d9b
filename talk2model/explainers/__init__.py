"""Attribution back-ends and what is built on them.

`explainer_for(workspace).attributions(frame, method)` gives SHAP (tree, linear, deep or
permutation, chosen for the model) or LIME attributions in the user's own features, through a
memory + database cache (`talk2model.store.cache`). `precompute.main` fills the cache ahead of
time; `interactions` measures pairwise interaction strength. Counterfactuals and fairness live
beside them (counterfactual.py, fairness.py).
"""

from talk2model.explainers.attributions import (METHOD_NAMES, Attributions, Explainer,
                                                configure_cache, default_cache, explainer_for)

__all__ = ["METHOD_NAMES", "Attributions", "Explainer", "configure_cache", "default_cache",
           "explainer_for"]
