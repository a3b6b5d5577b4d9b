"""After a what-if, a question about the answer just given ("how sure is the model about that?",
"why then?", "how likely would approval be?") keeps its changes; the same asked about the person as
they are ("as things stand", "in the first place") does not. The probability answered is checked
against the model's own predict_proba on the changed row."""

from __future__ import annotations

import re

import numpy as np

from talk2model.assistant import Assistant


def changes(answer) -> list[tuple]:
    return [(s.feature, s.action, s.value) for s in answer.query.steps if s.op == "whatif"]


def after_a_smaller_loan(credit, first: str, change: str) -> tuple[int, Assistant]:
    """An applicant asking for more than 5000, a first question about them, then a what-if."""
    person = int(credit.data.index[credit.data["credit_amount"] > 5000][0])
    bot = Assistant(credit)
    bot.ask(first.format(person=person))
    bot.ask(change)
    return person, bot


def test_the_scenario_keeps_the_changes_and_as_things_stand_drops_them(credit):
    person, bot = after_a_smaller_loan(credit, "why was applicant {person} denied?", "what if she asked for 3000 less?")
    sure = bot.ask("how sure is the model about that")
    assert sure.selection_ids == [person]
    assert changes(sure) == [("credit_amount", "decrease", 3000)]
    now = bot.ask("and as things stand, how sure is it?")
    assert now.selection_ids == [person] and changes(now) == []
    bot.ask("what if the duration were 12 months?")
    would = bot.ask("how likely would approval be?")
    assert changes(would) == [("duration", "set", 12)]
    why = bot.ask("why then?")
    assert [s.op for s in why.query.steps][-1] == "explain" and changes(why) == [("duration", "set", 12)]
    first = bot.ask("why was she refused in the first place?")
    assert changes(first) == []


def test_the_probability_of_the_scenario_is_the_models_on_the_changed_row(credit):
    person, bot = after_a_smaller_loan(credit, "what does the model predict for applicant {person}?",
                                       "what if the loan were 3000 smaller?")
    answer = bot.ask("what's the probability then")
    row = credit.data.loc[[person], list(credit.schema.features)].copy()
    before = credit.model.predict_proba(row)[0]
    row["credit_amount"] -= 3000
    after = credit.model.predict_proba(row)[0]
    assert abs(after[0] - before[0]) > 0.02          # the change moves the probability: the test can tell
    first = float(re.search(r"(\d+(?:\.\d+)?)% probability", answer.text).group(1))
    assert np.isclose(first, 100 * after, atol=0.06).any()


def test_a_bare_probability_after_a_what_if_is_about_its_answer(credit):
    person, bot = after_a_smaller_loan(credit, "why was applicant {person} denied?", "what if she asked for 3000 less?")
    bare = bot.ask("how confident?")
    assert bare.selection_ids == [person] and changes(bare) == [("credit_amount", "decrease", 3000)]


def test_tell_me_more_after_a_what_if_continues_the_answer_on_the_same_person(credit):
    person, bot = after_a_smaller_loan(credit, "why was applicant {person} denied?", "what if she asked for 3000 less?")
    more = bot.ask("tell me more")
    assert [s.op for s in more.query.steps] == ["followup"]


def test_show_the_rest_after_a_list_cut_short_is_the_rest_of_that_list(compas):
    data = compas.data
    bot = Assistant(compas)
    group = bot.ask("show me the defendants charged with a felony who have more than 10 priors")
    expected = sorted(data.index[(data["felony"] == 1) & (data["number_of_prior_crimes"] > 10)])
    assert sorted(group.selection_ids) == expected and len(expected) > 10     # long enough to be cut
    rest = bot.ask("show the rest")
    assert [s.op for s in rest.query.steps] == ["followup"]
    # with nothing cut short, "the rest" is everyone else
    other = Assistant(compas)
    other.ask("how many defendants are charged with a felony?")
    others = other.ask("and the rest?")
    assert sorted(others.selection_ids) == sorted(data.index[data["felony"] != 1])


def test_rather_than_the_current_value_does_not_replace_the_last_change(credit):
    data = credit.data
    person = int(data.index[(data["credit_amount"] > 5000) & (data["duration"] > 24)][0])
    bot = Assistant(credit)
    bot.ask(f"why was applicant {person} denied?")
    bot.ask("what if the loan ran for 24 months?")
    amount = int(data.loc[person, "credit_amount"])
    answer = bot.ask(f"and on top of that if I only borrowed 3000 rather than {amount}?")
    assert changes(answer) == [("duration", "set", 24), ("credit_amount", "set", 3000)]
    instead = bot.ask("what if instead the loan ran for 12 months?")
    assert changes(instead) == [("duration", "set", 12)]


def test_a_new_change_not_said_to_be_added_replaces_the_last_one(credit):
    data = credit.data
    person = int(data.index[data["housing"] == "rent"][0])
    bot = Assistant(credit)
    bot.ask(f"why was applicant {person} denied?")
    bot.ask("what if the duration were 12 months?")
    answer = bot.ask("and if she owned her home?")
    assert answer.selection_ids == [person] and changes(answer) == [("housing", "set", "own")]
    both = bot.ask("and also a loan of 2000?")
    assert changes(both) == [("housing", "set", "own"), ("credit_amount", "set", 2000)]


def test_one_columns_weight_after_a_group_is_about_the_model_unless_said_for_them(diabetes):
    data = diabetes.data
    over_50 = sorted(data.index[data["Age"] > 50])
    bot = Assistant(diabetes)
    assert sorted(bot.ask("how many patients are over 50?").selection_ids) == over_50
    everyone = bot.ask("how important is glucose?")
    assert [s.op for s in everyone.query.steps] == ["importance"]
    assert sorted(everyone.selection_ids) == sorted(data.index)
    bot = Assistant(diabetes)
    bot.ask("how many patients are over 50?")
    for_them = bot.ask("how important is glucose for them?")
    assert sorted(for_them.selection_ids) == over_50


def test_a_follow_up_naming_only_the_models_output_narrows_the_group(compas):
    data = compas.data
    bot = Assistant(compas)
    group = (data["black"] == 1) & (data["woman"] == 1)
    assert sorted(bot.ask("how many black women are there?").selection_ids) == sorted(data.index[group])
    flagged = bot.ask("and how many does the model flag as likely to reoffend?")
    predicted = compas.model.predict(data[compas.schema.feature_names])
    likely = [k for k, v in compas.schema.classes.items() if "likely to" in v and "unlikely" not in v][0]
    expected = data.index[group & (predicted == int(likely))]
    assert sorted(flagged.selection_ids) == sorted(expected)


def test_a_bare_number_after_a_change_to_one_row_is_another_value_of_that_change(credit):
    """'What if applicant 10 were 30?' then 'and 45?': another age for the same applicant, not
    applicant 45; a number the age cannot be ('and 500?') names that row."""
    data = credit.data
    person = int(data.index[10])
    bot = Assistant(credit)
    bot.ask(f"what if applicant {person} were 30 years old?")
    answer = bot.ask("and 45?")
    assert answer.selection_ids == [person] and changes(answer) == [("age", "set", 45)]
    assert data["age"].min() <= 45 <= data["age"].max()
    answer = bot.ask("and 500?")
    assert 500 > data["age"].max() and answer.selection_ids == [500] and 500 in data.index
