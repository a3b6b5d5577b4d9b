"""Fuzz `Assistant.ask` at scale. Prints counts; asserts nothing (tests/test_robustness.py is the
test; this runs the same generators, unseeded and for longer).

    .venv/bin/python bench/fuzz.py [--n 1000] [--workspaces credit compas]

For every workspace, `--n` inputs from each of the three forms (query text, query JSON, natural
language) go through `Assistant.ask` with a store: how many raised, how many got an answer text,
how many left a stored turn, how many were refused with an error, and the slowest.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="inputs per form and workspace")
    parser.add_argument("--workspaces", nargs="+", default=["credit", "compas"])
    args = parser.parse_args()

    from hypothesis import HealthCheck, given, settings

    from talk2model.assistant import Assistant
    from talk2model.store.turns import Store
    from tests.test_robustness import json_queries, nl_questions, text_queries

    forms = {"query text": text_queries, "query JSON": json_queries, "natural language": nl_questions}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'fuzz.sqlite'}")
        for name in args.workspaces:
            for form, strategy in forms.items():
                bot = Assistant(name, store=store)
                counts = {"inputs": 0, "raised": 0, "answered": 0, "stored": 0, "refused with an error": 0}
                slowest = [0.0, ""]
                raised: list[str] = []

                @settings(max_examples=args.n, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(question=strategy)
                def run(question):
                    counts["inputs"] += 1
                    started = time.perf_counter()
                    try:
                        answer = bot.ask(question)
                    except Exception as exc:  # noqa: BLE001 - counting is the point
                        counts["raised"] += 1
                        raised.append(f"{type(exc).__name__}: {question[:60]!r}")
                        return
                    seconds = time.perf_counter() - started
                    if seconds > slowest[0]:
                        slowest[:] = [seconds, question[:50]]
                    counts["answered"] += bool(answer.text.strip())
                    counts["stored"] += answer.turn_id is not None
                    counts["refused with an error"] += answer.error is not None

                run()
                print(f"{name:8s} {form:17s} " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
                      + f"; slowest {slowest[0]:.2f} s ({slowest[1]!r})", flush=True)
                for line in raised[:5]:
                    print("   raised:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
