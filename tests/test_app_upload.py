"""Bring your own workspace: upload a table and a model, check the inferred schema, edit it, chat.
Errors say what to fix."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from talk2model import ui
from talk2model.errors import WorkspaceError
from talk2model.workspace import upload as up
from talk2model.workspace.model import ERR_FEATURES
from talk2model.textutil import did_you_mean
from talk2model.workspace.schema import ERR_TARGET_MISSING, ERR_UNKNOWN_TYPE

FEATURES = ["age", "credit_amount", "duration", "job"]


@pytest.fixture(scope="module")
def upload(tmp_path_factory, credit):
    folder = tmp_path_factory.mktemp("upload")
    frame = credit.data[FEATURES + ["risk"]].reset_index(drop=True)
    model = LogisticRegression(max_iter=2000).fit(frame[FEATURES], frame["risk"])
    paths = {"csv": folder / "loans.csv", "parquet": folder / "loans.parquet",
             "skops": folder / "model.skops", "joblib": folder / "model.joblib",
             "other": folder / "other.skops", "txt": folder / "loans.txt"}
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"], index=False)
    paths["txt"].write_text("not a table")
    sio.dump(model, paths["skops"])
    joblib.dump(model, paths["joblib"])
    other = LogisticRegression().fit(frame[["age", "duration"]].rename(columns={"age": "years"}), frame["risk"])
    sio.dump(other, paths["other"])
    return frame, model, {k: str(v) for k, v in paths.items()}


def edited_table(frame) -> pd.DataFrame:
    table, _ = up.inferred_schema(frame, "risk")
    table.loc[table["column"] == "age", ["sensitive", "immutable"]] = True
    table.loc[table["column"] == "job", "type"] = "categorical"
    table.loc[table["column"] == "duration", "description"] = "months the loan runs"
    return table


def test_inferred_schema_lists_every_feature_with_its_kind(upload):
    frame, _, _ = upload
    table, classes = up.inferred_schema(frame, "risk")
    assert table["column"].tolist() == FEATURES
    assert table.set_index("column")["type"].to_dict() == {
        "age": "numeric", "credit_amount": "numeric", "duration": "numeric", "job": "numeric"}
    assert classes == "0 = risk 0; 1 = risk 1"
    assert up.parse_classes(classes) == {"0": "risk 0", "1": "risk 1"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_upload_builds_a_workspace_the_model_can_answer_on(upload, fmt):
    frame, model, paths = upload
    ws = up.workspace_from_upload(paths[fmt], paths["skops"], "risk", edited_table(frame),
                                  "0 = bad risk\n1 = good risk", name="loans", entity="borrower")
    assert ws.name == "loans" and len(ws.data) == len(frame)
    assert ws.schema.sensitive == ("age",) and ws.schema.immutable == ("age",)
    assert ws.schema.features["job"].kind == "categorical"
    assert ws.schema.features["duration"].description == "months the loan runs"
    assert ws.schema.classes == {0: "bad risk", 1: "good risk"}
    assert ws.schema.entity_plural == "borrowers"
    np.testing.assert_array_equal(ws.predictions().to_numpy(), model.predict(frame[FEATURES]))


def test_a_workspace_from_an_uploaded_csv_and_skops_through_the_workspace_steps(upload):
    """The app's three upload steps, called in talk2model.workspace.upload without the app: the
    table read, the schema inferred and used unedited, then a workspace whose answers are the
    uploaded model's own predictions."""
    from talk2model import Assistant

    frame, model, paths = upload
    read = up.inspect_upload(paths["csv"])
    assert (read.rows, read.columns, read.suggested_target) == (len(frame), FEATURES + ["risk"], "risk")
    again, table, classes = up.upload_schema(paths["csv"], read.suggested_target)
    assert again == read and table["column"].tolist() == FEATURES and classes == "0 = risk 0; 1 = risk 1"
    ws = up.workspace_from_upload(paths["csv"], paths["skops"], "risk", table, classes, name="loans")
    assert ws.source == "upload:loans.csv" and ws.schema.classes == {0: "risk 0", 1: "risk 1"}
    np.testing.assert_array_equal(ws.predictions().to_numpy(), model.predict(frame[FEATURES]))
    answer = Assistant(ws).run("filter credit_amount > 5000 then predict")
    assert answer.error is None, answer.text
    big = frame[frame["credit_amount"] > 5000]
    shown = answer.to_json()["result"]
    expected = pd.Series(model.predict(big[FEATURES])).value_counts()
    assert shown["n"] == len(big)
    assert {str(k): v for k, v in shown["counts"].items()} == {str(k): int(v) for k, v in expected.items()}
    with pytest.raises(WorkspaceError, match=up.ERR_NO_TARGET):
        up.upload_schema(paths["csv"], None)


def test_pickle_and_joblib_uploads_are_always_refused(upload):
    """Uploads never honour trust: a joblib model is refused whatever the operator set."""
    frame, model, paths = upload
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["csv"], paths["joblib"], "risk", None, "")
    assert str(err.value) == up.ERR_PICKLE.format(name="model.joblib", fmt="joblib")
    assert joblib.load(paths["joblib"]).predict(frame[FEATURES]).tolist() == model.predict(frame[FEATURES]).tolist()


def test_errors_say_what_to_fix(upload):
    frame, _, paths = upload
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["csv"], paths["skops"], "riks", None, "")
    assert str(err.value) == ERR_TARGET_MISSING.format(target="riks", hint=did_you_mean("riks", list(frame.columns)))
    assert "'risk'" in str(err.value)
    table = edited_table(frame)
    table.loc[table["column"] == "age", "type"] = "number"
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["csv"], paths["skops"], "risk", table, "")
    assert str(err.value) == ERR_UNKNOWN_TYPE.format(name="age", kind="number")
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["csv"], paths["other"], "risk", None, "")
    assert str(err.value) == ERR_FEATURES.format(
        missing="years", extra=" (the data has age, credit_amount, job instead)")
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["txt"], paths["skops"], "risk", None, "")
    assert str(err.value) == up.ERR_DATA_SUFFIX.format(suffix=".txt")
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["csv"], paths["skops"], "risk", None, "0 bad")
    assert str(err.value) == up.ERR_BAD_CLASSES.format(part="0 bad")
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(None, paths["skops"], "risk", None, "")
    assert str(err.value) == up.ERR_NO_DATA
    with pytest.raises(WorkspaceError) as err:
        up.workspace_from_upload(paths["csv"], None, "risk", None, "")
    assert str(err.value) == up.ERR_NO_MODEL


def test_upload_end_to_end_through_the_app(upload, tmp_path, credit):
    from gradio_client import Client, handle_file

    from talk2model.store.turns import Store
    from tests.test_app import free_port

    frame, _, paths = upload
    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    demo = ui.build_app("credit", store=store)
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        c = Client(url, verbose=False)
        target, status = c.predict(handle_file(paths["csv"]), api_name="/byo_inspect")
        assert target["value"] == "risk" and [c[0] for c in target["choices"]] == list(frame.columns)
        assert status.startswith(f"{len(frame):,} rows and 5 columns")
        table, classes, _ = c.predict(handle_file(paths["csv"]), "risk", api_name="/byo_schema")
        assert [row[0] for row in table["data"]] == FEATURES
        rows = [[col, kind, col == "age", col == "age", ""] for col, kind, *_ in table["data"]]
        chat, selection, _, _, info, _, picker = c.predict(
            handle_file(paths["csv"]), handle_file(paths["skops"]), "risk", "loans", "borrower",
            {"headers": table["headers"], "data": rows, "metadata": None}, "0 = bad risk; 1 = good risk",
            api_name="/byo_use")
        assert chat == [] and "loans" in info
        # the page says which workspace is in use: the picker names the upload, not the last built-in
        assert picker["value"] == "uploaded: loans.csv"
        assert [c[0] for c in picker["choices"]][-1] == "uploaded: loans.csv"
        assert "Workspace in use: **loans**, uploaded from `loans.csv`" in info
        assert selection == f"**Talking about:** all {len(frame):,} borrowers"
        n50 = int((frame['age'] > 50).sum())
        _, chat, selection, answer, _ = c.predict("filter age > 50 then count", api_name="/ask")
        assert f"{n50} of the {len(frame):,} borrowers" in chat[-1]["content"][0]["text"]
        assert store.session(answer["session_id"]).workspace == "loans"
        # back to a built-in, then back to the upload: each answers on its own data
        chat, selection, _, _, info, _, picker = c.predict("credit", api_name="/workspace")
        assert chat == [] and picker["value"] == "credit" and "Workspace in use: built-in **credit**" in info
        assert selection == f"**Talking about:** all {len(credit.data):,} applicants"
        _, chat, _, answer, _ = c.predict("count", api_name="/ask")
        assert store.session(answer["session_id"]).workspace == "credit"
        chat, selection, _, _, info, _, picker = c.predict("uploaded: loans.csv", api_name="/workspace")
        assert picker["value"] == "uploaded: loans.csv" and "uploaded from `loans.csv`" in info
        _, chat, _, answer, _ = c.predict("filter age > 50 then count", api_name="/ask")
        assert f"{n50} of the {len(frame):,} borrowers" in chat[-1]["content"][0]["text"]
        assert store.session(answer["session_id"]).workspace == "loans"
        # another browser session has no such upload to switch to
        with pytest.raises(Exception, match="uploaded: loans.csv"):
            Client(url, verbose=False).predict("uploaded: loans.csv", api_name="/workspace")
        # without --allow-pickle the app only accepts .skops uploads at all
        with pytest.raises(Exception, match=r"Invalid file type.*\.skops"):
            c.predict(handle_file(paths["csv"]), handle_file(paths["joblib"]), "risk", "x", "row",
                      None, "", api_name="/byo_use")
    finally:
        demo.close()
