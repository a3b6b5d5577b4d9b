"""The query language: text <-> AST <-> JSON round trips, and helpful errors."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talk2model.errors import QueryError
from talk2model.query import ast as q
from talk2model.query.text import KEYWORDS, parse_text, to_text
from talk2model.query.validate import validate

names = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 _/.\-]{0,12}", fullmatch=True),
)
values = st.one_of(
    st.integers(min_value=-10**9, max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    # control characters are refused and lone surrogates replaced (test_robustness covers both)
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.booleans(),
)
cmps = st.sampled_from(q.CMPS)
leaves = st.builds(q.Cmp, names, cmps, values)
exprs = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda xs: q.And(tuple(xs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda xs: q.Or(tuple(xs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(q.Not, children),
    ),
    max_leaves=6,
)
number = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False))
steps = st.one_of(
    st.builds(q.Filter, exprs),
    st.just(q.PreviousFilter()),
    st.builds(q.WhatIf, names, st.just("set"), values),
    st.builds(q.WhatIf, names, st.sampled_from(["increase", "decrease"]), number),
    st.builds(q.Explain, st.sampled_from(q.METHODS)),
    st.builds(q.Importance, st.one_of(st.none(), st.integers(1, 50))),
    st.builds(lambda f: q.Importance(feature=f), names),
    st.builds(q.Score, st.sampled_from(q.METRICS)),
    st.builds(q.Mistakes, st.sampled_from(q.MODES)),
    st.builds(q.Bias, names, st.one_of(st.none(), st.sampled_from(["accuracy", "selection_rate"]))),
    st.builds(lambda k: q.Likelihood(top=k), st.one_of(st.none(), st.integers(1, 20))),
    st.builds(lambda ms: q.Faithfulness(tuple(ms) or None),
              st.lists(st.sampled_from(q.CAPTUM_METHODS), max_size=4, unique=True)),
    st.builds(q.Adversarial, st.one_of(st.none(), st.sampled_from(q.NORMS)),
              st.one_of(st.none(), st.integers(1, 100), st.floats(0.001, 1e3)),
              st.one_of(st.none(), st.integers(0, 9), st.text(alphabet="abc 8", min_size=1, max_size=5))),
    st.builds(q.Influence, st.one_of(st.none(), st.sampled_from(q.INFLUENCE_MODES)),
              st.one_of(st.none(), st.integers(1, 50))),
    st.builds(lambda t: q.VisualizeClass(target=t), st.one_of(st.none(), st.integers(0, 9))),
    st.builds(lambda layer, unit: q.VisualizeClass(layer=layer, unit=unit), names, st.integers(0, 64)),
    st.builds(lambda c, t: q.Concepts(concept=c, target=t), st.one_of(st.none(), names),
              st.one_of(st.none(), st.integers(0, 9))),
    st.builds(lambda w, t: q.Concepts(where=w, target=t), exprs, st.one_of(st.none(), values)),
    st.builds(q.Embedding, st.sampled_from(q.EMBEDDINGS), st.one_of(st.none(), st.sampled_from(q.EMBEDDING_COLOURS))),
    # every step that needs nothing, or only feature names, without a line of its own here
    *[st.builds(cls, *[names for _ in q.required_fields(cls)]) for cls in q.STEP_TYPES.values()
      if all(str(f.type) == "Name" for f in dataclasses.fields(cls))
      and len(q.required_fields(cls)) == len(dataclasses.fields(cls))],
)
queries = st.builds(lambda xs: q.Query(tuple(xs)), st.lists(steps, min_size=1, max_size=5))


@settings(max_examples=300, deadline=None)
@given(queries)
def test_text_ast_json_round_trip(query):
    text = to_text(query)
    parsed = parse_text(text)
    assert parsed == query
    as_json = json.loads(json.dumps(parsed.to_json()))
    again = q.Query.from_json(as_json)
    assert again == query
    assert to_text(again) == text


def test_every_step_type_has_a_text_form_and_json_op():
    ops_in_grammar = set(KEYWORDS)
    for op in q.STEP_TYPES:
        assert op in ops_in_grammar, op


@pytest.mark.parametrize("text, message", [
    ("filter age >", "the query ends too early; expected a \"string\", false, a number, true"),
    ("whatif age multiply 3", "did not expect 'multiply' at position 12; expected set, increase or decrease"),
    ("importance top 0", "importance top must be a whole number of at least 1"),
    ("filter age ~ 3", "did not understand '~' at position 12"),
])
def test_text_errors_say_where_and_what(text, message):
    with pytest.raises(QueryError) as err:
        parse_text(text)
    assert str(err.value).split("\n")[0] == message


@pytest.mark.parametrize("obj, message", [
    ({"steps": [{"op": "predcit"}]}, "unknown operation 'predcit' — did you mean 'predict'?"),
    ({"steps": [{"op": "filter"}]}, "'filter' needs where"),
    ({"steps": [{"op": "count", "top": 3}]}, "'count' does not take top"),
    ({"steps": []}, "a query needs at least one step"),
    ({"steps": [{"op": "filter", "where": {"feature": "age", "cmp": "=", "value": 3}}]},
     "unknown comparison '='; use one of == != > >= < <="),
    ([1, 2], 'a JSON query looks like {"steps": [{"op": ...}, ...]}'),
])
def test_json_errors(obj, message):
    with pytest.raises(QueryError) as err:
        q.Query.from_json(obj)
    assert str(err.value) == message


@pytest.mark.parametrize("text, message", [
    ("filter agee > 3 then count", "no feature 'agee' — did you mean 'age'?"),
    ('filter housing == "rnt" then count',
     "housing has no value 'rnt' (its values are free, own, rent) — did you mean 'rent'?"),
    ('filter housing > "rent" then count', "housing is categorical: use == or != with it, not >"),
    ('filter age > "old" then count', "age is a number: 'old' is not one"),
    ("filter prediction == 7 then count", "'7' is not one of the classes (0 = bad credit risk, 1 = good credit risk)"),
    ('whatif housing increase 2 then predict', "housing is not a number, so it can only be set, not increased"),
    ("score rmse", "'rmse' does not apply to a classification model; use one of accuracy, f1, precision, recall, specificity, roc_auc, npv"),
])
def test_validation_errors_are_helpful(credit, text, message):
    with pytest.raises(QueryError) as err:
        validate(parse_text(text), credit.schema)
    assert str(err.value) == message


def test_validation_normalises_values_to_the_data(credit, compas):
    query = validate(parse_text('filter prediction == "good credit risk" and HOUSING == "Rent" '
                                'and age >= "30" then count'), credit.schema)
    assert query.steps[0].where == q.And((q.Cmp("prediction", "==", 1), q.Cmp("housing", "==", "rent"),
                                          q.Cmp("age", ">=", 30)))
    query = validate(parse_text('filter woman == "yes" then count'), compas.schema)
    assert query.steps[0].where == q.Cmp("woman", "==", 1)


@pytest.mark.parametrize("text, message", [
    ('{"steps": [{"op": "nope"}]}', "I could not read that query: unknown operation 'nope'"),
    ("filter age > 'x' then count", "I could not read that query: did not understand ''' at position 14"),
])
def test_a_broken_formal_query_gets_its_own_error_not_a_guess(credit, text, message):
    from talk2model import Assistant

    answer = Assistant(credit).ask(text)
    assert answer.query is None
    assert answer.text.split("\n")[0] == message
