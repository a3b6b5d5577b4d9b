"""Actionable advice: the schema's `actionable`, `direction`, `missing_values`, `lowest` /
`highest` (declared, else inferred), counterfactuals that respect them over 200 rows of credit and
compas, candidates that break them dropped by the last check, group changes that respect them, and
what-ifs that leave a feature's possible values said plainly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from talk2model import Assistant
from talk2model.engine import ERR_IMPOSSIBLE, MSG_IMPOSSIBLE_SOME, MSG_MISSING_VALUE
from talk2model.errors import WorkspaceError
from talk2model.explainers import counterfactual as cfx
from talk2model.workspace import Workspace, load_workspace
from talk2model.workspace import schema as sch


# ------------------------------------------------------------------------------ the schema
def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "prior_offences": rng.integers(0, 9, n),
        "income": rng.normal(0, 1, n).round(2),          # negative values: no lowest inferred
        "balance": rng.choice(["low", "high", "unknown"], n),
        "status": rng.choice(["a", "b", "NA"], n),
        "y": rng.integers(0, 2, n),
    })


def _schema(table=None, frame=None):
    return sch.build_schema("t", {"target": "y", **(table or {})}, _frame() if frame is None else frame)


def test_defaults_are_inferred_from_names_and_data():
    s = _schema({"immutable": ["age"]})
    f = s.features
    assert f["age"].direction == "increase" and not f["age"].actionable
    assert f["prior_offences"].direction == "increase" and f["prior_offences"].actionable
    assert f["income"].direction is None and f["income"].lowest is None
    assert f["age"].lowest == 0 and f["prior_offences"].lowest == 0 and f["age"].highest is None
    assert f["balance"].missing_values == ("unknown",) and f["status"].missing_values == ("NA",)
    assert s.not_actionable == ("age",)


def test_declared_fields_win_over_the_defaults():
    s = _schema({"features": {"prior_offences": {"direction": "decrease", "actionable": False},
                              "balance": {"missing_values": []}, "income": {"lowest": -10, "highest": 10}}})
    f = s.features
    assert f["prior_offences"].direction == "decrease" and not f["prior_offences"].actionable
    assert f["balance"].missing_values == ()
    assert (f["income"].lowest, f["income"].highest) == (-10, 10)


@pytest.mark.parametrize("features, message", [
    ({"income": {"direction": "up"}}, sch.ERR_DIRECTION.format(name="income", value="up")),
    ({"balance": {"direction": "increase"}}, sch.ERR_DIRECTION_KIND.format(name="balance", kind="a category")),
    ({"income": {"actionable": "no"}}, sch.ERR_BOOLEAN.format(name="income", field="actionable", value="no")),
    ({"balance": {"missing_values": ["unknwn"]}},
     sch.ERR_MISSING_VALUE.format(name="balance", value="unknwn", values="high, low, unknown",
                                  hint=" — did you mean 'unknown'?")),
    ({"income": {"missing_values": [0]}}, sch.ERR_MISSING_KIND.format(name="income", kind="a numeric")),
    ({"income": {"lowest": "zero"}}, sch.ERR_BOUND.format(name="income", field="lowest", value="zero")),
    ({"income": {"lowest": 5, "highest": 1}}, sch.ERR_BOUNDS_ORDER.format(name="income", low=5, high=1)),
])
def test_bad_declarations_are_refused_with_the_field_named(features, message):
    with pytest.raises(WorkspaceError) as err:
        _schema({"features": features})
    assert str(err.value) == message


def test_a_bound_the_data_breaks_is_refused():
    frame = _frame()
    with pytest.raises(WorkspaceError) as err:
        _schema({"features": {"income": {"lowest": 0}}}, frame)
    assert str(err.value) == sch.ERR_BOUND_DATA.format(
        name="income", side="below", field="lowest", bound=0, extreme="smallest",
        value=sch.plain_value(frame["income"].min()))
    with pytest.raises(WorkspaceError) as err:
        _schema({"immutable": ["age"], "features": {"age": {"actionable": True}}})
    assert str(err.value) == sch.ERR_IMMUTABLE_ACTIONABLE.format(name="age")


def test_the_built_in_workspaces_declare_them():
    credit, compas = load_workspace("credit"), load_workspace("compas")
    assert credit.schema.features["checking_account"].missing_values == ("not_known",)
    assert not credit.schema.features["purpose"].actionable
    assert credit.schema.features["age"].direction == "increase"
    assert compas.schema.features["number_of_prior_crimes"].direction == "increase"
    assert compas.schema.features["number_of_prior_crimes"].lowest == 0
    assert not compas.schema.features["recidivated"].actionable
    # every immutable feature of every built-in is not actionable
    for name in ("credit", "compas", "german", "diabetes", "adult"):
        schema = load_workspace(name).schema
        assert set(schema.immutable) <= set(schema.not_actionable)


# ------------------------------------------------------------------ counterfactuals, 200 rows
def _check_change(spec, old, new, *, actionable_only: bool):
    assert new not in spec.missing_values, f"{spec.name}: suggests the missing-value code {new!r}"
    if actionable_only:
        assert spec.actionable, f"{spec.name} is not actionable"
    if spec.direction == "increase":
        assert float(new) > float(old), f"{spec.name} may only increase: {old} -> {new}"
    elif spec.direction == "decrease":
        assert float(new) < float(old), f"{spec.name} may only decrease: {old} -> {new}"
    if spec.kind == "numeric":
        assert spec.possible(new)


def _check(ws, row, cf: cfx.Counterfactual, *, actionable_only: bool):
    for name, (old, new) in cf.changes.items():
        if name in ws.schema.groups:        # a one-hot group: its members' specs
            assert all(ws.schema.features[m].actionable or not actionable_only for m in ws.schema.groups[name])
            continue
        _check_change(ws.schema.features[name], old, new, actionable_only=actionable_only)
    changed = cfx.apply_changes(row, cfx.ChangeSpace.from_workspace(ws, allow_immutable=True), cf)
    assert ws.model.estimator.predict(changed)[0] == cf.prediction       # the raw estimator agrees


@pytest.mark.parametrize("name", ["credit", "compas"])
def test_no_counterfactual_suggests_a_missing_value_or_moves_against_direction(name):
    ws = load_workspace(name)
    X = ws.X()
    space = cfx.ChangeSpace.from_workspace(ws)
    fixed = cfx.ChangeSpace.from_workspace(ws, only_fixed=True)
    ids = ws.data.sample(200, random_state=0).index
    shown = bound = 0
    for k, row_id in enumerate(ids):
        row = X.loc[row_id]
        found = cfx.counterfactuals(ws.model, row, space, data=X, schema=ws.schema)
        for cf in found.counterfactuals:
            _check(ws, row, cf, actionable_only=True)
        shown += len(found.counterfactuals)
        if found.binding_example is not None:       # relaxed constraints still keep the facts
            _check(ws, row, found.binding_example, actionable_only=False)
            bound += 1
        if k < 50:                                  # changes outside the person's control
            for cf in cfx.counterfactuals(ws.model, row, fixed, n=2, diagnose=False).counterfactuals:
                _check(ws, row, cf, actionable_only=False)
    assert shown > 100          # the test looked at real suggestions, not an empty list
    if name == "credit":
        # without the constraints, the search would suggest "not known" balances for some of these
        free = cfx.ChangeSpace.build(ws.schema.__class__(**{**ws.schema.__dict__, "features": {
            n: f.__class__(**{**f.__dict__, "missing_values": (), "direction": None}) for n, f in ws.schema.features.items()}}), X)
        suggested = [new for row_id in ids[:40] for cf in cfx.counterfactuals(
            ws.model, X.loc[row_id], free, diagnose=False).counterfactuals
            for new in (v[1] for v in cf.changes.values())]
        assert "not_known" in suggested


def test_candidates_that_break_the_constraints_are_dropped_before_they_are_shown(monkeypatch):
    """The last check (`_verify`) holds even when the search itself offers rule-breaking changes:
    here every single change that breaks a rule is planted in the pool as if the search had found
    it, with the model's own verdict, and none of them may be shown."""
    ws = load_workspace("credit")
    X = ws.X()
    row_id = ws.data.index[(ws.predictions() == 0) & (ws.data["checking_account"] != "not_known")
                           & (ws.data["saving_accounts"] != "not_known")][0]
    row = X.loc[row_id]
    space = cfx.ChangeSpace.from_workspace(ws)
    duration = space.unit("duration")
    bad = [{"checking_account": "not_known"}, {"saving_accounts": "not_known"},
           {"duration": duration.high + 60}, {"duration": duration.low - 5 if duration.low > 5 else -1},
           {"checking_account": "not_known", "saving_accounts": "not_known"}]
    assert not any(space.allows(row, c) for c in bad)
    original = cfx._search_singles
    planted = []

    def singles_and_bad(scorer, row, space, pool):
        out = original(scorer, row, space, pool)
        pred, flips, score = scorer.run(cfx._frame(row, bad, space))
        planted.extend(c for c, ok in zip(bad, flips) if ok)
        cfx._add(pool, scorer, row, space, bad, source="search", known=(pred, flips, score))
        return out

    monkeypatch.setattr(cfx, "_search_singles", singles_and_bad)
    monkeypatch.setattr(cfx, "_shrink_all", lambda scorer, row, space, shortlist: shortlist)  # shown as planted
    found = cfx.counterfactuals(ws.model, row, space, data=X, schema=ws.schema, n=10)
    assert planted, "no rule-breaking change flips this row: the test would check nothing"
    for cf in found.counterfactuals:
        _check(ws, row, cf, actionable_only=True)
        assert {k: v[1] for k, v in cf.changes.items()} not in bad


@pytest.mark.parametrize("name, where", [("credit", "age > 50"), ("compas", "age < 30 and prediction == 1")])
def test_group_changes_respect_direction_and_missing_values(name, where):
    ws = load_workspace(name)
    answer = Assistant(ws).run(f"filter {where} then counterfactual")
    assert answer.error is None, answer.text
    assert answer.result["group_changes"], answer.text
    for g in answer.result["group_changes"]:
        spec = ws.schema.features[g["feature"]]
        assert spec.actionable and g["value"] not in spec.missing_values
        if spec.direction == "increase":
            assert g["how"] in ("at least", "set")
        if spec.direction == "decrease":
            assert g["how"] in ("at most", "set")


def test_the_answer_separates_what_a_person_can_change_from_what_they_cannot():
    ws = load_workspace("credit")
    bot = Assistant(ws)
    for row_id in ws.data.index[ws.predictions() == 0][:15]:
        answer = bot.run(f"filter id == {row_id} then counterfactual")
        outside = answer.result["outside_control"]
        for cf in outside:      # every one of them touches something the person cannot change
            touched = set(cf["units"])
            assert any(not ws.schema.features[t].actionable for t in touched if t in ws.schema.features)
        if outside and answer.result["counterfactuals"]:
            text = answer.body
            assert text.index("could make") < text.index("Outside") < text.index("not something a person can change")
            kinds = list(answer.table["kind"])
            assert kinds == (["a change they can make"] * len(answer.result["counterfactuals"])
                             + ["outside their control"] * len(outside))
            return
    pytest.fail("no credit row among the first 15 denied had both kinds of change")


# ------------------------------------------------------------------------------ what-ifs
def test_a_whatif_below_the_lowest_possible_value_is_said_and_not_predicted():
    ws = load_workspace("compas")
    row_id = ws.data.index[ws.data["number_of_prior_crimes"] == 1][0]
    answer = Assistant(ws).run(f"filter id == {row_id} then whatif number_of_prior_crimes decrease 3 then predict")
    assert answer.error == ERR_IMPOSSIBLE.format(
        change="If number of prior crimes were 3 lower", label="number of prior crimes", value="-2",
        who=f"defendant {row_id}", entity="defendant", side="lowest", bound="0")
    assert answer.results == []


def test_a_group_whatif_leaves_out_the_rows_it_makes_impossible():
    ws = load_workspace("compas")
    answer = Assistant(ws).run("filter age > 50 then whatif number_of_prior_crimes decrease 2 then predict")
    older = ws.data[ws.data["age"] > 50]
    keep = older[older["number_of_prior_crimes"] >= 2]
    assert answer.error is None
    assert MSG_IMPOSSIBLE_SOME.format(
        change="if number of prior crimes were 2 lower", label="number of prior crimes",
        k=len(older) - len(keep), n=len(older), entities="defendants", where="below", bound="0",
        side="lowest", rest=len(keep)) in answer.text
    assert answer.result["n"] == len(keep)
    changed = keep[ws.model.feature_names].assign(number_of_prior_crimes=keep["number_of_prior_crimes"] - 2)
    expected = ws.model.estimator.predict(changed)
    assert [answer.result["predictions"][str(i)] if str(i) in answer.result["predictions"]
            else answer.result["predictions"][i] for i in keep.index] == list(expected)


def test_rows_a_whatif_leaves_out_stay_in_the_group_being_discussed():
    # the conversation goes on about the group as chosen: "how accurate is it on them?" after a
    # what-if that was impossible for some of them is about all of them (pandas is the oracle)
    ws = load_workspace("compas")
    bot = Assistant(ws)
    older = ws.data.index[ws.data["age"] > 50]
    whatif = bot.run("filter age > 50 then whatif number_of_prior_crimes decrease 2 then predict")
    assert whatif.result["n"] < len(older)                  # some left out of the what-if itself
    assert sorted(whatif.selection_ids) == sorted(older)     # but the answer is about the group
    after = bot.run("previous_filter then count")
    assert after.result["count"] == len(older)
    assert sorted(after.selection_ids) == sorted(older)


def test_setting_a_missing_value_code_is_allowed_and_said():
    ws = load_workspace("credit")
    answer = Assistant(ws).run('filter id == 3 then whatif checking_account set "not_known" then predict')
    assert answer.error is None
    assert MSG_MISSING_VALUE.format(value="not known", label="checking account") in answer.text


def test_a_synthetic_workspace_infers_the_bounds_and_uses_them():
    frame = _frame()
    X = frame[["age", "prior_offences", "income"]]
    model = LogisticRegression(max_iter=500).fit(X, frame["y"])
    ws = Workspace.from_frame("t", frame[["age", "prior_offences", "income", "y"]], model, {"target": "y"})
    young = int(frame["age"].min())
    answer = Assistant(ws).run(f"filter age == {young} then whatif age decrease {young + 1} then predict")
    assert answer.error is not None and "there is no such row" in answer.error
    fine = Assistant(ws).run("whatif income decrease 100 then predict")     # no bound: allowed
    assert fine.error is None
