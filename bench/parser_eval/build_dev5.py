"""Builds dev5.jsonl (written independently of the other dev files)."""
import json, os

def C(f, cmp, v): return {"feature": f, "cmp": cmp, "value": v}
def AND(*xs):
    out = []
    for x in xs:
        out += x["and"] if "and" in x else [x]
    return {"and": out}
def OR(*xs): return {"or": list(xs)}
def ID(n): return C("id", "==", n)
def F(e): return {"op": "filter", "where": e}
def FID(n): return F(ID(n))
PF = {"op": "previous_filter"}
def W(f, a, v): return {"op": "whatif", "feature": f, "action": a, "value": v}
P = {"op": "predict"}; L = {"op": "likelihood"}; CF = {"op": "counterfactual"}
def E(m="auto"): return {"op": "explain", "method": m}
def IMP(top=None, feature=None):
    s = {"op": "importance"}
    if top: s["top"] = top
    if feature: s["feature"] = feature
    return s
INT = {"op": "interactions"}; RULES = {"op": "rules"}; LAB = {"op": "labels"}
CNT = {"op": "count"}; SHOW = {"op": "show"}; DD = {"op": "describe_data"}
DM = {"op": "describe_model"}; CAP = {"op": "capabilities"}; REP = {"op": "repeat"}; FU = {"op": "followup"}
def DEP(f): return {"op": "dependence", "feature": f}
def S(m="accuracy"): return {"op": "score", "metric": m}
def M(mode): return {"op": "mistakes", "mode": mode}
def ST(f): return {"op": "statistic", "feature": f}
def B(a): return {"op": "bias", "attribute": a}
def DEF(f): return {"op": "define", "feature": f}

G = [  # german: y 1 = good credit risk, 0 = bad; Gender 1 = male
("What does the model predict for datapoint 993?", [FID(993), P], ["id"]),
("why did the model classify sample #859 as a bad credit risk", [FID(859), E()], ["id", "class"]),
("What's the probability that applicant 298 is a good credit risk?", [FID(298), L], ["id"]),
("what would person with id 553 have to change to get a different prediction?", [FID(553), CF], ["id"]),
("What are the features that matter most for the model's predictions?", [IMP()], []),
("whats the single most important feature", [IMP(1)], ["short"]),
("List the five most important features.", [IMP(5)], ["numbers_in_words"]),
("How important is LoanDuration to the model?", [IMP(feature="LoanDuration")], []),
("is loan amount more important than age?", [IMP(feature="LoanAmount"), IMP(feature="Age")], ["multi_op"]),
("How many women are in the data set?", [F(C("Gender", "==", 0)), CNT], ["filter", "flag"]),
("how many applicants are foreign workers and are predicted as bad credit risk", [F(AND(C("ForeignWorker", "==", 1), C("prediction", "==", 0))), CNT], ["filter", "multi_cond", "flag", "class"]),
("What percentage of single people does the model classify as good credit risk?", [F(C("Single", "==", 1)), ST("prediction")], ["filter", "flag", "share"]),
("what fraction of the renters actually have good credit risk in the data?", [F(C("RentsHouse", "==", 1)), ST("target")], ["filter", "flag", "share"]),
("is the model biased against female applicants, and against older ones?", [B("Gender"), B("Age")], ["multi_op"]),
("Does the model treat ForeignWorker applicants unfairly?", [B("ForeignWorker")], []),
("Would the prediction for instance 672 change if the applicant's gender were different?", [FID(672), B("Gender")], ["id"]),
("What if applicant 971 had a loan duration of 12 months?", [FID(971), W("LoanDuration", "set", 12), P], ["id"]),
("If we increase the loan amount of data point 27 by 2000, what happens to the model's prediction?", [FID(27), W("LoanAmount", "increase", 2000), P], ["id"]),
("how would the probability of good credit change for row 231 if the LoanAmount were 1500 less", [FID(231), W("LoanAmount", "decrease", 1500), L], ["id"]),
("For all the people with a loan duration over 36 months, what does the model predict?", [F(C("LoanDuration", ">", 36)), P], ["filter"]),
("among those who own a house and are older than 40, how accurate is the model", [F(AND(C("OwnsHouse", "==", 1), C("Age", ">", 40))), S()], ["filter", "multi_cond", "flag"]),
("What's the model's F1 score on applicants under 30?", [F(C("Age", "<", 30)), S("f1")], ["filter"]),
("show me some mistakes the model makes on people with missed payments", [F(C("MissedPayments", "==", 1)), M("sample")], ["filter", "flag"]),
("how many mistakes does the model make overall, and what kind are they?", [M("count"), M("typical")], ["multi_op"]),
("What kind of mistakes does the model make on unemployed applicants?", [F(C("Unemployed", "==", 1)), M("typical")], ["filter", "flag"]),
("show me the data for id 306", [FID(306), SHOW], ["id"]),
("what is the true label of sample 706 and what does the model predict for it", [FID(706), LAB, P], ["id", "multi_op"]),
("average loan amount for people who have a guarantor?", [F(C("HasGuarantor", "==", 1)), ST("LoanAmount")], ["filter", "flag"]),
("summary stats of Age and LoanAmount", [ST("Age"), ST("LoanAmount")], ["short", "multi_op"]),
("how does the prediction change as LoanRateAsPercentOfIncome goes up", [DEP("LoanRateAsPercentOfIncome")], []),
("What does NumberOfLiableIndividuals mean?", [DEF("NumberOfLiableIndividuals")], []),
("what does the feature CheckingAccountBalanceGreaterOrEqualThan200 refer to", [DEF("CheckingAccountBalanceGreaterOrEqualThan200")], []),
("Tell me about the dataset and the model.", [DD, DM], ["multi_op"]),
("What kind of model is being used here?", [DM], []),
("hi, what kinds of things can you do", [CAP], ["short"]),
("Give me the if-then rules the model uses to decide who is a good credit risk.", [RULES], []),
("Which features interact with each other the most?", [INT], []),
("ok go on and tell me more about that", [FU], ["short"]),
("And what is the accuracy for those people?", [PF, S()], ["reference"]),
("Among them, how many are predicted as good credit risk?", [PF, F(C("prediction", "==", 1)), CNT], ["reference", "filter", "class"]),
("and if they were 25?", [W("Age", "set", 25), REP], ["short"]),
("show the data points with LoanAmount between 2000 and 5000", [F(AND(C("LoanAmount", ">=", 2000), C("LoanAmount", "<=", 5000))), SHOW], ["filter", "range"]),
("how many applicants in their 20s have a telephone?", [F(AND(C("Age", ">=", 20), C("Age", "<", 30), C("HasTelephone", "==", 1))), CNT], ["filter", "range", "flag", "multi_cond"]),
("explain the prediction for applicant 496 using SHAP", [FID(496), E("shap")], ["id"]),
("use lime to explain why id 558 was classified as good credit risk", [FID(558), E("lime")], ["id", "class"]),
("how confident is the model in its prediction for data point number 784?", [FID(784), L], ["id"]),
("predict applicant 239 and explain why", [FID(239), P, E()], ["id", "multi_op"]),
("What does the model predict for applicants 578 and 55?", [F(OR(ID(578), ID(55))), P], ["id"]),
("How many people are predicted to be a bad credit risk but are actually a good credit risk?", [F(AND(C("prediction", "==", 0), C("label", "==", 1))), CNT], ["filter", "class", "multi_cond"]),
("accuracy for people whose loan is for a new car and who are under 35", [F(AND(C("loanpurposeNewCar", "==", 1), C("Age", "<", 35))), S()], ["filter", "flag", "multi_cond"]),
("what is the recall of the model", [S("recall")], []),
("Precision and recall on skilled workers?", [F(C("JobClassIsSkilled", "==", 1)), S("precision"), S("recall")], ["filter", "flag", "multi_op"]),
("what would the model predict for people with an education loan if they were not foreign workers", [F(C("loanpurposeEducation", "==", 1)), W("ForeignWorker", "set", 0), P], ["filter", "flag"]),
("How many applicants who are not single have a coapplicant?", [F(AND(C("Single", "==", 0), C("HasCoapplicant", "==", 1))), CNT], ["filter", "flag", "multi_cond"]),
("how importnat is the loan amount for the model", [IMP(feature="LoanAmount")], ["typo"]),
("Why does the model think 175 is a bad risk, and what could they change to get approved?", [FID(175), E(), CF], ["id", "multi_op", "class"]),
("how do the predictions depend on age for female applicants", [F(C("Gender", "==", 0)), DEP("Age")], ["filter", "flag"]),
("Number of people older than sixty", [F(C("Age", ">", 60)), CNT], ["filter", "numbers_in_words"]),
("what proportion of applicants with at least 2 other loans at the bank get predicted bad credit risk?", [F(C("NumberOfOtherLoansAtBank", ">=", 2)), ST("prediction")], ["filter", "share"]),
("Show applicants with no current loan who are younger than 25", [F(AND(C("NoCurrentLoan", "==", 1), C("Age", "<", 25))), SHOW], ["filter", "flag", "multi_cond"]),
("what's the roc auc and the accuracy", [S("roc_auc"), S()], ["short", "multi_op"]),
("give examples of where the model goes wrong for people with savings account balance >= 500", [F(C("SavingsAccountBalanceGreaterOrEqualThan500", "==", 1)), M("sample")], ["filter", "flag"]),
("What would happen if applicant 14's YearsAtCurrentHome was 4 and they had a telephone?", [FID(14), W("YearsAtCurrentHome", "set", 4), W("HasTelephone", "set", 1), P], ["id"]),
("specificity of the model for male applicants", [F(C("Gender", "==", 1)), S("specificity")], ["filter", "flag"]),
("What are the true labels for applicants aged 35?", [F(C("Age", "==", 35)), LAB], ["filter"]),
("prediction for id 77 plz", [FID(77), P], ["id", "short"]),
("Is the model biased with respect to age?", [B("Age")], []),
("how many applicants have either a guarantor or a coapplicant", [F(OR(C("HasGuarantor", "==", 1), C("HasCoapplicant", "==", 1))), CNT], ["filter", "flag", "multi_cond"]),
("Loan_Duration stats for the ones predicted good credit risk", [F(C("prediction", "==", 1)), ST("LoanDuration")], ["filter", "class"]),
("explain the model's predictions for people who are unemployed and have been at their current home for 4 years, then tell me how accurate it is on them", [F(AND(C("Unemployed", "==", 1), C("YearsAtCurrentHome", "==", 4))), E(), S()], ["filter", "flag", "multi_cond", "multi_op", "long"]),
]

CP = [  # compas: y 1 = unlikely to commit a crime, 0 = likely
("what is the model's prediction for defendant 10239", [FID(10239), P], ["id"]),
("why was person with id 1595 predicted likely to commit a crime?", [FID(1595), E()], ["id", "class"]),
("how confident is the model about sample 6458", [FID(6458), L], ["id"]),
("What would need to change for 7645 to be predicted as unlikely to commit a crime?", [FID(7645), CF], ["id", "class"]),
("number of black defendants the model predicts as likely to commit a crime", [F(AND(C("black", "==", 1), C("prediction", "==", 0))), CNT], ["filter", "flag", "class", "multi_cond"]),
("is the model biased against black people", [B("black")], []),
("Is the model fair towards women?", [B("woman")], []),
("Would the model's prediction for person 5883 change if their race were different?", [FID(5883), B("black")], ["id"]),
("what if defendant 1200 had zero prior crimes", [FID(1200), W("number_of_prior_crimes", "set", 0), P], ["id", "numbers_in_words"]),
("if we change the age of datapoint 2907 to 50, what happens to the prediction?", [FID(2907), W("age", "set", 50), P], ["id"]),
("how would the probabilities change for row 5294 if their number of priors went up by 3", [FID(5294), W("number_of_prior_crimes", "increase", 3), L], ["id"]),
("For people with more than 10 prior crimes, what does the model predict?", [F(C("number_of_prior_crimes", ">", 10)), P], ["filter"]),
("accuracy on women over 40", [F(AND(C("woman", "==", 1), C("age", ">", 40))), S()], ["filter", "flag", "multi_cond"]),
("Among men in the data, what proportion are predicted as unlikely to commit a crime?", [F(C("man", "==", 1)), ST("prediction")], ["filter", "flag", "share"]),
("what percentage of felony defendants are truly labeled as likely to commit a crime", [F(C("felony", "==", 1)), ST("target")], ["filter", "flag", "share"]),
("how many people spent more than 12 months in jail and had over 5 prior crimes", [F(AND(C("months_in_jail", ">", 12), C("number_of_prior_crimes", ">", 5))), CNT], ["filter", "multi_cond"]),
("which single feature is the most important one for the model?", [IMP(1)], []),
("what are the top 3 features the model relies on", [IMP(3)], []),
("how important is months_in_jail", [IMP(feature="months_in_jail")], []),
("Is age more important than the number of prior crimes?", [IMP(feature="age"), IMP(feature="number_of_prior_crimes")], ["multi_op"]),
("show me the rows for defendants 7095 and 1608", [F(OR(ID(7095), ID(1608))), SHOW], ["id"]),
("what does the recidivated column mean and how important is it", [DEF("recidivated"), IMP(feature="recidivated")], ["multi_op"]),
("describe the data for me", [DD], ["short"]),
("What model are you using to make these predictions?", [DM], []),
("which features interact most strongly", [INT], []),
("What rules does the model follow when it decides someone is likely to commit a crime?", [RULES], []),
("how does the prediction change as the number_of_prior_crimes increases?", [DEP("number_of_prior_crimes")], []),
("what are the typical errors the model makes", [M("typical")], []),
("How many errors does the model make for black defendants?", [F(C("black", "==", 1)), M("count")], ["filter", "flag"]),
("show me misclassified examples among people charged with a misdemeanor", [F(C("misdemeanor", "==", 1)), M("sample")], ["filter", "flag"]),
("explain instance 10817 with lime and with shap", [FID(10817), E("lime"), E("shap")], ["id", "multi_op"]),
("and for those people, what's the f1 score?", [PF, S("f1")], ["reference"]),
("of those, how many are women", [PF, F(C("woman", "==", 1)), CNT], ["reference", "filter", "flag"]),
("show me more please", [FU], ["short"]),
("and if they were 30?", [W("age", "set", 30), REP], ["short"]),
("average age of people the model predicts are likely to commit a crime", [F(C("prediction", "==", 0)), ST("age")], ["filter", "class"]),
("statistics for number_of_prior_crimes and months_in_jail", [ST("number_of_prior_crimes"), ST("months_in_jail")], ["multi_op"]),
("How many of the people between 25 and 35 with a felony charge are predicted unlikely to commit a crime?", [F(AND(C("age", ">=", 25), C("age", "<=", 35), C("felony", "==", 1), C("prediction", "==", 1))), CNT], ["filter", "range", "flag", "class", "multi_cond"]),
("predict sample 9914 and give me the probability too", [FID(9914), P, L], ["id", "multi_op"]),
("why did the model predict 4052 as unlikely to reoffend, and what would flip that?", [FID(4052), E(), CF], ["id", "class", "multi_op"]),
("true label for id 5899?", [FID(5899), LAB], ["id", "short"]),
("how many defendants are predicted likely to commit a crime but are actually labeled unlikely to?", [F(AND(C("prediction", "==", 0), C("label", "==", 1))), CNT], ["filter", "class", "multi_cond"]),
("what's the precision on people with no prior crimes", [F(C("number_of_prior_crimes", "==", 0)), S("precision")], ["filter"]),
("What would the model say about women charged with a felony if they had 2 more prior crimes?", [F(AND(C("woman", "==", 1), C("felony", "==", 1))), W("number_of_prior_crimes", "increase", 2), P], ["filter", "flag", "multi_cond"]),
("if defendant 228 was 10 years younger and had no prior crimes, what would the model predict?", [FID(228), W("age", "decrease", 10), W("number_of_prior_crimes", "set", 0), P], ["id"]),
("Is the model fair across different ages?", [B("age")], []),
("shows rows w/ age under 21", [F(C("age", "<", 21)), SHOW], ["filter", "typo"]),
("how many people have recidivated = 1 and are black", [F(AND(C("recidivated", "==", 1), C("black", "==", 1))), CNT], ["filter", "flag", "multi_cond"]),
("what's the npv of the model and its specificity", [S("npv"), S("specificity")], ["multi_op"]),
("How many nineteen year old defendants are there?", [F(C("age", "==", 19)), CNT], ["filter", "numbers_in_words"]),
("explain the predictions for men with more than five priors using shap", [F(AND(C("man", "==", 1), C("number_of_prior_crimes", ">", 5))), E("shap")], ["filter", "flag", "multi_cond", "numbers_in_words"]),
("show me data point number 3917 and explain why it is predicted the way it is", [FID(3917), SHOW, E()], ["id", "multi_op"]),
("wat does the modle predict for people who spent no time in jail", [F(C("months_in_jail", "==", 0)), P], ["filter", "typo"]),
("What's the recall for people over 60?", [F(C("age", ">", 60)), S("recall")], ["filter"]),
("Among those who are not black, what fraction does the model classify as likely to commit a crime?", [F(C("black", "==", 0)), ST("prediction")], ["filter", "flag", "share"]),
("Give me the true outcomes and the model's predictions for everyone aged 45", [F(C("age", "==", 45)), LAB, P], ["filter", "multi_op"]),
("How does age influence the predictions for black defendants?", [F(C("black", "==", 1)), DEP("age")], ["filter", "flag"]),
("for data instance 10301, what if their months_in_jail were 0 - how would the likelihood of being predicted unlikely to commit a crime change?", [FID(10301), W("months_in_jail", "set", 0), L], ["id", "long"]),
("Why were defendants 7373 and 2478 predicted that way?", [F(OR(ID(7373), ID(2478))), E()], ["id"]),
("how many misdemeanor cases have at most 2 priors and are men", [F(AND(C("misdemeanor", "==", 1), C("number_of_prior_crimes", "<=", 2), C("man", "==", 1))), CNT], ["filter", "flag", "multi_cond"]),
("Whats the accuracy, and what kinds of mistakes does the model make?", [S(), M("typical")], ["multi_op"]),
("What changes would make sample #6588 be classified as likely to commit a crime, and what does the model predict now?", [FID(6588), CF, P], ["id", "multi_op", "class"]),
("average months_in_jail for black people with recidivated = 1", [F(AND(C("black", "==", 1), C("recidivated", "==", 1))), ST("months_in_jail")], ["filter", "flag", "multi_cond"]),
("How many people in the data are predicted as unlikely to commit a crime?", [F(C("prediction", "==", 1)), CNT], ["filter", "class"]),
("rank the features by importance for me", [IMP()], []),
("what would the model predict if everyone spent one month less in jail", [W("months_in_jail", "decrease", 1), P], ["numbers_in_words"]),
("for the same group, explain the model's predictions", [PF, E()], ["reference"]),
("How many women with no prior crimes are predicted likely to commit a crime?", [F(AND(C("woman", "==", 1), C("number_of_prior_crimes", "==", 0), C("prediction", "==", 0))), CNT], ["filter", "flag", "class", "multi_cond"]),
("roc auc for the women only?", [F(C("woman", "==", 1)), S("roc_auc")], ["filter", "flag"]),
("what does the model predict for people aged between 30 and 40 who are charged with a felony and are black", [F(AND(C("age", ">=", 30), C("age", "<=", 40), C("felony", "==", 1), C("black", "==", 1))), P], ["filter", "range", "flag", "multi_cond", "long"]),
]

D = [  # diabetes: y 1 = diabetes
("what does the model predict for patient 51", [FID(51), P], ["id"]),
("why is patient 378 predicted to have diabetes?", [FID(378), E()], ["id", "class"]),
("What's the likelihood that patient 27 has diabetes?", [FID(27), L], ["id"]),
("what would patient 579 need to change to be predicted as not diabetic", [FID(579), CF], ["id", "class"]),
("If patient 86's glucose was 120, what would the model predict?", [FID(86), W("Glucose", "set", 120), P], ["id"]),
("increase the BMI by 5 for sample 144: does the prediction change?", [FID(144), W("BMI", "increase", 5), P], ["id"]),
("how many patients with glucose above 150 are predicted to be diabetic", [F(AND(C("Glucose", ">", 150), C("prediction", "==", 1))), CNT], ["filter", "class", "multi_cond"]),
("What percentage of patients over 50 does the model predict to have diabetes?", [F(C("Age", ">", 50)), ST("prediction")], ["filter", "share"]),
("what proportion of patients with a BMI over 30 actually have diabetes", [F(C("BMI", ">", 30)), ST("target")], ["filter", "share"]),
("which features matter the most for the model", [IMP()], []),
("top two features?", [IMP(2)], ["short", "numbers_in_words"]),
("how important is insulin for predicting diabetes", [IMP(feature="Insulin")], []),
("Is BMI more important than Glucose?", [IMP(feature="BMI"), IMP(feature="Glucose")], ["multi_op"]),
("is the model biased based on patient age?", [B("Age")], ["short"]),
("What is the model's prediction for patient 65 and why?", [FID(65), P, E()], ["id", "multi_op"]),
("accuracy for patients younger than 30 with a BMI over 35", [F(AND(C("Age", "<", 30), C("BMI", ">", 35))), S()], ["filter", "multi_cond"]),
("What's the recall for people with 3 or more pregnancies?", [F(C("Pregnancies", ">=", 3)), S("recall")], ["filter"]),
("show me examples of wrong predictions for patients with a glucose of at least 140", [F(C("Glucose", ">=", 140)), M("sample")], ["filter"]),
("What does DiabetesPedigreeFunction mean?", [DEF("DiabetesPedigreeFunction")], []),
("how does the predicted outcome change as Glucose goes up?", [DEP("Glucose")], []),
("show the patients with a BloodPressure of 0", [F(C("BloodPressure", "==", 0)), SHOW], ["filter"]),
("mean insulin and mean glucose for the ones predicted not to have diabetes", [F(C("prediction", "==", 0)), ST("Insulin"), ST("Glucose")], ["filter", "class", "multi_op"]),
("and for those people, what's the average BMI?", [PF, ST("BMI")], ["reference"]),
("and if they were 45?", [W("Age", "set", 45), REP], ["short"]),
("could you keep going and tell me a bit more", [FU], ["short"]),
("what data set is this and how many patients are in it?", [DD, CNT], ["multi_op"]),
("What type of model makes the predictions?", [DM], []),
("what sort of questions can I ask you?", [CAP], ["short"]),
("explain patient 10 with shap", [FID(10), E("shap")], ["id", "short"]),
("use LIME to explain data point 522", [FID(522), E("lime")], ["id"]),
("what are the model's predictions for patients 535 and 123", [F(OR(ID(535), ID(123))), P], ["id"]),
("How many patients are predicted to have diabetes but actually don't?", [F(AND(C("prediction", "==", 1), C("label", "==", 0))), CNT], ["filter", "class", "multi_cond"]),
("how many patients have a BMI between 25 and 30 and are older than 40", [F(AND(C("BMI", ">=", 25), C("BMI", "<=", 30), C("Age", ">", 40))), CNT], ["filter", "range", "multi_cond"]),
("precision of the model", [S("precision")], ["short"]),
("What's the F1 and the accuracy for patients in their 30s?", [F(AND(C("Age", ">=", 30), C("Age", "<", 40))), S("f1"), S()], ["filter", "range", "multi_op"]),
("what kind of mistakes does the model make on patients with zero insulin", [F(C("Insulin", "==", 0)), M("typical")], ["filter", "numbers_in_words"]),
("how many mistakes does it make on people with more than 5 pregnancies", [F(C("Pregnancies", ">", 5)), M("count")], ["filter"]),
("give me the if then rules the model is using and its accuracy", [RULES, S()], ["multi_op"]),
("which features interact, and what is the top feature?", [INT, IMP(1)], ["multi_op"]),
("What is the real label of instance 389, and the model's prediction?", [FID(389), LAB, P], ["id", "multi_op"]),
("predict patient 399 and tell me how confident the model is", [FID(399), P, L], ["id", "multi_op"]),
("Why was patient 270 classified as not having diabetes, and what would need to change?", [FID(270), E(), CF], ["id", "class", "multi_op"]),
("What would the model predict for patient 81 if their BMI was 25 and their glucose was 100?", [FID(81), W("BMI", "set", 25), W("Glucose", "set", 100), P], ["id"]),
("if the glucose of patient 80 dropped by 30 how would the probability of diabetes change", [FID(80), W("Glucose", "decrease", 30), L], ["id"]),
("For all patients with a glucose over 160, what would the model predict if their BMI were 10 lower?", [F(C("Glucose", ">", 160)), W("BMI", "decrease", 10), P], ["filter"]),
("summary statistics of Blood Pressure", [ST("BloodPressure")], []),
("Average age of patients with diabetes according to the labels", [F(C("label", "==", 1)), ST("Age")], ["filter", "class"]),
("how many patients are over sixty five", [F(C("Age", ">", 65)), CNT], ["filter", "numbers_in_words"]),
("show me the data for patient number 450 and its prediction", [FID(450), SHOW, P], ["id", "multi_op"]),
("what is skin thickness", [DEF("SkinThickness")], ["short"]),
("Does the model's prediction depend on the number of pregnancies? show me how it changes with pregnancies", [DEP("Pregnancies")], []),
("How does age affect the prediction for patients with a BMI of at least 35?", [F(C("BMI", ">=", 35)), DEP("Age")], ["filter"]),
("what are the three most important features for patients under 25", [F(C("Age", "<", 25)), IMP(3)], ["filter", "numbers_in_words"]),
("of these, how many actually have diabetes", [PF, F(C("label", "==", 1)), CNT], ["reference", "filter", "class"]),
("what's the specificity for those patients", [PF, S("specificity")], ["reference"]),
("how many patients have no pregnancies and a glucose under 100", [F(AND(C("Pregnancies", "==", 0), C("Glucose", "<", 100))), CNT], ["filter", "multi_cond"]),
("predicitons for patients with a diabetes pedigree function above 1 and glucose below 120", [F(AND(C("DiabetesPedigreeFunction", ">", 1), C("Glucose", "<", 120))), P], ["filter", "typo", "multi_cond"]),
("what is the model's roc_auc on patients with insulin over 200 and a skin thickness over 30", [F(AND(C("Insulin", ">", 200), C("SkinThickness", ">", 30))), S("roc_auc")], ["filter", "multi_cond"]),
("What share of patients aged 21 are predicted diabetic?", [F(C("Age", "==", 21)), ST("prediction")], ["filter", "share"]),
("which patients have a blood pressure above 100 or a BMI above 45? show them", [F(OR(C("BloodPressure", ">", 100), C("BMI", ">", 45))), SHOW], ["filter", "multi_cond"]),
("how importent is age?", [IMP(feature="Age")], ["typo", "short"]),
("Is Age more important than Pregnancies for the model?", [IMP(feature="Age"), IMP(feature="Pregnancies")], ["multi_op"]),
("What are the true labels for patients with a glucose of 0?", [F(C("Glucose", "==", 0)), LAB], ["filter"]),
("explain the model's predictions for patients over 50 who have had at least 4 pregnancies", [F(AND(C("Age", ">", 50), C("Pregnancies", ">=", 4))), E()], ["filter", "multi_cond"]),
("If patient 693 were ten years older, would the model still predict the same thing?", [FID(693), W("Age", "increase", 10), P], ["id", "numbers_in_words"]),
("what fraction of patients with an insulin of at most 50 have diabetes in the data", [F(C("Insulin", "<=", 50)), ST("target")], ["filter", "share"]),
("What is the diabetes likelihood for sample #648, and what would make it flip?", [FID(648), L, CF], ["id", "multi_op"]),
("among patients with a BMI under 25 and a glucose above 140, what does the model predict and how accurate is it?", [F(AND(C("BMI", "<", 25), C("Glucose", ">", 140))), P, S()], ["filter", "multi_cond", "multi_op", "long"]),
("give some examples of mistakes the model makes", [M("sample")], []),
("Glucose stats for patients predicted to have diabetes and older than 40", [F(AND(C("prediction", "==", 1), C("Age", ">", 40))), ST("Glucose")], ["filter", "class", "multi_cond"]),
]

def main():
    out = []
    for ws, items in (("german", G), ("compas", CP), ("diabetes", D)):
        n = 0
        for q, steps, tags in items:
            if steps is None:
                continue
            n += 1
            tags = list(tags)
            for s in steps:
                if s["op"] != "filter" and s["op"] not in tags:
                    tags.append(s["op"])
            if any(s["op"] == "previous_filter" for s in steps) and "reference" not in tags:
                tags.append("reference")
            if any(s["op"] == "whatif" for s in steps) and "whatif" not in tags:
                tags.append("whatif")
            out.append({"id": f"{ws}-5{n:03d}", "workspace": ws, "question": q,
                        "gold": {"steps": steps}, "tags": tags})
        print(ws, n)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "dev5.jsonl"), "w") as fh:
        for o in out:
            fh.write(json.dumps(o) + "\n")

main()
