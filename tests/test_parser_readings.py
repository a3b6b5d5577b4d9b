"""Parser mechanisms that choose between readings: which feature a bare number belongs to,
a flag named by a comparison vs a numeric feature with the same words, a sign ("positive
balance"), one value shared by two columns, a negated category ("other than"), "were N years
old" as a what-if (rule 9), first-person questions from the person themselves (rules 3, 7).
Gold is written from the canonical rules in docs/query-language.md, not from evaluation items."""

from __future__ import annotations


import pytest

from parser_check import check, parser  # noqa: F401  (tests/parser_check.py)


CASES = [
    # rule 9: "were / had been N years old" after "if" is a what-if, even at an implausible age
    ("compas", "what if defendant 20 were 150 years old?", "filter id == 20 then whatif age set 150 then predict"),
    ("german", "what if applicant 9 had been 33 years old?", "filter id == 9 then whatif Age set 33 then predict"),
    # a bare number after a relative clause about people is their age (rule 5), not loan months
    ("credit", "how many people who own their home and are over 60?", "filter housing == \"own\" and age > 60 then count"),
    # rule 5: "other than" negates a category
    ("credit", "count the applicants whose purpose is other than business",
     "filter purpose != \"business\" then count"),
    # a numeric code said with its noun: "a job code of 2" is job == 2
    ("credit", "how many applicants have a job code of 2?", "filter job == 2 then count"),
    # a flag whose name is a comparison beats a numeric feature sharing only "years"
    ("german", "show applicants who have been at their job 4+ years", "filter YearsAtCurrentJobGreaterOrEqualThan4 == 1 then show"),
    # a sign: the flag named "... >= 0" (rule 6), both ways
    ("german", "how many applicants have a positive checking account balance?",
     "filter CheckingAccountBalanceGreaterOrEqualTo0 == 1 then count"),
    ("german", "count applicants whose checking balance is negative",
     "filter CheckingAccountBalanceGreaterOrEqualTo0 == 0 then count"),
    # rule 2: one value shared by two columns -> one equality each, in the order said
    ("diabetes", "how many patients have glucose and blood pressure both equal to 0?",
     "filter Glucose == 0 and BloodPressure == 0 then count"),
    # rules 3 and 7: the asker names their own row; a number that is no plausible age is the id
    ("compas", "I'm 5020. why am I rated as likely to commit a crime?", "filter id == 5020 then explain auto"),
    ("credit", "my application number is 44. what could I change to get approved?", "filter id == 44 then counterfactual"),
    ("credit", "my sister is applicant 12 and I'm 820: why were we denied?", "filter id == 12 or id == 820 then explain auto"),
    ("german", "I'm applicant 40. Would the decision change if my gender were different?", "filter id == 40 then bias Gender"),
    # rule 14 without the word "important"; flags said with "having"
    ("german", "does being single weigh more than having a telephone?", "importance feature Single then importance feature HasTelephone"),
    # the same operation on a second feature, in the order said
    ("diabetes", "average BMI and average age of patients over 50", "filter Age > 50 then statistic BMI then statistic Age"),
    ("compas", "is the model fair to women? also check bias by age", "bias woman then bias age"),
    # rule 13: the share of an outcome, after a what-if or said as a rate
    ("diabetes", "if every patient's BMI went down by 3, what proportion would be predicted to have diabetes?",
     "whatif BMI decrease 3 then statistic prediction"),
    ("credit", "what is the approval rate among renters?", "filter housing == \"rent\" then statistic prediction"),
    # rule 8: examples of mistakes; "sample" is a sampling word here, not a row noun
    ("german", "give some example errors for single applicants", "filter Single == 1 then mistakes sample"),
    # dependence and define said plainly
    ("compas", "how does the number of priors affect the risk score?", "dependence number_of_prior_crimes"),
    ("diabetes", "what counts as 'skin thickness'?", "define SkinThickness"),
    # rule 9: "I'd spent" is "I had spent" (a what-if), "came down by N" decreases
    ("compas", "I'm defendant 1187. what if I'd served 2 months in jail?",
     "filter id == 1187 then whatif months_in_jail set 2 then predict"),
    ("diabetes", "patient 30: if my BMI came down by 4, would the prediction change?",
     "filter id == 30 then whatif BMI decrease 4 then predict"),
    # a threshold flag named after the number, and its negation ("below 0" of a ">= 0" flag);
    # never an implausible age
    ("german", "count applicants with less than a year at their current job", "filter YearsAtCurrentJobLessThan1 == 1 then count"),
    ("german", "how many applicants have a checking balance below 0?", "filter CheckingAccountBalanceGreaterOrEqualTo0 == 0 then count"),
    # a bare number after "how many are" / "of those" describes people: their age
    ("credit", "of them, how many are over 70?", "previous_filter then filter age > 70 then count"),
    # the value's range chooses between features sharing a word: amounts start at 250,
    # so "loans under 20" is the duration in months
    ("credit", "how many loans are under 20?", "filter duration < 20 then count"),
]


@pytest.mark.parametrize("ws,question,text", CASES, ids=[c[1] for c in CASES])
def test_reading(ws, question, text):
    check(ws, question, text)
