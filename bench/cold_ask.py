"""Bench a cold question from the command line, and the import that used to dominate it.
Prints figures; asserts nothing.

    .venv/bin/python bench/cold_ask.py [--runs 5] [--checkout DIR]

1. `talk2model ask -w credit "why was applicant 1 denied?"` in a fresh process, `--runs` times:
   the wall time until the answer is printed and until the process exits (it waits for the
   parser's background load of its sentence model), and the CPU time (user + system, all threads).
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


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, str, float]:
    """(wall seconds to exit, CPU seconds of the child, its stdout, seconds to its first line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    first = proc.stdout.readline()
    first_at = time.perf_counter() - started
    rest, err = proc.communicate(timeout=300)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, first + rest, first_at


NO_WARMUP = ("import talk2model.parser.nl as nl; nl._warm_classifier = lambda: None; ")


def cold_ask(checkout: Path, figures: dict, *, no_warmup: bool = False) -> None:
    """One cold run in `checkout`; appends to figures["printed" | "exit" | "cpu"]. With
    `no_warmup`, the parser does not load its sentence model in the background (an experiment:
    this question is answered by its rules)."""
    env = dict(ENV, PYTHONPATH=str(checkout))
    cmd = [sys.executable, "-c", "import sys; " + (NO_WARMUP if no_warmup else "")
           + "from talk2model.cli import main; "
           f"sys.exit(main(['ask', '-w', 'credit', '--no-store', {QUESTION!r}]))"]
    wall, cpu, out, printed = timed(cmd, checkout, env)
    assert out.startswith("I understood:"), out[:200]
    figures.setdefault("printed", []).append(printed)
    figures.setdefault("exit", []).append(wall)
    figures.setdefault("cpu", []).append(cpu)


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
            _, _, text, _ = timed([sys.executable, "-c", code + "print(time.perf_counter() - t, 'torch' in __import__('sys').modules)"], ROOT)
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
    parser.add_argument("--without-parser-warmup", action="store_true",
                        help="also time this checkout with the parser's background model load turned off")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    print(f'cold `talk2model ask -w credit "{QUESTION}"`, {args.runs} runs'
          + (" each, alternating with the other checkout" if args.checkout else ""))
    copies = {"this checkout": ROOT, **({str(args.checkout): args.checkout.resolve()} if args.checkout else {})}
    figures: dict[str, dict] = {label: {} for label in copies}
    if args.without_parser_warmup:
        figures["this checkout, no parser warm-up"] = {}
    for _ in range(args.runs):
        for label, folder in copies.items():
            cold_ask(folder, figures[label])
        if args.without_parser_warmup:
            cold_ask(ROOT, figures["this checkout, no parser warm-up"], no_warmup=True)
    for label, f in figures.items():
        print(f"  {label}: answer printed {describe(f['printed'])}; process exit {describe(f['exit'])}; "
              f"CPU {describe(f['cpu'])}")
    print("importing skops.io after the model's own scikit-learn modules (median of 3 fresh processes)")
    for label, (seconds, torch) in import_seconds(3).items():
        print(f"  {label:28s} {seconds:.2f} s{'  (imports torch)' if torch else ''}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
