"""Writes dev3.jsonl: 320 hand-written questions (80 per workspace) with gold queries.

    /work/main/.venv/bin/python bench/parser_eval/make_dev3.py

Questions imitate crowd workers asked to "write questions you'd ask an AI about this model".
Golds follow the canonical form of docs/query-language.md.  Tags are derived from the gold
(ops, filter kinds) plus a few written by hand (typo, numbers_in_words, share).
"""
import os

import pandas as pd
from gold import (AND, BETWEEN, C, CAPABILITIES, COUNT, COUNTERFACTUAL, DECADE, DESCRIBE_DATA, DESCRIBE_MODEL, EQ,
                  FOLLOWUP, ID, IDS, INTERACTIONS, LABELS, LIKELIHOOD, OR, PREDICT, REPEAT, RULES, SHOW, bias, define,
                  dependence, explain, filter_, importance, leaves, mistakes, previous_filter, score, statistic,
                  whatif, write_jsonl)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = {
    "credit": ("/work/shared/datasets/credit/german_credit.csv", None),
    "german": ("/work/shared/datasets/ttm/german_test.csv", 0),
    "compas": ("/work/shared/datasets/ttm/compas_test.csv", 0),
    "diabetes": ("/work/shared/datasets/ttm/diabetes_test.csv", 0),
}


flt, wi, IMP, DEP, SCORE, MIS, STAT, BIAS, DEF = (filter_, whatif, importance, dependence, score, mistakes,
                                                   statistic, bias, define)
PF, PRED, LIK, CF = previous_filter(), PREDICT, LIKELIHOOD, COUNTERFACTUAL
EXP, SHAP, LIME = explain(), explain("shap"), explain("lime")
INTER, DDATA, DMODEL, CAPS, FOLLOW = INTERACTIONS, DESCRIBE_DATA, DESCRIBE_MODEL, CAPABILITIES, FOLLOWUP

# question, steps, hand tags
T, N, S = "typo", "numbers_in_words", "share"

# =========================================================================================
CREDIT = [
    # ---- single rows
    ("so what's the model's call on applicant 12?", [flt(ID(12)), PRED]),
    ("why was applicant 45 denied", [flt(ID(45)), EXP]),
    ("can you show me applicant 230 and what the model predicts", [flt(ID(230)), SHOW, PRED]),
    ("How likely is it that applicant 88 gets approved?", [flt(ID(88)), LIK]),
    ("what would applicant 301 have to change to get a good credit rating?", [flt(ID(301)), CF]),
    ("what did the model predict for applicant 540 and why?", [flt(ID(540)), PRED, EXP]),
    ("is it true that the model rates applicant 62 as a bad credit risk?", [flt(ID(62)), PRED]),
    ("explain applicant 999's prediction using SHAP", [flt(ID(999)), SHAP]),
    ("applicant nine hundred, what's the prediction", [flt(ID(900)), PRED], [N]),
    ("compare the model's predictions for applicants 3 and 4", [flt(IDS(3, 4)), PRED]),
    ("show me applicant 150 and tell me what the model predicts", [flt(ID(150)), SHOW, PRED]),
    ("what would the model say if applicant 615 asked for 2000 DM less?",
     [flt(ID(615)), wi("credit_amount", "decrease", 2000), PRED]),
    ("if applicant 73 had a rich checking account would she still be approved",
     [flt(ID(73)), wi("checking_account", "set", "rich"), PRED]),
    ("would applicant 410's decision change if their gender were different?", [flt(ID(410)), BIAS("sex")]),
    ("For applicant 8, what's the probability of being a good credit risk, and what is the actual label in the data?",
     [flt(ID(8)), LIK, LABELS]),
    ("what if applicant 27 was 10 years older?", [flt(ID(27)), wi("age", "increase", 10), PRED]),
    ("aplicant 77 predicton?", [flt(ID(77)), PRED], [T]),
    ("why did the model approve applicant 0", [flt(ID(0)), EXP]),
    ("what if applicant 256 rented instead of owning, how would the probabilities change?",
     [flt(ID(256)), wi("housing", "set", "rent"), LIK]),
    ("give me a LIME explanation for applicant 333 and also show the row", [flt(ID(333)), LIME, SHOW]),
    ("show applicants 10, 11 and 12", [flt(IDS(10, 11, 12)), SHOW]),
    ("what is the likelihood for applicant 480 and what could they change to flip it?",
     [flt(ID(480)), LIK, CF]),
    ("If applicant 19's loan duration were 12 months, what would the model predict and why?",
     [flt(ID(19)), wi("duration", "set", 12), PRED, EXP]),
    ("is applicant 702 actually a good credit risk according to the data?", [flt(ID(702)), LABELS]),
    ("what if applicant 66 had rich savings and asked for a 36 month loan",
     [flt(ID(66)), wi("saving_accounts", "set", "rich"), wi("duration", "set", 36), PRED]),
    ("I'm looking at applicant 128 in the data. Could you tell me what the model predicts for this person and what the main reasons for that prediction are?",
     [flt(ID(128)), PRED, EXP]),
    # ---- groups
    ("how many women over 40 are in the data set?", [flt(AND(EQ("sex", "female"), C("age", ">", 40))), COUNT]),
    ("what does the model predict for women over 50", [flt(AND(EQ("sex", "female"), C("age", ">", 50))), PRED]),
    ("how many applicants under 25 are predicted to be bad credit risks?",
     [flt(AND(C("age", "<", 25), EQ("prediction", 0))), COUNT]),
    ("what's the accuracy for people who rent and are under 30?", [flt(AND(EQ("housing", "rent"), C("age", "<", 30))), SCORE()]),
    ("show me applicants who asked for more than 10000 DM for longer than 24 months",
     [flt(AND(C("credit_amount", ">", 10000), C("duration", ">", 24))), SHOW]),
    ("what percentage of men are predicted good credit risk", [flt(EQ("sex", "male")), STAT("prediction")], [S]),
    ("why does the model decide the way it does for applicants with little savings?",
     [flt(EQ("saving_accounts", "little")), EXP]),
    ("average loan amount for car loans", [flt(EQ("purpose", "car")), STAT("credit_amount")]),
    ("for applicants aged between 30 and 40 who want the loan for education, what does the model predict?",
     [flt(AND(BETWEEN("age", 30, 40), EQ("purpose", "education"))), PRED]),
    ("how many people asking for business loans get approved by the model?",
     [flt(AND(EQ("purpose", "business"), EQ("prediction", 1))), COUNT]),
    ("what mistakes does the model make on women?", [flt(EQ("sex", "female")), MIS("typical")]),
    ("how many mistakes are there for applicants over sixty", [flt(C("age", ">", 60)), MIS("count")], [N]),
    ("give some examples where the model gets it wrong for people who live for free",
     [flt(EQ("housing", "free")), MIS("sample")]),
    ("what's the f1 score on applicants with a loan duration of more than 36 months?",
     [flt(C("duration", ">", 36)), SCORE("f1")]),
    ("which features are most important for people with rich checking accounts",
     [flt(EQ("checking_account", "rich")), IMP()]),
    ("whats the avrage age of applicants the model predicts as bad credit risk",
     [flt(EQ("prediction", 0)), STAT("age")], [T]),
    ("show me the people in their 20s who rent", [flt(AND(DECADE("age", 20), EQ("housing", "rent"))), SHOW]),
    ("what percent of applicants with moderate savings are actually good credit risks",
     [flt(EQ("saving_accounts", "moderate")), STAT("target")], [S]),
    ("precision for male applicants who own their home?", [flt(AND(EQ("sex", "male"), EQ("housing", "own"))), SCORE("precision")]),
    ("what does the model predict for unskilled non-residents, and why",
     [flt(EQ("job", 0)), PRED, EXP]),
    ("how accurate is the model for people renting or living for free?",
     [flt(OR(EQ("housing", "rent"), EQ("housing", "free"))), SCORE()]),
    ("show me women who want a loan for vacation/others",
     [flt(AND(EQ("sex", "female"), EQ("purpose", "vacation/others"))), SHOW]),
    ("How many applicants have an unknown checking account status?",
     [flt(EQ("checking_account", "not_known")), COUNT]),
    ("list applicants older than 65 along with the predicted class", [flt(C("age", ">", 65)), SHOW, PRED]),
    ("what are the true labels for applicants with loans under 1000", [flt(C("credit_amount", "<", 1000)), LABELS]),
    ("How many men under 30 with a little checking account are predicted good credit risk?",
     [flt(AND(EQ("sex", "male"), C("age", "<", 30), EQ("checking_account", "little"), EQ("prediction", 1))), COUNT]),
    ("what's the recall for applicants whose loan is for radio/TV?", [flt(EQ("purpose", "radio/TV")), SCORE("recall")]),
    ("what is the typical duration of loans for furniture/equipment", [flt(EQ("purpose", "furniture/equipment")), STAT("duration")]),
    ("how does the model do on people 40 or older, accuracy wise", [flt(C("age", ">=", 40)), SCORE()]),
    ("what's the probability of approval for applicants asking for at least 15000",
     [flt(C("credit_amount", ">=", 15000)), LIK]),
    ("what would need to change for women who rent to get approved?",
     [flt(AND(EQ("sex", "female"), EQ("housing", "rent"))), CF]),
    ("For the applicants with quite rich savings who own their home, can you show me the rows and also tell me how accurate the model is on this group?",
     [flt(AND(EQ("saving_accounts", "quite rich"), EQ("housing", "own"))), SHOW, SCORE()]),
    ("how many applicants with a job code of 1 are there and what's the average credit amount",
     [flt(EQ("job", 1)), COUNT, STAT("credit_amount")]),
    # ---- group what-ifs
    ("what if every woman in the data asked for 1000 DM more?",
     [flt(EQ("sex", "female")), wi("credit_amount", "increase", 1000), PRED]),
    ("for people with little savings, how would the probabilities change if their savings were moderate",
     [flt(EQ("saving_accounts", "little")), wi("saving_accounts", "set", "moderate"), LIK]),
    ("What if all applicants under 25 had a job code of 2?",
     [flt(C("age", "<", 25)), wi("job", "set", 2), PRED]),
    # ---- whole model
    ("which features does the model rely on most when it decides", [IMP()]),
    ("show me the top 3 features the model uses", [IMP(top=3)]),
    ("is age more important than credit amount for the model?",
     [IMP(feature="age"), IMP(feature="credit_amount")]),
    ("how accurate is the credit model in general?", [SCORE()]),
    ("what kind of model are you using", [DMODEL]),
    ("tell me about the data set this was trained on", [DDATA]),
    ("is the model biased against women?", [BIAS("sex")]),
    ("does this model discriminate against applicants because of their age", [BIAS("age")]),
    ("what does checking_account mean?", [DEF("checking_account")]),
    ("what rules does the model follow to decide who gets credit", [RULES]),
    ("which features interact with eachother the most", [INTER], [T]),
    ("how does the predicted outcome change as loan duration increases?", [DEP("duration")]),
    ("what is the AUC of the model", [SCORE("roc_auc")]),
    ("how important is the purpose of the loan?", [IMP(feature="purpose")]),
    # ---- references / follow-ups
    ("can you show me the rest", [FOLLOW]),
    ("how many of those people are women?", [PF, flt(EQ("sex", "female")), COUNT]),
    ("whats the accuracy for the same group", [PF, SCORE()]),
    ("and for applicants over 50?", [flt(C("age", ">", 50)), REPEAT]),
]

# =========================================================================================
GERMAN = [
    # ---- single rows
    ("what does the model predict for applicant 993?", [flt(ID(993)), PRED]),
    ("why was person 859 classified as a good credit risk", [flt(ID(859)), EXP]),
    ("show me the data for applicant 14 and how likely they are to be a good credit risk", [flt(ID(14)), SHOW, LIK]),
    ("what would applicant 367 need to change to be a good credit risk?", [flt(ID(367)), CF]),
    ("predict applicant 31 and explain why", [flt(ID(31)), PRED, EXP]),
    ("is it true that the model thinks applicant 644 is a bad credit risk", [flt(ID(644)), PRED]),
    ("shap explanation for applicant 760 please", [flt(ID(760)), SHAP]),
    ("applicant fifty-four, what's the prediction?", [flt(ID(54)), PRED], [N]),
    ("what are the predictions for applicants 101 and 122?", [flt(IDS(101, 122)), PRED]),
    ("what if applicant 413 was not a foreign worker?", [flt(ID(413)), wi("ForeignWorker", "set", 0), PRED]),
    ("if applicant 298 asked for a loan 12 months shorter, would the prediction change?",
     [flt(ID(298)), wi("LoanDuration", "decrease", 12), PRED]),
    ("would applicant 315's prediction change if they were a different gender?", [flt(ID(315)), BIAS("Gender")]),
    ("what would the model say about applicant 382 if she were 10 years older, and why",
     [flt(ID(382)), wi("Age", "increase", 10), PRED, EXP]),
    ("tell me the likelihood for applicant 403 and what would flip the decision",
     [flt(ID(403)), LIK, CF]),
    ("use lime to explian applicant 432", [flt(ID(432)), LIME], [T]),
    ("aplicant 466 - show and predict", [flt(ID(466)), SHOW, PRED], [T]),
    ("what's the true outcome and the predicted outcome for applicant 483?", [flt(ID(483)), LABELS, PRED]),
    ("If applicant 496 owned a house, how would the probability of good credit change?",
     [flt(ID(496)), wi("OwnsHouse", "set", 1), LIK]),
    ("why did the model deny applicant 529", [flt(ID(529)), EXP]),
    ("show me applicants 553, 569 and 580", [flt(IDS(553, 569, 580)), SHOW]),
    ("what if person 298 had a guarantor and no missed payments?",
     [flt(ID(298)), wi("HasGuarantor", "set", 1), wi("MissedPayments", "set", 0), PRED]),
    ("For applicant 624, what's the probability that they're a good credit risk?", [flt(ID(624)), LIK]),
    ("what if applicant 636 borrowed 2000 more", [flt(ID(636)), wi("LoanAmount", "increase", 2000), PRED]),
    ("Hi, I'd like to understand applicant 1 better. Can you show me their information, tell me what the model predicts, and explain which features drove that decision?",
     [flt(ID(1)), SHOW, PRED, EXP]),
    # ---- groups
    ("how many foreign workers rent their home?", [flt(AND(EQ("ForeignWorker", 1), EQ("RentsHouse", 1))), COUNT]),
    ("how many home owners are predicted bad credit risk", [flt(AND(EQ("OwnsHouse", 1), EQ("prediction", 0))), COUNT]),
    ("accuracy for renters?", [flt(EQ("RentsHouse", 1)), SCORE()]),
    ("show me applicants who have missed payments and are unemployed",
     [flt(AND(EQ("MissedPayments", 1), EQ("Unemployed", 1))), SHOW]),
    ("what percent of people with a guarentor are predicted good credit risk",
     [flt(EQ("HasGuarantor", 1)), STAT("prediction")], [S, T]),
    ("what's the average loan amount for single applicants older than 50?",
     [flt(AND(EQ("Single", 1), C("Age", ">", 50))), STAT("LoanAmount")]),
    ("explain the model's predictions for people who have been at their current job less than a year",
     [flt(EQ("YearsAtCurrentJobLessThan1", 1)), EXP]),
    ("what kind of errors does the model make on foreign workers", [flt(EQ("ForeignWorker", 1)), MIS("typical")]),
    ("how many mistakes on renters with a loan duration over 24 months?",
     [flt(AND(EQ("RentsHouse", 1), C("LoanDuration", ">", 24))), MIS("count")]),
    ("give examples of wrong predictions for people who aren't skilled workers",
     [flt(EQ("JobClassIsSkilled", 0)), MIS("sample")]),
    ("what's the precision on applicants aged between 25 and 35", [flt(BETWEEN("Age", 25, 35)), SCORE("precision")]),
    ("what are the most important features for applicants with savings of at least 500?",
     [flt(EQ("SavingsAccountBalanceGreaterOrEqualThan500", 1)), IMP()]),
    ("average age of people predicted good credit risk", [flt(EQ("prediction", 1)), STAT("Age")]),
    ("show me people in their 40s who have a telephone", [flt(AND(DECADE("Age", 40), EQ("HasTelephone", 1))), SHOW]),
    ("how many skilled workers own their home and have been at their job 4+ years",
     [flt(AND(EQ("JobClassIsSkilled", 1), EQ("OwnsHouse", 1), EQ("YearsAtCurrentJobGreaterOrEqualThan4", 1))), COUNT]),
    ("what fraction of single men are actually good credit risks",
     [flt(AND(EQ("Single", 1), EQ("Gender", 1))), STAT("target")], [S]),
    ("what's the recall for people whose loan rate is 4 percent of income",
     [flt(EQ("LoanRateAsPercentOfIncome", 4)), SCORE("recall")]),
    ("predict for applicants with a coapplicant and explain", [flt(EQ("HasCoapplicant", 1)), PRED, EXP]),
    ("for people borrowing more than 5000 for a used car, what does the model predict",
     [flt(AND(C("LoanAmount", ">", 5000), EQ("loanpurposeUsedCar", 1))), PRED]),
    ("how accurate is the model for applicants who are either unemployed or foreign workers?",
     [flt(OR(EQ("Unemployed", 1), EQ("ForeignWorker", 1))), SCORE()]),
    ("true labels for applicants with a loan for education", [flt(EQ("loanpurposeEducation", 1)), LABELS]),
    ("what's the probability of being a good credit risk for applicants under twenty five",
     [flt(C("Age", "<", 25)), LIK], [N]),
    ("How many women under 30 are predicted good credit risk?",
     [flt(AND(EQ("Gender", 0), C("Age", "<", 30), EQ("prediction", 1))), COUNT]),
    ("what would people who rent need to change to get approved", [flt(EQ("RentsHouse", 1)), CF]),
    ("show applicants with no current loan and a loan duration of at most 12 months",
     [flt(AND(EQ("NoCurrentLoan", 1), C("LoanDuration", "<=", 12))), SHOW]),
    ("whats the average loan duration for business loans", [flt(EQ("loanpurposeBusiness", 1)), STAT("LoanDuration")]),
    ("f1 score for people without missed payments", [flt(EQ("MissedPayments", 0)), SCORE("f1")]),
    ("what does the model predict for applicants with critical accounts or loans elsewhere and why",
     [flt(EQ("CriticalAccountOrLoansElsewhere", 1)), PRED, EXP]),
    ("how many people have NumberOfLiableIndividuals equal to 2?", [flt(EQ("NumberOfLiableIndividuals", 2)), COUNT]),
    ("for men with savings of 200 or more, what's the model's accuracy and what mistakes does it make",
     [flt(AND(EQ("Gender", 1), EQ("SavingsAccountBalanceGreaterOrEqualThan200", 1))), SCORE(), MIS("typical")]),
    # ---- group what-ifs
    ("what if all foreign workers were not foreign workers, what would the model predict",
     [flt(EQ("ForeignWorker", 1)), wi("ForeignWorker", "set", 0), PRED]),
    ("if applicants over 60 reduced their loan amount by 1000, how would the likelihood change?",
     [flt(C("Age", ">", 60)), wi("LoanAmount", "decrease", 1000), LIK]),
    ("what if all the women in the data were men?", [flt(EQ("Gender", 0)), wi("Gender", "set", 1), PRED]),
    # ---- whole model
    ("what features matter most to this model", [IMP()]),
    ("which single feature has the biggest influence on the model?", [IMP(top=1)]),
    ("top five features please", [IMP(top=5)], [N]),
    ("is LoanAmount more important than Age?", [IMP(feature="LoanAmount"), IMP(feature="Age")]),
    ("how important is ForeignWorker?", [IMP(feature="ForeignWorker")]),
    ("what's the roc auc", [SCORE("roc_auc")]),
    ("what is the specificity of the model", [SCORE("specificity")]),
    ("is the model fair to foreign workers", [BIAS("ForeignWorker")]),
    ("is this model biased by gender?", [BIAS("Gender")]),
    ("is the model unfair to young applicants", [BIAS("Age")]),
    ("can you define LoanRateAsPercentOfIncome for me", [DEF("LoanRateAsPercentOfIncome")]),
    ("what's meant by CriticalAccountOrLoansElsewhere?", [DEF("CriticalAccountOrLoansElsewhere")]),
    ("tell me about this dataset", [DDATA]),
    ("what type of model is it", [DMODEL]),
    ("can you show me the model's decision rules", [RULES]),
    ("which feature pairs interact most strongly", [INTER]),
    ("how does the model's prediction change as the loan amount grows?", [DEP("LoanAmount")]),
    ("what questions can i ask you", [CAPS]),
    # ---- references / follow-ups
    ("ok, and the rest?", [FOLLOW]),
    ("of those, how many are foreign workers", [PF, flt(EQ("ForeignWorker", 1)), COUNT]),
    ("what's the average age of those applicants?", [PF, STAT("Age")]),
    ("and for men?", [flt(EQ("Gender", 1)), REPEAT]),
    ("and if they had a telephone?", [wi("HasTelephone", "set", 1), REPEAT]),
]

# =========================================================================================
COMPAS = [
    # ---- single rows
    ("what does the model predict for defendant 3", [flt(ID(3)), PRED]),
    ("why does the model think person 248 is likely to commit a crime?", [flt(ID(248)), EXP]),
    ("according to the model, how likely is defendant 581 to commit a crime", [flt(ID(581)), LIK]),
    ("what would have to change for individual 718 to be predicted unlikely to commit a crime?",
     [flt(ID(718)), CF]),
    ("what's the real label of defendant 918", [flt(ID(918)), LABELS]),
    ("predict defendant 1150 and tell me why", [flt(ID(1150)), PRED, EXP]),
    ("is it true that the model predicts defendant 1274 is unlikely to commit a crime?", [flt(ID(1274)), PRED]),
    ("explain defendant 1439 with shap and give the probability", [flt(ID(1439)), SHAP, LIK]),
    ("what does the model say about defendant fifty?", [flt(ID(50)), PRED], [N]),
    ("compare predictions for defendants 1622 and 1897", [flt(IDS(1622, 1897)), PRED]),
    ("what if defendant 5294 had no prior crimes?", [flt(ID(5294)), wi("number_of_prior_crimes", "set", 0), PRED]),
    ("if defendant 2179 were 15 years older, what would the probability be?",
     [flt(ID(2179)), wi("age", "increase", 15), LIK]),
    ("would the prediction for defendant 2317 change if their race were different", [flt(ID(2317)), BIAS("black")]),
    ("what if defendant 4052 spent 12 fewer months in jail",
     [flt(ID(4052)), wi("months_in_jail", "decrease", 12), PRED]),
    ("give me a lime explanation for defendant 2907", [flt(ID(2907)), LIME]),
    ("defendant 3113: predicted class and true class?", [flt(ID(3113)), PRED, LABELS]),
    ("why was defendant 3331 predicted as likely to commit a crime, and what would change that?",
     [flt(ID(3331)), EXP, CF]),
    ("show me individuals 3426 and 3596", [flt(IDS(3426, 3596)), SHOW]),
    ("If defendant 3980 was 25 and had 2 prior crimes, what would the model predict?",
     [flt(ID(3980)), wi("age", "set", 25), wi("number_of_prior_crimes", "set", 2), PRED]),
    ("defendnat 4144 why", [flt(ID(4144)), EXP], [T]),
    ("what's the data for defendant 4378 and how confident is the model", [flt(ID(4378)), SHOW, LIK]),
    ("Could you look at defendant 228 for me? I want to know what the model predicts, how confident it is, and what would have to be different for the prediction to flip.",
     [flt(ID(228)), PRED, LIK, CF]),
    ("is defendant 66 actually labeled as likely to commit a crime in the data?", [flt(ID(66)), LABELS]),
    ("if defendant 1595 had 10 fewer prior crimes would the model change its mind? why?",
     [flt(ID(1595)), wi("number_of_prior_crimes", "decrease", 10), PRED, EXP]),
    # ---- groups
    ("how many defendants in the data are black", [flt(EQ("black", 1)), COUNT]),
    ("how many women are predicted likely to commit a crime?", [flt(AND(EQ("woman", 1), EQ("prediction", 0))), COUNT]),
    ("what's the accuracy on black defendants under 30", [flt(AND(EQ("black", 1), C("age", "<", 30))), SCORE()]),
    ("what's the accuracy for defendants who are not black", [flt(EQ("black", 0)), SCORE()]),
    ("show me men with more than 10 prior crimes", [flt(AND(EQ("man", 1), C("number_of_prior_crimes", ">", 10))), SHOW]),
    ("what share of men are predicted unlikely to commit a crime?", [flt(EQ("man", 1)), STAT("prediction")], [S]),
    ("what's the average number of prior crimes for people predicted likely to commit a crime",
     [flt(EQ("prediction", 0)), STAT("number_of_prior_crimes")]),
    ("what does the model predict for defendants under 25 charged with a felony",
     [flt(AND(C("age", "<", 25), EQ("felony", 1))), PRED]),
    ("why does the model predict what it does for people with no prior crimes?",
     [flt(EQ("number_of_prior_crimes", 0)), EXP]),
    ("what mistakes does the model make for black men", [flt(AND(EQ("black", 1), EQ("man", 1))), MIS("typical")]),
    ("how many errors for women in their 30s", [flt(AND(EQ("woman", 1), DECADE("age", 30))), MIS("count")]),
    ("show me some examples where the model is wrong about defendants over 50",
     [flt(C("age", ">", 50)), MIS("sample")]),
    ("what's the precision for misdemeanor cases?", [flt(EQ("misdemeanor", 1)), SCORE("precision")]),
    ("average months in jail for defendants in their 20s", [flt(DECADE("age", 20)), STAT("months_in_jail")]),
    ("what percentage of black defendants are actually labeled likely to commit a crime",
     [flt(EQ("black", 1)), STAT("target")], [S]),
    ("which features matter most for defendants who recidivated", [flt(EQ("recidivated", 1)), IMP()]),
    ("how many defendants with at least 5 prior crimes are predicted unlikely to commit a crime",
     [flt(AND(C("number_of_prior_crimes", ">=", 5), EQ("prediction", 1))), COUNT]),
    ("what's the likelihood of committing a crime for defendants with 0 months in jail",
     [flt(EQ("months_in_jail", 0)), LIK]),
    ("what's the recall for defendants aged between 30 and 45", [flt(BETWEEN("age", 30, 45)), SCORE("recall")]),
    ("predict and explain for women over forty", [flt(AND(EQ("woman", 1), C("age", ">", 40))), PRED, EXP], [N]),
    ("what would defendants with more than 3 priors need to change to be predicted unlikely to commit a crime?",
     [flt(C("number_of_prior_crimes", ">", 3)), CF]),
    ("true labels and predictions of defendants younger than 21", [flt(C("age", "<", 21)), LABELS, PRED]),
    ("how many people are charged with a felony or have more than 8 priors?",
     [flt(OR(EQ("felony", 1), C("number_of_prior_crimes", ">", 8))), COUNT]),
    ("show black women who spent over 24 months in jail",
     [flt(AND(EQ("black", 1), EQ("woman", 1), C("months_in_jail", ">", 24))), SHOW]),
    ("average age of defendants charged with a misdemeanor", [flt(EQ("misdemeanor", 1)), STAT("age")]),
    ("how many men who are not black are predicted likely to commit a crime",
     [flt(AND(EQ("man", 1), EQ("black", 0), EQ("prediction", 0))), COUNT]),
    ("what does the model predict for defendants who recidivated and had no prior crimes",
     [flt(AND(EQ("recidivated", 1), EQ("number_of_prior_crimes", 0))), PRED]),
    ("What fraction of defendants over 60 does the model think are unlikely to commit a crime?",
     [flt(C("age", ">", 60)), STAT("prediction")], [S]),
    ("accuracy for defendants with 2 or fewer priors", [flt(C("number_of_prior_crimes", "<=", 2)), SCORE()]),
    ("which features are most important for defendants under 23", [flt(C("age", "<", 23)), IMP()]),
    ("for defendants charged with a misdemeanor who have spent at least 6 months in jail, how many are there and what does the model predict?",
     [flt(AND(EQ("misdemeanor", 1), C("months_in_jail", ">=", 6))), COUNT, PRED]),
    # ---- group what-ifs
    ("what if all black defendants were not black? what would the model predict",
     [flt(EQ("black", 1)), wi("black", "set", 0), PRED]),
    ("if every defendant over 40 had 2 more prior crimes, how would the likelihoods change",
     [flt(C("age", ">", 40)), wi("number_of_prior_crimes", "increase", 2), LIK]),
    ("for women charged with a felony, what happens to the predictions if the number of prior crimes goes down by one?",
     [flt(AND(EQ("woman", 1), EQ("felony", 1))), wi("number_of_prior_crimes", "decrease", 1), PRED], [N]),
    # ---- whole model
    ("what are the key features the model uses", [IMP()]),
    ("whats the top feature", [IMP(top=1)]),
    ("what are the 2 most important features", [IMP(top=2)]),
    ("is race more important than age for this model?", [IMP(feature="black"), IMP(feature="age")]),
    ("how important is number_of_prior_crimes", [IMP(feature="number_of_prior_crimes")]),
    ("overall accuracy of the compas model?", [SCORE()]),
    ("negative predictive value of the model?", [SCORE("npv")]),
    ("does the model treat black defendents unfairly?", [BIAS("black")], [T]),
    ("is it fair to women", [BIAS("woman")]),
    ("is the compas model biased with respect to age", [BIAS("age")]),
    ("what does months_in_jail mean", [DEF("months_in_jail")]),
    ("describe the data", [DDATA]),
    ("what model is this and how was it trained?", [DMODEL]),
    ("what rules does the model use to decide if someone is likely to commit a crime", [RULES]),
    ("do any of the features interact", [INTER]),
    ("how do predictons change as the number of prior crimes goes up", [DEP("number_of_prior_crimes")], [T]),
    ("what can I ask?", [CAPS]),
    ("where does the model usually go wrong", [MIS("typical")]),
    # ---- references / follow-ups
    ("can you elaborate on that", [FOLLOW]),
    ("how many of those are black?", [PF, flt(EQ("black", 1)), COUNT]),
    ("and for women?", [flt(EQ("woman", 1)), REPEAT]),
    ("and if they had 5 prior crimes?", [wi("number_of_prior_crimes", "set", 5), REPEAT]),
]

# =========================================================================================
DIABETES = [
    # ---- single rows
    ("what does the model predict for patient 4?", [flt(ID(4)), PRED]),
    ("why does the model think patient 16 has diabetes?", [flt(ID(16)), EXP]),
    ("whats the chance patient 45 has diabetes and why", [flt(ID(45)), LIK, EXP]),
    ("what would patient 53 have to change to be predicted not diabetic", [flt(ID(53)), CF]),
    ("does patient 64 actually have diabetes, and what did the model predict?", [flt(ID(64)), LABELS, PRED]),
    ("predict patient 73 and explain", [flt(ID(73)), PRED, EXP]),
    ("is it true the model predicts patient 85 is unlikely to have diabetes?", [flt(ID(85)), PRED]),
    ("explain patient 97 using SHAP values", [flt(ID(97)), SHAP]),
    ("patient number thirty one, what's the prediction", [flt(ID(31)), PRED], [N]),
    ("what are the predictions for patients 106, 112 and 123", [flt(IDS(106, 112, 123)), PRED]),
    ("what if patient 130's glucose was 100", [flt(ID(130)), wi("Glucose", "set", 100), PRED]),
    ("if patient 137 lost 5 BMI points, how would the probability change",
     [flt(ID(137)), wi("BMI", "decrease", 5), LIK]),
    ("what would the model predict if patient 159 was 20 years older with a glucose of 180, and why?",
     [flt(ID(159)), wi("Age", "increase", 20), wi("Glucose", "set", 180), PRED, EXP]),
    ("lime explanation for patient 177", [flt(ID(177)), LIME]),
    ("patient 192 - predicted vs actual?", [flt(ID(192)), PRED, LABELS]),
    ("what's the probability of diabetes for patient 201 and what would need to change?",
     [flt(ID(201)), LIK, CF]),
    ("show me patients 211 and 229", [flt(IDS(211, 229)), SHOW]),
    ("pateint 236 diabetes likelihood", [flt(ID(236)), LIK], [T]),
    ("why was patient 246 classified as not diabetic", [flt(ID(246)), EXP]),
    ("if patient 264's insulin were 150 and BMI 28.5, would the model still say diabetes?",
     [flt(ID(264)), wi("Insulin", "set", 150), wi("BMI", "set", 28.5), PRED]),
    ("for patient 272, what's the model's prediction and how sure is it", [flt(ID(272)), PRED, LIK]),
    ("what happens to patient 293's prediction if their blood pressure increases by 10",
     [flt(ID(293)), wi("BloodPressure", "increase", 10), PRED]),
    ("what are patient 304's feature values?", [flt(ID(304)), SHOW]),
    ("My question is about patient 319. Does the model think she has diabetes, and which of her measurements pushed the prediction that way the most?",
     [flt(ID(319)), PRED, EXP]),
    ("what would the model predict for patient 86 if she had 3 fewer pregnancies",
     [flt(ID(86)), wi("Pregnancies", "decrease", 3), PRED]),
    # ---- groups
    ("how many patients in the data are older than 50", [flt(C("Age", ">", 50)), COUNT]),
    ("how many patients with glucose over 150 are predicted to have diabetes",
     [flt(AND(C("Glucose", ">", 150), EQ("prediction", 1))), COUNT]),
    ("what's the accuracy for patients younger than 30 and what mistakes does it make",
     [flt(C("Age", "<", 30)), SCORE(), MIS("typical")]),
    ("show me patients with a BMI above 40 who are under 30", [flt(AND(C("BMI", ">", 40), C("Age", "<", 30))), SHOW]),
    ("what percent of patients with more than 5 pregnancies are predicted diabetic",
     [flt(C("Pregnancies", ">", 5)), STAT("prediction")], [S]),
    ("average glucose of people the model says have diabetes", [flt(EQ("prediction", 1)), STAT("Glucose")]),
    ("why does the model predict what it does for patients with an insulin of 0",
     [flt(EQ("Insulin", 0)), EXP]),
    ("what mistakes does the model make for patients over 60", [flt(C("Age", ">", 60)), MIS("typical")]),
    ("how many wrong predictions are there on patients with BMI under 25", [flt(C("BMI", "<", 25)), MIS("count")]),
    ("show examples where the model is wrong for people with blood pressure over 90",
     [flt(C("BloodPressure", ">", 90)), MIS("sample")]),
    ("precision for patients in their 30s", [flt(DECADE("Age", 30)), SCORE("precision")]),
    ("average BMI for patients between 40 and 50 years old", [flt(BETWEEN("Age", 40, 50)), STAT("BMI")]),
    ("what fraction of patients with glucose of at least 140 actually have diabetes",
     [flt(C("Glucose", ">=", 140)), STAT("target")], [S]),
    ("which features matter for patients with no pregnancies", [flt(EQ("Pregnancies", 0)), IMP()]),
    ("how many patients with a pedigree function above 1 are there",
     [flt(C("DiabetesPedigreeFunction", ">", 1)), COUNT]),
    ("predict for patients over 45 with BMI over 35 and explain why",
     [flt(AND(C("Age", ">", 45), C("BMI", ">", 35))), PRED, EXP]),
    ("what's the likelihood of diabetes for people with glucose below 100", [flt(C("Glucose", "<", 100)), LIK]),
    ("what would patients predicted to have diabetes need to change?", [flt(EQ("prediction", 1)), CF]),
    ("what are the true labels for patients with a skin thickness of 0", [flt(EQ("SkinThickness", 0)), LABELS]),
    ("how accurate is the model on patients with glucose under 120 or BMI under 30",
     [flt(OR(C("Glucose", "<", 120), C("BMI", "<", 30))), SCORE()]),
    ("how many patients who actually have diabetes does the model predict as not having it",
     [flt(AND(EQ("label", 1), EQ("prediction", 0))), COUNT]),
    ("show patients with three or more pregnancies and glucose above 160",
     [flt(AND(C("Pregnancies", ">=", 3), C("Glucose", ">", 160))), SHOW], [N]),
    ("f1 score for patients older than 40 with more than 2 pregnancies",
     [flt(AND(C("Age", ">", 40), C("Pregnancies", ">", 2))), SCORE("f1")]),
    ("what's the average insulin level of patients with diabetes in the data", [flt(EQ("label", 1)), STAT("Insulin")]),
    ("specificity on patients under 35", [flt(C("Age", "<", 35)), SCORE("specificity")]),
    ("what is the median age of patients predicted to not have diabetes", [flt(EQ("prediction", 0)), STAT("Age")]),
    ("how does the model do on patients 60 or over", [flt(C("Age", ">=", 60)), SCORE()]),
    ("for patients with BMI of at least 30 and age under 40, what's the probability of diabetes?",
     [flt(AND(C("BMI", ">=", 30), C("Age", "<", 40))), LIK]),
    ("For patients with a diabetes pedigree function over 0.8, show me the rows and tell me what the model predicts.",
     [flt(C("DiabetesPedigreeFunction", ">", 0.8)), SHOW, PRED]),
    # ---- group what-ifs
    ("what if all patients over 50 had their glucose lowered by 20",
     [flt(C("Age", ">", 50)), wi("Glucose", "decrease", 20), PRED]),
    ("if patients with BMI above 35 dropped their BMI to 25, how would the likelihood change",
     [flt(C("BMI", ">", 35)), wi("BMI", "set", 25), LIK]),
    ("what if every patient predicted to have diabetes had 30 less glucose, what would the model predict and why",
     [flt(EQ("prediction", 1)), wi("Glucose", "decrease", 30), PRED, EXP]),
    # ---- whole model
    ("what features does the model rely on", [IMP()]),
    ("most influential feature?", [IMP(top=1)]),
    ("give me the four most important features", [IMP(top=4)], [N]),
    ("is glucose more important than BMI", [IMP(feature="Glucose"), IMP(feature="BMI")]),
    ("how important is age for the model", [IMP(feature="Age")]),
    ("how acurate is the diabetes model", [SCORE()], [T]),
    ("what's the roc auc score", [SCORE("roc_auc")]),
    ("whats the recall", [SCORE("recall")]),
    ("is the model unfair to older patients", [BIAS("Age")]),
    ("what is DiabetesPedigreeFunction", [DEF("DiabetesPedigreeFunction")]),
    ("what does the SkinThickness column measure exactly", [DEF("SkinThickness")]),
    ("what data is this", [DDATA]),
    ("what kind of ML model is being used here", [DMODEL]),
    ("what rules does it use to predict diabeties", [RULES], [T]),
    ("which features interact with each other in the diabetes model", [INTER]),
    ("how does the prediction change with glucose", [DEP("Glucose")]),
    ("what are you able to do", [CAPS]),
    ("what kinds of mistakes does the model make", [MIS("typical")]),
    # ---- references / follow-ups
    ("ok go on please", [FOLLOW]),
    ("how many of these patients are over 40?", [PF, flt(C("Age", ">", 40)), COUNT]),
    ("what's the average glucose for those patients", [PF, STAT("Glucose")]),
    ("and for patients under 30?", [flt(C("Age", "<", 30)), REPEAT]),
    ("and if their glucose were 90?", [wi("Glucose", "set", 90), REPEAT]),
]

WORKSPACES = {"credit": CREDIT, "german": GERMAN, "compas": COMPAS, "diabetes": DIABETES}


def mask(df, e):
    """Boolean mask of a filter expression on the data (class leaves: label only)."""
    if "feature" in e:
        f, cmp, v = e["feature"], e["cmp"], e["value"]
        col = pd.Series(df.index, index=df.index) if f == "id" else df["__y" if f == "label" else f]
        return {"==": col == v, "!=": col != v, ">": col > v, ">=": col >= v, "<": col < v, "<=": col <= v}[cmp]
    if "not" in e:
        return ~mask(df, e["not"])
    (k, v), = e.items()
    ms = [mask(df, x) for x in v]
    out = ms[0]
    for m in ms[1:]:
        out = (out & m) if k == "and" else (out | m)
    return out


def strip_pred(e):
    """The expression without its prediction leaves (unknown without the model); None if empty."""
    if "feature" in e:
        return None if e["feature"] == "prediction" else e
    if "not" in e:
        s = strip_pred(e["not"])
        return None if s is None else {"not": s}
    (k, v), = e.items()
    kept = [s for s in (strip_pred(x) for x in v) if s is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else {k: kept}


def tags_for(df, question, steps, hand):
    tags = list(hand)
    ops = [s["op"] for s in steps]
    main = [o for o in ops if o not in ("filter", "previous_filter", "whatif")]
    lv = []
    for s in steps:
        if s["op"] == "filter":
            lv = leaves(s["where"])
            tags.append("filter")
    feats = [x["feature"] for x in lv]
    if "id" in feats:
        tags.append("id")
    if len(main) >= 2:
        tags.append("multi_op")
    if len([f for f in feats if f != "id"]) >= 2:
        tags.append("multi_cond")
    if "whatif" in ops:
        tags.append("whatif")
    if "previous_filter" in ops:
        tags.append("reference")
    if {"label", "prediction"} & set(feats):
        tags.append("class")
    num = [f for f in feats if f in df.columns and pd.api.types.is_numeric_dtype(df[f])]
    if any(f for f in set(num) if num.count(f) >= 2):
        tags.append("range")
    if any(f in df.columns and pd.api.types.is_numeric_dtype(df[f]) and set(df[f].unique()) <= {0, 1}
           for f in feats):
        tags.append("flag")
    if any(f in df.columns and not pd.api.types.is_numeric_dtype(df[f]) for f in feats):
        tags.append("category")
    words = len(question.split())
    if words <= 4:
        tags.append("short")
    if words >= 22:
        tags.append("long")
    for o in ops:
        if o not in ("filter",) and o not in tags:
            tags.append(o)
    seen = []
    for t in tags:
        if t not in seen:
            seen.append(t)
    return seen


def main():
    out = []
    problems = []
    for ws, items in WORKSPACES.items():
        path, idx = DATA[ws]
        df = pd.read_csv(path, index_col=idx)
        target = "risk" if ws == "credit" else "y"
        df = df.rename(columns={target: "__y"})
        for n, item in enumerate(items):
            q, steps = item[0], item[1]
            hand = item[2] if len(item) > 2 else []
            for s in steps:
                if s["op"] == "filter":
                    e = strip_pred(s["where"])
                    if e is not None and not mask(df, e).any():
                        problems.append(f"{ws} {q!r}: filter selects no row")
            out.append({"id": f"{ws}-3{n:03d}", "workspace": ws, "question": q,
                        "gold": {"steps": steps}, "tags": tags_for(df, q, steps, hand)})
        print(ws, len(items))
    for p in problems:
        print("PROBLEM", p)
    write_jsonl(os.path.join(HERE, "dev3.jsonl"), out, ensure_ascii=True)
    print(len(out), "items written")


if __name__ == "__main__":
    main()
