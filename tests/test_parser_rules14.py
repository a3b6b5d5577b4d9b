"""Parser mechanisms for the newer canonical rules (docs/query-language.md): comparing two
features' importance (rule 14), the individual flip test (rule 15), follow-ups (rule 10),
a statement before the question, "treat differently" as fairness (rule 12), "everyone except"
negating the whole group, coordinated what-ifs and ids said bare before a what-if.
Gold is written from the rules, not from evaluation items."""

from __future__ import annotations


import pytest

from talk2model.parser.nl import NaturalLanguageParser

from parser_check import check, parser  # noqa: F401  (tests/parser_check.py)


CASES = [
    # rule 14: two importance steps, in the order mentioned
    ("german", "is age more important than duration?", "importance feature Age then importance feature LoanDuration"),
    ("german", "does the loan duration matter more than age", "importance feature LoanDuration then importance feature Age"),
    ("credit", "which matters more to the model, age or the credit amount?", "importance feature age then importance feature credit_amount"),
    ("diabetes", "is glucose less important than BMI?", "importance feature Glucose then importance feature BMI"),
    # rule 15: one row, a sensitive attribute said to be different -> bias on that row
    ("credit", "would applicant 12's decision change if their sex were different?", "filter id == 12 then bias sex"),
    ("german", "would applicant 40 get a different outcome with a different gender?", "filter id == 40 then bias Gender"),
    ("compas", "does the prediction for defendant 7 change if we flip their race?", "filter id == 7 then bias black"),
    # rule 10: follow-ups stand alone
    ("credit", "show me the rest", "followup"),
    ("diabetes", "give me the remaining ones", "followup"),
    ("compas", "next page", "followup"),
    # a statement before the question adds no operation of its own
    ("credit", "Applicant 3 was rated as a bad risk. What would need to change?", "filter id == 3 then counterfactual"),
    ("diabetes", "Patient 8 is predicted diabetic. Why?", "filter id == 8 then explain auto"),
    # rule 9: several what-ifs in one clause, each with its own feature; units name the feature
    ("german", "what if applicant 3 asked for 1000 less and for 6 months shorter?",
     "filter id == 3 then whatif LoanAmount decrease 1000 then whatif LoanDuration decrease 6 then predict"),
    ("credit", "what if applicant 8 borrowed 500 more and for 2 years longer?",
     "filter id == 8 then whatif credit_amount increase 500 then whatif duration increase 24 then predict"),
    # rule 9: what-ifs said indirectly
    ("credit", "if applicant 59 asked for a smaller loan, say 3000, would it be approved?",
     "filter id == 59 then whatif credit_amount set 3000 then predict"),
    ("german", "what if applicant 230 paid the loan back over 36 months?",
     "filter id == 230 then whatif LoanDuration set 36 then predict"),
    ("german", "how many applicants have loans over 36 months?", "filter LoanDuration > 36 then count"),
    # a bare number opening a what-if is the row (rule 3) when the data has it; "+N" increases
    ("diabetes", "106 glucose +30", "filter id == 106 then whatif Glucose increase 30 then predict"),
    ("diabetes", "4 glucose +30", "filter id == 4 then whatif Glucose increase 30 then predict"),
    # ... but not a number the data has no row for (diabetes has no row 12)
    ("diabetes", "12 bmi plus 4", "whatif BMI increase 4 then predict"),
    ("diabetes", "if 14 bmi plus 4", "filter id == 14 then whatif BMI increase 4 then predict"),
    # a class that is the goal or the subject of the question is no filter (rule 7)
    ("credit", "what would men over 50 have to change to be approved?", 'filter sex == "male" and age > 50 then counterfactual'),
    ("compas", "what must defendants under 25 change to be predicted unlikely to commit a crime?", "filter age < 25 then counterfactual"),
    ("diabetes", "what is the probability of diabetes for patients over 60?", "filter Age > 60 then likelihood"),
    ("diabetes", "which rules does the model use to predict diabetes", "rules"),
    ("diabetes", "how accurate is the diabetes model", "score accuracy"),
    # ... while a class with a cue still selects, negation included (rule 7)
    ("diabetes", "how many patients are predicted to not have diabetes", "filter prediction == 0 then count"),
    ("credit", "how many applicants are predicted to be approved", "filter prediction == 1 then count"),
    # more cue families: "how does the model do on", "rely on", "predicted vs actual", "elaborate"
    ("diabetes", "how does the model do on patients 60 or over", "filter Age >= 60 then score accuracy"),
    ("credit", "how does the model do on people 40 or older", "filter age >= 40 then score accuracy"),
    ("compas", "which features does the model rely on most", "importance"),
    ("credit", "applicant 9: predicted vs actual", "filter id == 9 then predict then labels"),
    ("german", "can you elaborate on that", "followup"),
    ("compas", "what is the data for defendant 5 and how sure is the model", "filter id == 5 then show then likelihood"),
    # what-ifs for groups and with a noun between feature and value
    ("diabetes", "what if all patients over 50 had their glucose lowered by 20",
     "filter Age > 50 then whatif Glucose decrease 20 then predict"),
    ("credit", "what if all applicants under 25 had a job code of 2?", "filter age < 25 then whatif job set 2 then predict"),
    ("credit", "what if applicant 66 had little savings and asked for a 36 month loan",
     'filter id == 66 then whatif saving_accounts set "little" then whatif duration set 36 then predict'),
    # "everyone except X and Y" negates the whole group; one flag or category as rule 6 says
    ("credit", "accuracy for everyone except men under 30", 'filter not (sex == "male" and age < 30) then score accuracy'),
    ("diabetes", "show everyone except patients over 60 with BMI above 35", "filter not (Age > 60 and BMI > 35) then show"),
    ("compas", "everyone except women or black defendants: how accurate is the model?",
     "filter not (woman == 1 or black == 1) then score accuracy"),
    ("credit", "show everyone but renters", 'filter housing != "rent" then show'),
    ("german", "how many people are there except foreign workers", "filter ForeignWorker == 0 then count"),
    # "single" as an adjective is not the marital-status value; plural features are all of them
    ("german", "which single feature matters most?", "importance top 1"),
    ("german", "how many single applicants are there", "filter Single == 1 then count"),
    ("diabetes", "which features matter for patients with no pregnancies", "filter Pregnancies == 0 then importance"),
    # a what-if question before a later question predicts first (rule 9), "instead of" is no filter
    ("diabetes", "if patient 14 had 20 less glucose would the prediction change? why?",
     "filter id == 14 then whatif Glucose decrease 20 then predict then explain auto"),
    ("credit", "what if applicant 8 rented instead of owning?", 'filter id == 8 then whatif housing set "rent" then predict'),
    # a comparison picks one flag of a family of threshold flags (rule 6)
    ("german", "how many people have a checking account balance of at least 200",
     "filter CheckingAccountBalanceGreaterOrEqualThan200 == 1 then count"),
    # "what if all the X were Y": X is who (a filter), Y is the change
    ("german", "what if all the women in the data were men?", "filter Gender == 0 then whatif Gender set 1 then predict"),
    ("credit", "what if the renters took their loans over 12 more months?",
     'filter housing == "rent" then whatif duration increase 12 then predict'),
    # rule 12: two groups of a sensitive attribute compared are a fairness question
    ("credit", "compare the predictions for men and women", "bias sex"),
    ("credit", "do women and men get different predictions?", "bias sex"),
    ("compas", "compare the outcomes for black defendants and the other defendants", "bias black"),
    # ... while a count or a metric for two groups stays what it is
    ("credit", "how many men and women are there", "count"),
    # rule 12: treating groups differently is fairness, the group is the attribute
    ("compas", "does the model treat black defendants differently from other defendants?", "bias black"),
]


@pytest.mark.parametrize("ws,question,text", CASES, ids=[q[:45] for _, q, _ in CASES])
def test_canonical_rules(ws, question, text):
    check(ws, question, text)



class _FakeModel:
    def __init__(self, ranked):
        self.ranked = ranked
        self.seen = []

    def rank(self, text):
        self.seen.append(text)
        return self.ranked


@pytest.mark.parametrize("ranked,want", [
    ([("predict", 0.6), ("show", 0.2), ("none", 0.2)], "filter age > 60 then predict"),     # clearly preferred
    ([("predict", 0.4), ("show", 0.3), ("none", 0.3)], "filter age > 60 then show"),        # too close
    ([("none", 0.9), ("show", 0.1)], "filter age > 60 then show"),                          # never 'none'
])
def test_sentence_model_arbitrates_a_group_with_no_operation(ranked, want):
    """A group and no operation cue: the rules would show the rows; the sentence model reads the
    delexicalised question and overrides only with a clearly preferred operation."""
    p = NaturalLanguageParser(parser("credit").workspace)
    fake = _FakeModel(ranked)
    p._classifier = fake
    parsed = p.parse("applicants over 60")
    assert parsed.query.to_text() == want
    assert fake.seen and "PEOPLE" in fake.seen[0] and "60" not in fake.seen[0]
