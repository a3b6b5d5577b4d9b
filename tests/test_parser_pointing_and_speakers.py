"""Follow-ups that point at the group being discussed ("the same people", "those women"), name it
again in part, turn its last condition round, or name only new rows; questions about one person's
features; an asker who describes themselves; words typed with a letter held down, and correction targets. Every selection
is checked against pandas on the workspace's data and the model's predictions."""

from __future__ import annotations

from talk2model.assistant import Assistant
from talk2model.parser.reader import correction_targets


def ops(answer) -> list[str]:
    return [s.op for s in answer.query.steps if s.op not in ("filter", "previous_filter")]


def test_the_same_people_before_a_word_for_people_is_the_group(credit):
    data, predicted = credit.data, credit.predictions()
    bot = Assistant(credit)
    bot.ask("how many renters does the model think are a bad risk?")
    answer = bot.ask("the same people - what's the breakdown of their savings accounts?")
    assert ops(answer) == ["statistic"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["housing"] == "rent") & (predicted == 0)])


def test_those_with_a_value_of_the_group_keeps_the_group_without_saying_it_twice(compas):
    data, predicted = compas.data, compas.predictions()
    bot = Assistant(compas)
    bot.ask("how many black defendants are predicted likely to reoffend?")
    answer = bot.ask("show me those black defendants")
    expected = data.index[(data["black"] == 1) & (predicted == 0)]
    assert sorted(answer.selection_ids) == sorted(expected)
    # the group's own condition is not added again (nor said twice in the answer)
    assert [s.op for s in answer.query.steps] == ["previous_filter", "show"]


def test_a_group_named_again_in_part_is_the_group_as_named(credit):
    data = credit.data
    bot = Assistant(credit)
    bot.ask("how many applicants are older than 50?")
    bot.ask("how many of them are women?")
    answer = bot.ask("which features matter most for the over-50 group?")
    assert ops(answer) == ["importance"]
    assert sorted(answer.selection_ids) == sorted(data.index[data["age"] > 50])


def test_the_ones_that_dont_turn_the_truth_round(diabetes):
    data, predicted = diabetes.data, diabetes.predictions()
    truth = data[diabetes.schema.target]
    bot = Assistant(diabetes)
    bot.ask("how many patients older than 40 does the model call diabetic?")
    bot.ask("and how many of those really have diabetes?")
    answer = bot.ask("list the ones that don't")
    expected = data.index[(data["Age"] > 40) & (predicted == 1) & (truth == 0)]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_new_rows_alone_ask_every_question_of_the_last_turn_again(credit, diabetes):
    data = diabetes.data
    bot = Assistant(diabetes)
    bot.ask("what does the model predict for patients with a BMI over 40, and how confident is it?")
    answer = bot.ask("of those, the ones older than 50?")
    assert ops(answer) == ["predict", "likelihood"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["BMI"] > 40) & (data["Age"] > 50)])
    bot = Assistant(credit)
    bot.ask("what's the precision and recall for renters?")
    answer = bot.ask("and for applicants who own?")
    assert [s.to_json() for s in answer.query.steps if s.op == "score"] == [
        {"op": "score", "metric": "precision"}, {"op": "score", "metric": "recall"}]
    assert sorted(answer.selection_ids) == sorted(credit.data.index[credit.data["housing"] == "own"])


def test_the_features_that_matter_for_one_person_are_why_it_decided(credit):
    bot = Assistant(credit)
    answer = bot.ask("which features weighed most in the decision on applicant 7?")
    assert ops(answer) == ["explain"]
    assert answer.selection_ids == [7]
    follow = bot.ask("and for applicant 8?")
    assert ops(follow) == ["explain"] and follow.selection_ids == [8]


def test_an_asker_who_describes_themselves_is_their_own_row(credit):
    data = credit.data
    row = data.index[(data["housing"] == "rent") & (data["age"] < 40)][0]
    bot = Assistant(credit)
    bot.ask(f"hello, I'm applicant {row}. what did the model decide about me?")
    answer = bot.ask(f"I'm {data.loc[row, 'age']} and I rent my flat. what would I need to change to get approved?")
    assert ops(answer) == ["counterfactual"]
    assert answer.selection_ids == [row]


def test_a_letter_held_down_is_the_word(credit):
    bot = Assistant(credit)
    bot.ask("what does the model predict for applicant 3?")
    answer = bot.ask("whyyy")
    assert ops(answer) == ["explain"]
    assert answer.selection_ids == [3]


def test_a_word_cut_short_stays_a_correction_target():
    # 'shap' (the method) is one letter short of 'shape': a name of its own, not a slip to drop
    targets = correction_targets({"shape", "shap", "acuracy", "accuracy"})
    assert "shap" in targets and "acuracy" not in targets


def test_a_swap_said_with_the_groups_other_conditions_keeps_the_rest(compas):
    data, predicted = compas.data, compas.predictions()
    bot = Assistant(compas)
    bot.ask("how many women under 30 are there?")
    bot.ask("how many of them does the model see as unlikely to reoffend?")
    answer = bot.ask("and the men under 30?")
    expected = data.index[(data["man"] == 1) & (data["age"] < 30) & (predicted == 1)]
    assert ops(answer) == ["count"]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_a_question_that_reads_no_rows_takes_no_group(german):
    bot = Assistant(german)
    bot.ask("how accurate is the model for applicants who rent?")
    answer = bot.ask("and what does 'rent' mean for them?")
    assert [s.op for s in answer.query.steps] == ["define"]
    answer = bot.ask("what kind of model is it for those people?")
    assert [s.op for s in answer.query.steps] == ["describe_model"]


def test_which_of_them_lists_the_rows(diabetes):
    data = diabetes.data
    bot = Assistant(diabetes)
    bot.ask("how many patients are over 60?")
    answer = bot.ask("of those, which have a BMI over 35")
    assert ops(answer) == ["show"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Age"] > 60) & (data["BMI"] > 35)])
    answer = Assistant(diabetes)
    answer.ask("how many patients are over 60?")
    who = answer.ask("who among them has an insulin of 0?")
    assert ops(who) == ["show"]
    assert sorted(who.selection_ids) == sorted(data.index[(data["Age"] > 60) & (data["Insulin"] == 0)])


def test_thirty_somethings_are_a_decade_of_age(compas):
    data = compas.data
    answer = Assistant(compas).ask("how many thirty-somethings have more than 4 priors?")
    expected = data.index[(data["age"] >= 30) & (data["age"] < 40) & (data["number_of_prior_crimes"] > 4)]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_the_same_question_about_someone_else_keeps_the_what_if(credit):
    bot = Assistant(credit)
    bot.ask("what if applicant 12 asked for 1000 less?")
    answer = bot.ask("same question for applicant 30")
    assert [s.to_json() for s in answer.query.steps if s.op == "whatif"] == [
        {"op": "whatif", "feature": "credit_amount", "action": "decrease", "value": 1000}]
    assert answer.selection_ids == [30]


def test_how_many_are_there_in_total_is_everyone(credit):
    bot = Assistant(credit)
    bot.ask("how many applicants rent?")
    answer = bot.ask("how many people are there in total?")
    assert ops(answer) == ["count"]
    assert sorted(answer.selection_ids) == sorted(credit.data.index)


def test_the_outcome_in_the_data_is_the_persons(compas):
    bot = Assistant(compas)
    bot.ask("what does the model predict for defendant 1595?")
    answer = bot.ask("and what's the true label in the dataset?")
    assert ops(answer) == ["labels"]
    assert answer.selection_ids == [1595]


def test_a_step_word_alone_mid_conversation_is_about_the_group(compas):
    data = compas.data
    bot = Assistant(compas)
    bot.ask("how many defendants have more than 10 priors?")
    answer = bot.ask("show")
    assert ops(answer) == ["show"]
    assert sorted(answer.selection_ids) == sorted(data.index[data["number_of_prior_crimes"] > 10])
    # the first turn of a conversation is still the query language's own "show": everyone
    first = Assistant(compas).ask("show")
    assert sorted(first.selection_ids) == sorted(data.index)


def test_non_before_a_value_turns_only_that_value(compas):
    data = compas.data
    answer = Assistant(compas).ask("how many non-white men are younger than 25?")
    expected = data.index[(data["black"] == 1) & (data["man"] == 1) & (data["age"] < 25)]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_a_value_before_a_value_of_people_describes_them(compas):
    data = compas.data
    bot = Assistant(compas)
    bot.ask("what share of black women does the model rate as low risk?")
    answer = bot.ask("compare that with non-black women")
    expected = data.index[(data["black"] == 0) & (data["woman"] == 1)]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_a_value_is_not_negated_without_a_word_of_negation(german):
    data = german.data
    bot = Assistant(german)
    bot.ask("can you show me the rules the model follows?")
    answer = bot.ask("only for skilled applicants")
    assert sorted(answer.selection_ids) == sorted(data.index[data["JobClassIsSkilled"] == 1])


def test_a_number_with_a_word_of_comparison_completes_the_condition(credit):
    data = credit.data
    answer = Assistant(credit).ask("ok now only loans longer than 24 months - how accurate is it there")
    assert ops(answer) == ["score"]
    assert sorted(answer.selection_ids) == sorted(data.index[data["duration"] > 24])
