"""Write dev4.jsonl: 240 hand-written questions (60 per workspace) with gold queries.

    /work/main/.venv/bin/python bench/parser_eval/make_dev4.py

Voices: (a) refused/flagged people asking about themselves by id, (b) compliance/audit staff,
(c) domain experts (loan officers, public defenders, clinicians), (d) curious laypeople.
Tags are derived from the gold, plus the hand-given ones (typo, numbers_in_words, range).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- expressions -----------------------------------------------------------------------------
def C(feature, cmp, value):
    return {"feature": feature, "cmp": cmp, "value": value}


def ID(n):
    return C("id", "==", n)


def AND(*xs):
    return {"and": list(xs)}


def OR(*xs):
    return {"or": list(xs)}


# ---- steps -----------------------------------------------------------------------------------
def filt(expr):
    return {"op": "filter", "where": expr}


def prev():
    return {"op": "previous_filter"}


def whatif(feature, action, value):
    return {"op": "whatif", "feature": feature, "action": action, "value": value}


def op(name, **kw):
    return dict({"op": name}, **kw)


PREDICT, LIKELIHOOD, CF = op("predict"), op("likelihood"), op("counterfactual")
COUNT, SHOW, LABELS, RULES = op("count"), op("show"), op("labels"), op("rules")
INTER, REPEAT, FOLLOWUP = op("interactions"), op("repeat"), op("followup")
DDATA, DMODEL, CAPS = op("describe_data"), op("describe_model"), op("capabilities")


def explain(method="auto"):
    return op("explain", method=method)


def imp(top=None, feature=None):
    s = op("importance")
    if top is not None:
        s["top"] = top
    if feature is not None:
        s["feature"] = feature
    return s


def score(metric="accuracy"):
    return op("score", metric=metric)


def mistakes(mode):
    return op("mistakes", mode=mode)


def stat(feature):
    return op("statistic", feature=feature)


def bias(attribute):
    return op("bias", attribute=attribute)


def dep(feature):
    return op("dependence", feature=feature)


def define(feature):
    return op("define", feature=feature)


# ---- items: (question, steps, extra tags) ----------------------------------------------------
CREDIT = [
    # (a) refused applicants asking about themselves
    ("I'm applicant 706 — why was I turned down, and what could I do differently?",
     [filt(ID(706)), explain(), CF], []),
    ("hi, I'm number 887. did the model approve me?",
     [filt(ID(887)), PREDICT], []),
    ("So I'm applicant 925. How sure was the model when it said no to me?",
     [filt(ID(925)), LIKELIHOOD], []),
    ("Applicant 213 here. What if I'd asked for 2000 DM less and paid it back over 12 months — would I get approved then?",
     [filt(ID(213)), whatif("credit_amount", "decrease", 2000), whatif("duration", "set", 12), PREDICT], []),
    ("I'm 332. Would the decision on my loan have changed if my sex were different?",
     [filt(ID(332)), bias("sex")], []),
    ("My id is 642. Can you show me what you have on file for me, and what the true outcome was?",
     [filt(ID(642)), SHOW, LABELS], []),
    ("ok so I'm applicant fifty-nine. why did it reject me? use SHAP please",
     [filt(ID(59)), explain("shap")], ["numbers_in_words"]),
    ("I'm applicant 966 and I was declined. If I were 10 years older, how would my chances change?",
     [filt(ID(966)), whatif("age", "increase", 10), LIKELIHOOD], []),
    ("Applicant 11 — what's the smallest change that would get me approved?",
     [filt(ID(11)), CF], []),
    ("I'm applicant 191. What if I owned my home instead of living rent-free?",
     [filt(ID(191)), whatif("housing", "set", "own"), PREDICT], []),
    ("i'm aplicant 301, why was i denyed",
     [filt(ID(301)), explain()], ["typo"]),
    ("I'm applicant 878. What if my checking account were moderate and my savings were rich? Would that flip it?",
     [filt(ID(878)), whatif("checking_account", "set", "moderate"), whatif("saving_accounts", "set", "rich"), PREDICT], []),
    ("I'm applicant 555. Explain my rejection with LIME, then tell me what I'd need to change.",
     [filt(ID(555)), explain("lime"), CF], []),
    ("My friend is applicant 640 and I'm 700. Why were we both turned down?",
     [filt(OR(ID(640), ID(700))), explain()], []),
    ("Applicant 580 here. Can you show me the data you have on me and what the model predicted?",
     [filt(ID(580)), SHOW, PREDICT], []),
    # (b) compliance / audit
    ("Report accuracy, precision and recall for female applicants aged 25 or under.",
     [filt(AND(C("sex", "==", "female"), C("age", "<=", 25))), score(), score("precision"), score("recall")], []),
    ("For applicants with a credit amount above 10000 DM and a duration of at least 36 months, provide the count and the share predicted as good credit risk.",
     [filt(AND(C("credit_amount", ">", 10000), C("duration", ">=", 36))), COUNT, stat("prediction")], []),
    ("Is the model biased with respect to sex? Separately, assess fairness across age.",
     [bias("sex"), bias("age")], []),
    ("How many errors does the model make on applicants under 30 who rent?",
     [filt(AND(C("age", "<", 30), C("housing", "==", "rent"))), mistakes("count")], []),
    ("What proportion of applicants with little savings are actually good credit risks?",
     [filt(C("saving_accounts", "==", "little")), stat("target")], []),
    ("Compute the F1 score and ROC AUC for applicants whose loan purpose is business or education.",
     [filt(OR(C("purpose", "==", "business"), C("purpose", "==", "education"))), score("f1"), score("roc_auc")], []),
    ("Provide sample misclassifications among male applicants over 60.",
     [filt(AND(C("sex", "==", "male"), C("age", ">", 60))), mistakes("sample")], []),
    ("Is duration a more important feature than credit amount?",
     [imp(feature="duration"), imp(feature="credit_amount")], []),
    ("For applicants the model denies, give the mean credit amount and mean duration.",
     [filt(C("prediction", "==", 0)), stat("credit_amount"), stat("duration")], []),
    ("State the specificity and negative predictive value for the full data set.",
     [score("specificity"), score("npv")], []),
    ("Among applicants with checking_account equal to not_known, how many are predicted good risk?",
     [filt(AND(C("checking_account", "==", "not_known"), C("prediction", "==", 1))), COUNT], []),
    ("Fraction of female applicants aged between 30 and 45 that the model approves?",
     [filt(AND(C("sex", "==", "female"), C("age", ">=", 30), C("age", "<=", 45))), stat("prediction")], ["range"]),
    ("List the applicants whose true label is bad credit risk but whom the model predicted as good, restricted to credit amounts over 5000.",
     [filt(AND(C("label", "==", 0), C("prediction", "==", 1), C("credit_amount", ">", 5000))), SHOW], []),
    ("Count the unskilled resident applicants (job code 1) who live in free housing.",
     [filt(AND(C("job", "==", 1), C("housing", "==", "free"))), COUNT], []),
    ("What is the model's accuracy on applicants with rich savings accounts, and what kind of mistakes does it make there?",
     [filt(C("saving_accounts", "==", "rich")), score(), mistakes("typical")], []),
    # (c) loan officers
    ("Which three factors drive the credit decisions most?",
     [imp(top=3)], ["numbers_in_words"]),
    ("How does the term of the loan affect the approval decision?",
     [dep("duration")], []),
    ("Take the car loans over 8000 DM that the model declines — what's behind those decisions?",
     [filt(AND(C("purpose", "==", "car"), C("credit_amount", ">", 8000), C("prediction", "==", 0))), explain()], []),
    ("What's the approval rate for highly skilled applicants on loans of 24 months or less?",
     [filt(AND(C("job", "==", 3), C("duration", "<=", 24))), stat("prediction")], []),
    ("Average loan size for applicants with a moderate checking balance?",
     [filt(C("checking_account", "==", "moderate")), stat("credit_amount")], []),
    ("What would happen to approvals across the book if every loan ran 12 months longer? Give me the approval share.",
     [whatif("duration", "increase", 12), stat("prediction")], []),
    ("Which features interact most in the risk model?",
     [INTER], []),
    ("What's the hit rate on radio/TV loans — accuracy and precision?",
     [filt(C("purpose", "==", "radio/TV")), score(), score("precision")], []),
    ("Show me the rules the model uses to grade applicants.",
     [RULES], []),
    ("Rank the features by importance for applicants in their 20s.",
     [filt(AND(C("age", ">=", 20), C("age", "<", 30))), imp()], ["range"]),
    ("Does the checking account status weigh more than the savings account status in the model?",
     [imp(feature="checking_account"), imp(feature="saving_accounts")], []),
    ("How many of the vacation/others loans did the model get wrong?",
     [filt(C("purpose", "==", "vacation/others")), mistakes("count")], []),
    ("For applicant 155, if the purpose were business instead of furniture, what's the probability of a good rating?",
     [filt(ID(155)), whatif("purpose", "set", "business"), LIKELIHOOD], []),
    ("Walk me through why applicant 595 got a bad risk grade.",
     [filt(ID(595)), explain()], []),
    ("Among applicants in free housing with little savings, which factor is the most important?",
     [filt(AND(C("housing", "==", "free"), C("saving_accounts", "==", "little"))), imp(top=1)], []),
    # (d) curious laypeople
    ("what is this data even about?",
     [DDATA], []),
    ("model type?",
     [DMODEL], []),
    ("so what sorts of things can I ask you here?",
     [CAPS], []),
    ("what does 'saving accounts' mean here?",
     [define("saving_accounts")], []),
    ("how many women are in this dataset, roughly?",
     [filt(C("sex", "==", "female")), COUNT], []),
    ("out of the people over sixty, what fraction get approved?",
     [filt(C("age", ">", 60)), stat("prediction")], ["numbers_in_words"]),
    ("ok tell me more about that",
     [FOLLOWUP], []),
    ("And what about men?",
     [filt(C("sex", "==", "male")), REPEAT], []),
    ("Of those, how many are under 30?",
     [prev(), filt(C("age", "<", 30)), COUNT], []),
    ("now show me the mistakes for those same people",
     [prev(), mistakes("sample")], []),
    ("And if the loan were 1000 DM bigger?",
     [whatif("credit_amount", "increase", 1000), REPEAT], []),
    ("just curious — how many of the people with 'rich' savings does it approve?",
     [filt(AND(C("saving_accounts", "==", "rich"), C("prediction", "==", 1))), COUNT], []),
    ("does getting older help your chances with this thing? how does the prediction move with age?",
     [dep("age")], []),
    ("honest question: is this thing fair to women or not?",
     [bias("sex")], []),
    ("whats the avg age of ppl applying for education loans",
     [filt(C("purpose", "==", "education")), stat("age")], ["typo"]),
]

GERMAN = [
    # (a)
    ("I'm applicant 485 and the bank said no. Why, and what would I need to change?",
     [filt(ID(485)), explain(), CF], []),
    ("Applicant 780 here — if I hadn't missed any payments, would I have been approved?",
     [filt(ID(780)), whatif("MissedPayments", "set", 0), PREDICT], []),
    ("I'm 435. What if I found a guarantor and borrowed 1000 less?",
     [filt(ID(435)), whatif("HasGuarantor", "set", 1), whatif("LoanAmount", "decrease", 1000), PREDICT], []),
    ("I'm applicant 783. Would the decision change if my foreign-worker status were different?",
     [filt(ID(783)), bias("ForeignWorker")], []),
    ("applicant 834: how likely am I to be rated a good risk?",
     [filt(ID(834)), LIKELIHOOD], []),
    ("I'm number 790 — explain my result with SHAP values",
     [filt(ID(790)), explain("shap")], []),
    ("I'm applicant 862. What if I'd asked for a 12-month loan instead — would I be approved, and how confident would the model be?",
     [filt(ID(862)), whatif("LoanDuration", "set", 12), PREDICT, LIKELIHOOD], []),
    ("applicant 826 here. am I approved?",
     [filt(ID(826)), PREDICT], []),
    ("I'm applicant 295. Would the decision for me change if my gender were different?",
     [filt(ID(295)), bias("Gender")], []),
    ("I'm applicant number five hundred and seventy-eight. What does my record look like?",
     [filt(ID(578)), SHOW], ["numbers_in_words"]),
    ("I'm applicant 558 and I got turned down. If I were five years older and had a telephone, would that help?",
     [filt(ID(558)), whatif("Age", "increase", 5), whatif("HasTelephone", "set", 1), PREDICT], ["numbers_in_words"]),
    ("Applicant 927 — what's the true label for me, and what did the model predict?",
     [filt(ID(927)), LABELS, PREDICT], []),
    ("me and my brother are applicants 320 and 583. did either of us get approved?",
     [filt(OR(ID(320), ID(583))), PREDICT], []),
    ("Im aplicant 351, what wuold i have to chnage to get a yes",
     [filt(ID(351)), CF], ["typo"]),
    ("Applicant 796 here. Why did I get a bad risk rating? Please use LIME.",
     [filt(ID(796)), explain("lime")], []),
    # (b)
    ("Report accuracy and F1 for foreign workers who are single.",
     [filt(AND(C("ForeignWorker", "==", 1), C("Single", "==", 1))), score(), score("f1")], []),
    ("Assess whether the model is biased by gender, and separately by foreign-worker status.",
     [bias("Gender"), bias("ForeignWorker")], []),
    ("Provide the proportion of female applicants under 35 predicted as good credit risks.",
     [filt(AND(C("Gender", "==", 0), C("Age", "<", 35))), stat("prediction")], []),
    ("How many applicants who have missed payments and whose checking balance is below zero does the model approve?",
     [filt(AND(C("MissedPayments", "==", 1), C("CheckingAccountBalanceGreaterOrEqualTo0", "==", 0),
               C("prediction", "==", 1))), COUNT], []),
    ("Give the recall and precision on applicants with loan durations exceeding 24 months.",
     [filt(C("LoanDuration", ">", 24)), score("recall"), score("precision")], []),
    ("Count the applicants with a co-applicant or a guarantor.",
     [filt(OR(C("HasCoapplicant", "==", 1), C("HasGuarantor", "==", 1))), COUNT], []),
    ("Is Age more important than LoanAmount in this model?",
     [imp(feature="Age"), imp(feature="LoanAmount")], []),
    ("Return example errors for unemployed applicants.",
     [filt(C("Unemployed", "==", 1)), mistakes("sample")], []),
    ("For applicants whose true label is bad credit risk, how many does the model classify as good?",
     [filt(AND(C("label", "==", 0), C("prediction", "==", 1))), COUNT], []),
    ("What share of applicants aged 50 or over are actually good credit risks?",
     [filt(C("Age", ">=", 50)), stat("target")], []),
    ("Compute the ROC AUC for applicants with a loan rate of 4 percent of income, and summarize what mistakes the model makes on them.",
     [filt(C("LoanRateAsPercentOfIncome", "==", 4)), score("roc_auc"), mistakes("typical")], []),
    ("Among single male applicants between 25 and 40, what is the mean loan amount?",
     [filt(AND(C("Single", "==", 1), C("Gender", "==", 1), C("Age", ">=", 25), C("Age", "<=", 40))), stat("LoanAmount")],
     ["range"]),
    ("Number of misclassifications among homeowners with savings of at least 500?",
     [filt(AND(C("OwnsHouse", "==", 1), C("SavingsAccountBalanceGreaterOrEqualThan500", "==", 1))), mistakes("count")], []),
    ("Provide the specificity on applicants applying for a new car loan.",
     [filt(C("loanpurposeNewCar", "==", 1)), score("specificity")], []),
    ("If every applicant's loan amount increased by 2000, what fraction would be predicted good credit risk?",
     [whatif("LoanAmount", "increase", 2000), stat("prediction")], []),
    # (c)
    ("What are the top five risk drivers in this model?",
     [imp(top=5)], ["numbers_in_words"]),
    ("How does the instalment rate as a percentage of income affect the decision?",
     [dep("LoanRateAsPercentOfIncome")], []),
    ("For renters with less than a year at their current job, what's the approval rate?",
     [filt(AND(C("RentsHouse", "==", 1), C("YearsAtCurrentJobLessThan1", "==", 1))), stat("prediction")], []),
    ("Show me used-car loans the model turned down.",
     [filt(AND(C("loanpurposeUsedCar", "==", 1), C("prediction", "==", 0))), SHOW], []),
    ("Does having a guarantor matter more than having a co-applicant?",
     [imp(feature="HasGuarantor"), imp(feature="HasCoapplicant")], []),
    ("What's the average tenure at current home for applicants with critical accounts elsewhere?",
     [filt(C("CriticalAccountOrLoansElsewhere", "==", 1)), stat("YearsAtCurrentHome")], []),
    ("In this scorecard, which variables interact most strongly with each other?",
     [INTER], []),
    ("Can you boil the model down to a set of if-then rules for my underwriters?",
     [RULES], []),
    ("How many skilled workers with 4 or more years at their job are rated bad risks by the model?",
     [filt(AND(C("JobClassIsSkilled", "==", 1), C("YearsAtCurrentJobGreaterOrEqualThan4", "==", 1),
               C("prediction", "==", 0))), COUNT], []),
    ("Explain the model's calls on retraining loans.",
     [filt(C("loanpurposeRetraining", "==", 1)), explain()], []),
    ("What does CriticalAccountOrLoansElsewhere mean?",
     [define("CriticalAccountOrLoansElsewhere")], []),
    ("For applicant 362, what if the loan duration were 48 months — what's the probability of a good rating then?",
     [filt(ID(362)), whatif("LoanDuration", "set", 48), LIKELIHOOD], []),
    ("Rank the features by importance for applicants with other loans at a store.",
     [filt(C("OtherLoansAtStore", "==", 1)), imp()], []),
    ("How accurate is the model for applicants who have savings of at least 200?",
     [filt(C("SavingsAccountBalanceGreaterOrEqualThan200", "==", 1)), score()], []),
    ("For applicants 489 and 55, show the rows and the predictions.",
     [filt(OR(ID(489), ID(55))), SHOW, PREDICT], []),
    # (d)
    ("ok what's this dataset, like where's it from?",
     [DDATA], []),
    ("how does the model actually work? what type is it?",
     [DMODEL], []),
    ("how many people here are foreign workers",
     [filt(C("ForeignWorker", "==", 1)), COUNT], []),
    ("Same question but for single people.",
     [filt(C("Single", "==", 1)), REPEAT], []),
    ("For those people, how often is the model right?",
     [prev(), score()], []),
    ("more please, keep it coming",
     [FOLLOWUP], []),
    ("is it sexist?",
     [bias("Gender")], []),
    ("is owning a house important to the model? like how much does it matter?",
     [imp(feature="OwnsHouse")], []),
    ("what's the youngest and oldest age here? just give me age stats",
     [stat("Age")], []),
    ("out of the people with a phone, how many got a good rating from the model?",
     [filt(AND(C("HasTelephone", "==", 1), C("prediction", "==", 1))), COUNT], []),
    ("And if the loan amount were 10000?",
     [whatif("LoanAmount", "set", 10000), REPEAT], []),
    ("among them, which ones did it get wrong?",
     [prev(), mistakes("sample")], []),
    ("what's the error rate for people over sixty?",
     [filt(C("Age", ">", 60)), score()], ["numbers_in_words"]),
    ("wait, what counts as 'liable individuals'?",
     [define("NumberOfLiableIndividuals")], []),
    ("whats the most importnt thing the model looks at",
     [imp(top=1)], ["typo"]),
]

COMPAS = [
    # (a)
    ("I'm defendant 3426. The model flagged me as likely to commit a crime — why, and what would have to be different for it not to?",
     [filt(ID(3426)), explain(), CF], []),
    ("I'm person 6371. What does the model predict for me?",
     [filt(ID(6371)), PREDICT], []),
    ("Defendant 6095 here. If I had two fewer prior offenses, would I still be flagged?",
     [filt(ID(6095)), whatif("number_of_prior_crimes", "decrease", 2), PREDICT], ["numbers_in_words"]),
    ("I'm 4339. Would my prediction change if my race were different?",
     [filt(ID(4339)), bias("black")], []),
    ("I'm defendant 1915 — how confident is the model that I'll reoffend?",
     [filt(ID(1915)), LIKELIHOOD], []),
    ("I'm defendant 1187. What if I'd spent zero months in jail and had no priors?",
     [filt(ID(1187)), whatif("months_in_jail", "set", 0), whatif("number_of_prior_crimes", "set", 0), PREDICT],
     ["numbers_in_words"]),
    ("defendant 2006: explain the risk call on me with SHAP",
     [filt(ID(2006)), explain("shap")], []),
    ("I'm 8235 and it says I'm likely to commit a crime. What if I were 10 years older? How would the probability change?",
     [filt(ID(8235)), whatif("age", "increase", 10), LIKELIHOOD], []),
    ("I am defendant 5531. Show me my record and the true label.",
     [filt(ID(5531)), SHOW, LABELS], []),
    ("I'm defendant ninety-six. why did it flag me",
     [filt(ID(96)), explain()], ["numbers_in_words"]),
    ("me and my cousin are 9147 and 3566 — what did the model predict for each of us?",
     [filt(OR(ID(9147), ID(3566))), PREDICT], []),
    ("I'm defendant 4911, what's the minimum I'd have to change to be rated unlikely to reoffend?",
     [filt(ID(4911)), CF], []),
    ("I'm defendant 9297. What if I were 45 — would I still be labeled likely to commit a crime?",
     [filt(ID(9297)), whatif("age", "set", 45), PREDICT], []),
    ("im defendent 5453 why did the modle say im high risk",
     [filt(ID(5453)), explain()], ["typo"]),
    ("I'm 2448. Explain my prediction using LIME, and then tell me what would flip it.",
     [filt(ID(2448)), explain("lime"), CF], []),
    # (b)
    ("Is the model biased against black defendants? Also check for bias by age.",
     [bias("black"), bias("age")], []),
    ("Report precision and recall for black defendants under 25.",
     [filt(AND(C("black", "==", 1), C("age", "<", 25))), score("precision"), score("recall")], []),
    ("What share of black women are predicted likely to commit a crime?",
     [filt(AND(C("black", "==", 1), C("woman", "==", 1))), stat("prediction")], []),
    ("How many defendants with more than 5 priors are predicted unlikely to reoffend?",
     [filt(AND(C("number_of_prior_crimes", ">", 5), C("prediction", "==", 1))), COUNT], []),
    ("Compute accuracy and F1 for defendants currently charged with a misdemeanor.",
     [filt(C("misdemeanor", "==", 1)), score(), score("f1")], []),
    ("How many defendants whose true label is 'likely to commit a crime' does the model classify as unlikely?",
     [filt(AND(C("label", "==", 0), C("prediction", "==", 1))), COUNT], []),
    ("Provide the negative predictive value and specificity for men over 40.",
     [filt(AND(C("man", "==", 1), C("age", ">", 40))), score("npv"), score("specificity")], []),
    ("List the model's errors on women with zero prior crimes.",
     [filt(AND(C("woman", "==", 1), C("number_of_prior_crimes", "==", 0))), mistakes("sample")], ["numbers_in_words"]),
    ("Is prior record more important than age for this model?",
     [imp(feature="number_of_prior_crimes"), imp(feature="age")], []),
    ("What proportion of defendants between 20 and 30 are actually unlikely to reoffend according to the data?",
     [filt(AND(C("age", ">=", 20), C("age", "<=", 30))), stat("target")], ["range"]),
    ("How many mistakes does the model make on black men with a felony charge?",
     [filt(AND(C("black", "==", 1), C("man", "==", 1), C("felony", "==", 1))), mistakes("count")], []),
    ("Does the model treat women fairly?",
     [bias("woman")], []),
    ("For defendants with more than 24 months in jail or more than 10 priors, report the ROC AUC.",
     [filt(OR(C("months_in_jail", ">", 24), C("number_of_prior_crimes", ">", 10))), score("roc_auc")], []),
    ("Mean number of prior crimes among defendants the model flags as likely to commit a crime?",
     [filt(C("prediction", "==", 0)), stat("number_of_prior_crimes")], []),
    ("If every defendant's prior count were increased by 3, what share would be predicted likely to commit a crime?",
     [whatif("number_of_prior_crimes", "increase", 3), stat("prediction")], []),
    # (c) public defenders
    ("My client, defendant 5153, got flagged high-risk. What's driving that?",
     [filt(ID(5153)), explain()], []),
    ("For my client 228, would the risk call change if her race were different?",
     [filt(ID(228)), bias("black")], []),
    ("My client 5263 has 3 priors. If that were 1 prior, what's the probability he's rated unlikely to reoffend?",
     [filt(ID(5263)), whatif("number_of_prior_crimes", "set", 1), LIKELIHOOD], []),
    ("How does time served affect the risk score?",
     [dep("months_in_jail")], []),
    ("What are the three biggest drivers of the risk classification?",
     [imp(top=3)], ["numbers_in_words"]),
    ("Pull up the defendants under 21 with no priors whom the model flagged as likely to reoffend.",
     [filt(AND(C("age", "<", 21), C("number_of_prior_crimes", "==", 0), C("prediction", "==", 0))), SHOW], []),
    ("What fraction of misdemeanor defendants does the tool flag as likely to reoffend?",
     [filt(C("misdemeanor", "==", 1)), stat("prediction")], []),
    ("What kinds of errors does the tool make on black defendants under 25?",
     [filt(AND(C("black", "==", 1), C("age", "<", 25))), mistakes("typical")], []),
    ("Does the charge degree matter — how important is felony in the model?",
     [imp(feature="felony")], []),
    ("Can you give me the tool's decision rules in plain if-then form?",
     [RULES], []),
    ("For my clients 2885 and 7496, explain the predictions.",
     [filt(OR(ID(2885), ID(7496))), explain()], []),
    ("What's the average age of defendants with a felony charge who were flagged likely to commit a crime?",
     [filt(AND(C("felony", "==", 1), C("prediction", "==", 0))), stat("age")], []),
    ("Which features interact in the risk assessment?",
     [INTER], []),
    ("Client 10646: if he were 30 years old and had spent 6 months in jail, what would the tool say?",
     [filt(ID(10646)), whatif("age", "set", 30), whatif("months_in_jail", "set", 6), PREDICT], []),
    ("How does the number of priors shape the prediction?",
     [dep("number_of_prior_crimes")], []),
    # (d)
    ("so what is this data set, where does it come from?",
     [DDATA], []),
    ("what's 'recidivated' mean?",
     [define("recidivated")], []),
    ("how many of these people are women?",
     [filt(C("woman", "==", 1)), COUNT], []),
    ("Same thing for black defendants.",
     [filt(C("black", "==", 1)), REPEAT], []),
    ("of those, how many are over 50?",
     [prev(), filt(C("age", ">", 50)), COUNT], []),
    ("is this thing racist",
     [bias("black")], []),
    ("how accurate is the risk thing overall?",
     [score()], []),
    ("show me some people in their forties who have more than three priors",
     [filt(AND(C("age", ">=", 40), C("age", "<", 50), C("number_of_prior_crimes", ">", 3))), SHOW],
     ["numbers_in_words", "range"]),
    ("And if priors went up by 5?",
     [whatif("number_of_prior_crimes", "increase", 5), REPEAT], []),
    ("keep going, show the rest",
     [FOLLOWUP], []),
    ("what's the single thing the model cares about most?",
     [imp(top=1)], []),
    ("For these people, what's the average time in jail?",
     [prev(), stat("months_in_jail")], []),
    ("how old are ppl in here on average",
     [stat("age")], ["typo"]),
    ("hm, what percentage of men get labeled likely to commit a crime by the model?",
     [filt(C("man", "==", 1)), stat("prediction")], []),
    ("what can this assistant do for me?",
     [CAPS], []),
]

DIABETES = [
    # (a)
    ("I'm patient 614 and the model says I probably have diabetes. Why, and what would need to change for it to say I don't?",
     [filt(ID(614)), explain(), CF], []),
    ("Patient 291 here. If my glucose came down by 40, would it still say diabetes?",
     [filt(ID(291)), whatif("Glucose", "decrease", 40), PREDICT], []),
    ("I'm patient 319. What's my risk according to the model — like, the actual probability?",
     [filt(ID(319)), LIKELIHOOD], []),
    ("I'm patient 132. What if my BMI were 25 and my glucose were 100?",
     [filt(ID(132)), whatif("BMI", "set", 25), whatif("Glucose", "set", 100), PREDICT], []),
    ("patient 391: do I have diabetes according to the model?",
     [filt(ID(391)), PREDICT], []),
    ("I'm patient 546 — explain the prediction for me with SHAP.",
     [filt(ID(546)), explain("shap")], []),
    ("I'm patient one hundred forty-three. Why was I flagged?",
     [filt(ID(143)), explain()], ["numbers_in_words"]),
    ("I'm patient 155. Show my measurements, and tell me whether I actually have diabetes.",
     [filt(ID(155)), SHOW, LABELS], []),
    ("I'm patient 539. If I lost enough weight to get my BMI down by 5, how would my probability change?",
     [filt(ID(539)), whatif("BMI", "decrease", 5), LIKELIHOOD], []),
    ("me and my sister are patients 646 and 468. why did the model flag us?",
     [filt(OR(ID(646), ID(468))), explain()], []),
    ("im pateint 731 wat do i need to chnage to not be flagged",
     [filt(ID(731)), CF], ["typo"]),
    ("I'm patient 170. Explain my result using LIME, then show me what would change it.",
     [filt(ID(170)), explain("lime"), CF], []),
    ("Patient 317 here. What if I were 10 years younger and had one fewer pregnancy?",
     [filt(ID(317)), whatif("Age", "decrease", 10), whatif("Pregnancies", "decrease", 1), PREDICT], ["numbers_in_words"]),
    ("I'm patient 206. How likely am I to have diabetes if my insulin were 100?",
     [filt(ID(206)), whatif("Insulin", "set", 100), LIKELIHOOD], []),
    ("I'm patient 4. What made the model say diabetes for me?",
     [filt(ID(4)), explain()], []),
    # (b)
    ("Report recall and precision for patients over 50.",
     [filt(C("Age", ">", 50)), score("recall"), score("precision")], []),
    ("What share of patients with a BMI of at least 30 are predicted to have diabetes?",
     [filt(C("BMI", ">=", 30)), stat("prediction")], []),
    ("Evaluate the fairness of the model with respect to Age.",
     [bias("Age")], []),
    ("How many patients with glucose above 140 and BMI above 35 does the model predict as non-diabetic?",
     [filt(AND(C("Glucose", ">", 140), C("BMI", ">", 35), C("prediction", "==", 0))), COUNT], []),
    ("Provide accuracy, F1 and ROC AUC on the whole data set.",
     [score(), score("f1"), score("roc_auc")], []),
    ("How many patients labeled diabetic in the data are predicted non-diabetic by the model?",
     [filt(AND(C("label", "==", 1), C("prediction", "==", 0))), COUNT], []),
    ("Among patients with zero recorded insulin, how many misclassifications are there?",
     [filt(C("Insulin", "==", 0)), mistakes("count")], ["numbers_in_words"]),
    ("Is Glucose more important than BMI for the model?",
     [imp(feature="Glucose"), imp(feature="BMI")], []),
    ("What proportion of patients aged 21 to 30 actually have diabetes?",
     [filt(AND(C("Age", ">=", 21), C("Age", "<=", 30))), stat("target")], ["range"]),
    ("Provide sample misclassified cases among patients with more than 5 pregnancies.",
     [filt(C("Pregnancies", ">", 5)), mistakes("sample")], []),
    ("Specificity and NPV for patients with a diabetes pedigree function above 0.5, please.",
     [filt(C("DiabetesPedigreeFunction", ">", 0.5)), score("specificity"), score("npv")], []),
    ("Mean glucose and mean BMI for patients the model predicts as diabetic?",
     [filt(C("prediction", "==", 1)), stat("Glucose"), stat("BMI")], []),
    ("For patients with blood pressure of 0 or skin thickness of 0, report accuracy.",
     [filt(OR(C("BloodPressure", "==", 0), C("SkinThickness", "==", 0))), score()], []),
    ("If all patients' glucose decreased by 20, what fraction would be predicted diabetic?",
     [whatif("Glucose", "decrease", 20), stat("prediction")], []),
    ("Count patients aged over 40 with a BMI under 25.",
     [filt(AND(C("Age", ">", 40), C("BMI", "<", 25))), COUNT], []),
    # (c) clinicians
    ("Which three variables drive the diabetes prediction most?",
     [imp(top=3)], ["numbers_in_words"]),
    ("How does plasma glucose influence the model's output?",
     [dep("Glucose")], []),
    ("How important is the pedigree function?",
     [imp(feature="DiabetesPedigreeFunction")], []),
    ("For patient 272, if her diastolic pressure were 90, would the prediction change?",
     [filt(ID(272)), whatif("BloodPressure", "set", 90), PREDICT], []),
    ("Take patients with BMI over 30 but glucose under 100 — what does the model typically get wrong there?",
     [filt(AND(C("BMI", ">", 30), C("Glucose", "<", 100))), mistakes("typical")], []),
    ("Is triceps skinfold thickness more important than serum insulin in this model?",
     [imp(feature="SkinThickness"), imp(feature="Insulin")], []),
    ("Explain the model's predictions for hyperglycemic patients, glucose 180 or more.",
     [filt(C("Glucose", ">=", 180)), explain()], []),
    ("What's the average insulin level in patients with at least 3 pregnancies?",
     [filt(C("Pregnancies", ">=", 3)), stat("Insulin")], []),
    ("Show me the normoglycemic patients — glucose below 100 — that the model still flags as diabetic.",
     [filt(AND(C("Glucose", "<", 100), C("prediction", "==", 1))), SHOW], []),
    ("Are there notable interactions between the clinical variables in this model?",
     [INTER], []),
    ("Summarize the model as decision rules.",
     [RULES], []),
    ("What does DiabetesPedigreeFunction measure?",
     [define("DiabetesPedigreeFunction")], []),
    ("Rank all features by importance for patients over 60.",
     [filt(C("Age", ">", 60)), imp()], []),
    ("For patients 294 and 392, give me the predicted probabilities.",
     [filt(OR(ID(294), ID(392))), LIKELIHOOD], []),
    ("How does age shape the predicted risk?",
     [dep("Age")], []),
    # (d)
    ("what kind of model are you running?",
     [DMODEL], []),
    ("what's in this data, who are these people?",
     [DDATA], []),
    ("how many people in here actually have diabetes?",
     [filt(C("label", "==", 1)), COUNT], []),
    ("and how many does the model think have it?",
     [filt(C("prediction", "==", 1)), COUNT], []),
    ("For those people, what's the average age?",
     [prev(), stat("Age")], []),
    ("tell me more about that answer",
     [FOLLOWUP], []),
    ("is the model any good? how accurate?",
     [score()], []),
    ("what's the number one thing it looks at?",
     [imp(top=1)], ["numbers_in_words"]),
    ("same for people over fifty",
     [filt(C("Age", ">", 50)), REPEAT], ["numbers_in_words"]),
    ("And if their BMI was 10 lower?",
     [whatif("BMI", "decrease", 10), REPEAT], []),
    ("of them, which did it get wrong?",
     [prev(), mistakes("sample")], []),
    ("how many people here had more than ten pregnancies?",
     [filt(C("Pregnancies", ">", 10)), COUNT], ["numbers_in_words"]),
    ("does it treat older people unfairly?",
     [bias("Age")], []),
    ("whats the avrage bmi",
     [stat("BMI")], ["typo"]),
    ("what fraction of people over forty does the model say are diabetic?",
     [filt(C("Age", ">", 40)), stat("prediction")], ["numbers_in_words"]),
]

FLAGS = {
    "credit": set(),
    "german": None,  # every column except the numeric ones listed below
    "compas": {"recidivated", "felony", "misdemeanor", "woman", "man", "black"},
    "diabetes": set(),
}
GERMAN_NUMERIC = {"Age", "LoanDuration", "LoanAmount", "LoanRateAsPercentOfIncome", "YearsAtCurrentHome",
                  "NumberOfOtherLoansAtBank", "NumberOfLiableIndividuals"}
CATEGORIES = {"sex", "housing", "saving_accounts", "checking_account", "purpose"}


def leaves(e):
    if "feature" in e:
        return [e]
    if "not" in e:
        return leaves(e["not"])
    (_, xs), = e.items()
    return [x for sub in xs for x in leaves(sub)]


def tags_for(ws, question, steps, extra):
    ops = [s["op"] for s in steps]
    tags = []
    conds = [c for s in steps if s["op"] == "filter" for c in leaves(s["where"])]
    if "filter" in ops:
        tags.append("filter")
    feats = [c["feature"] for c in conds]
    if "id" in feats:
        tags.append("id")
    if len(conds) >= 2:
        tags.append("multi_cond")
    if len([o for o in ops if o != "filter"]) >= 2:
        tags.append("multi_op")
    if "label" in feats or "prediction" in feats:
        tags.append("class")
    for f in feats:
        is_flag = (f in FLAGS[ws]) if FLAGS[ws] is not None else (f not in GERMAN_NUMERIC | {"id", "label", "prediction"})
        if is_flag and "flag" not in tags:
            tags.append("flag")
        if ws == "credit" and f in CATEGORIES and "category" not in tags:
            tags.append("category")
    if "previous_filter" in ops or "repeat" in ops:
        tags.append("reference")
    if any(s["op"] == "statistic" and s["feature"] in ("prediction", "target") for s in steps):
        tags.append("share")
    n_words = len(question.split())
    if n_words <= 4:
        tags.append("short")
    if n_words >= 22:
        tags.append("long")
    tags += extra
    for o in ops:
        if o != "filter" and o not in tags:
            tags.append(o)
    return tags


def main():
    out = []
    for ws, items in (("credit", CREDIT), ("german", GERMAN), ("compas", COMPAS), ("diabetes", DIABETES)):
        assert len(items) == 60, (ws, len(items))
        for n, (q, steps, extra) in enumerate(items, 1):
            out.append({"id": f"{ws}-4{n:03d}", "workspace": ws, "question": q,
                        "gold": {"steps": steps}, "tags": tags_for(ws, q, steps, extra)})
    with open(os.path.join(HERE, "dev4.jsonl"), "w") as fh:
        for item in out:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} items")


if __name__ == "__main__":
    main()
