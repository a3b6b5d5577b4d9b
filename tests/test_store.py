"""The audit trail on a real SQLite file, and on PostgreSQL when TALK2MODEL_TEST_PG_URL is set
(.ci/run starts a server and sets it)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3

import pytest
import sqlalchemy as sa

from talk2model.assistant import Answer, Assistant
from talk2model.paths import resource_dir
from talk2model.query.ast import Query
from talk2model.store.turns import ERR_RATING, Store, StoreError, TurnRecord

PG_URL = os.environ.get("TALK2MODEL_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    engine = sa.create_engine(PG_URL)     # a scratch database: whatever an earlier run left is dropped
    meta = sa.MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()
    from talk2model.store.db import engine_for

    engine_for.cache_clear()
    return Store(PG_URL)


def _sha16(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_every_turn_is_stored_with_query_answer_and_fingerprints(store, credit):
    bot = Assistant(credit, store=store)
    questions = ["filter age > 50 then count", "filter id == 12 then predict then likelihood",
                 "statistic age", "qwzx blorf vvv"]
    answers = [bot.ask(q) for q in questions]
    turns = store.turns(bot.session_id)

    assert [t.seq for t in turns] == [1, 2, 3, 4]
    assert [t.question for t in turns] == questions
    assert [t.answer for t in turns] == [a.text for a in answers]
    model_fp = _sha16(resource_dir("models") / "credit.skops")
    for turn, answer in zip(turns, answers):
        assert turn.workspace == "credit"
        assert turn.model_fingerprint == model_fp
        assert turn.data_fingerprint == credit.data_fingerprint
        assert turn.latency_ms == pytest.approx(answer.latency_ms)
        assert turn.created_at.tzinfo is not None
    # the query round-trips from its stored JSON
    assert Query.from_json(turns[0].query) == Query.from_text("filter age > 50 then count")
    assert turns[0].query_text == "filter age > 50 then count"
    assert turns[0].reading == answers[0].reading
    # the stored result is the real count, recomputed with pandas
    assert turns[0].result["count"] == int((credit.data["age"] > 50).sum())
    assert turns[0].result["total"] == len(credit.data)
    # the probability figure is stored as data, with the model's own probabilities
    proba = credit.model.predict_proba(credit.X(credit.data.loc[[12]]))[0]
    figure = turns[1].figures[0]
    assert sorted(figure["values"]) == pytest.approx(sorted(proba))
    # the statistics table: the mean of age as pandas computes it
    table = turns[2].answer_table
    assert table["columns"] == ["statistic", "age (years)"]      # the unit in the header, as the text says it
    cells = {name: value for name, value in table["rows"]}
    assert cells["mean"] == pytest.approx(credit.data["age"].mean())
    assert cells["max"] == credit.data["age"].max()
    # a question that could not be read is stored too, with its error and no query
    assert turns[3].error and turns[3].query is None and turns[3].answer == answers[3].text

    info = store.session(bot.session_id)
    assert info.turn_count == 4 and info.workspace == "credit"
    assert info.last_active >= info.created_at


def test_sessions_are_listed_newest_first_and_kept_apart(store, credit, german):
    a = Assistant(credit, store=store)
    b = Assistant(german, store=store)
    a.ask("count")
    b.ask("count")
    b.ask("statistic age")
    listed = {s.id: s for s in store.sessions()}
    assert listed[a.session_id].workspace == "credit" and listed[a.session_id].turn_count == 1
    assert listed[b.session_id].workspace == "german" and listed[b.session_id].turn_count == 2
    order = [s.id for s in store.sessions()]
    assert order.index(b.session_id) < order.index(a.session_id)
    assert [t.question for t in store.turns(a.session_id)] == ["count"]
    assert [t.question for t in store.turns(b.session_id)] == ["count", "statistic age"]
    assert store.turns(b.session_id)[0].result["total"] == len(german.data)


def test_a_failing_turn_leaves_nothing_behind(store, credit):
    bot = Assistant(credit, store=store)
    bot.ask("count")

    def crash(*_args):  # the INSERT has run inside the transaction; now the process "fails"
        raise RuntimeError("disk on fire")

    sa.event.listen(TurnRecord, "after_insert", crash)
    try:
        answer = bot.ask("statistic age")  # ask never raises: the answer comes, unrecorded
        assert answer.turn_id is None and answer.error is None and "age" in answer.text
        with pytest.raises(RuntimeError, match="disk on fire"):
            store.record_turn(bot.session_id, credit, answer)
    finally:
        sa.event.remove(TurnRecord, "after_insert", crash)
    assert [t.question for t in store.turns(bot.session_id)] == ["count"]
    assert store.session(bot.session_id).turn_count == 1
    bot.ask("statistic age")  # and the next turn takes the free number
    assert [t.seq for t in store.turns(bot.session_id)] == [1, 2]


def test_feedback_is_stored_against_its_turn(store, credit):
    sid = store.new_session(credit)
    first = store.record_turn(sid, credit, Assistant(credit).ask("count"))
    second = store.record_turn(sid, credit, Assistant(credit).ask("statistic age"))
    store.add_feedback(first, "up")
    store.add_feedback(second, "Dislike", comment="  the table is too long  ")
    store.add_feedback(second, None, comment="and the mean is rounded")
    got = store.feedback(session_id=sid)
    assert [(f.turn_id, f.rating, f.comment) for f in got] == [
        (first, 1, None), (second, -1, "the table is too long"), (second, None, "and the mean is rounded")]
    assert [f.rating for f in store.feedback(turn_id=second)] == [-1, None]
    with pytest.raises(StoreError) as err:
        store.add_feedback(first, "meh")
    assert str(err.value) == ERR_RATING.format(rating="meh")
    with pytest.raises(StoreError):
        store.add_feedback(10**9, "up")
    with pytest.raises(StoreError):
        store.add_feedback(first)


def test_values_json_cannot_hold_are_made_safe(store, credit):
    answer = Answer(question="q", text="t", results=[{"op": "x", "result": {"v": math.nan, "w": [1.5, math.inf]}}])
    sid = store.new_session(credit)
    store.record_turn(sid, credit, answer)
    (turn,) = store.turns(sid)
    assert turn.result == {"v": None, "w": [1.5, None]}


def test_unknown_session_is_opened_on_first_turn(store, credit):
    store.record_turn("f" * 32, credit, Assistant(credit).ask("count"))
    assert store.session("f" * 32).turn_count >= 1
    with pytest.raises(StoreError, match="no session"):
        store.session("0" * 32)


def test_the_sqlite_file_holds_the_rows(tmp_path, credit):
    path = tmp_path / "audit.sqlite"
    store = Store(f"sqlite:///{path}")
    bot = Assistant(credit, store=store)
    bot.ask("filter age > 50 then count")
    bot.ask("statistic age")
    con = sqlite3.connect(path)  # read the file with the plain sqlite3 module
    rows = con.execute("SELECT seq, question, query FROM turns WHERE session_id = ? ORDER BY seq",
                       (bot.session_id,)).fetchall()
    con.close()
    assert [(r[0], r[1]) for r in rows] == [(1, "filter age > 50 then count"), (2, "statistic age")]
    assert json.loads(rows[0][2]) == Query.from_text("filter age > 50 then count").to_json()


def test_url_comes_from_the_environment(tmp_path, monkeypatch, credit):
    path = tmp_path / "from_env.sqlite"
    monkeypatch.setenv("TALK2MODEL_DB", f"sqlite:///{path}")
    store = Store()
    sid = store.new_session(credit)
    assert path.is_file()
    assert sqlite3.connect(path).execute("SELECT workspace FROM sessions WHERE id = ?", (sid,)).fetchone() == ("credit",)
