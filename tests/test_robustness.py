"""Robustness: `Assistant.ask` never raises and always records, whatever it is sent.

- A hypothesis fuzz over the query language's text form, its JSON form and natural language:
  every input gets an answer text (UTF-8 encodable) and exactly one stored turn.
- A regression corpus of the inputs that once broke a session (issue 9): nesting, overflow,
  infinity, control characters, lone surrogates, HTML, a negative id, an SQL-looking value.
- The app: a lone surrogate sent as a JSON escape neither breaks the session nor the store;
  a `kill -9` under load loses no delivered answer and leaves an intact database.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talk2model import assistant as assistant_mod
from talk2model.assistant import Assistant
from talk2model.query import limits
from talk2model.query import validate as validate_mod
from talk2model.sanitize import REPLACEMENT, clean_text
from talk2model.store.turns import Store

FUZZ_TEXT = 150
FUZZ_JSON = 150
FUZZ_NL = 100


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return Store(f"sqlite:///{tmp_path_factory.mktemp('robust') / 'audit.sqlite'}")


@pytest.fixture(scope="module")
def bot(store, credit):
    return Assistant(credit, store=store)


def check_answered_and_stored(bot: Assistant, store: Store, question: str):
    """The oracle for every input: an answer text, one more stored turn holding it."""
    before = store.session(bot.session_id).turn_count
    answer = bot.ask(question)            # must not raise
    assert isinstance(answer.text, str) and answer.text.strip()
    answer.text.encode("utf-8")           # no lone surrogate can reach the wire
    assert answer.turn_id is not None
    turn = store.turn(answer.turn_id)
    assert store.session(bot.session_id).turn_count == before + 1
    assert turn.question == clean_text(question).replace(REPLACEMENT, REPLACEMENT)
    assert turn.answer == answer.text and turn.error == answer.error
    return answer, turn


# ---- the fuzz -----------------------------------------------------------------------------------

FEATURES = ["age", "credit_amount", "duration", "purpose", "sex", "housing", "id", "label", "prediction",
            "nonexistent", "`odd name`"]
hostile_numbers = st.one_of(
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.integers(min_value=300, max_value=500).map(lambda n: "9" * n),        # 300-500 digits
    st.sampled_from(["1e308", "-1e308", "1e39", "1e400", "inf", "nan", "-0", "0.0000001", "1e-400"]),
)
hostile_strings = st.text(min_size=0, max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False))
text_tokens = st.one_of(
    st.sampled_from(["filter", "whatif", "then", "and", "or", "not", "(", ")", "count", "predict",
                     "explain auto", "importance", "score accuracy", "statistic age", "show", "likelihood",
                     "increase", "decrease", "set", "==", "!=", ">", "<", ">=", "<=", "bias sex",
                     "dependence age", "mistakes typical", "repeat", "followup", "previous_filter"]),
    st.sampled_from(FEATURES), hostile_numbers, hostile_strings,
)
text_queries = st.one_of(
    st.lists(text_tokens, min_size=1, max_size=25).map(" ".join),
    st.tuples(st.integers(0, 900), st.sampled_from(FEATURES), hostile_numbers).map(
        lambda t: f"filter {'not ' * t[0]}{t[1]} > {t[2]} then count"),
    st.tuples(st.sampled_from(["increase", "decrease", "set"]), st.sampled_from(FEATURES), hostile_numbers).map(
        lambda t: f"whatif {t[1]} {t[0]} {t[2]} then predict"),
)

json_values = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**400, max_value=10**400),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10))
json_anything = st.recursive(json_values, lambda c: st.one_of(st.lists(c, max_size=3),
                                                               st.dictionaries(st.text(max_size=6), c, max_size=3)),
                             max_leaves=30)
conditions = st.recursive(
    st.fixed_dictionaries({"feature": st.sampled_from(FEATURES + ["x\ud800"]),
                           "cmp": st.sampled_from(["==", "!=", ">", "<", "~"]),
                           "value": json_values}),
    lambda c: st.one_of(st.fixed_dictionaries({"and": st.lists(c, min_size=0, max_size=3)}),
                        st.fixed_dictionaries({"or": st.lists(c, min_size=2, max_size=3)}),
                        st.fixed_dictionaries({"not": c})),
    max_leaves=60)
steps = st.one_of(
    st.fixed_dictionaries({"op": st.just("filter"), "where": conditions}),
    st.fixed_dictionaries({"op": st.just("whatif"), "feature": st.sampled_from(FEATURES),
                           "action": st.sampled_from(["set", "increase", "decrease", "explode"]),
                           "value": json_values}),
    st.fixed_dictionaries({"op": st.sampled_from(["count", "predict", "importance", "explain", "show",
                                                  "likelihood", "labels", "bogus", 7])}),
    json_anything,
)
json_queries = st.one_of(
    st.lists(steps, max_size=4).map(lambda s: json.dumps({"steps": s}, ensure_ascii=True)),
    json_anything.map(lambda v: json.dumps({"steps": v}, ensure_ascii=True)),
    st.integers(1, 400).map(lambda n: '{"steps": [' + "[" * n + "]" * n + "]}"),
)

nl_questions = st.one_of(
    st.text(max_size=80),
    st.tuples(st.sampled_from(["why was applicant {} denied?", "show applicant {}", "what if age were {}?",
                               "how many applicants have purpose = \"{}\"", "how accurate is the model for people over {}?",
                               "what would applicant {} need to change?", "is the model fair to {}?"]),
              st.one_of(hostile_numbers, st.text(max_size=15))).map(lambda t: t[0].format(t[1])),
)

FUZZ_SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])


@settings(max_examples=FUZZ_TEXT, **FUZZ_SETTINGS)
@given(question=text_queries)
def test_fuzz_text_form(bot, store, question):
    check_answered_and_stored(bot, store, question)


@settings(max_examples=FUZZ_JSON, **FUZZ_SETTINGS)
@given(question=json_queries)
def test_fuzz_json_form(bot, store, question):
    check_answered_and_stored(bot, store, question)


@settings(max_examples=FUZZ_NL, **FUZZ_SETTINGS)
@given(question=nl_questions)
def test_fuzz_natural_language(bot, store, question):
    check_answered_and_stored(bot, store, question)


# ---- the regression corpus (issue 9) ------------------------------------------------------------

def _nested_not(depth: int) -> str:
    """A JSON query whose condition is `depth` nots deep (built as text: json.dumps recurses)."""
    leaf = '{"feature": "age", "cmp": ">", "value": 30}'
    return ('{"steps": [{"op": "filter", "where": ' + '{"not": ' * depth + leaf + "}" * depth
            + '}, {"op": "count"}]}')


def _nested_not_dict(depth: int) -> dict:
    expr: dict = {"feature": "age", "cmp": ">", "value": 30}
    for _ in range(depth):
        expr = {"not": expr}
    return {"steps": [{"op": "filter", "where": expr}, {"op": "count"}]}


def _read_error(message: str) -> str:
    return f"I could not read that query: {message}"


def _use_error(message: str) -> str:
    return f"I could not use that question with this data: {message}."


DEEP = limits.ERR_TOO_DEEP.format(limit=limits.MAX_DEPTH)
CORPUS = [
    # (question, the exact answer text expected, or None where only "answered and stored" is asked)
    (_nested_not(300), _read_error(DEEP)),
    (_nested_not(500), assistant_mod.ERR_TOO_LONG.format(n=len(_nested_not(500)),
                                                         limit=assistant_mod.MAX_QUESTION_CHARS)),
    ("filter " + "not " * 900 + "age > 30 then count", _read_error(DEEP)),
    ("filter " + "not " * 3000 + "age > 30 then count",
     assistant_mod.ERR_TOO_LONG.format(n=len("filter " + "not " * 3000 + "age > 30 then count"),
                                       limit=assistant_mod.MAX_QUESTION_CHARS)),
    ("whatif age increase 1e308 then predict", _use_error(validate_mod.ERR_WHATIF_RANGE.format(
        feature="age", change="increased by 1e+308", extreme=1e308, limit=min(validate_mod.FLOAT32_MAX,
                                                                              validate_mod.INT64_MAX)))),
    ("whatif credit_amount set 1e39 then predict", _use_error(validate_mod.ERR_WHATIF_RANGE.format(
        feature="credit_amount", change="set to 1e+39", extreme=1e39,
        limit=min(validate_mod.FLOAT32_MAX, validate_mod.INT64_MAX)))),
    ("filter age > 1" + "0" * 400 + " then count", _read_error(limits.ERR_NUMBER_RANGE.format(
        where="condition on 'age'", value="with about 401 digits"))),
    ("whatif age set 1" + "0" * 400 + " then predict", _read_error(limits.ERR_NUMBER_RANGE.format(
        where="what-if on 'age'", value="with about 401 digits"))),
    ('{"steps": [{"op": "whatif", "feature": "age", "action": "set", "value": 1e999}, {"op": "predict"}]}',
     _read_error(limits.ERR_NOT_FINITE.format(where="what-if on 'age'"))),
    ('filter purpose == "car\tloan" then count', _read_error(limits.ERR_CONTROL.format(where="a string", codes="U+0009"))),
    ('filter purpose == "\\u0000" then count', _read_error(limits.ERR_CONTROL.format(
        where="condition on 'purpose'", codes="U+0000"))),
    ("count\x00", assistant_mod.ERR_CONTROL.format(codes="U+0000")),
    ('{"steps": [{"op": "filter", "where": {"feature": "purpose", "cmp": "==", "value": "\\ud800"}}, {"op": "count"}]}',
     None),
    ("why was applicant \ud800 denied?", None),
    ('how many applicants have purpose = "<img src=x>"', None),
    ("show applicant -5", None),
    ("how many applicants have purpose = \"x' OR 1=1 --\"", None),
    ("[" * 300 + "]" * 300, None),
]


@pytest.mark.parametrize("question, expected", CORPUS, ids=lambda v: repr(v)[:40] if isinstance(v, str) else None)
def test_regression_corpus(bot, store, question, expected):
    answer, turn = check_answered_and_stored(bot, store, question)
    if expected is not None:
        assert answer.text == expected
        assert turn.error  # a refused question is stored with its error
    if "\ud800" in question:
        assert REPLACEMENT in turn.question and "\ud800" not in turn.question


@pytest.mark.parametrize("depth", [41, 500, 2000])
def test_deep_queries_given_to_run_are_refused_and_stored(bot, store, depth):
    for query in (_nested_not(depth), _nested_not_dict(depth)):   # JSON text and a dict
        answer = bot.run(query)
        assert answer.text == f"I could not run that query: {DEEP}"
        assert store.turn(answer.turn_id).error == answer.text
    assert bot.run(_nested_not_dict(limits.MAX_DEPTH - 1)).error is None


def test_a_lone_surrogate_in_a_value_is_stored_replaced(bot, store):
    answer = bot.ask('{"steps": [{"op": "filter", "where": {"feature": "purpose", "cmp": "==", '
                     '"value": "car\\ud800"}}, {"op": "count"}]}')
    turn = store.turn(answer.turn_id)
    assert "car" + REPLACEMENT in turn.answer and "\ud800" not in turn.answer


def test_a_bug_becomes_an_answer_and_a_stored_turn(credit, store, monkeypatch):
    bot = Assistant(credit, store=store)

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("talk2model.engine.run_query", broken)
    answer = bot.ask("count")
    assert answer.text == assistant_mod.ERR_INTERNAL
    assert store.turn(answer.turn_id).error == "internal error: ZeroDivisionError: a bug"


# ---- the app ---------------------------------------------------------------------------------------

def _raw_ask(url: str, question: str, session_hash: str) -> dict:
    """/ask with the question sent as JSON with \\u escapes (how a lone surrogate arrives)."""
    import httpx

    config = httpx.get(url + "config").json()
    fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
    prefix = url.rstrip("/") + config.get("api_prefix", "/gradio_api")
    body = json.dumps({"data": [question, None], "fn_index": fn, "trigger_id": None,
                       "session_hash": session_hash, "event_data": None}, ensure_ascii=True)
    httpx.post(prefix + "/queue/join", content=body, headers={"Content-Type": "application/json"}).raise_for_status()
    with httpx.stream("GET", f"{prefix}/queue/data?session_hash={session_hash}", timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("no answer")


def test_a_lone_surrogate_does_not_break_the_app_session(tmp_path):
    from talk2model import ui
    from tests.test_app import free_port

    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    demo = ui.build_app("credit", store=store)
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        first = _raw_ask(url, "why was applicant \ud800 denied?", "surrogate1")
        second = _raw_ask(url, "filter age > 50 then count", "surrogate1")
    finally:
        demo.close()
    assert first["success"] and second["success"]
    answer = second["output"]["data"][-2]          # the answer JSON
    assert answer["turn_id"] is not None and "113 of the 1,000 applicants" in answer["text"]
    turns = store.turns(answer["session_id"])
    assert [t.question for t in turns] == ["why was applicant \ufffd denied?", "filter age > 50 then count"]


KILL_QUESTIONS = ["filter age > 50 then count", "statistic age", "filter id == 3 then predict",
                  "why was applicant 7 denied?", "filter housing == \"rent\" then likelihood"]


def test_kill_9_under_load_loses_no_delivered_answer(tmp_path):
    """Clients ask in a loop; the server is killed with SIGKILL mid-load. Every answer a client
    received is in the store afterwards, and SQLite's integrity check passes."""
    from gradio_client import Client

    from tests.test_app import free_port

    db = tmp_path / "audit.sqlite"
    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    server = subprocess.Popen([sys.executable, "-m", "talk2model.cli", "app", "--port", str(port),
                               "--db", f"sqlite:///{db}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env, start_new_session=True)
    delivered: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        deadline = time.time() + 180
        for line in server.stdout:
            if "ready in" in line:
                break
            assert time.time() < deadline and server.poll() is None, "the app did not start"
        url = f"http://127.0.0.1:{port}/"

        def client(k: int) -> None:
            try:
                c = Client(url, verbose=False)
                i = k
                while not stop.is_set():
                    question = KILL_QUESTIONS[i % len(KILL_QUESTIONS)]
                    _, _, _, answer, _ = c.predict(question, api_name="/ask")
                    with lock:
                        delivered.append((answer["turn_id"], question))
                    i += 1
            except Exception:  # the server died under it: expected
                pass

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        while len(delivered) < 25 and time.time() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)    # mid-load: clients are waiting on answers
        server.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert len(delivered) >= 25
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(conn.execute("SELECT id, question FROM turns").fetchall())
    assert all(turn_id is not None and stored.get(turn_id) == question for turn_id, question in delivered)
