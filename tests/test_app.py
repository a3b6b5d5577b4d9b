"""The chat app end to end through gradio_client: a real server on a free port, real sessions."""

from __future__ import annotations

import socket
from pathlib import Path

import matplotlib.image as mpimg
import pytest

gradio_client = pytest.importorskip("gradio_client")  # a test extra: always installed by `make test`
from gradio_client import Client  # noqa: E402

from talk2model import ui  # noqa: E402
from talk2model.assistant import Assistant  # noqa: E402
from talk2model.parser import Choice, Parse, get_parser  # noqa: E402
from talk2model.query.ast import Query  # noqa: E402
from talk2model.store.turns import Store  # noqa: E402

AMBIGUOUS = "how old are they?"
READINGS = [("the average age of applicants over 50", "filter age > 50 then statistic age"),
            ("how many applicants are over 50", "filter age > 50 then count")]


class ChoosyParser:
    """The workspace's own parser, plus one ambiguous question with two known readings."""

    def __init__(self, workspace):
        self.inner = get_parser(workspace)

    def parse(self, question, state=None):
        if question.strip() == AMBIGUOUS:
            return Parse(message="That could mean two things.",
                         choices=[Choice(label, Query.from_text(q)) for label, q in READINGS])
        return self.inner.parse(question, state)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launched_app(folder):
    """The credit app on a free port with a store in `folder`; yields (url, store)."""
    store = Store(f"sqlite:///{folder / 'audit.sqlite'}")
    demo = ui.build_app("credit", store=store,
                        assistant_factory=lambda ws: Assistant(ws, parser=ChoosyParser(ws)))
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield url, store
    finally:
        demo.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from launched_app(tmp_path_factory.mktemp("app"))


def client(url: str) -> Client:
    return Client(url, verbose=False, download_files=True)


def ask(c: Client, question: str) -> dict:
    _, chat, selection, answer, session = c.predict(question, api_name="/ask")
    return {"chat": chat, "selection": selection, "answer": answer, "session": session}


def texts(chat: list[dict], role: str = "assistant") -> list[str]:
    return [part["text"] for m in chat if m["role"] == role for part in m["content"] if part.get("type") == "text"]


def files(chat: list[dict]) -> list[str]:
    found = [part["file"] for m in chat for part in m["content"] if part.get("type") == "file"]
    return [f if isinstance(f, str) else f["path"] for f in found]  # the client hands back a local path


def test_answer_has_reading_table_and_plot(app, credit):
    url, store = app
    out = ask(client(url), "filter age > 60 then statistic target")
    (text,) = texts(out["chat"])
    assert text.startswith("I understood: ")
    over60 = credit.data[credit.data["age"] > 60]["risk"]
    good, bad = int((over60 == 1).sum()), int((over60 == 0).sum())
    assert f"{good}" in text and f"{bad}" in text and "|---|" in text  # sentence and table
    (png,) = files(out["chat"])
    image = mpimg.imread(png)
    assert image.shape[0] > 100 and image.shape[1] > 300
    assert out["answer"]["figures"] and out["answer"]["query"] == "filter age > 60 then statistic target"
    assert "age is above 60" in out["selection"] and f"({len(over60)} applicants)" in out["selection"]
    (turn,) = store.turns(out["answer"]["session_id"])
    assert turn.answer == text.split("\n\n|")[0] and turn.figures[0]["values"] == [good, bad]


def test_state_is_kept_within_a_session(app, credit):
    url, store = app
    c = client(url)
    first = ask(c, "filter age > 50 then count")
    second = ask(c, "previous_filter then statistic age")
    n = int((credit.data["age"] > 50).sum())
    assert f"{n} of the 1,000" in texts(first["chat"])[0]
    assert texts(second["chat"], "user") == ["filter age > 50 then count", "previous_filter then statistic age"]
    mean = credit.data.loc[credit.data["age"] > 50, "age"].mean()
    assert f"{mean:.2f}" in texts(second["chat"])[-1]          # "those people" were remembered
    assert second["answer"]["session_id"] == first["answer"]["session_id"]
    assert [t.seq for t in store.turns(first["answer"]["session_id"])] == [1, 2]


def test_two_sessions_never_see_each_other(app, credit):
    url, store = app
    a, b = client(url), client(url)
    out_a = ask(a, "filter age > 50 then count")
    out_b = ask(b, "count")
    assert "age is above 50" in out_a["selection"]
    assert out_b["selection"] == f"**Talking about:** all {len(credit.data):,} applicants"
    assert texts(out_b["chat"], "user") == ["count"]
    # b's "those people" has nobody to refer to, a's still does
    out_b2 = ask(b, "previous_filter then count")
    out_a2 = ask(a, "previous_filter then count")
    assert "no earlier selection" in texts(out_b2["chat"])[-1]
    assert f"{int((credit.data['age'] > 50).sum())} of the 1,000" in texts(out_a2["chat"])[-1]
    assert out_a["answer"]["session_id"] != out_b["answer"]["session_id"]
    assert [t.question for t in store.turns(out_b["answer"]["session_id"])] == ["count", "previous_filter then count"]


def test_clarifying_choice_runs_the_chosen_reading(app, credit):
    url, store = app
    c = client(url)
    out = ask(c, AMBIGUOUS)
    assert out["answer"]["choices"] == [label for label, _ in READINGS]
    chat, selection, answer, _ = c.predict(api_name="/choose_1")
    assert texts(chat, "user")[-1] == READINGS[1][0]
    assert answer["query"] == READINGS[1][1]
    assert f"{int((credit.data['age'] > 50).sum())} of the 1,000" in texts(chat)[-1]
    assert answer["choices"] == []
    turns = store.turns(answer["session_id"])
    assert [t.question for t in turns] == [AMBIGUOUS, READINGS[1][0]]
    assert [c["label"] for c in turns[0].choices] == [label for label, _ in READINGS]


def test_clear_selection(app, credit):
    url, _ = app
    c = client(url)
    assert "age is above 50" in ask(c, "filter age > 50 then count")["selection"]
    chat, selection, _, _ = c.predict(api_name="/clear_selection")
    assert selection == f"**Talking about:** all {len(credit.data):,} applicants"
    after = ask(c, "previous_filter then count")  # "those people" now refers to nobody
    assert "no earlier selection" in texts(after["chat"])[-1]


def test_feedback_and_transcript_download(app):
    url, store = app
    c = client(url)
    out = ask(c, "filter id == 12 then predict then likelihood")
    status, comment = c.predict("too terse", api_name="/feedback_down")
    assert status == ui.MSG_FEEDBACK.format(seq=1) and comment == ""
    (fb,) = store.feedback(session_id=out["answer"]["session_id"])
    assert (fb.turn_id, fb.rating, fb.comment) == (out["answer"]["turn_id"], -1, "too terse")
    md = Path(c.predict("md", api_name="/transcript")).read_text()
    assert "**Question:** filter id == 12 then predict then likelihood" in md
    assert md.count("data:image/png;base64,") == 1 and "“too terse”" in md
    page = Path(c.predict("html", api_name="/transcript")).read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<img ") == 1


def test_feedback_before_any_answer_is_refused(app):
    url, store = app
    before = len(store.sessions())
    c = client(url)
    with pytest.raises(Exception, match="Ask a question first"):
        c.predict("", api_name="/feedback_up")
    with pytest.raises(Exception, match="Ask a question first"):
        c.predict("md", api_name="/transcript")
    assert len(store.sessions()) == before  # no empty audit session was opened


def test_workspace_switch_and_examples(app, german):
    url, store = app
    c = client(url)
    chat, selection, answer, _, info, _, picker = c.predict("german", api_name="/workspace")
    assert chat == [] and german.schema.title in info
    assert picker["value"] == "german" and "Workspace in use: built-in **german**" in info
    assert selection == f"**Talking about:** all {len(german.data):,} {german.schema.entity_plural}"
    out = ask(c, "count")
    assert f"{len(german.data):,}" in texts(out["chat"])[-1]
    assert store.session(out["answer"]["session_id"]).workspace == "german"
    _, chat, _, answer, _ = c.predict(0, api_name="/example")
    assert answer["question"] == german.schema.examples[0]
    assert texts(chat, "user")[-1] == german.schema.examples[0]


def test_a_session_removes_its_files_when_it_ends(credit, tmp_path):
    options = ui.AppOptions(store=None, figure_dir=tmp_path)
    session = ui.ChatSession(credit, options)
    session.record("q", Assistant(credit).ask("filter id == 12 then predict then likelihood"))
    written = list(tmp_path.glob("*.png"))
    assert len(written) == 1 and session.messages[-1]["content"]["path"] == str(written[0])
    assert [m["role"] for m in session.messages] == ["user", "assistant", "assistant"]
    session.close()
    assert list(tmp_path.glob("*.png")) == []


def test_the_cli_starts_the_app(tmp_path):
    """`talk2model app` (the lead's CLI delegates to ui.main) serves the page and answers."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "talk2model.cli", "app", "--port", str(port),
                             "--db", f"sqlite:///{tmp_path / 'cli.sqlite'}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the app did not come up"
                time.sleep(0.1)
        out = ask(Client(f"http://127.0.0.1:{port}/", verbose=False), "count")
        assert texts(out["chat"])[0].startswith("I understood: ")
        assert Store(f"sqlite:///{tmp_path / 'cli.sqlite'}").session(out["answer"]["session_id"]).turn_count == 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.parametrize("name", ["credit", "german"])
def test_the_page_preview_matches_the_loaded_workspace(name):
    from talk2model.workspace import load_workspace

    ws = load_workspace(name)
    preview = ui.workspace_preview(name)
    assert preview["markdown"].startswith(f"### {ws.schema.title}")
    assert preview["entity_plural"] == ws.schema.entity_plural
    assert preview["examples"] == [[e] for e in ws.schema.examples]


def test_the_preview_reads_the_file_as_loading_does(tmp_path):
    """One TOML reader (workspace.read_workspace_file): a typo the loader refuses, the preview
    refuses too, with the same message; a good copy previews with its own title."""
    from talk2model.errors import WorkspaceError
    from talk2model.workspace import builtin_workspaces, load_workspace

    text = builtin_workspaces()["credit"].read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("\nimmutable =", "\nimmutible =", 1))
    with pytest.raises(WorkspaceError) as loading:
        load_workspace(bad, cache=False)
    with pytest.raises(WorkspaceError) as previewing:
        ui.workspace_preview(str(bad))
    assert str(previewing.value) == str(loading.value) and "immutible" in str(loading.value)
    good = tmp_path / "good.toml"
    good.write_text(text.replace('title = "', 'title = "Copied: ', 1))
    assert ui.workspace_preview(str(good))["markdown"].startswith("### Copied: ")


def test_an_unknown_workspace_is_refused_at_start():
    from talk2model.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="built-in workspaces: .*credit"):
        ui.build_app("no-such-workspace", use_store=False)


def test_english_questions_with_the_real_parser(tmp_path, credit):
    """The app as shipped (the workspace's own parser): plain English in, the pandas count out;
    a vague question gets clarifying choices, and choosing one answers it."""
    store = Store(f"sqlite:///{tmp_path / 'nl.sqlite'}")
    demo = ui.build_app("credit", store=store)
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        c = client(url)
        # a question the parser itself is unsure about at the start of a conversation (found by
        # asking it first, outside the app): the app must offer its readings as choices
        from talk2model import Assistant

        candidates = ["older", "what about age", "and women?", "how old are they", "age?"]
        unsure = [question for question in candidates if Assistant(credit).ask(question).choices]
        assert unsure, "the parser was sure about every vague question"
        vague = ask(c, unsure[0])
        labels = vague["answer"]["choices"]
        assert labels, f"no readings offered for a vague question: {vague['answer']['text']!r}"
        chat, _, answer, _ = c.predict(api_name="/choose_0")
        assert texts(chat, "user")[-1] == labels[0] and answer["question"] == labels[0]
        assert answer["text"].startswith("I understood: ") and answer["error"] is None
        assert [t.question for t in store.turns(answer["session_id"])][-1] == labels[0]
        out = ask(c, "How many applicants are older than 50?")
        assert out["answer"]["query"] == "filter age > 50 then count"
        assert f"{int((credit.data['age'] > 50).sum())} of the 1,000" in texts(out["chat"])[-1]
    finally:
        demo.close()
