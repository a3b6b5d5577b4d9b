"""Build dev2.jsonl: 320 hand-written parser evaluation questions (80 per workspace).

    /work/main/.venv/bin/python bench/parser_eval/make_dev2.py

Questions and gold queries are written by hand below; tags are partly derived from
the gold (ops, filter, id, class, flag, category, range, multi_cond, multi_op,
whatif, reference, followup) and partly given by hand (typo, numbers_in_words,
share, short, long).
"""
import os

from gold import (AND, BETWEEN, C, CAPABILITIES, COMPAS_FLAGS, COUNT, COUNTERFACTUAL, CREDIT_CATEGORIES, DECADE,
                  DESCRIBE_DATA, DESCRIBE_MODEL, EQ, FOLLOWUP, ID, IDS, INTERACTIONS, LABEL, LABELS, LIKELIHOOD, NOT,
                  OR, PRED, PREDICT, REPEAT, RULES, SHOW, bias, define, dependence, explain, filter_, importance,
                  leaves, mistakes, op, previous_filter, score, statistic, whatif, write_jsonl)

HERE = os.path.dirname(os.path.abspath(__file__))

FLAGS = {
    "german": {"Gender", "ForeignWorker", "Single", "HasTelephone", "CheckingAccountBalanceGreaterOrEqualTo0",
               "CheckingAccountBalanceGreaterOrEqualThan200", "SavingsAccountBalanceGreaterOrEqualThan200",
               "SavingsAccountBalanceGreaterOrEqualThan500", "MissedPayments", "NoCurrentLoan",
               "CriticalAccountOrLoansElsewhere", "OtherLoansAtBank", "OtherLoansAtStore", "HasCoapplicant",
               "HasGuarantor", "OwnsHouse", "RentsHouse", "Unemployed", "YearsAtCurrentJobLessThan1",
               "YearsAtCurrentJobGreaterOrEqualThan4", "JobClassIsSkilled", "loanpurposeBusiness",
               "loanpurposeEducation", "loanpurposeElectronics", "loanpurposeFurniture",
               "loanpurposeHomeAppliances", "loanpurposeNewCar", "loanpurposeOther", "loanpurposeRepairs",
               "loanpurposeRetraining", "loanpurposeUsedCar"},
    "compas": COMPAS_FLAGS,
    "credit": set(), "diabetes": set(),
}
CATS = {"credit": CREDIT_CATEGORIES}

F, P, W, O = filter_, previous_filter, whatif, op
LIKE, CF, FOLLOW, INTER = LIKELIHOOD, COUNTERFACTUAL, FOLLOWUP, INTERACTIONS
DDATA, DMODEL, CAPS = DESCRIBE_DATA, DESCRIBE_MODEL, CAPABILITIES
EXPLAIN, SCORE, MIS, IMP, STAT, BIAS, DEP, DEFINE = (explain, score, mistakes, importance, statistic, bias,
                                                     dependence, define)


ITEMS = {"credit": [], "german": [], "compas": [], "diabetes": []}


def Q(ws, question, steps, *tags):
    ITEMS[ws].append((question, steps, list(tags)))


# =====================================================================================
# credit
# =====================================================================================
c = lambda q, s, *t: Q("credit", q, s, *t)

# 1. applicant who was refused (applicant 59, a 23-year-old woman who rents)
c("Hi, I applied for a loan and got turned down. My file is applicant 59. Why did the model say no to me?",
  [F(ID(59)), EXPLAIN()], "long")
c("What would I have to change to get approved? I'm applicant 59.", [F(ID(59)), CF])
c("How close was I? Like, what probability did the model give applicant 59 for being a good risk?",
  [F(ID(59)), LIKE])
c("If I asked for a smaller loan, say 3000 instead, would applicant 59 be approved then?",
  [F(ID(59)), W("credit_amount", "set", 3000), PREDICT])
c("What if applicant 59 was ten years older, would the answer change?",
  [F(ID(59)), W("age", "increase", 10), PREDICT], "numbers_in_words")
c("Honestly I'm worried the model is unfair to women. Is it?", [BIAS("sex")])
c("How many women my age (23) does the model deny?",
  [F(AND(EQ("sex", "female"), EQ("age", 23), PRED(0))), COUNT])
c("Which features matter the most to the model when it decides?", [IMP()])
c("I rent my flat. How important is housing to the model?", [IMP(feature="housing")])
c("What share of people who rent get approved?", [F(EQ("housing", "rent")), STAT("prediction")], "share")

# 2. compliance auditor, formal
c("Please report the model's accuracy on the full data set.", [SCORE()])
c("Provide the precision and recall of the model for female applicants.",
  [F(EQ("sex", "female")), SCORE("precision"), SCORE("recall")])
c("Kindly assess whether the model exhibits bias with respect to applicant age.", [BIAS("age")])
c("Report the number of applicants aged sixty or above who are classified as bad credit risks.",
  [F(AND(C("age", ">=", 60), PRED(0))), COUNT], "numbers_in_words")
c("For audit purposes, list the records of applicants with a credit amount exceeding 12000 DM who live in free housing.",
  [F(AND(C("credit_amount", ">", 12000), EQ("housing", "free"))), SHOW])
c("Please state the number of cases in which the model's classification is incorrect.", [MIS("count")])
c("Describe the type of model under review.", [DMODEL])
c("Provide the if-then decision rules the model follows for applicants whose savings are recorded as 'little'.",
  [F(EQ("saving_accounts", "little")), RULES])
c("Determine the proportion of applicants over 50 whose true outcome was good credit risk.",
  [F(C("age", ">", 50)), STAT("target")], "share")
c("Identify the specificity and the F1 score of the model on applicants holding rich checking accounts.",
  [F(EQ("checking_account", "rich")), SCORE("specificity"), SCORE("f1")])

# 3. journalist investigating bias
c("I'm writing a story on algorithmic lending. Does this model treat men and women differently?", [BIAS("sex")])
c("How many women does the model reject?", [F(AND(EQ("sex", "female"), PRED(0))), COUNT])
c("What percentage of male applicants are denied?", [F(EQ("sex", "male")), STAT("prediction")], "share")
c("And the share of women under 30 who get a no from the model?",
  [F(AND(EQ("sex", "female"), C("age", "<", 30))), STAT("prediction")], "share")
c("Before I go further: what can you actually do?", [CAPS])
c("Show me some applicants over 65 that the model turned down.", [F(AND(C("age", ">", 65), PRED(0))), SHOW])
c("For applicants over 60, what are the typical mistakes the model makes?", [F(C("age", ">", 60)), MIS("typical")])
c("How accurate is the model when the applicant is a woman who rents?",
  [F(AND(EQ("sex", "female"), EQ("housing", "rent"))), SCORE()])
c("Why were those people rejected?", [P(), EXPLAIN()])
c("For my piece: how does the prediction change as the loan amount goes up?", [DEP("credit_amount")])

# 4. statistics student
c("What's the mean and spread of the credit amount?", [STAT("credit_amount")])
c("What's the average duration of loans taken out for repairs?", [F(EQ("purpose", "repairs")), STAT("duration")])
c("compute the ROC AUC of the classifier", [SCORE("roc_auc")])
c("Which pairs of features interact most strongly in the model?", [INTER])
c("Using SHAP, explain the predictions for applicants between 30 and 40 years old.",
  [F(AND(BETWEEN("age", 30, 40))), EXPLAIN("shap")])
c("What's the F1 score for applicants in their twenties?", [F(AND(DECADE("age", 20))), SCORE("f1")],
  "numbers_in_words")
c("What fraction of loans with a duration of 48 months or more were actually good risks?",
  [F(C("duration", ">=", 48)), STAT("target")], "share")
c("How many applicants have an unknown checking account status and unknown savings?",
  [F(AND(EQ("checking_account", "not_known"), EQ("saving_accounts", "not_known"))), COUNT])
c("Explain applicant 250 with LIME please.", [F(ID(250)), EXPLAIN("lime")])
c("What's the negative predictive value on the subset with moderate savings?",
  [F(EQ("saving_accounts", "moderate")), SCORE("npv")])

# 5. non-native speaker
c("Please, how much people is in the data with age more than fifty and house rent?",
  [F(AND(C("age", ">", 50), EQ("housing", "rent"))), COUNT], "numbers_in_words")
c("The model, what it predict for the applicant number seven?", [F(ID(7)), PREDICT], "numbers_in_words")
c("I want know why the applicant 7 have this prediction.", [F(ID(7)), EXPLAIN()])
c("If the applicant 7 have saving account rich, it change the decision?",
  [F(ID(7)), W("saving_accounts", "set", "rich"), PREDICT])
c("Which is the most important feature for the model?", [IMP(top=1)])
c("Is possible to see the persons with job highly skilled and credit more than 10000?",
  [F(AND(EQ("job", 3), C("credit_amount", ">", 10000))), SHOW])
c("For the womans what is the accuracy of model?", [F(EQ("sex", "female")), SCORE()], "typo")
c("What mean the feature checking_account?", [DEFINE("checking_account")])
c("How much sure is the model for applicant 33 and 34?", [F(IDS(33, 34)), LIKE])
c("What data you are using? Explain me the dataset.", [DDATA])

# 6. typing fast on a phone
c("how many ppl w/ quite rich savings got approved",
  [F(AND(EQ("saving_accounts", "quite rich"), PRED(1))), COUNT], "typo")
c("predict for id 412 pls", [F(ID(412)), PREDICT])
c("y was 412 rejected", [F(ID(412)), EXPLAIN()], "typo")
c("wat if 412 was 35 yrs old", [F(ID(412)), W("age", "set", 35), PREDICT], "typo")
c("and if they were 50??", [W("age", "set", 50), REPEAT])
c("more pls", [FOLLOW])
c("show ppl under 25 w/ car loans", [F(AND(C("age", "<", 25), EQ("purpose", "car"))), SHOW], "typo")
c("of those how many r women", [P(), F(EQ("sex", "female")), COUNT], "typo")
c("acc on those?", [P(), SCORE()])
c("top 5 features", [IMP(top=5)])

# 7. loan officer
c("Client 120 is asking about her application. What did the model predict, and how confident was it?",
  [F(ID(120)), PREDICT, LIKE])
c("Client 120 wants to borrow two thousand DM more. Would the model still approve her?",
  [F(ID(120)), W("credit_amount", "increase", 2000), PREDICT], "numbers_in_words")
c("If applicant 88 shortened the loan to twelve months and had moderate savings, what would his probability of approval be?",
  [F(ID(88)), W("duration", "set", 12), W("saving_accounts", "set", "moderate"), LIKE], "numbers_in_words")
c("What's the smallest change that would flip the decision for #300?", [F(ID(300)), CF])
c("Pull up applicants 15, 16 and 17.", [F(IDS(15, 16, 17)), SHOW])
c("For customers who own their home and have little in checking, what does the model usually predict?",
  [F(AND(EQ("housing", "own"), EQ("checking_account", "little"))), PREDICT])
c("Among applicants borrowing for business, how many does the model turn down?",
  [F(AND(EQ("purpose", "business"), PRED(0))), COUNT])
c("What if all our radio/TV applicants asked for 1000 DM less?",
  [F(EQ("purpose", "radio/TV")), W("credit_amount", "decrease", 1000), PREDICT])
c("What if the furniture/equipment applicants took their loans over 6 more months?",
  [F(EQ("purpose", "furniture/equipment")), W("duration", "increase", 6), PREDICT])
c("What is the true outcome recorded for record 512?", [F(ID(512)), LABELS])

# 8. data scientist
c("Give me the global feature importances.", [IMP()])
c("Run SHAP on applicant 3.", [F(ID(3)), EXPLAIN("shap")])
c("What's the model's recall for applicants whose checking_account is little or moderate?",
  [F(OR(EQ("checking_account", "little"), EQ("checking_account", "moderate"))), SCORE("recall")])
c("Partial dependence of the prediction on duration?", [DEP("duration")])
c("Sample some misclassified rows where credit_amount is above 8000.",
  [F(C("credit_amount", ">", 8000)), MIS("sample")])
c("How many errors does it make on applicants whose housing is other than 'own'?",
  [F(C("housing", "!=", "own")), MIS("count")])
c("Show me the rows where the true label is bad risk but the model predicts good risk.",
  [F(AND(LABEL(0), PRED(1))), SHOW])
c("What if every applicant were 5 years younger - what's the accuracy then?",
  [W("age", "decrease", 5), SCORE()])
c("accuracy for job == 3 applicants, and the F1 too", [F(EQ("job", 3)), SCORE(), SCORE("f1")])
c("Explain the predictions for everyone except women over 60, using LIME.",
  [F(NOT(AND(EQ("sex", "female"), C("age", ">", 60)))), EXPLAIN("lime")])

# =====================================================================================
# german
# =====================================================================================
g = lambda q, s, *t: Q("german", q, s, *t)

# 1. foreign worker who applied (applicant 859)
g("I'm a foreign worker and I'm applicant 859. Did the model approve me?", [F(ID(859)), PREDICT])
g("Why? What drove the decision for applicant 859?", [F(ID(859)), EXPLAIN()])
g("Would it be different if I was not a foreign worker? (still applicant 859)",
  [F(ID(859)), W("ForeignWorker", "set", 0), PREDICT])
g("Is the model biased against foreign workers?", [BIAS("ForeignWorker")])
g("How many foreign workers under 30 are there in the data?", [F(AND(EQ("ForeignWorker", 1), C("Age", "<", 30))), COUNT])
g("Out of them, how many got a bad risk prediction?", [P(), F(PRED(0)), COUNT])
g("What would I need to change to be seen as a good risk? Applicant 859.", [F(ID(859)), CF])
g("If my loan were only 12 months long, what's my chance of approval? I'm 859.",
  [F(ID(859)), W("LoanDuration", "set", 12), LIKE])
g("What share of foreign workers does the model consider good risks?",
  [F(EQ("ForeignWorker", 1)), STAT("prediction")], "share")
g("ok, go on", [FOLLOW])

# 2. credit risk analyst, formal
g("Report the model's overall accuracy.", [SCORE()])
g("Provide the number of applicants with a checking account balance of at least 200 who are predicted to be bad credit risks.",
  [F(AND(EQ("CheckingAccountBalanceGreaterOrEqualThan200", 1), PRED(0))), COUNT], "long")
g("State the accuracy of the model for applicants with missed payments and no telephone.",
  [F(AND(EQ("MissedPayments", 1), EQ("HasTelephone", 0))), SCORE()])
g("List the applicants whose loan amount exceeds 10,000 and whose duration is 36 months or longer.",
  [F(AND(C("LoanAmount", ">", 10000), C("LoanDuration", ">=", 36))), SHOW])
g("Rank the features by importance for unemployed applicants without a telephone.",
  [F(AND(EQ("Unemployed", 1), EQ("HasTelephone", 0))), IMP()])
g("Provide the typical misclassifications among renters.", [F(EQ("RentsHouse", 1)), MIS("typical")])
g("Indicate the model's recall and precision for applicants with savings of 500 or more.",
  [F(EQ("SavingsAccountBalanceGreaterOrEqualThan500", 1)), SCORE("recall"), SCORE("precision")])
g("Please define the feature LoanRateAsPercentOfIncome.", [DEFINE("LoanRateAsPercentOfIncome")])
g("For applicants 993 and 859, provide the predicted class and the class probabilities.",
  [F(IDS(993, 859)), PREDICT, LIKE])
g("Determine the proportion of single applicants over 40 whose actual outcome was good credit risk.",
  [F(AND(EQ("Single", 1), C("Age", ">", 40))), STAT("target")], "share")

# 3. student writing a thesis on fairness
g("Does the model treat women differently from men?", [BIAS("Gender")])
g("What's the average loan amount for women?", [F(EQ("Gender", 0)), STAT("LoanAmount")])
g("And the average for men?", [F(EQ("Gender", 1)), REPEAT])
g("How does the predicted outcome vary with age?", [DEP("Age")])
g("What's the accuracy for female applicants in their twenties?",
  [F(AND(EQ("Gender", 0), DECADE("Age", 20))), SCORE()], "numbers_in_words")
g("What if every woman in the data were a man, would predictions change?",
  [F(EQ("Gender", 0)), W("Gender", "set", 1), PREDICT])
g("what fraction of men aged 25 to 35 does the model predict as bad risks?",
  [F(AND(EQ("Gender", 1), BETWEEN("Age", 25, 35))), STAT("prediction")], "share")
g("Which features interact with each other most?", [INTER])
g("Give me the if-then rules the model uses.", [RULES])
g("Is Age important to the model?", [IMP(feature="Age")])

# 4. non-native speaker
g("How many applicant are having a guarantor or a coapplicant?",
  [F(OR(EQ("HasGuarantor", 1), EQ("HasCoapplicant", 1))), COUNT])
g("What is predict of the model for applicant 5, and how much sure it is?", [F(ID(5)), PREDICT, LIKE])
g("Why the model is deciding this for applicant 5? Please with SHAP.", [F(ID(5)), EXPLAIN("shap")])
g("If applicant 5 is owning the house, the prediction will be other?",
  [F(ID(5)), W("OwnsHouse", "set", 1), PREDICT])
g("Show me the applicants which are single and have more than 50 years.",
  [F(AND(EQ("Single", 1), C("Age", ">", 50))), SHOW])
g("For the people with loan for new car, what kind of mistakes is the model making?",
  [F(EQ("loanpurposeNewCar", 1)), MIS("typical")])
g("Give me please some examples where model is wrong.", [MIS("sample")])
g("What means NumberOfLiableIndividuals?", [DEFINE("NumberOfLiableIndividuals")])
g("The model is fair for the age? I am asking about discrimination.", [BIAS("Age")])
g("Applicant 14, how much probability for good credit?", [F(ID(14)), LIKE])

# 5. typing fast on a phone
g("how many single ppl under 30", [F(AND(EQ("Single", 1), C("Age", "<", 30))), COUNT])
g("acc for that group?", [P(), SCORE()])
g("wat abt ppl w/ a coapplicant", [F(EQ("HasCoapplicant", 1)), REPEAT], "typo")
g("predict 993", [F(ID(993)), PREDICT])
g("why 993 bad risk??", [F(ID(993)), EXPLAIN()])
g("wat if 993 had no missed paymnts", [F(ID(993)), W("MissedPayments", "set", 0), PREDICT], "typo")
g("and if they were 25 y/o?", [W("Age", "set", 25), REPEAT])
g("show unemployed ppl w/ loans over 5k", [F(AND(EQ("Unemployed", 1), C("LoanAmount", ">", 5000))), SHOW])
g("more", [FOLLOW])
g("top 3 feats", [IMP(top=3)])

# 6. loan officer at a small bank
g("Applicant 230 is in my office right now. What's the model's verdict on him, and why?",
  [F(ID(230)), PREDICT, EXPLAIN()])
g("If he added a guarantor, would that help? Applicant 230.", [F(ID(230)), W("HasGuarantor", "set", 1), PREDICT])
g("What if applicant 230 asked for 1500 less and paid it back over 24 months?",
  [F(ID(230)), W("LoanAmount", "decrease", 1500), W("LoanDuration", "set", 24), PREDICT])
g("How many business loan applicants does the model approve?",
  [F(AND(EQ("loanpurposeBusiness", 1), PRED(1))), COUNT])
g("What share of applicants borrowing for a used car turn out, in reality, to be good risks?",
  [F(EQ("loanpurposeUsedCar", 1)), STAT("target")], "share")
g("For homeowners with a skilled job, what does the model predict?",
  [F(AND(EQ("OwnsHouse", 1), EQ("JobClassIsSkilled", 1))), PREDICT])
g("Show me applicants 31, 34 and 45.", [F(IDS(31, 34, 45)), SHOW])
g("What's the true label of applicant 31?", [F(ID(31)), LABELS])
g("For people who've been at their job four years or more, what's the precision?",
  [F(EQ("YearsAtCurrentJobGreaterOrEqualThan4", 1)), SCORE("precision")], "numbers_in_words")
g("How do predictions change as the loan duration gets longer?", [DEP("LoanDuration")])

# 7. journalist
g("Does this credit model discriminate against women?", [BIAS("Gender")])
g("How many women over 50 are rated bad risks by the model?",
  [F(AND(EQ("Gender", 0), C("Age", ">", 50), PRED(0))), COUNT])
g("What are the model's most common errors for foreign workers who rent?",
  [F(AND(EQ("ForeignWorker", 1), EQ("RentsHouse", 1))), MIS("typical")])
g("Of the women who were truly good risks, how many did the model predict as bad?",
  [F(AND(EQ("Gender", 0), LABEL(1), PRED(0))), COUNT])
g("Show me those women.", [P(), SHOW])
g("What's the model's F1 score on applicants who are 60 or older?", [F(C("Age", ">=", 60)), SCORE("f1")])
g("I'd like to understand the model itself. What is it?", [DMODEL])
g("What does the data set contain?", [DDATA])
g("Is the instalment rate as a percent of income an important factor?", [IMP(feature="LoanRateAsPercentOfIncome")])
g("What proportion of applicants with a telephone are predicted good risks?",
  [F(EQ("HasTelephone", 1)), STAT("prediction")], "share")

# 8. ML engineer
g("LIME explanation for applicant 122, please.", [F(ID(122)), EXPLAIN("lime")])
g("Roc auc?", [SCORE("roc_auc")])
g("Which feature is the single most important?", [IMP(top=1)])
g("Compute specificity on the subset where NumberOfOtherLoansAtBank is 2 or more.",
  [F(C("NumberOfOtherLoansAtBank", ">=", 2)), SCORE("specificity")])
g("How many misclassifications among applicants with a loan rate of 4 percent of income?",
  [F(EQ("LoanRateAsPercentOfIncome", 4)), MIS("count")])
g("Filter to applicants who either rent or have no current loan, then give me the model's predictions.",
  [F(OR(EQ("RentsHouse", 1), EQ("NoCurrentLoan", 1))), PREDICT])
g("Increase LoanAmount by 2000 for everybody and give me the new accuracy.",
  [W("LoanAmount", "increase", 2000), SCORE()])
g("Explain the model's predictions for applicants whose checking balance is negative and who have missed payments, with SHAP.",
  [F(AND(EQ("CheckingAccountBalanceGreaterOrEqualTo0", 0), EQ("MissedPayments", 1))), EXPLAIN("shap")], "long")
g("List the rows where the true label is good risk but the model predicts bad risk.",
  [F(AND(LABEL(1), PRED(0))), SHOW])
g("Same thing but for rows labeled bad and predicted good.", [F(AND(LABEL(0), PRED(1))), REPEAT])

# =====================================================================================
# compas
# =====================================================================================
k = lambda q, s, *t: Q("compas", q, s, *t)

# 1. a defendant's sister (defendant 1595, 55-year-old man)
k("My brother is defendant 1595. What does the model say about him?", [F(ID(1595)), PREDICT])
k("Why does it think defendant 1595 will commit another crime?", [F(ID(1595)), EXPLAIN()])
k("He has 17 prior crimes. If he had only 5, would the model change its mind? (defendant 1595)",
  [F(ID(1595)), W("number_of_prior_crimes", "set", 5), PREDICT])
k("What probability does the model give defendant 1595?", [F(ID(1595)), LIKE])
k("What would have to be different for him to be rated low risk? I mean defendant 1595.", [F(ID(1595)), CF])
k("Are black defendants treated unfairly by this model?", [BIAS("black")])
k("How many people his age, 55, are predicted likely to commit a crime?",
  [F(AND(EQ("age", 55), PRED(0))), COUNT])
k("What is the number of prior crimes on average?", [STAT("number_of_prior_crimes")])
k("Does the time spent in jail matter a lot for the model?", [IMP(feature="months_in_jail")])
k("What if he were 10 years older? Defendant 1595.", [F(ID(1595)), W("age", "increase", 10), PREDICT])

# 2. judge's clerk, formal
k("Please provide the predicted risk classification for case 2116.", [F(ID(2116)), PREDICT])
k("Provide the model's explanation for case 2116, using SHAP.", [F(ID(2116)), EXPLAIN("shap")])
k("State the number of defendants charged with a felony who have more than ten prior crimes.",
  [F(AND(EQ("felony", 1), C("number_of_prior_crimes", ">", 10))), COUNT], "numbers_in_words")
k("Provide the model's accuracy and F1 score for defendants charged with misdemeanors.",
  [F(EQ("misdemeanor", 1)), SCORE(), SCORE("f1")])
k("List defendants 3, 50 and 57.", [F(IDS(3, 50, 57)), SHOW])
k("Please indicate the recorded ground-truth class for case 57.", [F(ID(57)), LABELS])
k("Describe the data available to the court.", [DDATA])
k("Explain what the feature months_in_jail represents.", [DEFINE("months_in_jail")])
k("Report the precision of the model for defendants aged 50 or above.", [F(C("age", ">=", 50)), SCORE("precision")])
k("Indicate the probability the model would assign to case 2116 had the defendant spent no months in jail.",
  [F(ID(2116)), W("months_in_jail", "set", 0), LIKE])

# 3. journalist investigating racial bias
k("Is this risk model biased against black defendants?", [BIAS("black")])
k("What share of black defendants does the model flag as likely to reoffend?",
  [F(EQ("black", 1)), STAT("prediction")], "share")
k("What share of non-black defendants does it flag as likely to reoffend?",
  [F(EQ("black", 0)), STAT("prediction")], "share")
k("How many black defendants with no prior crimes are predicted to commit a crime?",
  [F(AND(EQ("black", 1), EQ("number_of_prior_crimes", 0), PRED(0))), COUNT])
k("Show me those cases.", [P(), SHOW])
k("Why did the model rate those defendants as high risk?", [P(), EXPLAIN()])
k("Among black defendants with no recorded recidivism (recidivated = 0), how many were predicted likely to commit a crime?",
  [F(AND(EQ("black", 1), EQ("recidivated", 0), PRED(0))), COUNT], "long")
k("What's the model's accuracy on black women?", [F(AND(EQ("black", 1), EQ("woman", 1))), SCORE()])
k("Is the model fair to women?", [BIAS("woman")])
k("How do predictions change with the number of priors?", [DEP("number_of_prior_crimes")])

# 4. criminology student
k("What's the overall F1 of the model?", [SCORE("f1")])
k("Compute recall and precision for defendants younger than 25.",
  [F(C("age", "<", 25)), SCORE("recall"), SCORE("precision")])
k("Which three features matter most?", [IMP(top=3)], "numbers_in_words")
k("Give summary statistics of months in jail for defendants with at least five priors.",
  [F(C("number_of_prior_crimes", ">=", 5)), STAT("months_in_jail")], "numbers_in_words")
k("What interactions between features does the model rely on?", [INTER])
k("What fraction of defendants in their 40s are marked as recidivated?",
  [F(AND(DECADE("age", 40))), STAT("recidivated")], "share")
k("Give me the decision rules for women with felony charges.", [F(AND(EQ("woman", 1), EQ("felony", 1))), RULES])
k("What's the average age of men predicted to be low risk?", [F(AND(EQ("man", 1), PRED(1))), STAT("age")])
k("Using LIME, explain defendant 10239.", [F(ID(10239)), EXPLAIN("lime")])
k("How many defendants are between 30 and 40 years old?", [F(AND(BETWEEN("age", 30, 40))), COUNT])

# 5. non-native speaker
k("How many womans are in the data with felony?", [F(AND(EQ("woman", 1), EQ("felony", 1))), COUNT], "typo")
k("For defendant 4861, the model say he will commit crime or not?", [F(ID(4861)), PREDICT])
k("Why the model think like this for 4861?", [F(ID(4861)), EXPLAIN()])
k("If 4861 have zero prior crimes, what is the prediction then?",
  [F(ID(4861)), W("number_of_prior_crimes", "set", 0), PREDICT], "numbers_in_words")
k("How much important is the number of prior crimes for the model?", [IMP(feature="number_of_prior_crimes")])
k("Show me people who have more than 20 months in jail and also are women.",
  [F(AND(C("months_in_jail", ">", 20), EQ("woman", 1))), SHOW])
k("What mistakes the model make for young people under 21?", [F(C("age", "<", 21)), MIS("typical")])
k("What is meaning of misdemeanor here?", [DEFINE("misdemeanor")])
k("Accuracy of model for the peoples with no priors, please.", [F(EQ("number_of_prior_crimes", 0)), SCORE()])
k("What you can do for me?", [CAPS])

# 6. typing fast on a phone
k("how many ppl predicted to reoffend", [F(PRED(0)), COUNT])
k("of those how many black", [P(), F(EQ("black", 1)), COUNT])
k("show ppl w/ 0 priors & a felony charge",
  [F(AND(EQ("number_of_prior_crimes", 0), EQ("felony", 1))), SHOW])
k("whats the prediction 4 id 7335", [F(ID(7335)), PREDICT], "typo")
k("explain 7335 w/ shap", [F(ID(7335)), EXPLAIN("shap")])
k("if 7335 was 40 wat happens", [F(ID(7335)), W("age", "set", 40), PREDICT], "typo")
k("n if he was 60 instead?", [W("age", "set", 60), REPEAT], "typo")
k("keep going", [FOLLOW])
k("acc for ppl over 45 w/ 3+ priors", [F(AND(C("age", ">", 45), C("number_of_prior_crimes", ">=", 3))), SCORE()])
k("most important feature?", [IMP(top=1)])

# 7. public defender
k("My client, defendant 6304, was flagged as high risk. What exactly would need to change for a low-risk rating?",
  [F(ID(6304)), CF], "long")
k("For defendant 6304: if his prior count dropped by 4, what's the probability he'd be rated low risk?",
  [F(ID(6304)), W("number_of_prior_crimes", "decrease", 4), LIKE])
k("How many defendants with 9 priors are rated low risk by the model?",
  [F(AND(EQ("number_of_prior_crimes", 9), PRED(1))), COUNT])
k("Show me defendants aged 27 with a felony charge who the model thinks are unlikely to commit a crime.",
  [F(AND(EQ("age", 27), EQ("felony", 1), PRED(1))), SHOW])
k("How confident is the model about my client 6304?", [F(ID(6304)), LIKE])
k("Is age an important factor in the model's decisions?", [IMP(feature="age")])
k("What would the model predict for defendants under 25 if they had spent zero months in jail?",
  [F(C("age", "<", 25)), W("months_in_jail", "set", 0), PREDICT], "numbers_in_words")
k("How accurate is the model for people like my client: men with more than 5 priors?",
  [F(AND(EQ("man", 1), C("number_of_prior_crimes", ">", 5))), SCORE()])
k("What kind of mistakes does the model make on black men?", [F(AND(EQ("black", 1), EQ("man", 1))), MIS("typical")])
k("What are the true labels recorded for defendants 6304 and 4861?", [F(IDS(6304, 4861)), LABELS])

# 8. data scientist auditing the tool
k("What type of model is this, and what data was it trained on?", [DMODEL, DDATA])
k("roc auc on the full set", [SCORE("roc_auc")])
k("Give me the specificity for women who are not black.", [F(AND(EQ("woman", 1), EQ("black", 0))), SCORE("specificity")])
k("Show a sample of misclassified defendants older than 60.", [F(C("age", ">", 60)), MIS("sample")])
k("How many misclassifications are there among women?", [F(EQ("woman", 1)), MIS("count")])
k("Increase months_in_jail by 12 for everyone and report the likelihoods.",
  [W("months_in_jail", "increase", 12), LIKE])
k("What share of the misdemeanor cases does the model predict as unlikely to reoffend?",
  [F(EQ("misdemeanor", 1)), STAT("prediction")], "share")
k("Everyone except black men: what's the accuracy?", [F(NOT(AND(EQ("black", 1), EQ("man", 1)))), SCORE()])
k("For defendants with 1 to 3 priors, show the dependence of the prediction on age.",
  [F(AND(BETWEEN("number_of_prior_crimes", 1, 3))), DEP("age")])
k("Rows where the label is 'likely to commit a crime' but the model says unlikely - how many?",
  [F(AND(LABEL(0), PRED(1))), COUNT])

# =====================================================================================
# diabetes
# =====================================================================================
d = lambda q, s, *t: Q("diabetes", q, s, *t)

# 1. nurse
d("I have patient 378 in front of me. Does the model think she has diabetes?", [F(ID(378)), PREDICT])
d("What's driving that prediction for patient 378?", [F(ID(378)), EXPLAIN()])
d("If her glucose came down to 120, would the model still flag her? Patient 378.",
  [F(ID(378)), W("Glucose", "set", 120), PREDICT])
d("How many patients over 60 are predicted diabetic?", [F(AND(C("Age", ">", 60), PRED(1))), COUNT])
d("Show me patients with a BMI above 40 and glucose over 150.",
  [F(AND(C("BMI", ">", 40), C("Glucose", ">", 150))), SHOW])
d("Of those, how many actually have diabetes?", [P(), F(LABEL(1)), COUNT])
d("What's the model's recall? I care about not missing diabetics.", [SCORE("recall")])
d("Patient 206 - what does the model predict, and how sure is it?", [F(ID(206)), PREDICT, LIKE])
d("What would need to change for patient 206 to be classed as not diabetic?", [F(ID(206)), CF])
d("If patient 206 lost enough weight to drop her BMI by 5, what would the probability be?",
  [F(ID(206)), W("BMI", "decrease", 5), LIKE])

# 2. worried patient (patient 51)
d("I'm patient 51 and I'm scared. Does the computer say I have diabetes?", [F(ID(51)), PREDICT])
d("Why does it say that about me? I'm number 51. And what would I need to change?",
  [F(ID(51)), EXPLAIN(), CF])
d("My blood pressure was 50 at the test. What if it had been 80, would anything change for patient 51?",
  [F(ID(51)), W("BloodPressure", "set", 80), PREDICT])
d("Is age important in how it decides?", [IMP(feature="Age")])
d("How many women my age, 26, are predicted to have diabetes?", [F(AND(EQ("Age", 26), PRED(1))), COUNT])
d("What does 'diabetes pedigree function' mean?", [DEFINE("DiabetesPedigreeFunction")])
d("Which things matter most to the model?", [IMP()])
d("What's the chance the model gives me? patient 51", [F(ID(51)), LIKE])
d("What share of patients under 30 does the model say are diabetic?",
  [F(C("Age", "<", 30)), STAT("prediction")], "share")
d("Can you tell me more?", [FOLLOW])

# 3. endocrinology researcher, formal
d("Report the accuracy, precision and recall of the classifier.",
  [SCORE(), SCORE("precision"), SCORE("recall")])
d("Provide summary statistics for plasma glucose among patients with a positive ground-truth diagnosis.",
  [F(LABEL(1)), STAT("Glucose")])
d("Characterise the dependence of the model's output on BMI.", [DEP("BMI")])
d("Identify the strongest feature interactions.", [INTER])
d("Determine the proportion of patients aged 50 or older who truly have diabetes.",
  [F(C("Age", ">=", 50)), STAT("target")], "share")
d("Report the number of patients with diastolic blood pressure between 80 and 90 mm Hg.",
  [F(AND(BETWEEN("BloodPressure", 80, 90))), COUNT])
d("Provide the decision rules that the model applies to patients with six or more pregnancies.",
  [F(C("Pregnancies", ">=", 6)), RULES], "numbers_in_words")
d("Evaluate the model for bias with respect to age.", [BIAS("Age")])
d("Please describe the data set used.", [DDATA])
d("Evaluate the ROC AUC for patients whose insulin and skin thickness are both recorded as 0.",
  [F(AND(EQ("Insulin", 0), EQ("SkinThickness", 0))), SCORE("roc_auc")])

# 4. student
d("What's the average BMI of patients the model predicts as non-diabetic?", [F(PRED(0)), STAT("BMI")])
d("Give me the top 4 features.", [IMP(top=4)])
d("Explain patient 5's prediction using LIME.", [F(ID(5)), EXPLAIN("lime")])
d("How do the predictions change as glucose increases?", [DEP("Glucose")])
d("What's the F1 score for patients in their 30s?", [F(AND(DECADE("Age", 30))), SCORE("f1")])
d("How many patients have a skin thickness of 0?", [F(EQ("SkinThickness", 0)), COUNT])
d("What's the negative predictive value?", [SCORE("npv")])
d("What kind of model are we looking at?", [DMODEL])
d("Show me patients 4, 8 and 10.", [F(IDS(4, 8, 10)), SHOW])
d("And the true labels for the same people?", [P(), LABELS])

# 5. non-native speaker
d("How many patient have glucose more high than 140 and age under 40?",
  [F(AND(C("Glucose", ">", 140), C("Age", "<", 40))), COUNT])
d("The patient 40, she is diabetic according the model?", [F(ID(40)), PREDICT])
d("Why the model decide so for patient 40?", [F(ID(40)), EXPLAIN()])
d("If patient 40 has insulin 100 more, what happen?", [F(ID(40)), W("Insulin", "increase", 100), PREDICT])
d("I want see patients with age less than 25 and pregnancies more than 2.",
  [F(AND(C("Age", "<", 25), C("Pregnancies", ">", 2))), SHOW])
d("For the patients with BMI under 25 and no pregnancies, how good is model?",
  [F(AND(C("BMI", "<", 25), EQ("Pregnancies", 0))), SCORE()])
d("What kind of mistakes the model is making often?", [MIS("typical")])
d("The blood pressure is important for model?", [IMP(feature="BloodPressure")])
d("Patient 41 and patient 43, what is the probability of diabetes of each one?", [F(IDS(41, 43)), LIKE])
d("Please, what things I can ask you?", [CAPS])

# 6. typing fast on a phone
d("how many ppl w/ 0 insulin predicted diabetic", [F(AND(EQ("Insulin", 0), PRED(1))), COUNT])
d("acc on them", [P(), SCORE()])
d("predict pt 106", [F(ID(106)), PREDICT])
d("wat if 106 glucose +30", [F(ID(106)), W("Glucose", "increase", 30), PREDICT], "typo")
d("n if glucose was 200 instead?", [W("Glucose", "set", 200), REPEAT], "typo")
d("top 2 features pls", [IMP(top=2)])
d("ppl over 50 w/ bmi 30+ show", [F(AND(C("Age", ">", 50), C("BMI", ">=", 30))), SHOW])
d("show the rest", [FOLLOW])
d("y is 106 flagged", [F(ID(106)), EXPLAIN()], "typo")
d("hw many preg >=5 & age <30", [F(AND(C("Pregnancies", ">=", 5), C("Age", "<", 30))), COUNT], "typo")

# 7. hospital quality auditor
d("How many patients does the model get wrong?", [MIS("count")])
d("Among patients older than 45 who do not have diabetes in reality, how many does the model flag as diabetic?",
  [F(AND(C("Age", ">", 45), LABEL(0), PRED(1))), COUNT])
d("Show a few examples of mistakes for patients with glucose below 100 who have a BMI over 35.",
  [F(AND(C("Glucose", "<", 100), C("BMI", ">", 35))), MIS("sample")])
d("What percentage of patients with a pedigree function above 1 are predicted diabetic?",
  [F(C("DiabetesPedigreeFunction", ">", 1)), STAT("prediction")], "share")
d("I need to sign off on this tool. Does it show bias by patient age?", [BIAS("Age")])
d("What does the model predict for patients with blood pressure recorded as zero?",
  [F(EQ("BloodPressure", 0)), PREDICT], "numbers_in_words")
d("What would the predictions be for those patients if their blood pressure were 70?",
  [P(), W("BloodPressure", "set", 70), PREDICT])
d("Report specificity and NPV for patients with no pregnancies.",
  [F(EQ("Pregnancies", 0)), SCORE("specificity"), SCORE("npv")])
d("List patients 14 and 16 along with the model's predictions.", [F(IDS(14, 16)), SHOW, PREDICT])
d("For everyone except patients over 50 with glucose above 140, what is the accuracy?",
  [F(NOT(AND(C("Age", ">", 50), C("Glucose", ">", 140)))), SCORE()])

# 8. ML engineer
d("SHAP values for patient 392.", [F(ID(392)), EXPLAIN("shap")])
d("Global importance ranking, please.", [IMP()])
d("What if every patient's glucose were 20 lower - new accuracy?", [W("Glucose", "decrease", 20), SCORE()])
d("Give me the if-then rules.", [RULES])
d("Filter BMI between 18.5 and 24.9 and report the F1.", [F(AND(BETWEEN("BMI", 18.5, 24.9))), SCORE("f1")])
d("Predictions for rows where pedigree is over 0.8 or age is over 60.",
  [F(OR(C("DiabetesPedigreeFunction", ">", 0.8), C("Age", ">", 60))), PREDICT])
d("Show rows labeled diabetic that the model calls non-diabetic.", [F(AND(LABEL(1), PRED(0))), SHOW])
d("How many rows are labeled non-diabetic but predicted diabetic?", [F(AND(LABEL(0), PRED(1))), COUNT])
d("Dependence plot for Age restricted to patients with glucose at most 110.",
  [F(C("Glucose", "<=", 110)), DEP("Age")])
d("Set SkinThickness to 30 for patient 700 and give the class probabilities.",
  [F(ID(700)), W("SkinThickness", "set", 30), LIKE])


# =====================================================================================
def auto_tags(ws, q, steps):
    tags = []
    ops = [s["op"] for s in steps]
    lv = [x for s in steps if s["op"] == "filter" for x in leaves(s["where"])]
    feats = [x["feature"] for x in lv] + [s["feature"] for s in steps if s["op"] == "whatif"]
    if "filter" in ops:
        tags.append("filter")
    if any(x["feature"] == "id" for x in lv):
        tags.append("id")
    if len(lv) >= 2:
        tags.append("multi_cond")
    if sum(1 for o in ops if o not in ("filter", "previous_filter", "whatif")) >= 2:
        tags.append("multi_op")
    if "whatif" in ops:
        tags.append("whatif")
    if "previous_filter" in ops:
        tags.append("reference")
    if "followup" in ops:
        tags.append("followup")
    if any(x["feature"] in ("label", "prediction") for x in lv):
        tags.append("class")
    if any(f in FLAGS[ws] for f in feats):
        tags.append("flag")
    if any(f in CATS.get(ws, ()) for f in feats):
        tags.append("category")
    by_feat = {}
    for x in lv:
        by_feat.setdefault(x["feature"], set()).add(x["cmp"])
    if any({">=", ">"} & cm and {"<=", "<"} & cm for cm in by_feat.values()):
        tags.append("range")
    if len(q.split()) <= 4:
        tags.append("short")
    for o in ops:
        if o != "filter" and o not in tags:
            tags.append(o)
    return tags


# Questions that turned out identical (after normalising) to items of test.jsonl or dev.jsonl,
# written independently by another session: dropped so dev2 never overlaps the test set.
DROPPED = {"credit-2022", "credit-2060", "german-2004", "german-2030", "german-2049", "german-2072",
           "compas-2029", "compas-2058", "diabetes-2037", "diabetes-2058", "diabetes-2061"}


def main():
    out = []
    for ws, items in ITEMS.items():
        for n, (q, steps, extra) in enumerate(items, 1):
            tags = auto_tags(ws, q, steps)
            tags += [t for t in extra if t not in tags]
            out.append({"id": f"{ws}-2{n:03d}", "workspace": ws, "question": q,
                        "gold": {"steps": steps}, "tags": tags})
    out = [item for item in out if item["id"] not in DROPPED]
    write_jsonl(os.path.join(HERE, "dev2.jsonl"), out)
    print({ws: len(v) for ws, v in ITEMS.items()}, len(out))


if __name__ == "__main__":
    main()
