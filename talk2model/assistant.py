"""The Python API: `Assistant(workspace).ask(question) -> Answer`. The CLI and the app are thin
layers over it.

    >>> from talk2model import Assistant
    >>> bot = Assistant("credit")
    >>> print(bot.ask("filter age > 50 then count").text)
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from talk2model.errors import OperationError, QueryError, Talk2ModelError
from talk2model.ops.registry import jsonable
from talk2model.parser import Parse, get_parser
from talk2model.parser.base import is_surely_formal, looks_like_query, parse_formal
from talk2model.query.ast import Query
from talk2model.query.human import describe_query
from talk2model.query.validate import validate
from talk2model.sanitize import clean_text, control_characters
from talk2model.state import Conversation
from talk2model.verbalize import AI_NOTICE, FigureSpec, Reply, say  # AI_NOTICE: re-exported for the app, CLI, tests
from talk2model.workspace import Workspace, load_workspace

log = logging.getLogger("talk2model.assistant")

EMPTY_QUESTION = "Ask me something about the model or its data — for example: {example}"
SELECTION_IDS_SHOWN = 10_000       # to_json lists the selected ids up to this many


@dataclass
class Answer:
    question: str
    text: str                                   # everything a person reads, "I understood" first
    body: str = ""                              # the answer without the reading
    reading: str | None = None                  # "the probability of ... for ..."
    query: Query | None = None
    replies: list[Reply] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)   # one per operation: {"op", "result"|"error"}
    error: str | None = None
    choices: list[Any] = field(default_factory=list)    # clarifying readings (parser.Choice)
    latency_ms: float = 0.0
    selection: str | None = None                # "Talking about: ..." after this turn
    selection_ids: list[Any] | None = None      # the rows the operations ran on (before any what-if)
    turn_id: int | None = None                  # the stored turn, when the assistant has a store

    @property
    def table(self):
        return next((r.table for r in self.replies if r.table is not None), None)

    @property
    def figure(self) -> FigureSpec | None:
        return next((r.figure for r in self.replies if r.figure is not None), None)

    @property
    def figures(self) -> list[FigureSpec]:
        return [r.figure for r in self.replies if r.figure is not None]

    @property
    def result(self) -> dict | None:
        ok = [r for r in self.results if "result" in r]
        if not ok:
            return None
        if len(self.results) == 1:
            return ok[0]["result"]
        merged: dict[str, Any] = {"results": self.results}
        for r in ok:
            merged.setdefault(r["op"], r["result"])
        return merged

    def to_json(self) -> dict:
        out: dict[str, Any] = {"text": self.text,
                               "query": self.query.to_json() if self.query else None,
                               "result": self.result}
        if self.reading:
            out["reading"] = self.reading
        if self.error:
            out["error"] = self.error
        if self.choices:
            out["choices"] = [{"label": c.label, "query": c.query.to_json()} for c in self.choices]
        if self.table is not None:
            out["table"] = jsonable(self.table)
        if self.selection_ids is not None:
            ids = self.selection_ids
            out["selection"] = {"text": self.selection, "size": len(ids),
                                "ids": jsonable(ids) if len(ids) <= SELECTION_IDS_SHOWN else None}
        return out

    def __str__(self) -> str:
        return self.text


class Assistant:
    """One conversation with one workspace. Not shared between users: make one per session.

    `store` records every turn; `cache` is where explanations (attributions) are cached: by
    default the store's own (`store.attribution_cache`, the same database as the turns), none
    without a store (computed attributions are then kept in memory only). Nothing is cached in a
    database the caller did not give."""

    def __init__(self, workspace: Workspace | str = "credit", *, store=None, session_id: str | None = None,
                 parser=None, user: str | None = None, cache=None) -> None:
        self.workspace = workspace if isinstance(workspace, Workspace) else load_workspace(workspace)
        self.state = Conversation()
        self._parser = parser
        self.store = store
        self.cache = cache if cache is not None else getattr(store, "attribution_cache", None)
        self.user = user                     # who is asking, recorded with every turn
        self.session_id = session_id
        if store is not None and session_id is None:
            self.session_id = store.new_session(self.workspace, user=user)

    @property
    def parser(self):
        if self._parser is None:
            self._parser = get_parser(self.workspace)
        return self._parser

    # ---- the one entry point --------------------------------------------------------------
    def ask(self, question: str) -> Answer:
        """Answer one question. Never raises: a bug becomes an answer that says so, and every
        turn, failed ones included, is recorded with its error."""
        return self._guarded(question, self._answer)

    def run(self, query: Query | dict | str, question: str | None = None) -> Answer:
        """Run a query given in the query language (AST, JSON dict/string, or text)."""
        def execute(_question: str) -> Answer:
            nonlocal query
            try:
                if isinstance(query, dict):
                    query = Query.from_json(query)
                elif isinstance(query, str):
                    query = parse_formal(query).query
                return self._execute(question or query.to_text(), query)
            except QueryError as exc:
                return self._failure(_question, f"I could not run that query: {exc}")

        shown = question if question is not None else (query if isinstance(query, str) else _query_text(query))
        return self._guarded(shown, execute, check=False)

    # ---- never raise, always record (kept apart from the conversation logic) ---------------
    def _guarded(self, question: Any, answer_fn, *, check: bool = True) -> Answer:
        started = time.perf_counter()
        question = clean_text(question) if isinstance(question, str) else ("" if question is None else str(question))
        problem = _question_problem(question) if check else None
        try:
            answer = self._failure(question, problem) if problem else answer_fn(question)
        except Exception as exc:  # a bug, not the person's mistake: say so, log it, record it
            log.exception("answering %r failed", question[:200])
            answer = self._failure(question, ERR_INTERNAL)
            answer.error = f"internal error: {type(exc).__name__}: {str(exc)[:500]}"
        answer.latency_ms = (time.perf_counter() - started) * 1000
        _clean_answer(answer)
        self._record(answer)
        return answer

    def _record(self, answer: Answer) -> None:
        if self.store is None:
            return
        try:
            answer.turn_id = self.store.record_turn(self.session_id, self.workspace, answer, user=self.user)
        except Exception:  # the answer still reaches the person; the operator sees why in the log
            log.exception("could not store the turn for %r", answer.question[:200])

    def parse(self, question: str) -> Parse:
        question = question.strip()
        # "show" or "explain" alone mid-conversation is a word of the chat about the person or group
        # being discussed, not the query about everyone: the reader takes it with the conversation
        chat_word = " " not in question and bool(self.state.current_ids)
        if looks_like_query(question) and not chat_word:
            try:
                return parse_formal(question)
            except QueryError as exc:
                if is_surely_formal(question):  # a broken query gets the query's error, not a guess
                    return Parse(message=f"I could not read that query: {exc}", source="text")
        return self.parser.parse(question, self.state)

    # ---- internals ------------------------------------------------------------------------
    def _answer(self, question: str) -> Answer:
        if not question or not question.strip():
            example = (self.workspace.schema.examples or ("What can you do?",))[0]
            return self._failure(question, EMPTY_QUESTION.format(example=example))
        try:
            parsed = self.parse(question)
        except Talk2ModelError as exc:
            return self._failure(question, str(exc))
        if parsed.query is None:
            answer = self._failure(question, parsed.message or "I did not understand that.")
            answer.choices = parsed.choices
            return answer
        return self._execute(question, parsed.query)

    def _failure(self, question: str, message: str) -> Answer:
        return Answer(question=question, text=message, body=message, error=message)

    def _execute(self, question: str, query: Query) -> Answer:
        from talk2model.engine import resolve, run_query

        schema = self.workspace.schema
        try:
            query = validate(query, schema)
        except QueryError as exc:
            message = f"I could not use that question with this data: {exc}."
            return Answer(question=question, text=message, body=message, error=str(exc), query=query)
        reading = describe_query(resolve(query, self.state), schema, self.state.last_selection_text)
        before = self.state.current_ids          # "tell me more" is about what the last answer was about
        try:
            run = run_query(self.workspace, query, self.state, cache=self.cache)
        except (OperationError, QueryError) as exc:
            body = _sentence(str(exc))
            return Answer(question=question, text=f"I understood: {reading}.\n\n{body}", body=body,
                          reading=reading, query=query, error=str(exc))
        self._note_speaker(question, query)
        replies: list[Reply] = []
        results: list[dict] = []
        errors: list[str] = []
        for outcome in run.outcomes:
            if outcome.error is not None:
                replies.append(Reply(_sentence(outcome.error)))
                results.append({"op": outcome.step.op, "error": outcome.error})
                errors.append(outcome.error)
            else:
                replies.append(say(outcome.result, run.context))
                results.append({"op": outcome.step.op, "result": outcome.result.to_json()})
        more = [r.more for r in replies if r.more is not None]
        self.state.followup = more[0] if more else None
        if not replies:
            n = len(run.context.frame)
            replies.append(Reply(f"Selected {run.context.described()}. Ask what you would like to know "
                                 f"about {'them' if n != 1 else 'this ' + schema.entity}."))
        for text in reversed(run.context.notes):     # about the selection: said once, first
            replies.insert(0, Reply(text))
        note = self._presupposition_note(question, query, run)
        if note:
            replies.insert(0, Reply(note))
        body = "\n\n".join(r.text for r in replies)
        return Answer(question=question, text=f"I understood: {reading}.\n\n{body}", body=body,
                      reading=reading, query=query, replies=replies, results=results,
                      error="; ".join(errors) if errors else None,
                      selection=self.selection_text, selection_ids=_ran_on(query, run, before))

    def _note_speaker(self, question: str, query: Query) -> None:
        """'I'm applicant 10, why was I denied?': the asker's own row, kept for the conversation so
        that a later 'what if my savings were higher?' is about them."""
        from talk2model.parser.constraints import speaks_of_self
        from talk2model.parser.normalize import tokenize
        from talk2model.query import ast as q

        filters = [s for s in query.steps if isinstance(s, q.Filter)]
        if len(filters) == 1 and isinstance(filters[0].where, q.Cmp) and filters[0].where.feature == "id" \
                and filters[0].where.cmp == "==" and speaks_of_self(tokenize(question)):
            self.state.speaker_ids = [filters[0].where.value]

    def _presupposition_note(self, question: str, query: Query, run) -> str | None:
        """'Why was applicant 12 denied?' when the model approves applicant 12: say so first."""
        from talk2model.parser.presupposition import mentioned_class
        from talk2model.query import ast as q

        ops = {type(s) for s in query.steps}
        if len(run.context.frame) != 1 or run.context.whatifs or not ops & {q.Explain, q.Counterfactual}:
            return None
        if any(isinstance(s, q.Filter) and any(isinstance(c, q.Cmp) and c.feature in ("prediction", "label")
                                                for c in q.conjuncts(s.where)) for s in query.steps):
            return None
        named = mentioned_class(question, self.workspace.schema)
        if named is None:
            return None
        predicted = run.context.predictions().iloc[0]
        schema = self.workspace.schema
        who = run.context.described()
        if q.Counterfactual in ops and q.Explain not in ops and predicted == named:
            return (f"Note: the model already predicts {schema.class_phrase(predicted)} for {who}; "
                    f"below is what would change that.")
        if q.Explain in ops and predicted != named:
            return (f"Note: the model does not predict {schema.class_phrase(named)} for {who}: it predicts "
                    f"{schema.class_phrase(predicted)}. Here is why it predicts that.")
        return None

    @property
    def selection_text(self) -> str | None:
        """Whom the last answer was about: "Talking about" always agrees with the answer."""
        schema = self.workspace.schema
        if self.state.current_ids is None:
            return f"all {len(self.workspace.data):,} {schema.entity_plural}" if self.state.last_steps else None
        n = len(self.state.current_ids)
        return f"{self.state.current_text} ({n:,} {schema.entity if n == 1 else schema.entity_plural})"

    def clear_selection(self) -> None:
        self.state.clear_selection()


# ---- input limits and clean output for `ask` (see talk2model.sanitize) -------------------------
MAX_QUESTION_CHARS = 4_000
ERR_TOO_LONG = ("That question is {n:,} characters long; I read questions of up to {limit:,} "
                "characters. Ask a shorter one.")
ERR_CONTROL = ("Your question contains control characters ({codes}), which I do not read. "
               "Remove them and ask again.")
ERR_INTERNAL = ("Sorry, answering that failed with an internal error. It has been logged; try "
                "asking in other words.")


def _question_problem(question: str) -> str | None:
    if len(question) > MAX_QUESTION_CHARS:
        return ERR_TOO_LONG.format(n=len(question), limit=MAX_QUESTION_CHARS)
    codes = control_characters(question)
    if codes:
        return ERR_CONTROL.format(codes=", ".join(codes))
    return None


def _clean_answer(answer: Answer) -> None:
    """Lone surrogates out of every text an answer carries to the store and the wire."""
    for name in ("question", "text", "body", "reading", "error", "selection"):
        value = getattr(answer, name)
        if isinstance(value, str):
            setattr(answer, name, clean_text(value))
    for reply in answer.replies:
        reply.text = clean_text(reply.text)


def _query_text(query: Any) -> str:
    """The question a `run` turn is recorded under: the query as text or JSON (cut short)."""
    from talk2model.query import limits

    if isinstance(query, (dict, list)) and limits.object_depth(query) > limits.MAX_JSON_DEPTH:
        return f"(a JSON query nested more than {limits.MAX_DEPTH} deep)"
    try:
        return query.to_text() if isinstance(query, Query) else json.dumps(query, default=str)[:2000]
    except Exception:  # a query that cannot be printed still gets an answer
        return f"(a query of type {type(query).__name__} that cannot be printed)"


def _ran_on(query: Query, run, before: list | None) -> list:
    """The rows an answer is about: the selection its operations ran on (before any what-if; the
    group as chosen when a what-if left some of it out); for "tell me more" alone, the rows of the
    answer it continues."""
    if all(step.op == "followup" for step in query.steps):
        return list(before) if before is not None else list(run.context.workspace.data.index)
    ctx = run.context
    return list(ctx.selected if ctx.selected is not None else ctx.original.index)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
