"""Words that decide what a number, a value or a what-if belongs to, checked against the rows pandas
selects: a verb between a number and the feature after it starts a new clause ("applicants under
30 has loans of 36 months"); a value with no word of a hypothesis is a condition, not a change
("and used car?"); in a fairness check, a value of a column that is not protected is the group
("fair across age for the felons?"); "not zero" after a group cut at zero is the same column;
"current" asks about the person as they are; "in total" about "that" keeps the group; a misspelt
decade ("twentys") is a decade; "unknown" is not answered when nothing unknown was said; an amount
of change said of a yes/no column is said back to the person, never dropped."""

from __future__ import annotations

from talk2model.assistant import Assistant


def changes(answer) -> list[tuple]:
    return [(s.feature, s.action, s.value) for s in answer.query.steps if s.op == "whatif"]


def test_a_verb_between_a_number_and_the_feature_after_it_starts_a_new_clause(german):
    data = german.data
    answer = Assistant(german).ask("how many applicants under 30 has loans of 36 month or more")
    expected = data.index[(data["Age"] < 30) & (data["LoanDuration"] >= 36)]
    assert len(expected) > 0
    assert sorted(answer.selection_ids) == sorted(expected)
    assert str(len(expected)) in answer.text


def test_a_value_with_no_word_of_a_hypothesis_is_a_condition_not_a_change(german):
    data = german.data
    bot = Assistant(german)
    new = bot.ask("how many loans is for new car")
    assert sorted(new.selection_ids) == sorted(data.index[data["loanpurposeNewCar"] == 1])
    used = bot.ask("and used car?")
    assert changes(used) == []
    assert sorted(used.selection_ids) == sorted(data.index[data["loanpurposeUsedCar"] == 1])
    # said as a change, it is one
    changed = Assistant(german).ask("what if applicant 10 had a used car loan instead?")
    assert changes(changed) == [("loanpurposeUsedCar", "set", 1)]


def test_a_value_of_an_unprotected_column_in_a_fairness_check_is_the_group(compas):
    data = compas.data
    bot = Assistant(compas)
    bot.ask("how is the model doing on defendants charged with a felony?")
    answer = bot.ask("Is it fair across age for the felons?")
    bias = [s for s in answer.query.steps if s.op == "bias"]
    assert [b.attribute for b in bias] == ["age"]
    assert sorted(answer.selection_ids) == sorted(data.index[data["felony"] == 1])
    # a protected value is the attribute, with no group
    black = Assistant(compas).ask("is the model fair to black defendants?")
    assert [s.attribute for s in black.query.steps if s.op == "bias"] == ["black"]
    assert len(black.selection_ids) == len(data)


def test_not_zero_after_a_group_cut_at_zero_is_the_same_column(diabetes):
    data = diabetes.data
    bot = Assistant(diabetes)
    zero = bot.ask("how many rows have insulin recorded as 0")
    assert sorted(zero.selection_ids) == sorted(data.index[data["Insulin"] == 0])
    bot.ask("whats the accuracy on those")
    other = bot.ask("and on the ones where it's not zero?")
    assert [s.op for s in other.query.steps][-1] == "score"
    assert sorted(other.selection_ids) == sorted(data.index[data["Insulin"] != 0])


def test_the_current_prediction_after_what_ifs_is_the_person_as_they_are(credit):
    person = int(credit.data.index[credit.data["credit_amount"] > 8000][0])
    bot = Assistant(credit)
    bot.ask(f"applicant {person} - what does the model predict")
    bot.ask("what if he borrowed 7000 less?")
    kept = bot.ask("and also 10 years older?")
    assert len(changes(kept)) == 2
    current = bot.ask("under which conditions is his current prediction guaranteed to hold?")
    assert current.selection_ids == [person] and changes(current) == []
    assert [s.op for s in current.query.steps][-1] == "anchor"


def test_a_probability_for_one_of_two_people_after_a_change_to_both_is_as_they_are(german):
    ids = [int(i) for i in german.data.index[:2]]
    bot = Assistant(german)
    bot.ask(f"compare applicants {ids[0]} and {ids[1]}: what does the model predict for each?")
    both = bot.ask("what if they were both 5 years older")
    assert sorted(both.selection_ids) == sorted(ids) and changes(both) == [("Age", "increase", 5)]
    one = bot.ask(f"just {ids[0]}: how sure is the model")
    assert one.selection_ids == [ids[0]] and changes(one) == []
    # nothing else said: the probability is the scenario's (unchanged behaviour)
    bot = Assistant(german)
    bot.ask(f"what does the model predict for applicant {ids[0]}?")
    bot.ask("what if he were 5 years older")
    assert changes(bot.ask("how sure is the model?")) == [("Age", "increase", 5)]


def test_in_total_about_that_keeps_the_group(credit):
    data = credit.data
    bot = Assistant(credit)
    bot.ask("ok now only loans longer than 24 months - how accurate is it there")
    bot.ask("and those of them that are car loans?")
    total = bot.ask("how many people is that in total?")
    expected = data.index[(data["duration"] > 24) & (data["purpose"] == "car")]
    assert sorted(total.selection_ids) == sorted(expected)
    assert str(len(expected)) in total.text


def test_a_misspelt_decade_is_a_decade(compas):
    data = compas.data
    answer = Assistant(compas).ask("what share of black women in their twentys does the model flag as likely to reoffend?")
    group = (data["black"] == 1) & (data["woman"] == 1) & (data["age"] >= 20) & (data["age"] < 30)
    assert sorted(answer.selection_ids) == sorted(data.index[group])


def test_a_column_with_nothing_to_compare_is_the_argument_of_an_operation_about_one_column(diabetes, compas):
    data = diabetes.data
    answer = Assistant(diabetes).ask(
        "how many pregnancies on average do the patients in the data who have diabetes actually have")
    assert [(s.op, getattr(s, "feature", None)) for s in answer.query.steps][-1] == ("statistic", "Pregnancies")
    assert sorted(answer.selection_ids) == sorted(data.index[data[diabetes.schema.target] == 1])
    defined = Assistant(compas).ask("what counts as a misdemeaner in this data")
    assert [(s.op, s.feature) for s in defined.query.steps] == [("define", "misdemeanor")]


def test_how_the_prediction_changes_under_a_stated_change_is_a_what_if(diabetes):
    person = int(diabetes.data.index[10])
    answer = Assistant(diabetes).ask(f"how does the prediction change if patient {person}'s age is increased by 20 years")
    assert answer.selection_ids == [person]
    assert changes(answer) == [("Age", "increase", 20)] and answer.query.steps[-1].op == "predict"


def test_an_amount_for_a_threshold_flag_sets_it_by_its_threshold(german):
    flag = "SavingsAccountBalanceGreaterOrEqualThan200"
    assert flag in german.schema.features
    person = int(german.data.index[german.data[flag] == 0][0])
    bot = Assistant(german)
    bot.ask(f"I am applicant {person}.")
    more = bot.ask("What would the model say if I had at least 200 in my savings account?")
    assert more.selection_ids == [person] and changes(more) == [(flag, "set", 1)]
    less = Assistant(german).ask(f"what if applicant {person} had 100 in savings?")
    assert changes(less) == [(flag, "set", 0)]


def test_an_amount_of_change_on_a_yes_no_column_is_said_not_dropped(german):
    flag = "SavingsAccountBalanceGreaterOrEqualThan200"
    assert set(german.data[flag].unique()) <= {0, 1}          # a yes/no column: no amount moves it
    person = int(german.data.index[german.data[flag] == 0][0])
    answer = Assistant(german).ask(f"what if applicant {person} had 300 more in savings?")
    # no answer that quietly leaves the change out: the person is told what could not be used
    assert answer.query is None
    assert "300" in answer.text and "savings" in answer.text and "yes or no" in answer.text


def test_a_negation_before_a_value_and_a_clause_before_a_number(german, diabetes):
    data = german.data
    flag = "SavingsAccountBalanceGreaterOrEqualThan200"
    answer = Assistant(german).ask(
        "For applicants younger than 25 who don't have 200 or more in savings, what does the model predict?")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Age"] < 25) & (data[flag] == 0)])
    d = diabetes.data
    share = Assistant(diabetes).ask("What percentage of the patients who were never pregnant and are over 30 "
                                    "does the model predict as diabetic?")
    assert sorted(share.selection_ids) == sorted(d.index[(d["Pregnancies"] == 0) & (d["Age"] > 30)])


def test_the_class_after_goal_words_and_a_verb_of_the_model_is_the_goal(diabetes):
    d = diabetes.data
    answer = Assistant(diabetes).ask("What would patients with glucose over 160 and a BMI over 35 need to change "
                                     "to not be flagged as diabetic?")
    assert answer.query.steps[-1].op == "counterfactual"
    assert sorted(answer.selection_ids) == sorted(d.index[(d["Glucose"] > 160) & (d["BMI"] > 35)])


def test_a_typo_corrected_onto_a_learned_typo_goes_on_to_the_word_it_is_of(credit):
    grounder = Assistant(credit).parser.grounder
    tokens = grounder.ground("applicants where the model's confidnce is below 60%").tokens
    assert "confidence" in tokens


def test_a_percentage_after_a_group_cut_on_confidence_is_the_confidence(compas):
    data = compas.data
    bot = Assistant(compas)
    low = bot.ask("how accurate is it when it is less than 70% sure")
    high = bot.ask("and above 90%?")
    proba = compas.model.predict_proba(data[compas.schema.feature_names]).max(axis=1)
    assert sorted(low.selection_ids) == sorted(data.index[proba < 0.7])
    assert sorted(high.selection_ids) == sorted(data.index[proba > 0.9])
    assert high.query.steps[-1].op == "score"


def test_back_to_a_person_after_a_group_is_that_person(compas):
    data = compas.data
    person = int(data.index[(data["woman"] == 1) & (data["number_of_prior_crimes"] >= 3)][0])
    bot = Assistant(compas)
    bot.ask(f"can you tell me why defendant {person} is considered likely to commit another crime")
    group = bot.ask("how many black women are there in the data?")
    assert len(group.selection_ids) > 1
    back = bot.ask("back to my client: what if she had 2 fewer priors?")
    assert back.selection_ids == [person]
    assert changes(back) == [("number_of_prior_crimes", "decrease", 2)]


def test_a_group_said_again_is_named_afresh_unless_the_words_point_back(diabetes, compas):
    d = diabetes.data
    bot = Assistant(diabetes)
    bot.ask("what's the recall for patients over 50")
    diabetic = bot.ask("how many of them actually have diabetes?")
    assert sorted(diabetic.selection_ids) == sorted(d.index[(d["Age"] > 50) & (d[diabetes.schema.target] == 1)])
    again = bot.ask("what fraction of the over 50s does the model flag as diabetic")
    assert sorted(again.selection_ids) == sorted(d.index[d["Age"] > 50])
    c = compas.data
    bot = Assistant(compas)
    bot.ask("how many black women are there?")
    older = bot.ask("how many of those women are over 40?")
    assert sorted(older.selection_ids) == sorted(c.index[(c["black"] == 1) & (c["woman"] == 1) & (c["age"] > 40)])


def test_a_threshold_said_to_be_below_is_never_read_above(diabetes):
    d = diabetes.data
    person = int(d.index[3])
    bot = Assistant(diabetes)
    bot.ask(f"what does the model say for patient {person}?")
    bot.ask("and if she got her bmi down to 28?")
    answer = bot.ask("now show me patients a bit like her: glucose over 160 and younger than 35")
    assert sorted(answer.selection_ids) == sorted(d.index[(d["Glucose"] > 160) & (d["Age"] < 35)])


def test_a_short_follow_up_about_something_the_data_lacks_says_so(german):
    bot = Assistant(german)
    bot.ask("how many applicants are single?")
    answer = bot.ask("what about divorced applicants?")
    assert "nothing called 'divorced'" in answer.text
    assert answer.query is None


def test_a_class_in_a_relative_clause_of_the_model_restricts_the_rows(diabetes, compas):
    d = diabetes.data
    predicted = diabetes.model.predict(d[diabetes.schema.feature_names])
    bot = Assistant(diabetes)
    bot.ask("how acurate is the model for patients under 25")
    bot.ask("and between 25 and 40?")
    why = bot.ask("for the ones in that age range that it predicts diabetic, why?")
    in_range = (d["Age"] >= 25) & (d["Age"] <= 40)
    assert why.query.steps[-1].op == "explain"
    assert sorted(why.selection_ids) == sorted(d.index[in_range & (predicted == 1)])
    c = compas.data
    flagged = compas.model.predict(c[compas.schema.feature_names])
    likely = [k for k, v in compas.schema.classes.items() if v.startswith("likely")][0]
    shown = Assistant(compas).ask("show me women under 30 that the model does not flag as likely to reoffend")
    group = (c["woman"] == 1) & (c["age"] < 30) & (flagged != int(likely))
    assert sorted(shown.selection_ids) == sorted(c.index[group])


def test_a_number_a_person_is_said_to_be_is_their_age_not_the_column_before_it(compas):
    row = int(compas.data.index[compas.data["number_of_prior_crimes"] >= 1][0])
    bot = Assistant(compas)
    bot.ask(f"why is defendant {row} rated high risk?")
    answer = bot.ask("I only have 2 priors. what if I was 45?")
    assert answer.selection_ids == [row]
    assert [c for c in changes(answer) if c[0] == "age"] == [("age", "set", 45)]
    assert all(c[2] != 45 for c in changes(answer) if c[0] == "number_of_prior_crimes")


def test_the_value_said_after_instead_of_is_the_persons_own_not_a_new_group(compas):
    row = int(compas.data.index[compas.data["felony"] == 1][0])
    bot = Assistant(compas)
    bot.ask(f"why is defendant {row} high risk?")
    bot.ask("what if he had 3 priors?")
    answer = bot.ask("and if the offence was a misdemeanor rather than a felony?")
    assert answer.selection_ids == [row]          # not every defendant without a felony
    assert changes(answer) == [("misdemeanor", "set", 1)]
