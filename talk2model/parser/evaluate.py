"""Exact-match evaluation of the parser: `talk2model eval-parser [--set dev|dev2|dev3|dev4|dev5|all-dev|test] [-w WS] [--failures N]`.

Scores the canonical JSON steps of each question against its gold query and prints the share
exactly right overall, per workspace, on compositional questions (2+ operations or 2+
conditions) and per tag. `--failures N` prints up to N failing items (dev sets only);
`--set all-dev` scores every dev set present together.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

from talk2model.paths import resource_dir

WORKSPACES = ("credit", "german", "compas", "diabetes")


def eval_dir() -> Path:
    return resource_dir("bench") / "parser_eval"


def canonical(steps: list[dict]) -> str:
    """Canonical JSON of a step list: numbers as in the data (1.0 -> 1), keys sorted."""
    def norm(v):
        if isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    return json.dumps(norm(steps), sort_keys=True)


def leaves(expr: dict) -> int:
    if "feature" in expr:
        return 1
    if "not" in expr:
        return leaves(expr["not"])
    key = "and" if "and" in expr else "or"
    return sum(leaves(e) for e in expr.get(key, []))


def is_compositional(item: dict) -> bool:
    steps = item["gold"]["steps"]
    non_filter = [s for s in steps if s["op"] != "filter"]
    conds = sum(leaves(s["where"]) for s in steps if s["op"] == "filter")
    return len(non_filter) >= 2 or conds >= 2 or "multi_op" in item.get("tags", ()) \
        or "multi_cond" in item.get("tags", ())


DEV_SETS = ("dev", "dev2", "dev3", "dev4", "dev5")


def load_items(which: str) -> list[dict]:
    """The items of one evaluation set; "all-dev" is every dev set present, in order."""
    if which == "all-dev":
        return [item for name in DEV_SETS if (eval_dir() / f"{name}.jsonl").exists()
                for item in load_items(name)]
    path = eval_dir() / f"{which}.jsonl"
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="talk2model eval-parser", description=__doc__.splitlines()[0])
    ap.add_argument("--set", dest="which", default="dev", choices=DEV_SETS + ("all-dev", "test"))
    ap.add_argument("-w", "--workspace", action="append", help="only these workspaces")
    ap.add_argument("--failures", type=int, default=0, help="print up to N failing items")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv if argv is not None else sys.argv[1:])
    if args.which == "test" and args.failures:
        print("failures are only shown for the dev sets", file=sys.stderr)
        args.failures = 0

    from talk2model.parser.nl import NaturalLanguageParser
    from talk2model.state import Conversation
    from talk2model.workspace import load_workspace

    items = load_items(args.which)
    if args.workspace:
        items = [i for i in items if i["workspace"] in args.workspace]
    parsers = {}
    total = collections.Counter()
    right = collections.Counter()
    failures = []
    started = time.perf_counter()
    for item in items:
        ws = item["workspace"]
        if ws not in parsers:
            parsers[ws] = NaturalLanguageParser(load_workspace(ws))
        parsed = parsers[ws].parse(item["question"], Conversation())
        got = parsed.query.to_json()["steps"] if parsed.query is not None else None
        ok = got is not None and canonical(got) == canonical(item["gold"]["steps"])
        keys = ["overall", f"ws:{ws}"] + [f"tag:{t}" for t in item.get("tags", ())]
        if is_compositional(item):
            keys.append("compositional")
        for k in keys:
            total[k] += 1
            right[k] += ok
        if not ok:
            failures.append((item, parsed))
    elapsed = time.perf_counter() - started

    def share(k: str) -> str:
        return f"{right[k] / total[k]:6.1%}  ({right[k]}/{total[k]})" if total[k] else "   n/a"

    figures = {k: {"right": right[k], "total": total[k]} for k in total}
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
    else:
        print(f"parser exact match on {args.which} ({len(items)} questions, {elapsed:.1f} s)")
        print(f"  overall        {share('overall')}")
        print(f"  compositional  {share('compositional')}")
        for ws in WORKSPACES:
            if total[f"ws:{ws}"]:
                print(f"  {ws:14s} {share('ws:' + ws)}")
        print("  per tag:")
        for k in sorted(k for k in total if k.startswith("tag:")):
            print(f"    {k[4:]:16s} {share(k)}")
    for item, parsed in failures[: args.failures]:
        got = parsed.query.to_json()["steps"] if parsed.query is not None else \
            ({"choices": [c.query.to_json()["steps"] for c in parsed.choices]} if parsed.choices
             else {"message": parsed.message})
        print(f"\n[{item['id']}] {item['question']}\n  gold: {json.dumps(item['gold']['steps'])}\n  got:  {json.dumps(got)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
