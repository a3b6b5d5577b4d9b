"""The Gradio 6 chat app: a thin layer over `Assistant`, one Assistant per browser session.

    talk2model app [--host 127.0.0.1] [--port 7860] [-w credit] [--db URL] [--auth-file FILE |
                   --auth-header NAME] [--no-upload] [--max-upload-mb 20] [--max-rows N] [--time-budget 30]

    demo = build_app("credit")              # gr.Blocks; the Python API tests drive
    launch(demo, port=7860)                 # theme and css go to launch() in Gradio 6

Per-session state lives in a `gr.State` holding a `ChatSession` (its own Assistant, chat
history, pending clarifying choices and audit-trail session id); Gradio drops it when the tab
closes. Nothing created outside a handler is mutable: the built-in workspaces are read-only and
shared, the Store is thread-safe. Every answered turn goes to the Store in one transaction, and
every session's explanations are cached in the Store's database (`AppOptions.new_assistant`).
This module only wires widgets: an upload becomes a workspace in talk2model.workspace.upload, and
the page's preview of a workspace file comes from talk2model.workspace.workspace_summary.

Many people at once: answers are computed on a worker pool sized to the machine, each question
has a time budget (`--time-budget`, default 30 s) after which the person gets a clear answer,
Gradio's concurrency limit matches the pool, and uploads are limited in size and rows. Sign-in
is optional (`--auth-file`, `--auth-header`; see talk2model.auth); the user name is recorded
with every turn. Everything a person typed is escaped where the chat shows it.

Endpoints (explicit api_name, usable from gradio_client): /ask, /choose_0../choose_3,
/clear_selection, /workspace, /example, /feedback_up, /feedback_down, /transcript,
/byo_inspect, /byo_schema, /byo_use, /image_ask (your own PNG, in an image workspace).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from talk2model.assistant import AI_NOTICE, Answer, Assistant  # noqa: E402
from talk2model.errors import Talk2ModelError, WorkspaceError  # noqa: E402
from talk2model.ops.speech import check_sentences  # noqa: E402
from talk2model.sanitize import clean_text, escape_markup  # noqa: E402
from talk2model.store.turns import Store, table_json  # noqa: E402
from talk2model.verbalize.tables import (MAX_NAMED_COLUMNS, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS,  # noqa: E402,F401
                                         MSG_COLUMNS_CUT, MSG_ROWS_CUT, markdown_table)
from talk2model.workspace import Workspace, builtin_workspaces, load_workspace, workspace_summary  # noqa: E402
from talk2model.workspace.upload import (DATA_SUFFIXES, MODEL_SUFFIXES, SCHEMA_HEADERS,  # noqa: E402
                                         UploadLimits, inspect_upload, upload_schema,
                                         workspace_from_upload)

log = logging.getLogger("talk2model.ui")

MAX_CHOICES = 4

# User-facing texts (tests assert them). Upload errors live in talk2model.workspace.upload.
ERR_NO_STORE = "The audit store is off, so there is no transcript to download."
ERR_NO_TURNS = "Ask a question first: the transcript is empty."
ERR_NO_ANSWER = "Ask a question first, then rate the answer."
ERR_UPLOAD_OFF = "Uploading models is turned off on this server; choose one of the workspaces instead."
ERR_TIME_BUDGET = ("That question needed more than {budget:g} seconds, so I stopped waiting for it. "
                   "Ask about fewer rows (for example a narrower group, or one person), or try again later.")
ERR_BUSY = ("I am still working on your previous question, which has taken more than {budget:g} "
            "seconds. Ask again in a moment.")
ERR_ALLOW_PICKLE = ("talk2model app: --allow-pickle is gone: uploads never load pickle or joblib files, "
                    "because loading one runs code from it. Put a model you trust in a workspace file "
                    "(trusted = true under [model]) and start the app with -w that_file.toml.")
ERR_OPEN_HOST = ("talk2model app: refusing to listen on {host} without sign-in. Anyone who can reach "
                 "the port could use the app. Give --auth-file FILE (see `talk2model passwd`), or "
                 "--auth-header NAME behind an authenticating proxy, or --no-auth if you mean it.")
ERR_NOT_IMAGES = "Your own image can be asked about in an image workspace: choose digits first."
ERR_NO_IMAGE = "Upload a PNG image first."
MSG_IMAGE_QUESTION = "Why does the model see what it sees in my image (image {id})?"
MSG_FEEDBACK = "Thanks, your feedback on turn {seq} was saved."
MSG_CLEARED = "Selection cleared: questions are about all {n:,} {entities} again."
MSG_UPLOAD_READ = "{rows:,} rows and {columns} columns. Choose the target column, then check the schema."
MSG_UPLOAD_SCHEMA = ("{rows:,} rows and {columns} columns; target **{target}**. Check the inferred schema: "
                     "edit types, tick sensitive / immutable features, name the classes, then use the workspace.")
UPLOAD_PREFIX = "uploaded: "   # how the workspace picker names an uploaded workspace

CSS = """
#ai-notice { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px; padding: 4px 12px; }
#selection { font-size: 0.95rem; }
#choices button { white-space: normal; }
footer { display: none !important; }
/* chat tables: scroll sideways instead of breaking words ("femal e"); numbers right-aligned */
#chat table { display: block; overflow-x: auto; max-width: 100%; font-size: 0.9em; }
#chat th, #chat td { word-break: normal !important; overflow-wrap: normal !important;
                     hyphens: none; padding: 4px 10px !important; }
#chat td { white-space: nowrap; }
#chat td[align="right"], #chat th[align="right"] { text-align: right; }
"""


# ---- per-session state --------------------------------------------------------------------------

DEFAULT_TIME_BUDGET = 30.0   # seconds one question may take before the person gets an answer
ENV_TIME_BUDGET = "TALK2MODEL_TIME_BUDGET"
ENV_UPLOAD = "TALK2MODEL_UPLOAD"   # "off" turns uploads off


def default_workers() -> int:
    """Worker threads for answers: several per core, so a light question never queues behind
    heavy ones for a free thread (the heavy ones are bounded by sampling and the time budget)."""
    return max(4, 4 * (os.cpu_count() or 1))


@dataclass
class AppOptions:
    workspace: str = "credit"
    store: Store | None = None
    assistant_factory: Callable[[Workspace], Assistant] = Assistant
    figure_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="talk2model-app-")))
    upload: bool = True                        # the operator can turn uploads off
    limits: UploadLimits = field(default_factory=UploadLimits.from_settings)
    time_budget: float = DEFAULT_TIME_BUDGET
    workers: int = field(default_factory=default_workers)
    pool: ThreadPoolExecutor | None = None     # made by build_app, shared by every session

    @property
    def cache(self):
        """Where every session's explanations are cached: the audit store's database (`--db`);
        none when the store is off."""
        return self.store.attribution_cache if self.store is not None else None

    def new_assistant(self, workspace: Workspace, user: str | None = None) -> Assistant:
        """A session's Assistant: from the factory, told who asks and given the app's cache
        (unless the factory gave it one of its own)."""
        assistant = self.assistant_factory(workspace)
        assistant.user = user
        if assistant.cache is None:
            assistant.cache = self.cache
        return assistant


class ChatSession:
    """One browser session: its own Assistant, chat history and audit-trail session.

    `label` is what the workspace picker shows for the workspace in use: a built-in's name, or
    "uploaded: loans.csv". `uploads` keeps this browser session's uploaded workspaces by label,
    so picking one again after a built-in switches back to it.
    """

    def __init__(self, workspace: Workspace, options: AppOptions, *, label: str | None = None,
                 uploads: dict[str, Workspace] | None = None, user: str | None = None) -> None:
        self.options = options
        self.label = label or workspace.name
        self.uploads: dict[str, Workspace] = dict(uploads or {})
        self.user = user                            # the signed-in user, recorded with every turn
        self.assistant = options.new_assistant(workspace, user)
        self.busy = threading.Lock()                # held while one of this session's answers runs
        self.messages: list[dict] = []
        self.message_turn: list[int | None] = []    # turn id behind each chat message
        self.turn_ids: list[int] = []
        self.choices: list[Any] = []                # pending clarifying readings (parser.Choice)
        self.last_answer: Answer | None = None
        self.last_turn_id: int | None = None
        self.files: list[Path] = []                 # figures and transcripts written for this session
        self.session_id = (options.store.new_session(workspace, user=user)
                           if options.store is not None else None)

    @property
    def workspace(self) -> Workspace:
        return self.assistant.workspace

    def _add(self, role: str, content: Any, turn_id: int | None) -> None:
        self.messages.append({"role": role, "content": content})
        self.message_turn.append(turn_id)

    def record(self, question_shown: str, answer: Answer) -> None:
        turn_id = None
        store = self.options.store
        if store is not None:
            try:
                turn_id = store.record_turn(self.session_id, self.workspace, answer, user=self.user)
                self.turn_ids.append(turn_id)
            except Exception as exc:  # the answer still reaches the person; the operator sees why
                log.exception("could not store turn")
                gr.Warning(f"This answer could not be saved to the audit trail ({type(exc).__name__}).")
        self.last_answer, self.last_turn_id = answer, turn_id
        self.choices = list(answer.choices)[:MAX_CHOICES]
        self._add("user", escape_markup(question_shown), None)
        self._add("assistant", answer_markdown(answer, self.workspace.schema), turn_id)
        from talk2model.verbalize.plots import to_pngs

        for spec, png in zip(answer.figures, to_pngs(answer.figures)):
            path = self.options.figure_dir / f"{uuid.uuid4().hex}.png"
            path.write_bytes(png)
            self.files.append(path)
            self._add("assistant", {"path": str(path), "alt_text": escape_markup(spec.title)}, turn_id)


    def answer(self, question: str, compute: Callable[[], Answer]) -> Answer:
        """`compute()` on the app's worker pool within the time budget. Past the budget the
        person gets ERR_TIME_BUDGET (and the turn is recorded so); the computation finishes in
        the background and this session's next question waits for it (ERR_BUSY past the budget)."""
        budget = self.options.time_budget
        started = time.perf_counter()
        if not self.busy.acquire(timeout=budget):
            return _budget_answer(question, ERR_BUSY.format(budget=budget), started)

        def run() -> Answer:
            from talk2model import deadline

            try:  # long computations stop themselves once the budget is spent
                with deadline.budget(budget - (time.perf_counter() - started)):
                    return compute()
            finally:
                self.busy.release()

        try:
            future = self.options.pool.submit(run)
        except RuntimeError:  # the pool is shutting down (the app is closing)
            self.busy.release()
            raise
        try:
            return future.result(timeout=max(0.0, budget - (time.perf_counter() - started)))
        except FutureTimeout:
            log.warning("question over the %.0f s budget: %r", budget, question[:200])
            return _budget_answer(question, ERR_TIME_BUDGET.format(budget=budget), started)

    def close(self) -> None:
        """Called by Gradio when the browser session ends: remove the files written for it."""
        for path in self.files:
            path.unlink(missing_ok=True)
        self.files.clear()


def _budget_answer(question: str, message: str, started: float) -> Answer:
    answer = Answer(question=clean_text(question), text=message, body=message, error=message)
    answer.latency_ms = (time.perf_counter() - started) * 1000
    return answer


def _close_session(state: ChatSession | None) -> None:
    if state is not None:
        state.close()


def answer_markdown(answer: Answer, schema=None) -> str:
    """The chat text of an answer: "I understood: ...", then each reply with its own table.
    Answers echo what people typed (values, names), so every text is escaped (`escape_markup`):
    `<img src=x>` shows as typed instead of becoming an element."""
    if not answer.replies or answer.reading is None:
        text = escape_markup(answer.text)
        if answer.table is not None:
            text += "\n\n" + chat_table(answer.table, schema)
    else:
        parts = [f"I understood: {escape_markup(answer.reading)}."]
        for reply in answer.replies:
            parts.append(escape_markup(reply.text))
            if reply.table is not None:
                parts.append(chat_table(reply.table, schema))
        text = "\n\n".join(parts)
    if answer.choices:
        text += "\n\nChoose what you meant with one of the buttons below the chat."
    return text


# Tables in the chat are Markdown (Gradio's Chatbot renders GitHub tables, copies them as text
# and gradio_client reads them), written by the one table writer (talk2model.verbalize.tables).


def chat_table(table: pd.DataFrame, schema=None) -> str:
    """A result table as a readable Markdown table: numbers formatted, wide tables turned or cut."""
    labels = {}
    if schema is not None:  # feature labels from the schema ("savings" for saving_accounts)
        labels = {name: f.label for name, f in schema.features.items()}
        labels.setdefault(schema.target, schema.target)
    return markdown_table(table, labels=labels, entity=schema.entity if schema is not None else "row")


# ---- what every handler shows ------------------------------------------------------------------

def _selection_markdown(session: ChatSession | None, workspace: Workspace) -> str:
    schema = workspace.schema
    text = session.assistant.selection_text if session is not None else None
    if not text:
        text = f"all {len(workspace.data):,} {schema.entity_plural}"
    return f"**Talking about:** {escape_markup(text)}"


def _workspace_markdown(workspace: Workspace, label: str | None = None) -> str:
    schema = workspace.schema
    label = label or workspace.name
    e = escape_markup  # an upload's names, title and classes are typed by whoever uploaded it
    if label.startswith(UPLOAD_PREFIX):
        file_name = label[len(UPLOAD_PREFIX):].replace("`", "'")
        origin = f"Workspace in use: **{e(workspace.name)}**, uploaded from `{file_name}`"
    else:
        origin = f"Workspace in use: built-in **{e(label)}**"
    lines = [f"### {e(schema.title or workspace.name)}", origin]
    if schema.description:
        lines.append(e(schema.description))
    classes = ", ".join(f"{v}" for v in schema.classes.values())
    what = (f"{workspace.image_spec.describe()} images" if workspace.kind == "image"
            else f"{len(schema.features)} features")
    lines.append(e(f"{len(workspace.data):,} {schema.entity_plural} · {what} · "
                   f"model: {workspace.model.kind} · predicts {schema.target}"
                   + (f" ({classes})" if classes else "")))
    warnings = check_sentences(workspace.checks, schema)     # run at load: leakage, imbalance, training rows
    if warnings:
        lines.append("**Data checks:** " + e("; ".join(warnings) + "."))
    return "\n\n".join(lines)


def _examples(workspace: Workspace) -> list[list[str]]:
    return [[e] for e in (workspace.schema.examples or ("count", "describe data"))]


def _answer_json(session: ChatSession) -> dict:
    answer = session.last_answer
    if answer is None:
        return {"session_id": session.session_id}
    return {"session_id": session.session_id, "turn_id": session.last_turn_id,
            "question": answer.question, "text": answer.text, "reading": answer.reading,
            "query": answer.query.to_text() if answer.query is not None else None,
            "selection": answer.selection, "error": answer.error,
            "choices": [c.label for c in answer.choices],
            "figures": [f.title for f in answer.figures],
            "table": answer.table is not None}


# ---- the app ------------------------------------------------------------------------------------

def build_app(workspace: str = "credit", *, store: Store | None = None, db_url: str | None = None,
              use_store: bool = True, assistant_factory: Callable[[Workspace], Assistant] | None = None,
              upload: bool | None = None, limits: UploadLimits | None = None,
              time_budget: float | None = None, workers: int | None = None) -> gr.Blocks:
    """The chat app as a gr.Blocks. Launch it with `launch(demo, ...)` (theme and css).

    `upload=False` (or TALK2MODEL_UPLOAD=off) turns the bring-your-own panel off; `limits` caps
    uploads (default: TALK2MODEL_MAX_UPLOAD_MB / TALK2MODEL_MAX_ROWS, else 20 MB and 200,000
    rows); `time_budget` is the seconds one question may take (TALK2MODEL_TIME_BUDGET, else 30);
    `workers` sizes the answer pool and Gradio's concurrency limit (default 4 per core)."""
    if store is None and use_store:
        store = Store(db_url)
    if upload is None:
        upload = os.environ.get(ENV_UPLOAD, "on").strip().lower() not in ("off", "0", "false", "no")
    if time_budget is None:
        time_budget = float(os.environ.get(ENV_TIME_BUDGET, DEFAULT_TIME_BUDGET))
    options = AppOptions(workspace=workspace, store=store, assistant_factory=assistant_factory or Assistant,
                         upload=upload, limits=limits or UploadLimits.from_settings(),
                         time_budget=time_budget, workers=workers or default_workers())
    options.pool = ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="talk2model-answer")
    from talk2model.verbalize.plots import start_drawing_pool

    start_drawing_pool()   # charts drawn on the other cores, not under the app's interpreter lock
    # The page is served while the default workspace loads in the background (loading a .skops
    # model imports all of scikit-learn, several seconds): the page shows the workspace's
    # description from its file at once, and the first question waits for the load if needed.
    preview = workspace_preview(workspace)
    default_ws = _background(_load_default, workspace)
    builtins = list(builtin_workspaces())
    ws_choices = builtins if workspace in builtins else [workspace, *builtins]

    def loaded_default() -> Workspace:
        try:
            return default_ws.result()
        except Talk2ModelError as exc:
            raise gr.Error(str(exc)) from exc

    def session_of(state: ChatSession | None, request: gr.Request | None = None) -> ChatSession:
        return state if state is not None else ChatSession(loaded_default(), options, user=_user(request))

    def page_loaded(state: ChatSession | None):
        ws = state.workspace if state is not None else loaded_default()
        return (_workspace_markdown(ws, state.label if state is not None else workspace),
                _selection_markdown(state, ws))

    def view(session: ChatSession) -> tuple:
        buttons = [gr.update(value=c.label, visible=True) if i < len(session.choices)
                   else gr.update(value="", visible=False) for i, c in
                   enumerate(session.choices + [None] * (MAX_CHOICES - len(session.choices)))]
        return (session, session.messages, _selection_markdown(session, session.workspace),
                *buttons, _answer_json(session), _session_markdown(session))

    # ---- handlers ----
    def ask(question: str, state: ChatSession | None, request: gr.Request):
        session = session_of(state, request)
        # empty: the Assistant answers with an example to try; surrogates never reach the wire
        question = clean_text(question or "").strip()
        answer = session.answer(question, lambda: session.assistant.ask(question))
        session.record(question, answer)
        return ("", *view(session))

    def choose(index: int):
        def pick(state: ChatSession | None, request: gr.Request):
            session = session_of(state, request)
            if index >= len(session.choices):
                raise gr.Error("That choice is no longer available: ask the question again.")
            choice = session.choices[index]
            answer = session.answer(choice.label, lambda: session.assistant.run(choice.query, question=choice.label))
            session.record(choice.label, answer)
            return view(session)
        pick.__name__ = f"choose_{index}"
        return pick

    def clear_selection(state: ChatSession | None, request: gr.Request):
        session = session_of(state, request)
        session.assistant.clear_selection()
        ws = session.workspace
        gr.Info(MSG_CLEARED.format(n=len(ws.data), entities=ws.schema.entity_plural))
        return view(session)

    def switch_workspace(name: str, state: ChatSession | None, request: gr.Request):
        uploads = state.uploads if state is not None else {}
        if name in uploads:  # back to a workspace this session uploaded
            ws = uploads[name]
        else:
            try:
                ws = load_workspace(name)
            except Talk2ModelError as exc:
                raise gr.Error(str(exc)) from exc
        _close_session(state)
        return start_session(ws, name, uploads, _user(request))

    def start_session(ws: Workspace, label: str, uploads: dict[str, Workspace], user: str | None):
        session = ChatSession(ws, options, label=label, uploads=uploads, user=user)
        picker = gr.update(choices=[*ws_choices, *(u for u in uploads if u not in ws_choices)], value=label)
        return (*view(session), _workspace_markdown(ws, label), gr.update(samples=_examples(ws)), picker)

    def example(index: int | None, state: ChatSession | None, request: gr.Request):
        session = session_of(state, request)
        examples = _examples(session.workspace)
        if index is None or not 0 <= int(index) < len(examples):
            raise gr.Error("Pick one of the example questions.")
        return ask(examples[int(index)][0], session, request)

    def rate(rating: str):
        def give(comment: str, state: ChatSession | None):
            session = state  # no session yet: nothing to rate (and no empty audit session)
            if session is None or session.last_turn_id is None or options.store is None:
                raise gr.Error(ERR_NO_ANSWER)
            options.store.add_feedback(session.last_turn_id, rating, comment)
            return MSG_FEEDBACK.format(seq=len(session.turn_ids)), ""
        give.__name__ = f"feedback_{rating}"
        return give

    def on_like(state: ChatSession | None, data: gr.LikeData):
        session = state
        if session is None:
            return gr.update()
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if options.store is None or not isinstance(index, int) or index >= len(session.message_turn):
            return gr.update()
        turn_id = session.message_turn[index]
        if turn_id is None or data.liked not in (True, False, "Like", "Dislike"):
            return gr.update()
        liked = data.liked in (True, "Like")
        options.store.add_feedback(turn_id, "up" if liked else "down")
        seq = session.turn_ids.index(turn_id) + 1 if turn_id in session.turn_ids else "?"
        return MSG_FEEDBACK.format(seq=seq)

    def transcript(fmt: str, state: ChatSession | None):
        session = state
        if options.store is None:
            raise gr.Error(ERR_NO_STORE)
        if session is None or not session.turn_ids:
            raise gr.Error(ERR_NO_TURNS)
        from talk2model.store.transcript import write

        fmt = fmt if fmt in ("md", "html") else "md"
        path = options.figure_dir / f"talk2model-{session.session_id}.{fmt}"
        write(options.store, session.session_id, path, fmt)
        session.files.append(path)
        return str(path)

    def byo_inspect(data_path: str | None):
        if not options.upload:
            return gr.update(choices=[], value=None), ERR_UPLOAD_OFF
        try:
            table = inspect_upload(data_path, options.limits)
        except WorkspaceError as exc:
            return gr.update(choices=[], value=None), escape_markup(str(exc))
        return (gr.update(choices=table.columns, value=table.suggested_target),
                MSG_UPLOAD_READ.format(rows=table.rows, columns=len(table.columns)))

    def byo_schema(data_path: str | None, target: str | None):
        if not options.upload:
            return gr.update(), gr.update(), ERR_UPLOAD_OFF
        try:
            uploaded, table, classes = upload_schema(data_path, target, options.limits)
        except WorkspaceError as exc:
            return gr.update(), gr.update(), escape_markup(str(exc))
        return table, classes, MSG_UPLOAD_SCHEMA.format(rows=uploaded.rows, columns=len(uploaded.columns),
                                                        target=escape_markup(str(target)))

    def image_ask(image_path: str | None, state: ChatSession | None, request: gr.Request):
        """Your own image: fitted to the workspace (uploads are never trusted), added to this
        session's copy of the images as a new id, and answered like a row: prediction, why, and
        which explanation is most faithful (`filter id == N then explain auto`)."""
        session = session_of(state, request)
        ws = session.workspace
        if not options.upload:
            raise gr.Error(ERR_UPLOAD_OFF)
        if ws.kind != "image":
            raise gr.Error(ERR_NOT_IMAGES)
        if not image_path:
            raise gr.Error(ERR_NO_IMAGE)
        from talk2model.workspace.images import appended, image_from_upload

        try:
            pixels = image_from_upload(image_path, ws.image_spec, max_bytes=options.limits.max_bytes)
        except WorkspaceError as exc:
            raise gr.Error(str(exc), title="This image cannot be read") from exc
        mine, new_id = appended(ws, pixels, name=Path(image_path).name)
        session.assistant = options.new_assistant(mine, session.user)   # same conversation, one more image
        query = f"filter id == {new_id} then explain auto"
        shown = MSG_IMAGE_QUESTION.format(id=new_id)
        answer = session.answer(shown, lambda: session.assistant.run(query, question=shown))
        session.record(shown, answer)
        return view(session)

    def byo_use(data_path, model_path, target, name, entity, table, classes_text, state, request: gr.Request):
        if not options.upload:
            raise gr.Error(ERR_UPLOAD_OFF)
        try:
            ws = workspace_from_upload(data_path, model_path, target, table, classes_text,
                                       name=name, entity=entity, limits=options.limits)
        except WorkspaceError as exc:
            raise gr.Error(str(exc), title="This workspace cannot be used yet") from exc
        _close_session(state)
        label = UPLOAD_PREFIX + Path(data_path).name
        uploads = {**(state.uploads if state is not None else {}), label: ws}
        gr.Info(f"Now talking about {ws.name} ({label}): {len(ws.data):,} {ws.schema.entity_plural}.")
        return start_session(ws, label, uploads, _user(request))

    # ---- layout ----
    # Gradio copies every file it serves into its cache: drop copies older than a day, hourly.
    with gr.Blocks(title="talk2model", delete_cache=(3600, 24 * 3600)) as demo:
        state = gr.State(None, delete_callback=_close_session)  # one ChatSession per browser session
        gr.Markdown("# talk2model\nAsk a machine-learning model, in plain words, what it decides and why.")
        gr.Markdown(f"⚠️ {AI_NOTICE}", elem_id="ai-notice")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                workspace_md = gr.Markdown(preview["markdown"], elem_id="workspace-info")
                with gr.Row(equal_height=True):
                    selection_md = gr.Markdown(f"**Talking about:** all {preview['entity_plural']}",
                                               elem_id="selection")
                    clear_btn = gr.Button("Clear selection", size="sm", scale=0, min_width=140,
                                          elem_id="clear-selection")
                chatbot = gr.Chatbot(label="Conversation", height=520, elem_id="chat",
                                     feedback_options=("Like", "Dislike"), buttons=["copy"],
                                     placeholder="Ask about the model or its data — or pick an example below.")
                with gr.Row(elem_id="choices"):
                    choice_btns = [gr.Button("", visible=False, size="sm", elem_id=f"choice-{i}")
                                   for i in range(MAX_CHOICES)]
                with gr.Row(equal_height=True):
                    question = gr.Textbox(show_label=False, placeholder="Type a question and press Enter",
                                          scale=5, elem_id="question", autofocus=True)
                    ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=90, elem_id="ask")
                examples = gr.Dataset(components=[gr.Textbox(visible=False)], samples=preview["examples"],
                                      type="index", label="Try asking", elem_id="examples")
                with gr.Row(equal_height=True):
                    comment = gr.Textbox(show_label=False, placeholder="Comment on the last answer (optional)",
                                         scale=4, elem_id="comment")
                    up_btn = gr.Button("Helpful", scale=0, min_width=100, elem_id="thumbs-up")
                    down_btn = gr.Button("Not helpful", scale=0, min_width=100, elem_id="thumbs-down")
                feedback_md = gr.Markdown("", elem_id="feedback-status")
            with gr.Column(scale=1, min_width=300):
                with gr.Accordion("Workspace", open=True):
                    ws_dropdown = gr.Dropdown(ws_choices, value=workspace, label="Workspace in use",
                                              info="a built-in, or one you uploaded below",
                                              elem_id="workspace")
                with gr.Accordion("Transcript", open=False, elem_id="transcript"):
                    session_md = gr.Markdown("")
                    fmt = gr.Radio(["md", "html"], value="md", label="Format (Markdown or HTML)")
                    transcript_btn = gr.Button("Download transcript", elem_id="transcript-btn")
                    transcript_file = gr.File(label="Transcript", interactive=False)
        with gr.Accordion("Bring your own model: upload a table and a model", open=False, elem_id="byo",
                          visible=options.upload):
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=280):
                    byo_data = gr.File(label="Data (.csv or .parquet)", file_types=list(DATA_SUFFIXES),
                                       type="filepath", height=120, elem_id="byo-data")
                    model_types = list(MODEL_SUFFIXES)
                    byo_model = gr.File(label=f"Model ({', '.join(model_types)})", file_types=model_types,
                                        type="filepath", height=120, elem_id="byo-model")
                    byo_target = gr.Dropdown([], label="Target column (the outcome the model predicts)",
                                             interactive=True, elem_id="byo-target")
                    with gr.Row():
                        byo_name = gr.Textbox("my-model", label="Name")
                        byo_entity = gr.Textbox("row", label="One row is a …", placeholder="applicant, patient, …")
                with gr.Column(scale=2, min_width=400):
                    byo_table = gr.Dataframe(headers=SCHEMA_HEADERS,
                                             datatype=["str", "str", "bool", "bool", "str"],
                                             interactive=True, label="Schema (editable: type is numeric, "
                                             "categorical or flag; tick sensitive and immutable features)")
                    byo_classes = gr.Textbox(label="Class names", lines=2,
                                             placeholder="0 = denied; 1 = approved")
                    byo_status = gr.Markdown("", elem_id="byo-status")
                    byo_btn = gr.Button("Use this workspace", variant="primary", elem_id="byo-use")
        with gr.Accordion("Ask about your own image (image workspaces such as digits)", open=False,
                          elem_id="my-image", visible=options.upload):
            with gr.Row(equal_height=False):
                my_image = gr.Image(type="filepath", sources=["upload", "clipboard"], image_mode=None,
                                    label="A PNG of one handwritten digit (dark ink on light paper, or light on dark)",
                                    height=220, elem_id="my-image-file")
                with gr.Column():
                    gr.Markdown("The image is fitted to the model's size, added to this conversation as a new "
                                "image id, and answered: what the model sees, why, and which explanation is "
                                "most faithful. Ask more about it by its id.")
                    my_image_btn = gr.Button("Ask about this image", variant="primary", elem_id="my-image-ask")
        answer_json = gr.JSON(visible=False)

        view_outputs = [state, chatbot, selection_md, *choice_btns, answer_json, session_md]
        ask_args = dict(fn=ask, inputs=[question, state], outputs=[question, *view_outputs])
        question.submit(**ask_args, api_name="ask")
        ask_btn.click(**ask_args, api_visibility="private")
        for i, btn in enumerate(choice_btns):
            btn.click(choose(i), inputs=[state], outputs=view_outputs, api_name=f"choose_{i}")
        clear_btn.click(clear_selection, inputs=[state], outputs=view_outputs, api_name="clear_selection")
        ws_outputs = [*view_outputs, workspace_md, examples, ws_dropdown]
        ws_dropdown.input(switch_workspace, inputs=[ws_dropdown, state], outputs=ws_outputs,
                          api_name="workspace")
        examples.click(example, inputs=[examples, state], outputs=[question, *view_outputs],
                       api_name="example")
        up_btn.click(rate("up"), inputs=[comment, state], outputs=[feedback_md, comment],
                     api_name="feedback_up")
        down_btn.click(rate("down"), inputs=[comment, state], outputs=[feedback_md, comment],
                       api_name="feedback_down")
        demo.load(page_loaded, inputs=[state], outputs=[workspace_md, selection_md], api_visibility="private")
        chatbot.like(on_like, inputs=[state], outputs=[feedback_md], api_visibility="private")
        transcript_btn.click(transcript, inputs=[fmt, state], outputs=[transcript_file], api_name="transcript")
        byo_data.upload(byo_inspect, inputs=[byo_data], outputs=[byo_target, byo_status],
                        api_name="byo_inspect")
        byo_target.change(byo_schema, inputs=[byo_data, byo_target],
                          outputs=[byo_table, byo_classes, byo_status], api_name="byo_schema")
        my_image_btn.click(image_ask, inputs=[my_image, state], outputs=view_outputs, api_name="image_ask")
        byo_btn.click(byo_use, inputs=[byo_data, byo_model, byo_target, byo_name, byo_entity, byo_table,
                                       byo_classes, state], outputs=ws_outputs, api_name="byo_use")
    # Gradio runs one event of a kind at a time unless told otherwise: as many as the pool has workers
    demo.queue(default_concurrency_limit=options.workers)
    demo.talk2model_options = options  # for tests and the bench: the app's store and settings
    return demo


def _load_default(name: str) -> Workspace:
    _import_drawing()  # before any handler can draw: concurrent first imports of pyplot race
    ws = load_workspace(name)
    ws.predictions()  # warm the prediction cache so the first question is quick
    try:  # and the question parser (its sentence model loads on first use)
        Assistant(ws).parse("how many are there?")
    except Exception:  # a parser problem shows on the first question, with its own message
        log.exception("warming the parser failed")
    return ws


def _import_drawing() -> None:
    """matplotlib's Agg backend (and pyplot, which shap imports) once, at start-up."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.pyplot  # noqa: F401

    import talk2model.verbalize.plots  # noqa: F401


def _user(request: gr.Request | None) -> str | None:
    """The signed-in user (Gradio's login or the proxy's header), if sign-in is on."""
    name = getattr(request, "username", None) if request is not None else None
    return clean_text(str(name))[:200] if name else None


def _background(fn: Callable, *args):
    from concurrent.futures import Future
    import threading

    future: Future = Future()

    def run():
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever waits for the result
            log.error("loading the workspace failed: %s", exc)
            future.set_exception(exc)

    threading.Thread(target=run, name="talk2model-load", daemon=True).start()
    return future


def workspace_preview(name: str) -> dict:
    """What the page shows before the workspace has loaded: from its file only
    (`workspace_summary`; an unknown name or a broken file raises the WorkspaceError saying so)."""
    summary = workspace_summary(name)
    lines = [f"### {summary.title}"]
    if summary.description:
        lines.append(summary.description)
    lines.append("*Loading the model and its data …*")
    return {"markdown": "\n\n".join(lines), "entity_plural": summary.entity_plural,
            "examples": [[e] for e in summary.examples] or [["count"], ["describe data"]]}


def _session_markdown(session: ChatSession) -> str:
    if session.options.store is None:
        return "The audit store is off."
    return f"Session `{session.session_id}` (`talk2model transcript {session.session_id}`)"


# ---- launching ------------------------------------------------------------------------------------

THEME = "default"  # Gradio's default theme uses local fonts only: nothing is fetched


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None,
           prevent_thread_lock: bool = False, quiet: bool = False, auth_file: str | None = None,
           auth_header: str | None = None):
    """Launch with the app's theme and css (Gradio 6 takes them in launch(), not Blocks()), the
    upload size limit, and sign-in when asked for: `auth_file` (a password file, see
    talk2model.auth) or `auth_header` (a header set by an authenticating proxy)."""
    from talk2model import auth

    options = getattr(demo, "talk2model_options", None)
    extra: dict[str, Any] = {}
    if auth_file:
        extra["auth"] = auth.password_checker(auth_file)
        extra["auth_message"] = "Sign in to talk2model."
    elif auth_header:
        extra["auth_dependency"] = auth.header_user(auth_header)
    if options is not None:
        extra["max_file_size"] = options.limits.max_bytes
        extra["max_threads"] = max(40, 2 * options.workers)
    return demo.launch(server_name=host, server_port=port, prevent_thread_lock=prevent_thread_lock,
                       quiet=quiet, share=False, theme=THEME, css=CSS, footer_links=["api"],
                       ssr_mode=False, show_error=False, **extra)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> int:
    from talk2model import auth
    from talk2model.workspace.upload import DEFAULT_MAX_ROWS, DEFAULT_MAX_UPLOAD_MB, ENV_MAX_ROWS, ENV_MAX_UPLOAD_MB

    parser = argparse.ArgumentParser(prog="talk2model app", description="Start the chat app.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; any other needs sign-in or --no-auth)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                        help="port (default 7860)")
    parser.add_argument("-w", "--workspace", default="credit",
                        help="the workspace shown first: a built-in name or a .toml file (default credit)")
    parser.add_argument("--db", help="SQLAlchemy URL of the audit store (default $TALK2MODEL_DB, "
                                     "else ./var/talk2model.sqlite)")
    sign_in = parser.add_mutually_exclusive_group()
    sign_in.add_argument("--auth-file", default=os.environ.get(auth.ENV_AUTH_FILE) or None,
                         help=f"password file: people sign in (default ${auth.ENV_AUTH_FILE}; "
                              "add users with `talk2model passwd`)")
    sign_in.add_argument("--auth-header", default=os.environ.get(auth.ENV_AUTH_HEADER) or None,
                         help="behind an authenticating proxy: take the user name from this header "
                              f"(default ${auth.ENV_AUTH_HEADER}); only when nothing else can reach the app")
    sign_in.add_argument("--no-auth", action="store_true",
                         help="no sign-in even on an address other than 127.0.0.1 (you mean it)")
    parser.add_argument("--no-upload", action="store_true",
                        help=f"turn off uploading a table and a model (also ${ENV_UPLOAD}=off)")
    parser.add_argument("--max-upload-mb", type=float, default=None,
                        help=f"largest upload in MB (default ${ENV_MAX_UPLOAD_MB}, else {DEFAULT_MAX_UPLOAD_MB})")
    parser.add_argument("--max-rows", type=int, default=None,
                        help=f"most rows in an uploaded table (default ${ENV_MAX_ROWS}, else {DEFAULT_MAX_ROWS:,})")
    parser.add_argument("--time-budget", type=float, default=None,
                        help=f"seconds one question may take (default ${ENV_TIME_BUDGET}, else {DEFAULT_TIME_BUDGET:g})")
    parser.add_argument("--workers", type=int, default=None,
                        help=f"answer worker threads and concurrent events (default {default_workers()}: 4 per core)")
    parser.add_argument("--allow-pickle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.allow_pickle:
        print(ERR_ALLOW_PICKLE, file=sys.stderr)
        return 2
    if args.host not in LOOPBACK and not (args.auth_file or args.auth_header or args.no_auth):
        print(ERR_OPEN_HOST.format(host=args.host), file=sys.stderr)
        return 2
    if args.auth_file:
        try:
            auth.read_users(args.auth_file)
        except auth.AuthError as exc:
            print(f"talk2model app: {exc}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    started = time.perf_counter()
    try:
        demo = build_app(args.workspace, db_url=args.db, upload=False if args.no_upload else None,
                         limits=UploadLimits.from_settings(args.max_upload_mb, args.max_rows),
                         time_budget=args.time_budget, workers=args.workers)
    except Talk2ModelError as exc:
        print(f"talk2model app: {exc}")
        return 2
    _, url, _ = launch(demo, host=args.host, port=args.port, prevent_thread_lock=True, quiet=True,
                       auth_file=args.auth_file, auth_header=args.auth_header)
    options = demo.talk2model_options
    signed = ("sign-in: password file" if args.auth_file else
              f"sign-in: header {args.auth_header}" if args.auth_header else "no sign-in")
    print(f"talk2model: {url} (workspace {args.workspace}; audit store {options.store!r}; {signed}; "
          f"uploads {'on, up to ' + format(options.limits.max_mb, 'g') + ' MB' if options.upload else 'off'}; "
          f"{options.workers} workers, {options.time_budget:g} s per question) ready in "
          f"{time.perf_counter() - started:.1f} s — Ctrl-C to stop", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
