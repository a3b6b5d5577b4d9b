"""count: how many rows the selection has."""

from __future__ import annotations

from dataclasses import dataclass

from talk2model.ops.registry import Result, operation
from talk2model.verbalize import Reply, pct, says


@dataclass
class CountResult(Result):
    count: int
    total: int
    selection: str


@operation("count", description="How many rows match a description.",
           examples=("How many applicants are older than 50?", "How many women are in the data?"))
def count(ctx, step) -> CountResult:
    return CountResult(count=len(ctx.frame), total=len(ctx.workspace.data),
                       selection=ctx.selection_text)


@says(CountResult)
def say_count(r: CountResult, ctx) -> Reply:
    schema = ctx.schema
    noun = schema.entity if r.count == 1 else schema.entity_plural
    if ctx.is_whole_data:
        return Reply(f"There are {r.count:,} {noun} in the data.")
    if r.count == 0:
        return Reply(f"No {schema.entity_plural} match: {r.selection}.")
    return Reply(f"{r.count:,} of the {r.total:,} {schema.entity_plural} ({pct(r.count / r.total)}) "
                 f"match: {r.selection}.")
