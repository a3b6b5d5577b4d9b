"""What a what-if step does to rows, shared by the engine and the operations (below both).

`apply_whatif` changes a copy of the rows (a one-hot group keeps one member set, a flag's exact
complement follows it); `complementary_flags` finds such complements in the data; `whatif_notes`
says when a changed value lies outside the range the data has.
"""

from __future__ import annotations

import pandas as pd

from talk2model.formatting import fmt_number, plain
from talk2model.query import ast as q


def apply_whatif(frame: pd.DataFrame, step: q.WhatIf, schema, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """A changed copy of `frame`; the original is untouched.

    Setting a member of a one-hot group (schema.groups) to 1 clears the other members, and setting
    a flag also sets its complement when `data` shows the two always add up to 1 (compas's
    woman/man), so the changed rows stay rows the data could hold.
    """
    out = frame.copy()
    column = out[step.feature]
    if step.action == "set":
        out[step.feature] = _like(column, step.value)
        spec = schema.features.get(step.feature)
        if spec is not None and spec.kind == "flag":
            for group in schema.groups.values():
                if step.feature in group and step.value == 1:
                    for other in group:
                        if other != step.feature and other in out:
                            out[other] = _like(out[other], 0)
            for other in complementary_flags(step.feature, schema, data):
                out[other] = _like(out[other], 1 - step.value)
    else:
        delta = step.value if step.action == "increase" else -step.value
        out[step.feature] = column + delta
    return out


def _like(column: pd.Series, value):
    """`value` in the column's own number type (1 -> 1.0 for a float flag column)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and pd.api.types.is_float_dtype(column):
        return float(value)
    return value


def complementary_flags(feature: str, schema, data: pd.DataFrame | None) -> list[str]:
    """Other flag columns that are 1 exactly when `feature` is 0 in every row of `data`."""
    if data is None or feature not in data or schema.features[feature].kind != "flag":
        return []
    base = data[feature]
    return [name for name, spec in schema.features.items()
            if name != feature and spec.kind == "flag" and name in data
            and bool(((base + data[name]) == 1).all())]


def whatif_notes(whatifs, schema, data: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """Plain warnings for what-if values outside the range seen in `data`, over the changed rows
    `frame` ("no applicant in the data is older than 75")."""
    notes: list[str] = []
    for step in whatifs:
        spec = schema.features.get(step.feature)
        if spec is None or spec.kind != "numeric" or step.feature not in frame:
            continue
        values = pd.to_numeric(frame[step.feature], errors="coerce")
        low, high = data[step.feature].min(), data[step.feature].max()
        label = spec.label
        unit = f" {spec.unit}" if spec.unit else ""
        is_age = "age" in {step.feature.lower(), label.lower()}
        if (values > high).any():
            high_text = fmt_number(plain(high))
            notes.append(f"no {schema.entity} in the data is older than {high_text}" if is_age else
                         f"no {schema.entity} in the data has a {label} above {high_text}{unit}")
        if (values < low).any():
            low_text = fmt_number(plain(low))
            notes.append(f"no {schema.entity} in the data is younger than {low_text}" if is_age else
                         f"no {schema.entity} in the data has a {label} below {low_text}{unit}")
    return list(dict.fromkeys(notes))
