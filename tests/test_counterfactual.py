"""Counterfactuals: every one shown really flips the prediction (re-predicted here with the raw
estimator on a row changed by hand), leaves immutable and not-actionable features alone, moves
numbers only in their direction, never suggests a missing-value code, stays within the values
seen in the data (one member of a one-hot group set), and the list is minimal and sorted."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from talk2model import Assistant
from talk2model.explainers import counterfactual as cfx
from talk2model.ops.counterfactual import ERR_REGRESSION
from talk2model.workspace import Workspace, load_workspace


def raw_predict(ws, frame: pd.DataFrame):
    return ws.model.estimator.predict(frame[ws.model.feature_names])


def check_counterfactuals(ws, row_id, result):
    """The oracle: each alternative applied by hand, predicted by the raw estimator."""
    row = ws.data.loc[[row_id]]
    original = raw_predict(ws, row)[0]
    assert result["original_prediction"] == original
    schema = ws.schema
    for cf in result["counterfactuals"]:
        changed = row.copy()
        for feature, change in cf["changes"].items():
            assert feature not in schema.immutable
            spec = schema.features[feature]
            assert spec.actionable, f"{feature} is not actionable"
            assert change["to"] not in spec.missing_values
            if spec.direction == "increase":
                assert change["to"] > change["from"]
            elif spec.direction == "decrease":
                assert change["to"] < change["from"]
            assert change["from"] == row.iloc[0][feature]
            assert change["to"] != change["from"]
            changed[feature] = change["to"]
            seen = ws.data[feature]
            if spec.kind == "numeric":
                assert seen.min() <= change["to"] <= seen.max()
            else:
                assert change["to"] in set(seen)
        for members in schema.groups.values():
            assert changed[list(members)].sum(axis=1).iloc[0] == 1
        new = raw_predict(ws, changed)[0]
        assert new != original and new == cf["prediction"]
    keys = [(cf["n_changed"], cf["distance"]) for cf in result["counterfactuals"]]
    assert keys == sorted(keys)
    sets = [set(cf["units"]) for cf in result["counterfactuals"]]
    for i, a in enumerate(sets):
        for b in sets[:i]:
            assert not b <= a       # none is a superset of an earlier one: minimal and diverse
    return result["counterfactuals"]


@pytest.fixture(scope="module")
def credit():
    return load_workspace("credit")


@pytest.mark.parametrize("name", ["credit", "compas", "german"])
def test_counterfactuals_flip_and_respect_the_constraints(name):
    ws = load_workspace(name)
    pred = pd.Series(raw_predict(ws, ws.data), index=ws.data.index)
    ids = list(pred[pred == 0].index[:2]) + list(pred[pred == 1].index[:2])
    bot = Assistant(ws)
    found = 0
    for row_id in ids:
        answer = bot.run(f"filter id == {row_id} then counterfactual")
        assert answer.error is None, answer.text
        cfs = check_counterfactuals(ws, row_id, answer.result)
        assert len(cfs) <= 3
        found += bool(cfs)
        for cf in cfs:
            assert ws.schema.class_phrase(cf["prediction"]) in answer.text
        if not cfs:     # none a person can make: the answer says which constraint binds
            assert answer.result["binding"] in ("immutable", "range", "none")
    # compas: a defendant's record only grows and the charge is a fact, so most "likely to
    # commit a crime" predictions cannot be flipped by anything the defendant can change
    assert found >= (len(ids) - 1 if name != "compas" else 2)


def test_sentence_names_the_changes_in_plain_words(credit):
    answer = Assistant(credit).run("filter id == 1 then counterfactual")
    cf = answer.result["counterfactuals"][0]
    (feature, change), = list(cf["changes"].items())[:1]
    label = credit.schema.features[feature].label
    assert f"If the {label} were " in answer.text
    assert f"instead of {change['from']:,}" in answer.text if isinstance(change["from"], int) else True
    assert "would predict good credit risk" in answer.text
    assert answer.table is not None
    assert len(answer.table) == len(answer.result["counterfactuals"]) + len(answer.result["outside_control"])
    assert list(answer.table["kind"]).count("a change they can make") == len(answer.result["counterfactuals"])


def test_counterfactual_after_a_whatif_starts_from_the_changed_row(credit):
    answer = Assistant(credit).run("filter id == 1 then whatif duration set 12 then counterfactual")
    changed = credit.data.loc[[1]].assign(duration=12)
    assert answer.result["original_prediction"] == raw_predict(credit, changed)[0]
    for cf in answer.result["counterfactuals"]:
        for feature, change in cf["changes"].items():
            assert change["from"] == changed.iloc[0][feature]


# ------------------------------------------------------------------------ synthetic workspaces
def synthetic(n=400, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "blue", "green"], size=n)
    frame = pd.DataFrame({
        "age": rng.integers(20, 70, size=n),
        "income": rng.normal(50, 10, size=n).round(1),
        "colour_red": (colour == "red").astype(int),
        "colour_blue": (colour == "blue").astype(int),
        "colour_green": (colour == "green").astype(int),
    })
    return frame, rng


SCHEMA = {"target": "y", "favourable": 1, "immutable": ["age"],
          "groups": {"colour": ["colour_red", "colour_blue", "colour_green"]}}


def test_a_one_hot_group_changes_as_one_unit():
    frame, rng = synthetic()
    frame["y"] = frame.colour_green
    model = LogisticRegression(C=100).fit(frame.drop(columns="y"), frame.y)
    ws = Workspace.from_frame("colours", frame, model, SCHEMA)
    row_id = int(frame.index[frame.colour_red == 1][0])
    answer = Assistant(ws).run(f"filter id == {row_id} then counterfactual")
    cfs = check_counterfactuals(ws, row_id, answer.result)
    assert cfs and cfs[0]["units"] == {"colour": {"from": "colour_red", "to": "colour_green"}}
    assert cfs[0]["changes"] == {"colour_red": {"from": 1, "to": 0}, "colour_green": {"from": 0, "to": 1}}
    assert "the colour were green instead of red" in answer.text


class Threshold(ClassifierMixin, BaseEstimator):
    """Predicts 1 when `feature` is above `cut`: a model whose flips are known in advance."""

    def __init__(self, feature="age", cut=0.0):
        self.feature, self.cut = feature, cut

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(X[self.feature].to_numpy(dtype=float) - self.cut)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (X[self.feature].to_numpy(dtype=float) > self.cut).astype(int)


def test_when_only_an_immutable_feature_would_flip_it_says_so():
    frame, _ = synthetic()
    frame["y"] = (frame.age > 45).astype(int)
    model = Threshold("age", 45).fit(frame.drop(columns="y"), frame.y)
    ws = Workspace.from_frame("ages", frame, model, SCHEMA)
    row_id = int(frame.index[frame.age < 40][0])
    answer = Assistant(ws).run(f"filter id == {row_id} then counterfactual")
    assert answer.result["counterfactuals"] == []
    assert answer.result["binding"] == "immutable"
    example = answer.result["binding_example"]["changes"]
    assert set(example) == {"age"} and example["age"]["to"] > 45
    assert "immutability" in answer.text and "only a change to age would" in answer.text


def test_when_only_values_beyond_the_data_would_flip_it_says_so():
    frame, _ = synthetic()
    cut = float(frame.income.max()) + 5
    frame["y"] = 0
    frame.loc[frame.index[:5], "y"] = 1
    model = Threshold("income", cut).fit(frame.drop(columns="y"), frame.y)
    ws = Workspace.from_frame("incomes", frame, model, SCHEMA)
    answer = Assistant(ws).run("filter id == 3 then counterfactual")
    assert answer.result["counterfactuals"] == []
    assert answer.result["binding"] == "range"
    assert answer.result["binding_example"]["changes"]["income"]["to"] > cut
    assert "the data's range" in answer.text


def test_group_answer_counts_members_each_change_flips(credit):
    answer = Assistant(credit).run("filter age > 50 then counterfactual")
    result = answer.result
    rows = credit.data[credit.data.age > 50]
    pred = raw_predict(credit, rows)
    members = rows[pred != 1]
    assert result["members"] == len(members) and result["desired"] == 1
    assert result["group_changes"]
    flips = [g["flipped"] for g in result["group_changes"]]
    assert flips == sorted(flips, reverse=True)
    for g in result["group_changes"]:
        assert g["feature"] not in credit.schema.immutable
        changed = members.copy()
        if g["how"] == "at most":
            changed[g["feature"]] = np.minimum(changed[g["feature"]], g["value"])
        elif g["how"] == "at least":
            changed[g["feature"]] = np.maximum(changed[g["feature"]], g["value"])
        else:
            changed[g["feature"]] = g["value"]
        altered = (changed[g["feature"]] != members[g["feature"]]).to_numpy()
        assert g["flipped"] == int(((raw_predict(credit, changed) == 1) & altered).sum())
        assert g["of"] == len(members)


def test_only_what_the_model_confirms_is_shown(credit, monkeypatch):
    """The search's scorer is made to call every candidate a flip; the final re-check asks the
    model again, so only real flips (by the raw estimator) are shown."""
    row = credit.X().loc[1]
    space = cfx.ChangeSpace.from_workspace(credit)
    real_run = cfx._Scorer.run

    def liar(self, frame):
        pred, flips, score = real_run(self, frame)
        return pred, np.ones_like(flips, dtype=bool), score

    monkeypatch.setattr(cfx._Scorer, "run", liar)
    found = cfx.counterfactuals(credit.model, row, space, n=5, diagnose=False)
    for cf in found.counterfactuals:
        changed = credit.data.loc[[1]].copy()
        for name, (_, new) in cf.changes.items():
            changed[name] = new
        assert raw_predict(credit, changed)[0] != 0
    assert found.engines in ([], ["search"])


def test_regression_models_are_refused():
    from sklearn.linear_model import LinearRegression

    frame, rng = synthetic()
    frame["y"] = frame.income * 2.5 + rng.normal(size=len(frame))
    ws = Workspace.from_frame("reg", frame, LinearRegression().fit(frame.drop(columns="y"), frame.y),
                              {"target": "y", "task": "regression"})
    answer = Assistant(ws).run("filter id == 1 then counterfactual")
    assert answer.results[-1]["error"] == ERR_REGRESSION
    assert ERR_REGRESSION[1:] in answer.text
