"""What an attribution cache holds, and the one interface the explainers use to reach it.

The explainers never import the store: whoever owns a cache (the Assistant, given it by its
`Store`; `talk2model precompute`) passes it in. Anything with `get` and `put` as below will do;
`talk2model.store.cache.AttributionCache` keeps them in the audit database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Protocol

import numpy as np


@dataclass(frozen=True)
class CacheKey:
    """Which attributions: the model, the data, the method and the feature layout."""

    model_fp: str
    data_fp: str
    method: str
    layout: str


@dataclass
class Entry:
    values: np.ndarray
    base: float
    output: float
    explained: str | None = None


@dataclass
class Block:
    """Attributions of many rows as arrays (what the explainers produce and consume)."""

    ids: list[str]
    values: np.ndarray          # rows x features
    base: np.ndarray
    output: np.ndarray
    explained: list[str | None]

    def __len__(self) -> int:
        return len(self.ids)

    def entries(self) -> dict[str, Entry]:
        return {rid: Entry(self.values[k], float(self.base[k]), float(self.output[k]), self.explained[k])
                for k, rid in enumerate(self.ids)}

    @classmethod
    def of(cls, entries: dict[str, Entry], width: int) -> "Block":
        ids = list(entries)
        return cls(ids, np.vstack([entries[i].values for i in ids]) if ids else np.zeros((0, width)),
                   np.array([entries[i].base for i in ids], dtype=float),
                   np.array([entries[i].output for i in ids], dtype=float),
                   [entries[i].explained for i in ids])


class AttributionStore(Protocol):
    """A lasting attribution cache, as the explainers use it."""

    def get(self, key: CacheKey, ids: Iterable[Any]) -> dict[str, Entry]:
        """Cached entries for the given row ids (as strings), those that exist."""

    def put(self, key: CacheKey, entries: "dict[str, Entry] | Block", *, wait: bool = False) -> None:
        """Store entries (existing keys are kept); in the background unless `wait`."""
