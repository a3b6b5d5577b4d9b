"""What-if: changes on a copy (never the data), flags and one-hot groups kept consistent,
values beyond the data's range flagged, and group flips counted — checked against the
estimator called directly on rows changed by hand with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from talk2model import Assistant
from talk2model.engine import run_query
from talk2model.query.ast import Query
from talk2model.query.validate import validate
from talk2model.state import Conversation
from talk2model.workspace import load_workspace


@pytest.fixture(scope="module")
def credit():
    return load_workspace("credit")


@pytest.fixture(scope="module")
def compas():
    return load_workspace("compas")


@pytest.fixture(scope="module")
def german():
    return load_workspace("german")


def raw_predict(ws, frame: pd.DataFrame) -> np.ndarray:
    return ws.model.estimator.predict(frame[ws.model.feature_names])


def context(ws, text: str):
    query = validate(Query.from_text(text), ws.schema)
    return run_query(ws, query, Conversation()).context


@pytest.mark.parametrize("name, queries", [
    ("credit", ["whatif age set 80 then predict",
                "filter age > 40 then whatif credit_amount increase 2000 then whatif housing set \"rent\" then likelihood",
                "filter id == 12 then whatif duration decrease 6 then counterfactual"]),
    ("compas", ["whatif woman set 1 then predict", "filter id == 1595 then whatif black set 0 then predict"]),
    ("german", ["whatif loanpurposeUsedCar set 1 then whatif LoanAmount set 99999 then predict"]),
])
def test_whatif_never_changes_the_workspace_data(name, queries):
    ws = load_workspace(name)
    before = ws.data.copy(deep=True)
    bot = Assistant(ws)
    for text in queries:
        answer = bot.run(text)
        assert answer.error is None, answer.text
    pd.testing.assert_frame_equal(ws.data, before)


def test_single_row_prediction_and_probability_before_and_after(credit):
    answer = Assistant(credit).run("filter id == 1 then whatif duration set 12 then predict")
    row = credit.data.loc[[1]].copy()
    changed = row.assign(duration=12)
    est = credit.model.estimator
    before, after = raw_predict(credit, row)[0], raw_predict(credit, changed)[0]
    result = answer.result
    assert result["before"] == {"1": before} and result["predictions"] == {"1": after}
    cls = list(est.classes_).index(after)
    p = answer.result["probability"]
    assert p["before"] == pytest.approx(est.predict_proba(row[credit.model.feature_names])[0, cls])
    assert p["after"] == pytest.approx(est.predict_proba(changed[credit.model.feature_names])[0, cls])


def test_group_flips_are_counted_by_direction(credit):
    answer = Assistant(credit).run("filter age > 50 then whatif credit_amount increase 2000 then predict")
    rows = credit.data[credit.data.age > 50]
    before = pd.Series(raw_predict(credit, rows), index=rows.index)
    after = pd.Series(raw_predict(credit, rows.assign(credit_amount=rows.credit_amount + 2000)), index=rows.index)
    expected = {f"{a} -> {b}": int(((before == a) & (after == b)).sum())
                for a in (0, 1) for b in (0, 1) if a != b and ((before == a) & (after == b)).any()}
    assert answer.result["flips"] == expected
    assert sum(expected.values()) > 0
    for key, n in expected.items():
        a, b = key.split(" -> ")
        assert (f"{n:,} from {credit.schema.class_phrase(int(a))} to "
                f"{credit.schema.class_phrase(int(b))}") in answer.text


def test_likelihood_after_a_group_whatif_counts_flips(credit):
    answer = Assistant(credit).run("filter age > 50 then whatif duration increase 24 then likelihood")
    rows = credit.data[credit.data.age > 50]
    before = raw_predict(credit, rows)
    after = raw_predict(credit, rows.assign(duration=rows.duration + 24))
    assert sum(answer.result["flips"].values()) == int((before != after).sum())


def test_value_beyond_the_data_is_allowed_but_flagged(credit):
    oldest = int(credit.data.age.max())
    answer = Assistant(credit).run(f"filter id == 12 then whatif age set {oldest + 5} then predict")
    assert answer.error is None
    assert f"no applicant in the data is older than {oldest}" in answer.text
    assert answer.result["notes"] == [f"no applicant in the data is older than {oldest}"]
    inside = Assistant(credit).run(f"filter id == 12 then whatif age set {oldest - 5} then predict")
    assert inside.result["notes"] == [] and "Note:" not in inside.text
    big = int(credit.data.credit_amount.max())
    smallest = int(credit.data.credit_amount.min())       # below the data, above the lowest possible
    low = Assistant(credit).run(f"whatif credit_amount set {smallest - 100} then likelihood")
    assert "below" in " ".join(low.result["notes"])
    high = Assistant(credit).run(f"filter id == 3 then whatif credit_amount set {big + 1} then predict")
    assert any(f"{big:,}" in n for n in high.result["notes"])


def test_setting_a_flag_sets_its_complement(compas):
    ctx = context(compas, "filter id == 10239 then whatif woman set 1 then predict")
    row = ctx.frame.loc[10239]
    assert (row.woman, row.man) == (1, 0)
    assert ctx.original.loc[10239, "man"] == 1          # the original row is untouched
    by_hand = compas.data.loc[[10239]].assign(woman=1, man=0)
    assert ctx.predictions().loc[10239] == raw_predict(compas, by_hand)[0]
    # complements are exactly the flags that add up to 1 with it in every row of the data
    flags = [f for f, spec in compas.schema.features.items() if spec.kind == "flag"]
    for flag in flags:
        ctx = context(compas, f"filter id == 10239 then whatif {flag} set 1 then predict")
        moved = {f for f in flags if f != flag and ctx.frame.loc[10239, f] != compas.data.loc[10239, f]}
        partners = {f for f in flags if f != flag and ((compas.data[flag] + compas.data[f]) == 1).all()}
        assert moved == {f for f in partners if compas.data.loc[10239, f] != 0}, flag
        assert (ctx.frame.loc[10239, list(partners)] == 0).all()


def test_setting_a_one_hot_member_clears_the_rest_of_its_group(german):
    members = list(german.schema.groups["loan_purpose"])
    ctx = context(german, "whatif loanpurposeUsedCar set 1 then predict")
    assert (ctx.frame[members].sum(axis=1) == 1).all()
    assert (ctx.frame["loanpurposeUsedCar"] == 1).all()
    by_hand = german.data.copy()
    by_hand[members] = 0.0
    by_hand["loanpurposeUsedCar"] = 1.0
    np.testing.assert_array_equal(ctx.predictions().to_numpy(), raw_predict(german, by_hand))


def test_categorical_set(credit):
    ctx = context(credit, "filter housing == \"rent\" then whatif housing set \"own\" then predict")
    assert (ctx.frame.housing == "own").all() and (ctx.original.housing == "rent").all()
    rows = credit.data[credit.data.housing == "rent"].assign(housing="own")
    np.testing.assert_array_equal(ctx.predictions().to_numpy(), raw_predict(credit, rows))
