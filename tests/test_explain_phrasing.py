"""The words of `explain`: direction words follow the numbers, counts and flags read as English.

Oracles: the comparison group's median recomputed with pandas from the workspace's predictions;
articles and plurals checked against the value itself; flag phrases against the schema's words.
"""

import re

import pandas as pd
import pytest

from talk2model.assistant import Assistant
from talk2model.explainers import phrasing
from talk2model.workspace import Workspace, load_workspace

@pytest.fixture(scope="module")
def mlp():
    return load_workspace("diabetes-mlp")


UP = {"higher", "longer", "older", "more"}
DOWN = {"lower", "shorter", "younger", "fewer"}


def _reasons(ws, row_id):
    answer = Assistant(ws).run(f"filter id == {row_id} then explain auto")
    assert answer.error is None, answer.text
    return answer, answer.to_json()["result"]


@pytest.mark.parametrize("row_id", [2, 12, 100, 500, 1, 29])
def test_numeric_direction_word_follows_the_median_of_the_other_group(credit, row_id):
    answer, result = _reasons(credit, row_id)
    preds = credit.predictions()
    others = credit.data[preds != result["predicted"]]
    everyone = credit.data
    checked = 0
    for item in result["reasons"] + result["against"]:
        spec = credit.schema.features.get(item["feature"])
        if spec is None or spec.kind != "numeric" or not item.get("comparison"):
            continue
        value = float(credit.data.loc[row_id, item["feature"]])
        median = float(others[item["feature"]].median())
        q1, q3 = everyone[item["feature"]].quantile([0.25, 0.75])
        words = set(re.findall(r"[a-z]+", item["comparison"].split(" than ")[0]))
        if abs(value - median) <= 0.1 * (q3 - q1):
            assert "same" in words and not (words & (UP | DOWN)), item["comparison"]
        elif value > median:
            assert words & UP and not words & DOWN, item["comparison"]
        else:
            assert words & DOWN and not words & UP, item["comparison"]
        checked += 1
        # and the sentence carries it: the person's phrase, then the comparison
        if item in result["reasons"][:4]:
            assert item["comparison"] in answer.text
    assert checked >= 1


def test_direction_on_a_synthetic_workspace_against_pandas():
    from sklearn.linear_model import LogisticRegression

    rng = pd.Series(range(400))
    X = pd.DataFrame({"amount": (rng * 37 % 1000).astype(float), "noise": (rng * 13 % 7).astype(float)})
    y = (X.amount > 500).astype(int)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    ws = Workspace.from_frame("toy", X.assign(y=y), model, {"target": "y"})
    preds = ws.predictions()
    for row_id in [3, 40, 123, 250]:
        row = ws.data.loc[row_id]
        others = ws.data[preds != preds.loc[row_id]]
        text = phrasing.compare(ws.schema, "amount", row, others, "rows judged other")
        median = others["amount"].median()
        assert (("higher" in text) == (row.amount > median)) and (("lower" in text) == (row.amount < median))
        assert phrasing.fmt_number(median) in text


@pytest.mark.parametrize("n", [0, 1, 2, 13])
def test_count_feature_reads_as_a_noun_with_plural(n):
    schema = _schema_of({"Pregnancies": [0, 1, 2, 3, 13]}, synonyms={"Pregnancies": ["pregnancies"]})
    text = phrasing.value_phrase(schema, "Pregnancies", pd.Series({"Pregnancies": n}))
    assert " of " not in text and not text.startswith(("a ", "an "))
    if n == 0:
        assert text == "no pregnancies"
    elif n == 1:
        assert text.split() == ["1", "pregnancy"]
    else:
        assert text.split() == [str(n), "pregnancies"]


def test_number_of_features_and_articles(compas, diabetes):
    crimes = phrasing.value_phrase(compas.schema, "number_of_prior_crimes", pd.Series({"number_of_prior_crimes": 3}))
    one = phrasing.value_phrase(compas.schema, "number_of_prior_crimes", pd.Series({"number_of_prior_crimes": 1}))
    assert crimes.startswith("3 ") and crimes.endswith("s") and "number of" not in crimes
    assert one.startswith("1 ") and not one.split()[-1].endswith("s")
    age = phrasing.value_phrase(diabetes.schema, "Age", pd.Series({"Age": 45}))
    bmi = phrasing.value_phrase(diabetes.schema, "BMI", pd.Series({"BMI": 33.6}))
    assert age.startswith("an ") and "45" in age
    assert bmi.startswith("a ") and "BMI" in bmi and "33.6" in bmi
    for word, expected in [("age", "an"), ("BMI", "a"), ("MRI", "an"), ("hour", "an"), ("unit", "a"), ("loan", "a")]:
        assert phrasing.article(word) == expected


def test_flags_use_value_phrases_and_never_read_as_label_is_yes(german, compas):
    for ws in (german, compas):
        for name, spec in ws.schema.features.items():
            if spec.kind != "flag" or spec.group:
                continue
            on, off = (phrasing.flag_phrase(ws.schema, name, v) for v in (True, False))
            assert on != off
            label = spec.label.lower()
            assert f"{label} is" not in on.lower() and f"{label} is" not in off.lower()
            for value, text in ((1, on), (0, off)):
                phrases = spec.value_phrases.get(value, ())
                with_ = [p for p in phrases if p.lower().startswith(("with ", "without ", "no "))]
                if with_:     # the schema's own words, turned into a subject
                    p = with_[0]
                    rest = p.split(" ", 1)[1] if not p.lower().startswith("no ") else p
                    assert rest in text
    # "no current loan" for the flag that says so, "having a current loan" for its opposite
    loan_on = phrasing.flag_phrase(german.schema, "NoCurrentLoan", True)
    loan_off = phrasing.flag_phrase(german.schema, "NoCurrentLoan", False)
    assert loan_on == german.schema.features["NoCurrentLoan"].value_phrases[1][0]
    assert loan_off.startswith("having ") and "no " not in loan_off


def test_flag_without_value_phrases_falls_back_to_yes_no():
    schema = _schema_of({"vip": [0, 1]}, kinds={"vip": "flag"})
    on = phrasing.flag_phrase(schema, "vip", True)
    off = phrasing.flag_phrase(schema, "vip", False)
    assert on.endswith(": yes") and off.endswith(": no")


def test_every_reason_starts_with_a_capital_on_every_workspace(credit, german, compas, diabetes, mlp):
    for ws in (credit, german, compas, diabetes, mlp):
        row_id = ws.data.index[0]
        answer, result = _reasons(ws, row_id)
        lines = [l for l in answer.replies[0].text.split("\n") if l.startswith("- ")]
        more = answer.replies[0].more
        if more is not None:
            lines += [l for l in more.text.split("\n") if l.startswith("- ")]
        assert lines
        for line in lines:
            assert line[2].isupper() or line[2].isdigit(), line
            assert " a pregnancies" not in line and " is no " not in line and "'" not in line, line


def _schema_of(columns, synonyms=None, kinds=None):
    from sklearn.dummy import DummyClassifier

    frame = pd.DataFrame({k: pd.Series(v * 4) for k, v in columns.items()})
    frame["y"] = [0, 1] * (len(frame) // 2) + [0] * (len(frame) % 2)
    model = DummyClassifier().fit(frame.drop(columns="y"), frame.y)
    features = {}
    for k in columns:
        entry = {}
        if synonyms and k in synonyms:
            entry["synonyms"] = synonyms[k]
        if kinds and k in kinds:
            entry["type"] = kinds[k]
        if entry:
            features[k] = entry
    return Workspace.from_frame("t", frame, model, {"target": "y", "features": features}).schema
