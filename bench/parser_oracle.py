"""The assembler's ceiling: feed it the roles and operations derived from each gold query (as
the reader would say them if it were perfect) and count how often it rebuilds the gold exactly.

    .venv/bin/python bench/parser_oracle.py [--set all-dev] [--failures 20]

Single questions only (conversation turns need the state). A failure here is a limit of
grounding or of the assembler, not of the reader.
"""

from __future__ import annotations

import argparse
import collections
import json


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", dest="which", default="all-dev")
    ap.add_argument("--failures", type=int, default=0)
    ap.add_argument("--train", action="store_true", help="the training files instead of an evaluation set")
    ap.add_argument("-w", "--workspace", action="append", help="only these workspaces")
    args = ap.parse_args()

    from talk2model.parser.assemble import Assembler
    from talk2model.parser.evaluate import canonical, load_items
    from talk2model.parser.grounding import Grounder
    from talk2model.parser.reader import Reading, Slot
    from talk2model.parser.train.align import align, canonical_whatifs
    from talk2model.parser.train.data import items_from, _jsonl, source_files
    from talk2model.parser.train.schemas import load_training_workspace

    if args.train:
        records = [r for p in source_files() for r in _jsonl(p) if "turns" not in r]
        items = [{"workspace": i.workspace, "question": i.question, "gold": {"steps": i.steps}}
                 for i in items_from(records, "train") if i.steps is not None]
    else:
        items = [i for i in load_items(args.which) if "turns" not in i and i.get("gold")]
    if args.workspace:
        items = [i for i in items if i["workspace"] in args.workspace]
    tools = {}
    right = collections.Counter()
    total = collections.Counter()
    shown = 0
    for item in items:
        ws = item["workspace"]
        if ws not in tools:
            w = load_training_workspace(ws)
            tools[ws] = (Grounder(w), Assembler(w))
        grounder, assembler = tools[ws]
        g = grounder.ground(item["question"])
        t = align(g, item["gold"]["steps"], grounder.schema)
        key = "aligned" if t.roles_ok else "not aligned"
        slots = [Slot(op, 1.0, {k: (v, 1.0) for k, v in a.items()}) for op, a in zip(t.slots, t.args)]
        roles = [None if s.kind == "entity" else (t.roles.get(i, "none"), 1.0) for i, s in enumerate(g.spans)]
        built = assembler.build(g, Reading(slots, roles, [None] * len(roles), 0.0, 0.0))
        want = canonical_whatifs(item["gold"]["steps"], grounder.workspace)
        ok = built.query is not None and not built.problems and \
            canonical(built.query.to_json()["steps"]) == canonical(want)
        total[key] += 1
        right[key] += ok
        if not ok and t.roles_ok and shown < args.failures:
            shown += 1
            got = built.query.to_json()["steps"] if built.query else (built.problems, built.ask_feature, built.ask_number)
            print(f"- {item['question']}\n  gold {json.dumps(item['gold']['steps'])}\n  got  {json.dumps(got)}")
    for key in ("aligned", "not aligned"):
        if total[key]:
            print(f"{key:12s} {right[key] / total[key]:6.1%} rebuilt exactly ({right[key]}/{total[key]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
