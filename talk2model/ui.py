"""The Gradio 6 chat app: a thin layer over `Assistant`, one Assistant per browser session.

    talk2model app [--host 127.0.0.1] [--port 7860] [-w credit] [--db URL] [--allow-pickle]

    demo = build_app("credit")              # gr.Blocks; the Python API tests drive
    launch(demo, port=7860)                 # theme and css go to launch() in Gradio 6

Per-session state lives in a `gr.State` holding a `ChatSession` (its own Assistant, chat
history, pending clarifying choices and audit-trail session id); Gradio drops it when the tab
closes. Nothing created outside a handler is mutable: the built-in workspaces are read-only and
shared, the Store is thread-safe. Every answered turn goes to the Store in one transaction.

Endpoints (explicit api_name, usable from gradio_client): /ask, /choose_0../choose_3,
/clear_selection, /workspace, /example, /feedback_up, /feedback_down, /transcript,
/byo_inspect, /byo_schema, /byo_use.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import tempfile
import time
import uuid
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
from talk2model.store.turns import Store, table_json  # noqa: E402
from talk2model.workspace import Workspace, builtin_workspaces, load_workspace  # noqa: E402

log = logging.getLogger("talk2model.ui")

MAX_CHOICES = 4
KINDS = ("numeric", "categorical", "flag")
SCHEMA_HEADERS = ["column", "type", "sensitive", "immutable", "description"]
DATA_SUFFIXES = (".csv", ".parquet", ".pq")
SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")

# User-facing texts (tests assert them).
ERR_NO_DATA = "Upload a data file first: a .csv or .parquet table with one row per case."
ERR_DATA_SUFFIX = "The data file must be .csv or .parquet, not '{suffix}'. Export the table to CSV and upload that."
ERR_DATA_READ = "The data file could not be read ({error}). Check that it is a valid {kind} file."
ERR_NO_MODEL = "Upload a model file too: a .skops file (skops.io.dump(model, 'model.skops'))."
ERR_PICKLE_OFF = (
    "'{name}' is a {fmt} file, and loading it would run code from the file, so this app does not "
    "load {fmt} files. Save the model with skops instead (skops.io.dump(model, 'model.skops')), or ask "
    "the operator to start the app with --allow-pickle if the file comes from someone you trust."
)
ERR_SKOPS_TYPES = (
    "'{name}' contains types that are not part of scikit-learn, numpy or scipy ({types}). "
    "Ask the operator to start the app with --allow-pickle to trust them."
)
ERR_MODEL_SUFFIX = "The model file must be .skops (or .joblib / .pkl when the operator allows it), not '{suffix}'."
ERR_NO_TARGET = "Choose the target: the column that holds the outcome the model predicts."
ERR_BAD_CLASSES = "Class names: write one 'value = name' per line or separated by ';' (for example '0 = denied; 1 = approved'); could not read '{part}'."
ERR_PREDICT = ("The model could not predict on this data ({error}). The data's columns must be the "
               "features the model was trained on, with the same types, plus the target.")
ERR_NO_STORE = "The audit store is off, so there is no transcript to download."
ERR_NO_TURNS = "Ask a question first: the transcript is empty."
ERR_NO_ANSWER = "Ask a question first, then rate the answer."
MSG_FEEDBACK = "Thanks, your feedback on turn {seq} was saved."
MSG_CLEARED = "Selection cleared: questions are about all {n:,} {entities} again."
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

@dataclass
class AppOptions:
    workspace: str = "credit"
    store: Store | None = None
    allow_pickle: bool = False
    assistant_factory: Callable[[Workspace], Assistant] = Assistant
    figure_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="talk2model-app-")))


class ChatSession:
    """One browser session: its own Assistant, chat history and audit-trail session.

    `label` is what the workspace picker shows for the workspace in use: a built-in's name, or
    "uploaded: loans.csv". `uploads` keeps this browser session's uploaded workspaces by label,
    so picking one again after a built-in switches back to it.
    """

    def __init__(self, workspace: Workspace, options: AppOptions, *, label: str | None = None,
                 uploads: dict[str, Workspace] | None = None) -> None:
        self.options = options
        self.label = label or workspace.name
        self.uploads: dict[str, Workspace] = dict(uploads or {})
        self.assistant = options.assistant_factory(workspace)
        self.messages: list[dict] = []
        self.message_turn: list[int | None] = []    # turn id behind each chat message
        self.turn_ids: list[int] = []
        self.choices: list[Any] = []                # pending clarifying readings (parser.Choice)
        self.last_answer: Answer | None = None
        self.last_turn_id: int | None = None
        self.files: list[Path] = []                 # figures and transcripts written for this session
        self.session_id = options.store.new_session(workspace) if options.store is not None else None

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
                turn_id = store.record_turn(self.session_id, self.workspace, answer)
                self.turn_ids.append(turn_id)
            except Exception as exc:  # the answer still reaches the person; the operator sees why
                log.exception("could not store turn")
                gr.Warning(f"This answer could not be saved to the audit trail ({type(exc).__name__}).")
        self.last_answer, self.last_turn_id = answer, turn_id
        self.choices = list(answer.choices)[:MAX_CHOICES]
        self._add("user", question_shown, None)
        self._add("assistant", answer_markdown(answer, self.workspace.schema), turn_id)
        for spec in answer.figures:
            path = self.options.figure_dir / f"{uuid.uuid4().hex}.png"
            from talk2model.verbalize.plots import to_png

            path.write_bytes(to_png(spec))
            self.files.append(path)
            self._add("assistant", {"path": str(path), "alt_text": spec.title}, turn_id)


    def close(self) -> None:
        """Called by Gradio when the browser session ends: remove the files written for it."""
        for path in self.files:
            path.unlink(missing_ok=True)
        self.files.clear()


def _close_session(state: ChatSession | None) -> None:
    if state is not None:
        state.close()


def answer_markdown(answer: Answer, schema=None) -> str:
    """The chat text of an answer: "I understood: ...", then each reply with its own table."""
    if not answer.replies or answer.reading is None:
        text = answer.text
        if answer.table is not None:
            text += "\n\n" + chat_table(answer.table, schema)
    else:
        parts = [f"I understood: {answer.reading}."]
        for reply in answer.replies:
            parts.append(reply.text)
            if reply.table is not None:
                parts.append(chat_table(reply.table, schema))
        text = "\n\n".join(parts)
    if answer.choices:
        text += "\n\nChoose what you meant with one of the buttons below the chat."
    return text


# Tables in the chat are Markdown (Gradio's Chatbot renders GitHub tables, copies them as text
# and gradio_client reads them): capped so they stay readable in a chat column.
MAX_TABLE_COLUMNS = 10     # wider tables: one or two rows are turned on their side, more are cut
MAX_NAMED_COLUMNS = 6      # how many of the columns left out are named
MAX_TABLE_ROWS = 15        # the operations page long tables ("more" gives the rest); this is a backstop
MSG_COLUMNS_CUT = ("*Showing {shown} of {total} columns; not shown: {rest}. Ask about one {entity} "
                   "(for example \"show {entity} {example}\") to see all of its columns.*")
MSG_ROWS_CUT = "*The first {shown} of {total:,} rows.*"


def _decimals(values: pd.Series) -> int:
    """Decimals for a float column: about three significant digits of its largest value."""
    import math

    finite = values[values.map(lambda v: math.isfinite(v))].abs()
    top = float(finite.max()) if len(finite) else 0.0
    if top == 0 or top >= 1000:
        return 0
    if top >= 100:
        return 1
    if top >= 1:
        return 2
    return min(6, max(3, 2 - math.floor(math.log10(top))))


def _format_column(values: pd.Series, *, is_id: bool = False) -> tuple[list[str], bool]:
    """Cells of one column as text, and whether it is numeric (right-aligned)."""
    from pandas.api import types as ptypes

    def blank(v) -> bool:
        return v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA

    if ptypes.is_bool_dtype(values.dtype) or not ptypes.is_numeric_dtype(values.dtype):
        cells = [("" if blank(v) else _format_cell(v)) for v in values]
        numberlike = all(re.fullmatch(r"-?[\d.,]+%?", c) for c in cells if c) and any(cells)
        return cells, numberlike  # "75.0%" columns line up like numbers
    present = values.dropna().astype(float)
    if is_id or (len(present) and (present == present.round()).all()):
        big = not is_id and len(present) and present.abs().max() >= 10_000
        return [("" if blank(v) else (f"{int(v):,}" if big else str(int(v)))) for v in values], True
    digits = _decimals(present)
    return [("" if blank(v) else f"{float(v):,.{digits}f}") for v in values], True


def _format_cell(value) -> str:
    """One cell of a mixed column (e.g. a feature's value next to other features' values)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return str(value)
    if float(value) == round(float(value)):
        return str(int(value))
    v = float(value)
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3g}"


def chat_table(table: pd.DataFrame, schema=None) -> str:
    """A result table as a readable Markdown table: numbers formatted, wide tables turned or cut."""
    frame = table.reset_index() if table.index.name is not None else table.reset_index(drop=True)
    notes: list[str] = []
    labels = {}
    if schema is not None:  # feature labels from the schema ("savings" for saving_accounts)
        labels = {name: f.label for name, f in schema.features.items()}
        labels.setdefault(schema.target, schema.target)
    if len(frame.columns) > MAX_TABLE_COLUMNS and len(frame) <= 2:
        # one or two rows of many columns: one line per column reads better than a wide row
        key = "id" if "id" in frame.columns else None
        heads = ([f"{schema.entity if schema else 'row'} {v}" for v in frame[key]] if key
                 else [f"row {i + 1}" for i in range(len(frame))])
        body = frame.drop(columns=[key]) if key else frame
        cells = [[_format_cell(v) if not (isinstance(v, float) and pd.isna(v)) else "" for v in body[c]]
                 for c in body.columns]
        head = ["column", *heads]
        rows = [[labels.get(str(c), str(c)), *vals] for c, vals in zip(body.columns, cells)]
        aligns = ["---"] * len(head)
    else:
        if len(frame.columns) > MAX_TABLE_COLUMNS:
            rest = [labels.get(str(c), str(c)) for c in frame.columns[MAX_TABLE_COLUMNS:]]
            if len(rest) > MAX_NAMED_COLUMNS:
                rest = [*rest[:MAX_NAMED_COLUMNS], f"and {len(rest) - MAX_NAMED_COLUMNS} more"]
            entity = schema.entity if schema is not None else "row"
            example = frame["id"].iloc[0] if "id" in frame.columns else 0
            notes.append(MSG_COLUMNS_CUT.format(shown=MAX_TABLE_COLUMNS, total=len(frame.columns),
                                                rest=", ".join(rest), entity=entity, example=example))
            frame = frame.iloc[:, :MAX_TABLE_COLUMNS]
        if len(frame) > MAX_TABLE_ROWS:
            notes.insert(0, MSG_ROWS_CUT.format(shown=MAX_TABLE_ROWS, total=len(frame)))
            frame = frame.iloc[:MAX_TABLE_ROWS]
        formatted = [_format_column(frame.iloc[:, i], is_id=str(c) == "id") for i, c in enumerate(frame.columns)]
        head = [labels.get(str(c), str(c)) for c in frame.columns]
        rows = [list(r) for r in zip(*(cells for cells, _ in formatted))] if formatted else []
        aligns = ["---:" if numeric else "---" for _, numeric in formatted]

    def esc(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines + ([""] + notes if notes else []))


# ---- what every handler shows ------------------------------------------------------------------

def _selection_markdown(session: ChatSession | None, workspace: Workspace) -> str:
    schema = workspace.schema
    text = session.assistant.selection_text if session is not None else None
    if not text:
        text = f"all {len(workspace.data):,} {schema.entity_plural}"
    return f"**Talking about:** {text}"


def _workspace_markdown(workspace: Workspace, label: str | None = None) -> str:
    schema = workspace.schema
    label = label or workspace.name
    if label.startswith(UPLOAD_PREFIX):
        origin = f"Workspace in use: **{workspace.name}**, uploaded from `{label[len(UPLOAD_PREFIX):]}`"
    else:
        origin = f"Workspace in use: built-in **{label}**"
    lines = [f"### {schema.title or workspace.name}", origin]
    if schema.description:
        lines.append(schema.description)
    classes = ", ".join(f"{v}" for v in schema.classes.values())
    lines.append(f"{len(workspace.data):,} {schema.entity_plural} · {len(schema.features)} features · "
                 f"model: {workspace.model.kind} · predicts {schema.target}"
                 + (f" ({classes})" if classes else ""))
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
              allow_pickle: bool = False, use_store: bool = True,
              assistant_factory: Callable[[Workspace], Assistant] | None = None) -> gr.Blocks:
    """The chat app as a gr.Blocks. Launch it with `launch(demo, ...)` (theme and css)."""
    if store is None and use_store:
        store = Store(db_url)
    options = AppOptions(workspace=workspace, store=store, allow_pickle=allow_pickle,
                         assistant_factory=assistant_factory or Assistant)
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

    def session_of(state: ChatSession | None) -> ChatSession:
        return state if state is not None else ChatSession(loaded_default(), options)

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
    def ask(question: str, state: ChatSession | None):
        session = session_of(state)
        question = (question or "").strip()  # empty: the Assistant answers with an example to try
        try:
            answer = session.assistant.ask(question)
        except Exception as exc:  # a bug, not a user error: say so plainly, log the rest
            log.exception("answering %r failed", question)
            raise gr.Error(f"Answering failed with an internal error ({type(exc).__name__}); "
                           "it has been logged.") from exc
        session.record(question, answer)
        return ("", *view(session))

    def choose(index: int):
        def pick(state: ChatSession | None):
            session = session_of(state)
            if index >= len(session.choices):
                raise gr.Error("That choice is no longer available: ask the question again.")
            choice = session.choices[index]
            answer = session.assistant.run(choice.query, question=choice.label)
            session.record(choice.label, answer)
            return view(session)
        pick.__name__ = f"choose_{index}"
        return pick

    def clear_selection(state: ChatSession | None):
        session = session_of(state)
        session.assistant.clear_selection()
        ws = session.workspace
        gr.Info(MSG_CLEARED.format(n=len(ws.data), entities=ws.schema.entity_plural))
        return view(session)

    def switch_workspace(name: str, state: ChatSession | None):
        uploads = state.uploads if state is not None else {}
        if name in uploads:  # back to a workspace this session uploaded
            ws = uploads[name]
        else:
            try:
                ws = load_workspace(name)
            except Talk2ModelError as exc:
                raise gr.Error(str(exc)) from exc
        _close_session(state)
        return start_session(ws, name, uploads)

    def start_session(ws: Workspace, label: str, uploads: dict[str, Workspace]):
        session = ChatSession(ws, options, label=label, uploads=uploads)
        picker = gr.update(choices=[*ws_choices, *(u for u in uploads if u not in ws_choices)], value=label)
        return (*view(session), _workspace_markdown(ws, label), gr.update(samples=_examples(ws)), picker)

    def example(index: int | None, state: ChatSession | None):
        session = session_of(state)
        examples = _examples(session.workspace)
        if index is None or not 0 <= int(index) < len(examples):
            raise gr.Error("Pick one of the example questions.")
        return ask(examples[int(index)][0], session)

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
        try:
            frame = read_upload_frame(data_path)
        except WorkspaceError as exc:
            return gr.update(choices=[], value=None), str(exc)
        columns = [str(c) for c in frame.columns]
        return (gr.update(choices=columns, value=columns[-1]),
                f"{len(frame):,} rows and {len(columns)} columns. Choose the target column, then check the schema.")

    def byo_schema(data_path: str | None, target: str | None):
        try:
            frame = read_upload_frame(data_path)
            table, classes = inferred_schema(frame, target)
        except WorkspaceError as exc:
            return gr.update(), gr.update(), str(exc)
        return table, classes, (f"{len(frame):,} rows and {len(frame.columns)} columns; target **{target}**. "
                                "Check the inferred schema: edit types, tick sensitive / immutable "
                                "features, name the classes, then use the workspace.")

    def byo_use(data_path, model_path, target, name, entity, table, classes_text, state):
        try:
            ws = workspace_from_upload(data_path, model_path, target, table, classes_text,
                                       name=name, entity=entity, allow_pickle=options.allow_pickle)
        except WorkspaceError as exc:
            raise gr.Error(str(exc), title="This workspace cannot be used yet") from exc
        _close_session(state)
        label = UPLOAD_PREFIX + Path(data_path).name
        uploads = {**(state.uploads if state is not None else {}), label: ws}
        gr.Info(f"Now talking about {ws.name} ({label}): {len(ws.data):,} {ws.schema.entity_plural}.")
        return start_session(ws, label, uploads)

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
        with gr.Accordion("Bring your own model: upload a table and a model", open=False, elem_id="byo"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=280):
                    byo_data = gr.File(label="Data (.csv or .parquet)", file_types=list(DATA_SUFFIXES),
                                       type="filepath", height=120, elem_id="byo-data")
                    model_types = list(SKOPS_SUFFIXES + (PICKLE_SUFFIXES if allow_pickle else ()))
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
        byo_btn.click(byo_use, inputs=[byo_data, byo_model, byo_target, byo_name, byo_entity, byo_table,
                                       byo_classes, state], outputs=ws_outputs, api_name="byo_use")
    demo.talk2model_options = options  # for tests and the bench: the app's store and settings
    return demo


def _load_default(name: str) -> Workspace:
    ws = load_workspace(name)
    ws.predictions()  # warm the prediction cache so the first question is quick
    try:  # and the question parser (its sentence model loads on first use)
        Assistant(ws).parse("how many are there?")
    except Exception:  # a parser problem shows on the first question, with its own message
        log.exception("warming the parser failed")
    return ws


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
    """What the page shows before the workspace has loaded: read from its TOML file only."""
    import tomllib

    path = Path(name) if str(name).endswith(".toml") else builtin_workspaces().get(str(name))
    if path is None or not path.is_file():
        load_workspace(name)  # raises the WorkspaceError that says what exists
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError:
        load_workspace(name)  # raises the WorkspaceError naming the TOML problem
        raise
    schema = spec.get("schema", {})
    entity = schema.get("entity", "row")
    lines = [f"### {schema.get('title') or spec.get('name', path.stem)}"]
    if schema.get("description"):
        lines.append(schema["description"])
    lines.append("*Loading the model and its data …*")
    return {"markdown": "\n\n".join(lines),
            "entity_plural": schema.get("entity_plural", entity + "s"),
            "examples": [[e] for e in schema.get("examples", ())] or [["count"], ["describe data"]]}


def _session_markdown(session: ChatSession) -> str:
    if session.options.store is None:
        return "The audit store is off."
    return f"Session `{session.session_id}` (`talk2model transcript {session.session_id}`)"


# ---- bring your own workspace -------------------------------------------------------------------

def read_upload_frame(path: str | None) -> pd.DataFrame:
    if not path:
        raise WorkspaceError(ERR_NO_DATA)
    suffix = Path(path).suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise WorkspaceError(ERR_DATA_SUFFIX.format(suffix=suffix or "no suffix"))
    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:
        raise WorkspaceError(ERR_DATA_READ.format(error=str(exc).splitlines()[0][:200],
                                                  kind="CSV" if suffix == ".csv" else "Parquet")) from exc
    if frame.empty or len(frame.columns) < 2:
        raise WorkspaceError("The data file needs at least two columns (features and the target) and one row.")
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=True)
    frame.index.name = "id"
    return frame


def load_upload_model(path: str | None, *, allow_pickle: bool):
    from talk2model.workspace.model import load_estimator

    if not path:
        raise WorkspaceError(ERR_NO_MODEL)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in PICKLE_SUFFIXES and not allow_pickle:
        raise WorkspaceError(ERR_PICKLE_OFF.format(name=p.name, fmt="joblib" if suffix == ".joblib" else "pickle"))
    if suffix not in SKOPS_SUFFIXES + PICKLE_SUFFIXES:
        raise WorkspaceError(ERR_MODEL_SUFFIX.format(suffix=suffix or "no suffix"))
    if suffix in SKOPS_SUFFIXES and not allow_pickle:
        import skops.io as sio

        from talk2model.workspace.model import _SAFE_PREFIXES

        unsafe = [t for t in sio.get_untrusted_types(file=p) if not t.startswith(_SAFE_PREFIXES)]
        if unsafe:
            raise WorkspaceError(ERR_SKOPS_TYPES.format(name=p.name, types=", ".join(unsafe)))
    try:
        return load_estimator(p, trusted=allow_pickle)
    except WorkspaceError:
        raise
    except Exception as exc:
        raise WorkspaceError(f"The model file could not be loaded ({type(exc).__name__}: {exc}).") from exc


def inferred_schema(frame: pd.DataFrame, target: str | None) -> tuple[pd.DataFrame, str]:
    """The editable schema table and class-names text inferred from the data."""
    from talk2model.workspace.schema import build_schema

    if not target:
        raise WorkspaceError(ERR_NO_TARGET)
    schema = build_schema("upload", {"target": target}, frame)
    rows = [[f.name, f.kind, False, False, f.description] for f in schema.features.values()]
    from talk2model.workspace.schema import split_words

    classes = "; ".join(f"{value} = {split_words(target)} {value}" for value in schema.classes)
    return pd.DataFrame(rows, columns=SCHEMA_HEADERS), classes


def parse_classes(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise WorkspaceError(ERR_BAD_CLASSES.format(part=part.strip()))
        value, name = (s.strip() for s in part.split("=", 1))
        if not value or not name:
            raise WorkspaceError(ERR_BAD_CLASSES.format(part=part.strip()))
        out[value] = name
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "x", "✓")
    return bool(value) and not (isinstance(value, float) and pd.isna(value))


def workspace_from_upload(data_path, model_path, target, table, classes_text, *, name="my-model",
                          entity="row", allow_pickle=False) -> Workspace:
    """A workspace from the uploads and the (edited) schema table; WorkspaceError says what to fix."""
    frame = read_upload_frame(data_path)
    if not target:
        raise WorkspaceError(ERR_NO_TARGET)
    estimator = load_upload_model(model_path, allow_pickle=allow_pickle)
    features: dict[str, dict] = {}
    sensitive, immutable = [], []
    if isinstance(table, pd.DataFrame) and len(table):
        for row in table.to_dict("records"):
            col = str(row.get("column") or "").strip()
            if not col:
                continue
            spec: dict[str, Any] = {}
            kind = str(row.get("type") or "").strip().lower()
            if kind:
                spec["type"] = kind
            if str(row.get("description") or "").strip():
                spec["description"] = str(row["description"]).strip()
            features[col] = spec
            if _truthy(row.get("sensitive")):
                sensitive.append(col)
            if _truthy(row.get("immutable")):
                immutable.append(col)
    entity = (entity or "row").strip() or "row"
    schema = {"target": target, "features": features, "sensitive": sensitive, "immutable": immutable,
              "classes": parse_classes(classes_text), "entity": entity,
              "title": (name or "my-model").strip()}
    ws = Workspace.from_frame((name or "my-model").strip(), frame, estimator, schema,
                              source=f"upload:{Path(data_path).name}")
    try:
        ws.predictions()
        if ws.model.has_proba:
            ws.probabilities()
    except Exception as exc:
        raise WorkspaceError(ERR_PREDICT.format(error=str(exc).splitlines()[0][:200])) from exc
    return ws


# ---- launching ------------------------------------------------------------------------------------

THEME = "default"  # Gradio's default theme uses local fonts only: nothing is fetched


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None,
           prevent_thread_lock: bool = False, quiet: bool = False):
    """Launch with the app's theme and css (Gradio 6 takes them in launch(), not Blocks())."""
    return demo.launch(server_name=host, server_port=port, prevent_thread_lock=prevent_thread_lock,
                       quiet=quiet, share=False, theme=THEME, css=CSS, footer_links=["api"],
                       ssr_mode=False, show_error=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="talk2model app", description="Start the chat app.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                        help="port (default 7860)")
    parser.add_argument("-w", "--workspace", default="credit",
                        help="the workspace shown first: a built-in name or a .toml file (default credit)")
    parser.add_argument("--db", help="SQLAlchemy URL of the audit store (default $TALK2MODEL_DB, "
                                     "else ./var/talk2model.sqlite)")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="let people upload joblib/pickle models (loading them runs code from the file)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    started = time.perf_counter()
    try:
        demo = build_app(args.workspace, db_url=args.db, allow_pickle=args.allow_pickle)
    except Talk2ModelError as exc:
        print(f"talk2model app: {exc}")
        return 2
    demo.queue(default_concurrency_limit=4)
    _, url, _ = launch(demo, host=args.host, port=args.port, prevent_thread_lock=True, quiet=True)
    store = demo.talk2model_options.store
    print(f"talk2model: {url} (workspace {args.workspace}; audit store {store!r}) ready in "
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
