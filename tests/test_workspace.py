"""Workspaces: loading from TOML (CSV, Parquet, SQL), inference, and errors that name the fix."""

from __future__ import annotations

import json
import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import sqlalchemy as sa
from sklearn.linear_model import LogisticRegression

from talk2model.errors import WorkspaceError
from talk2model.paths import resource_dir
from talk2model.workspace import Workspace, load_workspace, split_words


@pytest.fixture()
def toy(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "income": rng.normal(50, 10, 200).round(1),
        "age": rng.integers(18, 80, 200),
        "owner": rng.integers(0, 2, 200),
        "city": rng.choice(["Berlin", "Hamburg", "Munich"], 200),
    })
    frame["approved"] = (frame["income"] + 5 * frame["owner"] > 52).astype(int)
    model = LogisticRegression().fit(frame[["income", "age", "owner"]], frame["approved"])
    frame.to_csv(tmp_path / "toy.csv", index=False)
    sio.dump(model, tmp_path / "toy.skops")
    joblib.dump(model, tmp_path / "toy.joblib")
    return tmp_path, frame, model


def write_ws(folder, body: str):
    path = folder / "ws.toml"
    path.write_text(textwrap.dedent(body))
    return path


def minimal(data="toy.csv", model="toy.skops", target="approved", extra=""):
    return f"""
        name = "toy"
        [data]
        path = "{data}"
        [model]
        path = "{model}"
        {extra}
        [schema]
        target = "{target}"
    """


def test_split_words():
    assert split_words("LoanRateAsPercentOfIncome") == "loan rate as percent of income"
    assert split_words("number_of_prior_crimes") == "number of prior crimes"
    assert split_words("CheckingAccountBalanceGreaterOrEqualTo0") == "checking account balance greater or equal to 0"
    assert split_words("BMI") == "bmi"


def test_types_and_ranges_are_inferred(toy):
    folder, frame, model = toy
    # the model reads 3 of the 4 feature columns: the extra column is data, not a model input
    ws = load_workspace(write_ws(folder, minimal()), cache=False)
    kinds = {n: f.kind for n, f in ws.schema.features.items()}
    assert kinds == {"income": "numeric", "age": "numeric", "owner": "flag", "city": "categorical"}
    assert ws.schema.features["age"].range == (int(frame.age.min()), int(frame.age.max()))
    assert ws.schema.features["city"].values == ("Berlin", "Hamburg", "Munich")
    assert ws.schema.task == "classification"
    assert list(ws.schema.classes) == [0, 1]
    np.testing.assert_array_equal(ws.predictions().to_numpy(), model.predict(frame[["income", "age", "owner"]]))


@pytest.mark.parametrize("body, message", [
    (minimal(target="aproved"), "set [schema] target to the column that holds the outcome: 'aproved' is not a column of the data — did you mean 'approved'?"),
    (minimal(model="missing.skops"), None),
    (minimal(model="toy.joblib"), "[model] toy.joblib is a joblib file, and loading it runs code from the file; set trusted = true under [model] only if you trust where it came from"),
    (minimal(data="toy.xlsx"), None),
    (minimal() + "\nid_column = \"ident\"\n", "[schema] id_column names 'ident', which is not a column of the data (its columns: income, age, owner, city, approved)"),
    (minimal() + "\ntask = \"ranking\"\n", "[schema] task must be 'classification' or 'regression', not 'ranking'"),
    (minimal() + "\nfavourable = 3\n", "[schema] favourable = 3 is not one of the classes in the data (0, 1)"),
    (minimal() + "\n[schema.features.incme]\ntype = \"numeric\"\n",
     "[schema.features.incme] names 'incme', which is not a column of the data (its columns: income, age, owner, city, approved) — did you mean 'income'?"),
    (minimal() + "\n[schema.features.age]\ntype = \"number\"\n", "feature 'age': type 'number' is not one of numeric, categorical, flag"),
])
def test_workspace_errors_name_the_field_and_the_fix(toy, body, message):
    folder, _, _ = toy
    with pytest.raises(WorkspaceError) as err:
        load_workspace(write_ws(folder, body), cache=False)
    if message is None:  # paths differ per machine: check the start and the fix
        text = str(err.value)
        assert text.startswith(("[model] path: no file at", "[data] path: no file at", "[data] path: cannot read"))
    else:
        assert str(err.value) == message


def test_model_features_must_match_the_data(toy):
    folder, frame, model = toy
    frame.drop(columns="owner").to_csv(folder / "less.csv", index=False)
    with pytest.raises(WorkspaceError) as err:
        load_workspace(write_ws(folder, minimal(data="less.csv")), cache=False)
    assert str(err.value) == ("the model expects features owner that the data does not have "
                              "(the data has city instead); the data's columns must match the "
                              "features the model was trained on")


def test_trusted_joblib_loads(toy):
    folder, frame, model = toy
    ws = load_workspace(write_ws(folder, minimal(model="toy.joblib", extra="trusted = true")), cache=False)
    assert ws.model.kind == "LogisticRegression"


def test_parquet_and_sql_sources_give_the_same_workspace(toy):
    folder, frame, model = toy
    frame.to_parquet(folder / "toy.parquet")
    db = folder / "toy.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    frame.to_sql("applicants", engine, index=False)
    engine.dispose()
    from_csv = load_workspace(write_ws(folder, minimal()), cache=False)
    (folder / "p.toml").write_text(textwrap.dedent(minimal(data="toy.parquet")))
    from_parquet = load_workspace(folder / "p.toml", cache=False)
    (folder / "s.toml").write_text(textwrap.dedent(f"""
        [data]
        url = "sqlite:///{db}"
        query = "SELECT * FROM applicants WHERE age >= :min_age"
        params = {{ min_age = 0 }}
        [model]
        path = "toy.skops"
        [schema]
        target = "approved"
    """))
    from_sql = load_workspace(folder / "s.toml", cache=False)
    (folder / "t.toml").write_text(textwrap.dedent(f"""
        [data]
        url = "sqlite:///{db}"
        table = "applicants"
        [model]
        path = "toy.skops"
        [schema]
        target = "approved"
    """))
    from_table = load_workspace(folder / "t.toml", cache=False)
    for other in (from_parquet, from_sql, from_table):
        pd.testing.assert_frame_equal(other.data, from_csv.data, check_dtype=False)
        assert other.data_fingerprint == from_csv.data_fingerprint or other is from_sql or other is from_table


def test_train_ids_and_ids(credit, german):
    ids = json.loads((resource_dir("models") / "credit.train_ids.json").read_text())
    assert credit.train_ids == frozenset(ids)
    assert int(credit.held_out_mask(credit.ids).sum()) == 1000 - len(ids)
    raw = pd.read_csv(resource_dir("data") / "ttm" / "german_test.csv", index_col=0)
    assert list(german.ids) == list(raw.index)
    # german was trained on another table: known to hold none of these rows (unknown would be None)
    assert german.train_ids == frozenset() and german.training_known
    assert german.held_out_mask(german.ids).all()


def test_from_frame_builds_a_workspace_in_memory(toy):
    _, frame, model = toy
    ws = Workspace.from_frame("mem", frame, model, {"target": "approved", "classes": {"1": "approved", "0": "refused"}})
    assert ws.schema.classes == {0: "refused", 1: "approved"}
    assert ws.schema.class_value("approved") == 1


def test_builtin_workspaces_match_their_schemas(credit, compas, german, diabetes):
    assert credit.schema.sensitive == ("sex", "age") and credit.schema.immutable == ("sex", "age")
    assert len(credit.data) == 1000 and list(credit.ids[:3]) == [0, 1, 2]
    assert german.schema.feature_names == [c for c in pd.read_csv(resource_dir("data") / "ttm" / "german_test.csv", index_col=0).columns if c != "y"]
    assert compas.schema.features["woman"].kind == "flag"
    assert diabetes.schema.classes[1] == "likely to have diabetes"
