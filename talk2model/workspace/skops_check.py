"""Loading `.skops` files without running code from them, unless the operator says so.

A skops file is a zip archive: `schema.json` describes every object in it as a node with a
loader (`ObjectNode`, `NdArrayNode`, ...) and a type (`__module__` + `__class__`), and numpy
arrays sit beside it as `.npy` files. skops constructs only the types it is told to trust, but
trusting a type such as `builtins.exec` lets a crafted file run code. So before skops sees a
file, talk2model reads the schema itself and checks:

- every node's loader is one of `ALLOWED_LOADERS` (no bound methods, partials, operator
  functions or "construct from reduce" nodes, which call what they name);
- every type is on the allow-list `skops_allowed.txt`: exact names (never a prefix) of
  scikit-learn estimators and their internal types, numpy and scipy containers, dtypes and
  ufuncs, and a few builtins containers. `python -m talk2model.workspace.skops_check` rewrites
  the list from skops's own defaults plus `EXTRA_ALLOWED`;
- types the operator names (`trusted_types` in a workspace file) are added, exactly;
  `trusted = true` trusts the whole file.

Only then is skops imported and asked to load the file, trusting exactly the types found (it
audits the file again). Decision trees (`sklearn.tree._tree.Tree`) are allowed, and every tree
loaded is then checked for node indices out of range, which scikit-learn would follow without
bounds checks.

Importing skops.io normally calls `sklearn.utils.all_estimators()`, which imports every module
of scikit-learn (and torch through its array-API support): about 1.5 s of a cold start. Its
only use is skops's default list of trusted estimator names; `skops_io()` imports skops with
that list taken from the allow-list instead, so the import costs about 0.1 s and skops trusts
by default nothing beyond what talk2model allows.
"""

from __future__ import annotations

import json
import sys
import threading
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from talk2model.errors import WorkspaceError

ALLOWED_FILE = Path(__file__).with_name("skops_allowed.txt")
MAX_SCHEMA_BYTES = 256 * 1024 * 1024          # schema.json, uncompressed
MAX_UNCOMPRESSED_BYTES = 4 * 1024 ** 3         # the whole archive, uncompressed (zip bombs)

# Node loaders that only rebuild data (or call a type's __new__ / __setstate__ on an allowed type).
ALLOWED_LOADERS = frozenset({
    "DictNode", "DefaultDictNode", "ListNode", "SetNode", "TupleNode", "SliceNode", "JsonNode",
    "BytesNode", "BytearrayNode", "TypeNode", "ObjectNode", "FunctionNode", "CachedNode",
    "NdArrayNode", "MaskedArrayNode", "DTypeNode", "RandomStateNode", "RandomGeneratorNode",
    "SparseMatrixNode", "TreeNode", "LossNode",
})

# Beyond skops's defaults: scikit-learn's tree storage (checked after loading, see check_trees).
EXTRA_ALLOWED = ("sklearn.tree._tree.Tree", "collections.OrderedDict", "collections.defaultdict",
                 "builtins.dict", "builtins.slice", "builtins.bytes", "builtins.bytearray",
                 "numpy.dtype", "numpy.ndarray", "numpy.ma.MaskedArray",
                 "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator")
# In skops's defaults but never needed by a model, and callable on arbitrary arguments.
EXCLUDED = ("builtins.map",)

ERR_NOT_SKOPS = ("{name} is not a skops file ({why}). A .skops file is the zip archive that "
                 "skops.io.dump writes; a pickle or joblib file renamed .skops is not one.")
ERR_TREE = ("{name}: a decision tree in the file is malformed ({why}); it would read memory out "
            "of bounds when it predicts, so it is not loaded")
ERR_LOAD = "{name} could not be loaded by skops ({why})"


class UntrustedTypesError(WorkspaceError):
    """A skops file holds types outside the allow-list (`.types`), or node kinds that call what
    they name (`.calls`, e.g. "builtins.exec (node kind ConstructorFromReduceNode)")."""

    def __init__(self, name: str, types: list[str], calls: list[str] | None = None) -> None:
        super().__init__(f"{name} holds types outside the allow-list: {', '.join(calls or types)}")
        self.name = name
        self.types = types
        self.calls = calls or []


@lru_cache(maxsize=1)
def allowed_types() -> frozenset[str]:
    lines = ALLOWED_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


# ---- reading the schema ourselves ---------------------------------------------------------------

def _node_types(schema: Any) -> tuple[set[str], set[str]]:
    """(types, node kinds outside ALLOWED_LOADERS) named anywhere in a skops schema; iterative."""
    types: set[str] = set()
    bad_loaders: set[str] = set()
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        loader = item.get("__loader__")
        if loader is not None:
            if loader not in ALLOWED_LOADERS:
                bad_loaders.add(f"{item.get('__module__')}.{item.get('__class__')} (node kind {loader})")
            elif loader != "JsonNode":  # JSON nodes are json.loads'ed, never constructed
                types.add(f"{item.get('__module__')}.{item.get('__class__')}")
            if loader == "RandomGeneratorNode":  # the bit generator is named inside its state
                types.add(f"numpy.random.{_bit_generator_name(item)}")
            reduce = item.get("__reduce__")
            if isinstance(reduce, dict) and "__class__" in reduce:  # a reduce constructor
                types.add(f"{reduce.get('__module__')}.{reduce.get('__class__')}")
        stack.extend(item.values())
    return types, bad_loaders


def _bit_generator_name(node: dict) -> str:
    """The class a numpy Generator node will call, stored as a JSON string in its state (the
    same place skops reads it from)."""
    try:
        name = json.loads(node["content"]["bit_generator"]["content"]["bit_generator"]["content"])
    except (KeyError, TypeError, ValueError):
        return "<unreadable bit generator>"
    return name if isinstance(name, str) else "<unreadable bit generator>"


def file_types(path: Path) -> tuple[set[str], set[str]]:
    """(every type a skops file names, its nodes of a kind outside ALLOWED_LOADERS); raises
    WorkspaceError for a file that is not a skops archive."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES:
                raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why="it unpacks to more than 4 GB"))
            try:
                info = archive.getinfo("schema.json")
            except KeyError:
                raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why="the archive has no schema.json")) from None
            if info.file_size > MAX_SCHEMA_BYTES:
                raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why="its schema.json is too large"))
            raw = archive.read(info)
    except zipfile.BadZipFile:
        raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why="it is not a zip archive")) from None
    except OSError as exc:
        raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why=exc.strerror or type(exc).__name__)) from None
    try:
        schema = json.loads(raw)
    except (ValueError, RecursionError):
        raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why="its schema.json is not valid JSON")) from None
    if not isinstance(schema, dict) or "__loader__" not in schema:
        raise WorkspaceError(ERR_NOT_SKOPS.format(name=name, why="its schema.json describes no object"))
    return _node_types(schema)


# ---- loading --------------------------------------------------------------------------------------

_IMPORT_LOCK = threading.Lock()


def skops_io():
    """`skops.io`, imported without crawling all of scikit-learn (see the module docstring)."""
    module = sys.modules.get("skops.io")
    if module is not None:
        return module
    with _IMPORT_LOCK:
        if "skops.io" in sys.modules:
            return sys.modules["skops.io"]
        import sklearn.utils

        names = sorted(t for t in allowed_types() if t.startswith("sklearn."))
        # skops reads only `module.Name` from each class it is given (skops.io._utils.get_type_name)
        stand_ins = [(n.rsplit(".", 1)[1], type(n.rsplit(".", 1)[1], (), {"__module__": n.rsplit(".", 1)[0]}))
                     for n in names]
        original = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda type_filter=None: list(stand_ins)
        try:
            import skops.io
        finally:
            sklearn.utils.all_estimators = original
        return skops.io


def untrusted(types: set[str], trusted_types: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The types outside the allow-list and the operator's exact `trusted_types`."""
    allowed = allowed_types() | set(trusted_types)
    return sorted(t for t in types if t not in allowed)


def load_skops(path: Path, *, trusted_types: tuple[str, ...] | list[str] = (), trust_all: bool = False) -> Any:
    """Load a skops file that holds only allowed types (plus `trusted_types`; anything when
    `trust_all`). Raises UntrustedTypesError naming what is not allowed, WorkspaceError for a
    file that is not a usable skops file."""
    types, calls = file_types(path)
    refused = untrusted(types, trusted_types)
    if (refused or calls) and not trust_all:
        raise UntrustedTypesError(path.name, refused, sorted(calls))
    sio = skops_io()
    try:
        estimator = sio.load(path, trusted=sorted(types))
    except sio.exceptions.UntrustedTypesFoundException as exc:  # skops saw a type we did not
        raise UntrustedTypesError(path.name, sorted(map(str, exc.args[0] if exc.args and
                                                        isinstance(exc.args[0], (set, list)) else [str(exc)]))) from None
    except Exception as exc:  # skops raises many kinds on a damaged file; the user sees one sentence
        raise WorkspaceError(ERR_LOAD.format(name=path.name, why=f"{type(exc).__name__}: "
                                             f"{str(exc).splitlines()[0][:200] if str(exc) else ''}")) from None
    if not trust_all:
        check_trees(estimator, path.name)
    return estimator


# ---- decision trees -------------------------------------------------------------------------------

def _trees(obj: Any, limit: int = 2_000_000):
    """Every sklearn Tree reachable from `obj` (attributes, containers, object arrays)."""
    import numpy as np
    from sklearn.tree._tree import Tree

    seen: set[int] = set()
    stack = [obj]
    while stack and len(seen) < limit:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, bool, type(None))):
            continue
        seen.add(id(item))
        if isinstance(item, Tree):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
        elif isinstance(item, np.ndarray):
            if item.dtype == object:
                stack.extend(item.ravel().tolist())
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())


def check_trees(obj: Any, name: str) -> None:
    """Refuse trees whose node indices scikit-learn would follow out of bounds: children must
    be later nodes inside the tree (so every walk ends), leaves have no children, and a split
    reads one of the tree's features."""
    import numpy as np

    for tree in _trees(obj):
        state = tree.__getstate__()
        nodes = state["nodes"]
        count = int(state["node_count"])
        if count < 1 or count > len(nodes):
            raise WorkspaceError(ERR_TREE.format(name=name, why=f"node_count {count} for {len(nodes)} nodes"))
        nodes = nodes[:count]
        left, right, feature = (np.asarray(nodes[f], dtype=np.int64) for f in ("left_child", "right_child", "feature"))
        ids = np.arange(count)
        leaf = left == -1
        if not np.array_equal(leaf, right == -1):
            raise WorkspaceError(ERR_TREE.format(name=name, why="a node has only one child"))
        inner = ~leaf
        if ((left[inner] <= ids[inner]) | (left[inner] >= count) | (right[inner] <= ids[inner])
                | (right[inner] >= count)).any():
            raise WorkspaceError(ERR_TREE.format(name=name, why="a child index points outside the tree"))
        if ((feature[inner] < 0) | (feature[inner] >= tree.n_features)).any():
            raise WorkspaceError(ERR_TREE.format(name=name, why="a split reads a feature the tree does not have"))


# ---- the allow-list file --------------------------------------------------------------------------

def _generate() -> list[str]:
    """skops's own default trusted names (with the real scikit-learn crawl) + EXTRA_ALLOWED."""
    import skops.io._trusted_types as T  # a normal import: this is the slow path, run by hand
    from skops.io._sklearn import ALLOWED_LOSSES
    from skops.io._utils import get_type_name

    import scipy.sparse as sp

    names = set(T.PRIMITIVE_TYPE_NAMES + T.CONTAINER_TYPE_NAMES + T.SKLEARN_ESTIMATOR_TYPE_NAMES
                + T.SKLEARN_INTERNAL_TYPE_NAMES + T.NUMPY_DTYPE_TYPE_NAMES + T.NUMPY_UFUNC_TYPE_NAMES
                + T.SCIPY_UFUNC_TYPE_NAMES + T.NUMPY_RANDOM_BIT_GENERATOR_TYPE_NAMES)
    names |= {get_type_name(x) for x in ALLOWED_LOSSES}
    names |= {get_type_name(getattr(sp, n)) for n in dir(sp) if isinstance(getattr(sp, n), type)
              and issubclass(getattr(sp, n), (sp.spmatrix, sp.sparray))}
    names |= set(EXTRA_ALLOWED)
    return sorted(names - set(EXCLUDED))


def main(argv: list[str] | None = None) -> int:
    import skops

    names = _generate()
    header = (f"# Types a .skops file may hold without being trusted: exact names, one a line.\n"
              f"# Written by `python -m talk2model.workspace.skops_check` from skops {skops.__version__}'s\n"
              f"# default trusted types + EXTRA_ALLOWED - EXCLUDED (see skops_check.py). Review changes.\n")
    ALLOWED_FILE.write_text(header + "\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {ALLOWED_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
