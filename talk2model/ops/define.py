"""define: what a feature means, its type, unit and values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from talk2model.ops.registry import Result, operation
from talk2model.verbalize import Reply, says


@dataclass
class DefineResult(Result):
    feature: str
    kind: str
    description: str
    unit: str
    synonyms: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    range: list[float] | None = None
    sensitive: bool = False
    immutable: bool = False


@operation("define", description="What a feature means.",
           examples=("What does LoanRateAsPercentOfIncome mean?", "What is the diabetes pedigree function?"))
def define(ctx, step) -> DefineResult:
    schema = ctx.schema
    f = schema.features[step.feature]
    return DefineResult(feature=f.name, kind=f.kind, description=f.description, unit=f.unit,
                        synonyms=list(f.synonyms), values=list(f.values),
                        range=list(f.range) if f.range else None,
                        sensitive=f.name in schema.sensitive, immutable=f.name in schema.immutable)


@says(DefineResult)
def say_define(r: DefineResult, ctx) -> Reply:
    what = r.description or f"'{r.feature}' ({ctx.schema.features[r.feature].words})"
    text = f"{r.feature}: {what[:1].upper() + what[1:]}."
    if r.kind == "numeric" and r.range:
        unit = f" {r.unit}" if r.unit else ""
        text += f" It is a number, from {r.range[0]:g} to {r.range[1]:g}{unit} in the data."
    elif r.kind == "flag":
        text += " It is a yes/no flag (1 = yes, 0 = no)."
    else:
        text += f" Its values are: {', '.join(map(str, r.values))}."
    if r.sensitive:
        text += " It is a sensitive attribute."
    if r.immutable:
        text += " It is treated as something a person cannot change."
    return Reply(text)
