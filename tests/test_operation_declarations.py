"""An operation is declared once, and every other place agrees with it (docs/CONTRIBUTING.md,
"Adding an operation").

    grammar/talk2model.lark   a rule named after the op, listed under `?step`
    query/ast.py              the step class (`@_step(op)`): fields, validation, plain English (`said`)
    ops/<op>.py               `@operation(op, description=..., examples=...)` and `@says(...)`
    docs/query-language.md    a row of the steps table with `{"op":"<op>"...}`

The text form, the JSON form's required fields and string checks, the reserved words, the schema
check of a step's feature names and the plain-English rendering of a simple step are derived from
the step class; this test fails when the grammar, the registry, the docs or the renderings
disagree with the step classes. The checker is a function of the texts, so the planted cases
below show it catches each kind of disagreement.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re

import pytest

from talk2model.ops.registry import load_all
from talk2model.paths import grammar_path, resource_dir
from talk2model.query import ast as q
from talk2model.query.human import describe_query, describe_step
from talk2model.query import text as text_module
from talk2model.query.text import parse_text, to_text

ENGINE_STEPS = {"filter", "previous_filter", "whatif", "repeat"}   # run by the engine, not the registry
SHAPING_STEPS = {"filter", "previous_filter", "whatif"}            # shape the selection: no words of their own


def _code(grammar: str) -> str:
    return "\n".join(line.split("//")[0] for line in grammar.splitlines())


def grammar_steps(grammar: str) -> tuple[set[str], set[str]]:
    """(the alternatives of `?step`, the rules the grammar defines)."""
    code = _code(grammar)
    block = re.search(r"^\?step:(.*?)^\S", code, re.S | re.M)
    listed = set(re.findall(r"[a-z_]+", block.group(1))) if block else set()
    rules = set(re.findall(r"^\??([a-z_]+)\s*:", code, re.M))
    return listed, rules


def documented_ops(docs: str) -> set[str]:
    return set(re.findall(r'\{"op":"([a-z_]+)"', docs.replace(" ", "")))


def disagreements(grammar: str, docs: str, steps: dict[str, type], registry) -> list[str]:
    """Every place where the grammar, the registry or the docs disagree with the step classes."""
    out = []
    listed, rules = grammar_steps(grammar)
    for op in sorted(set(steps) - listed):
        out.append(f"{op}: not among the grammar's ?step alternatives")
    for op in sorted(set(steps) - rules):
        out.append(f"{op}: no grammar rule '{op}:'")
    for op in sorted(listed - set(steps)):
        out.append(f"{op}: in the grammar but no step class in query/ast.py")
    for op in sorted(set(steps) - ENGINE_STEPS - set(registry)):
        out.append(f"{op}: no @operation in talk2model/ops/{op}.py")
    for op in sorted(set(registry) - set(steps)):
        out.append(f"{op}: an @operation without a step class in query/ast.py")
    for op, operation in sorted(registry.items()):
        if operation.run.__module__ != f"talk2model.ops.{op}":
            out.append(f"{op}: runs from {operation.run.__module__}, not talk2model.ops.{op}")
        if not operation.description.strip() or not operation.examples or not all(e.strip() for e in operation.examples):
            out.append(f"{op}: needs a description and example questions")
    documented = documented_ops(docs)
    for op in sorted(set(steps) - documented):
        out.append(f"{op}: not documented in docs/query-language.md")
    for op in sorted(documented - set(steps)):
        out.append(f"{op}: documented in docs/query-language.md but not a step")
    return out


def test_the_grammar_registry_and_docs_agree_with_the_step_classes():
    found = disagreements(grammar_path().read_text(), (resource_dir("docs") / "query-language.md").read_text(),
                          q.STEP_TYPES, load_all())
    assert not found, "\n".join(found)


# ---- every step, read and printed and said from its declaration -----------------------------------
def sample(cls: type[q.Step], schema) -> q.Step:
    """A step with its required fields filled: names with a real feature, a condition, a value."""
    feature = next(n for n, f in schema.features.items() if f.kind == "numeric")
    fill = {"Name": feature, "Expr": q.Cmp(feature, ">", 30), "Value": 30, "str": None}
    args = {}
    for f in dataclasses.fields(cls):
        if f.name in q.required_fields(cls):
            kind = str(f.type).split(" | ")[0]
            args[f.name] = fill[kind] if kind != "str" else q.ACTIONS[0]    # whatif's action
    return cls(**args)


@pytest.mark.parametrize("op", sorted(q.STEP_TYPES))
def test_every_step_reads_prints_and_says_itself(op, credit):
    step = sample(q.STEP_TYPES[op], credit.schema)
    query = q.Query((step,))
    assert parse_text(to_text(query)) == query
    assert q.Query.from_json(json.loads(json.dumps(query.to_json()))) == query
    said = describe_step(step, credit.schema, "all applicants")
    if op in SHAPING_STEPS:
        assert said is None
    else:
        assert said and "{" not in said, f"{op} has no plain-English rendering (said, or a case in query.human)"
    for f in dataclasses.fields(step):          # a feature is said by its label, wherever it is named
        if str(f.type).startswith("Name") and getattr(step, f.name) is not None:
            assert credit.schema.features[getattr(step, f.name)].label in describe_query(query, credit.schema)


def test_simple_steps_need_no_code_in_the_text_form():
    """A step whose rule is its op and its fields in order is read and printed from its fields: the
    text module names none of them."""
    source = inspect.getsource(text_module)
    for cls in (q.Define, q.Dependence, q.Statistic, q.Score, q.Mistakes, q.Explain, q.WhatIf, q.Filter, q.Labels):
        assert f"q.{cls.__name__}" not in source, cls.__name__


# ---- the checker catches what it should ----------------------------------------------------------
GRAMMAR = '''
start: step ("then" step)*
?step: filter | predict      // a comment: define
filter: "filter" NAME
predict: "predict"
NAME: /[a-z]+/
'''
DOCS = '| `{"op":"filter","where":EXPR}` | narrow |\n| `{"op": "predict"}` | the prediction |\n'


class _Op:
    def __init__(self, module, description="The prediction.", examples=("What is predicted?",)):
        self.run = type("f", (), {"__module__": module})
        self.description, self.examples = description, examples


STEPS = {"filter": q.Filter, "predict": q.Predict}
REGISTRY = {"predict": _Op("talk2model.ops.predict")}


def test_the_checker_accepts_agreement():
    assert disagreements(GRAMMAR, DOCS, STEPS, REGISTRY) == []


@pytest.mark.parametrize("grammar, docs, steps, registry, expected", [
    (GRAMMAR.replace("| predict", ""), DOCS, STEPS, REGISTRY, "predict: not among the grammar's ?step alternatives"),
    (GRAMMAR.replace('predict: "predict"', ""), DOCS, STEPS, REGISTRY, "predict: no grammar rule 'predict:'"),
    (GRAMMAR, DOCS, {**STEPS, "define": q.Define}, REGISTRY, "define: not among the grammar's ?step alternatives"),
    (GRAMMAR.replace("| predict", "| predict | labels"), DOCS, STEPS, REGISTRY,
     "labels: in the grammar but no step class in query/ast.py"),
    (GRAMMAR, DOCS, STEPS, {}, "predict: no @operation in talk2model/ops/predict.py"),
    (GRAMMAR, DOCS, STEPS, {**REGISTRY, "labels": _Op("talk2model.ops.labels")},
     "labels: an @operation without a step class in query/ast.py"),
    (GRAMMAR, DOCS, STEPS, {"predict": _Op("talk2model.ops.other")},
     "predict: runs from talk2model.ops.other, not talk2model.ops.predict"),
    (GRAMMAR, DOCS, STEPS, {"predict": _Op("talk2model.ops.predict", examples=())},
     "predict: needs a description and example questions"),
    (GRAMMAR, DOCS.replace('"predict"', '"predictt"'), STEPS, REGISTRY,
     "predict: not documented in docs/query-language.md"),
])
def test_the_checker_finds_a_planted_disagreement(grammar, docs, steps, registry, expected):
    assert expected in disagreements(grammar, docs, steps, registry)
