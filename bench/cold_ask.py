"""Bench a cold question from the command line, and the import that used to dominate it.
Prints figures; asserts nothing.

    .venv/bin/python bench/cold_ask.py [--runs 5] [--checkout DIR]

1. `talk2model ask -w credit "why was applicant 1 denied?"` in a fresh process, `--runs` times:
   wall time and CPU time (user + system, the process and its threads).
2. Importing skops.io in a fresh process that has already imported what the credit model needs:
   the normal import (which crawls all of scikit-learn, and torch with it, for skops's default
   list of trusted estimators) against `talk2model.workspace.skops_check.skops_io()`.

`--checkout DIR` also times the same question with the code in DIR (e.g. an export of an older
commit, with `models/` and `data/` linked in) under this interpreter, for a before/after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "why was applicant 1 denied?"
ENV = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
           MPLBACKEND="Agg", TALK2MODEL_DB="sqlite://")


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def cold_ask(runs: int, checkout: Path) -> tuple[list[float], list[float]]:
    env = dict(ENV, PYTHONPATH=str(checkout))
    cmd = [sys.executable, "-c", "import sys; from talk2model.cli import main; "
           f"sys.exit(main(['ask', '-w', 'credit', '--no-store', {QUESTION!r}]))"]
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, out = timed(cmd, checkout, env)
        assert out.startswith("I understood:"), out[:200]
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


PRE = ("import sklearn.utils, sklearn.pipeline, sklearn.compose, sklearn.preprocessing, "
       "sklearn.ensemble, pandas, scipy.special, time; t = time.perf_counter(); ")
IMPORTS = {
    "import skops.io (normal)": PRE + "import skops.io; ",
    "skops_check.skops_io()": PRE + "from talk2model.workspace.skops_check import skops_io; skops_io(); ",
}


def import_seconds(runs: int) -> dict[str, float]:
    out = {}
    for label, code in IMPORTS.items():
        times = []
        for _ in range(runs):
            _, _, text = timed([sys.executable, "-c", code + "print(time.perf_counter() - t, 'torch' in __import__('sys').modules)"], ROOT)
            seconds, torch = text.split()
            times.append(float(seconds))
        out[label] = (statistics.median(times), torch == "True")
    return out


def describe(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkout", type=Path, help="another copy of the code to time the same way")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    print(f'cold `talk2model ask -w credit "{QUESTION}"`, {args.runs} runs')
    walls, cpus = cold_ask(args.runs, ROOT)
    print(f"  this checkout   wall {describe(walls)}; CPU {describe(cpus)}")
    if args.checkout:
        walls, cpus = cold_ask(args.runs, args.checkout.resolve())
        print(f"  {args.checkout}   wall {describe(walls)}; CPU {describe(cpus)}")
    print("importing skops.io after the model's own scikit-learn modules (median of 3 fresh processes)")
    for label, (seconds, torch) in import_seconds(3).items():
        print(f"  {label:28s} {seconds:.2f} s{'  (imports torch)' if torch else ''}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
