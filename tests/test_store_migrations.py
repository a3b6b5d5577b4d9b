"""The audit store's schema versions (talk2model/store/migrate.py, store/migrations/).

An auditor's database must outlive upgrades. The oracle for "every turn intact" is the store as the
code before migrations wrote and read it:

- `main`: the store code of the last release before migrations (commit OLD_STORE, `git archive
  OLD_STORE talk2model`, run in a subprocess with it first on the path) opens a store, writes
  sessions, turns and feedback, and prints what it reads back; skipped when the checkout does not
  have that commit (a shallow CI clone);
- `create_all`: the tables of then created the way the code before migrations did
  (`Base.metadata.create_all`, no version table) and rows inserted by plain SQL: always runs.

Then `talk2model db upgrade --db URL` runs as a command, and today's `Store` must read back exactly
what was written, and the upgraded schema must equal the models (Alembic's compare_metadata).

Backends: a SQLite file always; PostgreSQL when TALK2MODEL_TEST_PG_URL names a scratch database
(its store tables are dropped before and after each test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from talk2model.store import migrate
from talk2model.store.db import Base, engine_for
from talk2model.store.turns import Store

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TALK2MODEL_TEST_PG_URL")
OLD_STORE = "1e6feac4fe7355f86bd9300ac7d0ae1ca9e26855"   # main before the store kept schema versions
PRE_MIGRATION_TABLES = ("sessions", "turns", "feedback", "attribution_cache")
TABLES = ("feedback", "turns", "sessions", "attribution_cache", "audits", "alembic_version")


def _drop_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name in TABLES:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}" + (" CASCADE" if conn.dialect.name == "postgresql" else "")))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: set TALK2MODEL_TEST_PG_URL to a scratch database's SQLAlchemy URL to run this")
    _drop_all(PG_URL)
    engine_for.cache_clear()
    yield PG_URL
    engine_for.cache_clear()
    _drop_all(PG_URL)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "talk2model.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


# ---- writing a store as the code before migrations did ---------------------------------------
MAIN_WRITER = r'''
import json, sys, types
import talk2model.store.turns as turns
assert turns.__file__.startswith(sys.argv[2]), turns.__file__   # main's code, not this checkout's
from talk2model.store.turns import Store

class Query:
    def __init__(self, steps): self.steps = steps
    def to_json(self): return {"steps": self.steps}
    def to_text(self): return " then ".join(s["op"] for s in self.steps)

def answer(i, **kw):
    base = dict(question=f"question {i} — ünïcode ✓", query=Query([{"op": "filter"}, {"op": "count"}]),
                reading=f"I understood: {i}", text=f"answer {i}\nline two", result={"n": i, "rows": [1, 2.5, None]},
                table=None, figures=[], choices=[], selection="applicants over 60", latency_ms=12.5 + i,
                error=None)
    base.update(kw)
    return types.SimpleNamespace(**base)

store = Store(sys.argv[1])
ws = types.SimpleNamespace(name="credit", model_fingerprint="m" * 16, data_fingerprint="d" * 16)
sids = [store.new_session(ws, user="alice"), store.new_session(ws)]
ids = [store.record_turn(sids[0], ws, answer(1), user="alice"),
       store.record_turn(sids[0], ws, answer(2, query=None, error="QueryError: no feature 'incme'"), user="alice"),
       store.record_turn(sids[1], ws, answer(3, selection=None))]
store.add_feedback(ids[0], "up", comment="clear")
store.add_feedback(ids[2], "down")
out = {"sessions": [store.session(s) for s in sids],
       "turns": [t for s in sids for t in store.turns(s)],
       "feedback": store.feedback()}
print(json.dumps({k: [vars(x) for x in v] for k, v in out.items()}, default=str))
'''


def _read_back(url: str, session_ids: list[str]) -> dict:
    store = Store(url)
    out = {"sessions": [store.session(s) for s in session_ids],
           "turns": [t for s in session_ids for t in store.turns(s)],
           "feedback": store.feedback()}
    return json.loads(json.dumps({k: [vars(x) for x in v] for k, v in out.items()}, default=str))


def _write_with_main(url: str, tmp_path: Path) -> dict:
    if shutil.which("git") is None:
        pytest.skip("git is not installed, so main's store code cannot be read")
    archive = subprocess.run(["git", "archive", OLD_STORE, "talk2model"], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"commit {OLD_STORE[:7]} is not in this checkout (shallow clone): the old store code is not available")
    folder = tmp_path / "main"
    folder.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    assert not (folder / "talk2model" / "store" / "migrate.py").exists()   # really the old code
    proc = subprocess.run([sys.executable, "-c", MAIN_WRITER, url, str(folder)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(folder)), cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _write_with_create_all(url: str) -> dict:
    import talk2model.store.tables  # noqa: F401

    engine = sa.create_engine(url)
    # what db.connect did before migrations, with the tables that existed then
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[name] for name in PRE_MIGRATION_TABLES])
    when = datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone.utc)
    sessions = [{"id": "a" * 32, "created_at": when, "last_active": when, "workspace": "credit",
                 "model_fingerprint": "m" * 16, "data_fingerprint": "d" * 16, "turn_count": 2, "user_name": "alice"}]
    turns = [{"session_id": "a" * 32, "seq": i, "created_at": when, "workspace": "credit",
              "model_fingerprint": "m" * 16, "data_fingerprint": "d" * 16, "question": f"q{i} — ✓",
              "query": {"steps": [{"op": "count"}]} if i == 1 else None, "query_text": "count" if i == 1 else None,
              "reading": "I understood: count", "answer": f"a{i}", "result": {"n": i}, "answer_table": None,
              "figures": None, "choices": None, "selection": None, "latency_ms": 1.5 * i,
              "error": None if i == 1 else "boom", "user_name": "alice"} for i in (1, 2)]
    feedback = [{"turn_id": 1, "session_id": "a" * 32, "created_at": when, "rating": 1, "comment": "ok"}]
    with engine.begin() as conn:
        for table, rows in (("sessions", sessions), ("turns", turns), ("feedback", feedback)):
            conn.execute(sa.insert(Base.metadata.tables[table]), rows)
    engine.dispose()
    for i, row in enumerate(turns, 1):   # ids from the database's own sequence (1, 2 in new tables)
        row["id"] = i
    feedback[0]["id"] = 1

    def iso(row):
        return {k: (str(v) if isinstance(v, datetime) else v) for k, v in row.items()}
    sessions[0]["turn_count"] = 2
    return {"sessions": [iso(s) for s in sessions], "turns": [iso(t) for t in turns],
            "feedback": [iso(f) for f in feedback]}


def _normalise(read: dict) -> dict:
    """Timestamps compared as instants (SQLite gives them back naive, PostgreSQL aware)."""
    def fix(row):
        out = dict(row)
        for key in ("created_at", "last_active"):
            if key in out:
                t = datetime.fromisoformat(out[key])
                out[key] = (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).isoformat()
        return out
    return {k: [fix(r) for r in v] for k, v in read.items()}


def _schema_differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return diffs


@pytest.mark.parametrize("writer", ["main", "create_all"])
def test_an_old_store_is_refused_then_upgraded_with_every_turn_intact(url, writer, tmp_path):
    written = _write_with_main(url, tmp_path) if writer == "main" else _write_with_create_all(url)
    assert len(written["turns"]) >= 2 and written["feedback"]
    engine_for.cache_clear()

    # before the upgrade: nothing is written, and the message gives the command
    with pytest.raises(migrate.StoreSchemaError) as err:
        Store(url)
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    assert str(err.value) == migrate.ERR_OLD_SCHEMA.format(url=shown, current=migrate.PRE_VERSIONS,
                                                           head=migrate.head_revision())
    assert f"talk2model db upgrade --db {shown}" in str(err.value)

    proc = _cli("db", "upgrade", "--db", url)
    assert proc.returncode == 0, proc.stderr
    assert f"{migrate.PRE_VERSIONS} -> {migrate.head_revision()}" in proc.stdout
    engine_for.cache_clear()

    session_ids = [s["id"] for s in written["sessions"]]
    assert _normalise(_read_back(url, session_ids)) == _normalise(written)
    assert _schema_differences(url) == []

    # the upgraded store takes new turns after the old ones, and a second upgrade changes nothing
    import types
    ws = types.SimpleNamespace(name="credit", model_fingerprint="m" * 16, data_fingerprint="d" * 16)
    ans = types.SimpleNamespace(question="new", query=None, reading=None, text="t", result=None, table=None,
                                figures=[], choices=[], selection=None, latency_ms=1.0, error=None)
    store = Store(url)
    store.record_turn(session_ids[0], ws, ans)
    turns = store.turns(session_ids[0])
    assert [t.seq for t in turns] == list(range(1, len(turns) + 1)) and turns[-1].question == "new"
    proc = _cli("db", "upgrade", "--db", url)
    assert proc.returncode == 0 and "already at" in proc.stdout


def test_a_new_store_is_created_at_the_newest_version_and_matches_the_models(url):
    Store(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    engine.dispose()
    assert _schema_differences(url) == []
    proc = _cli("db", "current", "--db", url)
    assert proc.returncode == 0 and f"store: {migrate.head_revision()}" in proc.stdout


def test_a_store_from_a_newer_talk2model_is_refused(url):
    Store(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    engine_for.cache_clear()
    with pytest.raises(migrate.StoreSchemaError, match="written by a newer talk2model"):
        Store(url)


def test_the_migration_scripts_install_with_the_package():
    """pyproject's package data covers every Alembic script (a wheel without them cannot upgrade)."""
    import fnmatch
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["talk2model.store"]
    folder = ROOT / "talk2model" / "store"
    files = [p.relative_to(folder).as_posix() for p in (folder / "migrations").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert "migrations/env.py" in files and any(f.startswith("migrations/versions/") for f in files)
    for name in files:
        assert any(fnmatch.fnmatch(name, g) for g in globs), name
