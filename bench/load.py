"""Bench the app under many people at once. Prints figures; asserts nothing.

    .venv/bin/python bench/load.py [--clients 20] [--turns 25] [--workers N] [--skip-heavy]

Starts `talk2model app` in its own process (a temporary SQLite store), then:

1. **Many clients.** `--clients` sessions each ask `--turns` light questions (counts, statistics,
   one person's prediction or reasons) as fast as answers come, through Gradio's queue API
   (`RawClient`): the latency of every answer, p50 / p95 / max, one client alone for comparison,
   and the CPU per answer of the app and of the clients.
2. **Light behind heavy.** One person uploads a ~19 MB table (the adult data repeated, about
   180,000 rows) with the adult model and asks "Which features matter most?" several times;
   a second upload with a k-nearest-neighbours model (permutation SHAP, slow on purpose) asks the
   same, beyond the time budget. Meanwhile another person asks a light question every 0.3 s:
   the worst wait of a light question while a heavy one runs, and what the heavy ones got.

The machine's core count and load average are printed with the figures: other work on the
machine slows every figure.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parent.parent

LIGHT = ["filter age > 50 then count", "statistic age", "filter id == {i} then predict",
         "why was applicant {i} denied?", "filter housing == \"rent\" then likelihood",
         "how many applicants are over 60?", "filter id == {i} then show", "score accuracy"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(folder: Path, workers: int | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "talk2model.cli", "app", "--port", str(port),
           "--db", f"sqlite:///{folder / 'audit.sqlite'}"]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, cwd=ROOT)
    deadline = time.time() + 180
    for line in proc.stdout:
        if "ready in" in line:
            print("  " + line.strip().split(" ready in")[0])
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, f"http://127.0.0.1:{port}/"
        if time.time() > deadline or proc.poll() is not None:
            break
    raise RuntimeError("the app did not start")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
            f"max {max(values):.2f} s over {len(values)} answers")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children that have exited, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class RawClient:
    """A light client: Gradio's queue API over one HTTP connection (httpx, asyncio), as a browser
    uses it. gradio_client costs about twice the app's own CPU per answer (and downloads every
    chart of the history again on every answer), which on a 2-core machine would measure the
    load generator rather than the app."""

    def __init__(self, http, url: str, config: dict, session: str) -> None:
        self.http, self.session = http, session
        self.prefix = url.rstrip("/") + config.get("api_prefix", "/gradio_api")
        self.fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")

    async def ask(self, question: str) -> dict:
        import json

        body = {"data": [question, None], "fn_index": self.fn, "trigger_id": None,
                "session_hash": self.session, "event_data": None}
        joined = await self.http.post(self.prefix + "/queue/join", json=body)
        joined.raise_for_status()
        event = joined.json()["event_id"]
        async with self.http.stream("GET", f"{self.prefix}/queue/data?session_hash={self.session}") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed" and message.get("event_id") == event:
                        if not message.get("success"):
                            raise RuntimeError(str(message.get("output"))[:200])
                        return message["output"]["data"][-2]    # the answer JSON
        raise RuntimeError("the stream ended without an answer")


def many_clients(url: str, clients: int, turns: int) -> tuple[list[float], int, float]:
    import asyncio
    import uuid

    import httpx

    latencies: list[float] = []
    failures = [0]

    async def run(http, config, k: int) -> None:
        client = RawClient(http, url, config, uuid.uuid4().hex[:12])
        for t in range(turns):
            question = LIGHT[(k + t) % len(LIGHT)].format(i=(k * 37 + t) % 1000)
            started = time.perf_counter()
            try:
                answer = await client.ask(question)
                ok = answer.get("turn_id") is not None
            except Exception:  # noqa: BLE001 - counted, not fatal to the bench
                ok = False
            latencies.append(time.perf_counter() - started)
            failures[0] += not ok

    async def all_clients() -> None:
        limits = httpx.Limits(max_connections=4 * clients)
        async with httpx.AsyncClient(timeout=120, limits=limits) as http:
            config = (await http.get(url + "config")).json()
            await asyncio.gather(*(run(http, config, k) for k in range(clients)))

    started = time.perf_counter()
    asyncio.run(all_clients())
    return latencies, failures[0], time.perf_counter() - started


def heavy_upload_files(folder: Path) -> dict[str, Path]:
    import pandas as pd
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    adult = pd.read_csv(ROOT / "data" / "adult" / "adult.csv")
    big = pd.concat([adult] * 4, ignore_index=True)
    while True:  # as many rows as fit under the default 20 MB upload limit
        path = folder / "census.csv"
        big.to_csv(path, index=False)
        if path.stat().st_size < 19.5 * 2**20:
            break
        big = big.iloc[: int(len(big) * 0.95)]
    target = "income"
    features = [c for c in adult.columns if c != target]
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(adult[c])]
    knn = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categorical),
                                                remainder=StandardScaler()),
                        KNeighborsClassifier(n_neighbors=15))
    sample = adult.sample(20_000, random_state=0)
    knn.fit(sample[features], sample[target])
    sio.dump(knn, folder / "knn.skops")
    small = adult.sample(20_000, random_state=1)
    small.to_csv(folder / "census-20k.csv", index=False)
    return {"big": path, "rows": len(big), "gb": ROOT / "models" / "adult.skops", "knn": folder / "knn.skops",
            "small": folder / "census-20k.csv"}


def use_upload(client, data: Path, model: Path) -> None:
    from gradio_client import handle_file

    target, _ = client.predict(handle_file(str(data)), api_name="/byo_inspect")
    table, classes, _ = client.predict(handle_file(str(data)), target["value"], api_name="/byo_schema")
    client.predict(handle_file(str(data)), handle_file(str(model)), target["value"], "census", "person",
                   table, classes, api_name="/byo_use")


def light_behind_heavy(url: str, files: dict, repeats: int) -> None:
    from gradio_client import Client

    heavy_log: list[tuple[str, float, str]] = []
    light: list[tuple[float, float]] = []   # (start, latency)
    heavy_spans: list[tuple[float, float]] = []
    upload_spans: list[tuple[float, float]] = []
    done = threading.Event()

    def light_client() -> None:
        import asyncio
        import uuid

        import httpx

        async def loop() -> None:
            async with httpx.AsyncClient(timeout=120) as http:
                config = (await http.get(url + "config")).json()
                client = RawClient(http, url, config, uuid.uuid4().hex[:12])
                while not done.is_set():
                    started = time.perf_counter()
                    await client.ask("filter age > 50 then count")
                    light.append((started, time.perf_counter() - started))
                    await asyncio.sleep(max(0.0, 0.3 - (time.perf_counter() - started)))

        asyncio.run(loop())

    def heavy_client(label: str, data: Path, model: Path, n: int) -> None:
        c = Client(url, verbose=False, download_files=False)
        started = time.perf_counter()
        use_upload(c, data, model)
        upload_spans.append((started, time.perf_counter()))
        heavy_log.append((f"{label}: upload and build the workspace", time.perf_counter() - started, ""))
        for _ in range(n):
            started = time.perf_counter()
            _, _, _, answer, _ = c.predict("Which features matter most?", api_name="/ask")
            end = time.perf_counter()
            heavy_spans.append((started, end))
            heavy_log.append((f"{label}: which features matter most?", end - started,
                              (answer.get("error") or answer.get("text", ""))[:110].replace("\n", " ")))

    watcher = threading.Thread(target=light_client)
    watcher.start()
    time.sleep(2)
    heavy_client("adult GB, ~19 MB upload", files["big"], files["gb"], repeats)
    heavy_client("k-nearest neighbours (permutation SHAP)", files["small"], files["knn"], 1)
    time.sleep(1)
    done.set()
    watcher.join()
    def overlapping(spans):
        return [lat for start, lat in light if any(a <= start + lat and start <= b for a, b in spans)]

    during, uploading = overlapping(heavy_spans), overlapping(upload_spans)
    for label, seconds, text in heavy_log:
        print(f"  {label}: {seconds:.1f} s  {text}")
    print(f"  light questions (every 0.3 s) while a heavy question ran: {summary(during) if during else 'none'}")
    print(f"  worst wait of a light question behind a heavy one: {max(during) if during else 0:.2f} s")
    print(f"  light questions while an upload was being built: {summary(uploading) if uploading else 'none'}")
    print(f"  all light questions: {summary([lat for _, lat in light])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--turns", type=int, default=25)
    parser.add_argument("--workers", type=int, default=None, help="the app's --workers (default: its own)")
    parser.add_argument("--heavy-repeats", type=int, default=3)
    parser.add_argument("--skip-heavy", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="talk2model-load-") as tmp:
        folder = Path(tmp)
        files = None if args.skip_heavy else heavy_upload_files(folder)
        proc, url = start_app(folder, args.workers)
        try:
            from gradio_client import Client

            Client(url, verbose=False, download_files=False).predict("count", api_name="/ask")   # the workspace has loaded
            alone, _, _ = many_clients(url, 1, args.turns)
            print(f"1 client x {args.turns} turns: {summary(alone)}")
            server_cpu, client_cpu = cpu_seconds(proc.pid), own_cpu()
            latencies, failures, seconds = many_clients(url, args.clients, args.turns)
            server_cpu, client_cpu = cpu_seconds(proc.pid) - server_cpu, own_cpu() - client_cpu
            print(f"{args.clients} clients x {args.turns} turns: {summary(latencies)}; "
                  f"{failures} failed; {len(latencies) / seconds:.1f} answers/s")
            print(f"  CPU per answer: app {1000 * server_cpu / len(latencies):.0f} ms (its drawing processes "
                  f"not counted), the clients in this process {1000 * client_cpu / len(latencies):.0f} ms")
            if files:
                print(f"light behind heavy ({files['rows']:,}-row upload of "
                      f"{files['big'].stat().st_size / 2**20:.1f} MB):")
                light_behind_heavy(url, files, args.heavy_repeats)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)   # the process group this bench started
            proc.wait(timeout=30)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
