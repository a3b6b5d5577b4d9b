"""interactions, dependence and rules, each against an oracle computed another way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression

from talk2model import Assistant
from talk2model.explainers import explainer_for
from talk2model.explainers.interactions import friedman_h
from talk2model.formatting import fmt_percent
from talk2model.ops.dependence import describe_trend
from talk2model.workspace import Workspace, load_workspace


def ok(ws, query):
    answer = Assistant(ws).run(query)
    assert answer.error is None, answer.text
    return answer


# ---- interactions --------------------------------------------------------------------------
def product_workspace(model_cls, **kw):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, size=(800, 4)), columns=["a", "b", "c", "d"])
    y = 2 * X.a * X.b + X.c + 0.5 * X.d
    return Workspace.from_frame("product", X.assign(y=y), model_cls(**kw).fit(X, y),
                                {"target": "y", "task": "regression"}), X


def test_tree_interactions_find_the_product_term_and_match_shap():
    ws, X = product_workspace(GradientBoostingRegressor, n_estimators=150, max_depth=3, random_state=0)
    answer = ok(ws, "interactions")
    pairs = answer.to_json()["result"]["pairs"]
    assert {pairs[0]["a"], pairs[0]["b"]} == {"a", "b"}
    sample = X.sample(200, random_state=0).sort_index()     # the op explains a seeded sample of 200
    assert answer.to_json()["result"]["rows_used"] == 200
    inter = shap.TreeExplainer(ws.model.estimator).shap_interaction_values(sample.to_numpy())
    assert pairs[0]["strength"] == pytest.approx(2 * np.abs(inter[:, 0, 1]).mean(), rel=1e-6)


def test_friedman_h_is_zero_for_an_additive_model_and_large_for_a_product():
    ws, X = product_workspace(LinearRegression)
    found = friedman_h(explainer_for(ws), ws.data)
    assert found.measure == "friedman-h"
    assert max(s for _, _, s in found.pairs) < 1e-6      # a linear model has no interactions
    # a product f = a*b: partial dependences on a and b alone are ~0, so H(a, b) is ~1
    model = ws.model
    model.estimator = _Product()
    ex = explainer_for(Workspace.from_frame("p", X.assign(y=X.a * X.b), _Product(), {"target": "y", "task": "regression"}))
    h = {frozenset((a, b)): s for a, b, s in friedman_h(ex, ex.workspace.data, features=["a", "b", "c"]).pairs}
    assert h[frozenset(("a", "b"))] > 0.9
    assert h[frozenset(("a", "c"))] < 1e-6


class _Product:
    """f(x) = a * b, an estimator with the scikit-learn interface and nothing else."""

    feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)

    def fit(self, X, y):
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return X[:, 0] * X[:, 1]


def test_interactions_on_the_torch_workspace_use_friedman_h():
    answer = ok(load_workspace("diabetes-mlp"), "interactions")
    result = answer.to_json()["result"]
    assert result["measure"] == "friedman-h" and len(result["pairs"]) == 15
    assert all(0 <= p["strength"] for p in result["pairs"])


# ---- dependence ----------------------------------------------------------------------------
def test_partial_dependence_matches_a_brute_force_average(credit):
    answer = ok(credit, "dependence duration")
    result = answer.to_json()["result"]
    X = credit.X()
    rows = X.sample(500, random_state=0) if len(X) > 500 else X
    for value, average in list(zip(result["grid"], result["average"]))[::5]:
        changed = rows.assign(duration=float(value))
        oracle = credit.model.estimator.predict_proba(changed)[:, 1].mean()
        assert average == pytest.approx(oracle, abs=1e-9)
    assert result["trend"] == "falls"
    assert answer.figure.kind == "line"


def test_dependence_on_the_torch_model_and_one_row(diabetes):
    mlp = load_workspace("diabetes-mlp")
    answer = ok(mlp, "filter id == 51 then dependence Glucose")
    result = answer.to_json()["result"]
    row = mlp.X().loc[[51]]
    for value, own in zip(result["grid"][::4], result["row_curve"][::4]):
        assert own == pytest.approx(mlp.model.predict_proba(row.assign(Glucose=float(value)))[0, 1], abs=1e-6)
    assert result["trend"] == "rises"


def test_dependence_on_a_categorical_feature(credit):
    result = ok(credit, "dependence purpose").to_json()["result"]
    assert set(result["grid"]) == set(credit.data.purpose.unique())
    rows = credit.X().sample(500, random_state=0)
    k = result["grid"].index("car")
    assert result["average"][k] == pytest.approx(
        credit.model.estimator.predict_proba(rows.assign(purpose="car"))[:, 1].mean(), abs=1e-9)


@pytest.mark.parametrize("y, trend, threshold", [
    ([0, 0.1, 0.2, 0.3, 0.4], "rises", None),
    ([0.5, 0.4, 0.3, 0.2, 0.1], "falls", None),
    ([0.1, 0.1, 0.1, 0.9, 0.9], "rises", 2.5),
    ([0.2, 0.6, 0.9, 0.5, 0.1], "rises then falls", None),
    ([0.3, 0.3, 0.302, 0.3, 0.301], "flat", None),
])
def test_trend_words(y, trend, threshold):
    got, at = describe_trend(np.arange(5, dtype=float), np.asarray(y))
    assert got == trend and at == threshold


# ---- rules ---------------------------------------------------------------------------------
def test_rules_fidelity_is_the_surrogates_agreement_with_the_model(credit):
    from sklearn.tree import DecisionTreeClassifier

    from talk2model.ops.rules import encode

    answer = ok(credit, "rules")
    result = answer.to_json()["result"]
    X = encode(credit.X(), credit.schema)
    pred = credit.predictions()
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=20, random_state=0).fit(X, pred)
    assert result["fidelity"] == pytest.approx(float((tree.predict(X) == pred).mean()))
    assert sum(r["rows"] for r in result["rules"]) == len(credit.data)
    assert fmt_percent(result["fidelity"]) in answer.text
    assert answer.text.count("\n- If ") == min(6, len(result["rules"]))
    assert len(answer.table) == answer.text.count("\n- If ")      # the table lists the rules the text does


def test_rules_on_a_selection_state_conditions_that_hold(compas):
    answer = ok(compas, "filter age > 40 then rules")
    result = answer.to_json()["result"]
    assert result["n"] == int((compas.data.age > 40).sum())
    first = result["rules"][0]
    assert first["conditions"] and first["rows"] > 0


def test_rules_refuse_a_single_row(credit):
    answer = Assistant(credit).run("filter id == 3 then rules")
    assert "need a group of at least 20 applicants; this selection has 1" in answer.text
