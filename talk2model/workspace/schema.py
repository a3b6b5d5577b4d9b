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
from talk2model.textutil import did_you_mean  # noqa: F401  (also imported from here by older code)

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
ERR_BOOLEAN = "feature '{name}': {field} must be true or false (a TOML boolean), not {value!r}"
ERR_DIRECTION = "feature '{name}': direction must be 'increase' or 'decrease', not {value!r}"
ERR_DIRECTION_KIND = "feature '{name}': direction applies to numbers and flags, and '{name}' is {kind}"
ERR_MISSING_VALUE = ("feature '{name}': missing_values names {value!r}, which is not one of its values "
                     "({values}){hint}")
ERR_MISSING_KIND = "feature '{name}': missing_values applies to categories, and '{name}' is {kind}"
ERR_BOUND = "feature '{name}': {field} must be a number, not {value!r}"
ERR_BOUNDS_ORDER = "feature '{name}': lowest ({low}) is above highest ({high})"
ERR_BOUND_DATA = ("feature '{name}': the data has a value {side} {field} = {bound} (the {extreme} is "
                  "{value}); fix {field} or the data")
ERR_IMMUTABLE_ACTIONABLE = ("feature '{name}' is listed as immutable and declared actionable = true; "
                            "an immutable feature is never something a person can change")

DIRECTIONS = ("increase", "decrease")
# Categories that mark a missing value rather than a value someone has: never suggested as a change.
MISSING_LIKE = re.compile(r"^\s*(not[ _-]?known|unknown|missing|n/?a|nan|null|not[ _-]?available|"
                          r"not[ _-]?given|not[ _-]?recorded|\?)\s*$", re.I)
# Words of a column name that mark a count of past events (only ever grows): "number of prior crimes".
PAST_EVENT_WORDS = frozenset({"prior", "priors", "previous", "past", "pregnancies", "pregnancy"})


def split_words(name: str) -> str:
    """Column name -> plain words: 'LoanRateAsPercentOfIncome' -> 'loan rate as percent of income'."""
    text = re.sub(r"[_\-./]+", " ", name)
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def feature_label(schema: "Schema", name: str) -> str:
    """A column's short human name: its first synonym, else its split name; 'true outcome' for the
    target (and the query language's `label`), 'prediction' for the model's output, 'the model's
    confidence' for the probability of its top class."""
    if name == "label":
        return "true outcome"
    if name == "prediction":
        return "prediction"
    if name == "confidence":
        return "the model's confidence"
    if name in ("target", schema.target):
        return f"true outcome ({schema.target})"
    spec = schema.features.get(name)
    return spec.label if spec is not None else split_words(name)


def value_text(schema: "Schema", name: str, value: Any) -> str:
    """A value as answers and tables show it: a coded number with its meaning from the schema
    ('2 (skilled)' for job 2), 'yes' / 'no' for a flag, a category as people write it ('not
    known'), the class phrase for the outcome, numbers by the one formatter."""
    from talk2model.formatting import fmt_number, is_missing

    if not isinstance(value, str) and is_missing(value):
        return ""
    value = plain_value(value)
    if name in ("target", "label", "prediction", schema.target) and schema.classes:
        return schema.class_phrase(value)
    spec = schema.features.get(name)
    if spec is None:
        return fmt_number(value)
    if spec.kind == "flag" and value in (0, 1):
        return "yes" if value == 1 else "no"
    if spec.kind == "categorical" or isinstance(value, str):
        return str(value).replace("_", " ")
    meaning = spec.value_phrases.get(value)
    return f"{fmt_number(value)} ({meaning[0]})" if meaning else fmt_number(value)


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
    range: tuple[float, float] | None = None   # the range seen in the data (or declared)
    integer: bool = False
    group: str | None = None  # one-hot group this column belongs to
    # what a counterfactual may suggest and what a what-if may reach (declared, else inferred):
    actionable: bool = True                  # a person can change it (false for immutables)
    direction: str | None = None             # "increase" | "decrease": the only way it moves
    missing_values: tuple[Any, ...] = ()     # categories marking a missing value: never suggested
    lowest: float | None = None              # the lowest / highest value it can take at all
    highest: float | None = None             # (None: no bound), not only the range seen

    def possible(self, value: Any) -> bool:
        """Whether a number is a value this feature can take at all (within lowest / highest)."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return True
        return not ((self.lowest is not None and x < self.lowest)
                    or (self.highest is not None and x > self.highest))

    def allows_change(self, old: Any, new: Any) -> bool:
        """Whether a counterfactual may move this feature from `old` to `new`: it is actionable,
        the new value is not a missing-value code, and a number moves only in its direction."""
        if not self.actionable or new in self.missing_values:
            return False
        return self.direction_allows(old, new) and self.possible(new)

    def direction_allows(self, old: Any, new: Any) -> bool:
        if self.direction is None:
            return True
        try:
            up = float(new) - float(old)
        except (TypeError, ValueError):
            return True
        return up >= 0 if self.direction == "increase" else up <= 0

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

    @property
    def not_actionable(self) -> tuple[str, ...]:
        """Features a person cannot change (immutables included), in the data's order."""
        return tuple(name for name, f in self.features.items() if not f.actionable)

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

def _actionability(name: str, kind: str, spec: dict[str, Any], series: pd.Series, values: tuple,
                   integer: bool, immutable: bool) -> dict[str, Any]:
    """actionable, direction, missing_values, lowest and highest of one feature: declared in
    `[schema.features.<name>]`, else inferred (immutables are not actionable; ages and counts of
    past events only increase; categories spelled like 'not_known' / 'unknown' / 'NA' are missing
    values; a number never below 0 in the data cannot go below 0)."""
    words = set(split_words(name).split()) | set(" ".join(spec.get("synonyms", ())[:1]).lower().split())
    actionable = spec.get("actionable", not immutable)
    if not isinstance(actionable, bool):
        raise WorkspaceError(ERR_BOOLEAN.format(name=name, field="actionable", value=actionable))
    if immutable and actionable:
        raise WorkspaceError(ERR_IMMUTABLE_ACTIONABLE.format(name=name))
    numbers = pd.to_numeric(series, errors="coerce").dropna() if kind != "categorical" else pd.Series(dtype=float)

    direction = spec.get("direction")
    if direction is not None:
        if direction not in DIRECTIONS:
            raise WorkspaceError(ERR_DIRECTION.format(name=name, value=direction))
        if kind == "categorical":
            raise WorkspaceError(ERR_DIRECTION_KIND.format(name=name, kind="a category"))
    elif kind == "numeric" and ("age" in words or (integer and words & PAST_EVENT_WORDS
                                                   and len(numbers) and numbers.min() >= 0)):
        direction = "increase"

    if "missing_values" in spec:
        missing = tuple(_as_value(v, series) for v in spec["missing_values"])
        if missing and kind != "categorical":
            raise WorkspaceError(ERR_MISSING_KIND.format(name=name, kind=f"a {kind}"))
        for value in missing:
            if value not in values:
                raise WorkspaceError(ERR_MISSING_VALUE.format(
                    name=name, value=value, values=", ".join(map(str, values)),
                    hint=did_you_mean(str(value), [str(v) for v in values])))
    else:
        missing = tuple(v for v in values if kind == "categorical" and MISSING_LIKE.match(str(v)))

    bounds: dict[str, float | None] = {}
    for field_name in ("lowest", "highest"):
        bound = spec.get(field_name)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            raise WorkspaceError(ERR_BOUND.format(name=name, field=field_name, value=bound))
        bounds[field_name] = bound
    if kind == "flag":
        bounds = {"lowest": 0, "highest": 1}
    elif kind == "numeric":
        if bounds["lowest"] is None and "lowest" not in spec and len(numbers) and numbers.min() >= 0:
            bounds["lowest"] = 0
        low, high = bounds["lowest"], bounds["highest"]
        if low is not None and high is not None and low > high:
            raise WorkspaceError(ERR_BOUNDS_ORDER.format(name=name, low=low, high=high))
        if len(numbers) and low is not None and numbers.min() < low:
            raise WorkspaceError(ERR_BOUND_DATA.format(name=name, side="below", field="lowest", bound=low,
                                                       extreme="smallest", value=plain_value(numbers.min())))
        if len(numbers) and high is not None and numbers.max() > high:
            raise WorkspaceError(ERR_BOUND_DATA.format(name=name, side="above", field="highest", bound=high,
                                                       extreme="largest", value=plain_value(numbers.max())))
    else:
        bounds = {"lowest": None, "highest": None}
    return {"actionable": actionable, "direction": direction, "missing_values": missing, **bounds}



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

    immutable = set(table.get("immutable", ()))
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
            **_actionability(col, kind, spec, series, values, integer, col in immutable),
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
