"""Import layers: nothing lower imports anything higher (docs/ARCHITECTURE.md).

    base < workspace < query < parser < explainers < scale < ops < engine < verbalize < store < assistant < cli/ui

Every `import` and `from ... import` in talk2model/ (at module level or inside a function: a lazy
import is still an arrow) is read with `ast`, and each module's layer comes from its package. A
module that belongs to no layer fails the test until it is given one. Only ui.py imports gradio.

Arrows that still run upward are listed in ALLOWED, each with its reason; an entry that no longer
matches anything fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "talk2model"

ORDER = ["base", "workspace", "query", "parser", "explainers", "scale", "ops", "engine", "verbalize", "store",
         "assistant", "interfaces"]

# talk2model.<first part> -> layer
LAYER = {
    # below everything: they import nothing above base
    "errors": "base", "sanitize": "base", "deadline": "base", "formatting": "base", "paths": "base",
    "textutil": "base",
    "workspace": "workspace",
    "query": "query", "state": "query",          # a conversation's state is made of queries
    "parser": "parser",
    "explainers": "explainers",
    "scale": "scale",                             # batch work on Dask over the explainers
    "ops": "ops",
    "engine": "engine",
    "verbalize": "verbalize",
    "store": "store",
    "assistant": "assistant",
    # the interfaces and tools over everything
    "cli": "interfaces", "ui": "interfaces", "auth": "interfaces",
    "training": "interfaces", "training_images": "interfaces", "training_torch": "interfaces",
    "": "interfaces",                             # talk2model/__init__.py: the lazy public API
}

# (importing module, glob) -> (imported module prefix, reason). Each must still match something.
ALLOWED = {
    ("talk2model.parser.evaluate", "talk2model.engine"):
        "the evaluation scores a conversation turn by the rows the engine selects (a tool, not the parser)",
    ("talk2model.parser.evaluate", "talk2model.assistant"):
        "the evaluation runs conversations through Assistant.ask, as users meet the parser",
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str, root_name: str = "talk2model") -> str | None:
    parts = module.split(".")
    if parts[0] != root_name:
        return None
    return LAYER.get(parts[1] if len(parts) > 1 else "", "unknown")


def imports(path: Path, root: Path):
    """(line, imported module) for every import in a file; `from a import b` names a.b when that is
    a module of the package, else a."""
    me = module_name(path, root)
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                      # relative: resolve against this module's package
                package = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                sub = root.parent.joinpath(*candidate.split("."))
                yield node.lineno, candidate if (sub.with_suffix(".py").is_file() or sub.is_dir()) else base


def violations(root: Path = PACKAGE, allowed=None):
    """(importer, line, imported, why) for every arrow that runs upward or imports gradio outside ui."""
    allowed = ALLOWED if allowed is None else allowed
    out, used = [], set()
    for path in sorted(root.rglob("*.py")):
        me = module_name(path, root)
        mine = layer_of(me, root.name)
        for line, target in imports(path, root):
            if target.split(".")[0] == "gradio" and me != f"{root.name}.ui":
                out.append((me, line, target, "gradio outside ui.py"))
                continue
            theirs = layer_of(target, root.name)
            if theirs is None:
                continue
            if "unknown" in (mine, theirs):
                out.append((me, line, target, "module with no layer: add it to LAYER"))
                continue
            if ORDER.index(theirs) <= ORDER.index(mine):
                continue
            entry = next((k for k in allowed if fnmatch.fnmatch(me, k[0])
                          and (target == k[1] or target.startswith(k[1] + "."))), None)
            if entry is not None:
                used.add(entry)
                continue
            out.append((me, line, target, f"{mine} imports {theirs}"))
    return out, used


def test_no_lower_layer_imports_a_higher_one():
    found, _ = violations()
    assert not found, "\n".join(f"{m}:{line} imports {t} ({why})" for m, line, t, why in found)


def test_every_allowed_exception_is_still_needed():
    _, used = violations()
    stale = set(ALLOWED) - used
    assert not stale, f"no longer needed, remove from ALLOWED: {sorted(stale)}"
    assert all(reason.strip() for reason in ALLOWED.values())


# ---- the checker catches what it should: a small package with planted arrows ----------------
def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "talk2model"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()
    return root


@pytest.mark.parametrize("files, expected", [
    ({"query/ast.py": "from talk2model.engine import run_query\n", "engine.py": ""},
     ("talk2model.query.ast", "talk2model.engine", "query imports engine")),
    ({"ops/predict.py": "def f():\n    from talk2model import engine\n", "engine.py": ""},   # lazy, from-import of a module
     ("talk2model.ops.predict", "talk2model.engine", "ops imports engine")),
    ({"store/t.py": "import talk2model.assistant\n", "assistant.py": ""},
     ("talk2model.store.t", "talk2model.assistant", "store imports assistant")),
    ({"workspace/x.py": "from ..verbalize import tables\n", "verbalize/tables.py": ""},  # relative
     ("talk2model.workspace.x", "talk2model.verbalize.tables", "workspace imports verbalize")),
    ({"verbalize/plots.py": "import gradio as gr\n"},
     ("talk2model.verbalize.plots", "gradio", "gradio outside ui.py")),
    ({"newthing.py": "import talk2model.query\n"},
     ("talk2model.newthing", "talk2model.query", "module with no layer: add it to LAYER")),
])
def test_the_checker_finds_a_planted_violation(tmp_path, files, expected):
    found, _ = violations(_plant(tmp_path, files), allowed={})
    assert [(m, t, why) for m, _, t, why in found] == [expected]


def test_the_checker_accepts_downward_arrows(tmp_path):
    root = _plant(tmp_path, {"engine.py": "from talk2model.ops import registry\nimport talk2model.query.ast\n",
                             "ops/registry.py": "from talk2model.workspace import schema\n",
                             "ui.py": "import gradio\nfrom talk2model import assistant\n",
                             "assistant.py": "", "workspace/schema.py": "", "query/ast.py": ""})
    assert violations(root, allowed={})[0] == []
