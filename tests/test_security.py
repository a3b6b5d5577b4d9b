"""Security: crafted model files run no code, trust settings mean what they say, uploads are
never trusted and are limited, sign-in records who asked, and what people type is echoed as text.

Every crafted file is first shown to be armed (loading it the naive way, as skops or pickle
would, creates the marker file); then talk2model must refuse it and the marker must not appear.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from talk2model import ui
from talk2model.assistant import Assistant
from talk2model.errors import WorkspaceError
from talk2model.sanitize import escape_markup
from talk2model.store.turns import Store
from talk2model.workspace import load_workspace, upload
from talk2model.workspace import model as model_mod
from talk2model.workspace import skops_check
from talk2model.workspace.data import ERR_NOT_CSV
from talk2model.workspace.torch_model import ERR_TORCH_FILE
from tests.test_browser import browser  # noqa: F401  (the shared chromium fixture)

FEATURES = ["age", "credit_amount", "duration"]


# ---- crafted files ----------------------------------------------------------------------------

def _json(value):
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True}


def _tuple(*items):
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "content": list(items)}


def _list(*items):
    return {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": list(items)}


def _empty_dict():
    return {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "content": {},
            "key_types": _list()}


def _calls(module: str, name: str, args: dict) -> dict:
    """A node skops builds by calling `module.name(*args)` (its loss-function loader)."""
    return {"__class__": name, "__module__": module, "__loader__": "LossNode", "content": _empty_dict(),
            "__reduce__": {"args": args}}


def _write_skops(path: Path, root: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(dict(root, protocol=2, _skops_version="0.16.0")))
    return path


def crafted_skops(folder: Path, marker: Path) -> dict[str, Path]:
    code = f"open({str(marker)!r}, 'w').write('ran')"
    return {
        "exec": _write_skops(folder / "exec.skops", _calls("builtins", "exec", _tuple(_json(code)))),
        "eval": _write_skops(folder / "eval.skops", _calls("builtins", "eval", _tuple(_json(code)))),
        "os.system": _write_skops(folder / "system.skops",
                                  _calls("os", "system", _tuple(_json(f"touch '{marker}'")))),
        "subprocess": _write_skops(folder / "subprocess.skops", _calls(
            "subprocess", "call", _tuple(_list(_json("touch"), _json(str(marker)))))),
        "exec, constructed": _write_skops(folder / "construct.skops", {
            "__class__": "exec", "__module__": "builtins", "__loader__": "ConstructorFromReduceNode",
            "content": _tuple(_json(code))}),
    }


class Payload:
    """A pickle that runs `os.system(touch MARKER)` when loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "MARKER"
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def small(credit):
    frame = credit.data[FEATURES + ["risk"]].reset_index(drop=True)
    return frame, LogisticRegression(max_iter=2000).fit(frame[FEATURES], frame["risk"])


def _toml(folder: Path, model_path: Path, extra: str = "") -> Path:
    data = folder / "data.csv"
    if not data.exists():
        load_workspace("credit").data[FEATURES + ["risk"]].to_csv(data, index=False)
    path = folder / f"ws-{model_path.stem}.toml"
    path.write_text(f'name = "t"\n[data]\npath = "{data}"\n[model]\npath = "{model_path}"\n{extra}\n'
                    f'[schema]\ntarget = "risk"\n')
    return path


# ---- .skops files that call code ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["exec", "eval", "os.system", "subprocess", "exec, constructed"])
def test_crafted_skops_files_are_armed_and_refused_everywhere(kind, tmp_path, marker):
    path = crafted_skops(tmp_path, marker)[kind]
    # armed: trusting what skops reports (what the old prefix check amounted to) runs the payload
    try:
        sio.load(path, trusted=sio.get_untrusted_types(file=path))
    except Exception:  # the payload has run by then; what it returns is not a model
        pass
    assert marker.exists(), "the crafted file should be a real exploit"
    marker.unlink()

    types, calls = skops_check.file_types(path)
    named = sorted(skops_check.untrusted(types))
    # the Python API, a workspace file, and an upload all refuse it before anything is built
    with pytest.raises(WorkspaceError) as err:
        model_mod.load_estimator(path)
    if calls:
        assert str(err.value) == model_mod.ERR_SKOPS_CALLS.format(path=path.name, calls=", ".join(sorted(calls)))
    else:
        assert str(err.value) == model_mod.ERR_SKOPS_TYPES.format(
            path=path.name, types=", ".join(named), quoted=", ".join(f'"{t}"' for t in named))
        assert "trusted_types" in str(err.value)  # the setting that would allow them
    with pytest.raises(WorkspaceError):
        load_workspace(_toml(tmp_path, path), cache=False)
    with pytest.raises(WorkspaceError) as err:
        upload.load_upload_model(str(path))
    assert str(err.value) == upload.ERR_SKOPS_TYPES.format(name=path.name, types=", ".join(sorted(calls) or named))
    assert not marker.exists()


def test_trusted_types_never_cover_a_prefix(tmp_path, marker):
    path = crafted_skops(tmp_path, marker)["exec"]
    toml = _toml(tmp_path, path, 'trusted_types = ["builtins."]')
    with pytest.raises(WorkspaceError) as err:
        load_workspace(toml, cache=False)
    assert str(err.value) == model_mod.ERR_TRUSTED_TYPES.format(value=["builtins."])
    assert not marker.exists()


def test_the_allow_list_is_exact_names_of_types_and_numeric_functions():
    import importlib

    allowed = skops_check.allowed_types()
    assert len(allowed) > 300
    dangerous = {"builtins.exec", "builtins.eval", "builtins.compile", "builtins.open", "builtins.getattr",
                 "builtins.__import__", "builtins.map", "os.system", "posix.system", "subprocess.Popen",
                 "subprocess.call", "functools.partial", "operator.attrgetter"}
    assert not allowed & dangerous
    resolved = 0
    for name in allowed:
        module, _, attr = name.rpartition(".")
        assert module and attr and "*" not in name and not name.endswith(".")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):  # a type of another library version cannot load anyway
            continue
        resolved += 1
        assert isinstance(obj, type) or isinstance(obj, np.ufunc) or type(obj).__name__.endswith("ufunc"), name
    assert resolved > 0.9 * len(allowed)


def test_the_demo_models_need_nothing_beyond_the_allow_list():
    from talk2model.paths import resource_dir

    for name in ("credit", "german", "compas", "diabetes", "adult"):
        types, calls = skops_check.file_types(resource_dir("models") / f"{name}.skops")
        assert types and not calls and skops_check.untrusted(types) == []


def test_a_tree_with_out_of_range_nodes_is_refused(tmp_path, small):
    frame, _ = small
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame[FEATURES], frame["risk"])
    state = tree.tree_.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = 10**6          # scikit-learn would follow this without a bounds check
    state["nodes"] = nodes
    tree.tree_.__setstate__(state)
    path = tmp_path / "tree.skops"
    sio.dump(tree, path)
    with pytest.raises(WorkspaceError) as err:
        model_mod.load_estimator(path)
    assert str(err.value) == skops_check.ERR_TREE.format(name="tree.skops", why="a child index points outside the tree")
    good = DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame[FEATURES], frame["risk"])
    sio.dump(good, tmp_path / "good.skops")
    loaded = model_mod.load_estimator(tmp_path / "good.skops")
    np.testing.assert_array_equal(loaded.predict(frame[FEATURES]), good.predict(frame[FEATURES]))


# ---- pickles under every extension ------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".skops", ".joblib", ".pkl", ".pickle", ".pt", ".pth", ".bin"])
def test_reduce_pickles_run_nothing_under_any_extension(suffix, tmp_path, marker):
    import torch

    path = tmp_path / f"model{suffix}"
    if suffix in (".pt", ".pth"):
        torch.save({"format": "talk2model-mlp/1", "payload": Payload(marker)}, path)
        torch.load(path, weights_only=False)           # armed: a plain torch.load runs it
    else:
        path.write_bytes(pickle.dumps(Payload(marker)))
        pickle.loads(path.read_bytes())                 # armed: a plain pickle.load runs it
    assert marker.exists()
    marker.unlink()

    with pytest.raises(WorkspaceError) as err:
        model_mod.load_estimator(path)
    if suffix == ".skops":
        assert str(err.value) == skops_check.ERR_NOT_SKOPS.format(name=path.name, why="it is not a zip archive")
    elif suffix in (".pt", ".pth"):
        assert str(err.value).startswith(ERR_TORCH_FILE.format(path=path.name, why="")[:-1])
    elif suffix == ".bin":
        assert str(err.value) == model_mod.ERR_FORMAT.format(suffix=".bin")
    else:
        assert str(err.value) == model_mod.ERR_UNTRUSTED.format(
            path=path.name, fmt="joblib" if suffix == ".joblib" else "pickle")
    with pytest.raises(WorkspaceError):
        upload.load_upload_model(str(path))
    with pytest.raises(WorkspaceError):
        load_workspace(_toml(tmp_path, path), cache=False)
    assert not marker.exists()


def test_a_talk2model_pt_upload_loads_with_weights_only(tmp_path):
    """The one PyTorch format an upload takes: tensors and plain data (torch weights_only)."""
    ws = load_workspace("diabetes-mlp")
    csv = tmp_path / "patients.csv"
    ws.data.reset_index(drop=True).to_csv(csv, index=False)
    from talk2model.paths import resource_dir

    model = resource_dir("models") / "diabetes-mlp.pt"
    uploaded = upload.workspace_from_upload(str(csv), str(model), ws.schema.target, None, "")
    np.testing.assert_array_equal(uploaded.predictions().to_numpy(), ws.predictions().to_numpy())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_pickle_named_as_a_table_is_refused(suffix, tmp_path, marker):
    path = tmp_path / f"data{suffix}"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(WorkspaceError) as err:
        upload.read_upload_frame(str(path))
    if suffix == ".csv":
        assert ERR_NOT_CSV.format(name=path.name, why="it holds binary data (NUL bytes)") in str(err.value)
    assert not marker.exists()


# ---- trust settings ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ['"false"', '"true"', "1", "0", '"no"'])
def test_trusted_must_be_a_toml_boolean(value, tmp_path, small, marker):
    path = tmp_path / "model.joblib"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(WorkspaceError) as err:
        load_workspace(_toml(tmp_path, path, f"trusted = {value}"), cache=False)
    assert str(err.value) == model_mod.ERR_TRUSTED.format(value=json.loads(value))
    assert not marker.exists()


def test_trusted_true_loads_a_joblib_model_the_operator_vouches_for(tmp_path, small):
    import joblib

    frame, model = small
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    with pytest.raises(WorkspaceError):
        load_workspace(_toml(tmp_path, path, "trusted = false"), cache=False)
    ws = load_workspace(_toml(tmp_path, path, "trusted = true"), cache=False)
    np.testing.assert_array_equal(ws.predictions().to_numpy(), model.predict(frame[FEATURES]))


def test_trusted_types_admit_exactly_the_types_named(tmp_path):
    from collections import Counter

    path = tmp_path / "counter.skops"
    sio.dump({"counts": Counter(a=2, b=1)}, path)
    with pytest.raises(WorkspaceError) as err:
        model_mod.load_estimator(path)
    assert str(err.value) == model_mod.ERR_SKOPS_TYPES.format(
        path=path.name, types="collections.Counter", quoted='"collections.Counter"')
    with pytest.raises(WorkspaceError):
        model_mod.load_estimator(path, trusted_types=("collections.OrderedDict",))
    loaded = model_mod.load_estimator(path, trusted_types=("collections.Counter",))
    assert loaded == {"counts": Counter(a=2, b=1)}


# ---- the command line gives sentences, not tracebacks -----------------------------------------

def _cli(*args):
    env = dict(os.environ, TALK2MODEL_DB="sqlite://")
    return subprocess.run([sys.executable, "-m", "talk2model.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_explains_a_pickle_named_skops_and_a_binary_named_csv(tmp_path, marker):
    fake_model = tmp_path / "model.skops"
    fake_model.write_bytes(pickle.dumps(Payload(marker)))
    proc = _cli("ask", "-w", str(_toml(tmp_path, fake_model)), "count")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "talk2model: " + skops_check.ERR_NOT_SKOPS.format(
        name="model.skops", why="it is not a zip archive")

    real_model = tmp_path / "real.skops"
    frame = load_workspace("credit").data[FEATURES + ["risk"]]
    sio.dump(LogisticRegression(max_iter=2000).fit(frame[FEATURES], frame["risk"]), real_model)
    toml = _toml(tmp_path, real_model)
    fake_csv = tmp_path / "data.csv"
    fake_csv.write_bytes(pickle.dumps(Payload(marker)))
    proc = _cli("ask", "-w", str(toml), "count")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "talk2model: " + ERR_NOT_CSV.format(
        name="data.csv", why="it holds binary data (NUL bytes)")
    assert not marker.exists()


# ---- uploads -------------------------------------------------------------------------------------

def test_upload_limits_say_which_limit_and_which_setting(tmp_path, small):
    frame, model = small
    csv = tmp_path / "loans.csv"
    frame.to_csv(csv, index=False)
    parquet = tmp_path / "loans.parquet"
    frame.to_parquet(parquet, index=False)
    tight = upload.UploadLimits(max_bytes=1024, max_rows=10_000)
    with pytest.raises(WorkspaceError) as err:
        upload.read_upload_frame(str(csv), tight)
    assert str(err.value) == upload.ERR_TOO_BIG.format(name="loans.csv", size=csv.stat().st_size / 2**20,
                                                       limit=1024 / 2**20, env=upload.ENV_MAX_UPLOAD_MB)
    few_rows = upload.UploadLimits(max_rows=len(frame) - 1)
    for path in (csv, parquet):
        with pytest.raises(WorkspaceError) as err:
            upload.read_upload_frame(str(path), few_rows)
        assert str(err.value) == upload.ERR_TOO_MANY_ROWS.format(name=path.name, limit=len(frame) - 1,
                                                                 env=upload.ENV_MAX_ROWS)
    exact = upload.read_upload_frame(str(csv), upload.UploadLimits(max_rows=len(frame)))
    pd.testing.assert_frame_equal(exact.reset_index(drop=True), frame)


def test_upload_settings_come_from_arguments_then_environment(monkeypatch):
    monkeypatch.setenv(upload.ENV_MAX_UPLOAD_MB, "3")
    monkeypatch.setenv(upload.ENV_MAX_ROWS, "77")
    assert upload.UploadLimits.from_settings() == upload.UploadLimits(max_bytes=3 * 2**20, max_rows=77)
    assert upload.UploadLimits.from_settings(5, 9) == upload.UploadLimits(max_bytes=5 * 2**20, max_rows=9)
    monkeypatch.delenv(upload.ENV_MAX_UPLOAD_MB)
    monkeypatch.delenv(upload.ENV_MAX_ROWS)
    assert upload.UploadLimits.from_settings() == upload.UploadLimits(
        max_bytes=upload.DEFAULT_MAX_UPLOAD_MB * 2**20, max_rows=upload.DEFAULT_MAX_ROWS)


EMPTY_TABLE = {"headers": upload.SCHEMA_HEADERS, "data": [], "metadata": None}


def _launch(tmp_path, **kwargs):
    from tests.test_app import free_port

    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    launch_kwargs = {k: kwargs.pop(k) for k in ("auth_file", "auth_header") if k in kwargs}
    demo = ui.build_app("credit", store=store, **kwargs)
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True, **launch_kwargs)
    return demo, url, store


def test_the_app_refuses_crafted_and_oversized_uploads(tmp_path, small, marker):
    from gradio_client import Client, handle_file

    frame, _ = small
    csv = tmp_path / "loans.csv"
    frame.to_csv(csv, index=False)
    crafted = crafted_skops(tmp_path, marker)["exec"]
    demo, url, _ = _launch(tmp_path, limits=upload.UploadLimits(max_bytes=200_000, max_rows=len(frame) - 1))
    try:
        c = Client(url, verbose=False)
        _, status = c.predict(handle_file(str(csv)), api_name="/byo_inspect")
        assert status == escape_markup(upload.ERR_TOO_MANY_ROWS.format(
            name="loans.csv", limit=len(frame) - 1, env=upload.ENV_MAX_ROWS))
        big = tmp_path / "big.csv"
        big.write_text("a,b\n" + "1,2\n" * 60_000)   # over the 200 kB limit Gradio enforces on upload
        with pytest.raises(Exception, match="(?i)size|large|413"):
            c.predict(handle_file(str(big)), api_name="/byo_inspect")
        small_csv = tmp_path / "few.csv"
        frame.iloc[:50].to_csv(small_csv, index=False)
        target, _ = c.predict(handle_file(str(small_csv)), api_name="/byo_inspect")
        assert target["value"] == "risk"
        with pytest.raises(Exception) as err:
            c.predict(handle_file(str(small_csv)), handle_file(str(crafted)), "risk", "x", "row", EMPTY_TABLE, "",
                      api_name="/byo_use")
        assert "allow-list" in str(err.value)
    finally:
        demo.close()
    assert not marker.exists()


def test_upload_can_be_turned_off(tmp_path, small):
    from gradio_client import Client, handle_file

    frame, model = small
    csv, model_path = tmp_path / "loans.csv", tmp_path / "model.skops"
    frame.to_csv(csv, index=False)
    sio.dump(model, model_path)
    demo, url, _ = _launch(tmp_path, upload=False)
    try:
        c = Client(url, verbose=False)
        _, status = c.predict(handle_file(str(csv)), api_name="/byo_inspect")
        assert status == ui.ERR_UPLOAD_OFF
        with pytest.raises(Exception, match="turned off"):
            c.predict(handle_file(str(csv)), handle_file(str(model_path)), None, "x", "row", EMPTY_TABLE, "",
                      api_name="/byo_use")
    finally:
        demo.close()


# ---- who is asking ------------------------------------------------------------------------------

def test_sign_in_with_a_password_file_records_the_user(tmp_path):
    from gradio_client import Client

    from talk2model import auth
    from talk2model.store.transcript import Transcript, render_html, render_markdown

    users = tmp_path / "users"
    auth.set_password(users, "alice", "correct horse")
    assert auth.password_checker(users)("alice", "correct horse")
    assert not auth.password_checker(users)("alice", "wrong horse")
    assert not auth.password_checker(users)("mallory", "correct horse")
    assert "correct horse" not in users.read_text()
    demo, url, store = _launch(tmp_path, auth_file=str(users))
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False)                     # no credentials: no app
        with pytest.raises(Exception):
            Client(url, verbose=False, auth=("alice", "wrong horse"))
        c = Client(url, verbose=False, auth=("alice", "correct horse"))
        _, _, _, answer, _ = c.predict("filter age > 50 then count", api_name="/ask")
    finally:
        demo.close()
    turn = store.turn(answer["turn_id"])
    assert turn.user_name == "alice" and store.session(answer["session_id"]).user_name == "alice"
    assert "**Asked by:** alice" in render_markdown(Transcript.of(store, answer["session_id"]))
    assert "Asked by: alice" in render_html(Transcript.of(store, answer["session_id"]))


def test_sign_in_by_a_proxy_header(tmp_path):
    import httpx
    from gradio_client import Client

    demo, url, store = _launch(tmp_path, auth_header="X-Forwarded-User")
    try:
        assert httpx.get(url.rstrip("/") + "/config").status_code == 401
        c = Client(url, verbose=False, headers={"X-Forwarded-User": "bob"})
        _, _, _, answer, _ = c.predict("count", api_name="/ask")
    finally:
        demo.close()
    assert store.turn(answer["turn_id"]).user_name == "bob"


def test_sign_in_is_off_by_default_on_loopback_and_required_elsewhere(capsys):
    assert ui.main(["--host", "0.0.0.0", "--port", "1"]) == 2
    assert capsys.readouterr().err.strip() == ui.ERR_OPEN_HOST.format(host="0.0.0.0")
    assert ui.main(["--allow-pickle"]) == 2
    assert capsys.readouterr().err.strip() == ui.ERR_ALLOW_PICKLE


def test_a_bad_password_file_stops_the_app_with_a_sentence(tmp_path, capsys):
    from talk2model import auth

    bad = tmp_path / "users"
    bad.write_text("alice:plaintext-password\n")
    assert ui.main(["--auth-file", str(bad), "--port", "1"]) == 2
    assert capsys.readouterr().err.strip() == "talk2model app: " + auth.ERR_LINE.format(path=bad, line=1)


# ---- what people typed is echoed as text ------------------------------------------------------

HTML_VALUE = "<img src=x onerror=alert(1)>"
HTML_QUESTION = f'filter purpose == "{HTML_VALUE}" then count'


def test_html_in_a_question_is_escaped_in_the_chat_and_kept(credit):
    answer = Assistant(credit).ask(HTML_QUESTION)
    assert HTML_VALUE in answer.text               # the answer names the value it could not find
    shown = ui.answer_markdown(answer, credit.schema)
    assert "<img" not in shown and escape_markup(HTML_VALUE) in shown


def test_html_echo_through_the_app(tmp_path):
    from gradio_client import Client

    from tests.test_app import texts

    demo, url, _ = _launch(tmp_path)
    try:
        _, chat, _, answer, _ = Client(url, verbose=False).predict(HTML_QUESTION, api_name="/ask")
    finally:
        demo.close()
    assert texts(chat, "user") == [escape_markup(HTML_QUESTION)]
    bot = texts(chat)[-1]
    assert "<img" not in bot and escape_markup(HTML_VALUE) in bot
    assert HTML_VALUE in answer["text"]           # the data (JSON) keeps the value as typed


@pytest.mark.browser
def test_html_echo_shows_as_text_in_a_real_browser(browser, tmp_path):
    from tests.test_browser import TIMEOUT_MS, _ask

    demo, url, _ = _launch(tmp_path)
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(url)
        page.locator("#question textarea").wait_for()
        _ask(page, HTML_QUESTION)
        page.locator("#chat").get_by_text("has no value").first.wait_for()
        chat_text = page.locator("#chat").inner_text()
        assert chat_text.count(HTML_VALUE) >= 2        # the question and the answer show it as typed
        assert page.locator("#chat img[src='x']").count() == 0
    finally:
        page.close()
        demo.close()
