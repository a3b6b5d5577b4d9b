"""The bias check: group metrics recomputed by hand with pandas and checked against fairlearn,
bands and intersections counted by hand, planted bias flagged (and its absence not), proxies
against the phi coefficient, and the individual flip test against the raw estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, demographic_parity_difference, demographic_parity_ratio,
                               equalized_odds_difference, selection_rate, true_positive_rate)
from sklearn.linear_model import LogisticRegression

from talk2model import Assistant
from talk2model.explainers.fairness import band_of, cramers_v
from talk2model.ops.bias import MSG_SMALL, CAVEAT, ERR_BANDS, ERR_METRIC, ERR_ONE_GROUP
from talk2model.workspace import Workspace, load_workspace


@pytest.fixture(scope="module")
def credit():
    return load_workspace("credit")


@pytest.fixture(scope="module")
def compas():
    return load_workspace("compas")


def raw_predict(ws, frame):
    return pd.Series(ws.model.estimator.predict(frame[ws.model.feature_names]), index=frame.index)


def by_hand(ws, groups: pd.Series):
    """Per group, with pandas only: size and selection rate on every row; TPR, FPR and accuracy
    on the rows the model was not trained on."""
    fav = ws.schema.favourable
    data = ws.data
    pred = raw_predict(ws, data) == fav
    truth = data[ws.schema.target] == fav
    held = ~data.index.isin(list(ws.train_ids or []))
    out = {}
    for g in groups.dropna().unique():
        rows = (groups == g).to_numpy()
        ev = rows & held
        p, t = pred[ev], truth[ev]
        out[g] = {"size": int(rows.sum()), "selection_rate": float(pred[rows].mean()),
                  "evaluated": int(ev.sum()),
                  "tpr": float((p & t).sum() / t.sum()) if t.sum() else None,
                  "fpr": float((p & ~t).sum() / (~t).sum()) if (~t).sum() else None,
                  "accuracy": float((p == t).mean())}
    return out


def assert_groups(result, expected):
    assert set(result["groups"]) == set(expected)
    for g, exp in expected.items():
        got = result["groups"][g]
        for key, value in exp.items():
            if value is None:
                assert got[key] is None, (g, key)
            else:
                assert got[key] == pytest.approx(value), (g, key)


@pytest.mark.parametrize("name, attribute", [("credit", "sex"), ("compas", "black")])
def test_group_metrics_match_pandas_and_fairlearn(name, attribute):
    ws = load_workspace(name)
    answer = Assistant(ws).run(f"bias {attribute}")
    assert answer.error is None, answer.text
    result = answer.result
    spec = ws.schema.features[attribute]
    names = {v: (spec.value_phrases.get(v) or (str(v),))[0] for v in spec.values}
    groups = ws.data[attribute].map(names)
    assert_groups(result, by_hand(ws, groups))
    # the same numbers straight from fairlearn
    fav = ws.schema.favourable
    pred = (raw_predict(ws, ws.data) == fav).astype(int)
    truth = (ws.data[ws.schema.target] == fav).astype(int)
    assert result["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(truth, pred, sensitive_features=groups))
    assert result["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(truth, pred, sensitive_features=groups))
    rates = [g["selection_rate"] for g in result["groups"].values()]
    assert result["demographic_parity_ratio"] == pytest.approx(min(rates) / max(rates))
    held = ~ws.data.index.isin(list(ws.train_ids or []))
    assert result["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(truth[held], pred[held], sensitive_features=groups[held]))
    frame = MetricFrame(metrics={"sr": selection_rate, "tpr": true_positive_rate},
                        y_true=truth[held], y_pred=pred[held], sensitive_features=groups[held])
    for g, row in frame.by_group.iterrows():
        assert result["groups"][g]["tpr"] == pytest.approx(row["tpr"])
    assert result["four_fifths_flagged"] == (result["demographic_parity_ratio"] < 0.8)
    assert CAVEAT in answer.text
    if ws.train_ids:
        assert "not trained on" in answer.text and result["evaluated"] == int(held.sum())
    # the chart: one bar per group, the selection rates
    fig = answer.figure
    assert fig.kind == "bar" and fig.labels == list(result["groups"])
    assert fig.values == pytest.approx(rates)


def test_numbers_are_banded_by_default_and_as_asked(credit):
    age = credit.data.age
    result = Assistant(credit).run("bias age").result
    expected = {"age under 25": age < 25, "age 25–60": (age >= 25) & (age <= 60), "age over 60": age > 60}
    assert list(result["groups"]) == list(expected)
    assert {g: v["size"] for g, v in result["groups"].items()} == {g: int(m.sum()) for g, m in expected.items()}
    result = Assistant(credit).run("bias age bands 30 40 50").result
    expected = {"age under 30": age < 30, "age 30–40": (age >= 30) & (age < 40),
                "age 40–50": (age >= 40) & (age <= 50), "age over 50": age > 50}
    assert {g: v["size"] for g, v in result["groups"].items()} == {g: int(m.sum()) for g, m in expected.items()}
    assert_groups(result, by_hand(credit, band_of(age, (30, 40, 50)).map(lambda t: f"age {t}")))


def test_intersectional_groups(credit):
    answer = Assistant(credit).run("bias age bands 40 and sex")
    result = answer.result
    d = credit.data
    sexes = d.sex.map({"female": "women", "male": "men"})
    ages = pd.Series(np.where(d.age < 40, "age under 40", "age over 40"), index=d.index)
    labels = ages + ", " + sexes
    assert {g: v["size"] for g, v in result["groups"].items()} == labels.value_counts().to_dict()
    assert list(result["groups"]) == ["age under 40, women", "age under 40, men",
                                      "age over 40, women", "age over 40, men"]
    assert_groups(result, by_hand(credit, labels))


def test_individual_flip_test_changes_pairs_consistently(compas):
    row_id = 1595
    answer = Assistant(compas).run(f"filter id == {row_id} then bias woman")
    (flip,) = answer.result["flip_test"]
    row = compas.data.loc[[row_id]]
    changed = row.assign(woman=1 - row.woman, man=1 - row.man)
    assert flip["also_changed"] == ["man"]
    assert flip["prediction"] == raw_predict(compas, changed).iloc[0]
    assert flip["flipped"] == (raw_predict(compas, row).iloc[0] != flip["prediction"])
    assert compas.data.loc[row_id, "woman"] == row.woman.iloc[0]   # data untouched


# ------------------------------------------------------------------------ synthetic workspaces
def population(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 2, size=n)
    frame = pd.DataFrame({
        "woman": sex,
        "income": rng.normal(50, 10, size=n).round(1),
        "height": (170 - 12 * sex + rng.normal(0, 4, size=n)).round(),   # a proxy for sex
        "noise": rng.normal(size=n),
    })
    return frame, rng


SCHEMA = {"target": "approved", "favourable": 1, "sensitive": ["woman"], "immutable": ["woman"],
          "entity": "applicant",
          "features": {"woman": {"value_phrases": {"1": ["women"], "0": ["men"]}}}}


def fitted(frame):
    X = frame.drop(columns="approved")
    return LogisticRegression(max_iter=1000).fit(X, frame.approved)


def test_planted_bias_is_flagged():
    frame, rng = population()
    score = (frame.income - 50) / 10 - 2.5 * frame.woman + rng.normal(0, 0.5, len(frame))
    frame["approved"] = (score > -0.8).astype(int)
    ws = Workspace.from_frame("planted", frame, fitted(frame), SCHEMA)
    answer = Assistant(ws).run("bias woman")
    r = answer.result
    assert r["flagged"] and r["four_fifths_flagged"] and r["demographic_parity_ratio"] < 0.8
    assert r["lowest"] == "women"
    assert answer.text.startswith("I understood") and "There are signs" in answer.text
    assert "the four-fifths rule flags it" in answer.text


def test_no_planted_bias_is_not_flagged():
    frame, rng = population()
    frame["approved"] = ((frame.income - 50) / 10 + rng.normal(0, 0.5, len(frame)) > -0.8).astype(int)
    ws = Workspace.from_frame("fair", frame, fitted(frame), SCHEMA)
    answer = Assistant(ws).run("bias woman")
    r = answer.result
    assert not r["flagged"] and r["demographic_parity_ratio"] > 0.9
    assert "I see no large differences" in answer.text


def test_proxies_are_found_and_measured():
    frame, rng = population()
    frame["tall"] = ((frame.height > 164) ^ (rng.random(len(frame)) < 0.1)).astype(int)
    frame["approved"] = (frame.income > 50).astype(int)
    ws = Workspace.from_frame("proxy", frame, fitted(frame), SCHEMA)
    r = Assistant(ws).run("bias woman").result
    found = {p["feature"]: p for p in r["proxies"]}
    assert found["height"]["strong"] and found["tall"]["strong"]
    assert "noise" not in found and "income" not in found
    # for two yes/no columns, Cramér's V is |phi|, the absolute Pearson correlation
    phi = abs(np.corrcoef(frame.woman, frame.tall)[0, 1])
    assert found["tall"]["cramers_v"] == pytest.approx(phi)
    assert cramers_v(frame.woman, frame.tall) == pytest.approx(phi)


def test_small_groups_are_warned_about():
    frame, rng = population(400)
    frame["group"] = np.where(np.arange(len(frame)) < 12, "rare", "common")
    frame["approved"] = (frame.income > 50).astype(int)
    model = LogisticRegression(max_iter=1000).fit(
        frame.drop(columns=["approved", "group"]), frame.approved)

    class OnNumbers:  # the model ignores the text column
        classes_ = model.classes_
        feature_names_in_ = np.asarray(list(frame.drop(columns="approved").columns), dtype=object)

        def predict(self, X):
            return model.predict(X.drop(columns="group"))

        def predict_proba(self, X):
            return model.predict_proba(X.drop(columns="group"))

    ws = Workspace.from_frame("small", frame, OnNumbers(), {"target": "approved", "favourable": 1})
    answer = Assistant(ws).run("bias group")
    assert answer.result["small_groups"] == ["rare"]
    assert MSG_SMALL.format(who="The group “rare”", n="12", entities="rows", their="its") in answer.text
    # no flag is raised, but a "no large difference" resting on a group of 12 says it cannot tell
    if not answer.result["flagged"]:
        assert answer.result["verdict"] == "uncertain"
        assert "but the data cannot rule one out" in answer.text and "too small to judge" in answer.text


def test_helpful_errors(credit):
    bot = Assistant(credit)
    assert bot.run("bias sex bands 30").results[-1]["error"] == ERR_BANDS.format(name="gender")
    assert bot.run("bias sex metric happiness").results[-1]["error"].startswith(
        ERR_METRIC.format(metric="happiness", names="")[:30])
    one = bot.run('filter sex == "male" then bias sex').results[-1]["error"]
    assert one.startswith(ERR_ONE_GROUP.split("{")[0])


# ------------------------------------------------------------------------ the Bias step's forms
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from talk2model.errors import QueryError  # noqa: E402
from talk2model.query import ast as q  # noqa: E402

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_ ]{0,10}", fullmatch=True)
_cuts = st.lists(st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False)),
                 min_size=1, max_size=4, unique=True).map(sorted)


@settings(max_examples=150, deadline=None)
@given(_names, st.one_of(st.none(), st.sampled_from(["tpr", "accuracy"])),
       st.one_of(st.none(), st.lists(_names, min_size=1, max_size=3)), st.one_of(st.none(), _cuts))
def test_bias_with_attributes_and_bands_round_trips(attribute, metric, attributes, bands):
    import json

    if bands is not None and any(a >= b for a, b in zip(bands, bands[1:])):
        return  # equal int/float cut points (1 and 1.0) are not increasing
    step = q.Bias(attribute, metric, attributes, bands)
    query = q.Query((step,))
    text = query.to_text()
    assert q.Query.from_text(text) == query
    again = q.Query.from_json(json.loads(json.dumps(query.to_json())))
    assert again == query and again.to_text() == text


@pytest.mark.parametrize("obj, message", [
    ({"op": "bias", "attribute": "age", "bands": [60, 25]}, "bias bands must be cut points in increasing order"),
    ({"op": "bias", "attribute": "age", "bands": []}, "bias bands must be a non-empty list of numbers (cut points)"),
    ({"op": "bias", "attribute": "age", "attributes": "sex"}, "bias attributes must be a non-empty list of feature names"),
])
def test_bias_step_refuses_bad_fields(obj, message):
    with pytest.raises(QueryError) as err:
        q.Query.from_json({"steps": [obj]})
    assert str(err.value) == message


def _handwritten_cramers_v(a, b) -> float:
    """The hand-written Cramér's V that scipy's association() replaced (issue 15), kept as the oracle."""
    import math

    from scipy.stats import chi2_contingency

    a_codes, _ = pd.factorize(pd.Series(a), use_na_sentinel=True)
    b_codes, _ = pd.factorize(pd.Series(b), use_na_sentinel=True)
    keep = (a_codes >= 0) & (b_codes >= 0)
    a_codes, b_codes = a_codes[keep], b_codes[keep]
    if not len(a_codes):
        return 0.0
    table = np.bincount(a_codes * (b_codes.max() + 1) + b_codes,
                        minlength=(a_codes.max() + 1) * (b_codes.max() + 1))
    table = table.reshape(a_codes.max() + 1, b_codes.max() + 1)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return 0.0
    chi2 = chi2_contingency(table, correction=False)[0]
    return float(math.sqrt(chi2 / table.sum() / (min(table.shape) - 1)))


@pytest.mark.parametrize("name, attribute", [("credit", "sex"), ("compas", "black"), ("adult", "race")])
def test_cramers_v_by_scipy_equals_the_handwritten_value_on_real_data(name, attribute):
    from talk2model.explainers.fairness import _as_categories
    from talk2model.workspace import load_workspace

    ws = load_workspace(name)
    assert attribute in ws.data, f"{name} has no column {attribute}"
    groups = ws.data[attribute]
    compared = 0
    for feature, spec in ws.schema.features.items():
        if feature == attribute:
            continue
        values = _as_categories(ws.data[feature], spec.kind)
        new, old = cramers_v(groups.to_numpy(), values), _handwritten_cramers_v(groups.to_numpy(), values)
        assert new == pytest.approx(old, abs=1e-12), feature
        compared += old > 0.01
    assert compared >= 3          # real associations were compared, not only zeros
