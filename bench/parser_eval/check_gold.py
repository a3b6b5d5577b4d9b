"""Check the gold queries of the evaluation files (test, dev, dev2) against the query language
(docs/query-language.md) and the workspaces' data.  pandas only.

    /work/main/.venv/bin/python bench/parser_eval/check_gold.py

Exits 1 if any item has a problem; prints counts per workspace and tag, and the
share of compositional items (2+ non-filter steps, or 2+ conditions).
"""
import collections
import json
import os
import re
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["test.jsonl", "dev.jsonl", "dev2.jsonl", "dev3.jsonl", "dev4.jsonl", "dev5.jsonl"]
DATA = {
    "credit": ("/work/shared/datasets/credit/german_credit.csv", None, "risk"),
    "german": ("/work/shared/datasets/ttm/german_test.csv", 0, "y"),
    "compas": ("/work/shared/datasets/ttm/compas_test.csv", 0, "y"),
    "diabetes": ("/work/shared/datasets/ttm/diabetes_test.csv", 0, "y"),
}
OPS = {"filter", "previous_filter", "whatif", "predict", "likelihood", "explain", "counterfactual",
       "importance", "interactions", "dependence", "rules", "score", "mistakes", "labels", "count",
       "show", "statistic", "bias", "describe_data", "describe_model", "define", "capabilities",
       "repeat", "followup"}
KEYS = {  # op -> (required keys, optional keys)
    "filter": ({"where"}, set()), "previous_filter": (set(), set()),
    "whatif": ({"feature", "action", "value"}, set()), "explain": ({"method"}, set()),
    "importance": (set(), {"top", "feature"}), "dependence": ({"feature"}, set()),
    "score": ({"metric"}, set()), "mistakes": ({"mode"}, set()), "statistic": ({"feature"}, set()),
    "bias": ({"attribute"}, {"metric"}), "define": ({"feature"}, set()),
}
METRICS = {"accuracy", "f1", "precision", "recall", "specificity", "roc_auc", "npv", "mae", "rmse", "r2"}
CMPS = {"==", "!=", ">", ">=", "<", "<="}
TAGS = {"filter", "id", "multi_op", "multi_cond", "whatif", "reference", "followup", "class", "typo",
        "numbers_in_words", "range", "flag", "category", "short", "long", "share", "out_of_scope"} | OPS
# canonical phase of each step: previous_filter < filter < whatif < operations
PHASE = {"previous_filter": 0, "filter": 1, "whatif": 2}


class Workspace:
    def __init__(self, name):
        path, index_col, target = DATA[name]
        df = pd.read_csv(path, index_col=index_col)
        self.name, self.target = name, target
        self.ids = set(int(i) for i in df.index)
        self.classes = set(int(v) for v in df[target].unique())
        self.df = df.drop(columns=[target])
        self.kind = {}
        for col in self.df.columns:
            s = self.df[col].dropna()
            if not pd.api.types.is_numeric_dtype(s):
                self.kind[col] = "category"
            elif set(s.unique()) <= {0, 1}:
                self.kind[col] = "flag"
            elif (s == s.round()).all():
                self.kind[col] = "int"
            else:
                self.kind[col] = "float"
        self.cats = {c: set(self.df[c].dropna().unique()) for c, k in self.kind.items() if k == "category"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def check_value(ws, feat, v, where, errs):
    if feat == "id":
        if not is_int(v):
            errs.append(f"{where}: id value {v!r} is not an int")
        elif v not in ws.ids:
            errs.append(f"{where}: id {v} not in the {ws.name} data")
        return
    if feat in ("label", "prediction"):
        if not is_int(v) or v not in ws.classes:
            errs.append(f"{where}: class value {v!r} not one of {sorted(ws.classes)}")
        return
    k = ws.kind.get(feat)
    if k is None:
        errs.append(f"{where}: unknown feature {feat!r}")
    elif k == "category":
        if not isinstance(v, str) or v not in ws.cats[feat]:
            errs.append(f"{where}: {feat} value {v!r} not in data {sorted(ws.cats[feat])}")
    elif k == "flag":
        if not is_int(v) or v not in (0, 1):
            errs.append(f"{where}: flag {feat} needs 0/1 int, got {v!r}")
    elif k == "int":
        if not is_num(v):
            errs.append(f"{where}: {feat} needs a number, got {v!r}")
        elif isinstance(v, float) and v.is_integer():
            errs.append(f"{where}: {feat} value {v!r} should be written as an int")
        elif isinstance(v, float):
            errs.append(f"{where}: {feat} is integer-valued but got {v!r}")
    elif k == "float":
        if not is_num(v):
            errs.append(f"{where}: {feat} needs a number, got {v!r}")
        elif isinstance(v, float) and v.is_integer():
            errs.append(f"{where}: {feat} value {v!r} should be written as an int")


def check_expr(ws, e, where, errs, parent=None):
    """Returns the list of leaf conditions."""
    if not isinstance(e, dict):
        errs.append(f"{where}: expression is not an object: {e!r}")
        return []
    if "feature" in e:
        if set(e) != {"feature", "cmp", "value"}:
            errs.append(f"{where}: comparison keys {sorted(e)}")
        if e.get("cmp") not in CMPS:
            errs.append(f"{where}: bad cmp {e.get('cmp')!r}")
        if e.get("feature") in ("label", "prediction", "id") and e.get("cmp") not in ("==", "!=") \
                and e.get("feature") != "id":
            errs.append(f"{where}: class comparison should be == / !=")
        check_value(ws, e.get("feature"), e.get("value"), where, errs)
        return [e]
    if len(e) != 1:
        errs.append(f"{where}: expression keys {sorted(e)}")
        return []
    (k, v), = e.items()
    if k == "not":
        return check_expr(ws, v, where, errs, "not")
    if k not in ("and", "or"):
        errs.append(f"{where}: unknown expression key {k!r}")
        return []
    if not isinstance(v, list) or len(v) < 2:
        errs.append(f"{where}: '{k}' needs a list of 2+ expressions")
        return []
    if parent == k:
        errs.append(f"{where}: nested '{k}' inside '{k}' (should be flattened)")
    out = []
    for sub in v:
        out += check_expr(ws, sub, where, errs, k)
    return out


def check_item(ws, item, errs):
    where = item.get("id", "?")
    steps = item.get("gold", {}).get("steps")
    if set(item.get("gold", {})) != {"steps"} or not isinstance(steps, list) or not steps:
        errs.append(f"{where}: gold must be {{'steps': [non-empty list]}}")
        return [], []
    leaves, phases = [], []
    for i, s in enumerate(steps):
        w = f"{where} step {i}"
        op = s.get("op") if isinstance(s, dict) else None
        if op not in OPS:
            errs.append(f"{w}: unknown op {op!r}")
            continue
        req, opt = KEYS.get(op, (set(), set()))
        keys = set(s) - {"op"}
        if not req <= keys or not keys <= req | opt:
            errs.append(f"{w}: {op} has keys {sorted(keys)}, needs {sorted(req)} (optional {sorted(opt)})")
        phases.append(PHASE.get(op, 3))
        if op == "filter":
            leaves += check_expr(ws, s.get("where"), w, errs)
        elif op == "whatif":
            f, a, v = s.get("feature"), s.get("action"), s.get("value")
            if f in ("id", "label", "prediction") or f not in ws.kind:
                errs.append(f"{w}: whatif on unknown feature {f!r}")
            elif a not in ("set", "increase", "decrease"):
                errs.append(f"{w}: whatif action {a!r}")
            elif a == "set":
                check_value(ws, f, v, w, errs)
            else:
                if ws.kind[f] not in ("int", "float"):
                    errs.append(f"{w}: {a} on non-numeric {f}")
                elif not is_num(v) or v <= 0:
                    errs.append(f"{w}: {a} amount must be a positive number, got {v!r}")
                else:
                    check_value(ws, f, v, w, errs)
        elif op == "explain":
            if s.get("method") not in ("auto", "shap", "lime"):
                errs.append(f"{w}: explain method {s.get('method')!r}")
        elif op == "importance":
            if "top" in s and "feature" in s:
                errs.append(f"{w}: importance with both top and feature")
            if "top" in s and (not is_int(s["top"]) or s["top"] < 1):
                errs.append(f"{w}: importance top {s['top']!r}")
            if "feature" in s and s["feature"] not in ws.kind:
                errs.append(f"{w}: importance of unknown feature {s['feature']!r}")
        elif op in ("dependence", "define"):
            if s.get("feature") not in ws.kind:
                errs.append(f"{w}: {op} of unknown feature {s.get('feature')!r}")
        elif op == "statistic":
            # rule 13 of docs/query-language.md: statistic of "prediction" (the model's outcome)
            # or "target" (the true outcome) for share questions
            if s.get("feature") not in ("target", "prediction") and s.get("feature") not in ws.kind:
                errs.append(f"{w}: statistic of unknown feature {s.get('feature')!r}")
        elif op == "score":
            if s.get("metric") not in METRICS:
                errs.append(f"{w}: score metric {s.get('metric')!r}")
        elif op == "mistakes":
            if s.get("mode") not in ("typical", "sample", "count"):
                errs.append(f"{w}: mistakes mode {s.get('mode')!r}")
        elif op == "bias":
            if s.get("attribute") not in ws.kind:
                errs.append(f"{w}: bias attribute {s.get('attribute')!r}")
            if "metric" in s and not isinstance(s["metric"], str):
                errs.append(f"{w}: bias metric must be a string")
    ops = [s.get("op") for s in steps if isinstance(s, dict)]
    if phases != sorted(phases):
        errs.append(f"{where}: steps not in canonical order: {ops}")
    if ops.count("filter") > 1:
        errs.append(f"{where}: more than one filter step")
    if ops.count("previous_filter") > 1:
        errs.append(f"{where}: more than one previous_filter")
    if ops and max(phases, default=0) < 3:
        errs.append(f"{where}: no operation after filter/whatif: {ops}")
    if "followup" in ops and len(ops) > 1:
        errs.append(f"{where}: followup must stand alone")
    if "repeat" in ops and ops[-1] != "repeat" or ops.count("repeat") > 1:
        errs.append(f"{where}: repeat must be the single last step")
    return leaves, ops


def main():
    wss = {n: Workspace(n) for n in DATA}
    errs, warns = [], []
    seen_ids, seen_q = set(), {}
    per_ws = collections.Counter()
    per_tag = {f: collections.Counter() for f in FILES}
    comp = collections.Counter()
    total = collections.Counter()
    for fname in FILES:
        path = os.path.join(HERE, fname)
        with open(path) as fh:
            for ln, line in enumerate(fh, 1):
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as ex:
                    errs.append(f"{fname}:{ln}: bad JSON: {ex}")
                    continue
                iid = item.get("id", f"{fname}:{ln}")
                if set(item) != {"id", "workspace", "question", "gold", "tags"}:
                    errs.append(f"{iid}: record keys {sorted(item)}")
                ws = item.get("workspace")
                if ws not in wss:
                    errs.append(f"{iid}: unknown workspace {ws!r}")
                    continue
                if not re.fullmatch(rf"{ws}-\d+", str(iid)):
                    errs.append(f"{iid}: id should look like '{ws}-<n>'")
                if iid in seen_ids:
                    errs.append(f"{iid}: duplicate id")
                seen_ids.add(iid)
                q = item.get("question")
                if not isinstance(q, str) or not q.strip():
                    errs.append(f"{iid}: empty question")
                    continue
                norm = re.sub(r"[^a-z0-9]+", " ", q.lower()).strip()
                if norm in seen_q:
                    errs.append(f"{iid}: same question as {seen_q[norm]}")
                seen_q[norm] = iid
                tags = item.get("tags", [])
                bad = [t for t in tags if t not in TAGS]
                if bad:
                    errs.append(f"{iid}: unknown tags {bad}")
                leaves, ops = check_item(wss[ws], item, errs)
                non_filter = [o for o in ops if o != "filter"]
                is_comp = len(non_filter) >= 2 or len(leaves) >= 2
                per_ws[(fname, ws)] += 1
                total[fname] += 1
                comp[fname] += is_comp
                for t in tags:
                    per_tag[fname][t] += 1
                for o in set(ops):
                    if o != "filter" and o not in tags:
                        warns.append(f"{iid}: op {o} missing from tags")

    for fname in FILES:
        print(f"== {fname}: {total[fname]} items")
        for ws in DATA:
            print(f"   {ws:9s} {per_ws[(fname, ws)]}")
        share = comp[fname] / max(total[fname], 1)
        print(f"   compositional (2+ non-filter steps or 2+ conditions): {comp[fname]} = {share:.1%}")
        print("   tags: " + ", ".join(f"{t} {n}" for t, n in per_tag[fname].most_common()))
        missing = sorted(OPS - set(per_tag[fname]))
        if missing:
            warns.append(f"{fname}: ops never used: {missing}")
    for w in warns:
        print("WARNING", w)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s), {len(warns)} warning(s)")
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
