"""Conversations through `Assistant.ask`: each follow-up must run the right operation on the
right rows. The rows are checked against pandas on the workspace's own data, and the header
("Talking about") must agree with the rows the answer was computed on."""

from __future__ import annotations

import pytest

from talk2model.assistant import Assistant
from talk2model.workspace import load_workspace


@pytest.fixture(scope="module")
def credit():
    return load_workspace("credit")


@pytest.fixture(scope="module")
def diabetes():
    return load_workspace("diabetes")


def ops(answer) -> list[str]:
    return [s.op for s in answer.query.steps if s.op not in ("filter", "previous_filter")]


def test_a_person_stays_the_subject(credit):
    bot = Assistant(credit)
    bot.ask("why was applicant 1 denied?")
    answer = bot.ask("what could they change to get approved?")
    assert ops(answer) == ["counterfactual"]
    assert answer.selection_ids == [1]
    assert answer.selection.startswith("applicant 1 ")


def test_a_group_stays_the_subject(credit):
    bot = Assistant(credit)
    first = bot.ask("how many applicants rent?")
    renters = sorted(credit.data.index[credit.data["housing"] == "rent"])
    assert sorted(first.selection_ids) == renters
    answer = bot.ask("what is their average credit amount?")
    assert [s.to_json() for s in answer.query.steps if s.op == "statistic"] == [
        {"op": "statistic", "feature": "credit_amount"}]
    assert sorted(answer.selection_ids) == renters


def test_same_operation_new_argument(credit):
    bot = Assistant(credit)
    bot.ask("is the model fair to women?")
    answer = bot.ask("what about age?")
    assert [s.to_json() for s in answer.query.steps] == [{"op": "bias", "attribute": "age"}]
    assert len(answer.selection_ids) == len(credit.data)


def test_a_what_if_on_the_person_discussed(diabetes):
    bot = Assistant(diabetes)
    bot.ask("show patient 51")
    answer = bot.ask("what if her BMI were 5 lower?")
    assert [s.to_json() for s in answer.query.steps if s.op == "whatif"] == [
        {"op": "whatif", "feature": "BMI", "action": "decrease", "value": 5}]
    assert answer.selection_ids == [51]


def test_why_after_a_group_explains_the_group(credit):
    bot = Assistant(credit)
    first = bot.ask("how many applicants over 60 are denied?")
    answer = bot.ask("why?")
    assert ops(answer) == ["explain"]
    assert sorted(answer.selection_ids) == sorted(first.selection_ids)
    predicted = credit.predictions()
    want = credit.data.index[(credit.data["age"] > 60) & (predicted == 0)]
    assert sorted(answer.selection_ids) == sorted(want)


def test_a_new_group_starts_fresh_and_the_header_agrees(credit):
    bot = Assistant(credit)
    bot.ask("why was applicant 1 denied?")
    answer = bot.ask("how accurate is the model for people over 60?")
    want = credit.data.index[credit.data["age"] > 60]
    assert sorted(answer.selection_ids) == sorted(want)
    overall = bot.ask("which features matter most overall?")
    assert len(overall.selection_ids) == len(credit.data)
    assert overall.selection.startswith("all 1,000 applicants")


def test_in_the_data_after_a_group_is_everyone(diabetes):
    d = diabetes.data
    bot = Assistant(diabetes)
    older = bot.ask("how many patients are over 50?")
    assert sorted(older.selection_ids) == sorted(d.index[d["Age"] > 50])
    answer = bot.ask("what does the glucose distribution look like in the dataset?")
    assert len(answer.selection_ids) == len(d)
    assert ops(answer) == ["statistic"]
    # words that point back keep the group
    kept = bot.ask("and the average glucose of those over 50?")
    assert sorted(kept.selection_ids) == sorted(d.index[d["Age"] > 50])
    # the asker speaking of themselves "in the data" is the asker, not everyone
    person = int(d.index[d[diabetes.schema.target] == 1][3])
    bot = Assistant(diabetes)
    bot.ask(f"hello, I am patient {person}, does the model think I have diabetes?")
    mine = bot.ask("and what's my actual diagnosis in the data")
    assert mine.selection_ids == [person] and ops(mine) == ["labels"]


def test_the_asker_is_remembered_when_they_speak_of_themselves(credit):
    """'I'm applicant 10' once; later 'for me' / 'my' mean applicant 10 even after a turn about
    everyone, while 'I'd like to know ...' (the asker only asking) does not select them."""
    bot = Assistant(credit)
    bot.ask("I'm applicant 10. Why did the model decide that?")
    everyone = bot.ask("how accurate is the model overall?")
    assert everyone.selection_ids is not None and len(everyone.selection_ids) == len(credit.data)
    mine = bot.ask("what does it predict for me?")
    assert ops(mine) == ["predict"]
    assert mine.selection_ids == [10]
    asked = bot.ask("I would like to know how many applicants rent")
    renters = sorted(credit.data.index[credit.data["housing"] == "rent"])
    assert sorted(asked.selection_ids) == renters


def test_a_bare_number_follows_the_feature_the_group_was_cut_on(diabetes):
    """'patients under 30' then 'and between 30 and 50?': the numbers are ages again (pandas
    on the workspace's data is the oracle), not a question back about which feature."""
    bot = Assistant(diabetes)
    first = bot.ask("what is the recall for patients younger than 30?")
    data = diabetes.data
    assert sorted(first.selection_ids) == sorted(data.index[data["Age"] < 30])
    answer = bot.ask("and between 30 and 50?")
    assert answer.query is not None, answer.text
    assert sorted(answer.selection_ids) == sorted(data.index[(data["Age"] >= 30) & (data["Age"] <= 50)])


def test_a_sibling_question_about_the_outcome_keeps_the_base_group(diabetes):
    """'How many of them actually have diabetes?' then 'and how many does the model say have
    it?': the second is about the same base group (the over 50s), not the ones who have it; with
    'of those' it narrows them."""
    data, predicted = diabetes.data, diabetes.predictions()
    target = diabetes.schema.target
    base = data["Age"] > 50
    bot = Assistant(diabetes)
    bot.ask("how many patients are older than 50?")
    truth = bot.ask("how many of them actually have diabetes?")
    assert sorted(truth.selection_ids) == sorted(data.index[base & (data[target] == 1)])
    sibling = bot.ask("and how many does the model say have diabetes?")
    expected = data.index[base & (predicted == 1)]
    assert sorted(sibling.selection_ids) == sorted(expected) and str(len(expected)) in sibling.text
    bot = Assistant(diabetes)
    bot.ask("how many patients are older than 50?")
    bot.ask("how many of them actually have diabetes?")
    narrowed = bot.ask("and of those, how many does the model say have diabetes?")
    assert sorted(narrowed.selection_ids) == sorted(data.index[base & (data[target] == 1) & (predicted == 1)])


def test_a_column_leaking_the_truth_is_an_outcome_for_sibling_questions(compas):
    """compas' 'recidivated' is the truth in other words (the workspace's checks find it leaking
    the outcome): 'how many of them reoffended?' then 'and how many did the model call high
    risk?' asks about the same base group."""
    data, predicted = compas.data, compas.predictions()
    assert "recidivated" in {item["feature"] for item in compas.checks.leakage}
    high_risk = next(v for v, phrase in compas.schema.classes.items() if str(phrase).startswith("likely"))
    base = data["number_of_prior_crimes"] > 5
    bot = Assistant(compas)
    bot.ask("How accurate is the model for people with more than 5 priors?")
    reoffended = bot.ask("how many of them actually reoffended?")
    assert sorted(reoffended.selection_ids) == sorted(data.index[base & (data["recidivated"] == 1)])
    sibling = bot.ask("and how many did the model call high risk")
    assert sorted(sibling.selection_ids) == sorted(data.index[base & (predicted == high_risk)])


def test_a_word_of_narrowing_narrows_the_group_being_discussed(compas):
    """'Narrow that to the under 25s' keeps the group and adds the condition, however unsure
    the reader is that the turn continues."""
    data, predicted = compas.data, compas.predictions()
    high_risk = next(v for v, phrase in compas.schema.classes.items() if str(phrase).startswith("likely"))
    bot = Assistant(compas)
    bot.ask("How accurate is the model for people with more than 5 priors?")
    bot.ask("how many of them actually reoffended?")
    bot.ask("and how many did the model call high risk")
    bot.ask("show me the ones it got wrong")
    answer = bot.ask("narrow that to the under 25s")
    group = (data["number_of_prior_crimes"] > 5) & (predicted == high_risk) & (data["age"] < 25)
    assert 0 < group.sum()
    assert sorted(answer.selection_ids) == sorted(data.index[group])


def test_a_turn_that_reads_no_rows_keeps_the_group_being_discussed(credit):
    # a definition asked mid-conversation is about a word, not about new people: the group stays
    bot = Assistant(credit)
    bot.ask("how many applicants are renting?")
    bot.ask("what does duration mean?")
    answer = bot.ask("and of those, how many are older than 50?")
    data = credit.data
    assert ops(answer) == ["count"]
    assert sorted(answer.selection_ids) == sorted(data.index[(data["housing"] == "rent") & (data["age"] > 50)])
