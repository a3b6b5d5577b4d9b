"""The parser's deterministic parts, each against an oracle written by hand from the schema and
the canonical rules (docs/query-language.md): grounding (typed spans), alignment of a gold query
to the spans (the training labels), and the assembler (roles -> query) fed with hand-made readings,
so these tests do not depend on the trained reader.
"""

from __future__ import annotations

import pytest

from talk2model.parser.assemble import Assembler
from talk2model.parser.grounding import Grounder
from talk2model.parser.lexicon import derived_phrases, threshold
from talk2model.parser.reader import Reading, Slot
from talk2model.parser.train.align import align, turn_steps
from talk2model.query.ast import Query
from talk2model.state import Conversation
from talk2model.workspace import load_workspace
from talk2model.parser.train.schemas import load_training_workspace


@pytest.fixture(scope="module")
def german():
    return load_workspace("german")


@pytest.fixture(scope="module")
def credit():
    return load_workspace("credit")


def spans(ws, question):
    return [(s.type_name, s.text) for s in Grounder(ws).ground(question).spans]


# ---------------------------------------------------------------------------- grounding
def test_grounding_types(credit):
    got = spans(credit, "why was applicant 12 denied?")
    assert got == [("entity", "applicant"), ("number", "12"), ("class", "denied")]


def test_a_slip_of_two_words_is_the_one_that_makes_a_phrase_of_the_workspace():
    ws = load_workspace("diabetes")
    # the oracle: the schema's own phrase for the glucose column, and a learned vocabulary in which
    # 'suger' is one slip from both 'sugar' and 'super' (both learned words)
    assert "blood sugar" in ws.schema.features["Glucose"].synonyms
    g = Grounder(ws, frozenset({"suger", "super", "sugar"})).ground("what if her blood suger went down by 30?")
    assert [(s.text, s.features) for s in g.spans if s.kind == "feature"] == [("blood sugar", ("Glucose",))]
    # no phrase to complete: the word is left as it was said
    alone = Grounder(ws, frozenset({"suger", "super", "sugar"})).ground("is suger in the data?")
    assert "suger" in alone.tokens


def test_negative_id_stays_negative(credit):
    g = Grounder(credit).ground("show applicant -5")
    assert [s.number for s in g.spans if s.kind == "number"] == [-5]


def test_zero_count_is_a_number(load=None):
    ws = load_workspace("compas")
    g = Grounder(ws).ground("what if he had no prior crimes")
    numbers = [(s.text, s.number) for s in g.spans if s.kind == "number"]
    assert numbers == [("no", 0)]


def test_value_phrase_beats_reference(german):
    # "their" inside "own their home" is part of a value phrase, not a reference
    assert ("value", "own their home") in spans(german, "how many people own their home")
    assert not any(t == "reference" for t, _ in spans(german, "how many people own their home"))


def test_threshold_flags_parsed_from_names(german):
    found = {f: threshold(s) for f, s in german.schema.features.items() if threshold(s)}
    assert found["YearsAtCurrentJobGreaterOrEqualThan4"] == ("years at current job", ">=", 4)
    assert found["YearsAtCurrentJobLessThan1"] == ("years at current job", "<", 1)
    assert found["CheckingAccountBalanceGreaterOrEqualTo0"][1:] == (">=", 0)


def test_derived_phrases_for_a_new_schema():
    ws = load_training_workspace("example_telco")
    derived = {(f, p) for f, p, _ in derived_phrases(ws.schema)}
    # a word of a short column name that no other column shares names the column
    assert ("num_support_calls", "support") in derived or ("num_support_calls", "calls") in derived
    assert ("tenure_months", "tenure") in derived
    g = Grounder(ws).ground("how many customers have more than 3 support calls")
    assert any("num_support_calls" in s.features for s in g.spans)


# ---------------------------------------------------------------------------- alignment
def roles_of(ws, question, gold_text):
    g = Grounder(ws).ground(question)
    t = align(g, Query.from_text(gold_text).to_json()["steps"], ws.schema)
    return {g.spans[i].text: r for i, r in t.roles.items()}, t


def test_align_id_and_class(credit):
    roles, t = roles_of(credit, "why was applicant 12 denied?", "filter id == 12 then explain auto")
    assert roles == {"12": "n_id", "denied": "none"} and t.roles_ok and t.slots == ["explain"]


def test_align_threshold_and_argument_number(german):
    roles, t = roles_of(german, "top 3 features for people over 40", "filter Age > 40 then importance top 3")
    assert roles["3"] == "n_top" and roles["40"] == "n_gt" and t.args == [{"importance": "top"}]


def test_align_whatif_on_a_group(credit):
    roles, t = roles_of(credit, "if renters asked for 1000 less, what would the model predict?",
                        'filter housing == "rent" then whatif credit_amount decrease 1000 then predict')
    assert roles["renters"] == "v_eq" and roles["1000"] == "n_dec" and t.roles_ok


def test_turn_steps_narrowing_and_carry():
    prev = Query.from_text('filter housing == "rent" then whatif age increase 5 then predict').to_json()["steps"]
    cur = Query.from_text('filter housing == "rent" and sex == "female" then whatif age increase 5 '
                          'then likelihood').to_json()["steps"]
    steps, follows, carry = turn_steps(prev, cur)
    assert follows == 1 and carry == 1
    assert Query.from_json({"steps": steps}).to_text() == 'previous_filter then filter sex == "female" then likelihood'


# ---------------------------------------------------------------------------- assembler
def reading(g, ops, roles, follows=0.0, carry=0.0, **args):
    slots = [Slot(op, 0.99, {k: (v, 0.99) for k, v in args.items()}) for op in ops]
    return Reading(slots, [None if s.kind == "entity" else (roles.get(s.text, "none"), 0.99) for s in g.spans],
                   [None] * len(g.spans), follows, carry)


def assemble(ws, question, ops, roles, state=None, **args):
    g = Grounder(ws).ground(question)
    built = Assembler(ws).build(g, reading(g, ops, roles, **args), state)
    return built.query.to_text() if built.query and not built.problems else built


def test_number_binds_to_the_feature_before_it(credit):
    assert assemble(credit, "applicants with a duration over 24 and age under 30", ["count"],
                    {"duration": "f_filter", "24": "n_gt", "age": "f_filter", "30": "n_lt"}) == \
        "filter duration > 24 and age < 30 then count"


def test_implied_age_for_people(credit):
    assert assemble(credit, "how many applicants are over 60", ["count"], {"60": "n_gt"}) == \
        "filter age > 60 then count"


def test_years_converted_to_months(credit):
    assert assemble(credit, "loans with a duration of more than 2 years", ["show"],
                    {"duration": "f_filter", "2": "n_gt"}) == "filter duration > 24 then show"


def test_negated_flag_and_binary_class(german):
    assert assemble(german, "how many applicants without a critical account are predicted not good credit risk",
                    ["count"], {"critical account": "v_ne", "good credit risk": "c_pred_not"}) == \
        "filter CriticalAccountOrLoansElsewhere == 0 and prediction == 0 then count"


def test_threshold_flag_from_a_comparison(german):
    assert assemble(german, "accuracy for people at their current job less than 1 year", ["score"],
                    {"current job": "f_filter", "1": "n_lt"}, metric="accuracy") == \
        "filter YearsAtCurrentJobLessThan1 == 1 then score accuracy"


def test_two_values_of_one_column_are_alternatives(credit):
    assert assemble(credit, "accuracy for renters and owners", ["score"],
                    {"renters": "v_eq", "owners": "v_eq"}, metric="accuracy") == \
        'filter housing == "rent" or housing == "own" then score accuracy'


def test_decade(credit):
    assert assemble(credit, "how many applicants in their 30s", ["count"], {"30": "n_decade"}) == \
        "filter age >= 30 and age < 40 then count"


def test_feature_arguments_one_step_each(credit):
    assert assemble(credit, "how important are age and duration", ["importance"],
                    {"age": "f_arg", "duration": "f_arg"}, importance="feature") == \
        "importance feature age then importance feature duration"


def test_unread_condition_is_refused(credit):
    built = assemble(credit, 'how many applicants have purpose = "x\' OR 1=1 --"', ["count"],
                     {"purpose": "f_filter"})
    assert not isinstance(built, str) and built.problems == [
        "'purpose' seems to set a condition on purpose, but I could not read which value"], built


def test_repeat_with_a_new_argument(credit):
    from talk2model.query import ast as q

    state = Conversation(last_ops=(q.Bias(attribute="sex"),), last_steps=(q.Bias(attribute="sex"),))
    assert assemble(credit, "what about age?", ["repeat"], {"age": "f_arg"}, state=state) == "bias age"


def test_follow_up_keeps_the_selection_and_the_whatifs(credit):
    from talk2model.query import ast as q

    state = Conversation(last_ids=[1], last_ops=(q.Predict(),), last_whatifs=(q.WhatIf("age", "set", 30),),
                         last_steps=(q.WhatIf("age", "set", 30), q.Predict()), current_ids=[1])
    assert assemble(credit, "and the probability?", ["likelihood"], {}, state=state, follows=0.9, carry=0.9) == \
        "previous_filter then whatif age set 30 then likelihood"
