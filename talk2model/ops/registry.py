"""One registry of operations. A new operation is one module in `talk2model/ops/` that calls
`@operation(...)` on its run function and `@says(...)` on its verbaliser."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd


@dataclass
class Result:
    """Base class of every operation's typed result: data only, JSON-serialisable."""

    def to_json(self) -> dict:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if not f.name.startswith("_")}


def jsonable(value: Any) -> Any:
    if isinstance(value, Result):
        return value.to_json()
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index() if value.index.name else value
        return [{str(k): jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return round(value, 10)
    if hasattr(value, "to_json"):
        return value.to_json()
    return value


@dataclass(frozen=True)
class Operation:
    op: str
    run: Callable[..., Result]
    description: str
    examples: tuple[str, ...]


REGISTRY: dict[str, Operation] = {}


def operation(op: str, *, description: str, examples: tuple[str, ...] | list[str]):
    def register(fn):
        REGISTRY[op] = Operation(op=op, run=fn, description=description, examples=tuple(examples))
        return fn

    return register


_LOADED = False


def load_all() -> dict[str, Operation]:
    """Import every module in talk2model.ops so its operations register themselves."""
    global _LOADED
    if not _LOADED:
        import talk2model.ops as package

        for info in pkgutil.iter_modules(package.__path__):
            if info.name != "registry":
                importlib.import_module(f"talk2model.ops.{info.name}")
        _LOADED = True
    return REGISTRY
