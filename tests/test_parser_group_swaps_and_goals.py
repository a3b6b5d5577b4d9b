"""Follow-ups that swap one condition of a group, go back to an earlier group, keep a change said
with "as well", and single questions whose class words are a goal or the outcome explained, not a
condition. Every selection is checked against pandas on the workspace's data and predictions."""

from __future__ import annotations

import pytest

from talk2model.assistant import Assistant
from talk2model.parser.normalize import tokenize


def steps(answer) -> list[dict]:
    return [s.to_json() for s in answer.query.steps]


def test_what_about_swaps_the_value_and_keeps_the_rest_of_the_group(credit):
    data, predicted = credit.data, credit.predictions()
    bot = Assistant(credit)
    bot.ask("How many applicants rent their home?")
    approved = bot.ask("and how many of them does the model approve?")
    assert sorted(approved.selection_ids) == sorted(data.index[(data["housing"] == "rent") & (predicted == 1)])
    answer = bot.ask("what about homeowners?")
    assert [s.op for s in answer.query.steps] == ["filter", "count"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["housing"] == "own") & (predicted == 1)])
    # going back to a group is the group as it was first named, not as narrowed since
    back = bot.ask("Going back to the renters - how accurate is the model on them?")
    assert [s.op for s in back.query.steps] == ["filter", "score"]
    assert sorted(back.selection_ids) == sorted(data.index[data["housing"] == "rent"])


def test_a_sibling_yes_no_column_swaps_like_a_value(compas):
    data, predicted = compas.data, compas.predictions()
    bot = Assistant(compas)
    first = bot.ask("how many women does the model predict as high risk?")
    high = predicted.loc[first.selection_ids].unique()
    assert len(high) == 1 and ((data["woman"] == 1) & (predicted == high[0])).sum() == len(first.selection_ids)
    men = bot.ask("men?")
    assert sorted(men.selection_ids) == sorted(data.index[(data["man"] == 1) & (predicted == high[0])])
    # a share of the prediction is not taken among rows cut on the prediction
    share = bot.ask("and what % of women does it flag?")
    assert steps(share)[-1] == {"op": "statistic", "feature": "prediction"}
    assert sorted(share.selection_ids) == sorted(data.index[data["woman"] == 1])


def test_everyone_who_is_not_is_not_a_swap_inside_the_group(compas):
    data = compas.data
    bot = Assistant(compas)
    bot.ask("what's the accuracy for black defendants")
    bot.ask("now the black women")
    answer = bot.ask("and everyone who isn't black?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["black"] == 0])


def test_a_change_of_a_sibling_column_said_as_well_is_kept(german):
    person = int(german.data.index[(german.data["HasGuarantor"] == 0) & (german.data["HasCoapplicant"] == 0)][0])
    bot = Assistant(german)
    bot.ask(f"why was applicant {person} turned down?")
    bot.ask("what if they had a guarantor?")
    answer = bot.ask("and a co-applicant as well?")
    assert [s for s in steps(answer) if s["op"] == "whatif"] == [
        {"op": "whatif", "feature": "HasGuarantor", "action": "set", "value": 1},
        {"op": "whatif", "feature": "HasCoapplicant", "action": "set", "value": 1}]
    assert answer.selection_ids == [person]


def test_an_amount_after_by_or_after_a_verb_of_change_is_a_change(diabetes):
    bot = Assistant(diabetes)
    bot.ask("what would you predict for patient 129 if her blood pressure were 70?")
    answer = bot.ask("also rasie her bmi by 5")
    assert [s for s in steps(answer) if s["op"] == "whatif"] == [
        {"op": "whatif", "feature": "BloodPressure", "action": "set", "value": 70},
        {"op": "whatif", "feature": "BMI", "action": "increase", "value": 5}]
    lost = Assistant(diabetes).ask("if patient 270 lost 8 points of BMI would she still be considerd diabetic?")
    assert {"op": "whatif", "feature": "BMI", "action": "decrease", "value": 8} in steps(lost)


def test_a_number_and_older_is_a_threshold_not_a_row(german):
    bot = Assistant(german)
    bot.ask("what's the average loan duration for applicants under 25?")
    answer = bot.ask("how does that compare with applicants 50 and older")
    assert sorted(answer.selection_ids) == sorted(german.data.index[german.data["Age"] >= 50])


def test_more_important_than_compares_with_the_feature_asked_before(diabetes):
    bot = Assistant(diabetes)
    bot.ask("how important is blood pressure for the model?")
    answer = bot.ask("is it more important than skin thickness")
    assert steps(answer) == [{"op": "importance", "feature": "BloodPressure"},
                             {"op": "importance", "feature": "SkinThickness"}]
    again = bot.ask("more than insulin?")
    assert [s["feature"] for s in steps(again)] == ["SkinThickness", "Insulin"]


def test_the_same_attribute_keeps_the_last_cut_points(german):
    bot = Assistant(german)
    first = bot.ask("is the model fair across age groups under 25, 25 to 60 and over 60?")
    assert steps(first) == [{"op": "bias", "attribute": "Age", "bands": [25, 60]}]
    answer = bot.ask("and for that age breakdown, look at the true positive rate specifically")
    assert steps(answer) == [{"op": "bias", "attribute": "Age", "metric": "tpr", "bands": [25, 60]}]


def test_cut_points_said_twice_count_once(diabetes):
    answer = Assistant(diabetes).ask("is the model fair across age? split it into under 30, 30 to 50 and over 50")
    assert steps(answer) == [{"op": "bias", "attribute": "Age", "bands": [30, 50]}]


def test_four_typed_for_for():
    assert tokenize("gimme lime explanaton 4 applicant 784")[3:6] == ["for", "applicant", "784"]
    assert tokenize("what is the prediction 4 her")[-2:] == ["for", "her"]
    assert tokenize("top 4 features") == ["top", "4", "features"]
    assert tokenize("is patient 4 the one")[2] == "4"


@pytest.mark.parametrize("question", ["npv?", "AUC?"])
def test_a_metric_alone_is_its_score(compas, question):
    answer = Assistant(compas).ask(question)
    assert [s.op for s in answer.query.steps] == ["score"]


def test_a_number_no_row_could_have_is_not_the_feature_before_it(diabetes):
    data = diabetes.data
    answer = Assistant(diabetes).ask("What matters for patients with more than 6 pregnancies who are over 40? Rank the features.")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Pregnancies"] > 6) & (data["Age"] > 40)])


def test_women_and_men_is_one_comparison(compas):
    answer = Assistant(compas).ask("Hi! I'm curious whether the model treats women and men equally?")
    assert [s.op for s in answer.query.steps] == ["bias"]


def test_the_outcome_a_why_question_explains_is_not_a_condition(diabetes):
    data = diabetes.data
    answer = Assistant(diabetes).ask("Why are patients with glucose above 180 and BMI over 35 predicted diabetic?")
    assert [s.op for s in answer.query.steps] == ["filter", "explain"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Glucose"] > 180) & (data["BMI"] > 35)])


def test_the_goal_of_a_change_is_not_a_condition(credit):
    data, predicted = credit.data, credit.predictions()
    answer = Assistant(credit).ask("what would it take for applicants under 23 who got rejected to be approved")
    assert [s.op for s in answer.query.steps] == ["filter", "counterfactual"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["age"] < 23) & (predicted == 0)])


def test_a_misspelt_word_for_the_people_still_makes_a_number_an_age(compas):
    answer = Assistant(compas).ask("accuracy for defendents under 25?")
    assert sorted(answer.selection_ids) == sorted(compas.data.index[compas.data["age"] < 25])


def test_a_time_window_after_within_is_part_of_the_outcome(compas):
    data = compas.data
    answer = Assistant(compas).ask("How many defendants in the data re-offended within two years?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["recidivated"] == 1])
    jail = Assistant(compas).ask("how many defendants got more than 2 years in jail")
    assert sorted(jail.selection_ids) == sorted(data.index[data["months_in_jail"] > 24])


def test_never_missed_one_is_the_flag_at_zero(german):
    data = german.data
    bot = Assistant(german)
    bot.ask("how accurate is the model on people who missed payments?")
    answer = bot.ask("and on people who never missed one?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["MissedPayments"] == 0])
    assert tokenize("patient one?")[:2] == ["patient", "1"]          # a row named in words is still a number


def test_back_to_an_earlier_person_drops_the_what_ifs(credit):
    renters = credit.data.index[(credit.data["housing"] == "rent") & (credit.data.index > 100)]
    ids = [int(i) for i in renters[:2]]      # above the ages and durations a small number could be
    bot = Assistant(credit)
    bot.ask(f"why was applicant {ids[0]} denied?")
    bot.ask(f"and applicant {ids[1]}?")
    changed = bot.ask(f"If {ids[1]} owned their home instead of renting, would the result flip?")
    assert changes_of(changed) == [{"op": "whatif", "feature": "housing", "action": "set", "value": "own"}]
    back = bot.ask(f"Back to {ids[0]} - why was that decision made?")
    assert changes_of(back) == []
    assert back.selection_ids == [ids[0]]


def test_a_group_alone_after_a_figure_asks_the_same_again(german):
    bot = Assistant(german)
    bot.ask("what's the average loan duration for applicants under 25?")
    answer = bot.ask("how does that compare with applicants 50 and older")
    assert steps(answer)[-1] == {"op": "statistic", "feature": "LoanDuration"}


def changes_of(answer) -> list[dict]:
    return [s for s in steps(answer) if s["op"] == "whatif"]


def test_would_it_differ_if_he_were_not_black_is_the_flip_test(compas):
    person = int(compas.data.index[compas.data["black"] == 1][0])
    bot = Assistant(compas)
    bot.ask(f"why is defendant {person} rated the way he is?")
    flip = bot.ask("separate question: would his prediction be any different if he weren't black?")
    assert steps(flip)[-1] == {"op": "bias", "attribute": "black"} and flip.selection_ids == [person]
    assert changes_of(flip) == []
    plain = bot.ask("what if he were white?")              # no word asking whether it changes: a what-if
    assert changes_of(plain) == [{"op": "whatif", "feature": "black", "action": "set", "value": 0}]
    assert steps(plain)[-1] == {"op": "predict"}


def test_an_age_set_in_a_would_it_change_question_stays_a_what_if(german):
    person = int(german.data.index[german.data["Age"] != 35][0])
    bot = Assistant(german)
    bot.ask(f"I'm applicant {person}. why was I denied?")
    answer = bot.ask("would it change if I was 35?")
    assert answer.selection_ids == [person]
    assert changes_of(answer) == [{"op": "whatif", "feature": "Age", "action": "set", "value": 35}]


def test_same_question_for_a_new_group(german):
    data = german.data
    bot = Assistant(german)
    bot.ask("what share of applicants under 25 does it approve?")
    answer = bot.ask("now the over-60s, same question")
    assert steps(answer) == [{"op": "filter", "where": {"feature": "Age", "cmp": ">", "value": 60}},
                             {"op": "statistic", "feature": "prediction"}]
    assert sorted(answer.selection_ids) == sorted(data.index[data["Age"] > 60])



def test_a_group_after_what_about_is_the_group_when_the_operation_takes_no_argument(german):
    """'What about education loans?' after the accuracy on new-car loans: the operation (a score)
    takes no column, so the value is the group it runs on, never dropped into 'everyone'."""
    data, predicted = german.data, german.predictions()
    bot = Assistant(german)
    bot.ask("how accurate is the model on the new car loans?")
    answer = bot.ask("what about education loans")
    group = data["loanpurposeEducation"] == 1
    assert [s.op for s in answer.query.steps] == ["filter", "score"]
    assert sorted(answer.selection_ids) == sorted(data.index[group])
    accuracy = (predicted[group] == data.loc[group, german.schema.target]).mean()
    assert f"{accuracy:.1%}" in answer.text


def test_a_value_said_before_a_word_for_people_is_the_group(german):
    """'Accuracy on the foreign ones?' after a turn about the locals: the value describes the
    people asked about, so it is the group (never dropped, leaving the locals)."""
    data, predicted = german.data, german.predictions()
    bot = Assistant(german)
    bot.ask("how many foreign workers are in the data")
    locals_ = bot.ask("and the locals?")
    assert sorted(locals_.selection_ids) == sorted(data.index[data["ForeignWorker"] == 0])
    answer = bot.ask("accuracy on the foreign ones?")
    group = data["ForeignWorker"] == 1
    assert [s.op for s in answer.query.steps] == ["filter", "score"]
    assert sorted(answer.selection_ids) == sorted(data.index[group])
    assert f"{(predicted[group] == data.loc[group, german.schema.target]).mean():.1%}" in answer.text
