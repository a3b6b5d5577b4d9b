"""The bias check on adult (48,842 people): seconds per check (goal: < 1 s).

    .venv/bin/python bench/bias_adult.py

"cold" includes the model's predictions on all rows (computed once per workspace and cached);
"warm" is every later question. Each is the whole turn (Assistant.run).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402

from talk2model import Assistant  # noqa: E402
from talk2model.workspace import load_workspace  # noqa: E402

QUERIES = ["bias sex", "bias race", "bias age", "bias sex and race", "bias age bands 30 50 and sex metric tpr"]


def main(repeats: int = 5) -> None:
    started = time.perf_counter()
    ws = load_workspace("adult")
    loaded = time.perf_counter() - started
    bot = Assistant(ws)
    started = time.perf_counter()
    first = bot.run(QUERIES[0])
    cold = time.perf_counter() - started
    assert first.error is None, first.text
    print(f"bias check on adult: {len(ws.data):,} rows (workspace loaded in {loaded:.2f} s)")
    print(f"  cold '{QUERIES[0]}' (includes predicting all rows once): {cold:.2f} s")
    for query in QUERIES:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            answer = bot.run(query)
            times.append(time.perf_counter() - started)
        r = answer.result
        low, high = r["demographic_parity_ratio_ci"]
        print(f"  warm '{query}': median {np.median(times):.3f} s, max {max(times):.3f} s "
              f"(groups {len(r['groups'])}, DP ratio {r['demographic_parity_ratio']:.2f} "
              f"[{low:.2f}, {high:.2f}], EO difference {r['equalized_odds_difference']:.2f}, "
              f"verdict {r['verdict']}, too small to judge {len(r['small_groups']) + len(r['thin_groups'])})")
    print("  goal: < 1 s per check")


if __name__ == "__main__":
    main()
