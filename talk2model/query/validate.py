"""Check a query against a workspace's schema, and put its values in the data's own types.

"no feature 'incme' — did you mean 'income'?" comes from here. Validation returns a new,
normalised query: class phrases become class values ("good credit risk" -> 1), numbers given as
strings become numbers, flags become 0/1, categorical values match the data's spelling.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from talk2model.errors import QueryError
from talk2model.query import ast as q
from talk2model.textutil import did_you_mean
from talk2model.workspace.schema import Schema, plain_value

ERR_NO_FEATURE = "no feature '{name}'{hint}"
ERR_CATEGORY = "{feature} has no value '{value}' (its values are {values}){hint}"
ERR_FLAG = "{feature} is a yes/no flag: compare it with 0 or 1, not {value!r}"
ERR_NUMBER = "{feature} is a number: {value!r} is not one"
ERR_CLASS = "'{value}' is not one of the classes ({classes})"
ERR_ORDER_CATEGORY = "{feature} is categorical: use == or != with it, not {cmp}"
ERR_CHANGE_CATEGORY = "{feature} is not a number, so it can only be set, not {action}"
ERR_ID = "ids are numbers or names, not {value!r}"
ERR_BIAS_SPECIAL = "bias is checked across the groups of a feature, not '{name}'"
ERR_WHATIF_RANGE = ("{feature} {change} would give values of about {extreme:.3g}, beyond what the "
                    "feature can hold (at most about {limit:.3g} in size); choose a smaller change")

# What a changed value must fit: the models compute in 32-bit floats (scikit-learn's trees cast
# to float32), and an integer feature stays a 64-bit integer when changed by a whole number.
FLOAT32_MAX = 3.4028234663852886e38
INT64_MAX = 2**63 - 1


def _feature_name(schema: Schema, name: str, *, allow: tuple[str, ...] = ()) -> str:
    if name in schema.features or name in allow:
        return name
    lowered = {f.lower(): f for f in schema.features}
    if name.lower() in lowered:  # casing is not a mistake worth stopping for
        return lowered[name.lower()]
    hint = did_you_mean(name, schema.feature_names + list(allow))
    raise QueryError(ERR_NO_FEATURE.format(name=name, hint=hint),
                     suggestion=hint.split("'")[1] if hint else None)


def _number(feature: str, value: Any) -> int | float:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and abs(value) > INT64_MAX:
        return float(value)  # beyond any integer column: compare as the float it is
    if isinstance(value, (int, float)):
        return plain_value(value)
    try:
        return plain_value(float(str(value).replace(",", "")))
    except ValueError:
        raise QueryError(ERR_NUMBER.format(feature=feature, value=value)) from None


ERR_CONFIDENCE = "confidence is the model's probability of its top class, a number from 0 to 1, not {value!r}"


def normalise_value(schema: Schema, feature: str, value: Any, cmp: str = "==") -> Any:
    if feature in ("label", "prediction"):
        value = schema.class_value(value)
        if schema.task == "classification" and value not in schema.classes:
            raise QueryError(ERR_CLASS.format(value=value, classes=", ".join(
                f"{v} = {p}" for v, p in schema.classes.items())))
        return value
    if feature == "confidence":
        if schema.task != "classification":
            raise QueryError("confidence is the probability of the predicted class; a regression model has none")
        if isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
            number = _number(feature, value) / 100
        else:
            number = _number(feature, value) if not isinstance(value, bool) else None
        if number is None or not 0 <= number <= 1:
            raise QueryError(ERR_CONFIDENCE.format(value=value))
        return number
    if feature == "id":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise QueryError(ERR_ID.format(value=value))
        if isinstance(value, str) and value.strip().lstrip("#").isdigit():
            return _number(feature, int(value.strip().lstrip("#")[:30]))
        if isinstance(value, (int, float)):
            return _number(feature, value)
        return plain_value(value)
    spec = schema.features[feature]
    if spec.kind == "flag":
        if isinstance(value, str):
            lowered = value.strip().lower()
            mapping = {"yes": 1, "true": 1, "no": 0, "false": 0, "1": 1, "0": 0}
            for v, phrases in spec.value_phrases.items():
                for p in phrases:
                    mapping.setdefault(p.lower(), v)
            if lowered in mapping:
                return mapping[lowered]
        elif plain_value(value) in (0, 1) or isinstance(value, bool):
            return int(value)
        raise QueryError(ERR_FLAG.format(feature=feature, value=value))
    if spec.kind == "categorical":
        if cmp not in ("==", "!="):
            raise QueryError(ERR_ORDER_CATEGORY.format(feature=feature, cmp=cmp))
        if value in spec.values:
            return value
        by_text = {str(v).lower(): v for v in spec.values}
        if str(value).lower() in by_text:
            return by_text[str(value).lower()]
        for v, phrases in spec.value_phrases.items():
            if str(value).lower() in {p.lower() for p in phrases}:
                return v
        raise QueryError(ERR_CATEGORY.format(
            value=value, feature=feature, hint=did_you_mean(str(value), [str(v) for v in spec.values]),
            values=", ".join(map(str, spec.values))))
    return _number(feature, value)


def _check_change(spec, action: str, value: int | float) -> None:
    """A what-if must leave the feature's values within what its type and the model hold."""
    limit = min(FLOAT32_MAX, INT64_MAX) if spec.integer and float(value).is_integer() else FLOAT32_MAX
    if action == "set":
        extremes = [float(value)]
    else:
        low, high = spec.range or (0.0, 0.0)
        delta = float(value) if action == "increase" else -float(value)
        extremes = [float(low) + delta, float(high) + delta]
    extreme = max(extremes, key=abs)
    if abs(extreme) > limit:
        change = f"set to {value:g}" if action == "set" else f"{action}d by {value:g}"
        raise QueryError(ERR_WHATIF_RANGE.format(feature=spec.name, change=change, extreme=extreme,
                                                 limit=limit))


def _expr(schema: Schema, expr: q.Expr) -> q.Expr:
    if isinstance(expr, q.Cmp):
        name = _feature_name(schema, expr.feature, allow=q.SPECIAL_FEATURES)
        return q.Cmp(name, expr.cmp, normalise_value(schema, name, expr.value, expr.cmp))
    if isinstance(expr, q.Not):
        return q.Not(_expr(schema, expr.item))
    return type(expr)(tuple(_expr(schema, i) for i in expr.items))


def validate(query: q.Query, schema: Schema) -> q.Query:
    steps = []
    for step in query.steps:
        changes: dict[str, Any] = {}
        if isinstance(step, q.Filter):
            changes["where"] = _expr(schema, step.where)
        elif isinstance(step, q.WhatIf):
            name = _feature_name(schema, step.feature)
            spec = schema.features[name]
            if step.action != "set" and spec.kind != "numeric":
                raise QueryError(ERR_CHANGE_CATEGORY.format(feature=name, action=step.action + "d"))
            value = (normalise_value(schema, name, step.value) if step.action == "set"
                     else _number(name, step.value))
            if spec.kind == "numeric":
                _check_change(spec, step.action, value)
            changes.update(feature=name, value=value)
        elif isinstance(step, q.Statistic):
            if step.feature not in ("target", schema.target):
                changes["feature"] = _feature_name(schema, step.feature, allow=("label", "prediction", "confidence"))
        elif isinstance(step, q.Bias):
            if step.attribute in q.SPECIAL_FEATURES:
                raise QueryError(ERR_BIAS_SPECIAL.format(name=step.attribute))
            changes["attribute"] = _feature_name(schema, step.attribute)
        elif isinstance(step, (q.Adversarial, q.VisualizeClass, q.Concepts)):
            if step.target is not None:
                if schema.task != "classification":
                    raise QueryError(f"'{step.op}' with a class needs a classification model")
                changes["target"] = normalise_value(schema, "prediction", step.target)
            if isinstance(step, q.Concepts) and step.where is not None:
                changes["where"] = _expr(schema, step.where)
        elif isinstance(step, q.Score):
            allowed = q.CLASSIFICATION_METRICS if schema.task == "classification" else q.REGRESSION_METRICS
            if step.metric not in allowed:
                raise QueryError(f"'{step.metric}' does not apply to a {schema.task} model; "
                                 f"use one of {', '.join(allowed)}")
        else:      # any other step: its feature names (`Name` fields) must be the schema's
            changes.update({f.name: _feature_name(schema, getattr(step, f.name)) for f in dataclasses.fields(step)
                            if str(f.type).startswith("Name") and getattr(step, f.name) is not None})
        steps.append(dataclasses.replace(step, **changes) if changes else step)
    return q.Query(tuple(steps))
