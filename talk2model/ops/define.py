"""define: what a feature means, its type, unit and values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, says


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
    actionable: bool = True
    direction: str | None = None
    missing_values: list[Any] = field(default_factory=list)
    lowest: float | None = None
    highest: float | None = None
    meanings: dict[str, str] = field(default_factory=dict)   # coded values: "2" -> "skilled"


@operation("define", description="What a feature means.",
           examples=("What does LoanRateAsPercentOfIncome mean?", "What is the diabetes pedigree function?"))
def define(ctx, step) -> DefineResult:
    schema = ctx.schema
    f = schema.features[step.feature]
    return DefineResult(feature=f.name, kind=f.kind, description=f.description, unit=f.unit,
                        synonyms=list(f.synonyms), values=list(f.values),
                        range=list(f.range) if f.range else None,
                        sensitive=f.name in schema.sensitive, immutable=f.name in schema.immutable,
                        actionable=f.actionable, direction=f.direction, missing_values=list(f.missing_values),
                        lowest=f.lowest if f.kind == "numeric" else None,
                        highest=f.highest if f.kind == "numeric" else None,
                        meanings={fmt_number(k): v[0] for k, v in f.value_phrases.items()
                                  if f.kind == "numeric" and v})


@says(DefineResult)
def say_define(r: DefineResult, ctx) -> Reply:
    what = r.description or f"'{r.feature}' ({ctx.schema.features[r.feature].words})"
    text = f"{r.feature}: {what[:1].upper() + what[1:]}."
    if r.kind == "numeric" and r.range:
        unit = f" {r.unit}" if r.unit else ""
        text += f" It is a number, from {fmt_number(r.range[0])} to {fmt_number(r.range[1])}{unit} in the data"
        bounds = [f"at least {fmt_number(r.lowest)}" if r.lowest is not None else "",
                  f"at most {fmt_number(r.highest)}" if r.highest is not None else ""]
        bounds = [b for b in bounds if b]
        text += f"; it can only be {' and '.join(bounds)}." if bounds else "."
        if r.meanings:
            text += " Its values are codes: " + ", ".join(f"{k} = {v}" for k, v in r.meanings.items()) + "."
    elif r.kind == "flag":
        text += " It is a yes/no flag (1 = yes, 0 = no)."
    else:
        text += f" Its values are: {', '.join(map(str, r.values))}."
    if r.sensitive:
        text += " It is a sensitive attribute."
    if r.immutable or not r.actionable:
        text += " It is treated as something a person cannot change."
    if r.direction:
        text += f" It can only {r.direction}."
    if r.missing_values:
        codes = ", ".join(f"'{str(v).replace('_', ' ')}'" for v in r.missing_values)
        text += f" {codes} marks a missing value, never suggested as a change."
    return Reply(text)
