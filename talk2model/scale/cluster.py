"""Where the work runs: a LocalCluster sized to this machine, or a scheduler already running.

    with open_client() as client: ...                       # LocalCluster, one worker per core
    with open_client("tcp://10.0.0.5:8786") as client: ...  # a real cluster: same code

A LocalCluster gets one single-threaded worker process per core (tree SHAP and scikit-learn hold
the GIL for much of their work, so processes scale where threads do not) and splits the
machine's memory between them (`memory_limit="auto"`). With an address nothing is started: the
client connects, and the cluster's own workers (which need talk2model installed, the same version)
do the work.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

ERR_CONNECT = ("could not reach a Dask scheduler at {address} ({why}); start one with "
               "`dask scheduler` and workers with `dask worker {address}`, or leave out --scheduler "
               "to run on this machine")


def machine_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def open_client(address: str | None = None, *, n_workers: int | None = None, processes: bool = True,
                threads_per_worker: int = 1, dashboard: bool = True,
                memory_limit: str | float | None = "auto", timeout: float = 30) -> Iterator:
    """A `distributed.Client`: on the scheduler at `address`, or on a new LocalCluster of
    `n_workers` (default: one per core) that is closed when the block ends."""
    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout=timeout)
        except OSError as exc:
            from talk2model.errors import Talk2ModelError

            raise Talk2ModelError(ERR_CONNECT.format(address=address, why=exc)) from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=n_workers or machine_workers(), threads_per_worker=threads_per_worker,
                           processes=processes, memory_limit=memory_limit,
                           dashboard_address=":0" if dashboard else None)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def dashboard_link(client) -> str | None:
    """The Dask dashboard's address, when one is running (it needs bokeh)."""
    try:
        info = client.scheduler_info()
        if not info.get("services", {}).get("dashboard"):
            return None
        return client.dashboard_link
    except Exception:  # an old scheduler, or one without the dashboard
        return None
