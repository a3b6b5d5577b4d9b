"""A query-language condition (`age > 50 and sex == Female`) evaluated on one partition.

The same language, parsing and validation as `filter` in a question (talk2model.query), so
`talk2model audit --where "..."` selects exactly the rows `filter ...` would; values are compared
as the data's own types, and no text ever becomes SQL. `prediction` and `confidence` are the
model's, computed for the partition before the condition is applied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from talk2model.errors import QueryError
from talk2model.query import ast as q
from talk2model.query.text import parse_text
from talk2model.query.validate import validate

ERR_NOT_A_CONDITION = "--where takes one condition, as after 'filter' in a query: {text}"


def parse_where(text: str, schema) -> q.Expr:
    """'age > 50 and sex == Female' -> the validated condition."""
    query = parse_text(f"filter {text}")
    if len(query.steps) != 1 or not isinstance(query.steps[0], q.Filter):
        raise QueryError(ERR_NOT_A_CONDITION.format(text=text))
    return validate(query, schema).steps[0].where


def where_mask(expr: q.Expr, frame: pd.DataFrame, *, target: str, predictions: pd.Series | None = None,
               confidence: pd.Series | None = None) -> np.ndarray:
    """True for the rows of `frame` that meet `expr`."""
    if isinstance(expr, q.And):
        return np.logical_and.reduce([where_mask(i, frame, target=target, predictions=predictions,
                                                 confidence=confidence) for i in expr.items])
    if isinstance(expr, q.Or):
        return np.logical_or.reduce([where_mask(i, frame, target=target, predictions=predictions,
                                                confidence=confidence) for i in expr.items])
    if isinstance(expr, q.Not):
        return ~where_mask(expr.item, frame, target=target, predictions=predictions, confidence=confidence)
    if expr.feature == "id":
        column = pd.Series(frame.index, index=frame.index)
    elif expr.feature == "label":
        column = frame[target]
    elif expr.feature == "prediction":
        column = predictions
    elif expr.feature == "confidence":
        column = confidence
    else:
        column = frame[expr.feature]
    if column is None:
        raise QueryError(f"'{expr.feature}' is not known for these rows")
    ops = {"==": column.eq, "!=": column.ne, ">": column.gt, ">=": column.ge, "<": column.lt, "<=": column.le}
    try:
        result = ops[expr.cmp](expr.value)
    except TypeError:
        raise QueryError(f"cannot compare {expr.feature} with {expr.value!r}") from None
    return result.fillna(False).astype(bool).to_numpy()


def uses_model(expr: q.Expr | None) -> bool:
    """Whether the condition reads the model's prediction or confidence."""
    if expr is None:
        return False
    if isinstance(expr, q.Cmp):
        return expr.feature in ("prediction", "confidence")
    if isinstance(expr, q.Not):
        return uses_model(expr.item)
    return any(uses_model(i) for i in expr.items)


def count_where(workspace, expr: q.Expr | None, *, scheduler: str = "threads") -> int | None:
    """How many of all the source's rows meet `expr` (every row when None), counted partition by
    partition with Dask reading only the columns the condition names; None when the condition
    needs the model (prediction, confidence: an answer then uses the sample). Runs on this
    process's threads unless `scheduler` says otherwise (a question must not start a cluster)."""
    from talk2model.scale.source import dask_frame

    if uses_model(expr):
        return None
    target = workspace.schema.target
    named = _features(expr)
    columns = sorted((named - {"id", "label", "prediction", "confidence"}) | ({target} if "label" in named else set()))
    import dask

    ddf = dask_frame(workspace, columns=columns or [target])

    def matching(part) -> int:
        return len(part) if expr is None else int(where_mask(expr, part, target=target).sum())

    counts = dask.compute(*[dask.delayed(matching)(p) for p in ddf.to_delayed()], scheduler=scheduler)
    return int(sum(counts))


def _features(expr: q.Expr | None) -> set[str]:
    if expr is None:
        return set()
    if isinstance(expr, q.Cmp):
        return {expr.feature}
    if isinstance(expr, q.Not):
        return _features(expr.item)
    return set().union(*[_features(i) for i in expr.items])
