"""'Why was applicant 12 denied?' when the model approves: the answer says so first."""

from __future__ import annotations

from talk2model import Assistant
from talk2model.parser.presupposition import mentioned_class

NOTE = "Note: the model does not predict"


def test_the_longest_class_phrase_wins(compas, credit):
    assert mentioned_class("why is he unlikely to reoffend?", compas.schema) == 1
    assert mentioned_class("why is he likely to reoffend?", compas.schema) == 0
    assert mentioned_class("why was she rejected?", credit.schema) == 0
    assert mentioned_class("approved or rejected?", credit.schema) is None
    assert mentioned_class("what does the model predict?", credit.schema) is None


def test_a_wrong_premise_is_named_before_the_explanation(credit):
    pred = credit.model.estimator.predict(credit.X())
    approved = [i for i, p in zip(credit.ids, pred) if p == 1][:3]
    denied = [i for i, p in zip(credit.ids, pred) if p == 0][:3]
    bot = Assistant(credit)
    for row in approved:
        body = bot.ask(f"Why was applicant {row} denied?").body
        assert body.startswith(f"{NOTE} bad credit risk for applicant {row}: it predicts good credit risk.")
    for row in denied:
        assert NOTE not in bot.ask(f"Why was applicant {row} denied?").body


def test_a_counterfactual_toward_the_outcome_already_predicted_says_so(credit):
    pred = credit.model.estimator.predict(credit.X())
    approved = next(i for i, p in zip(credit.ids, pred) if p == 1)
    body = Assistant(credit).ask(f"What would applicant {approved} need to change to be approved?").body
    assert body.startswith(f"Note: the model already predicts good credit risk for applicant {approved}")
