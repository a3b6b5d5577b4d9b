"""Check training or evaluation questions against their workspaces:

    python -m talk2model.parser.train.check prompts/train/FILE.jsonl [...]

Each line is {"workspace": NAME, "question": ..., "gold": {"steps": [...]}} (single questions;
"gold": null for a question that is out of scope or names what the workspace lacks)
or {"workspace": NAME, "turns": [{"question": ..., "gold": ...}, ...]} (conversations). NAME is
a built-in workspace or an invented schema in prompts/schemas/. A gold query must parse, pass
validation unchanged (column names, values and types exactly as in the data), keep the canonical
step order, and name only ids the data has. Prints one line per problem; exits 1 if any.
"""

from __future__ import annotations

import json
import sys

from talk2model.errors import Talk2ModelError
from talk2model.query import ast as q
from talk2model.query.validate import validate

_PHASE = {"previous_filter": 0, "filter": 1, "whatif": 2}


def _canonical(obj):
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    if isinstance(obj, dict):
        return {k: _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_canonical(v) for v in obj]
    return obj


def _ids(expr) -> list:
    if isinstance(expr, q.Cmp):
        return [expr.value] if expr.feature == "id" else []
    if isinstance(expr, q.Not):
        return _ids(expr.item)
    return [v for item in expr.items for v in _ids(item)]


def check_gold(workspace, gold: dict) -> list[str]:
    problems: list[str] = []
    try:
        query = q.Query.from_json(gold)
        checked = validate(query, workspace.schema)
    except Talk2ModelError as exc:
        return [f"invalid: {exc}"]
    if json.dumps(_canonical(checked.to_json()), sort_keys=True) != json.dumps(_canonical(gold), sort_keys=True):
        problems.append(f"not exact: validation changes it to {json.dumps(checked.to_json())}")
    phases = [_PHASE.get(s["op"], 3) for s in gold.get("steps", [])]
    if phases != sorted(phases):
        problems.append("step order: previous_filter, filter, whatif, then operations")
    if sum(1 for s in gold.get("steps", []) if s["op"] == "filter") > 1:
        problems.append("more than one filter step: put the conditions in one and/or")
    for step in checked.steps:
        if isinstance(step, q.Filter):
            missing = [i for i in _ids(step.where) if i not in workspace.data.index]
            if missing:
                problems.append(f"ids not in the data: {missing}")
    return problems


def check_file(path: str) -> int:
    from talk2model.parser.train.schemas import load_training_workspace

    bad = 0
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                workspace = load_training_workspace(item["workspace"])
            except (ValueError, KeyError, Talk2ModelError, FileNotFoundError) as exc:
                print(f"{path}:{n}: {type(exc).__name__}: {exc}")
                bad += 1
                continue
            turns = item["turns"] if "turns" in item else [item]
            for t, turn in enumerate(turns):
                if turn.get("gold") is None:      # out of scope, or names what the workspace lacks
                    continue
                for problem in check_gold(workspace, turn["gold"]):
                    where = f" turn {t + 1}" if "turns" in item else ""
                    print(f"{path}:{n}{where}: {problem} -- {turn['question'][:80]}")
                    bad += 1
    return bad


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    total = sum(check_file(p) for p in paths)
    print(f"{total} problem(s)" if total else "ok")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
