"""Attributions for a workspace's rows, in the user's features, with a cache that lasts.

    ex = explainer_for(workspace)
    att = ex.attributions(frame)            # SHAP with the right algorithm for the model
    att.values                              # rows x features (one-hot columns and groups summed)
    att.base, att.output, att.space         # base value, model output, "log-odds" / "probability"

Lookups go memory -> database -> compute, when given a database cache (`cache=`, an
`AttributionStore`: the Assistant passes its store's; nothing here picks one). Computed rows are
written to it by a background thread, so answering never waits on the write; what-if rows (not the
workspace's own data) are computed and never stored. The memory is kept per database cache, so two
assistants with different stores never share one. Nothing here runs when a workspace loads: the explainer is
built on the first question that needs it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model import deadline
from talk2model.errors import OperationError
from talk2model.explainers.encoding import Encoding
from talk2model.explainers.shapley import Backend, choose
from talk2model.explainers.cached import AttributionStore, Block, CacheKey, Entry

ERR_LIME_MANY = ("LIME explains one row at a time and takes about a second per row, so I explain "
                 "at most {limit} rows with it; narrow the selection or use SHAP (\"explain\")")
ERR_MULTIOUTPUT = "this model has no single output to explain"
LIME_LIMIT = 50

# The most rows one answer computes attributions for, by method. A bigger selection is stood for
# by a seeded random sample of this size, and the answer says so: tree and linear SHAP take
# microseconds a row, permutation SHAP calls the model hundreds of times a row.
SAMPLE_ROWS = {"shap-tree": 10_000, "shap-linear": 50_000, "shap-deep": 2_000, "shap-permutation": 200,
               "captum-ig": 2_000, "captum-deeplift": 2_000, "captum-saliency": 2_000}
# Captum's methods for a PyTorch MLP (the query language's names -> the cache's method names)
CAPTUM_TABULAR = {"integrated_gradients": "captum-ig", "deeplift": "captum-deeplift",
                  "saliency": "captum-saliency"}
ERR_NEEDS_TORCH = ("{name} reads a PyTorch model's gradients; this model is a {kind}, so ask for SHAP "
                   "(\"explain auto\") or LIME")
ERR_IMAGE_ONLY = "{name} explains image models; for this model use shap, integrated_gradients, deeplift, deep_shap or saliency"
SAMPLE_SEED = 0
STEP_ROWS = 10   # permutation SHAP runs this many rows at a time between time-budget checks

_LOCK = threading.Lock()


@dataclass
class Attributions:
    """Attributions of some rows, in the user's features."""

    values: pd.DataFrame          # index: row ids; columns: features (groups summed)
    base: pd.Series               # base value per row (expected output over the background)
    output: pd.Series             # the model's output per row, in `space`
    explained: pd.Series          # the class each row's output is about (None for regression)
    method: str                   # shap-tree, shap-linear, shap-deep, shap-permutation, lime
    space: str                    # log-odds, probability, prediction
    from_cache: int = 0           # rows served from the cache

    @property
    def features(self) -> list[str]:
        return list(self.values.columns)

    def row(self, row_id: Any) -> pd.Series:
        return self.values.loc[row_id]


METHOD_NAMES = {"shap-tree": "TreeSHAP", "shap-linear": "linear SHAP", "shap-deep": "Deep SHAP (DeepLIFT)",
                "shap-permutation": "permutation SHAP", "lime": "LIME",
                "captum-ig": "Integrated Gradients (Captum, from the data's mean)",
                "captum-deeplift": "DeepLIFT (Captum, from the data's mean)",
                "captum-saliency": "saliency (Captum gradients)"}


class Explainer:
    """Everything needed to explain one workspace's model; one per workspace."""

    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.encoding = Encoding.of(workspace.model, workspace.schema.groups)
        self._backend: Backend | None = None
        self._lime = None
        self._captum = None
        self._randomised = None
        # per database cache (None: no database), then per method
        self._memory: dict[str, _Memory] = {}
        self._memory_by_store: "weakref.WeakKeyDictionary[Any, dict[str, _Memory]]" = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()

    # ---- back-ends, built on first use ----------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = choose(self.encoding.final,
                                           lambda: self.encoding.transform(self.workspace.data))
        return self._backend

    @property
    def lime(self):
        if self._lime is None:
            from talk2model.explainers.lime_backend import LimeBackend

            self._lime = LimeBackend(self.workspace, self.backend.outputs)
        return self._lime

    @property
    def captum(self):
        """Captum's methods around the model's PyTorch module (None for other models): the
        baseline is the background's mean row, Deep SHAP's background the same rows as shap's."""
        if self._captum is None and self.backend.method == "shap-deep":
            from talk2model.explainers.captum_backend import CaptumExplainer

            with self._lock:
                if self._captum is None:
                    bg = np.asarray(self.backend.background, dtype=np.float32)
                    self._captum = CaptumExplainer(self.encoding.final.module, baseline=bg.mean(axis=0),
                                                   background=bg, image=False)
        return self._captum

    def method_for(self, method: str = "auto") -> str:
        if method == "lime":
            return "lime"
        if method in ("gradcam", "occlusion"):
            from talk2model.explainers.captum_backend import METHOD_NAMES as CAPTUM_NAMES

            raise OperationError(ERR_IMAGE_ONLY.format(name=CAPTUM_NAMES[method]))
        if method in CAPTUM_TABULAR or method == "deep_shap":
            if self.backend.method != "shap-deep":
                from talk2model.explainers.captum_backend import METHOD_NAMES as CAPTUM_NAMES

                raise OperationError(ERR_NEEDS_TORCH.format(name=CAPTUM_NAMES[method],
                                                            kind=self.workspace.model.kind))
            return CAPTUM_TABULAR.get(method, "shap-deep")
        return self.backend.method

    def sample(self, frame: pd.DataFrame, method: str = "auto") -> pd.DataFrame:
        """`frame`, or a seeded random sample of SAMPLE_ROWS[method] of its rows (in id order)
        when it is bigger: what an answer over a big selection computes attributions for."""
        limit = SAMPLE_ROWS.get(self.method_for(method))
        if limit is None or len(frame) <= limit:
            return frame
        return frame.sample(limit, random_state=SAMPLE_SEED).sort_index()

    def space_for(self, method: str = "auto") -> str:
        return ("probability" if self.workspace.model.has_proba else "prediction") \
            if method == "lime" else self.backend.space   # Captum on the MLP: its logit, as Deep SHAP

    def key(self, method: str) -> CacheKey:
        ws = self.workspace
        return CacheKey(ws.model_fingerprint, ws.data_fingerprint, method, self.encoding.layout)

    # ---- the one entry point ----------------------------------------------------------------
    def attributions(self, frame: pd.DataFrame, method: str = "auto", *, cacheable: bool = True,
                     cache: AttributionStore | None = None) -> Attributions:
        """Attributions for `frame`'s rows. `cacheable=False` for rows that are not the
        workspace's own (what-if copies); `cache`: the database cache to read and fill (none:
        this explainer's memory only)."""
        name = self.method_for(method)
        if name == "lime" and len(frame) > LIME_LIMIT:
            raise OperationError(ERR_LIME_MANY.format(limit=LIME_LIMIT))
        store = cache or None
        ids = [str(i) for i in frame.index]
        memory = self._memory_for(store, name) if cacheable else None
        from_cache = 0
        if memory is not None:
            missing = memory.missing(ids)
            if missing and store is not None:
                stored = store.get(self.key(name), missing)
                if stored:
                    memory.add(Block.of(stored, len(self.encoding.features)))
            from_cache = len(ids) - len(memory.missing(ids))
        else:
            memory = _Memory(len(self.encoding.features))
        missing = memory.missing(ids)
        if missing:
            wanted = set(missing)
            rows = frame.loc[[i in wanted for i in ids]] if len(missing) < len(ids) else frame
            fresh = self.compute(rows, name)
            memory.add(fresh)
            if cacheable and store is not None:
                store.put(self.key(name), fresh)
        return self._assemble(frame, memory.take(ids), name, from_cache)

    def _memory_for(self, store: AttributionStore | None, name: str) -> "_Memory":
        with self._lock:
            memories = self._memory if store is None else self._memory_by_store.setdefault(store, {})
            return memories.setdefault(name, _Memory(len(self.encoding.features)))

    def compute(self, frame: pd.DataFrame, name: str) -> Block:
        """Attributions computed now (no cache), as a block of arrays."""
        if name == "lime":
            return Block.of(self._compute_lime(frame), len(self.encoding.features))
        if name.startswith("captum-"):
            return self._compute_captum(frame, name)
        backend = self.backend
        Z = self.encoding.transform(frame)
        values, base, output = self._explain_in_steps(backend, Z)
        index = self._output_index(Z, backend.outputs)
        n = len(Z)
        summed = values[np.arange(n), :, index] @ self.encoding.aggregator
        labels = [_text(o) for o in backend.outputs]
        return Block([str(i) for i in frame.index], summed, base[index].astype(float),
                     output[np.arange(n), index].astype(float), [labels[k] for k in index])

    def _compute_captum(self, frame: pd.DataFrame, name: str) -> Block:
        """Captum on the MLP's one logit (the log-odds of its second class), from the baseline."""
        method = {v: k for k, v in CAPTUM_TABULAR.items()}[name]
        Z = np.asarray(self.encoding.transform(frame), dtype=np.float32)
        parts = []
        for start in range(0, len(Z), 500):
            deadline.check()
            parts += self.captum.attribute_many(Z[start:start + 500], method, [0] * len(Z[start:start + 500]))
        values = np.stack([a.values for a in parts]) @ self.encoding.aggregator
        label = _text(self.backend.outputs[0])
        return Block([str(i) for i in frame.index], values, np.array([a.base_value for a in parts], dtype=float),
                     np.array([a.output_value for a in parts], dtype=float), [label] * len(parts))

    def faithfulness(self, frame: pd.DataFrame, methods: list[str] | None = None):
        """The faithfulness comparison (explainers.faithfulness) for one row of a PyTorch MLP:
        Captum's saliency, Integrated Gradients and DeepLIFT, and shap's Deep SHAP (its
        randomised-model twin is Captum's DeepLiftShap on the same background: the same rule)."""
        from talk2model.explainers.captum_backend import Attribution, explainer_like, randomised_copy
        from talk2model.explainers.faithfulness import compare

        captum = self.captum
        if not np.array_equal(self.encoding.aggregator, np.eye(len(self.encoding.features))):
            raise OperationError("the faithfulness comparison needs a model that reads the features as they are")
        methods = methods or ["saliency", "integrated_gradients", "deeplift", "deep_shap"]
        for m in methods:
            self.method_for(m)   # refuses methods that do not apply, with a sentence
        z = np.asarray(self.encoding.transform(frame), dtype=np.float32)[0]
        given = {}
        if "deep_shap" in methods:
            att = self.attributions(frame, "deep_shap", cacheable=False)
            given["deep_shap"] = Attribution(
                method="deep_shap", values=att.values.to_numpy()[0], target=0,
                output_value=float(att.output.iloc[0]), base_value=float(att.base.iloc[0]),
                convergence_delta=None, forward_passes=2 * len(captum.background), seconds=0.0)
        with self._lock:
            if self._randomised is None:
                self._randomised = explainer_like(captum, randomised_copy(captum.module))
        return compare(captum, z, 0, methods, attributions=given, randomised=self._randomised)

    def _explain_in_steps(self, backend: Backend, Z: np.ndarray):
        """backend.explain(Z); the slow back-ends in steps of STEP_ROWS rows, checking the
        question's time budget between steps (talk2model.deadline)."""
        if backend.method != "shap-permutation" or len(Z) <= STEP_ROWS:
            deadline.check()
            return backend.explain(Z)
        parts = []
        for start in range(0, len(Z), STEP_ROWS):
            deadline.check()
            parts.append(backend.explain(Z[start:start + STEP_ROWS]))
        values = np.concatenate([p[0] for p in parts])
        return values, parts[0][1], np.concatenate([p[2] for p in parts])

    def model_output(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's output per row in the explained space (what SHAP values add up to)."""
        Z = self.encoding.transform(frame)
        out = self.backend.output(Z)
        index = self._output_index(Z, self.backend.outputs)
        return out[np.arange(len(Z)), index]

    def _output_index(self, Z: np.ndarray, outputs: list[Any]) -> np.ndarray:
        """Which output to explain per row: the only one; the second class of two; or, with
        more classes, the class the model predicts for that row."""
        if len(outputs) == 1:
            return np.zeros(len(Z), dtype=int)
        classes = list(self.workspace.model.classes_)
        if len(classes) == 2:
            return np.full(len(Z), outputs.index(classes[1]))
        from talk2model.explainers.shapley import _named

        predicted = self.encoding.final.predict(_named(self.encoding.final, Z))
        position = {c: k for k, c in enumerate(outputs)}
        return np.array([position[p] for p in predicted])

    def _compute_lime(self, frame: pd.DataFrame) -> dict[str, Entry]:
        lime = self.lime
        classes = list(self.workspace.model.classes_)
        predicted = self.workspace.model.predict(frame) if len(classes) > 2 else None
        aggregate = _column_aggregator(self.workspace.model.feature_names, self.encoding.features,
                                       self.workspace.schema.groups)
        out = {}
        X = frame[self.workspace.model.feature_names]
        for k, (rid, row) in enumerate(X.iterrows()):
            deadline.check()   # about a second a row: stop when the question's time is up
            cls = None if not self.workspace.model.has_proba else (
                classes[1] if len(classes) == 2 else predicted[k])
            weights, intercept, output = lime.explain_row(row, cls)
            out[str(rid)] = Entry(weights @ aggregate, intercept, output, _text(cls))
        return out

    def _assemble(self, frame, block: Block, name, from_cache) -> Attributions:
        index = frame.index
        classes = {_text(c): c for c in list(self.workspace.model.classes_)}
        return Attributions(
            values=pd.DataFrame(block.values, index=index, columns=self.encoding.features),
            base=pd.Series(block.base, index=index, dtype=float),
            output=pd.Series(block.output, index=index, dtype=float),
            explained=pd.Series([classes.get(e, e) for e in block.explained], index=index, dtype=object),
            method=name, space=self.space_for("lime" if name == "lime" else "auto"),
            from_cache=from_cache)


class _Memory:
    """This process's attributions for one method: row id -> position in growing arrays."""

    def __init__(self, width: int) -> None:
        self.pos: dict[str, int] = {}
        self.blocks: list[Block] = []
        self.width = width
        self._joined: Block | None = None

    def missing(self, ids: list[str]) -> list[str]:
        pos = self.pos
        return [i for i in ids if i not in pos]

    def add(self, block: Block) -> None:
        start = len(self.pos)
        fresh = [k for k, i in enumerate(block.ids) if i not in self.pos]
        if len(fresh) < len(block.ids):
            block = Block([block.ids[k] for k in fresh], block.values[fresh], block.base[fresh],
                          block.output[fresh], [block.explained[k] for k in fresh])
        for k, rid in enumerate(block.ids):
            self.pos[rid] = start + k
        self.blocks.append(block)
        self._joined = None

    def _all(self) -> Block:
        if self._joined is None:
            if len(self.blocks) == 1:
                self._joined = self.blocks[0]
            else:
                self._joined = Block([i for b in self.blocks for i in b.ids],
                                     np.vstack([b.values for b in self.blocks]) if self.blocks else np.zeros((0, self.width)),
                                     np.concatenate([b.base for b in self.blocks]) if self.blocks else np.zeros(0),
                                     np.concatenate([b.output for b in self.blocks]) if self.blocks else np.zeros(0),
                                     [e for b in self.blocks for e in b.explained])
                self.blocks = [self._joined]
        return self._joined

    def take(self, ids: list[str]) -> Block:
        allb = self._all()
        rows = np.fromiter((self.pos[i] for i in ids), dtype=np.intp, count=len(ids))
        return Block(ids, allb.values[rows], allb.base[rows], allb.output[rows],
                     [allb.explained[r] for r in rows])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _column_aggregator(columns: list[str], features: list[str], groups) -> np.ndarray:
    group_of = {c: g for g, members in (groups or {}).items() for c in members}
    index = {f: j for j, f in enumerate(features)}
    out = np.zeros((len(columns), len(features)))
    for i, col in enumerate(columns):
        out[i, index[group_of.get(col, col)]] = 1.0
    return out


_EXPLAINERS: "weakref.WeakKeyDictionary[Any, Explainer]" = weakref.WeakKeyDictionary()


def explainer_for(workspace) -> Explainer:
    """The workspace's explainer (one per workspace object, built on first use)."""
    with _LOCK:
        ex = _EXPLAINERS.get(workspace)
        if ex is None:
            ex = _EXPLAINERS[workspace] = Explainer(workspace)
        return ex
