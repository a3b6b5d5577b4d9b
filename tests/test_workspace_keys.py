"""Workspace files refuse typos and mistyped values (talk2model/workspace/keys.py).

The oracle is the built-in files themselves: every table of fixed keys in each of them gets one
of its own keys misspelt, and the error must name the misspelt key, where it is and the key it
was made from. A copy is written as TOML text and loaded through `load_workspace`, the path a
user's file takes. The data and model folders are linked beside the copy, so its relative paths
still resolve.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from talk2model.errors import WorkspaceError
from talk2model.paths import resource_dir
from talk2model.workspace import builtin_workspaces, load_workspace
from talk2model.workspace import keys as K

BUILTINS = builtin_workspaces()


# ---- a small TOML writer (only what workspace files use); checked by a round trip below --------
def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def dumps(spec: dict, prefix: tuple[str, ...] = ()) -> str:
    plain = [f"{json.dumps(str(k))} = {_value(v)}" for k, v in spec.items() if not isinstance(v, dict)]
    out = ([f"[{'.'.join(json.dumps(p) for p in prefix)}]"] if prefix else []) + plain
    for k, v in spec.items():
        if isinstance(v, dict):
            out.append(dumps(v, (*prefix, str(k))))
    return "\n".join(out)


def _copy_dir(tmp_path: Path) -> Path:
    """tmp/workspaces/ beside links to the checkout's data/ and models/: '../data/...' resolves."""
    for name in ("data", "models"):
        (tmp_path / name).symlink_to(resource_dir(name), target_is_directory=True)
    folder = tmp_path / "workspaces"
    folder.mkdir()
    return folder


def _fixed_tables(value, layout, path=()):
    """(path, table, layout) for every table of fixed keys present in a parsed file."""
    if isinstance(layout, K.Table) and isinstance(value, dict):
        yield path, value, layout
        for key, item in value.items():
            yield from _fixed_tables(item, layout.keys.get(key), (*path, key))
    elif isinstance(layout, K.MapOf) and isinstance(value, dict):
        for key, item in value.items():
            yield from _fixed_tables(item, layout.value, (*path, key))


def _misspell(key: str, known) -> str:
    """A misspelling of `key` that is no known key: a doubled letter in its middle."""
    i = len(key) // 2
    typo = key[:i] + key[i] + key[i:]
    assert typo not in known
    return typo


def _at(spec: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        spec = spec[key]
    return spec


def _layout(spec):
    return K.IMAGE_WORKSPACE if spec.get("kind") == "image" else K.TABLE_WORKSPACE


def test_the_toml_writer_round_trips_every_builtin():
    for path in BUILTINS.values():
        spec = tomllib.loads(path.read_text())
        assert tomllib.loads(dumps(spec)) == spec


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_passes_the_key_check_unchanged(name):
    K.check_keys(tomllib.loads(BUILTINS[name].read_text()), f"{name}.toml")   # raises on a problem


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_loads_unchanged(name):
    ws = load_workspace(name, cache=False)
    assert len(ws.data) > 0


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_a_typo_in_each_section_of_each_builtin_is_named(name, tmp_path):
    original = tomllib.loads(BUILTINS[name].read_text())
    folder = _copy_dir(tmp_path)
    tables = list(_fixed_tables(original, _layout(original)))
    sections = {p[:2] if p[:2] == ("schema", "features") else p for p, _, _ in tables}
    # every section the file has was reached: top level, data, model, schema, each feature, ...
    assert () in sections and ("data",) in sections and ("model",) in sections
    assert len(tables) >= len(original.get("schema", {}).get("features", {})) + 3
    for path, table, layout in tables:
        if not table:
            continue
        key = next(iter(table))
        typo = _misspell(key, layout.keys)
        spec = tomllib.loads(BUILTINS[name].read_text())
        target = _at(spec, path)
        target[typo] = target.pop(key)
        copy = folder / f"{name}.toml"
        copy.write_text(dumps(spec))
        with pytest.raises(WorkspaceError) as err:
            load_workspace(copy, cache=False)
        where = f"[{'.'.join(path)}]" if path else "the top level"
        assert str(err.value) == K.ERR_UNKNOWN_KEY.format(
            file=copy.name, key=typo, where=where, hint=f" — did you mean '{key}'?"), (path, key)


def test_the_issue_s_example_immutible_is_refused(tmp_path):
    folder = _copy_dir(tmp_path)
    text = BUILTINS["credit"].read_text().replace("\nimmutable =", "\nimmutible =", 1)
    assert "immutible" in text
    (folder / "credit.toml").write_text(text)
    with pytest.raises(WorkspaceError, match=r"unknown key 'immutible' in \[schema\] — did you mean 'immutable'\?"):
        load_workspace(folder / "credit.toml", cache=False)


def test_a_key_far_from_every_known_one_lists_the_known_keys():
    with pytest.raises(WorkspaceError) as err:
        K.check_keys({"data": {"path": "x.csv", "zzzz": 1}}, "w.toml")
    assert str(err.value) == K.ERR_UNKNOWN_KEY.format(
        file="w.toml", key="zzzz", where="[data]",
        hint=" (known keys: audit, index_column, memory_rows, params, path, query, sample_rows, table, url)")


# One wrong value per kind the checker owns; the right value of each passes.
WRONG_TYPES = [
    (("schema", "immutable"), "sex", "a list of strings"),           # a string would be read letter by letter
    (("schema", "sensitive"), ["sex", 1], "a list of strings"),
    (("schema", "examples"), "why?", "a list of strings"),
    (("schema", "favourable"), True, "a string or a number"),
    (("schema", "title"), 3, "a string"),
    (("schema", "features", "age", "synonyms"), "age", "a list of strings"),
    (("schema", "features", "age", "range"), [0], "a list of two numbers [low, high]"),
    (("schema", "features", "age", "range"), [0, "99"], "a list of two numbers [low, high]"),
    (("schema", "features", "job", "missing_values"), "unknown", "a list of strings or numbers"),
    (("schema", "features", "sex", "value_phrases", "female"), "women", "a list of strings"),
    (("schema", "classes", "good"), ["good credit risk"], "a string"),
    (("schema", "class_synonyms", "good"), "approved", "a list of strings"),
    (("schema", "groups", "purpose"), "a", "a list of strings"),
    (("data", "index_column"), 1.5, "a column number or name"),
    (("data", "index_column"), True, "a column number or name"),
    (("data", "params"), 3, "a table"),
    (("model", "train_ids"), ["a.json"], "a string"),
    (("name",), 7, "a string"),
]


@pytest.mark.parametrize("path,value,kind", WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_named(path, value, kind):
    spec = tomllib.loads(BUILTINS["credit"].read_text())
    spec["schema"].setdefault("groups", {})
    spec["schema"]["features"].setdefault("age", {})
    spec["schema"]["features"].setdefault("job", {})
    spec["schema"]["features"].setdefault("sex", {}).setdefault("value_phrases", {})
    K.check_keys(spec, "credit.toml")
    target = _at(spec, path[:-1])
    target[path[-1]] = value
    with pytest.raises(WorkspaceError) as err:
        K.check_keys(spec, "credit.toml")
    where = f"[{'.'.join(path[:-1])}]" if path[:-1] else "the top level"
    assert str(err.value) == K.ERR_KEY_TYPE.format(file="credit.toml", key=path[-1], where=where,
                                                   kind=kind, value=value)


def test_a_section_that_is_not_a_table_is_named():
    with pytest.raises(WorkspaceError) as err:
        K.check_keys({"schema": {"features": ["age"]}}, "w.toml")
    assert str(err.value) == K.ERR_NOT_A_TABLE.format(file="w.toml", where="[schema.features]", value=["age"])


def test_keys_with_their_own_check_keep_their_message(tmp_path):
    """`OWN` keys are typed where they are read; a wrong type still fails, with that message."""
    from talk2model.workspace import model as model_mod

    folder = _copy_dir(tmp_path)
    text = BUILTINS["credit"].read_text().replace("[model]\n", '[model]\ntrusted = "false"\n', 1)
    (folder / "credit.toml").write_text(text)
    with pytest.raises(WorkspaceError) as err:
        load_workspace(folder / "credit.toml", cache=False)
    assert str(err.value) == model_mod.ERR_TRUSTED.format(value="false")


def test_every_key_the_loaders_read_is_known():
    """The keys read in the loaders' source (`spec.get("x")`, `"x" in spec`, `spec["x"]`) are in the
    tables: a loader that starts reading a new key must list it, or every file using it fails."""
    import re

    src = Path(K.__file__).parent
    known = set()

    def walk(layout):
        if isinstance(layout, K.Table):
            known.update(layout.keys)
            for v in layout.keys.values():
                walk(v)
        elif isinstance(layout, K.MapOf):
            walk(layout.value)

    walk(K.TABLE_WORKSPACE)
    walk(K.IMAGE_WORKSPACE)
    pattern = re.compile(r"""(?:spec|table|data_spec|model_spec|spec\["model"\])(?:\.get\(|\[)"(\w+)"|"(\w+)" (?:not )?in (?:spec|table|data_spec|model_spec)\b""")
    read = set()
    for module in ("__init__.py", "data.py", "model.py", "schema.py", "images.py", "checkpoints.py"):
        for a, b in pattern.findall((src / module).read_text()):
            read.add(a or b)
    read -= {"id", "file", "label"}   # images.py: columns of the image index CSV, not TOML keys
    read -= {"_base"}                 # the loader's own note of the file's folder, added after validation
    assert read and read <= known, sorted(read - known)
    for key in ("actionable", "direction", "missing_values", "lowest", "trained_on_these_rows",
                "checkpoints", "background", "architecture", "folder", "params", "id_column"):
        assert key in read, key
