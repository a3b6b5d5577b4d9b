"""Bench the chat app: start-up time, answer latency through the app against the direct API call,
and the store's write time per turn. Prints figures; asserts nothing.

    .venv/bin/python bench/app_bench.py [--runs 3] [--repeats 20]

Start-up is measured as a person sees it: from starting `python -m talk2model.ui` to the page
answering HTTP 200. Set TALK2MODEL_TEST_PG_URL to time the store on PostgreSQL too.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("MPLBACKEND", "Agg")

QUESTIONS = ["filter age > 50 then count", "filter id == 12 then predict then likelihood",
             "statistic age", "filter age > 60 then statistic target"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def startup_seconds(db_url: str) -> tuple[float, float]:
    """(seconds to the page answering HTTP 200, seconds to the first answer through the app)."""
    from gradio_client import Client

    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "talk2model.ui", "--port", str(port), "--db", db_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        page = time.perf_counter() - started
                        Client(f"http://127.0.0.1:{port}/", verbose=False).predict("count", api_name="/ask")
                        return page, time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
            if time.perf_counter() - started > 60:
                raise RuntimeError("the app did not answer within 60 s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the process group this bench started, nothing else
        proc.wait(timeout=10)


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="app start-ups to time")
    parser.add_argument("--repeats", type=int, default=20, help="asks per question")
    parser.add_argument("--long", type=int, default=60, help="turns in the long-conversation run")
    parser.add_argument("--turns", type=int, default=200, help="turns to write per store")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="t2m-bench-"))

    # 1. start-up, in a fresh process each time
    runs = [startup_seconds(f"sqlite:///{tmp / 'startup.sqlite'}") for _ in range(args.runs)]
    for i, label in enumerate(("page up (HTTP 200)", "first answer (gradio_client)")):
        times = [r[i] for r in runs]
        print(f"app start-up, process start -> {label}, credit: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs")

    # 2. answer latency: the app through gradio_client against Assistant.ask directly
    from gradio_client import Client

    from talk2model import ui
    from talk2model.assistant import Assistant
    from talk2model.store.turns import Store

    demo = ui.build_app("credit", store=Store(f"sqlite:///{tmp / 'latency.sqlite'}"))
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, download_files=False)
        bot = Assistant("credit")
        for q in QUESTIONS:  # warm both paths
            client.predict(q, api_name="/ask")
            bot.ask(q)
        direct: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        through: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        for _ in range(args.repeats):  # a fresh conversation of len(QUESTIONS) turns each time
            client.predict("credit", api_name="/workspace")
            bot = Assistant("credit")
            for q in QUESTIONS:
                t = time.perf_counter()
                bot.ask(q)
                direct[q].append(time.perf_counter() - t)
                t = time.perf_counter()
                client.predict(q, api_name="/ask")
                through[q].append(time.perf_counter() - t)
        print(f"{'question':48} {'direct ms':>10} {'app ms':>10} {'ratio':>7}")
        for q in QUESTIONS:
            d, a = median_ms(direct[q]), median_ms(through[q])
            print(f"{q:48} {d:10.1f} {a:10.1f} {a / d:7.1f}")
        d = median_ms([x for v in direct.values() for x in v])
        a = median_ms([x for v in through.values() for x in v])
        print(f"answer latency, median over all (conversations of {len(QUESTIONS)} turns): direct {d:.1f} ms, "
              f"through the app {a:.1f} ms (overhead {a - d:.1f} ms, ratio {a / d:.1f}x)")
        # a long conversation: the app sends the whole history back each turn
        client.predict("credit", api_name="/workspace")
        late = []
        for i in range(args.long):
            t = time.perf_counter()
            client.predict(QUESTIONS[i % len(QUESTIONS)], api_name="/ask")
            late.append(time.perf_counter() - t)
        print(f"long conversation: turns 1-4 median {median_ms(late[:4]):.1f} ms, turns "
              f"{args.long - 3}-{args.long} median {median_ms(late[-4:]):.1f} ms")
    finally:
        demo.close()

    # 3. store write time per turn (one transaction each)
    from talk2model.workspace import load_workspace

    workspace = load_workspace("credit")
    answers = [Assistant(workspace).ask(q) for q in QUESTIONS]
    targets = [("SQLite file", f"sqlite:///{tmp / 'writes.sqlite'}")]
    if os.environ.get("TALK2MODEL_TEST_PG_URL"):
        targets.append(("PostgreSQL", os.environ["TALK2MODEL_TEST_PG_URL"]))
    for name, url in targets:
        store = Store(url)
        sid = store.new_session(workspace)
        times = []
        for i in range(args.turns):
            t = time.perf_counter()
            store.record_turn(sid, workspace, answers[i % len(answers)])
            times.append(time.perf_counter() - t)
        print(f"store write per turn ({name}): median {median_ms(times):.2f} ms, "
              f"p95 {1000 * sorted(times)[int(0.95 * len(times))]:.2f} ms over {len(times)} turns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
