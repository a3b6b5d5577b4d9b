"""Follow-ups typed short ("y", "show the rest", "both"), a fairness check moved
to another protected attribute, a what-if asked again for someone else, people described as
"like me", a column name typed as one identifier with a slip, and one person's most important features. Every selection is checked against
pandas on the workspace's data."""

from __future__ import annotations

from talk2model.assistant import Assistant
from talk2model.query import ast as q


def ops(answer) -> list[str]:
    return [s.op for s in answer.query.steps if s.op not in ("filter", "previous_filter", "whatif")]


def changes(answer) -> list[tuple]:
    return [(s.feature, s.action, s.value) for s in answer.query.steps if isinstance(s, q.WhatIf)]


def test_y_sent_alone_after_a_prediction_asks_why(credit):
    bot = Assistant(credit)
    bot.ask("what does the model predict for applicant 30?")
    answer = bot.ask("y")
    assert ops(answer) == ["explain"]
    assert answer.selection_ids == [30]


def test_show_the_rest_after_an_answer_is_that_answer_on_the_group(credit):
    data = credit.data
    bot = Assistant(credit)
    bot.ask("how accurate is the model on applicants who own their home?")
    answer = bot.ask("show me the rest")
    assert ops(answer) == ["followup"]
    assert sorted(answer.selection_ids) == sorted(data.index[data["housing"] == "own"])


def test_both_is_the_pair_named_together_when_one_of_them_was_asked_about_since(german):
    data = german.data
    a, b = int(data.index[5]), int(data.index[40])
    bot = Assistant(german)
    bot.ask(f"what does the model predict for applicants {a} and {b}?")
    bot.ask(f"why for {b}?")
    answer = bot.ask("show me both of them")
    assert ops(answer) == ["show"]
    assert sorted(answer.selection_ids) == sorted([a, b])


def test_another_protected_value_after_a_fairness_check_is_the_new_attribute(german):
    bot = Assistant(german)
    bot.ask("is the model fair with respect to gender?")
    answer = bot.ask("what about foreign workers?")
    assert [s for s in answer.query.steps if isinstance(s, q.Filter)] == []
    (check,) = [s for s in answer.query.steps if isinstance(s, q.Bias)]
    assert check.attribute == "ForeignWorker"
    assert len(answer.selection_ids) == len(german.data)


def test_the_same_what_if_for_someone_else_carries_the_change(compas):
    data = compas.data
    first, other = int(data.index[data["number_of_prior_crimes"] > 3][0]), int(data.index[100])
    bot = Assistant(compas)
    bot.ask(f"what if defendant {first} had 1 prior crime?")
    answer = bot.ask(f"same what-if for defendant {other}")
    assert changes(answer) == [("number_of_prior_crimes", "set", 1)]
    assert answer.selection_ids == [other]


def test_people_like_me_with_a_description_are_the_people_described(credit):
    data = credit.data
    bot = Assistant(credit)
    bot.ask("I'm applicant 44, why was I turned down?")
    answer = bot.ask("how many people like me, renters younger than 30, are in the data?")
    assert ops(answer) == ["count"]
    expected = data.index[(data["housing"] == "rent") & (data["age"] < 30)]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_a_column_name_typed_as_one_identifier_with_a_slip_is_that_column(german):
    answer = Assistant(german).ask("what does OwnsHose mean?")
    assert [(s.op, getattr(s, "feature", None)) for s in answer.query.steps] == [("define", "OwnsHouse")]


def test_one_persons_single_most_important_feature_is_their_top_attribution(credit):
    bot = Assistant(credit)
    bot.ask("why did applicant 7 get this result?")
    answer = bot.ask("which single feature mattered most in her case?")
    (step,) = [s for s in answer.query.steps if isinstance(s, q.Importance)]
    assert step.top == 1 and step.feature is None
    result = answer.to_json()["result"]
    assert answer.selection_ids == [7] and len(result["signed_top"]) == 1
