"""Parser start-up and per-question latency on one core, after warm-up.

    .venv/bin/python bench/parser_latency.py [--set dev] [--repeat 3]

Start-up: a fresh process loads a workspace (reported apart), then builds the parser and answers
its first question (the reader's ONNX export and its optimised graph are built beforehand, once,
and cached). Latency: every question of the chosen evaluation set, parsed `--repeat` times after one warm-up pass;
p50 / p95 / max in ms. Only timings are printed, never the questions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

STARTUP = r"""
import time
t0 = time.perf_counter()
from talk2model.workspace import load_workspace
ws = load_workspace({ws!r})
t1 = time.perf_counter()
from talk2model.parser.nl import NaturalLanguageParser
p = NaturalLanguageParser(ws)
p.parse("why was the first one predicted that way?")
t2 = time.perf_counter()
import sys
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{int('torch' in sys.modules)}}")
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", dest="which", default="dev")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from talk2model.parser.evaluate import load_items
    from talk2model.parser.nl import NaturalLanguageParser
    from talk2model.parser.reader import Reader
    from talk2model.state import Conversation
    from talk2model.workspace import load_workspace

    Reader.shared().session  # builds the ONNX export and its optimised graph once if missing
    print("start-up (fresh process, one core):")
    for ws in ("credit", "german", "compas", "diabetes"):
        out = subprocess.run([sys.executable, "-c", STARTUP.format(ws=ws)], capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1"}, check=True).stdout.split()
        load, ready, torch_loaded = float(out[-3]), float(out[-2]), out[-1] == "1"
        print(f"  {ws:9s} workspace load {load:5.2f} s   reader ready + first parse {ready:5.2f} s"
              f"   (torch imported: {'yes' if torch_loaded else 'no'})")

    items = load_items(args.which)
    if items and "turns" in items[0]:
        items = [{"workspace": c["workspace"], "question": t["question"]} for c in items for t in c["turns"]]
    parsers = {}
    for item in items:
        if item["workspace"] not in parsers:
            parsers[item["workspace"]] = NaturalLanguageParser(load_workspace(item["workspace"]))
    for item in items:                                   # warm-up
        parsers[item["workspace"]].parse(item["question"], Conversation())
    times = []
    for _ in range(args.repeat):
        for item in items:
            started = time.perf_counter()
            parsers[item["workspace"]].parse(item["question"], Conversation())
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"latency over {len(items)} {args.which} questions x {args.repeat} (one thread): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
