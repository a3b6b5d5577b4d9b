"""count: how many rows the selection has, against the rows the question is about: the previous
selection when "those" is narrowed further (`previous_filter then filter ...`), the rows before this
turn's last filter otherwise ("8 of the 45 applicants over 60, 17.8%"), the whole data when there is
no other (a single filter, or "those" again on its own)."""

from __future__ import annotations

from dataclasses import dataclass

from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, pct, says
from talk2model.query.human import describe_expr


@dataclass
class CountResult(Result):
    count: int
    total: int                 # the rows the count is given against (see the module's docstring)
    selection: str
    of: str = ""               # those rows in words: "the 45 applicants where age is above 60 years"
    condition: str = ""        # what the counted rows have that the others lack
    whole: int = 0             # rows in the whole data
    over_all: bool = False     # data bigger than memory: counted over every row with Dask, not the sample


@operation("count", description="How many rows match a description.",
           examples=("How many applicants are older than 50?", "How many women are in the data?"))
def count(ctx, step) -> CountResult:
    exact = _count_everything(ctx)
    if exact is not None:
        return exact
    base = ctx.workspace.data if ctx.base is None else ctx.base
    condition = describe_expr(ctx.last_filter, ctx.schema) if ctx.last_filter is not None else ctx.selection_text
    return CountResult(count=len(ctx.frame), total=len(base), selection=ctx.selection_text,
                       of=ctx.base_described(), condition=condition, whole=len(ctx.workspace.data))


def _count_everything(ctx) -> CountResult | None:
    """On a workspace that holds a sample of a bigger source: a count over all its rows (Dask,
    talk2model.scale), when the selection is the whole data or one filter that needs no model."""
    ws = ctx.workspace
    if not ws.sampled or ctx.whatifs or ctx.fetched or ctx.base_text is not None or ctx.base_where is not None:
        return None
    from talk2model.scale.where import count_where

    n = count_where(ws, ctx.where)
    if n is None:
        return None
    ctx.exact_ops += 1
    total = ws.rows_in_source
    condition = describe_expr(ctx.last_filter, ctx.schema) if ctx.last_filter is not None else ctx.selection_text
    return CountResult(count=n, total=total, selection=ctx.selection_text,
                       of=f"the {total:,} {ctx.schema.entity_plural}", condition=condition, whole=total,
                       over_all=True)


@says(CountResult)
def say_count(r: CountResult, ctx) -> Reply:
    schema = ctx.schema
    noun = schema.entity if r.count == 1 else schema.entity_plural
    every = f" (counted over all {r.whole:,} rows of the source, not a sample)" if r.over_all else ""
    if ctx.is_whole_data:
        return Reply(f"There are {r.count:,} {noun} in the data{every}.")
    if ctx.last_filter is None:        # "those" again, with nothing more: the selection in the data
        return Reply(f"{r.count:,} of the {r.whole:,} {schema.entity_plural} ({pct(r.count / r.whole)}) are "
                     f"in that selection: {r.selection}.")
    if r.count == 0:
        return Reply(f"None of {r.of} match: {r.condition}{every}.")
    return Reply(f"{r.count:,} of {r.of} ({pct(r.count / r.total)}) match: {r.condition}{every}.")
