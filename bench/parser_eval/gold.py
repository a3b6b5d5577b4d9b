"""Gold queries written by hand: the helpers the evaluation-set builders share (make_dev2.py,
make_dev3.py, make_dev4.py).

Each helper returns the JSON form of a query-language node (docs/query-language.md), as plain
dicts in the key order the canonical JSON uses, so a gold step reads like the query it stands for:

    filter_(AND(EQ("sex", "female"), C("age", ">", 50))), PREDICT     # filter sex == "female" and age > 50 then predict

A builder imports them under its own short names (`from gold import filter_ as F`) and keeps its
own tagging, which differs from set to set by design (each set was written separately).
"""

from __future__ import annotations

import json


# ---- expressions -----------------------------------------------------------------------------
def C(feature, cmp, value):
    return {"feature": feature, "cmp": cmp, "value": value}


def EQ(feature, value):
    return C(feature, "==", value)


def ID(n):
    return EQ("id", n)


def PRED(value):
    return EQ("prediction", value)


def LABEL(value):
    return EQ("label", value)


def AND(*xs):
    """All of `xs`; an `and` among them is spliced in (AND(BETWEEN(...), x) is one flat `and`)."""
    out = []
    for x in xs:
        out += x["and"] if "and" in x else [x]
    return {"and": out}


def OR(*xs):
    return {"or": list(xs)}


def NOT(x):
    return {"not": x}


def IDS(*ns):
    return OR(*[ID(n) for n in ns])


def BETWEEN(feature, low, high):
    return AND(C(feature, ">=", low), C(feature, "<=", high))


def DECADE(feature, start):
    """In their 20s: start <= feature < start + 10."""
    return AND(C(feature, ">=", start), C(feature, "<", start + 10))


def leaves(expr) -> list[dict]:
    """The comparisons of an expression, left to right."""
    if "feature" in expr:
        return [expr]
    if "not" in expr:
        return leaves(expr["not"])
    (_, xs), = expr.items()
    return [x for sub in xs for x in leaves(sub)]


# ---- steps -----------------------------------------------------------------------------------
def op(name, **arguments):
    return dict({"op": name}, **arguments)


def filter_(expr):
    return op("filter", where=expr)


def previous_filter():
    return op("previous_filter")


def whatif(feature, action, value):
    return op("whatif", feature=feature, action=action, value=value)


def explain(method="auto"):
    return op("explain", method=method)


def importance(top=None, feature=None):
    step = op("importance")
    if top is not None:
        step["top"] = top
    if feature is not None:
        step["feature"] = feature
    return step


def score(metric="accuracy"):
    return op("score", metric=metric)


def mistakes(mode):
    return op("mistakes", mode=mode)


def statistic(feature):
    return op("statistic", feature=feature)


def bias(attribute):
    return op("bias", attribute=attribute)


def dependence(feature):
    return op("dependence", feature=feature)


def define(feature):
    return op("define", feature=feature)


# the steps without arguments
PREDICT, LIKELIHOOD, COUNTERFACTUAL = op("predict"), op("likelihood"), op("counterfactual")
COUNT, SHOW, LABELS, RULES, INTERACTIONS = op("count"), op("show"), op("labels"), op("rules"), op("interactions")
DESCRIBE_DATA, DESCRIBE_MODEL, CAPABILITIES = op("describe_data"), op("describe_model"), op("capabilities")
REPEAT, FOLLOWUP = op("repeat"), op("followup")

# ---- what tags read from the workspaces ----------------------------------------------------------
COMPAS_FLAGS = {"recidivated", "felony", "misdemeanor", "woman", "man", "black"}
CREDIT_CATEGORIES = {"sex", "housing", "saving_accounts", "checking_account", "purpose"}


def write_jsonl(path, records, *, ensure_ascii=False) -> None:
    """One JSON object a line, as the evaluation sets are stored."""
    with open(path, "w") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=ensure_ascii) + "\n")
