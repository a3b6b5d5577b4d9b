"""Everyday words for the built-in workspaces' columns and values ("locals", "loan length",
"found a job"), chat typos of comparison words ("atleast", "les than"), and a follow-up about
something the data lacks ("what about their income?"). Rows are checked against pandas on the
workspace's data."""

from __future__ import annotations

from talk2model.assistant import Assistant
from talk2model.parser.normalize import tokenize


def test_chat_typos_of_comparison_words_are_the_words():
    assert tokenize("applicants atleast 40 with les than 12 months") == \
        ["applicants", "at", "least", "40", "with", "less", "than", "12", "months"]


def test_chat_shorthands_with_a_slash_are_the_words(german):
    assert tokenize("denied b/c of age, w/out a job") == ["denied", "because", "of", "age", ",", "without", "a", "job"]
    data = german.data
    answer = Assistant(german).ask("how many applicants w/o a telephone?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["HasTelephone"] == 0])
    answer = Assistant(german).ask("how many applicants w/ a telephone?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["HasTelephone"] == 1])
    # a value phrase said without its article ('without a phone' as 'w/o phone')
    answer = Assistant(german).ask("skilled workers w/o phone how many")
    assert sorted(answer.selection_ids) == sorted(data.index[(data["JobClassIsSkilled"] == 1) & (data["HasTelephone"] == 0)])


def test_locals_are_the_applicants_who_are_not_foreign_workers(german):
    data = german.data
    answer = Assistant(german).ask("how many locals are there?")
    assert sorted(answer.selection_ids) == sorted(data.index[data["ForeignWorker"] == 0])


def test_loan_length_is_the_duration_and_a_typed_comparison_is_read(german):
    data = german.data
    answer = Assistant(german).ask("average loan length of applicants atleast 40")
    steps = answer.query.steps
    assert steps[-1].op == "statistic" and steps[-1].feature == "LoanDuration"
    assert sorted(answer.selection_ids) == sorted(data.index[data["Age"] >= 40])


def test_found_a_job_is_a_change_to_employed(german):
    data = german.data
    person = int(data.index[data["Unemployed"] == 1][0])
    for said in (f"what if applicant {person} found a job?", f"what if applicant {person} were getting a job?"):
        answer = Assistant(german).ask(said)
        assert answer.selection_ids == [person]
        assert [(s.feature, s.action, s.value) for s in steps_of(answer, "whatif")] == [("Unemployed", "set", 0)]


def steps_of(answer, op):
    return [s for s in answer.query.steps if s.op == op]


def test_a_follow_up_about_what_the_data_lacks_says_so_and_a_real_column_is_answered(diabetes, credit):
    data = diabetes.data
    person = int(data.index[0])
    bot = Assistant(diabetes)
    bot.ask(f"show patient {person}")
    assert not any("cholesterol" in c.lower() for c in data.columns)          # the oracle: no such column
    lacking = bot.ask("what does her cholesterol say?")
    assert lacking.query is None and "cholesterol" in lacking.text
    real = bot.ask("and what about her glucose?")
    assert real.query is not None and real.selection_ids == [person]

    renters = sorted(credit.data.index[credit.data["housing"] == "rent"])
    bot = Assistant(credit)
    assert sorted(bot.ask("how many applicants rent?").selection_ids) == renters
    assert not any("income" in c.lower() for c in credit.data.columns)
    lacking = bot.ask("what about their income?")
    assert lacking.query is None and "income" in lacking.text
    assert sorted(bot.ask("and their average age?").selection_ids) == renters


def test_a_number_a_person_is_said_to_be_is_the_age(compas):
    data = compas.data
    person = int(data.index[data["age"] < 30][0])
    assert data["age"].min() <= 35 <= data["age"].max()           # in the age's range (pandas)
    bot = Assistant(compas)
    bot.ask(f"show me defendant {person}")
    answer = bot.ask("what if I was 35")
    assert answer.selection_ids == [person]
    assert [(s.feature, s.action, s.value) for s in steps_of(answer, "whatif")] == [("age", "set", 35)]


def test_good_and_bad_alone_are_the_credit_classes(german):
    """'does it predict bad', chat for 'bad credit risk': the model's class, a condition on the rows."""
    data = german.data
    predicted = german.model.predict(data[german.schema.feature_names])
    answer = Assistant(german).ask("how many unskilled women does it predict bad?")
    expected = data.index[(data["JobClassIsSkilled"] == 0) & (data["Gender"] == 0) & (predicted == 0)]
    assert sorted(answer.selection_ids) == sorted(expected)


def test_a_category_marking_no_record_is_said_as_unknown_or_missing(credit):
    """The schema declares 'not_known' as the value nobody recorded: 'unknown', 'missing' and 'not
    recorded' said of that column are that value, never a dropped condition."""
    data = credit.data
    unknown = data["checking_account"] == "not_known"
    for question in ("how many applicants whose checking account status is unknown",
                     "count applicants with missing checking account info",
                     "how many applicants with a checking account that is not recorded"):
        answer = Assistant(credit).ask(question)
        assert sorted(answer.selection_ids) == sorted(data.index[unknown]), question
    both = Assistant(credit).ask("how many applicants have unknown savings and unknown checking")
    expected = data.index[unknown & (data["saving_accounts"] == "not_known")]
    assert 0 < len(expected) < len(data)
    assert sorted(both.selection_ids) == sorted(expected) and str(len(expected)) in both.text
