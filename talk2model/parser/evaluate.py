"""Evaluation of the parser: `talk2model eval-parser [--set NAME] [-w WS] [--failures N]`.

Single questions (`{"question", "gold"}` lines): exact match of the canonical JSON steps against
the gold query, overall, per workspace, on compositional questions (2+ operations or 2+
conditions) and per tag. Conversations (`{"turns": [...]}` lines, each turn's gold written
self-contained): every turn goes through `Assistant.ask`, so the conversation state is what is
tested; a turn is right when it ran the gold's operations (what-ifs included, with their
arguments) on exactly the rows the gold's filter selects. NAME is any set in
bench/parser_eval/ ("all-dev" = every dev set); `--failures N` prints up to N failing items
(never for the held-out `test` set).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

from talk2model.paths import resource_dir

WORKSPACES = ("credit", "german", "compas", "diabetes", "adult", "digits", "diabetes-mlp")


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
    if item.get("gold") is None:
        return False
    steps = item["gold"]["steps"]
    non_filter = [s for s in steps if s["op"] != "filter"]
    conds = sum(leaves(s["where"]) for s in steps if s["op"] == "filter")
    return len(non_filter) >= 2 or conds >= 2 or "multi_op" in item.get("tags", ()) \
        or "multi_cond" in item.get("tags", ())


DEV_SETS = ("dev", "dev2", "dev3", "dev4", "dev5")
HELD_OUT = ("test",)


def available_sets() -> list[str]:
    return sorted(p.stem for p in eval_dir().glob("*.jsonl"))


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
    ap.add_argument("--set", dest="which", default="dev", help=f"all-dev or one of {', '.join(available_sets())}")
    ap.add_argument("-w", "--workspace", action="append", help="only these workspaces")
    ap.add_argument("--failures", type=int, default=0, help="print up to N failing items")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv if argv is not None else sys.argv[1:])
    if args.which in HELD_OUT and args.failures:
        print("failures are not shown for a held-out set", file=sys.stderr)
        args.failures = 0
    if args.which != "all-dev" and args.which not in available_sets():
        print(f"no evaluation set '{args.which}' (sets: {', '.join(available_sets())})", file=sys.stderr)
        return 2
    items = load_items(args.which)
    if args.workspace:
        items = [i for i in items if i["workspace"] in args.workspace]
    talks = [i for i in items if "turns" in i]
    if talks:          # a set may hold single questions and conversations: each is scored its way
        conversations(talks, args)
        items = [i for i in items if "turns" not in i]
        if not items:
            return 0
        print()

    from talk2model.parser.nl import NaturalLanguageParser
    from talk2model.state import Conversation
    from talk2model.workspace import load_workspace

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
        if item.get("gold") is None:     # not for us, or names what the data lacks: no query is right
            ok = got is None
        else:
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
        gold = item["gold"]["steps"] if item.get("gold") else None
        print(f"\n[{item['id']}] {item['question']}\n  gold: {json.dumps(gold)}\n  got:  {json.dumps(got)}")
    return 0



# ---------------------------------------------------------------------------- conversations
def _ops(steps: list[dict]) -> str:
    return canonical([s for s in steps if s["op"] not in ("filter", "previous_filter")])


def _rows(workspace, steps: list[dict]) -> frozenset:
    from talk2model.engine import Context, mask
    from talk2model.query import ast as q
    from talk2model.state import Conversation

    data = workspace.data
    where = next((s["where"] for s in steps if s["op"] == "filter"), None)
    if where is None:
        return frozenset(data.index)
    ctx = Context(workspace=workspace, state=Conversation(), frame=data, original=data)
    return frozenset(data.index[mask(q.expr_from_json(where), data, ctx).to_numpy()])


def score_turn(workspace, answer, gold: dict) -> tuple[bool, bool]:
    """(the operations are right, the rows are right) for one answered turn; a turn with no gold
    query (not for us, or about what the data lacks) is right when no query ran."""
    if gold is None:
        return answer.query is None, answer.query is None
    if answer.query is None or answer.selection_ids is None:
        return False, False
    ops_ok = _ops(answer.query.to_json()["steps"]) == _ops(gold["steps"])
    return ops_ok, frozenset(answer.selection_ids) == _rows(workspace, gold["steps"])


def conversations(items: list[dict], args) -> int:
    from talk2model.assistant import Assistant
    from talk2model.workspace import load_workspace

    workspaces = {}
    total = collections.Counter()
    right = collections.Counter()
    failures = []
    started = time.perf_counter()
    for conv in items:
        ws = conv["workspace"]
        if ws not in workspaces:
            workspaces[ws] = load_workspace(ws)
        bot = Assistant(workspaces[ws])
        for n, turn in enumerate(conv["turns"]):
            answer = bot.ask(turn["question"])
            ops_ok, rows_ok = score_turn(workspaces[ws], answer, turn["gold"])
            kind = "first" if n == 0 else "follow-up"
            for k in (kind, f"{kind}:{ws}"):
                total[k] += 1
                right[k] += ops_ok and rows_ok
            total[f"{kind} operations"] += 1
            right[f"{kind} operations"] += ops_ok
            total[f"{kind} rows"] += 1
            right[f"{kind} rows"] += rows_ok
            if not (ops_ok and rows_ok):
                failures.append((conv, n, answer, ops_ok, rows_ok))
    elapsed = time.perf_counter() - started

    def share(k: str) -> str:
        return f"{right[k] / total[k]:6.1%}  ({right[k]}/{total[k]})" if total[k] else "   n/a"
    if args.json:
        print(json.dumps({k: {"right": right[k], "total": total[k]} for k in total}, indent=2, sort_keys=True))
    else:
        print(f"conversations on {args.which} ({len(items)} conversations, {elapsed:.1f} s): "
              f"a turn is right when it runs the right operations on the right rows")
        for k in ("follow-up", "follow-up operations", "follow-up rows", "first", "first operations", "first rows"):
            print(f"  {k:22s} {share(k)}")
        for ws in WORKSPACES:
            if total[f"follow-up:{ws}"]:
                print(f"  follow-up {ws:12s} {share('follow-up:' + ws)}")
    for conv, n, answer, ops_ok, rows_ok in failures[: args.failures]:
        turn = conv["turns"][n]
        print(f"\n[{conv['id']} turn {n + 1}] {turn['question']}"
              f"{'' if ops_ok else '  (operations)'}{'' if rows_ok else '  (rows)'}")
        print(f"  gold: {json.dumps(turn['gold']['steps'] if turn['gold'] else None)}")
        print(f"  got:  {json.dumps(answer.query.to_json()['steps']) if answer.query else answer.text[:120]}"
              f"  on {len(answer.selection_ids) if answer.selection_ids is not None else 'no'} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
