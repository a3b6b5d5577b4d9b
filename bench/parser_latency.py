"""Parser start-up and per-question latency on one core, after warm-up.

    .venv/bin/python bench/parser_latency.py [--set dev] [--repeat 3]

Start-up: a fresh process building the parser for a workspace (workspace loading excluded and
reported apart), until it answers its first question. Latency: every question of the chosen
evaluation set, parsed `--repeat` times after one warm-up pass; p50 / p95 / max in ms.
Only timings are printed, never the questions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

STARTUP = r"""
import time, os
t0 = time.perf_counter()
from talk2model.workspace import load_workspace
ws = load_workspace({ws!r})
t1 = time.perf_counter()
from talk2model.parser.nl import NaturalLanguageParser
p = NaturalLanguageParser(ws)
p.parse("why was the first one predicted that way?")
t2 = time.perf_counter()
from talk2model.parser.classifier import IntentClassifier
IntentClassifier.shared()
t3 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{t3 - t1:.3f}}")
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", dest="which", default="dev", choices=("dev", "dev2", "dev3", "dev4", "dev5", "all-dev", "test"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from talk2model.parser.evaluate import load_items
    from talk2model.parser.nl import NaturalLanguageParser
    from talk2model.state import Conversation
    from talk2model.workspace import load_workspace

    print("start-up (fresh process, one core):")
    for ws in ("credit", "german", "compas", "diabetes"):
        out = subprocess.run([sys.executable, "-c", STARTUP.format(ws=ws)], capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1"}, check=True).stdout.split()
        load, ready, model = map(float, out[-3:])
        print(f"  {ws:9s} workspace load {load:5.2f} s   parser ready {ready:5.2f} s   "
              f"with sentence model {model:5.2f} s")

    items = load_items(args.which)
    parsers = {}
    for item in items:
        if item["workspace"] not in parsers:
            parsers[item["workspace"]] = NaturalLanguageParser(load_workspace(item["workspace"]))
    from talk2model.parser.classifier import IntentClassifier

    IntentClassifier.shared()
    for item in items:                                   # warm-up
        parsers[item["workspace"]].parse(item["question"], Conversation())
    times = []
    for _ in range(args.repeat):
        for item in items:
            started = time.perf_counter()
            parsers[item["workspace"]].parse(item["question"], Conversation())
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"latency over {len(items)} {args.which} questions x {args.repeat}: "
          f"p50 {statistics.median(times):.1f} ms   p95 {p95:.1f} ms   max {times[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
