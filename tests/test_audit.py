"""`talk2model audit` on Dask: the same figures as one process, a lost worker survived, and a SQL
table read in partitions answering as its CSV twin does.

One LocalCluster of 2 single-threaded worker processes for the module (processes, so a worker can
really be killed). The big test audits a generated copy of adult (ROWS rows, resampled with noise:
talk2model.scale.synthetic) and checks it row for row against the single-process explainer and the
fairness report against pandas + fairlearn on the whole frame (`explainers.fairness.assess`).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talk2model.explainers import fairness as fx
from talk2model.explainers.attributions import Explainer
from talk2model.scale import open_client
from talk2model.scale.audit import MAX_REASONS, attribute_sets, principal_reasons, run_audit
from talk2model.scale.synthetic import resample
from talk2model.workspace import Workspace, load_workspace

ROWS = int(os.environ.get("TALK2MODEL_AUDIT_ROWS", "100000"))   # 200000 passes too: 43 s for that test alone
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client():
    with open_client(n_workers=2, processes=True, dashboard=False) as c:
        yield c


@pytest.fixture(scope="module")
def adult():
    return load_workspace("adult")


def copy_of(adult, n: int, seed: int = 0) -> Workspace:
    data = resample(adult.data, n, seed=seed, keep=(adult.schema.target,))
    return Workspace(name="adult-copy", schema=adult.schema, data=data, model=adult.model,
                     train_ids=frozenset(), source="generated")


def test_audit_matches_one_process_row_for_row_and_pandas_fairness_exactly(client, adult, tmp_path):
    ws = copy_of(adult, ROWS)
    summary = run_audit(ws, client, tmp_path / "out", partition_rows=max(ROWS // 8, 1000))
    out = pd.read_parquet(tmp_path / "out").sort_index()
    assert summary.selected == summary.rows == ROWS and summary.partitions >= 2
    assert out.index.name == "id" and out.index.is_unique and (out.index == ws.data.index).all()

    # the single-process path: the workspace's explainer and model on the whole frame
    ex = Explainer(ws)
    block = ex.compute(ws.data, ex.method_for("auto"))
    columns = [f"attribution_{f}" for f in ex.encoding.features]
    np.testing.assert_allclose(out[columns].to_numpy(), block.values, atol=1e-6, rtol=0)
    np.testing.assert_allclose(out["base"], block.base, atol=1e-6, rtol=0)
    np.testing.assert_allclose(out["output"], block.output, atol=1e-6, rtol=0)
    pred = ws.model.predict(ws.X())
    assert (out["prediction"].to_numpy() == pred).all()
    np.testing.assert_allclose(out["probability"], ws.model.predict_proba(ws.X())[:, 1], atol=1e-12)
    # principal reasons: the features pushing toward the decision, strongest first, as `explain` picks them
    toward = np.where(pred == 1, 1.0, -1.0)
    expected = principal_reasons(block.values, toward, list(ex.encoding.features))
    for k in range(MAX_REASONS):
        got = out[f"reason_{k + 1}"].astype(object).where(out[f"reason_{k + 1}"].notna(), None).to_numpy()
        assert (got == expected[:, k]).all()
    row = 7
    push = block.values[row] * toward[row]
    top = [ex.encoding.features[j] for j in np.argsort(-push) if push[j] > 0][:MAX_REASONS]
    assert [out.iloc[row][f"reason_{k + 1}"] for k in range(len(top))] == top

    # fairness: pandas on every row, the same functions a question uses
    sensitive = list(ws.schema.sensitive)
    assert set(summary.fairness) == {" × ".join(s) for s in attribute_sets(sensitive)}
    for attrs in attribute_sets(sensitive):
        groups = fx.group_labels(ws.data, attrs, ws.schema)
        want = fx.assess(ws.data[ws.schema.target], pd.Series(pred, index=ws.data.index), groups.labels,
                         favourable=1, evaluate=np.ones(ROWS, dtype=bool), order=groups.order)
        got = summary.fairness[" × ".join(attrs)]
        pd.testing.assert_frame_equal(got.groups, want.groups, check_exact=True)
        assert got.demographic_parity_difference == want.demographic_parity_difference
        assert got.demographic_parity_ratio == want.demographic_parity_ratio
        assert got.equalized_odds_difference == want.equalized_odds_difference
        assert got.dp_difference_ci == want.dp_difference_ci and got.dp_ratio_ci == want.dp_ratio_ci
        assert got.eo_difference_ci == want.eo_difference_ci
        assert got.verdict == want.verdict
        assert {g: {k: r.to_json() if r else None for k, r in v.items()} for g, v in got.intervals.items()} == \
            {g: {k: r.to_json() if r else None for k, r in v.items()} for g, v in want.intervals.items()}
    marker = json.loads((tmp_path / "out" / "_audit.json").read_text())
    assert marker["selected"] == ROWS and "sex" in marker["fairness"]


def test_where_selects_what_filter_selects(client, adult, tmp_path):
    ws = copy_of(adult, 4000, seed=3)
    summary = run_audit(ws, client, tmp_path / "out", where="age > 40 and race != \"White\"",
                        partition_rows=1000)
    out = pd.read_parquet(tmp_path / "out")
    want = ws.data[(ws.data["age"] > 40) & (ws.data["race"] != "White")]
    assert sorted(out.index) == sorted(want.index) and summary.selected == len(want) and summary.rows == 4000
    # fairness over the selection, as `filter ... then bias age` groups it (bands from those rows)
    groups = fx.group_labels(want, ["age"], ws.schema)
    pred = pd.Series(ws.model.predict(ws.X(want)), index=want.index)
    report = fx.assess(want[ws.schema.target], pred, groups.labels, favourable=1, order=groups.order)
    pd.testing.assert_frame_equal(summary.fairness["age"].groups, report.groups, check_exact=True)


def test_a_worker_killed_mid_job_is_survived_and_every_row_is_written_once(client, adult, tmp_path):
    ws = copy_of(adult, 20_000, seed=1)
    out = tmp_path / "out"
    pids = client.run(os.getpid)                 # worker address -> process id
    killed = {}

    def kill_after_first_part(future):
        def watch():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not list(out.glob("part.*.parquet")):
                time.sleep(0.02)
            killed["parts_before"] = len(list(out.glob("part.*.parquet")))
            victim = sorted(pids)[0]
            os.kill(pids[victim], signal.SIGKILL)
            killed["pid"] = pids[victim]

        threading.Thread(target=watch, daemon=True).start()

    summary = run_audit(ws, client, out, partition_rows=1000, fairness=False, on_submit=kill_after_first_part)
    assert killed and killed["parts_before"] < summary.partitions    # killed while work was left
    written = pd.read_parquet(out)
    assert len(written) == len(ws.data) and written.index.is_unique
    assert sorted(written.index) == list(ws.data.index)
    client.wait_for_workers(2, timeout=60)       # the nanny restarted it
    assert killed["pid"] not in client.run(os.getpid).values()


def test_a_sql_table_in_partitions_answers_as_its_csv_twin(client, adult, tmp_path):
    data = resample(adult.data, 3000, seed=2, keep=(adult.schema.target,)).reset_index()
    data.to_csv(tmp_path / "rows.csv", index=False)
    with sqlite3.connect(tmp_path / "rows.sqlite") as conn:
        data.to_sql("decisions", conn, index=False)
        conn.execute("CREATE INDEX decisions_id ON decisions (id)")
    model = (ROOT / "models" / "adult.skops").resolve()
    schema = (ROOT / "workspaces" / "adult.toml").read_text().split("[schema]", 1)[1]
    url = f'url = "sqlite:///{tmp_path / "rows.sqlite"}"'
    for name, data_table in (("csv", 'path = "rows.csv"'), ("sql", f'{url}\ntable = "decisions"'),
                             ("query", f'{url}\nquery = "SELECT * FROM decisions WHERE age >= :youngest"\n'
                                       f'params = {{ youngest = 0 }}')):
        (tmp_path / f"{name}.toml").write_text(
            f'name = "adult-{name}"\n[data]\n{data_table}\n[model]\npath = "{model}"\n'
            f'trained_on_these_rows = false\n[schema]\nid_column = "id"{schema}')
    results = {}
    for name in ("csv", "sql", "query"):
        ws = load_workspace(tmp_path / f"{name}.toml", cache=False)
        summary = run_audit(ws, client, tmp_path / f"out-{name}", partition_rows=700)
        assert summary.partitions >= (2 if name == "csv" else 4)     # CSV blocks are bytes, about
        results[name] = (summary, pd.read_parquet(tmp_path / f"out-{name}").sort_index())
    (csv, csv_rows) = results["csv"]
    assert csv.source == "1 CSV file"
    assert results["sql"][0].source == "SQL table decisions" and results["query"][0].source == "a SQL query"
    for sql, sql_rows in (results["sql"], results["query"]):
        # the same rows and decisions exactly; attributions to the last bits a different split into
        # partitions leaves (4 of the values differed, by at most 3.5e-18, in a run of this test)
        shap_cols = [c for c in csv_rows.columns if c.startswith("attribution_")]
        assert shap_cols
        pd.testing.assert_frame_equal(sql_rows.drop(columns=shap_cols), csv_rows.drop(columns=shap_cols),
                                      check_exact=True)
        pd.testing.assert_frame_equal(sql_rows[shap_cols], csv_rows[shap_cols], check_exact=False,
                                      rtol=0, atol=1e-12)
        assert list(sql_rows.index) == list(data["id"])
        for key in csv.fairness:
            pd.testing.assert_frame_equal(sql.fairness[key].groups, csv.fairness[key].groups, check_exact=True)
            assert sql.fairness[key].dp_ratio_ci == csv.fairness[key].dp_ratio_ci


def test_the_command_on_a_running_scheduler_stores_its_summary(client, tmp_path, capsys):
    from talk2model.cli import audit_main as main
    from talk2model.store.audits import list_audits

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["-w", "credit", "--scheduler", client.scheduler.address, "--out", str(tmp_path / "credit"),
                 "--db", url, "--partition-rows", "300"]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert f"running on the scheduler at {client.scheduler.address}" in captured.err
    assert "100% Completed" in captured.err and "Completed" not in printed     # the bar, on stderr
    assert printed.startswith("credit: 1,000 of 1,000 rows audited") and "on 2 workers" in printed
    assert "demographic-parity difference" in printed
    (audit,) = list_audits(url)
    assert audit.workspace == "credit" and audit.selected == 1000 and "sex" in audit.summary["fairness"]
    assert len(pd.read_parquet(tmp_path / "credit")) == 1000
    assert main(["--list", "--db", url]) == 0
    listed = capsys.readouterr().out
    assert "credit  1,000 of 1,000 rows" in listed and "[sex " in listed
    # an --out folder holding something else is refused, not emptied
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert main(["-w", "credit", "--scheduler", client.scheduler.address, "--out", str(tmp_path / "mine"),
                 "--no-store", "--quiet"]) == 2
    assert (tmp_path / "mine" / "notes.txt").exists()
    assert main(["-w", "credit", "--where", "agee > 30", "--no-store", "--quiet"]) == 2   # before any cluster
    assert "no feature 'agee'" in capsys.readouterr().err


def test_precompute_on_dask_fills_the_cache_questions_read(client, tmp_path):
    from talk2model import Assistant
    from talk2model.scale.precompute import precompute
    from talk2model.store.cache import AttributionCache

    url = f"sqlite:///{tmp_path / 'cache.sqlite'}"
    credit = load_workspace("credit")
    figures = precompute(credit, client, AttributionCache(url), partition_rows=300)
    assert figures["stored"] == len(credit.data) == figures["rows"]
    answer = Assistant(credit, cache=AttributionCache(url)).run("filter id == 5 then explain auto").to_json()["result"]
    assert answer["from_cache"] == 1
    fresh = Explainer(credit).compute(credit.data.loc[[5]], "shap-tree")
    got = [answer["attributions"][f] for f in Explainer(credit).encoding.features]
    np.testing.assert_allclose(got, fresh.values[0], atol=1e-12)


def test_a_parquet_dataset_bigger_than_memory_answers_from_a_sample_and_reads_what_it_needs(client, adult, tmp_path):
    from talk2model import Assistant

    data = resample(adult.data, 30_000, seed=4, keep=(adult.schema.target,))
    folder = tmp_path / "decisions"
    folder.mkdir()
    for k, start in enumerate(range(0, 30_000, 10_000)):     # three files, ids stored as the index
        data.iloc[start:start + 10_000].to_parquet(folder / f"part-{k}.parquet", row_group_size=2_000)
    model = (ROOT / "models" / "adult.skops").resolve()
    schema = (ROOT / "workspaces" / "adult.toml").read_text().split("[schema]", 1)[1]
    toml = tmp_path / "big.toml"
    toml.write_text(f'name = "adult-big"\n[data]\npath = "decisions"\nmemory_rows = 10000\nsample_rows = 4000\n'
                    f'[model]\npath = "{model}"\ntrained_on_these_rows = false\n[schema]{schema}')
    ws = load_workspace(toml, cache=False)
    assert ws.sampled and len(ws.data) == 4000 and ws.rows_in_source == 30_000
    pd.testing.assert_frame_equal(ws.data, data.loc[ws.data.index])     # real rows, their own ids
    outside = next(i for i in (29_999, 12_345, 7) if i not in ws.data.index)
    bot = Assistant(ws)
    answer = bot.run(f"filter id == {outside} then predict")
    want = adult.model.predict(adult.X(data.loc[[outside]]))[0]
    assert answer.error is None and "sample" not in answer.text
    assert list(answer.to_json()["result"]["predictions"].values()) == [want]
    assert ws.fetch([outside]).equals(data.loc[[outside]])
    counted = bot.run("filter age > 50 then count")
    assert f"{int((data['age'] > 50).sum()):,} of the 30,000 people" in counted.text
    assert "counted over all 30,000 rows" in counted.text and "random sample" not in counted.text
    scored = bot.run("filter age > 50 then score accuracy")
    assert "random sample of 4,000 of them (13.3%)" in scored.text
    summary = run_audit(ws, client, tmp_path / "out", partition_rows=5000, fairness=False)
    assert summary.source == "3 Parquet files" and summary.selected == 30_000
    assert sorted(pd.read_parquet(tmp_path / "out").index) == list(range(30_000))


def test_counterfactuals_for_unfavourable_decisions_flip_them(client, tmp_path):
    credit = load_workspace("credit")
    few = Workspace(name="credit-few", schema=credit.schema, data=credit.data.iloc[:40], model=credit.model,
                    train_ids=credit.train_ids, source="test")
    run_audit(few, client, tmp_path / "out", counterfactuals=True, partition_rows=20, fairness=False)
    out = pd.read_parquet(tmp_path / "out").sort_index()
    fav = credit.schema.favourable
    refused = out[out["prediction"] != fav]
    assert len(refused) and out.loc[out["prediction"] == fav, "counterfactual"].isna().all()
    row_id = refused.index[0]
    options = json.loads(refused.loc[row_id, "counterfactual"])
    assert options
    changed = credit.data.loc[[row_id]].copy()
    for column, (_, new) in options[0]["changes"].items():
        changed[column] = pd.Series([new], index=changed.index).astype(changed[column].dtype)
    assert credit.model.predict(credit.X(changed))[0] == fav      # it does flip the decision


def test_fairness_questions_on_a_sampled_workspace_use_the_audit_of_every_row(client, adult, tmp_path, monkeypatch):
    from talk2model import Assistant

    data = resample(adult.data, 12_000, seed=5, keep=(adult.schema.target,))
    data.to_parquet(tmp_path / "rows.parquet", row_group_size=3_000)
    model = (ROOT / "models" / "adult.skops").resolve()
    schema = (ROOT / "workspaces" / "adult.toml").read_text().split("[schema]", 1)[1]
    (tmp_path / "big.toml").write_text(
        f'name = "adult-sampled"\n[data]\npath = "rows.parquet"\nmemory_rows = 5000\nsample_rows = 3000\n'
        f'[model]\npath = "{model}"\ntrained_on_these_rows = false\n[schema]{schema}')
    ws = load_workspace(tmp_path / "big.toml", cache=False)
    assert ws.sampled
    before = Assistant(ws).run("bias sex")
    assert "random sample of 3,000 of them" in before.text          # no audit yet: the sample, said
    monkeypatch.chdir(tmp_path)                                       # the command's default --out
    run_audit(ws, client, Path("audit") / ws.name, partition_rows=4000)
    after = Assistant(ws).run("bias sex").to_json()["result"]
    pred = pd.Series(adult.model.predict(adult.X(data)), index=data.index)
    groups = fx.group_labels(data, ["sex"], ws.schema)
    want = fx.assess(data[ws.schema.target], pred, groups.labels, favourable=1, order=groups.order)
    assert after["over_all"] == 12_000
    # (the answer's JSON keeps 10 decimals; the reports themselves are compared exactly above)
    assert after["demographic_parity_ratio"] == pytest.approx(want.demographic_parity_ratio, abs=1e-9)
    assert after["demographic_parity_ratio_ci"] == pytest.approx(list(want.dp_ratio_ci), abs=1e-9)
    assert {g: v["size"] for g, v in after["groups"].items()} == want.groups["size"].to_dict()
    text = Assistant(ws).run("bias sex").text
    assert "over all 12,000 people" in text and "random sample" not in text
    # accuracy and the other shares over everything come from the audit's confusion counts too
    scored = Assistant(ws).run("score accuracy")
    right = int((pred == data[ws.schema.target]).sum())
    assert scored.to_json()["result"]["count"] == right and scored.to_json()["result"]["of"] == 12_000
    assert f"{right:,} of 12,000 right" in scored.text and "random sample" not in scored.text
    recall = Assistant(ws).run("score recall").to_json()["result"]
    truly = data[ws.schema.target] == 1
    assert (recall["count"], recall["of"]) == (int((pred[truly] == 1).sum()), int(truly.sum()))


def test_a_sql_table_bigger_than_memory_is_sampled_and_read_by_id(adult, tmp_path):
    from talk2model import Assistant

    data = resample(adult.data, 6000, seed=6, keep=(adult.schema.target,)).reset_index()
    data["id"] = data["id"] * 10 + 7                                  # ids that are not positions
    with sqlite3.connect(tmp_path / "rows.sqlite") as conn:
        data.to_sql("decisions", conn, index=False)
        conn.execute("CREATE INDEX decisions_id ON decisions (id)")
    model = (ROOT / "models" / "adult.skops").resolve()
    schema = (ROOT / "workspaces" / "adult.toml").read_text().split("[schema]", 1)[1]
    (tmp_path / "sql.toml").write_text(
        f'name = "adult-sql"\n[data]\nurl = "sqlite:///{tmp_path / "rows.sqlite"}"\ntable = "decisions"\n'
        f'memory_rows = 2000\nsample_rows = 1000\n[model]\npath = "{model}"\ntrained_on_these_rows = false\n'
        f'[schema]\nid_column = "id"{schema}')
    ws = load_workspace(tmp_path / "sql.toml", cache=False)
    by_id = data.set_index("id")
    assert ws.sampled and len(ws.data) == 1000 and ws.rows_in_source == 6000
    pd.testing.assert_frame_equal(ws.data, by_id.loc[ws.data.index], check_names=False)
    outside = next(i for i in by_id.index[::-1] if i not in ws.data.index)
    pd.testing.assert_frame_equal(ws.fetch([outside]), by_id.loc[[outside]], check_names=False)
    answer = Assistant(ws).run(f"filter id == {outside} then predict").to_json()["result"]
    assert list(answer["predictions"].values()) == [adult.model.predict(adult.X(by_id.loc[[outside]]))[0]]
    counted = Assistant(ws).run("filter sex == \"Female\" then count").text
    assert f"{int((data['sex'] == 'Female').sum()):,} of the 6,000 people" in counted


@pytest.mark.parametrize("value, read", [('"lots"', "lots"), ("0", 0), ("true", True), ("2.5", 2.5)])
def test_memory_and_sample_rows_must_be_whole_numbers(tmp_path, value, read):
    from talk2model.errors import WorkspaceError
    from talk2model.workspace.data import ERR_ROWS

    resample(load_workspace("credit").data, 50).to_parquet(tmp_path / "rows.parquet")
    (tmp_path / "w.toml").write_text(
        f'[data]\npath = "rows.parquet"\nsample_rows = {value}\n[model]\npath = "{ROOT / "models" / "credit.skops"}"\n'
        f'[schema]\ntarget = "risk"\n')
    with pytest.raises(WorkspaceError) as err:
        load_workspace(tmp_path / "w.toml", cache=False)
    assert str(err.value) == ERR_ROWS.format(field="sample_rows", value=read)


def test_answers_that_read_no_rows_do_not_mention_a_sample(adult, tmp_path):
    from talk2model import Assistant

    resample(adult.data, 3000, seed=7, keep=(adult.schema.target,)).to_parquet(tmp_path / "rows.parquet")
    model = (ROOT / "models" / "adult.skops").resolve()
    schema = (ROOT / "workspaces" / "adult.toml").read_text().split("[schema]", 1)[1]
    (tmp_path / "w.toml").write_text(f'[data]\npath = "rows.parquet"\nmemory_rows = 1000\nsample_rows = 500\n'
                                     f'[model]\npath = "{model}"\ntrained_on_these_rows = false\n[schema]{schema}')
    ws = load_workspace(tmp_path / "w.toml", cache=False)
    bot = Assistant(ws)
    assert "sample" not in bot.run("capabilities").text
    assert "random sample of 500 of them (16.7%)" in bot.run("filter age > 40 then predict").text
