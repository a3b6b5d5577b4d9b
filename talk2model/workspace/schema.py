"""The schema of a workspace: what each column means and how people talk about it.

A schema is read from the `[schema]` part of a workspace TOML file; whatever the file leaves
out is inferred from the data (types, ranges, categorical values). Everything is frozen:
a schema never changes while a conversation runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError
from talk2model.formatting import plain as plain_value

FeatureKind = Literal["numeric", "categorical", "flag"]
Task = Literal["classification", "regression"]

# User-facing error texts (asserted exactly by the tests).
ERR_UNKNOWN_TYPE = "feature '{name}': type '{kind}' is not one of numeric, categorical, flag"
ERR_NOT_A_COLUMN = "{field} names '{name}', which is not a column of the data (its columns: {columns}){hint}"
ERR_TARGET_MISSING = (
    "set [schema] target to the column that holds the outcome: '{target}' is not a column of "
    "the data{hint}"
)
ERR_BAD_TASK = "[schema] task must be 'classification' or 'regression', not '{task}'"
ERR_FAVOURABLE = (
    "[schema] favourable = {value!r} is not one of the classes in the data ({classes})"
)


def split_words(name: str) -> str:
    """Column name -> plain words: 'LoanRateAsPercentOfIncome' -> 'loan rate as percent of income'."""
    text = re.sub(r"[_\-./]+", " ", name)
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def did_you_mean(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" — did you mean '{close[0]}'?" if close else ""


def feature_label(schema: "Schema", name: str) -> str:
    """A column's short human name: its first synonym, else its split name; 'true outcome' for the
    target (and the query language's `label`), 'prediction' for the model's output."""
    if name == "label":
        return "true outcome"
    if name == "prediction":
        return "prediction"
    if name in ("target", schema.target):
        return f"true outcome ({schema.target})"
    spec = schema.features.get(name)
    return spec.label if spec is not None else split_words(name)


@dataclass(frozen=True)
class Feature:
    name: str
    kind: FeatureKind
    description: str = ""
    unit: str = ""
    synonyms: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()  # categorical values, as the data spells them
    # phrases people use for one value: {1: ("women", "female")} for a flag `woman`
    value_phrases: dict[Any, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    range: tuple[float, float] | None = None
    integer: bool = False
    group: str | None = None  # one-hot group this column belongs to

    @property
    def words(self) -> str:
        return split_words(self.name)

    @property
    def label(self) -> str:
        """Short human name: the first synonym, else the split column name."""
        return self.synonyms[0] if self.synonyms else self.words


@dataclass(frozen=True)
class Schema:
    name: str
    target: str
    task: Task
    features: dict[str, Feature] = field(hash=False, compare=False)
    title: str = ""
    description: str = ""
    entity: str = "row"
    entity_plural: str = "rows"
    id_column: str | None = None
    classes: dict[Any, str] = field(default_factory=dict, hash=False, compare=False)
    class_synonyms: dict[Any, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    favourable: Any = None
    sensitive: tuple[str, ...] = ()
    immutable: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    examples: tuple[str, ...] = ()

    @property
    def feature_names(self) -> list[str]:
        return list(self.features)

    def feature(self, name: str) -> Feature:
        from talk2model.errors import QueryError

        if name in self.features:
            return self.features[name]
        raise QueryError(
            f"no feature '{name}'{did_you_mean(name, self.feature_names)}",
            suggestion=None,
        )

    def class_phrase(self, value: Any) -> str:
        value = plain_value(value)
        return self.classes.get(value, str(value))

    def class_value(self, text: Any) -> Any:
        """A class given as its value or its phrase -> the data's class value."""
        text = plain_value(text)
        if text in self.classes:
            return text
        for value, phrase in self.classes.items():
            if str(text).lower() in {phrase.lower(), str(value).lower()}:
                return value
        for value, phrases in self.class_synonyms.items():
            if str(text).lower() in {p.lower() for p in phrases}:
                return value
        return text


# --------------------------------------------------------------------------------------------
# Building a schema from a TOML table and the data


def _infer_kind(series: pd.Series) -> FeatureKind:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        if pd.api.types.is_bool_dtype(series):
            return "flag"
        return "categorical"
    values = set(pd.unique(series.dropna()))
    if values and values <= {0, 1}:
        return "flag"
    return "numeric"


def _as_value(raw: Any, series: pd.Series | None) -> Any:
    """A TOML key (always a string) -> the data's own value type."""
    if series is not None and pd.api.types.is_numeric_dtype(series):
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return raw
        return plain_value(number)
    return raw


def build_schema(name: str, table: dict[str, Any], data: pd.DataFrame) -> Schema:
    """Schema from the `[schema]` TOML table, with everything left out inferred from `data`."""
    columns = list(data.columns)

    def need_column(field_name: str, col: str) -> str:
        if col not in columns:
            raise WorkspaceError(ERR_NOT_A_COLUMN.format(
                field=field_name, name=col, hint=did_you_mean(col, columns),
                columns=", ".join(columns)))
        return col

    target = table.get("target")
    if not target:
        raise WorkspaceError("[schema] target is missing; name the column that holds the outcome")
    if target not in columns:
        raise WorkspaceError(ERR_TARGET_MISSING.format(target=target, hint=did_you_mean(target, columns)))
    task = table.get("task") or ("regression" if pd.api.types.is_float_dtype(data[target])
                                 and data[target].nunique() > 20 else "classification")
    if task not in ("classification", "regression"):
        raise WorkspaceError(ERR_BAD_TASK.format(task=task))

    id_column = table.get("id_column") or None
    if id_column is not None:
        need_column("[schema] id_column", id_column)

    declared: dict[str, dict[str, Any]] = table.get("features", {})
    for col in declared:
        need_column(f"[schema.features.{col}]", col)

    groups = {g: tuple(cols) for g, cols in table.get("groups", {}).items()}
    group_of = {}
    for g, cols in groups.items():
        for col in cols:
            need_column(f"[schema.groups] {g}", col)
            group_of[col] = g

    features: dict[str, Feature] = {}
    for col in columns:
        if col in (target, id_column):
            continue
        spec = declared.get(col, {})
        series = data[col]
        kind = spec.get("type") or _infer_kind(series)
        if kind not in ("numeric", "categorical", "flag"):
            raise WorkspaceError(ERR_UNKNOWN_TYPE.format(name=col, kind=kind))
        numeric = pd.api.types.is_numeric_dtype(series)
        rng = spec.get("range")
        if rng is None and numeric and len(series.dropna()):
            rng = (plain_value(series.min()), plain_value(series.max()))
        values: tuple[Any, ...] = ()
        if kind == "categorical":
            values = tuple(sorted((plain_value(v) for v in pd.unique(series.dropna())), key=str))
        elif kind == "flag":
            values = (0, 1)
        phrases = {
            _as_value(k, series): tuple(v) for k, v in spec.get("value_phrases", {}).items()
        }
        integer = bool(numeric and len(series.dropna())
                       and np.all(np.equal(np.mod(series.dropna(), 1), 0)))
        features[col] = Feature(
            name=col, kind=kind, description=spec.get("description", ""),
            unit=spec.get("unit", ""), synonyms=tuple(spec.get("synonyms", ())),
            values=values, value_phrases=phrases,
            range=tuple(rng) if rng is not None else None, integer=integer,
            group=group_of.get(col),
        )

    target_series = data[target]
    classes: dict[Any, str] = {}
    class_synonyms: dict[Any, tuple[str, ...]] = {}
    favourable = None
    if task == "classification":
        present = [plain_value(v) for v in sorted(pd.unique(target_series.dropna()), key=str)]
        declared_classes = {_as_value(k, target_series): v for k, v in table.get("classes", {}).items()}
        for value in present:
            classes[value] = declared_classes.get(value, f"{split_words(target)} = {value}")
        class_synonyms = {
            _as_value(k, target_series): tuple(v)
            for k, v in table.get("class_synonyms", {}).items()
        }
        if "favourable" in table:
            favourable = _as_value(table["favourable"], target_series)
            if favourable not in classes:
                raise WorkspaceError(ERR_FAVOURABLE.format(
                    value=table["favourable"], classes=", ".join(map(str, classes))))

    for field_name in ("sensitive", "immutable"):
        for col in table.get(field_name, ()):
            if col not in features:
                need_column(f"[schema] {field_name}", col)

    entity = table.get("entity", "row")
    return Schema(
        name=name, target=target, task=task, features=features,
        title=table.get("title", name), description=table.get("description", ""),
        entity=entity, entity_plural=table.get("entity_plural", entity + "s"),
        id_column=id_column, classes=classes, class_synonyms=class_synonyms,
        favourable=favourable, sensitive=tuple(table.get("sensitive", ())),
        immutable=tuple(table.get("immutable", ())), groups=groups,
        examples=tuple(table.get("examples", ())),
    )
