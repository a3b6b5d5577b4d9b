"""explain: SHAP attributions checked against oracles computed another way (additivity, closed
forms, sums of parts), LIME against SHAP, and answers through the Assistant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
import torch
from sklearn.linear_model import LogisticRegression

from talk2model import Assistant
from talk2model.explainers import explainer_for
from talk2model.workspace import Workspace, load_workspace


@pytest.fixture(scope="module")
def mlp():
    return load_workspace("diabetes-mlp")


def final_and_matrix(ws):
    est = ws.model.estimator
    X = ws.X()
    if hasattr(est, "steps"):
        return est[-1], est[:-1].transform(X)
    return est, X


def test_tree_additivity_on_the_pipeline_model(credit):
    att = explainer_for(credit).attributions(credit.data)
    final, Z = final_and_matrix(credit)
    margin = final.decision_function(Z)            # log-odds, computed by sklearn itself
    assert att.space == "log-odds" and att.method == "shap-tree"
    np.testing.assert_allclose(att.values.sum(axis=1) + att.base, margin, atol=1e-6)
    np.testing.assert_allclose(att.output, margin, atol=1e-9)


def test_random_forest_explains_the_probability(diabetes):
    att = explainer_for(diabetes).attributions(diabetes.data)
    proba = diabetes.model.estimator.predict_proba(diabetes.X())[:, 1]
    assert att.space == "probability"
    np.testing.assert_allclose(att.values.sum(axis=1) + att.base, proba, atol=1e-6)


def test_torch_mlp_additivity_with_deep_shap(mlp):
    att = explainer_for(mlp).attributions(mlp.data)
    module = mlp.model.estimator.module
    with torch.no_grad():
        logit = module(torch.as_tensor(mlp.X().to_numpy(np.float32))).numpy().ravel()
    assert att.method == "shap-deep" and att.space == "log-odds"
    np.testing.assert_allclose(att.values.sum(axis=1) + att.base, logit, atol=1e-4)
    # the model's decisions follow the logit
    assert ((logit > 0).astype(int) == mlp.predictions().to_numpy()).all()


def test_linear_attributions_equal_coef_times_distance_from_background_mean(compas):
    att = explainer_for(compas).attributions(compas.data)
    scaler, lr = compas.model.estimator[0], compas.model.estimator[-1]
    X = compas.X().to_numpy(float)
    # closed form in the user's units: coef / scale * (x - mean of the background)
    closed = lr.coef_[0] / scaler.scale_ * (X - X.mean(axis=0))
    np.testing.assert_allclose(att.values.to_numpy(), closed, atol=1e-8)
    np.testing.assert_allclose(att.base + att.values.sum(axis=1),
                               compas.model.estimator.decision_function(compas.X()), atol=1e-8)


def test_one_hot_columns_sum_to_their_source_column(credit):
    final, Z = final_and_matrix(credit)
    names = list(credit.model.estimator[:-1].get_feature_names_out())
    raw = shap.TreeExplainer(final).shap_values(Z[:50])
    att = explainer_for(credit).attributions(credit.data.iloc[:50])
    for col in ("purpose", "housing", "checking_account"):
        parts = [i for i, n in enumerate(names) if n.startswith(col + "_")]
        assert len(parts) >= 3
        np.testing.assert_allclose(att.values[col], raw[:, parts].sum(axis=1), atol=1e-10)
    np.testing.assert_allclose(att.values["age"], raw[:, names.index("age")], atol=1e-10)


def test_schema_group_is_the_sum_of_its_flags(german):
    group = list(german.schema.groups["loan_purpose"])
    raw = shap.TreeExplainer(german.model.estimator).shap_values(german.X())
    att = explainer_for(german).attributions(german.data)
    cols = [german.model.feature_names.index(c) for c in group]
    np.testing.assert_allclose(att.values["loan_purpose"], raw[:, cols].sum(axis=1), atol=1e-10)
    assert not set(group) & set(att.features)


def test_lime_and_shap_agree_on_the_top_feature_of_a_simple_model():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["a", "b", "c", "d"])
    y = (3 * X.a + 0.5 * X.b + 0.2 * rng.normal(size=400) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    ws = Workspace.from_frame("toy", X.assign(y=y), model, {"target": "y"})
    ex = explainer_for(ws)
    rows = ws.data.iloc[:5]
    shap_att = ex.attributions(rows)
    lime_att = ex.attributions(rows, "lime")
    assert lime_att.method == "lime"
    for rid in rows.index:
        assert shap_att.values.loc[rid].abs().idxmax() == "a"
        assert lime_att.values.loc[rid].abs().idxmax() == "a"
        assert np.sign(shap_att.values.loc[rid, "a"]) == np.sign(lime_att.values.loc[rid, "a"])


def test_explain_one_row_through_the_assistant_reports_reasons_and_json(credit):
    answer = Assistant(credit).run("filter id == 1 then explain auto")
    assert answer.error is None, answer.text
    result = answer.to_json()["result"]
    assert result["output_space"] == "log-odds"
    assert set(result["attributions"]) == set(credit.model.feature_names)
    final, Z = final_and_matrix(credit)
    margin = final.decision_function(Z[1:2])[0]
    assert result["output_value"] == pytest.approx(margin, abs=1e-6)
    assert result["base_value"] + sum(result["attributions"].values()) == pytest.approx(margin, abs=1e-6)
    # principal reasons: at most four, all pushing toward the predicted class (bad risk = 0)
    assert credit.predictions().loc[1] == 0 and result["predicted"] == 0
    reasons = result["reasons"]
    assert 1 <= len(answer.text.split("\n- ")) - 1 <= 4
    assert all(r["attribution"] < 0 for r in reasons)
    strongest = min(result["attributions"], key=result["attributions"].get)
    assert reasons[0]["feature"] == strongest == "duration"
    assert "48 months" in answer.text and "pushed toward bad credit risk" in answer.text
    assert answer.figure is not None and answer.figure.kind == "bar"


def test_explain_many_rows_gives_mean_attributions(compas):
    answer = Assistant(compas).run("filter age > 40 then explain auto")
    assert answer.error is None, answer.text
    rows = compas.data[compas.data.age > 40]
    oracle = explainer_for(compas).attributions(rows).values.mean()
    result = answer.to_json()["result"]
    assert result["n"] == len(rows)
    for feature, value in result["attributions"].items():
        assert value == pytest.approx(oracle[feature], abs=1e-9)
    top = max(result["mean_abs"], key=result["mean_abs"].get)
    assert answer.table.iloc[0]["feature"] == compas.schema.features[top].label


def test_explain_after_a_whatif_explains_the_changed_row(credit):
    answer = Assistant(credit).run("filter id == 1 then whatif duration set 6 then explain auto")
    assert answer.error is None, answer.text
    changed = credit.data.loc[[1]].assign(duration=6)
    final, Z = final_and_matrix(credit)
    margin = final.decision_function(credit.model.estimator[:-1].transform(changed[credit.model.feature_names]))[0]
    assert answer.to_json()["result"]["output_value"] == pytest.approx(margin, abs=1e-6)


def test_explain_on_the_torch_workspace_through_the_assistant(mlp):
    answer = Assistant(mlp).run({"steps": [{"op": "filter", "where": {"feature": "id", "cmp": "==", "value": 378}},
                                           {"op": "explain"}]})
    assert answer.error is None, answer.text
    result = answer.to_json()["result"]
    assert result["method"] == "shap-deep"
    logit = mlp.model.estimator.decision_function(mlp.X().loc[[378]])[0]
    assert result["output_value"] == pytest.approx(logit, abs=1e-5)


def test_multiclass_rows_explain_their_predicted_class_and_add_up():
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    iris = load_iris(as_frame=True)
    X = iris.data.set_axis(["sl", "sw", "pl", "pw"], axis=1)
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, iris.target)
    ws = Workspace.from_frame("iris", X.assign(y=iris.target), model, {"target": "y"})
    att = explainer_for(ws).attributions(ws.data)
    proba = model.predict_proba(X)
    pred = model.predict(X)
    assert (att.explained.to_numpy() == pred).all()
    np.testing.assert_allclose(att.values.sum(axis=1) + att.base, proba[np.arange(len(X)), pred], atol=1e-6)


def test_regression_reasons_push_the_prediction_the_way_it_went():
    from sklearn.ensemble import GradientBoostingRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = 3 * X.a - X.b + 0.1 * rng.normal(size=300)
    model = GradientBoostingRegressor(random_state=0).fit(X, y)
    ws = Workspace.from_frame("reg", X.assign(y=y), model, {"target": "y", "task": "regression"})
    answer = Assistant(ws).run("filter id == 7 then explain auto")
    result = answer.to_json()["result"]
    assert result["output_value"] == pytest.approx(model.predict(X.loc[[7]])[0], abs=1e-9)
    went_up = result["output_value"] > result["base_value"]
    assert all((r["attribution"] > 0) == went_up for r in result["reasons"])
    assert f"pushed the prediction {'up' if went_up else 'down'}" in answer.text
