"""Plain words for attributions: a person's value of a feature, compared with the data.

"a duration of 48 months, longer than most applicants judged good credit risk (median 18)"
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from talk2model.query.human import fmt_number
from talk2model.workspace.schema import plain_value, split_words

_MORE_LESS = {"years": ("older", "younger"), "months": ("longer", "shorter"),
              "days": ("longer", "shorter"), "weeks": ("longer", "shorter")}


def feature_label(schema, name: str) -> str:
    if name in schema.features:
        return schema.features[name].label
    return split_words(name)


def group_member_label(schema, group: str, member: str) -> str:
    """'loanpurposeNewCar' in group loan_purpose -> 'new car'."""
    members = list(schema.groups.get(group, ()))
    prefix = os.path.commonprefix(members) if len(members) > 1 else ""
    return split_words(member[len(prefix):] or member)


def group_value(schema, group: str, row: pd.Series) -> str | None:
    """The member of a one-hot group that is on for this row (None when none is)."""
    for member in schema.groups.get(group, ()):
        if member in row.index and row[member] == 1:
            return member
    return None


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def value_phrase(schema, feature: str, row: pd.Series) -> str:
    """'a duration of 48 months', "checking account 'little'", 'woman: no', 'loan purpose: new car'."""
    label = feature_label(schema, feature)
    if feature in schema.groups:
        member = group_value(schema, feature, row)
        return f"{label}: {group_member_label(schema, feature, member) if member else 'none of them'}"
    value = plain_value(row[feature])
    spec = schema.features.get(feature)
    if spec is not None and spec.kind == "flag":
        return f"{label}: {'yes' if value == 1 else 'no'}"
    if spec is not None and spec.kind == "numeric" and not isinstance(value, str):
        unit = f" {spec.unit}" if spec.unit else ""
        return f"{_article(label)} {label} of {fmt_number(value)}{unit}"
    return f"{label} '{value}'"


def person_value(schema, feature: str, row: pd.Series) -> Any:
    """The row's value of a feature for tables and JSON (a group's active member)."""
    if feature in schema.groups:
        member = group_value(schema, feature, row)
        return group_member_label(schema, feature, member) if member else None
    return plain_value(row[feature])


def compare(schema, feature: str, row: pd.Series, others: pd.DataFrame, others_text: str,
            same: pd.DataFrame | None = None, same_text: str = "") -> str:
    """How the row's value stands against `others` (rows judged the other way), or ''.
    Categories are compared by how common they are in `same` (judged like this row) and `others`."""
    if len(others) == 0:
        return ""
    spec = schema.features.get(feature)

    def shares(column: str, value) -> str:
        theirs = float((others[column] == value).mean())
        if same is None or len(same) == 0:
            return f"as for {theirs:.0%} of {others_text}"
        ours = float((same[column] == value).mean())
        return f"shared by {ours:.0%} of {same_text} and {theirs:.0%} of {others_text}"

    if feature in schema.groups:
        member = group_value(schema, feature, row)
        return shares(member, 1) if member is not None else ""
    value = row[feature]
    if spec is not None and spec.kind == "numeric" and not isinstance(plain_value(value), str):
        column = others[feature].dropna()
        if column.empty:
            return ""
        below, above = float((column < value).mean()), float((column > value).mean())
        more, less = _MORE_LESS.get(spec.unit, ("higher", "lower"))
        median = fmt_number(plain_value(column.median()))
        if below >= 0.7:
            return f"{more} than most {others_text} (median {median})"
        if above >= 0.7:
            return f"{less} than most {others_text} (median {median})"
        return f"close to the median for {others_text} ({median})"
    return shares(feature, value)


def space_text(space: str, schema, explained: Any) -> str:
    """'log-odds of good credit risk', 'probability of ...', 'prediction'."""
    if space == "prediction":
        return "predicted value"
    if explained is None:
        return f"{space} of each row's predicted class"
    return f"{space} of {schema.class_phrase(explained)}"
