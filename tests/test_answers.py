"""Answers a compliance officer can sign, checked against oracles computed another way:
Wilson intervals against statsmodels (or the closed form), the small-group rule, bootstrap
intervals of the fairness gaps (bracketing the figure, widening as a group shrinks, agreeing with
a row-level bootstrap through fairlearn's MetricFrame), counts against the selection the
question is about (pandas), planted leakage flagged, unknown training rows said to be unknown."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.linear_model import LogisticRegression

from talk2model import Assistant
from talk2model.explainers import fairness as fx
from talk2model.explainers import uncertainty as unc
from talk2model.formatting import fmt_interval, fmt_percent
from talk2model.ops.score import NOTE_TRAINING_UNKNOWN
from talk2model.ops.speech import MSG_LEAK_AFTER, MSG_LEAK_AUC, MSG_TOO_SMALL, MSG_TRAINING_UNKNOWN
from talk2model.workspace import Workspace, load_workspace
from talk2model.workspace.checks import LEAKAGE_AUC, run_checks


# ------------------------------------------------------------------------------ Wilson
def closed_form_wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def oracle_wilson(k: int, n: int) -> tuple[float, float]:
    try:
        from statsmodels.stats.proportion import proportion_confint
    except ImportError:
        return closed_form_wilson(k, n)
    return tuple(proportion_confint(k, n, alpha=0.05, method="wilson"))


@pytest.mark.parametrize("k, n", [(5, 7), (0, 7), (7, 7), (1, 30), (147, 200), (12_345, 16_281), (0, 1)])
def test_wilson_matches_the_oracle(k, n):
    low, high = unc.wilson(k, n)
    assert (low, high) == pytest.approx(oracle_wilson(k, n), abs=1e-9)
    assert 0 <= low <= k / n <= high <= 1


def test_the_small_group_rule():
    assert unc.rate(5, 7).too_small                     # 7 rows
    assert unc.rate(29, 29).too_small                   # fewer than 30 rows, however narrow
    low, high = closed_form_wilson(3, 30)               # 30 rows, an interval under 30 points wide
    assert high - low < unc.MAX_WIDTH and not unc.rate(3, 30).too_small
    low, high = closed_form_wilson(15, 30)              # 30 rows, but a half-half split: too wide
    assert high - low > unc.MAX_WIDTH and unc.rate(15, 30).too_small
    assert not unc.rate(50, 100).too_small


def test_accuracy_is_given_with_its_count_and_wilson_interval():
    credit = load_workspace("credit")
    bot = Assistant(credit)
    held = credit.data[credit.held_out_mask(credit.ids)]
    for where in ("age > 60", "age > 30", "sex == \"female\""):
        rows = held[held.eval(where.replace('"', "'"))]
        right = int((credit.model.estimator.predict(rows[credit.model.feature_names]) == rows["risk"]).sum())
        answer = bot.run(f"filter {where} then score accuracy")
        result = answer.result
        assert (result["count"], result["of"]) == (right, len(rows))
        low, high = oracle_wilson(right, len(rows))
        assert (result["low"], result["high"]) == pytest.approx((low, high), abs=1e-9)
        assert f"({right:,} of {len(rows):,} right; 95% interval {fmt_interval(low, high)})" in answer.text
        small = len(rows) < unc.MIN_ROWS or high - low > unc.MAX_WIDTH
        lead = MSG_TOO_SMALL.format(n=f"{len(rows):,}", rows="rows", least=unc.MIN_ROWS, width=30)
        assert result["too_small"] == small and (lead in answer.text) == small
    # the example: 7 held-out applicants over 60 are too few, and the answer says so first
    first = bot.run("filter age > 60 then score accuracy").body
    assert first.startswith("Too few to judge: this rests on 7 rows")


def test_other_scores_get_bootstrap_intervals_that_bracket_them():
    bot = Assistant(load_workspace("credit"))
    for metric in ("f1", "roc_auc"):
        result = bot.run(f"score {metric}").result
        assert result["interval"] == "bootstrap"
        assert result["low"] <= result["value"] <= result["high"]


def test_mistakes_have_their_interval():
    credit = load_workspace("credit")
    held = credit.data[credit.held_out_mask(credit.ids)]
    wrong = int((credit.model.estimator.predict(held[credit.model.feature_names]) != held["risk"]).sum())
    answer = Assistant(credit).run("mistakes count")
    low, high = oracle_wilson(wrong, len(held))
    assert f"{wrong:,} of {len(held):,} wrong ({fmt_percent(wrong / len(held))}; 95% interval " \
           f"{fmt_interval(low, high)})" in answer.text


# --------------------------------------------------------------------------- fairness gaps
def two_groups(n_a: int, n_b: int, rate_a: float = 0.7, rate_b: float = 0.5, seed: int = 0,
               agree: float = 0.8):
    """Predictions with exact selection rates per group (so only the size changes), and labels
    that agree with them on a share `agree` of the rows."""
    rng = np.random.default_rng(seed)
    groups = np.array(["a"] * n_a + ["b"] * n_b)
    pred = np.concatenate([np.arange(n_a) < round(rate_a * n_a), np.arange(n_b) < round(rate_b * n_b)]).astype(int)
    truth = np.where(rng.random(n_a + n_b) < agree, pred, 1 - pred)
    return pd.Series(truth), pd.Series(pred), pd.Series(groups)


def test_gap_intervals_bracket_the_figure_and_widen_as_a_group_shrinks():
    widths = []
    for n_b in (1000, 200, 50, 15):
        y, p, g = two_groups(1000, n_b)
        report = fx.assess(y, p, g, favourable=1)
        for point, (low, high) in ((report.demographic_parity_difference, report.dp_difference_ci),
                                   (report.demographic_parity_ratio, report.dp_ratio_ci),
                                   (report.equalized_odds_difference, report.eo_difference_ci)):
            assert low <= point <= high, (n_b, point, low, high)
        widths.append((report.dp_difference_ci[1] - report.dp_difference_ci[0],
                       report.dp_ratio_ci[1] - report.dp_ratio_ci[0]))
    for (d1, r1), (d2, r2) in zip(widths, widths[1:]):
        assert d2 > d1 and r2 > r1, widths
    # the smallest group is too small to judge, and the verdict says the data cannot tell
    assert report.small_groups == ["b"] and report.verdict in ("uncertain", "flagged")


def test_gap_intervals_agree_with_a_row_bootstrap_through_metricframe():
    """The oracle: rows of each group drawn with replacement, MetricFrame's difference() and
    ratio() on every resample (slow, fewer rounds), the same percentiles."""
    y, p, g = two_groups(300, 80, rate_a=0.6, rate_b=0.45, seed=3)
    report = fx.assess(y, p, g, favourable=1)
    rng = np.random.default_rng(11)
    index = {name: np.flatnonzero(g.to_numpy() == name) for name in ("a", "b")}
    rounds = 1000
    rows = np.concatenate([np.concatenate([rng.choice(ix, len(ix)) for ix in index.values()]) for _ in range(rounds)])
    resample = np.repeat(np.arange(rounds), len(g))          # which resample each drawn row belongs to
    frame = MetricFrame(metrics=selection_rate, y_true=y.to_numpy()[rows], y_pred=p.to_numpy()[rows],
                        sensitive_features=pd.Series(g.to_numpy()[rows], name="group"),
                        control_features=pd.Series(resample, name="resample"))
    by = frame.by_group.unstack("group")
    diffs = by["a"] - by["b"]          # the groups the figure compares: a highest, b lowest
    ratios = by["b"] / by["a"]
    for ours, theirs in ((report.dp_difference_ci, diffs), (report.dp_ratio_ci, ratios)):
        assert ours == pytest.approx(tuple(np.percentile(theirs, [2.5, 97.5])), abs=0.025)


def test_a_no_large_difference_resting_on_a_small_group_says_so():
    y, p, g = two_groups(500, 12, rate_a=0.6, rate_b=0.58, agree=1.0)   # no error-rate gap at all
    frame = pd.DataFrame({"x": np.arange(len(y)) % 7, "group": g, "ok": y})

    class Fixed:     # a "model" that returns the planted predictions
        classes_ = np.array([0, 1])
        feature_names_in_ = np.array(["x", "group"], dtype=object)

        def predict(self, X):
            return p.loc[X.index].to_numpy()

        def predict_proba(self, X):
            q = self.predict(X).astype(float)
            return np.column_stack([1 - q, q])

    ws = Workspace.from_frame("fixed", frame, Fixed(), {"target": "ok", "favourable": 1})
    answer = Assistant(ws).run("bias group")
    assert not answer.result["flagged"] and answer.result["verdict"] == "uncertain"
    assert "I see no large difference" in answer.text and "but the data cannot rule one out" in answer.text
    assert "only 12 rows, too small to judge" in answer.text


def test_credit_fairness_no_longer_claims_more_than_its_data():
    """The issue's case: 'no large differences' for women on 54 held-out rows."""
    answer = Assistant(load_workspace("credit")).run("bias sex")
    result = answer.result
    women = result["groups"]["women"]
    assert women["evaluated"] == 54
    if not result["flagged"]:
        low, high = result["equalized_odds_difference_ci"]
        assert low <= result["equalized_odds_difference"] <= high
        assert result["verdict"] == "uncertain" and "cannot rule one out" in answer.text


# --------------------------------------------------------------------------- denominators
@pytest.mark.parametrize("first, then", [
    ("age > 60", "prediction == 0"),
    ("housing == \"rent\"", "duration > 24"),
    ("sex == \"female\" and age < 30", "label == 1"),
])
def test_counts_after_a_previous_selection_are_against_that_selection(first, then):
    credit = load_workspace("credit")
    bot = Assistant(credit)
    bot.run(f"filter {first} then count")
    answer = bot.run(f"previous_filter then filter {then} then count")
    data = credit.data.assign(prediction=credit.predictions(), label=credit.data["risk"])
    chosen = data[data.eval(first.replace('"', "'"))]
    counted = chosen[chosen.eval(then.replace('"', "'").replace("==", "=="))]
    result = answer.result
    assert (result["count"], result["total"]) == (len(counted), len(chosen))
    assert f"{len(counted):,} of the {len(chosen):,} applicants" in answer.text
    assert f"({fmt_percent(len(counted) / len(chosen))})" in answer.text
    assert f"of the {len(credit.data):,}" not in answer.text


def test_a_first_filter_counts_against_the_whole_data_and_a_second_against_the_first():
    credit = load_workspace("credit")
    bot = Assistant(credit)
    over = credit.data[credit.data.age > 60]
    one = bot.run("filter age > 60 then count")
    assert (one.result["count"], one.result["total"]) == (len(over), len(credit.data))
    two = bot.run('filter age > 60 then filter sex == "female" then count')
    assert (two.result["count"], two.result["total"]) == ((over.sex == "female").sum(), len(over))


# --------------------------------------------------------------------------- data checks
def planted(seed: int = 0, n: int = 600):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"income": rng.normal(50, 10, n).round(1), "tenure": rng.integers(0, 20, n)})
    frame["y"] = (frame.income + rng.normal(0, 8, n) > 52).astype(int)
    noise = rng.random(n) < 0.02                         # a copy of the label, 2% of it flipped
    frame["review_flag"] = np.where(noise, 1 - frame.y, frame.y)
    frame["paid_back_later"] = rng.integers(0, 2, n)     # harmless values, telling name
    return frame


def test_a_planted_leaky_feature_is_flagged_and_the_others_are_not():
    frame = planted()
    schema = {"target": "y", "features": {"paid_back_later": {"description": "whether the loan was paid back later"}}}
    model = LogisticRegression(max_iter=500).fit(frame.drop(columns="y"), frame.y)
    ws = Workspace.from_frame("leaky", frame, model, schema)
    found = {item["feature"]: item for item in ws.checks.leakage}
    assert set(found) == {"review_flag", "paid_back_later"}
    assert found["review_flag"]["reason"] == "auc" and found["review_flag"]["auc"] >= LEAKAGE_AUC
    assert found["paid_back_later"]["reason"] == "after" and found["paid_back_later"]["words"] == "later"
    text = Assistant(ws).run("describe_data").text
    assert MSG_LEAK_AUC.format(label="Review flag", auc=f"{found['review_flag']['auc']:.4g}") in text
    assert MSG_LEAK_AFTER.format(label="Paid back later", words="later") in text
    # the same data without the planted column: nothing is flagged
    clean = frame.drop(columns=["review_flag", "paid_back_later"])
    assert run_checks(Workspace.from_frame("clean", clean, LogisticRegression().fit(clean.drop(columns="y"), clean.y),
                                           {"target": "y"}).schema, clean, None).leakage == []


def test_compas_reports_its_after_the_fact_feature_and_its_imbalance():
    compas = load_workspace("compas")
    assert [i["feature"] for i in compas.checks.leakage] == ["recidivated"]
    assert compas.checks.imbalanced
    text = Assistant(compas).run("describe_model").text
    assert "Recidivated reads as recorded after the outcome" in text and "imbalanced" in text
    shares = compas.data["y"].value_counts(normalize=True)
    assert fmt_percent(shares.max()) in text


def test_unknown_training_rows_are_never_called_held_out():
    frame = planted().drop(columns=["review_flag", "paid_back_later"])
    model = LogisticRegression(max_iter=500).fit(frame.drop(columns="y"), frame.y)
    ws = Workspace.from_frame("unknown", frame, model, {"target": "y"})
    assert not ws.training_known and ws.checks.training == "unknown"
    bot = Assistant(ws)
    for query in ("score accuracy", "mistakes count", "describe_model", "bias tenure"):
        text = bot.run(query).text
        assert "not trained on" not in text and "held-out" not in text and "held out" not in text.replace(
            "no row can be called held out", ""), (query, text)
    assert NOTE_TRAINING_UNKNOWN in bot.run("score accuracy").text
    assert MSG_TRAINING_UNKNOWN in bot.run("describe_model").text
    # declared: the built-ins trained on another table say their rows are held out
    assert "rows it was not trained on" in Assistant(load_workspace("german")).run("describe_model").text
