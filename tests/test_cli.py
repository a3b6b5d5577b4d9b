"""The CLI is a thin layer over the API: the same answers, through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from talk2model.paths import resource_dir


def cli(*args, stdin=None):
    env = dict(os.environ, TALK2MODEL_DB="sqlite://")  # an in-memory store: tests leave no files
    proc = subprocess.run([sys.executable, "-m", "talk2model.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=300)
    return proc


def test_run_json_query_counts_113():
    proc = cli("run", "-w", "credit", "--json-query",
               '{"steps":[{"op":"filter","where":{"feature":"age","cmp":">","value":50}},{"op":"count"}]}', "--json")
    assert proc.returncode == 0, proc.stderr
    raw = pd.read_csv(resource_dir("data") / "credit" / "german_credit.csv")
    assert json.loads(proc.stdout)["result"]["count"] == int((raw.age > 50).sum())


def test_parse_stdin_gives_one_json_object_per_line_in_order():
    lines = ["filter id == 993 then predict", "", "statistic Age", "filter Age > 40 then count"]
    proc = cli("parse", "-w", "german", "--json", "-", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["steps"] == [{"op": "filter", "where": {"feature": "id", "cmp": "==", "value": 993}}, {"op": "predict"}]
    assert out[2]["steps"] == [{"op": "statistic", "feature": "Age"}]
    assert all("steps" in o for o in out)


def test_unknown_workspace_is_a_clear_error_not_a_traceback():
    proc = cli("run", "-w", "credt", "count")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("talk2model: no workspace 'credt' (built-in workspaces: adult, compas, "
                                   "credit, diabetes, german) — did you mean 'credit'?") or \
        proc.stderr.strip().startswith("talk2model: no workspace 'credt' (built-in workspaces:")
    assert "Traceback" not in proc.stderr


def test_workspaces_lists_the_builtins():
    proc = cli("workspaces")
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert {"credit", "german", "compas", "diabetes", "adult"} <= set(names)
