"""Grounding slips people make and follow-ups about fairness, each checked against the data:
a typo the training data itself holds ('pregnacies') still names the column, "older then 45" is
"older than 45", "the under-25s" are people under 25, a value said right before its column is
that column's ('little in their checking account'), and "cross that with sex" keeps the last
fairness check's attribute. Rows are checked with pandas; generated talks with the gold checker."""

from __future__ import annotations

import pytest

from talk2model.assistant import Assistant
from talk2model.parser.lexicon import Lexicon, Speller
from talk2model.parser.normalize import tokenize
from talk2model.workspace import load_workspace


def changes(answer) -> list[dict]:
    """The what-ifs an answer ran, as the query language writes them."""
    return [s.to_json() for s in answer.query.steps if s.op == "whatif"]


def test_a_learned_typo_of_a_column_word_is_corrected_to_the_column():
    words = Lexicon.build(load_workspace("diabetes").schema).words
    # 'pregnacies' and 'defendents' are frequent typos in training questions (typo targets)
    speller = Speller(words | {"pregnacies", "defendents", "defendants"}, own=words)
    assert speller.correct("pregnacies") == "pregnancies"
    assert speller.correct("defendents") == "defendants"      # a letter changed, towards the workspace's word
    assert speller.correct("pregnancies") == "pregnancies"


def test_a_learned_typo_that_changes_or_drops_a_letter_is_corrected_too():
    """Typos the training questions also made are among the learned words, so only the column's
    words can correct them: a letter changed ('suger', 'glucoze'), a short word ('suger' has 5
    letters), a last letter dropped from a long word ('pedigre')."""
    words = Lexicon.build(load_workspace("diabetes").schema).words
    speller = Speller(words | {"suger", "glucoze", "pedigre", "loans"}, own=words)
    assert [speller.correct(w) for w in ("suger", "glucoze", "pedigre")] == ["sugar", "glucose", "pedigree"]
    assert speller.correct("loans") == "loans"                 # an ending, not a slip


def test_two_slips_in_a_long_learned_word_and_metric_names_are_corrected(compas):
    """'presicion' and 'specifity' are learned words too; a long word two slips from one word of the
    workspace or of the metric names is that word."""
    words = Lexicon.build(compas.schema).words
    speller = Speller(words | {"presicion", "specifity"}, own=words | {"precision", "specificity"})
    assert [speller.correct(w) for w in ("presicion", "specifity")] == ["precision", "specificity"]
    answer = Assistant(compas).ask("whats the presicion for felons")
    data = compas.data
    assert [(s.op, s.metric) for s in answer.query.steps if s.op == "score"] == [("score", "precision")]
    assert sorted(answer.selection_ids) == sorted(data.index[data["felony"] == 1])


def test_a_misspelt_synonym_changes_the_column_it_names(diabetes):
    person = int(diabetes.data.index[1])
    answer = Assistant(diabetes).ask(f"what if patient {person}'s blood suger went down by 30?")
    assert answer.selection_ids == [person]
    assert changes(answer) == [{"op": "whatif", "feature": "Glucose", "action": "decrease", "value": 30}]


def test_then_after_a_comparative_and_before_a_number_is_than():
    assert tokenize("older then 45")[:3] == ["older", "than", "45"]
    assert tokenize("and then 45 more")[:3] == ["and", "then", "45"]     # no comparative: left alone


def test_typo_of_a_column_counts_the_right_rows(diabetes):
    answer = Assistant(diabetes).ask("how many of the patients over 40 have had more than 5 pregnacies?")
    data = diabetes.data
    expected = sorted(data.index[(data["Age"] > 40) & (data["Pregnancies"] > 5)])
    assert sorted(answer.selection_ids) == expected


def test_numbers_said_as_groups_of_people_are_ages(credit):
    answer = Assistant(credit).ask("acc under 25s")
    assert [s.op for s in answer.query.steps] == ["filter", "score"]
    assert sorted(answer.selection_ids) == sorted(credit.data.index[credit.data["age"] < 25])


def test_a_value_takes_the_column_said_right_after_it(credit):
    answer = Assistant(credit).ask("how many applicants have little savings and also little in their checking account?")
    data = credit.data
    expected = data.index[(data["saving_accounts"] == "little") & (data["checking_account"] == "little")]
    assert sorted(answer.selection_ids) == sorted(expected)
    assert len(expected) < (data["saving_accounts"] == "little").sum()     # the second condition matters


def test_crossing_a_fairness_check_keeps_its_attribute(credit):
    bot = Assistant(credit)
    first = bot.ask("is the model fair across age? split at 25 and 60")
    assert [s.to_json() for s in first.query.steps] == [{"op": "bias", "attribute": "age", "bands": [25, 60]}]
    answer = bot.ask("Cross that with sex as well.")
    assert [s.to_json() for s in answer.query.steps] == [
        {"op": "bias", "attribute": "age", "attributes": ["sex"], "bands": [25, 60]}]


def test_generated_talks_are_valid_and_their_complements_are_right():
    from talk2model.parser.train.check import check_gold
    from talk2model.parser.train.generate import generate
    from talk2model.parser.train.schemas import load_training_workspace

    records = generate(seed=3, per_schema=2, unknown_per_schema=0, talks_per_schema=12, legacy_per_schema=0)
    talks = [r for r in records if "turns" in r]
    assert talks
    problems = [(t["workspace"], turn["question"], p) for t in talks for turn in t["turns"] if turn["gold"]
                for p in check_gold(load_training_workspace(t["workspace"]), turn["gold"])]
    assert problems == []
    deeper = [t for t in talks if len(t["turns"]) >= 3]
    assert deeper                                     # follow-ups of follow-ups, not only pairs
    for t in talks:
        for before, after in zip(t["turns"], t["turns"][1:]):
            if before["gold"] is None or after["gold"] is None:
                continue
            w0 = next((s["where"] for s in before["gold"]["steps"] if s["op"] == "filter"), None)
            w1 = next((s["where"] for s in after["gold"]["steps"] if s["op"] == "filter"), None)
            if w1 is not None and "not" in w1 and w1 != w0:   # "everyone else" after a group of several conditions
                assert w1["not"] == w0


def test_follow_ups_asked_alone_repeat_the_last_operation_and_never_get_an_earlier_turn():
    from talk2model.parser.train.check import check_gold
    from talk2model.parser.train.data import Item, with_earlier_turns
    from talk2model.parser.train.generate import Generator, Schema
    from talk2model.parser.train.schemas import load_training_workspace

    gen = Generator(5)
    made = []
    for name in ("german", "compas", "diabetes", "a_card_fraud", "b_stroke_risk"):
        s = Schema(name)
        for _ in range(40):
            said = gen.follow_up_alone(s)
            if said is not None:
                made.append((name, said))
    assert len(made) >= 150
    problems = [(name, said.text, p) for name, said in made
                for p in check_gold(load_training_workspace(name), {"steps": said.gold})]
    assert problems == []
    ops = [[st["op"] for st in said.gold] for _, said in made]
    assert all(o[-1] == "repeat" and o.count("repeat") == 1 for o in ops)
    # each says what is new: rows, or a change (on the same rows when it says "same group")
    assert all(o[:-1] in (["filter"], ["whatif"], ["previous_filter", "whatif"]) for o in ops)
    assert {tuple(o) for o in ops} == {("filter", "repeat"), ("whatif", "repeat"), ("previous_filter", "whatif", "repeat")}
    # read after an earlier turn, such a question asks that turn's operation: never labelled `repeat` there
    earlier = [{"op": "filter", "where": {"feature": "id", "cmp": "==", "value": 3}}, {"op": "predict"}]
    items = [Item(name, said.text, said.gold) for name, said in made]
    items += [Item(name, "explain everyone", [{"op": "explain", "method": "auto"}]) for name in {n for n, _ in made}]
    items += [Item(name, "why?", earlier, earlier, 1, 0) for name in {n for n, _ in made}]
    read = with_earlier_turns(items, seed=0, share=1.0)
    assert all(it.previous is None for it in read if it.steps and it.steps[-1]["op"] == "repeat")
    assert all(it.previous is not None for it in read if it.question == "explain everyone")


def _only_an_id(ws) -> int:
    """A row id no numeric column's range can hold (so a bare number can only be that row)."""
    from talk2model.parser.constraints import features_holding

    return next(int(i) for i in sorted(ws.data.index, reverse=True) if not features_holding(ws, int(i)))


def test_a_change_in_an_if_clause_is_a_what_if_not_dropped(german):
    row = int(german.data.index[0])
    answer = Assistant(german).ask(f"would applicant {row} be approved if she had a guarantor?")
    assert changes(answer) == [{"op": "whatif", "feature": "HasGuarantor", "action": "set", "value": 1}]
    assert answer.selection_ids == [row]


def test_a_number_that_can_only_be_a_row_is_that_row(compas):
    first, other = _only_an_id(compas), int(compas.data.index[0])
    bot = Assistant(compas)
    bot.ask(f"why is defendant {other} rated high risk?")
    answer = bot.ask(f"What if {first} had 2 priors instead of 8?")
    assert answer.selection_ids == [first]
    again = bot.ask("and with 2 priors, how would his probabilities change?")
    assert changes(again) == [{"op": "whatif", "feature": "number_of_prior_crimes", "action": "set", "value": 2}]
    assert again.selection_ids == [first]


def test_switching_the_group_by_a_value_alone(compas):
    bot = Assistant(compas)
    bot.ask("What percentage of women are predicted to reoffend?")
    answer = bot.ask("and men?")
    assert sorted(answer.selection_ids) == sorted(compas.data.index[compas.data["man"] == 1])


def test_then_in_a_question_is_not_the_query_language(german):
    from talk2model.parser.base import is_surely_formal, looks_like_query

    question = "show me women under 25 who asked for more then 10000"
    assert not looks_like_query(question) and not is_surely_formal(question)
    assert is_surely_formal("filter age > 30 then count")
    answer = Assistant(german).ask(question)
    data = german.data
    expected = data.index[(data["Gender"] == 0) & (data["Age"] < 25) & (data["LoanAmount"] > 10000)]
    assert answer.query is not None and sorted(answer.selection_ids or []) == sorted(expected)


def test_a_value_said_about_the_person_is_not_another_person(german):
    row = int(german.data.index[0])
    lo, hi = german.schema.features["LoanAmount"].range
    said = next(n for n in range(int(hi) - 1, int(lo), -1) if n not in german.data.index)
    bot = Assistant(german)
    bot.ask(f"My daughter is applicant {row} and she was denied. Can you explain why?")
    answer = bot.ask(f"she asked for a lot, {said}. if she asked for 5000 would it go through?")
    assert answer.selection_ids == [row]
    assert changes(answer) == [{"op": "whatif", "feature": "LoanAmount", "action": "set", "value": 5000}]


def test_the_current_value_said_before_a_what_if_is_not_a_change(diabetes):
    row = int(diabetes.data.index[0])
    bot = Assistant(diabetes)
    bot.ask(f"Let's start with patient {row}. Does the model think she has diabetes?")
    answer = bot.ask("her bmi is 48. what if she got it down to 30")
    assert changes(answer) == [{"op": "whatif", "feature": "BMI", "action": "set", "value": 30}]
    assert answer.selection_ids == [row]


def test_everyone_else_after_a_group_is_the_rest_of_the_rows(diabetes):
    bot = Assistant(diabetes)
    bot.ask("how many patients have an insulin value of 0?")
    answer = bot.ask("and on everyone else")
    assert sorted(answer.selection_ids) == sorted(diabetes.data.index[diabetes.data["Insulin"] != 0])


def _dist(**p):
    from talk2model.parser import labels as L
    import numpy as np

    row = np.full(len(L.SLOT_LABELS), 1e-4)
    for name, v in p.items():
        row[L.SLOT_LABELS.index(name)] = v
    return row / row.sum()


def test_slot_decoding_keeps_both_operations_of_a_split_first_slot():
    import numpy as np
    from talk2model.parser.reader import slot_sequence

    no_args = lambda k, label: {}         # noqa: E731
    end = _dist(end=1.0)
    split = np.stack([_dist(statistic=0.66, count=0.30, unknown=0.04), _dist(end=0.91, statistic=0.09), end, end])
    assert [op for _, op in slot_sequence(split, no_args)] == ["count", "statistic"]
    three_way = np.stack([_dist(predict=0.40, labels=0.29, show=0.16, explain=0.15), _dist(end=0.99, predict=0.01), end, end])
    assert [op for _, op in slot_sequence(three_way, no_args)] == ["predict"]
    repeated = np.stack([_dist(score=1.0), _dist(score=0.60, mistakes=0.37, end=0.03), end, end])
    assert [op for _, op in slot_sequence(repeated, no_args)] == ["score", "mistakes"]
    weak = np.stack([_dist(count=1.0), _dist(count=0.80, score=0.18, end=0.02), end, end])
    assert [op for _, op in slot_sequence(weak, no_args)] == ["count"]       # nothing unasked added
    # the same operation with other arguments ("accuracy and f1") is two steps
    metric = lambda k, label: {"metric": ("accuracy" if k == 0 else "f1", 1.0)}    # noqa: E731
    assert [op for _, op in slot_sequence(repeated, metric)] == ["score", "score"]


def test_how_many_and_an_average_in_one_question(diabetes):
    answer = Assistant(diabetes).ask("How many patients have a BMI over 40, and what's their average glucose?")
    assert [s.op for s in answer.query.steps] == ["filter", "count", "statistic"]
    assert sorted(answer.selection_ids) == sorted(diabetes.data.index[diabetes.data["BMI"] > 40])


@pytest.mark.parametrize("question,cmp", [("how many defendants 21 or younger are there", "le"),
                                          ("how many defendants are 21 or older", "ge")])
def test_a_bound_said_after_its_number_includes_it(compas, question, cmp):
    answer = Assistant(compas).ask(question)
    age = compas.data["age"]
    expected = compas.data.index[age <= 21] if cmp == "le" else compas.data.index[age >= 21]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_also_keeps_the_last_what_if(credit):
    row = int(credit.data.index[5])
    bot = Assistant(credit)
    bot.ask(f"hi, my loan application got turned down. I'm applicant {row} - why did that happen?")
    bot.ask("and if I asked for a smaller loan, say 2000?")
    answer = bot.ask("what if i also shortend the term to 12 months")
    assert changes(answer) == [
        {"op": "whatif", "feature": "credit_amount", "action": "set", "value": 2000},
        {"op": "whatif", "feature": "duration", "action": "set", "value": 12}]
    assert answer.selection_ids == [row]


def test_a_number_after_the_word_for_one_row_names_it(credit):
    first, other = (int(i) for i in sorted(credit.data.index)[:2])
    bot = Assistant(credit)
    bot.ask(f"show me applicant {other}")
    answer = bot.ask(f"ok now applicant {first} - why was she denied?")
    assert answer.selection_ids == [first]


def test_everyone_else_after_a_turn_on_the_same_group(credit):
    bot = Assistant(credit)
    bot.ask("how many renters under 30 are there?")
    bot.ask("What share of them does the model approve?")
    answer = bot.ask("and everyone else?")
    data = credit.data
    group = (data["housing"] == "rent") & (data["age"] < 30)
    assert sorted(answer.selection_ids) == sorted(data.index[~group])


def test_the_rest_after_a_figure_about_a_group(diabetes):
    bot = Assistant(diabetes)
    bot.ask("how many patients have blood pressure over 90")
    bot.ask("whats the models accuracy on them")
    answer = bot.ask("and the rest?")
    assert [s.op for s in answer.query.steps][-1] == "score"
    assert sorted(answer.selection_ids) == sorted(diabetes.data.index[diabetes.data["BloodPressure"] <= 90])


def test_her_after_a_turn_about_everyone_is_the_person_before(diabetes):
    row = int(diabetes.data.index[3])
    bot = Assistant(diabetes)
    bot.ask(f"How likely does the model think it is that patient {row} has diabetes?")
    bot.ask("How much does the pedigree function matter in the model overall?")
    answer = bot.ask("What if her glucose were 150?")
    assert answer.selection_ids == [row]
    assert changes(answer) == [{"op": "whatif", "feature": "Glucose", "action": "set", "value": 150}]
