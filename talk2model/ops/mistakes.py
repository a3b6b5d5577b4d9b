"""mistakes: where the model errs (plain rules), examples of errors, or how many."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from talk2model.explainers import uncertainty as unc
from talk2model.formatting import fmt_interval, fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.score import classified_rows
from talk2model.ops.speech import Reply, page, pct, rows_as_shown, says, too_small_text


@dataclass
class MistakeRule(Result):
    conditions: list[str]
    support: int           # rows the rule covers
    errors: int            # of which the model got wrong
    error_rate: float
    low: float = 0.0       # 95% Wilson interval of the error rate
    high: float = 1.0


@dataclass
class MistakesResult(Result):
    mode: str
    selection: str
    rows_note: str
    n: int
    count: int
    rate: float
    low: float = 0.0                   # 95% Wilson interval of the error rate
    high: float = 1.0
    too_small: bool = False            # the small-group rule
    rules: list[MistakeRule] = field(default_factory=list)
    examples: pd.DataFrame | None = None
    confusions: list[dict] = field(default_factory=list)   # images: true -> predicted, most common first


def _encode(frame: pd.DataFrame, schema) -> pd.DataFrame:
    cols = {}
    for name, spec in schema.features.items():
        if name not in frame:
            continue
        if spec.kind == "categorical":
            for value in spec.values:
                cols[f"{name} == {value!r}"] = (frame[name] == value).astype(int)
        else:
            cols[name] = frame[name]
    return pd.DataFrame(cols, index=frame.index)


def _rules(frame: pd.DataFrame, wrong: np.ndarray, schema, *, max_depth: int = 3,
           min_support: int = 10) -> list[MistakeRule]:
    """Leaves of a shallow tree fit to 'did the model err?', worst first."""
    X = _encode(frame, schema)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_support, random_state=0)
    tree.fit(X, wrong)
    t = tree.tree_
    overall = wrong.mean()
    rules: list[MistakeRule] = []

    def walk(node: int, conds: list[str]) -> None:
        if t.children_left[node] == -1:
            support = int(t.n_node_samples[node])
            leaf_rows = tree.apply(X) == node
            errors = int(wrong[leaf_rows].sum())
            rate = errors / support if support else 0.0
            if rate > overall and errors > 0:
                r = unc.rate(errors, support)
                rules.append(MistakeRule(conds or ["all rows"], support, errors, rate, r.low, r.high))
            return
        name, thr = X.columns[t.feature[node]], t.threshold[node]
        if " == " in name:  # one-hot of a category
            left, right = name.replace(" == ", " is not "), name.replace(" == ", " is ")
        elif schema.features.get(name) is not None and schema.features[name].kind == "flag":
            label = schema.features[name].label
            left, right = f"{label} is no", f"{label} is yes"
        else:
            label = schema.features[name].label if name in schema.features else name
            shown = fmt_number(thr)
            left, right = f"{label} ≤ {shown}", f"{label} > {shown}"
        walk(t.children_left[node], conds + [left])
        walk(t.children_right[node], conds + [right])

    walk(0, [])
    rules.sort(key=lambda r: (-r.error_rate, -r.support))
    return rules[:4]


@operation("mistakes", description="Where the model makes mistakes, examples, or how many.",
           examples=("Where does the model make mistakes?", "Show me some applicants the model got wrong.",
                     "How many mistakes does the model make on women?"))
def mistakes(ctx, step) -> MistakesResult:
    rows, note = classified_rows(ctx, "mistakes are counted", "mistakes")
    pred = ctx.predictions().loc[rows.index]
    y = rows[ctx.schema.target]
    wrong = (pred != y).to_numpy()
    errors = unc.rate(int(wrong.sum()), len(rows))
    result = MistakesResult(mode=step.mode, selection=ctx.described(), rows_note=note, n=len(rows),
                            count=errors.count, rate=float(wrong.mean()), low=errors.low, high=errors.high,
                            too_small=errors.too_small)
    if ctx.workspace.kind == "image":   # no features to split on: the confusions, and the images
        from talk2model.ops.image_answers import confusion_pairs, image_rows

        result.confusions = confusion_pairs(y, pred)[:10]
        if step.mode == "sample":
            result.examples = image_rows(ctx, rows[wrong]).set_index("id")
        return result
    if step.mode == "typical" and 0 < wrong.sum() < len(wrong):
        result.rules = _rules(rows, wrong, ctx.schema, min_support=max(5, len(rows) // 40))
    if step.mode == "sample":
        examples = rows_as_shown(rows[wrong], ctx.schema)
        examples.insert(0, "prediction", pred[wrong].map(ctx.schema.class_phrase))
        result.examples = examples
    return result


@says(MistakesResult)
def say_mistakes(r: MistakesResult, ctx) -> Reply:
    where = f", {r.rows_note}" if r.rows_note else ""
    head = (f"The model gets {r.count:,} of {r.n:,} wrong ({pct(r.rate)}; 95% interval "
            f"{fmt_interval(r.low, r.high)}) for {r.selection}{where}.")
    if r.too_small:
        head = too_small_text(r.n) + " " + head
    if r.mode == "count" or r.count == 0:
        return Reply(head)
    if r.mode == "sample":
        examples = r.examples.reset_index()
        figure = None
        if ctx.workspace.kind == "image":
            from talk2model.ops.image_answers import rows_shown, thumbnails

            examples = rows_shown(examples)     # confidence as a percentage, as text gives it
            figure = thumbnails(ctx, ctx.frame.loc[r.examples.index], f"Misread — {r.selection}")
        shown, more = page(examples, "More mistakes", 5)
        return Reply(head + " Some of them:", table=shown, more=more, figure=figure)
    if r.confusions:
        schema = ctx.schema
        lines = [f"- {schema.class_phrase(c['true'])} read as {schema.class_phrase(c['predicted'])}: "
                 f"{c['count']:,} time{'s' if c['count'] != 1 else ''} ({pct(c['share_of_true'])} of the "
                 f"{schema.entity_plural} labelled {schema.class_phrase(c['true'])})" for c in r.confusions[:5]]
        return Reply(head + " The most common mistakes:\n" + "\n".join(lines))
    if not r.rules:
        return Reply(head + " The mistakes are spread evenly: no simple group stands out.")
    lines = [f"- when {' and '.join(rule.conditions)}: {rule.errors} of {rule.support} wrong "
             f"({pct(rule.error_rate)}; 95% interval {fmt_interval(rule.low, rule.high)})" for rule in r.rules]
    table = pd.DataFrame([{"where": " and ".join(rule.conditions), "rows": rule.support,
                           "wrong": rule.errors, "error rate": pct(rule.error_rate),
                           "95% interval": fmt_interval(rule.low, rule.high)} for rule in r.rules])
    return Reply(head + " It errs most often:\n" + "\n".join(lines), table=table)
