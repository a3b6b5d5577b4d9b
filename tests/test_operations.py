"""Every foundation operation, on several workspaces, against an oracle computed another way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from talk2model import Assistant
from talk2model.ops.registry import REGISTRY, load_all
from talk2model.paths import resource_dir


def run(ws, text):
    answer = Assistant(ws).run(text)
    assert answer.error is None, answer.text
    return answer


def model_pred(ws, frame=None):
    frame = ws.data if frame is None else frame
    return pd.Series(ws.model.estimator.predict(frame[ws.model.feature_names]), index=frame.index)


def held_out(ws):
    return ws.data[ws.held_out_mask(ws.ids)]


def test_issue_example_count_is_113(credit):
    answer = Assistant(credit).run({"steps": [{"op": "filter", "where": {"feature": "age", "cmp": ">", "value": 50}},
                                              {"op": "count"}]})
    raw = pd.read_csv(resource_dir("data") / "credit" / "german_credit.csv")
    assert answer.to_json()["result"]["count"] == int((raw.age > 50).sum()) == 113


@pytest.mark.parametrize("ws_name, text, oracle", [
    ("credit", 'filter age > 30 and (housing == "rent" or sex == "female") then count',
     lambda d: (d.age > 30) & ((d.housing == "rent") | (d.sex == "female"))),
    ("credit", 'filter not purpose == "car" and duration <= 12 then count',
     lambda d: (d.purpose != "car") & (d.duration <= 12)),
    ("compas", "filter woman == 1 and number_of_prior_crimes >= 3 then count",
     lambda d: (d.woman == 1) & (d.number_of_prior_crimes >= 3)),
    ("diabetes", "filter Glucose > 140 or BMI < 25 then count", lambda d: (d.Glucose > 140) | (d.BMI < 25)),
    ("german", "filter label == 0 and Age != 30 then count", lambda d: (d.y == 0) & (d.Age != 30)),
])
def test_filter_and_count(ws_name, text, oracle):
    from talk2model.workspace import load_workspace

    ws = load_workspace(ws_name)
    answer = run(ws, text)
    assert answer.result["count"] == int(oracle(ws.data).sum())


def test_filter_on_prediction_uses_the_model(any_ws):
    pred = model_pred(any_ws)
    answer = run(any_ws, "filter prediction == 1 then count")
    assert answer.result["count"] == int((pred == 1).sum())


def test_predict_and_likelihood_single_and_group(any_ws):
    ws = any_ws
    row_id = ws.ids[7]
    one = run(ws, f"filter id == {row_id} then predict then likelihood")
    expected = model_pred(ws).loc[row_id]
    pred_res, like_res = one.result["results"][0]["result"], one.result["results"][1]["result"]
    assert list(pred_res["predictions"].values()) == [expected]
    proba = ws.model.estimator.predict_proba(ws.data.loc[[row_id], ws.model.feature_names])[0]
    got = like_res["probabilities"][str(row_id)]
    np.testing.assert_allclose([got[str(c)] for c in ws.model.estimator.classes_], proba, atol=1e-9)
    assert ws.schema.class_phrase(expected) in one.text
    group = run(ws, "predict")
    counts = model_pred(ws).value_counts()
    assert {int(k): v for k, v in group.result["counts"].items()} == {int(k): int(v) for k, v in counts.items()}


def test_whatif_changes_a_copy_and_predicts_on_it(credit):
    before = credit.data.copy()
    answer = run(credit, "filter age > 40 then whatif credit_amount decrease 1000 then whatif housing set \"own\" then predict")
    pd.testing.assert_frame_equal(credit.data, before)  # the workspace's data never changes
    changed = before[before.age > 40].copy()
    changed["credit_amount"] -= 1000
    changed["housing"] = "own"
    # a credit amount below the lowest possible (1 DM) is no applicant: those rows are left out
    possible = changed["credit_amount"] >= credit.schema.features["credit_amount"].lowest
    assert (~possible).any() and f"so they are left out ({int(possible.sum()):,} remain)" in answer.text
    changed = changed[possible]
    expected = model_pred(credit, changed)
    original = model_pred(credit, before.loc[changed.index])
    assert answer.result["predictions"] == {str(k): v for k, v in expected.items()} or \
        answer.result["predictions"] == {k: v for k, v in expected.items()}
    flips = int((expected != original).sum())
    assert sum(answer.result["flips"].values()) == flips


def test_score_on_held_out_rows_matches_sklearn(credit, compas, diabetes):
    for ws in (credit, compas, diabetes):
        rows = held_out(ws)
        y, pred = rows[ws.schema.target], model_pred(ws).loc[rows.index]
        for metric, oracle in [("accuracy", skm.accuracy_score(y, pred)),
                               ("f1", skm.f1_score(y, pred, pos_label=1)),
                               ("precision", skm.precision_score(y, pred, pos_label=1)),
                               ("recall", skm.recall_score(y, pred, pos_label=1)),
                               ("specificity", skm.recall_score(y, pred, pos_label=0)),
                               ("npv", skm.precision_score(y, pred, pos_label=0))]:
            answer = run(ws, f"score {metric}")
            assert answer.result["value"] == pytest.approx(oracle), (ws.name, metric)
            assert answer.result["n"] == len(rows)
        proba = ws.model.estimator.predict_proba(rows[ws.model.feature_names])[:, 1]
        assert run(ws, "score roc_auc").result["value"] == pytest.approx(skm.roc_auc_score(y, proba))
    # credit knows its training rows and says it scored the others
    text = run(credit, "score accuracy").text
    assert "on the 200 of them the model was not trained on (800 training rows left out)" in text


def test_mistakes_count_sample_and_typical(credit, compas):
    for ws in (credit, compas):
        rows = held_out(ws)
        wrong = model_pred(ws).loc[rows.index] != rows[ws.schema.target]
        count = run(ws, "mistakes count").result
        assert count["count"] == int(wrong.sum()) and count["n"] == len(rows)
        sample = run(ws, "mistakes sample").result
        assert {int(r["id"]) for r in sample["examples"]} == {int(i) for i in rows.index[wrong]}
        typical = run(ws, "mistakes typical").result
        overall = wrong.mean()
        assert typical["rules"], "some group must stand out"
        for rule in typical["rules"]:
            assert rule["error_rate"] > overall
            assert rule["errors"] <= rule["support"]
            assert rule["error_rate"] == pytest.approx(rule["errors"] / rule["support"])


def test_mistake_rules_are_true_of_the_data(compas):
    """Re-evaluate each rule's conditions with pandas: its support and errors must match."""
    ws = compas
    rows = held_out(ws)
    wrong = model_pred(ws).loc[rows.index] != rows[ws.schema.target]
    result = run(ws, "mistakes typical").result
    labels = {f.label: n for n, f in ws.schema.features.items()}
    for rule in result["rules"]:
        keep = pd.Series(True, index=rows.index)
        for cond in rule["conditions"]:
            if cond.endswith(" is yes") or cond.endswith(" is no"):
                name = labels[cond.rsplit(" is ", 1)[0]]
                keep &= rows[name] == (1 if cond.endswith("yes") else 0)
            elif " ≤ " in cond:
                name, thr = cond.split(" ≤ ")
                keep &= rows[labels[name]] <= float(thr) + 1e-9
            else:
                name, thr = cond.split(" > ")
                keep &= rows[labels[name]] > float(thr) + 1e-9
        assert int(keep.sum()) == rule["support"]
        assert int(wrong[keep].sum()) == rule["errors"]


def test_statistic_labels_show(any_ws):
    ws = any_ws
    numeric = next(n for n, f in ws.schema.features.items() if f.kind == "numeric")
    stat = run(ws, f"filter prediction == 1 then statistic {numeric}").result
    sel = ws.data[model_pred(ws) == 1][numeric]
    assert stat["summary"]["mean"] == pytest.approx(sel.mean())
    assert stat["summary"]["50%"] == pytest.approx(sel.median())
    assert stat["summary"]["max"] == pytest.approx(sel.max())
    target = run(ws, "statistic target").result
    assert {int(k): v for k, v in target["counts"].items()} == {int(k): int(v) for k, v in ws.y.value_counts().items()}
    labels = run(ws, f"filter id == {ws.ids[3]} then labels").result
    assert list(labels["labels"].values()) == [ws.y.iloc[3]]
    shown = run(ws, f"filter {numeric} > {ws.data[numeric].median()} then show")
    assert len(shown.table) == min(10, int((ws.data[numeric] > ws.data[numeric].median()).sum()))


def test_previous_filter_repeat_and_followup(credit):
    bot = Assistant(credit)
    first = bot.run("filter age > 60 then count")
    assert first.result["count"] == int((credit.data.age > 60).sum())
    again = bot.run('previous_filter then filter sex == "female" then count')
    assert again.result["count"] == int(((credit.data.age > 60) & (credit.data.sex == "female")).sum())
    # repeat: the last operation again, on this turn's selection (here: after a what-if on the same people)
    bot.run("filter age > 60 then predict")
    repeated = bot.run("whatif age set 30 then repeat")
    changed = credit.data[credit.data.age > 60].copy()
    changed["age"] = 30
    assert repeated.result["counts"] == {k: int(v) for k, v in model_pred(credit, changed).value_counts().sort_index().items()} \
        or {int(k): v for k, v in repeated.result["counts"].items()} == {int(k): int(v) for k, v in model_pred(credit, changed).value_counts().items()}
    # followup pages through the rest of a long table, without gaps or repeats
    bot.run("filter age < 25 then show")
    seen = []
    answer = bot.run("filter age < 25 then show")
    seen += list(answer.table["id"])
    while True:
        more = bot.run("followup")
        if more.error:
            break
        seen += list(more.table["id"])
    assert seen == list(credit.data.index[credit.data.age < 25])


def test_empty_selection_and_unknown_id_are_said_plainly(credit, compas):
    answer = Assistant(credit).run("filter id == 5000 then predict")
    assert "there is no applicant 5000 in the data (ids run from 0 to 999, 1,000 in all)" in answer.text.lower()
    answer = Assistant(compas).run("filter age > 200 then likelihood")
    assert "No defendants match: defendants where age is above 200 years." in answer.text
    answer = Assistant(credit).run("previous_filter then count")
    assert "There is no earlier selection to refer to yet; ask about a group first." in answer.text


def test_describe_define_capabilities(credit, diabetes):
    data = run(credit, "describe_data").result
    assert data["rows"] == 1000 and {f["feature"] for f in data["features"]} == set(credit.schema.features)
    model = run(diabetes, "describe_model").result
    assert model["held_out_accuracy"] == pytest.approx(skm.accuracy_score(diabetes.y, model_pred(diabetes)))
    define = run(diabetes, "define DiabetesPedigreeFunction").result
    assert define["range"] == [diabetes.data.DiabetesPedigreeFunction.min(), diabetes.data.DiabetesPedigreeFunction.max()]
    caps = run(credit, "capabilities").result
    assert {o["operation"] for o in caps["operations"]} == set(REGISTRY) - {"capabilities", "followup", "repeat"}


def test_every_operation_is_described_exemplified_and_documented():
    ops = load_all()
    doc = (resource_dir("docs") / "query-language.md").read_text()
    for name, op in ops.items():
        assert op.description.strip(), name
        assert op.examples and all(e.strip() for e in op.examples), name
        assert f'"op":"{name}"' in doc.replace(" ", ""), f"{name} is not documented in docs/query-language.md"


def test_answer_json_has_text_query_result(credit):
    js = Assistant(credit).run("filter id == 12 then predict").to_json()
    assert set(js) >= {"text", "query", "result"}
    assert js["query"] == {"steps": [{"op": "filter", "where": {"feature": "id", "cmp": "==", "value": 12}}, {"op": "predict"}]}
    assert js["text"].startswith("I understood: the model's prediction for applicant 12.")


def test_show_on_a_large_workspace_pages_lazily_and_keeps_json_small():
    from talk2model.workspace import load_workspace

    adult = load_workspace("adult")
    bot = Assistant(adult)
    first = bot.run("show")
    assert first.error is None and list(first.table["id"]) == list(adult.ids[:10])
    js = first.to_json()["result"]
    assert js["n"] == len(adult.data) and len(js["rows"]) == 100 and js["rows_truncated"] is True
    second = bot.run("followup")
    assert list(second.table["id"]) == list(adult.ids[10:20])
