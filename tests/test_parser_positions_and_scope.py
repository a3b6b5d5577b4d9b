"""Rows named by their place in the conversation ("the first one", "that second group", "both of
them") and questions about the model as a whole asked in the middle of a talk about someone ("does
his age matter in general?"). Every selection is checked against pandas on the workspace's data."""

from __future__ import annotations

from talk2model.assistant import Assistant


def ops(answer) -> list[str]:
    return [s.op for s in answer.query.steps]


def test_the_first_one_and_the_second_after_two_applicants(credit):
    a, b = (int(i) for i in credit.data.index[[496, 578]])
    bot = Assistant(credit)
    two = bot.ask(f"compare what the model predicts for applicants {a} and {b}")
    assert sorted(two.selection_ids) == sorted([a, b])
    first = bot.ask("why for the first one?")
    assert ops(first)[-1] == "explain" and first.selection_ids == [a]
    second = bot.ask("and the second?")
    assert second.selection_ids == [b]
    both = bot.ask("show me both rows")
    assert ops(both)[-1] == "show" and sorted(both.selection_ids) == sorted([a, b])


def test_both_of_them_after_two_people_asked_one_at_a_time(compas):
    a, b = (int(i) for i in compas.data.index[[10, 20]])
    bot = Assistant(compas)
    bot.ask(f"why is defendant {a} predicted that way?")
    bot.ask(f"and what about {b}?")
    both = bot.ask("show me both of them")
    assert sorted(both.selection_ids) == sorted([a, b])
    back = bot.ask("going back to the first guy, what would he need to change?")
    assert ops(back)[-1] == "counterfactual" and back.selection_ids == [a]


def test_both_of_those_changes_is_not_two_people(credit):
    person = int(credit.data.index[7])
    bot = Assistant(credit)
    bot.ask(f"what does the model predict for applicant {person}?")
    bot.ask("what if the loan were 2000 smaller?")
    answer = bot.ask("and what if on top of that the duration were 12 months?")
    assert answer.selection_ids == [person]
    both = bot.ask("how would the probability look with both of those changes?")
    assert both.selection_ids == [person]
    assert [s.feature for s in both.query.steps if s.op == "whatif"] == ["credit_amount", "duration"]


def test_that_second_group_and_the_first_group(diabetes):
    data = diabetes.data
    bot = Assistant(diabetes)
    one = bot.ask("how accurate is the model on patients over 50?")
    assert sorted(one.selection_ids) == sorted(data.index[data["Age"] > 50])
    two = bot.ask("and the ones among them with a BMI under 30?")
    assert sorted(two.selection_ids) == sorted(data.index[(data["Age"] > 50) & (data["BMI"] < 30)])
    second = bot.ask("what mistakes does it make on that second group?")
    assert ops(second)[-1] == "mistakes" and sorted(second.selection_ids) == sorted(two.selection_ids)
    first = bot.ask("and for the first group?")
    assert sorted(first.selection_ids) == sorted(one.selection_ids)


def test_in_the_first_place_is_not_a_position(credit):
    person = int(credit.data.index[11])
    bot = Assistant(credit)
    bot.ask(f"compare what the model predicts for applicants {person} and {person + 1}")
    bot.ask(f"what if applicant {person} asked for 1000 less?")
    answer = bot.ask("and why was she refused in the first place?")
    assert answer.selection_ids == [person]
    assert "whatif" not in ops(answer)


def test_a_question_about_the_model_as_a_whole_is_about_everyone(german):
    data = german.data
    person = int(data.index[3])
    bot = Assistant(german)
    bot.ask(f"why was applicant {person} given that result?")
    overall = bot.ask("does his age matter much in general?")
    assert ops(overall) == ["importance"] and len(overall.selection_ids) == len(data)
    bot.ask("how many applicants are foreign workers?")
    fair = bot.ask("is the model fair to them overall, by gender?")
    assert ops(fair) == ["bias"] and len(fair.selection_ids) == len(data)
    # without such a word the same question stays with the group
    bot.ask("how many applicants are foreign workers?")
    theirs = bot.ask("which features matter most for them?")
    assert sorted(theirs.selection_ids) == sorted(data.index[data["ForeignWorker"] == 1])
