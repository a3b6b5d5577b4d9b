"""Run a validated query over a workspace, step by step, for one conversation.

Steps run in order over this turn's selection (the whole data unless a step narrows it):
`filter` narrows, `previous_filter` starts from the last turn's selection, `whatif` changes a
copy of the selected rows, and every other step is an operation from the registry that returns a
typed result. The workspace's data is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import OperationError, QueryError
from talk2model.formatting import fmt_number, plain
from talk2model.ops.registry import Result, load_all
from talk2model.query import ast as q
from talk2model.query.human import describe_selection, describe_whatif
from talk2model.query.whatif import apply_whatif, complementary_flags, whatif_notes  # noqa: F401
from talk2model.state import Conversation
from talk2model.workspace import Workspace

ERR_NO_PREVIOUS = "there is no earlier selection to refer to yet; ask about a group first"
ERR_NO_REPEAT = "there is no earlier question to repeat yet"
ERR_NO_FOLLOWUP = "there is nothing more to show about the last answer"
ERR_IMPOSSIBLE = ("{change}, the {label} would be {value} for {who}: there is no such {entity} — the "
                  "{side} possible {label} is {bound}")
MSG_IMPOSSIBLE_SOME = ("Note: {change}, the {label} of {k:,} of the {n:,} {entities} would fall {where} "
                       "{bound}, the {side} possible; there are no such {entities}, so they are left out "
                       "({rest:,} remain).")
MSG_SAMPLE = ("Note: the data has {total:,} {entities}, too many to hold in memory, so this answer uses a "
              "random sample of {n:,} of them ({share}); figures about the whole data would differ a little.")
PINNED_IDS = 1000   # a condition naming at most this many ids reads those rows from the source
ROWLESS_OPS = ("capabilities", "define", "followup")   # answers that read no rows: no sample to mention
MSG_MISSING_VALUE = ("Note: '{value}' is how the data marks a missing {label}, not a value anyone has; "
                     "the answer is what the model does with a record that has this gap.")

SHAPING = (q.Filter, q.PreviousFilter, q.WhatIf)
# What an image workspace answers; the other operations are about a table's features.
IMAGE_OPS = ("predict", "likelihood", "explain", "importance", "score", "mistakes", "confusion",
             "faithfulness", "labels", "count", "show", "statistic", "describe_data", "describe_model",
             "capabilities", "adversarial", "influence", "visualize_class", "concepts", "embedding",
             "repeat", "followup")
ERR_TABLE_ONLY = ("'{op}' works with a table's features; about images I answer: " + ", ".join(IMAGE_OPS[:-2]))


@dataclass
class Context:
    """What an operation sees: the workspace, the selected rows (after any what-if), and state."""

    workspace: Workspace
    state: Conversation
    frame: pd.DataFrame                      # selected rows; what-if changes applied
    original: pd.DataFrame                   # the same rows before any what-if
    where: q.Expr | None = None
    base_text: str | None = None             # "the same applicants as before", when referenced
    whatifs: list[q.WhatIf] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # about the selection, said once per answer
    # what counts and shares are given against: the rows before the last filter of this turn (the
    # previous selection after `previous_filter`, else the whole data), and that filter
    base: pd.DataFrame | None = None
    base_where: q.Expr | None = None
    base_previous: str | None = None
    last_filter: q.Expr | None = None
    # the conditions of the rows `previous_filter` took: the conversation remembers them with this
    # turn's own (`where` stays this turn's, for the selection's words)
    inherited: q.Expr | None = None
    # the database cache of attributions this turn reads and fills (the Assistant's; None: memory only)
    cache: Any = None
    # a sampled workspace (data bigger than memory): whether this turn's rows were read by id
    # from the source (then they are the real rows, not a sample), and how many operations
    # answered over every row themselves (count through Dask)
    fetched: bool = False
    exact_ops: int = 0
    # the rows the turn selected, when a what-if then left some out (no such person could have the
    # changed value): the conversation goes on about the group as chosen, not the rows that remained
    selected: pd.Index | None = None
    _pred: pd.Series | None = None
    _proba: pd.DataFrame | None = None

    @property
    def schema(self):
        return self.workspace.schema

    @property
    def model(self):
        return self.workspace.model

    @property
    def selection_text(self) -> str:
        text = describe_selection(self.schema, self.where, self.base_text)
        if self.whatifs:
            text += ", " + " and ".join(describe_whatif(self.schema, w) for w in self.whatifs)
        return text

    def described(self) -> str:
        """'applicant 12', 'all 1,000 applicants', 'the 113 applicants where age is above 50'."""
        n = len(self.frame)
        text = self.selection_text
        if self.where is None and self.base_text is None:
            text = f"all {n:,} {self.schema.entity_plural}"
            if self.whatifs:
                text += ", " + " and ".join(describe_whatif(self.schema, w) for w in self.whatifs)
            return text
        parts = q.conjuncts(self.where)
        if len(parts) == 1 and isinstance(parts[0], q.Cmp) and parts[0].feature == "id" \
                and parts[0].cmp == "==" and self.base_text is None:
            return text
        if text.startswith(self.schema.entity_plural):
            return f"the {n:,} {text}"
        return f"{text} ({n:,} {self.schema.entity if n == 1 else self.schema.entity_plural})"

    def base_described(self) -> str:
        """The rows counts are given against: 'the 1,000 applicants', 'the 45 applicants where age is
        above 60 years' (the previous selection, or the rows before this turn's last filter)."""
        base = self.workspace.data if self.base is None else self.base
        n = len(base)
        if self.base_where is None and self.base_previous is None:
            return f"the {n:,} {self.schema.entity_plural}"
        text = describe_selection(self.schema, self.base_where, self.base_previous)
        return f"the {n:,} {text.removeprefix('all ')}" if text.startswith(self.schema.entity_plural) or \
            text.startswith("all ") else f"{text} ({n:,} {self.schema.entity_plural})"

    @property
    def is_whole_data(self) -> bool:
        return self.where is None and self.base_text is None

    @property
    def single_id(self) -> Any | None:
        return self.frame.index[0] if len(self.frame) == 1 else None

    def predictions(self) -> pd.Series:
        if self._pred is None:
            if self.whatifs:
                self._pred = self.workspace.predictions(self.frame)
            else:
                self._pred = self.workspace.predictions_of(self.frame)
        return self._pred

    def probabilities(self) -> pd.DataFrame:
        if self._proba is None:
            if self.whatifs:
                self._proba = self.workspace.probabilities(self.frame)
            else:
                self._proba = self.workspace.probabilities_of(self.frame)
        return self._proba

    def original_predictions(self) -> pd.Series:
        return self.workspace.predictions_of(self.original)

    def original_probabilities(self) -> pd.DataFrame:
        return self.workspace.probabilities_of(self.original)

    @property
    def labels(self) -> pd.Series:
        return self.frame[self.schema.target]

    def rows_where(self, expr: q.Expr) -> pd.DataFrame:
        """The workspace's rows (all of them, not only the selection) that meet a condition: how an
        operation reads a set of rows named in its own step (concepts where ...)."""
        data = self.workspace.data
        return data[mask(expr, data, self)]

    def require_rows(self) -> None:
        if len(self.frame) > 0:
            return
        ids = [c for c in q.conjuncts(self.where) if isinstance(c, q.Cmp) and c.feature == "id"]
        if ids and ids[0].cmp == "==" and ids[0].value not in self.workspace.data.index:
            index = self.workspace.data.index
            raise OperationError(
                f"there is no {self.schema.entity} {ids[0].value} in the data "
                f"(ids run from {index.min()} to {index.max()}, {len(index):,} in all)")
        raise OperationError(f"no {self.schema.entity_plural} match: {self.selection_text}")


def mask(expr: q.Expr, frame: pd.DataFrame, ctx: Context) -> pd.Series:
    if isinstance(expr, q.And):
        out = pd.Series(True, index=frame.index)
        for item in expr.items:
            out &= mask(item, frame, ctx)
        return out
    if isinstance(expr, q.Or):
        out = pd.Series(False, index=frame.index)
        for item in expr.items:
            out |= mask(item, frame, ctx)
        return out
    if isinstance(expr, q.Not):
        return ~mask(expr.item, frame, ctx)
    if expr.feature == "id":
        column = pd.Series(frame.index, index=frame.index)
    elif expr.feature == "label":
        column = frame[ctx.schema.target]
    elif expr.feature == "prediction":
        column = _predictions_for(frame, ctx)
    elif expr.feature == "confidence":
        column = _confidence_for(frame, ctx)
    else:
        column = frame[expr.feature]
    value = expr.value
    ops = {"==": column.eq, "!=": column.ne, ">": column.gt, ">=": column.ge, "<": column.lt,
           "<=": column.le}
    try:
        result = ops[expr.cmp](value)
    except TypeError:
        raise QueryError(f"cannot compare {expr.feature} with {value!r}") from None
    return result.fillna(False).astype(bool)


def _confidence_for(frame: pd.DataFrame, ctx: Context) -> pd.Series:
    """The model's probability of its predicted class, per row."""
    if not ctx.model.has_proba:
        raise QueryError("this model gives no probabilities, so it has no confidence to filter on")
    proba = ctx.workspace.probabilities(frame) if ctx.whatifs else ctx.workspace.probabilities_of(frame)
    return proba.max(axis=1)


def _predictions_for(frame: pd.DataFrame, ctx: Context) -> pd.Series:
    if ctx.whatifs:
        return ctx.workspace.predictions(frame)
    return ctx.workspace.predictions().loc[frame.index]


def _keep_possible(ctx: Context, step: q.WhatIf) -> None:
    """Rows a what-if takes outside the values the feature can take at all (`Feature.lowest` /
    `highest`: "3 fewer priors" for someone with 1) are not real people: the answer says so, and
    they are left out; when that is every row, the question gets a clear answer instead."""
    schema = ctx.schema
    spec = schema.features.get(step.feature)
    if spec is None:
        return
    if step.action == "set" and spec.kind == "categorical" and step.value in spec.missing_values:
        ctx.notes.append(MSG_MISSING_VALUE.format(value=str(step.value).replace("_", " "), label=spec.label))
    if spec.kind != "numeric" or (spec.lowest is None and spec.highest is None) or not len(ctx.frame):
        return
    values = pd.to_numeric(ctx.frame[step.feature], errors="coerce")
    low = values < spec.lowest if spec.lowest is not None else pd.Series(False, index=values.index)
    high = values > spec.highest if spec.highest is not None else pd.Series(False, index=values.index)
    bad = (low | high).to_numpy()
    if not bad.any():
        return
    side, bound = ("lowest", spec.lowest) if low.any() else ("highest", spec.highest)
    change = describe_whatif(schema, step)
    if bad.all():
        example = values[low if low.any() else high].iloc[0]
        chosen = describe_selection(schema, ctx.where, ctx.base_text)
        who = chosen if len(ctx.frame) == 1 else f"every one of the {len(ctx.frame):,} {chosen.removeprefix('all ')}"
        raise OperationError(ERR_IMPOSSIBLE.format(
            change=change[:1].upper() + change[1:], label=spec.label, value=fmt_number(plain(example)),
            who=who, entity=schema.entity, side=side, bound=fmt_number(plain(bound))))
    ctx.notes.append(MSG_IMPOSSIBLE_SOME.format(
        k=int(bad.sum()), n=len(bad), entities=schema.entity_plural, change=change,
        label=spec.label, where="below" if side == "lowest" else "above", bound=fmt_number(plain(bound)),
        side=side, rest=int((~bad).sum())))
    if ctx.selected is None:
        ctx.selected = ctx.original.index
    ctx.frame = ctx.frame[~bad]
    ctx.original = ctx.original.loc[ctx.frame.index]


@dataclass
class StepOutcome:
    step: q.Step
    result: Result | None = None
    error: str | None = None


@dataclass
class Run:
    query: q.Query
    outcomes: list[StepOutcome]
    context: Context


def resolve(query: q.Query, state: Conversation) -> q.Query:
    """The query as it will run: "what if they were 20?" (whatif + repeat, no selection of its
    own) keeps talking about the last selection."""
    steps = list(query.steps)
    has_selection_step = any(isinstance(s, (q.Filter, q.PreviousFilter)) for s in steps)
    if any(isinstance(s, q.Repeat) for s in steps) and not has_selection_step and state.last_ids is not None:
        steps.insert(0, q.PreviousFilter())
    return q.Query(tuple(steps))


def run_query(workspace: Workspace, query: q.Query, state: Conversation, *, cache: Any = None) -> Run:
    """Run a query's steps; `cache` is the attribution cache the operations use (the caller's)."""
    registry = load_all()
    data = workspace.data
    steps = list(resolve(query, state).steps)
    ctx = Context(workspace=workspace, state=state, frame=data, original=data, cache=cache)
    outcomes: list[StepOutcome] = []
    for step in steps:
        if isinstance(step, q.PreviousFilter):
            if state.last_ids is None:
                raise OperationError(ERR_NO_PREVIOUS)
            ids = [i for i in state.last_ids if i in data.index]
            ctx.frame = ctx.original = data.loc[ids]
            ctx.where, ctx.base_text = None, state.last_selection_text
            ctx.inherited = state.last_where
            ctx._pred = ctx._proba = None
            ctx.base, ctx.base_where, ctx.base_previous, ctx.last_filter = None, None, None, None
        elif isinstance(step, q.Filter):
            ctx.base, ctx.base_where, ctx.base_previous = ctx.frame, ctx.where, ctx.base_text
            ctx.last_filter = step.where
            ids = pinned_ids(step.where)
            if workspace.sampled and ctx.frame is data and ids is not None and len(ids) <= PINNED_IDS:
                # rows named by id: read them from the source, not only from the sample
                ctx.frame = ctx.original = workspace.fetch(ids)
                ctx.fetched = True
            keep = mask(step.where, ctx.frame, ctx)
            ctx.frame = ctx.frame[keep]
            ctx.original = ctx.original.loc[ctx.frame.index]
            ctx.where = q.and_all([e for e in (ctx.where, step.where) if e is not None])
            ctx._pred = ctx._proba = None
        elif isinstance(step, q.WhatIf):
            ctx.frame = apply_whatif(ctx.frame, step, workspace.schema, data)
            ctx.whatifs.append(step)
            ctx._pred = ctx._proba = None
            _keep_possible(ctx, step)
        elif isinstance(step, q.Repeat):
            if not state.last_ops:
                raise OperationError(ERR_NO_REPEAT)
            for previous in state.last_ops:
                outcomes.append(_run_op(registry, previous, ctx))
        elif isinstance(step, q.Followup):
            outcomes.append(_run_op(registry, step, ctx))
        else:
            outcomes.append(_run_op(registry, step, ctx))
    reading = [o for o in outcomes if o.step.op not in ROWLESS_OPS]
    if workspace.sampled and not ctx.fetched and ctx.exact_ops < len(reading):
        ctx.notes.insert(0, MSG_SAMPLE.format(total=workspace.rows_in_source, n=len(data),
                                              entities=workspace.schema.entity_plural,
                                              share=f"{100 * len(data) / workspace.rows_in_source:.1f}%"))
    _remember(state, steps, ctx, outcomes)
    return Run(query=query, outcomes=outcomes, context=ctx)


def pinned_ids(expr: q.Expr) -> list | None:
    """The ids a condition limits rows to (`id == 12`, `id == 3 or id == 9`, `... and id == 12`),
    or None when it does not pin them."""
    if isinstance(expr, q.Cmp):
        return [expr.value] if expr.feature == "id" and expr.cmp == "==" else None
    if isinstance(expr, q.Or):
        parts = [pinned_ids(i) for i in expr.items]
        return None if any(p is None for p in parts) else list(dict.fromkeys(v for p in parts for v in p))
    if isinstance(expr, q.And):
        for item in expr.items:
            found = pinned_ids(item)
            if found is not None:
                return found
    return None


def _run_op(registry, step: q.Step, ctx: Context) -> StepOutcome:
    if ctx.workspace.kind == "image" and step.op not in IMAGE_OPS:
        return StepOutcome(step, error=ERR_TABLE_ONLY.format(op=step.op))
    operation = registry.get(step.op)
    if operation is None:
        return StepOutcome(step, error=f"'{step.op}' is not available in this version yet")
    try:
        return StepOutcome(step, result=operation.run(ctx, step))
    except OperationError as exc:
        return StepOutcome(step, error=str(exc))


def _remember(state: Conversation, steps: list[q.Step], ctx: Context, outcomes: list[StepOutcome]) -> None:
    selected = any(isinstance(s, (q.Filter, q.PreviousFilter)) for s in steps)
    chosen = list(ctx.selected if ctx.selected is not None else ctx.frame.index)
    if selected:
        state.last_ids = chosen
        state.last_where = q.and_all([e for e in (ctx.inherited, ctx.where) if e is not None]) or None
        if state.last_where is not None:
            state.past_wheres = (state.past_wheres + [state.last_where])[-12:]
        state.last_selection_text = describe_selection(ctx.schema, ctx.where, ctx.base_text)
    ops = tuple(o.step for o in outcomes if not isinstance(o.step, (q.Followup,)))
    if ops:
        state.last_ops = ops
        state.last_whatifs = tuple(ctx.whatifs)
        # what this turn was about: the person or group it selected, or everyone; a turn that reads
        # no rows ("what does 'job' mean?") leaves the person or group being discussed as it was
        if selected or not all(o.step.op in ROWLESS_OPS for o in outcomes):
            state.current_ids = chosen if selected else None
            state.current_text = state.last_selection_text if selected else None
        state.last_steps = tuple(ctx.whatifs) + ops
    state.turns += 1
