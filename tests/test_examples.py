"""The example questions each workspace shows (app, chat, capabilities) must all work."""

from __future__ import annotations

import pytest

from talk2model import Assistant
from talk2model.workspace import builtin_workspaces, load_workspace


@pytest.mark.parametrize("name", sorted(set(builtin_workspaces()) - {"adult"}))
def test_every_example_question_is_answered(name):
    ws = load_workspace(name)
    assert ws.schema.examples, f"{name} shows no example questions"
    for question in ws.schema.examples:
        answer = Assistant(ws).ask(question)
        assert answer.query is not None and not answer.choices, (question, answer.text)
        assert answer.error is None, (question, answer.text)
        assert answer.text.startswith("I understood: ")


@pytest.mark.parametrize("name, text, predicted", [
    ("credit", "Why was applicant 1 denied?", 0),
    ("german", "Why did the model predict applicant 993 as a bad credit risk?", 0),
    ("compas", "Why is defendant 1608 predicted likely to commit a crime?", 0),
    ("diabetes", "Why does the model think patient 378 has diabetes?", 1),
])
def test_examples_that_name_an_outcome_name_the_model_s_outcome(name, text, predicted):
    ws = load_workspace(name)
    assert text in ws.schema.examples
    row = int(next(t for t in text.replace("?", " ").split() if t.isdigit()))
    assert ws.model.predict(ws.data.loc[[row]])[0] == predicted
