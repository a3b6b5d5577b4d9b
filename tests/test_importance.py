"""importance: ranks recovered where the truth is known, intervals that cover, and the rank of a
named feature, against SHAP values recomputed directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from talk2model import Assistant
from talk2model.explainers import explainer_for
from talk2model.ops.importance import bootstrap_importance
from talk2model.workspace import Workspace


def synthetic(n=600, seed=0):
    """Independent standard normal features; y depends on them with known strengths."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=["strong", "medium", "weak", "tiny", "noise"])
    signal = 4 * X.strong + 2 * X.medium + 1 * X.weak + 0.3 * X.tiny
    return X, signal, rng


def test_linear_regression_importance_is_coef_times_mean_abs_deviation_and_ranks_the_truth():
    X, signal, rng = synthetic()
    y = signal + 0.1 * rng.normal(size=len(X))
    model = LinearRegression().fit(X, y)
    ws = Workspace.from_frame("synthetic", X.assign(y=y), model, {"target": "y", "task": "regression"})
    answer = Assistant(ws).run("importance")
    assert answer.error is None, answer.text
    ranking = answer.to_json()["result"]["ranking"]
    assert [r["feature"] for r in ranking] == ["strong", "medium", "weak", "tiny", "noise"]
    # closed form: mean |coef_j (x_j - mean x_j)|
    for r in ranking:
        j = list(X.columns).index(r["feature"])
        expected = np.mean(np.abs(model.coef_[j] * (X.iloc[:, j] - X.iloc[:, j].mean())))
        assert r["importance"] == pytest.approx(expected, rel=1e-6, abs=1e-9)
        assert r["low"] <= r["importance"] <= r["high"]


def test_tree_classifier_recovers_the_order_of_known_effects():
    X, signal, rng = synthetic(n=1500, seed=1)
    y = (signal + 0.5 * rng.normal(size=len(X)) > 0).astype(int)
    model = GradientBoostingRegressor(n_estimators=120, max_depth=3, random_state=0).fit(X, y)
    ws = Workspace.from_frame("synthetic", X.assign(y=y.astype(float)), model,
                              {"target": "y", "task": "regression"})
    result = Assistant(ws).run({"steps": [{"op": "importance"}]}).to_json()["result"]
    assert [r["feature"] for r in result["ranking"][:3]] == ["strong", "medium", "weak"]
    assert result["ranking"][-1]["importance"] < 0.1 * result["ranking"][0]["importance"]


def test_rank_of_a_named_feature_and_top_k_on_credit(credit):
    att = explainer_for(credit).attributions(credit.data)
    order = list(att.values.abs().mean().sort_values(ascending=False).index)
    answer = Assistant(credit).run("importance feature age")
    assert answer.error is None, answer.text
    rank = order.index("age") + 1
    assert answer.to_json()["result"]["rank"] == rank
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(rank, "th")
    assert f"ranks {rank}{suffix} of {len(order)}" in answer.text
    top = Assistant(credit).run("importance top 3")
    assert list(top.table["feature"]) == [credit.schema.features[f].label for f in order[:3]]


def test_logistic_importance_on_a_selection_uses_only_those_rows():
    X, signal, rng = synthetic(n=400, seed=2)
    y = (signal > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    ws = Workspace.from_frame("synthetic", X.assign(y=y), model, {"target": "y"})
    rows = ws.data[ws.data.noise > 0.5]
    result = Assistant(ws).run({"steps": [{"op": "filter", "where": {"feature": "noise", "cmp": ">", "value": 0.5}},
                                          {"op": "importance"}]}).to_json()["result"]
    assert result["n"] == len(rows)
    background_mean = X.mean()     # the background is the whole data; the rows are the selection
    for r in result["ranking"]:
        j = list(X.columns).index(r["feature"])
        expected = np.mean(np.abs(model.coef_[0, j] * (rows[r["feature"]] - background_mean.iloc[j])))
        assert r["importance"] == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_bootstrap_interval_matches_a_plain_resampling_loop():
    values = np.random.default_rng(5).exponential(size=(300, 3)) * [3, 2, 1]
    mean, lo, hi, ranks = bootstrap_importance(values, rounds=400, seed=1)
    rng = np.random.default_rng(11)
    loop = np.array([np.abs(values[rng.integers(0, 300, 300)]).mean(axis=0) for _ in range(2000)])
    ref_lo, ref_hi = np.percentile(loop, [2.5, 97.5], axis=0)
    np.testing.assert_allclose(mean, values.mean(axis=0))
    np.testing.assert_allclose(lo, ref_lo, rtol=0.03)
    np.testing.assert_allclose(hi, ref_hi, rtol=0.03)
    assert (ranks[:, 0] == 1).mean() > 0.99
    # the large-sample path (normal limit of the bootstrap) agrees with resampling as well
    big = np.random.default_rng(6).exponential(size=(20000, 2))
    _, blo, bhi, _ = bootstrap_importance(big, rounds=400)
    rng = np.random.default_rng(12)
    loop = np.array([big[rng.integers(0, 20000, 20000)].mean(axis=0) for _ in range(300)])
    np.testing.assert_allclose([blo, bhi], np.percentile(loop, [2.5, 97.5], axis=0), rtol=0.005)


def test_the_importance_of_a_feature_for_one_row_is_its_own_attribution():
    # "does the model rely on his age?": one person's own attribution, ranked among their features;
    # closed form for a linear model: coef_j (x_j - mean x_j)
    X, signal, rng = synthetic()
    y = signal + 0.1 * rng.normal(size=len(X))
    model = LinearRegression().fit(X, y)
    ws = Workspace.from_frame("synthetic", X.assign(y=y), model, {"target": "y", "task": "regression"})
    row = 7
    contributions = model.coef_ * (X.iloc[row] - X.mean())
    order = list(contributions.abs().sort_values(ascending=False).index)
    answer = Assistant(ws).run(f"filter id == {row} then importance feature weak")
    assert answer.error is None, answer.text
    result = answer.to_json()["result"]
    assert result["rank"] == order.index("weak") + 1
    assert result["signed"] == pytest.approx(contributions["weak"], rel=1e-6, abs=1e-9)
    assert ("toward" if contributions["weak"] >= 0 else "away from") in answer.text
    # without a feature, one row has no importance over rows: the answer says to ask why
    assert Assistant(ws).run(f"filter id == {row} then importance").error is not None


def test_the_top_features_of_one_row_are_its_largest_own_attributions():
    # "which single thing mattered most for her?": one person's own attributions, largest first,
    # each with the way it pushed; closed form for a linear model: coef_j (x_j - mean x_j)
    X, signal, rng = synthetic(seed=3)
    y = signal + 0.1 * rng.normal(size=len(X))
    model = LinearRegression().fit(X, y)
    ws = Workspace.from_frame("synthetic", X.assign(y=y), model, {"target": "y", "task": "regression"})
    row = 11
    contributions = model.coef_ * (X.iloc[row] - X.mean())
    order = list(contributions.abs().sort_values(ascending=False).index)
    answer = Assistant(ws).run(f"filter id == {row} then importance top 2")
    assert answer.error is None, answer.text
    result = answer.to_json()["result"]
    assert [x["feature"] for x in result["ranking"][:2]] == order[:2]
    assert result["signed_top"] == pytest.approx([contributions[f] for f in order[:2]], rel=1e-6, abs=1e-9)
    for f in order[:2]:
        assert f"{f} ({'toward' if contributions[f] >= 0 else 'away from'}" in answer.text
