"""A bigger copy of a table for scale tests and benchmarks: its rows resampled with noise.

    frame = resample(load_workspace("adult").data, 2_000_000, seed=0)

Rows are drawn with replacement; whole numbers move by a few percent of their spread (kept in
the column's range and whole), and each category is replaced, with probability 5%, by a value
drawn from the column's own distribution. The target is kept (the model is judged against it as
against real outcomes). Row ids are 0 .. n-1. Deterministic for a seed; nothing is downloaded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SWAP = 0.05      # chance a category is redrawn
JITTER = 0.03    # numbers move by this share of their standard deviation, about


def resample(frame: pd.DataFrame, n: int, *, seed: int = 0, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """`n` rows like `frame`'s; columns in `keep` (the target) are copied as drawn."""
    rng = np.random.default_rng(seed)
    out = frame.iloc[rng.integers(0, len(frame), n)].reset_index(drop=True)
    for name in out.columns:
        if name in keep:
            continue
        column = out[name]
        if pd.api.types.is_numeric_dtype(column.dtype) and column.nunique() > 2:
            spread = float(frame[name].std()) or 1.0
            moved = column.to_numpy(dtype=float) + rng.normal(0, JITTER * spread, n)
            moved = np.clip(moved, frame[name].min(), frame[name].max())
            if pd.api.types.is_integer_dtype(column.dtype):
                moved = np.rint(moved).astype(column.dtype)
            out[name] = moved
        else:
            swap = rng.random(n) < SWAP
            drawn = frame[name].to_numpy()[rng.integers(0, len(frame), int(swap.sum()))]
            values = column.to_numpy(copy=True)
            values[swap] = drawn
            out[name] = pd.Series(values, dtype=column.dtype)
    out.index = pd.RangeIndex(n, name="id")
    return out
