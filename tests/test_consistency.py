"""Numbers that agree: over every operation's answer for three workspaces (and every operation an
image workspace answers, on digits; the network's own operations on diabetes-mlp), a figure that appears in both the text and the table reads the
same in both (same rounding, same units: never "57.9%" in the text and "0.579" in the table, or
"0.196" against "0.1965"); the table lists what the text lists; outcomes are class phrases, never
codes; coded values carry their meaning. Every operation is asked, except the ones that say, in their
own words, that they do not apply to a workspace's kind or model."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from talk2model import Assistant
from talk2model.engine import ERR_TABLE_ONLY, run_query
from talk2model.errors import OperationError, Talk2ModelError
from talk2model.explainers import explainer_for
from talk2model.explainers.network import ERR_NOT_TORCH, network
from talk2model.ops import anchor, concepts, faithfulness, visualize_class
from talk2model.ops.registry import load_all
from talk2model.query import ast as q
from talk2model.state import Conversation
from talk2model.verbalize.tables import markdown_table
from talk2model.workspace import load_workspace

# a number as the answers write it: "1,234", "-0.1965", "57.9%", and the two ends of "35.9–91.8%"
_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUMBER = re.compile(rf"(?<![\w.,]){_NUM}%?")
RANGE = re.compile(rf"({_NUM})(?:–| to )({_NUM})(%| points)")


def _figures_only(text: str) -> str:
    """The text without the confidence level of its intervals ("95% interval" is a label)."""
    return re.sub(r"95% (?=(?:Wilson |bootstrap )?interval)", "", text)


def numbers(text: str) -> list[tuple[str, float, float]]:
    """(as written, value, one unit in its last written place) of every number in `text`; a
    percentage's value is its share (57.9% -> 0.579, place 0.001), and both ends of a range of
    percentages or points are percentages."""
    def parsed(token: str, percent: bool) -> tuple[str, float, float]:
        digits = token.rstrip("%").lstrip("+")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        scale = 100 if percent else 1
        return (token.lstrip("+"), float(digits.replace(",", "")) / scale, 10 ** -decimals / scale)

    found = []
    for low, high, unit in RANGE.findall(text):
        found += [parsed(part + "%", True) for part in (low, high)]
    for token in NUMBER.findall(RANGE.sub(" ", text)):
        found.append(parsed(token, token.endswith("%")))
    return found


def near_misses(text: str, cells: list[str]) -> list[tuple[str, str]]:
    """Pairs (text, table) that are one quantity written two ways: closer than one unit in the
    last place of the coarser of the two (what rounding one number twice gives, or one number in
    two units), yet written differently."""
    table = [n for cell in cells for n in numbers(_figures_only(cell))]
    said = numbers(_figures_only(text))
    in_text, in_table = {n[0] for n in said}, {n[0] for n in table}
    misses = []
    for t_written, t, t_place in said:
        for c_written, c, c_place in table:
            # equal; or each figure also written exactly as in the other place (two quantities
            # that happen to be close: "0.023" and "0.0227" both in the text and the table); or
            # too short to tell one quantity from another (a one-digit "0.8")
            if (t_written == c_written or c_written in in_text or t_written in in_table
                    or min(_significant(t_written), _significant(c_written)) < 2):
                continue
            whole = [p == 1 and not w.endswith("%") for w, p in ((t_written, t_place), (c_written, c_place))]
            if whole[0] != whole[1] and max(abs(t), abs(c)) < 1000:
                continue          # a count in one place, a measure in the other: different quantities
            if abs(t - c) <= max(t_place, c_place) / 2 + 1e-12:
                misses.append((t_written, c_written))
    return misses


def _significant(written: str) -> int:
    return len(re.sub(r"[^0-9]", "", written).lstrip("0"))


def table_cells(table: pd.DataFrame) -> list[str]:
    """Every cell as the one table writer writes it (headers left out)."""
    lines = markdown_table(table, max_columns=None, max_rows=None).splitlines()[2:]
    return [c.strip() for line in lines for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def queries(ws) -> list[str]:
    """One or more questions for every operation, in the query language, for this workspace."""
    schema = ws.schema
    pred = ws.predictions()
    low = pred[pred == min(schema.classes)].index[0]
    high = pred[pred == max(schema.classes)].index[0]
    numeric = next(n for n, f in schema.features.items() if f.kind == "numeric" and n in ws.model.feature_names)
    attribute = schema.sensitive[0]
    older = f"{numeric} > {ws.data[numeric].median():g}"
    return [
        f"filter id == {low} then predict", f"filter {older} then predict",
        f"filter id == {low} then likelihood", f"filter {older} then likelihood",
        f"filter id == {low} then explain auto", f"filter {older} then explain auto",
        f"filter id == {low} then counterfactual", f"filter id == {high} then counterfactual",
        f"filter {older} then counterfactual",
        "importance", f"importance feature {numeric}", "importance top 3",
        "interactions", f"dependence {numeric}", f"filter id == {low} then dependence {numeric}",
        "rules", f"filter {older} then rules",
        "score accuracy", "score f1", "score roc_auc", "score precision", f"filter {older} then score recall",
        "mistakes count", "mistakes typical", "mistakes sample",
        f"filter {older} then labels", f"filter id == {low} then labels",
        "count", f"filter {older} then count", f"previous_filter then filter prediction == {low and min(schema.classes)} then count",
        f"filter id == {low} then show", f"filter {older} then show",
        f"statistic {numeric}", "statistic target", f"filter {older} then statistic prediction",
        f"bias {attribute}", f"filter id == {low} then bias {attribute}",
        "describe_data", "describe_model", f"define {numeric}", "capabilities",
        f"filter id == {low} then whatif {numeric} increase 1 then predict",
        "confusion", f"filter {older} then confusion",
        f"filter id == {low} then anchor", f"filter id == {high} then anchor",
    ] + ([f"filter id == {low} then faithfulness"] if measurable(ws) else []) + (
        network_queries(ws, low, older) if has_network(ws) else [])


def network_queries(ws, row, selection: str) -> list[str]:
    """The operations that look inside a PyTorch network, on a table's one row and a selection."""
    return [f"filter id == {row} then adversarial", f"filter {selection} then adversarial",
            f"filter id == {row} then influence", "influence mislabelled",
            "embedding pca", f"filter {selection} then embedding tsne by prediction"]


def measurable(ws) -> bool:
    """Whether the faithfulness comparison applies: it measures Captum's methods on PyTorch models."""
    return explainer_for(ws).captum is not None


def has_network(ws) -> bool:
    """Whether the workspace's model is a PyTorch network (adversarial, influence, embedding)."""
    try:
        network(ws)
    except OperationError:
        return False
    return True


def _message(template: str) -> re.Pattern:
    """An error template as a pattern: its {fields} match any words."""
    return re.compile(".+".join(re.escape(part) for part in re.split(r"\{[^}]*\}", template)))


# the operations' own words for "this does not apply to this workspace's kind or model"
NOT_APPLICABLE = [_message(t) for t in (
    ERR_NOT_TORCH,                       # adversarial, influence, embedding, visualize_class, concepts
    faithfulness.ERR_NOT_TORCH,          # faithfulness: Captum's methods, on PyTorch models
    visualize_class.ERR_NOT_IMAGES, concepts.ERR_NOT_IMAGES,    # images only
    anchor.ERR_IMAGES, anchor.ERR_NOT_CLASSES,                  # tables, and classes, only
    ERR_TABLE_ONLY,                      # the engine: a table's operation asked about images
)]


def not_applicable(ws, ops: set[str]) -> set[str]:
    """Of `ops`, those that answer a question about one row with their own "does not apply to this
    workspace" error. Any other error, or an answer, means the operation applies (and so must be
    among the questions asked). The question goes to the engine as a query, not through the parser:
    an operation's arguments are filled with one of the model's features (or the target, when it
    has none, as images do), and the parser would turn those down before the operation could say
    anything of its own."""
    row = ws.data.index[0].item() if hasattr(ws.data.index[0], "item") else ws.data.index[0]
    name = next(iter(ws.model.feature_names), None) if ws.kind != "image" else ws.schema.target
    out = set()
    for op in ops:
        kind = q.STEP_TYPES[op]
        needed = {f.name: name for f in dataclasses.fields(kind)
                  if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        try:
            run = run_query(ws, q.Query((q.Filter(q.Cmp("id", "==", row)), kind(**needed))), Conversation())
        except Talk2ModelError:
            continue
        errors = [o.error for o in run.outcomes if o.step.op == op]
        if errors and errors[0] and any(p.fullmatch(errors[0]) for p in NOT_APPLICABLE):
            out.add(op)
    return out


def uncovered(ws, covered: set[str]) -> set[str]:
    """The registered operations no question asked, less those that do not apply here (and
    `followup`, which continues a conversation rather than answering a question)."""
    missing = set(load_all()) - {"followup"} - covered
    return missing - not_applicable(ws, missing)


def image_queries(ws) -> list[str]:
    """One or more questions for every operation an image workspace answers."""
    pred = ws.predictions()
    one = int(pred.index[0])
    cls = int(pred.iloc[0])
    return [
        f"filter id == {one} then predict", f"filter prediction == {cls} then predict",
        f"filter id == {one} then likelihood", f"filter id == {one} then likelihood top 3",
        f"filter label == {cls} then likelihood",
        f"filter id == {one} then explain auto", f"filter id == {one} then explain integrated_gradients",
        f"filter id == {one} then explain occlusion", f"filter label == {cls} and id < 200 then explain saliency",
        f"filter label == {cls} and id < 200 then importance top 5",
        "score accuracy", "score roc_auc", f"filter label == {cls} then score accuracy",
        "mistakes count", "mistakes typical", "mistakes sample", "confusion", f"filter label == {cls} then confusion",
        f"filter id == {one} then faithfulness", f"filter label == {cls} and id < 100 then faithfulness",
        f"filter id == {one} then labels", f"filter label == {cls} then labels",
        "count", f"filter label == {cls} then count", f"previous_filter then filter prediction == {cls} then count",
        f"filter id == {one} then show", f"filter label == {cls} then show",
        "statistic confidence", "statistic target", f"filter label == {cls} then statistic prediction",
        "describe_data", "describe_model", "capabilities",
        f"filter id == {one} then adversarial", f"filter label == {cls} then adversarial",
        f"filter id == {one} then influence", "influence mislabelled",
        f"visualize_class class {cls}", "visualize_class", "visualize_class layer conv1 unit 3",
        f"filter label == {cls} and id < 400 then concepts thick_strokes class {cls}",
        f"filter label == {cls} and id < 400 then concepts",
        "embedding pca", "filter id < 300 then embedding tsne by prediction",
    ]


def disagreements(ws, asked: list[str]) -> tuple[list, set]:
    """(query, [(text, table) near misses]) for every answer to `asked`, and the operations run."""
    schema = ws.schema
    bot = Assistant(ws)
    covered = set()
    problems = []
    for query in asked:
        answer = bot.run(query)
        assert answer.error is None, (query, answer.text)
        covered |= {r["op"] for r in answer.results}
        for reply in answer.replies + [r.more for r in answer.replies if r.more is not None]:
            if reply is None or getattr(reply, "table", None) is None:
                continue
            table = reply.table
            misses = near_misses(reply.text, table_cells(table))
            if misses:
                problems.append((query, misses))
            # outcomes as class phrases, never codes
            for column in ("prediction", "true outcome", "true label", "then", "before", schema.target):
                if column in table.columns and schema.task == "classification":
                    assert set(table[column].dropna()) <= set(schema.classes.values()), (query, column)
    return problems, covered


@pytest.mark.parametrize("name", ["credit", "compas", "diabetes"])
def test_text_and_table_numbers_agree_for_every_operation(name):
    ws = load_workspace(name)
    problems, covered = disagreements(ws, queries(ws))
    assert not problems, problems
    # faithfulness and the network's operations need a PyTorch model (digits and diabetes-mlp below);
    # visualize_class and concepts need images: each says so, and only then is it left out
    assert not uncovered(ws, covered), uncovered(ws, covered)


def test_text_and_table_numbers_agree_for_every_image_answer():
    ws = load_workspace("digits")
    problems, covered = disagreements(ws, image_queries(ws))
    assert not problems, problems
    # the table's operations (anchor, rules, bias, ...) say they work with a table's features
    assert not uncovered(ws, covered), uncovered(ws, covered)


def test_text_and_table_numbers_agree_for_the_network_operations_of_a_tabular_network():
    ws = load_workspace("diabetes-mlp")
    assert measurable(ws) and has_network(ws)
    row = ws.data.index[0]
    problems, covered = disagreements(ws, [f"filter id == {row} then faithfulness",
                                           f"filter id == {row} then explain integrated_gradients",
                                           f"filter id == {row} then anchor",
                                           *network_queries(ws, row, "Age > 30")])
    assert not problems, problems
    assert covered == {"faithfulness", "explain", "anchor", "adversarial", "influence", "embedding"}
    # of the six new operations, only the image ones say they do not apply to a table
    inside = {"adversarial", "influence", "visualize_class", "concepts", "embedding", "anchor"}
    assert not_applicable(ws, inside) == {"visualize_class", "concepts"}


def test_the_operations_left_out_say_they_do_not_apply():
    """What the coverage checks leave out is each operation's own "not available" error, nothing else."""
    credit, digits = load_workspace("credit"), load_workspace("digits")
    assert not_applicable(credit, {"adversarial", "influence", "embedding", "visualize_class", "concepts",
                                   "faithfulness", "anchor", "score"}) == {
        "adversarial", "influence", "embedding", "visualize_class", "concepts", "faithfulness"}
    assert not_applicable(digits, {"anchor", "rules", "bias", "score"}) == {"anchor", "rules", "bias"}
    # an operation that applies is never left out, whatever it answers
    assert not_applicable(credit, {"dependence", "define", "bias", "counterfactual"}) == set()


def test_the_near_miss_check_catches_the_issues_examples():
    """The oracle's own check: it flags exactly the disagreements the issue reported."""
    assert near_misses("with probability 57.9%", ["0.579"]) == [("57.9%", "0.579")]
    assert near_misses("an attribution of 0.196", ["0.1965"]) == [("0.196", "0.1965")]
    assert near_misses("with probability 57.9%", ["57.9%"]) == []
    assert near_misses("0 is an even chance", ["-0.3712"]) == []
    assert near_misses("a ratio below 0.8", ["76.5%"]) == []    # a one-digit threshold is not a figure
    assert near_misses("47.0% (95% interval 40.1–53.9%)", ["94.5%"]) == []   # "95%" labels the interval
    assert near_misses("interval 35.9–91.8%", ["35.9–91.8%"]) == []
    assert near_misses("interval 35.9–91.8%", ["0.359"]) == [("35.9%", "0.359")]
    assert near_misses("1,169 DM", ["1169"]) == [("1,169", "1169")]     # a separator in one place only
    assert near_misses("27 of them", ["28"]) == []            # two counts: different quantities
    assert near_misses("66.2% on average", ["66.4%"]) == []   # two shares a little apart


def test_the_rules_text_and_table_list_the_same_rules():
    answer = Assistant(load_workspace("credit")).run("rules")
    bullets = answer.body.count("\n- If ")
    assert len(answer.table) == bullets
    more = answer.replies[0].more
    if more is not None:
        assert len(more.table) == more.text.count("\n- If ")
        assert bullets + len(more.table) == len(answer.result["rules"])


def test_a_shown_row_has_its_outcome_in_words_and_codes_explained():
    credit = load_workspace("credit")
    row_id = credit.data.index[credit.data["risk"] == 0][0]
    answer = Assistant(credit).run(f"filter id == {row_id} then show")
    assert answer.table["true outcome"].iloc[0] == "bad credit risk" == credit.schema.class_phrase(0)
    job = int(credit.data.loc[row_id, "job"])
    meaning = credit.schema.features["job"].value_phrases[job][0]
    assert answer.table["job"].iloc[0] == f"{job} ({meaning})"
    assert f"job {job} ({meaning})" in answer.text and "true outcome: bad credit risk" in answer.text


def test_counterfactual_text_and_table_list_the_same_options():
    credit = load_workspace("credit")
    bot = Assistant(credit)
    for row_id in credit.data.index[credit.predictions() == 0][:5]:
        answer = bot.run(f"filter id == {row_id} then counterfactual")
        options = len(re.findall(r"^\d+\. If ", answer.body, flags=re.M))
        assert list(answer.table["kind"]).count("a change they can make") == options
        for option, probability in zip(answer.table["option"], answer.table["probability"]):
            if isinstance(option, int):
                assert f"(with probability {probability})" in answer.body
