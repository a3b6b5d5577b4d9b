"""Who owns the attribution cache: the Assistant, given it by its Store (or passed one); never a
module global. `talk2model app --db X` and `talk2model run --db X` cache explanations in X, not in
the default database, and two assistants with different stores share no cache."""

from __future__ import annotations

import sqlite3
import time

import pytest

from talk2model import Assistant, cli
from talk2model.store.turns import Store
from talk2model.workspace import load_workspace

EXPLAIN_12 = "filter id == 12 then explain auto"


@pytest.fixture
def default_db(tmp_path, monkeypatch):
    """The default database ($TALK2MODEL_DB) points at a file of its own, so a test can check
    that nothing was written to it."""
    path = tmp_path / "default.sqlite"
    monkeypatch.setenv("TALK2MODEL_DB", f"sqlite:///{path}")
    return path


def cached_rows(path) -> set[str]:
    """Row ids in a database's attribution cache (none when the file or table does not exist)."""
    if not path.exists():
        return set()
    with sqlite3.connect(path) as conn:
        if not conn.execute("select 1 from sqlite_master where name = 'attribution_cache'").fetchone():
            return set()
        return {r[0] for r in conn.execute("select row_id from attribution_cache")}


def explained(answer) -> dict:
    assert answer.error is None, answer.text
    return answer.to_json()["result"]


def test_the_app_with_db_caches_explanations_in_that_database(tmp_path, default_db, monkeypatch, credit):
    """`talk2model app --db X` through ui.main (the server itself not started): a session's
    explanation lands in X's cache, beside its turns, and nothing in the default database."""
    ui = pytest.importorskip("talk2model.ui")
    launched = []

    def fake_launch(demo, **_):
        launched.append(demo)
        demo.block_thread = lambda: None          # main returns at once instead of serving
        return None, "http://127.0.0.1:0/", None

    monkeypatch.setattr(ui, "launch", fake_launch)
    path = tmp_path / "app.sqlite"
    assert ui.main(["--db", f"sqlite:///{path}", "--no-upload", "--workers", "1"]) == 0
    options = launched[0].talk2model_options
    session = ui.ChatSession(credit, options)
    answer = session.assistant.run(EXPLAIN_12)
    assert explained(answer)["from_cache"] == 0
    session.record(EXPLAIN_12, answer)
    options.cache.flush()
    assert cached_rows(path) == {"12"}
    assert cached_rows(default_db) == set()
    assert options.store.turns(session.session_id)[0].question == EXPLAIN_12   # the turn: same file


def test_two_assistants_with_different_stores_share_no_cache(tmp_path, default_db, credit):
    x, y = tmp_path / "x.sqlite", tmp_path / "y.sqlite"
    a = Assistant(credit, store=Store(f"sqlite:///{x}"))
    b = Assistant(credit, store=Store(f"sqlite:///{y}"))
    assert a.cache is not b.cache
    assert explained(a.run(EXPLAIN_12))["from_cache"] == 0
    a.cache.flush()
    # b computes row 12 itself (neither a's memory nor a's database serves it) and stores it in y
    assert explained(b.run(EXPLAIN_12))["from_cache"] == 0
    assert explained(a.run("filter id == 13 then explain auto"))["from_cache"] == 0
    a.cache.flush()
    b.cache.flush()
    assert cached_rows(x) == {"12", "13"}
    assert cached_rows(y) == {"12"}
    assert cached_rows(default_db) == set()
    # and the same store is the same cache: a second assistant on x is served from it
    again = Assistant(credit, store=a.store)
    assert again.cache is a.cache
    assert explained(again.run("filter id == 13 then explain auto"))["from_cache"] == 1


def test_an_assistant_without_a_store_or_cache_writes_no_database(default_db):
    # its own copy of the workspace: the shared one's explainer may hold rows other tests explained
    bot = Assistant(load_workspace("credit", cache=False))
    assert bot.cache is None
    assert explained(bot.run("filter id == 14 then explain auto"))["from_cache"] == 0
    assert cached_rows(default_db) == set()


def test_the_cli_without_a_store_still_caches_in_its_db(tmp_path, default_db, capsys):
    """`talk2model run --db X --no-store`: no turn recorded, the explanation cached in X."""
    path = tmp_path / "cli.sqlite"
    assert cli.main(["run", "-w", "credit", "--db", f"sqlite:///{path}", "--no-store", EXPLAIN_12]) == 0
    assert "I understood" in capsys.readouterr().out
    waited = time.monotonic() + 30                 # the write is on the cache's background thread
    while cached_rows(path) != {"12"} and time.monotonic() < waited:
        time.sleep(0.05)
    assert cached_rows(path) == {"12"}
    assert cached_rows(default_db) == set()
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from turns").fetchone()[0] == 0
