"""The trained parser on the families of misreadings the parser issue names, with cases written
here from the canonical rules (docs/query-language.md), on the built-in workspaces. Each case is
(workspace, question, the query in its text form); the comparison is on canonical JSON, so any
difference in steps, order, features, comparisons or value types fails.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from talk2model.parser.nl import NaturalLanguageParser
from talk2model.query.ast import Query
from talk2model.workspace import load_workspace

_PARSERS: dict[str, NaturalLanguageParser] = {}


def parser(ws: str) -> NaturalLanguageParser:
    if ws not in _PARSERS:
        _PARSERS[ws] = NaturalLanguageParser(load_workspace(ws))
    return _PARSERS[ws]


def check(ws: str, question: str, text: str) -> None:
    parsed = parser(ws).parse(question)
    assert parsed.query is not None, f"no query for {question!r}: {parsed.message or parsed.choices}"
    got = json.dumps(parsed.query.to_json(), sort_keys=True)
    want = json.dumps(Query.from_text(text).to_json(), sort_keys=True)
    assert got == want, f"{question!r}\n got  {parsed.query.to_text()}\n want {text}"


FAMILIES = {
    # 1. the model's task named as context is not a filter on the prediction
    "task": [
        ("diabetes", "when predicting whether people have diabetes, which features matter most?", "importance"),
        ("german", "how accurate are you at predicting if people are good credit risks?", "score accuracy"),
        ("compas", "for predicting who will reoffend, what are your 3 most important features?", "importance top 3"),
    ],
    # 3. a number that is an argument is not a row id or an age
    "argument numbers": [
        ("german", "what are the top 5 features", "importance top 5"),
        ("diabetes", "give me the three most important features for patients older than 50",
         "filter Age > 50 then importance top 3"),
        ("diabetes", "how many patients have a glucose level below a value of 80", "filter Glucose < 80 then count"),
        ("compas", "the single most important feature for the model?", "importance top 1"),
    ],
    # 4. ordinary words that share a stem with a metric or an operation
    "stems": [
        ("german", "can you give me a precise reason for the decision on applicant 993?",
         "filter id == 993 then explain auto"),
        ("compas", "what is the prediction for defendant 1595, in detail?", "filter id == 1595 then predict"),
        ("diabetes", "how precise is the model?", "score precision"),
    ],
    # 5. reasoning asked in other words
    "reasoning": [
        ("diabetes", "what is your rationale for patient 51?", "filter id == 51 then explain auto"),
        ("german", "walk me through the logic behind the result for applicant 859",
         "filter id == 859 then explain auto"),
        ("compas", "how did you determine the outcome for defendant 10239?", "filter id == 10239 then explain auto"),
    ],
    # 6. a group inside a what-if; a change is not a group
    "what-if": [
        ("diabetes", "if patients over 60 had a bmi 5 lower, what would the model predict for them?",
         "filter Age > 60 then whatif BMI decrease 5 then predict"),
        ("credit", "what would happen to renters if their loan amount were 1000 smaller?",
         'filter housing == "rent" then whatif credit_amount decrease 1000 then predict'),
        ("compas", "what if defendant 1595 had 2 fewer prior crimes?",
         "filter id == 1595 then whatif number_of_prior_crimes decrease 2 then predict"),
    ],
    # 7. coordinated requests: none dropped, none added
    "coordination": [
        ("german", "why was applicant 993 denied and how could that be changed?",
         "filter id == 993 then explain auto then counterfactual"),
        ("compas", "how likely is defendant 1595 to reoffend?", "filter id == 1595 then likelihood"),
        ("diabetes", "what does the model predict for patient 378 and how confident is it?",
         "filter id == 378 then predict then likelihood"),
    ],
}
CASES = [(family, *case) for family, cases in FAMILIES.items() for case in cases]


@pytest.mark.parametrize("family,ws,question,text", CASES, ids=[f"{c[0]}:{c[2][:40]}" for c in CASES])
def test_family(family, ws, question, text):
    check(ws, question, text)


# ---------------------------------------------------------------------------- 8. honest unknowns
def test_a_missing_feature_is_named_not_swapped():
    parsed = parser("credit").parse("is the model biased against foreigners?")
    assert parsed.query is None
    assert "'foreigners'" in parsed.message
    # the sensitive features of the workspace are offered, never a silent substitute
    offered = {c.query.steps[0].attribute for c in parsed.choices}
    assert offered == set(load_workspace("credit").schema.sensitive)


@pytest.mark.parametrize("ws,question,missing", [
    ("diabetes", "how many of the patients smoke?", "smoke"),
    ("german", "what is the average yearly salary of the applicants?", "salary"),
    ("compas", "does the model use the defendant's religion?", "religion"),
])
def test_something_the_data_lacks_is_said_with_the_nearest_real_features(ws, question, missing):
    """Never a stand-in: no query runs, the answer names the missing word and offers features
    the workspace really has."""
    parsed = parser(ws).parse(question)
    assert parsed.query is None and not parsed.choices, parsed.query and parsed.query.to_text()
    assert f"'{missing}'" in parsed.message
    labels = [spec.label for spec in load_workspace(ws).schema.features.values()]
    offered = parsed.message.split(f"'{missing}'")[1]
    assert any(label in offered for label in labels)


def test_a_change_the_data_cannot_make_is_said_not_dropped():
    """german has no income: 'if she earned more' must not silently become a plain prediction;
    a change it has (the loan amount) is still read, and 'tell me if ...' is not a change."""
    p = parser("german")
    parsed = p.parse("would applicant 5 be approved if she earned more?")
    assert parsed.query is None and "'if she earned more'" in parsed.message
    check("german", "what if applicant 5 had 2000 more in the loan?",
          "filter id == 5 then whatif LoanAmount increase 2000 then predict")
    check("german", "tell me if applicant 5 was approved", "filter id == 5 then predict")


def test_a_question_about_the_networks_insides_on_a_table_is_read_and_answered_as_not_here():
    """The german model is gradient boosting, not a network: asked how easily it is fooled, the
    reading is the adversarial question and the answer says it cannot be done here (never a silent
    stand-in such as the model's confidence); asked for the smallest change that flips one
    applicant's decision, the reading is the counterfactual this model can run."""
    from talk2model.assistant import Assistant

    german = load_workspace("german")
    assert not hasattr(german.model.estimator, "module")        # scikit-learn: no network inside
    answer = Assistant(german).ask("how easily can the model be fooled?")
    assert [s.op for s in answer.query.steps] == ["adversarial"] and "PyTorch network" in answer.text
    person = int(german.data.index[3])
    answer = Assistant(german).ask(f"what is the smallest change to applicant {person} that flips your decision?")
    assert [s.op for s in answer.query.steps][-1] == "counterfactual" and answer.selection_ids == [person]


def test_a_folded_reading_takes_the_probability_only_where_it_is_the_runner_up():
    from talk2model.parser.reader import _fold

    ops = np.array([[0.5, 0.3, 0.2], [0.5, 0.2, 0.3]])
    _fold(ops, source=0, target=1)
    assert np.allclose(ops, [[0.0, 0.8, 0.2], [0.5, 0.2, 0.3]])


def test_gibberish_gets_examples():
    parsed = parser("german").parse("qwzx vbnm")
    assert parsed.query is None and parsed.message.startswith("I did not understand that.")


def test_parse_never_raises():
    for text in ["", "?", "-" * 500, "\x00\x01", "why " * 300, "1e308", "applicant " + "9" * 400]:
        parsed = parser("compas").parse(text)
        assert parsed.query is not None or parsed.message or parsed.choices


def test_the_reader_opened_from_its_saved_optimised_graph_reads_as_the_plain_export():
    """The session opens in the background from the graph ONNX Runtime optimised once and saved
    beside the export; its outputs equal those of the plain export opened directly."""
    import onnxruntime as ort

    from talk2model.parser.encode import encode
    from talk2model.parser.reader import Reader, _onnx_path, artifact_paths

    reader = Reader()
    optimised = _onnx_path(artifact_paths()[0]).with_suffix(".optimised.onnx")
    session = reader.session
    assert optimised.exists()
    plain = ort.InferenceSession(str(_onnx_path(artifact_paths()[0])), providers=["CPUExecutionProvider"])
    g = parser("german").grounder.ground("what if applicant 12 had 2,000 less credit, would he be approved?")
    enc = encode(g, "")
    feed = {"ids": enc.ids[None], "segments": enc.segments[None], "span_types": enc.span_types[None],
            "mask": np.ones((1, len(enc)), dtype=np.int64)}
    names = [o.name for o in plain.get_outputs()]
    assert reader.outputs == names
    for got, want in zip(session.run(None, feed), plain.run(None, feed)):
        assert got.shape == want.shape and np.allclose(got, want, atol=1e-4)


def test_an_unreadable_saved_graph_is_optimised_and_saved_again(tmp_path):
    import shutil

    import onnxruntime as ort

    from talk2model.parser.reader import Reader, _onnx_path, artifact_paths

    export = tmp_path / "reader.onnx"
    shutil.copyfile(_onnx_path(artifact_paths()[0]), export)
    broken = export.with_suffix(".optimised.onnx")
    broken.write_bytes(b"not a graph")
    reader = Reader()
    reader.session                      # the shared export opened as usual
    reader._session = None
    reader._open(export)
    assert reader._failed is None and reader._session is not None
    ort.InferenceSession(str(broken), providers=["CPUExecutionProvider"])     # a real graph again
    assert not list(tmp_path.glob("*.part.onnx"))


def test_examples_built_in_two_processes_are_the_ones_one_process_builds():
    # `make parser` grounds its examples in two processes: what the network is fed (the batches)
    # must be exactly what one process would feed it, in the same order
    import torch

    from talk2model.parser.train.data import build_examples, load_items, vocabulary
    from talk2model.parser.train.fit import batch_tensors

    items = load_items(include_generated=False)
    vocab = vocabulary(items)
    items = items[::20][:1600]
    one, two = build_examples(items, vocab), build_examples(items, vocab, processes=2)
    assert [e.item.question for e in two] == [it.question for it in items]
    for k in range(0, len(one), 64):
        a, b = batch_tensors(one[k:k + 64]), batch_tensors(two[k:k + 64])
        assert a.keys() == b.keys()
        assert all(torch.equal(a[name], b[name]) for name in a)
