"""Newer parser mechanisms, gold from the canonical rules (docs/query-language.md): share
questions (rule 13), scaling what-ifs the language cannot express (a clarifying answer, never a
wrong query), operations asked in any position, and more phrasings per operation."""

from __future__ import annotations


import pytest

from parser_check import check, parser  # noqa: F401  (tests/parser_check.py)


# rule 13: filter X, then statistic of Y's feature (prediction / target / the feature)
SHARES = [
    ("credit", "what share of women are predicted good credit risk", 'filter sex == "female" then statistic prediction'),
    ("credit", "what percent of women are approved", 'filter sex == "female" then statistic prediction'),
    ("credit", "what % of renters got rejected", 'filter housing == "rent" then statistic prediction'),
    ("credit", "what proportion of applicants are approved", "statistic prediction"),
    ("credit", "what share of applicants over 50 are actually good credit risk", "filter age > 50 then statistic target"),
    ("credit", "what percentage of women are renters", 'filter sex == "female" then statistic housing'),
    ("diabetes", "what fraction of patients actually have diabetes", "statistic target"),
    ("diabetes", "what percent of patients over 50 are predicted to have diabetes", "filter Age > 50 then statistic prediction"),
    ("compas", "what share of black defendants are predicted to reoffend", "filter black == 1 then statistic prediction"),
    # a count is not a share (rule 11)
    ("credit", "how many women are approved", 'filter sex == "female" and prediction == 1 then count'),
]


@pytest.mark.parametrize("ws,question,text", SHARES, ids=[q[:40] for _, q, _ in SHARES])
def test_share_questions(ws, question, text):
    check(ws, question, text)


@pytest.mark.parametrize("question,factor", [
    ("what if applicant 4's loan amount was twice as big", 2),
    ("what if the loan amount doubled for applicant 9", 2),
    ("what if applicant 2 asked for half the loan amount", 0.5),
])
def test_scaling_whatif_for_one_row_offers_the_exact_value(question, factor):
    ws = parser("credit").workspace
    parsed = parser("credit").parse(question)
    assert parsed.query is None and parsed.message and "scale" in parsed.message
    assert len(parsed.choices) == 1
    steps = parsed.choices[0].query.to_json()["steps"]
    row = steps[0]["where"]["value"]
    expected = ws.data.loc[row, "credit_amount"] * factor      # the oracle: the data itself
    assert steps[1] == {"op": "whatif", "feature": "credit_amount", "action": "set", "value": round(expected)}
    assert steps[2] == {"op": "predict"}


@pytest.mark.parametrize("ws,question", [
    ("credit", "what if we halved the duration for people over 50"),
    ("credit", "what if everyone increased their loan amount by 10 percent"),
    ("diabetes", "what if glucose tripled for patients over 60"),
])
def test_scaling_whatif_for_a_group_is_a_message_not_a_wrong_query(ws, question):
    parsed = parser(ws).parse(question)
    assert parsed.query is None and parsed.message and "scale" in parsed.message


MECHANISMS = [
    # two groups of one column joined by "and" that no row meets together are both groups: or
    ("credit", "what's the accuracy for women and for men",
     'filter sex == "female" or sex == "male" then score accuracy'),
    ("diabetes", "is the model accurate on patients older than 50 and on those younger than 30?",
     "filter Age > 50 or Age < 30 then score accuracy"),
    # a class phrase right before a group, or as the object of a listing verb
    ("credit", "list the rejected women", 'filter prediction == 0 and sex == "female" then show'),
    ("diabetes", "show the diabetics", "filter prediction == 1 then show"),
    # "what can they do about it" asks for a counterfactual, in a second sentence too
    ("credit", "why was 44 denied? what can they do about it", "filter id == 44 then explain auto then counterfactual"),
    # about the data and the model
    ("credit", "how many features are there?", "describe_data"),
    ("credit", "is the model a decision tree?", "describe_model"),
    ("credit", "how does the model work", "describe_model"),
]


@pytest.mark.parametrize("ws,question,text", MECHANISMS, ids=[q[:40] for _, q, _ in MECHANISMS])
def test_mechanisms(ws, question, text):
    check(ws, question, text)


def test_conditions_on_different_columns_stay_and():
    # rule 2: "and" across columns is "and", even when the sample has no such row
    check("german", "how many applicants own a house and have a guarantor",
          "filter OwnsHouse == 1 and HasGuarantor == 1 then count")


NORMALISED = [
    # phone shorthand where it stands: a sentence's first word, chat abbreviations
    ("credit", "y was 412 rejected", "filter id == 412 then explain auto"),
    ("german", "top 3 feats", "importance top 3"),
    ("compas", "acc for ppl over 45 w/ 3+ priors",
     "filter age > 45 and number_of_prior_crimes >= 3 then score accuracy"),
    # idioms and learners' comparatives
    ("german", "Which feature is the single most important?", "importance top 1"),
    ("diabetes", "How many patient have glucose more high than 140?", "filter Glucose > 140 then count"),
    ("credit", "how much people is older than 50", "filter age > 50 then count"),
]


@pytest.mark.parametrize("ws,question,text", NORMALISED, ids=[q[:40] for _, q, _ in NORMALISED])
def test_shorthand_and_idioms(ws, question, text):
    check(ws, question, text)


CUES = [
    ("credit", "how much sure is the model for applicant 33", "filter id == 33 then likelihood"),
    ("compas", "For defendant 48, the model say he will commit a crime or not?", "filter id == 48 then predict"),
    ("compas", "How does the prediction change with the number of prior crimes?", "dependence number_of_prior_crimes"),
    ("credit", "What means checking account?", "define checking_account"),
    ("credit", "Explain me the dataset.", "describe_data"),
    ("credit", "What kind of model is this, and what data was it trained on?", "describe_model then describe_data"),
    ("credit", "Describe the type of model you use.", "describe_model"),
    ("german", "specificity on the subset where Age is over 40", "filter Age > 40 then score specificity"),
    # a class with a cue after it, or named as the prediction
    ("diabetes", "how many patients over 45 have diabetes in reality", "filter Age > 45 and label == 1 then count"),
    ("german", "how many applicants got a bad credit risk prediction", "filter prediction == 0 then count"),
    ("german", "proportion of single applicants whose actual outcome was good credit risk",
     "filter Single == 1 then statistic target"),
]


@pytest.mark.parametrize("ws,question,text", CUES, ids=[q[:40] for _, q, _ in CUES])
def test_operation_cues(ws, question, text):
    check(ws, question, text)


REFERENCES_AND_CONTEXT = [
    # the reference's own noun is no new filter; a class in a why-question about them describes it
    ("german", "Show me those women.", "previous_filter then show"),
    ("credit", "Why were those people rejected?", "previous_filter then explain auto"),
    ("diabetes", "and the true labels for the same patients?", "previous_filter then labels"),
    ("diabetes", "and how many of those actually have diabetes", "previous_filter then filter label == 1 then count"),
    # a statement before the question is context, not a filter
    ("credit", "I rent my flat. How important is housing to the model?", "importance feature housing"),
    ("diabetes", "My blood pressure was 50. What if it were 80 for patient 51?",
     "filter id == 51 then whatif BloodPressure set 80 then predict"),
    # an inverted conditional ("had the defendant ...") is an if-clause
    ("compas", "the probability for defendant 2116 had the defendant spent no months in jail",
     "filter id == 2116 then whatif months_in_jail set 0 then likelihood"),
    ("compas", "what would the model predict for defendants under 25 if they had spent zero months in jail?",
     "filter age < 25 then whatif months_in_jail set 0 then predict"),
    # values joined by "or" stay with the column named first
    ("credit", "recall for applicants whose checking account is little or moderate",
     'filter checking_account == "little" or checking_account == "moderate" then score recall'),
    ("diabetes", "what does the model predict for patients with blood pressure recorded as zero?",
     "filter BloodPressure == 0 then predict"),
    # "rank the features for <group>": the group is a filter, not the feature asked about
    ("german", "Rank the features by importance for unemployed applicants",
     "filter Unemployed == 1 then importance"),
    ("german", "What are the most common errors for foreign workers?", "filter ForeignWorker == 1 then mistakes typical"),
]


@pytest.mark.parametrize("ws,question,text", REFERENCES_AND_CONTEXT, ids=[q[:40] for _, q, _ in REFERENCES_AND_CONTEXT])
def test_references_and_context(ws, question, text):
    check(ws, question, text)
