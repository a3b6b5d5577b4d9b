"""The natural-language parser against gold queries written from the canonical rules
(docs/query-language.md), one phrase family at a time, over the built-in workspaces.

Each case is (workspace, question, the query in its text form). The text form is parsed with the
query language's own parser and compared as canonical JSON, so a case fails on any difference
in steps, order, features, comparisons or value types.
"""

from __future__ import annotations

import json

import pytest

from talk2model.parser.nl import NaturalLanguageParser
from talk2model.query.ast import Query
from talk2model.workspace import load_workspace

_PARSERS: dict[str, NaturalLanguageParser] = {}


def parser(ws: str) -> NaturalLanguageParser:
    if ws not in _PARSERS:
        _PARSERS[ws] = NaturalLanguageParser(load_workspace(ws))
    return _PARSERS[ws]


def got(ws: str, question: str):
    parsed = parser(ws).parse(question)
    assert parsed.query is not None, f"no query for {question!r}: {parsed.message or parsed.choices}"
    return parsed.query.to_json()


def want(text: str):
    return Query.from_text(text).to_json()


def check(ws: str, question: str, text: str) -> None:
    assert json.dumps(got(ws, question), sort_keys=True) == json.dumps(want(text), sort_keys=True), \
        f"{question!r}\n got  {Query.from_json(got(ws, question)).to_text()}\n want {text}"


# ---------------------------------------------------------------------------- feature paraphrases
PARAPHRASES = [
    ("compas", "how old are the defendants on average", "statistic age"),
    ("compas", "average priors of the women", 'filter woman == 1 then statistic number_of_prior_crimes'),
    ("compas", "mean number of previous offences for black defendants",
     "filter black == 1 then statistic number_of_prior_crimes"),
    ("compas", "typical time in jail for felons", "filter felony == 1 then statistic months_in_jail"),
    ("diabetes", "what's the blood sugar like for patients over 60", "filter Age > 60 then statistic Glucose"),
    ("credit", "how does the loan size affect the prediction", "dependence credit_amount"),
    ("german", "how much does the loan rate as percent of income matter",
     "importance feature LoanRateAsPercentOfIncome"),
    ("compas", "how important is the number of prior crimes", "importance feature number_of_prior_crimes"),
    ("diabetes", "tell me about the body mass index distribution", "statistic BMI"),
]

# ---------------------------------------------------------------------------- flags and categories
FLAGS = [
    ("compas", "how many women are there", "filter woman == 1 then count"),
    ("compas", "how many men are in the data", "filter man == 1 then count"),
    ("compas", "show me the felons", "filter felony == 1 then show"),
    ("german", "accuracy for people with no missed payments", "filter MissedPayments == 0 then score accuracy"),
    ("german", "how many loans for a new car", "filter loanpurposeNewCar == 1 then count"),
    ("german", "predictions for the renters", "filter RentsHouse == 1 then predict"),
    ("german", "how many skilled workers are there", "filter JobClassIsSkilled == 1 then count"),
    ("credit", "how many renters applied", 'filter housing == "rent" then count'),
    ("credit", "count the skilled workers", "filter job == 2 then count"),
    ("credit", "show women who rent", 'filter sex == "female" and housing == "rent" then show'),
    ("german", "people who are not foreign workers: how many?", "filter ForeignWorker == 0 then count"),
    ("compas", "how many defendants are not black", "filter black == 0 then count"),
    ("german", "accuracy on applicants without a guarantor", "filter HasGuarantor == 0 then score accuracy"),
    ("credit", "how accurate is the model for car loans", 'filter purpose == "car" then score accuracy'),
]

# ---------------------------------------------------------------------------- numbers and comparisons
NUMBERS = [
    ("compas", "how many defendants are older than forty", "filter age > 40 then count"),
    ("compas", "defendants aged 40+ : how many", "filter age >= 40 then count"),
    ("compas", "how many have three or more priors", "filter number_of_prior_crimes >= 3 then count"),
    ("compas", "count defendants with at least 2 prior crimes", "filter number_of_prior_crimes >= 2 then count"),
    ("diabetes", "patients under 30: accuracy?", "filter Age < 30 then score accuracy"),
    ("diabetes", "how many patients have glucose no more than 100", "filter Glucose <= 100 then count"),
    ("diabetes", "how many patients have a bmi above 35", "filter BMI > 35 then count"),
    ("diabetes", "patients with insulin of 100 or less", "filter Insulin <= 100 then show"),
    ("credit", "how many applicants are between 20 and 30", "filter age >= 20 and age <= 30 then count"),
    ("credit", "accuracy for applicants in their 30s", "filter age >= 30 and age < 40 then score accuracy"),
    ("diabetes", "predict for patients in their fifties", "filter Age >= 50 and Age < 60 then predict"),
    ("german", "how many applicants are younger than twenty five", "filter Age < 25 then count"),
    ("german", "loans of at least 5000: how many", "filter LoanAmount >= 5000 then count"),
    ("credit", "how many loans last at most 12 months", "filter duration <= 12 then count"),
    ("diabetes", "how many patients are exactly 50 years old", "filter Age == 50 then count"),
    ("compas", "people with no priors: what does the model predict",
     "filter number_of_prior_crimes == 0 then predict"),
    ("diabetes", "how many patients have had more than five pregnancies", "filter Pregnancies > 5 then count"),
    ("diabetes", "how many patients have a blood pressure under 60 or over 90",
     "filter BloodPressure < 60 or BloodPressure > 90 then count"),
]

# ---------------------------------------------------------------------------- ids
IDS = [
    ("credit", "predict data point 100", "filter id == 100 then predict"),
    ("diabetes", "why did the model predict patient 34 that way", "filter id == 34 then explain auto"),
    ("compas", "show person #21", "filter id == 21 then show"),
    ("german", "explain instance 33", "filter id == 33 then explain auto"),
    ("diabetes", "what is the prediction for sample 12", "filter id == 12 then predict"),
    ("credit", "id 7: what does the model say", "filter id == 7 then predict"),
    ("credit", "show applicants 12 and 15", "filter id == 12 or id == 15 then show"),
    ("credit", "what is the probability for applicant 12", "filter id == 12 then likelihood"),
]

# ---------------------------------------------------------------------------- classes
CLASSES = [
    ("credit", "why was applicant 12 denied?", "filter id == 12 then explain auto"),
    ("credit", "how many applicants are predicted to be approved", "filter prediction == 1 then count"),
    ("credit", "how many applicants did the model reject", "filter prediction == 0 then count"),
    ("diabetes", "how many patients are predicted to have diabetes", "filter prediction == 1 then count"),
    ("diabetes", "how many patients actually have diabetes", "filter label == 1 then count"),
    ("compas", "show defendants predicted likely to reoffend", "filter prediction == 0 then show"),
    ("german", "accuracy on applicants whose true label is bad credit risk", "filter label == 0 then score accuracy"),
    ("credit", "would applicant 40 be approved?", "filter id == 40 then predict"),
]

# ---------------------------------------------------------------------------- several operations
MULTI = [
    ("credit", "why did the model predict 100 and what would change it?",
     "filter id == 100 then explain auto then counterfactual"),
    ("credit", "why was applicant 12 denied and what could they change?",
     "filter id == 12 then explain auto then counterfactual"),
    ("compas", "show them and predict", "previous_filter then show then predict"),
    ("diabetes", "for patient 5, give the prediction and the probability", "filter id == 5 then predict then likelihood"),
    ("german", "precision and recall for women", "filter Gender == 0 then score precision then score recall"),
    ("compas", "how many women over 30 are there and how accurate is the model on them",
     "filter woman == 1 and age > 30 then count then score accuracy"),
    ("diabetes", "what are the top 3 features and how does glucose affect predictions",
     "importance top 3 then dependence Glucose"),
    ("credit", "show applicant 3, explain the prediction with lime",
     "filter id == 3 then show then explain lime"),
]

# ---------------------------------------------------------------------------- and / or
ANDOR = [
    ("compas", "how many black men have more than 4 priors",
     "filter black == 1 and man == 1 and number_of_prior_crimes > 4 then count"),
    ("credit", "accuracy for renters or people who live for free",
     'filter housing == "rent" or housing == "free" then score accuracy'),
    ("german", "how many single women own a house",
     "filter Single == 1 and Gender == 0 and OwnsHouse == 1 then count"),
    ("diabetes", "patients over 50 with glucose above 150: predictions",
     "filter Age > 50 and Glucose > 150 then predict"),
]

# ---------------------------------------------------------------------------- what-if
WHATIF = [
    ("diabetes", "if we increased glucose by 100 for patient 3, what would happen?",
     "filter id == 3 then whatif Glucose increase 100 then predict"),
    ("compas", "what if defendant 44 were 20 years older", "filter id == 44 then whatif age increase 20 then predict"),
    ("credit", "set age to 20 for applicant 8 and predict", "filter id == 8 then whatif age set 20 then predict"),
    ("german", "what would the model say for applicant 10 with 500 less in loan amount",
     "filter id == 10 then whatif LoanAmount decrease 500 then predict"),
    ("diabetes", "what if patient 8 had a BMI of 25, how would the probability change",
     "filter id == 8 then whatif BMI set 25 then likelihood"),
    ("compas", "what if defendant 9 had two fewer priors", "filter id == 9 then whatif number_of_prior_crimes decrease 2 then predict"),
    ("credit", "what if applicant 5 rented instead", 'filter id == 5 then whatif housing set "rent" then predict'),
    ("german", "if applicant 12 had a guarantor would they be approved",
     "filter id == 12 then whatif HasGuarantor set 1 then predict"),
]

# ---------------------------------------------------------------------------- references and follow-ups
REFERENCES = [
    ("credit", "what's the average age of those people", "previous_filter then statistic age"),
    ("compas", "and for the same group, how accurate is it", "previous_filter then score accuracy"),
    ("diabetes", "explain the predictions for them", "previous_filter then explain auto"),
    ("diabetes", "how many of these patients are over 50", "previous_filter then filter Age > 50 then count"),
    ("compas", "and if they were 20?", "whatif age set 20 then repeat"),
    ("credit", "more", "followup"),
    ("german", "tell me more", "followup"),
    ("diabetes", "show the rest", "followup"),
    ("compas", "same for defendant 12", "filter id == 12 then repeat"),
]

# ---------------------------------------------------------------------------- single operations
SINGLE = [
    ("credit", "which features matter the most", "importance"),
    ("credit", "what is the most important feature", "importance top 1"),
    ("german", "top 3 features", "importance top 3"),
    ("diabetes", "is age important", "importance feature Age"),
    ("compas", "which features interact", "interactions"),
    ("diabetes", "what rules does the model follow", "rules"),
    ("german", "what's the f1 score", "score f1"),
    ("compas", "error rate of the model", "score accuracy"),
    ("diabetes", "area under the curve?", "score roc_auc"),
    ("credit", "what mistakes does the model make", "mistakes typical"),
    ("credit", "show me some examples the model got wrong", "mistakes sample"),
    ("compas", "how many errors does the model make", "mistakes count"),
    ("german", "how many rows are there", "count"),
    ("diabetes", "what does the data look like? describe it", "describe_data"),
    ("credit", "what kind of model is this", "describe_model"),
    ("compas", "what does months_in_jail mean", "define months_in_jail"),
    ("credit", "what can you do", "capabilities"),
    ("credit", "is the model fair to women", "bias sex"),
    ("compas", "is the model biased against black defendants", "bias black"),
    ("german", "true labels for applicant 4", "filter id == 4 then labels"),
]

# ---------------------------------------------------------------------------- mechanisms
MECHANISMS = [
    # a value shared by two features goes to the one named next to it
    ("credit", "how many applicants have a little checking account", 'filter checking_account == "little" then count'),
    ("credit", "savings rich and checking moderate: show them",
     'filter saving_accounts == "rich" and checking_account == "moderate" then show'),
    # a flag whose name is a comparison
    ("german", "accuracy for applicants at their current job for more than 4 years",
     "filter YearsAtCurrentJobGreaterOrEqualThan4 == 1 then score accuracy"),
    # units: years of a loan are months of its duration
    ("credit", "how many loans run for more than 3 years", "filter duration > 36 then count"),
    ("compas", "how many people spent over a year in jail", "filter months_in_jail > 12 then count"),
    # chained what-ifs keep their order
    ("credit", "what if applicant 3 were 30 years old and rented their home",
     'filter id == 3 then whatif age set 30 then whatif housing set "rent" then predict'),
    ("diabetes", "if patient 5 had glucose 30 points lower, would the prediction change?",
     "filter id == 5 then whatif Glucose decrease 30 then predict"),
    # a class said with a cue and one distinctive word
    ("credit", "which applicants are predicted bad risk but were actually good",
     "filter prediction == 0 and label == 1 then show"),
    # one row's "which features" is its explanation
    ("credit", "which features pushed the decision for applicant 61", "filter id == 61 then explain auto"),
    # a comparison sign after a placeholder is not read twice
    ("credit", "how many applicants have job level 3", "filter job == 3 then count"),
    ("diabetes", "predicted probabilities for patients with glucose > 150 and bmi >= 30",
     "filter Glucose > 150 and BMI >= 30 then likelihood"),
]

ALL = MECHANISMS + PARAPHRASES + FLAGS + NUMBERS + IDS + CLASSES + MULTI + ANDOR + WHATIF + REFERENCES + SINGLE


@pytest.mark.parametrize("ws,question,text", ALL, ids=[f"{w}:{q[:40]}" for w, q, _ in ALL])
def test_phrase_families(ws, question, text):
    check(ws, question, text)
