"""Feature names said in other words ("the time someone spent locked up" for `months_in_jail`):
a fallback for an operation that needs a feature when the schema's own words found none.

The question's uncovered phrases and each feature's name, synonyms and description are embedded
with all-MiniLM-L6-v2 (the sentence model the reader is built on, run unchanged by onnxruntime);
the closest feature is taken only when it is clearly closer than the next one and close enough in
absolute terms. Otherwise the parser says the data has nothing by that name and offers choices.
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from talk2model.parser.encode import minilm_dir, tokenizer

MIN_SIMILARITY = 0.55       # cosine between a phrase and a feature's words
MIN_MARGIN = 0.06           # over the next feature
_LOCK = threading.Lock()


def _onnx_path() -> Path:
    weights = minilm_dir() / "model.safetensors"
    digest = hashlib.sha256(str(weights.stat().st_size).encode() + weights.name.encode()).hexdigest()[:12]
    from talk2model.parser.reader import _onnx_path as beside

    return beside(weights).with_name(f"minilm-{digest}.onnx")


def _build(out: Path) -> Path:
    """MiniLM's encoder, as the package has it, exported once (torch only here)."""
    import torch

    from talk2model.parser.train.net import ReaderNet

    net = ReaderNet.from_minilm().eval()

    class Encoder(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, ids, mask):
            x = self.net.lower(ids, torch.zeros_like(ids), mask)
            bias = (1.0 - mask.to(x.dtype))[:, None, None, :] * -1e9
            for layer in self.net.layers[3:]:
                x = layer(x, bias)
            m = mask.to(x.dtype)[..., None]
            pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    dummy = (torch.ones(2, 6, dtype=torch.long), torch.ones(2, 6, dtype=torch.long))
    with torch.no_grad():
        torch.onnx.export(Encoder(net), dummy, str(tmp), input_names=["ids", "mask"], output_names=["embedding"],
                          dynamic_axes={"ids": {0: "batch", 1: "pieces"}, "mask": {0: "batch", 1: "pieces"},
                                        "embedding": {0: "batch"}}, opset_version=17, dynamo=False)
    tmp.replace(out)
    return out


class Embedder:
    def __init__(self) -> None:
        import onnxruntime as ort

        path = _onnx_path()
        with _LOCK:
            if not path.exists():
                _build(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, texts: list[str]) -> np.ndarray:
        tok = tokenizer()
        encs = [tok.encode(t) for t in texts]
        n = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), n), dtype=np.int64)
        mask = np.zeros((len(encs), n), dtype=np.int64)
        for k, e in enumerate(encs):
            ids[k, :len(e.ids)] = e.ids
            mask[k, :len(e.ids)] = 1
        return self.session.run(None, {"ids": ids, "mask": mask})[0]


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    return Embedder()


class SemanticFeatures:
    """The features of one workspace, embedded once; `guess(phrases)` -> (feature, phrase) or None."""

    def __init__(self, schema, features: list[str] | None = None) -> None:
        self.schema = schema
        names = features or list(schema.features)
        self.texts: list[str] = []
        self.owner: list[str] = []
        for f in names:
            spec = schema.features[f]
            for text in {spec.words, *spec.synonyms, spec.description}:
                if text:
                    self.texts.append(text)
                    self.owner.append(f)
        self._vectors: np.ndarray | None = None

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = embedder()(self.texts)
        return self._vectors

    def nearest(self, phrases: list[str], k: int = 3) -> list[str]:
        """The k features whose words are closest to any of the phrases, closest first."""
        if not phrases or not self.texts:
            return []
        sims = embedder()(phrases) @ self.vectors.T
        best: dict[str, float] = {}
        for row in sims:
            for f, s in zip(self.owner, row):
                best[f] = max(best.get(f, -1.0), float(s))
        return [f for f, _ in sorted(best.items(), key=lambda kv: -kv[1])[:k]]

    def guess(self, phrases: list[str]) -> tuple[str, str] | None:
        if not phrases or not self.texts:
            return None
        sims = embedder()(phrases) @ self.vectors.T           # phrases x feature texts
        best: dict[str, tuple[float, str]] = {}
        for p, row in zip(phrases, sims):
            for f, s in zip(self.owner, row):
                if s > best.get(f, (-1.0, ""))[0]:
                    best[f] = (float(s), p)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        top, (score, phrase) = ranked[0]
        second = ranked[1][1][0] if len(ranked) > 1 else -1.0
        if score >= MIN_SIMILARITY and score - second >= MIN_MARGIN:
            return top, phrase
        return None


def candidate_phrases(tokens: list[str], covered: set[int], generic: frozenset[str], n_max: int = 5) -> list[str]:
    """Runs of the question's words outside every span, cut at punctuation, with at least one
    word that is not a generic question word: the places a feature may be named in other words."""
    runs: list[list[str]] = [[]]
    for i, t in enumerate(tokens):
        if i in covered or not t.isalpha():
            runs.append([])
        else:
            runs[-1].append(t)
    out: list[str] = []
    for run in runs:
        for n in range(1, n_max + 1):
            for k in range(len(run) - n + 1):
                piece = run[k:k + n]
                if any(w not in generic and len(w) >= 4 for w in piece):
                    out.append(" ".join(piece))
    return list(dict.fromkeys(out))[:60]
