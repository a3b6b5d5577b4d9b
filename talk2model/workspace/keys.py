"""Every key a workspace TOML file may hold, and the check that refuses any other.

A typo must never weaken a safeguard in silence: `immutible = ["sex"]` under `[schema]` would
otherwise be ignored, and counterfactuals would then change a protected feature. So the parsed
file is walked once, before anything is loaded, against the tables below: an unknown key is an
error naming the key, where it is and the nearest known key (difflib), and a value of the wrong
type (a string where a list, a boolean or a number belongs) is an error naming the key and the
type it needs.

The tables list the keys the loaders really read (`workspace/__init__.py`, `data.py`, `model.py`,
`schema.py`, `images.py`, `checkpoints.py`). A key marked `OWN` has its type checked where it is
read, with its own message (`trusted`, `actionable`, `lowest`, the image sizes, ...); tests assert
those texts. Tables whose keys are the user's own names (features, classes, groups, a model's
`[model.options]`, SQL `params`) are `MapOf` their value's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

from talk2model.errors import WorkspaceError
from talk2model.textutil import did_you_mean

ERR_UNKNOWN_KEY = "workspace file {file}: unknown key '{key}' in {where}{hint}"
ERR_KEY_TYPE = "workspace file {file}: {key} in {where} must be {kind}, not {value!r}"
ERR_NOT_A_TABLE = "workspace file {file}: {where} must be a table of keys, not {value!r}"


@dataclass(frozen=True)
class Kind:
    """A value's type: its name in an error ("a list of strings") and its test."""

    name: str
    test: Callable[[Any], bool]


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


STRING = Kind("a string", lambda v: isinstance(v, str))
INTEGER = Kind("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
STRINGS = Kind("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
VALUE = Kind("a string or a number", lambda v: isinstance(v, str) or _number(v))
VALUES = Kind("a list of strings or numbers",
              lambda v: isinstance(v, list) and all(isinstance(x, str) or _number(x) for x in v))
RANGE = Kind("a list of two numbers [low, high]",
             lambda v: isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v))
COLUMN = Kind("a column number or name", lambda v: isinstance(v, str) or INTEGER.test(v))
ANY_TABLE = Kind("a table", lambda v: isinstance(v, dict))   # keys are the user's (SQL params, options)
OWN = Kind("", lambda v: True)   # type checked where it is read, with its own message


@dataclass(frozen=True)
class Table:
    """A TOML table with a fixed set of keys."""

    keys: dict[str, "Spec"]


@dataclass(frozen=True)
class MapOf:
    """A TOML table whose keys are the user's own names (columns, classes), each value a `Spec`."""

    value: "Spec"


Spec = Union[Kind, Table, MapOf]

# [data] of a table workspace (also [training.data]): workspace/data.py
TABLE_DATA = Table({"path": STRING, "url": STRING, "table": STRING, "query": STRING,
                    "params": ANY_TABLE, "index_column": COLUMN,
                    "memory_rows": OWN, "sample_rows": OWN,      # data bigger than memory: data.py
                    "audit": STRING})                            # an audit's output folder: scale/fairness.py
# [data] of an image workspace: workspace/images.py read_images
IMAGE_DATA = Table({"path": STRING, "index": STRING, "folder": STRING})

TABLE_MODEL = Table({"path": STRING, "trusted": OWN, "trusted_types": OWN, "train_ids": STRING,
                     "trained_on_these_rows": OWN})
IMAGE_MODEL = Table({"path": STRING, "architecture": STRING, "options": ANY_TABLE, "format": STRING,
                     "train_ids": STRING})

TRAINING = Table({"checkpoints": OWN, "data": TABLE_DATA})   # workspace/checkpoints.py
IMAGES = Table({"height": OWN, "width": OWN, "channels": OWN, "range": OWN, "background": OWN})

FEATURE = Table({
    "type": STRING, "description": STRING, "unit": STRING, "synonyms": STRINGS,
    "value_phrases": MapOf(STRINGS), "range": RANGE,
    # what a person can change (schema.py _actionability)
    "actionable": OWN, "direction": OWN, "missing_values": VALUES, "lowest": OWN, "highest": OWN,
})
SCHEMA = Table({
    "target": STRING, "task": STRING, "id_column": STRING,
    "title": STRING, "description": STRING, "entity": STRING, "entity_plural": STRING,
    "examples": STRINGS, "favourable": VALUE, "sensitive": STRINGS, "immutable": STRINGS,
    "features": MapOf(FEATURE), "groups": MapOf(STRINGS),
    "classes": MapOf(STRING), "class_synonyms": MapOf(STRINGS),
})

TABLE_WORKSPACE = Table({"name": STRING, "kind": STRING, "data": TABLE_DATA, "model": TABLE_MODEL,
                         "schema": SCHEMA, "training": TRAINING})
IMAGE_WORKSPACE = Table({"name": STRING, "kind": STRING, "data": IMAGE_DATA, "model": IMAGE_MODEL,
                         "images": IMAGES, "schema": SCHEMA, "training": TRAINING})


def check_keys(spec: dict[str, Any], file: str) -> None:
    """Raise WorkspaceError at the first unknown key or mistyped value in a parsed workspace file."""
    layout = IMAGE_WORKSPACE if spec.get("kind") == "image" else TABLE_WORKSPACE
    _check(spec, layout, (), file)


def _where(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path)}]" if path else "the top level"


def _check(value: Any, spec: Spec, path: tuple[str, ...], file: str) -> None:
    if isinstance(spec, Kind):
        if not spec.test(value):
            raise WorkspaceError(ERR_KEY_TYPE.format(file=file, key=path[-1], where=_where(path[:-1]),
                                                     kind=spec.name, value=value))
        return
    if not isinstance(value, dict):
        raise WorkspaceError(ERR_NOT_A_TABLE.format(file=file, where=_where(path), value=value))
    if isinstance(spec, MapOf):
        for key, item in value.items():
            _check(item, spec.value, (*path, str(key)), file)
        return
    for key, item in value.items():
        if key not in spec.keys:
            known = sorted(spec.keys)
            hint = did_you_mean(key, known) or f" (known keys: {', '.join(known)})"
            raise WorkspaceError(ERR_UNKNOWN_KEY.format(file=file, key=key, where=_where(path), hint=hint))
        _check(item, spec.keys[key], (*path, key), file)
