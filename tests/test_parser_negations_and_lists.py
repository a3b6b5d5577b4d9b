"""A yes/no change said with a negation ("what if he wasn't a foreign worker"), rows listed with
"and" ("applicants 306 and 1"), a current value after "instead of", a range whose lower end is just
below the youngest row, and a count said never to have happened ("never been pregnant"). Rows are
checked against pandas on the workspace's data."""

from __future__ import annotations

import pytest

from talk2model.assistant import Assistant


def whatifs(answer) -> list[tuple]:
    return [(s.feature, s.action, s.value) for s in answer.query.steps if s.op == "whatif"]


@pytest.mark.parametrize("question, feature", [
    ("what if applicant {p} wasnt a foreign worker", "ForeignWorker"),
    ("What if applicant {p} didn't have a telephone?", "HasTelephone"),
    ("what would the model decide for applicant {p} if he was not unemployed?", "Unemployed"),
])
def test_a_negated_yes_no_change_sets_it_to_no(german, question, feature):
    person = int(german.data.index[german.data[feature] == 1][0])
    answer = Assistant(german).ask(question.format(p=person))
    assert answer.selection_ids == [person]
    assert whatifs(answer) == [(feature, "set", 0)]      # the person has it (pandas): the change is to 0


def test_a_yes_no_change_without_negation_sets_it_to_yes(german):
    person = int(german.data.index[german.data["HasGuarantor"] == 0][0])
    answer = Assistant(german).ask(f"what if {person} was not unemployed and had a guarantor")
    assert ("HasGuarantor", "set", 1) in whatifs(answer) and ("Unemployed", "set", 0) in whatifs(answer)


def test_rows_listed_with_and_are_all_selected(german, compas):
    a, b = (int(i) for i in german.data.index[[5, 0]])
    answer = Assistant(german).ask(f"explain the predictions for applicants {a} and {b}.")
    assert sorted(answer.selection_ids) == sorted([a, b])
    c, d, e = (int(i) for i in compas.data.index[[3, 4, 9]])
    answer = Assistant(compas).ask(f"compare defendants {c}, {d} and {e}")
    assert sorted(answer.selection_ids) == sorted([c, d, e])


def test_the_value_after_instead_of_is_the_current_one_not_another_change(diabetes):
    data = diabetes.data
    person = int(data.index[data["BMI"] > 40][0])
    current = data.loc[person, "BMI"]
    answer = Assistant(diabetes).ask(f"What if patient {person}'s BMI were 30 instead of {current}?")
    assert whatifs(answer) == [("BMI", "set", 30)]


def test_a_range_just_below_the_youngest_row_is_still_an_age(compas):
    data = compas.data
    youngest = int(data["age"].min())
    answer = Assistant(compas).ask(f"How many defendants between {youngest - 1} and 25 are there?")
    assert [s.op for s in answer.query.steps] == ["filter", "count"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["age"] >= youngest - 1) & (data["age"] <= 25)])


def test_never_been_pregnant_is_a_count_of_zero(diabetes):
    data = diabetes.data
    answer = Assistant(diabetes).ask("How many patients are exactly 22 years old and have never been pregnant?")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Age"] == 22) & (data["Pregnancies"] == 0)])


def test_a_number_before_a_column_with_a_number_of_its_own_is_the_age(german):
    data = german.data
    answer = Assistant(german).ask("What are the decision rules for applicants over 40 whose loan duration is more "
                                   "than 36 months?")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Age"] > 40) & (data["LoanDuration"] > 36)])


def test_who_are_over_50_is_the_age_not_the_column_before(compas):
    data = compas.data
    answer = Assistant(compas).ask("For defendants with under 2 priors who are over 50, how confident is the model?")
    assert sorted(answer.selection_ids) == sorted(
        data.index[(data["number_of_prior_crimes"] < 2) & (data["age"] > 50)])


def test_years_go_to_the_duration_that_holds_them_not_an_age_no_one_has(german):
    data = german.data
    answer = Assistant(german).ask("What kind of mistakes does the model make on people whose loans are over 5000 "
                                   "and run for more than 2 years?")
    assert sorted(answer.selection_ids) == sorted(
        data.index[(data["LoanAmount"] > 5000) & (data["LoanDuration"] > 24)])


def test_a_comparative_after_an_amount_says_its_way_and_were_30_is_a_value(german, diabetes):
    person = int(german.data.index[10])
    answer = Assistant(german).ask(f"Suppose applicant {person} were 5 years older and borrowed 2000 less. "
                                   "How likely would approval be then?")
    assert whatifs(answer) == [("Age", "increase", 5), ("LoanAmount", "decrease", 2000)]
    shorter = Assistant(german).ask("if every applicant's loan were 6 months shorter how accurate would the model be")
    assert whatifs(shorter) == [("LoanDuration", "decrease", 6)]
    patient = int(diabetes.data.index[diabetes.data["Pregnancies"] > 3][0])
    set_age = Assistant(diabetes).ask(f"what would you predict for patient {patient} if she had had two fewer "
                                      "pregnancies and if her age were 30 instead?")
    assert whatifs(set_age) == [("Pregnancies", "decrease", 2), ("Age", "set", 30)]


def test_a_range_said_after_not_or_excluding_is_everyone_outside_it(german, diabetes):
    data = german.data
    answer = Assistant(german).ask("how many applicants are NOT between 25 and 35 years old?")
    assert sorted(answer.selection_ids) == sorted(data.index[~data["Age"].between(25, 35)])
    d = diabetes.data
    outside = Assistant(diabetes).ask("Excluding the patients between 30 and 40, how accurate is the model?")
    assert sorted(outside.selection_ids) == sorted(d.index[~d["Age"].between(30, 40)])
    inside = Assistant(diabetes).ask("how many patients are between 30 and 40")
    assert sorted(inside.selection_ids) == sorted(d.index[d["Age"].between(30, 40)])


def test_the_id_of_the_person_discussed_said_beside_a_change_names_that_person(diabetes):
    data = diabetes.data
    person = int(data.index[(data.index > 20) & (data["Insulin"] != 150)][0])
    assert person not in (150,) and person in data.index                       # a real row (pandas)
    bot = Assistant(diabetes)
    bot.ask(f"show me patient {person}")
    answer = bot.ask(f"what if {person}'s insulin were 150")
    assert answer.selection_ids == [person]
    assert whatifs(answer) == [("Insulin", "set", 150)]


def test_a_bare_not_after_a_group_turns_its_last_condition_round(compas, german):
    data = compas.data
    bot = Assistant(compas)
    bot.ask("how many defendants spent more than 24 months in jail?")
    bot.ask("how many of those are black?")
    answer = bot.ask("and how many aren't?")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["months_in_jail"] > 24) & (data["black"] == 0)])
    gd = german.data
    bot = Assistant(german)
    bot.ask("accuracy on applicants with missed payments?")
    answer = bot.ask("and without?")
    assert [s.op for s in answer.query.steps][-1] == "score"
    assert sorted(answer.selection_ids) == sorted(gd.index[gd["MissedPayments"] == 0])


def test_a_range_word_after_the_numbers_noun_is_the_comparison_not_an_or(diabetes):
    """'4 pregnancies or more', 'her 4th pregnancy or beyond': the range word follows the noun;
    its "or" does not join two conditions. With a number after it, 'and over 50' is a condition."""
    data = diabetes.data
    predicted = diabetes.model.predict(data[diabetes.schema.feature_names])
    answer = Assistant(diabetes).ask("how many patients with 4 pregnancies or more are predicted diabetic?")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Pregnancies"] >= 4) & (predicted == 1)])
    answer = Assistant(diabetes).ask("how many patients on their 4th pregnancy or beyond?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["Pregnancies"] >= 4])
    answer = Assistant(diabetes).ask("how many patients with 4 pregnancies and over 50 years old?")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Pregnancies"] == 4) & (data["Age"] > 50)])
