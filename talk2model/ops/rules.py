"""rules: a shallow decision tree fit to the model's own predictions on the selection (a global
surrogate), read out as plain if-then rules, with how often the rules agree with the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import cross_val_predict
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from talk2model.errors import OperationError
from talk2model.explainers.phrasing import feature_label
from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, pct, says
from talk2model.workspace.schema import plain_value

DEPTH = 3
SHOWN = 6          # rules in the answer (text and table alike); the rest on "tell me more"
MIN_ROWS = 20
SEED = 0
SEP = "\x1f"   # joins a categorical column and its value in the encoded column names
ERR_FEW = "rules need a group of at least {n} {entities}; this selection has {k}"


@dataclass
class RulesResult(Result):
    selection: str
    n: int
    rules: list[dict]          # {"conditions": [..], "text", "outcome", "rows", "purity"}
    fidelity: float            # agreement with the model on the selection (R² for regression)
    held_out_fidelity: float | None   # the same on rows left out when fitting (5-fold)
    depth: int
    single_outcome: Any = None  # the model predicts one outcome for everyone


def encode(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Numbers stay; each categorical value becomes a 0/1 column 'column<SEP>value'."""
    parts = []
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
            parts.append(frame[[col]].astype(float))
        else:
            values = sorted(pd.unique(frame[col].dropna()), key=str)
            parts.append(pd.DataFrame({f"{col}{SEP}{v}": (frame[col] == v).astype(float) for v in values},
                                      index=frame.index))
    return pd.concat(parts, axis=1)


@operation("rules", description="Simple if-then rules that describe the model's decisions, and how "
           "faithful they are.",
           examples=("What rules does the model follow?", "Summarise the model's decisions as rules",
                     "How does the model decide for people over 50?"))
def rules(ctx, step) -> RulesResult:
    ctx.require_rows()
    schema, ws = ctx.schema, ctx.workspace
    if len(ctx.frame) < MIN_ROWS:
        raise OperationError(ERR_FEW.format(n=MIN_ROWS, entities=schema.entity_plural, k=len(ctx.frame)))
    X = encode(ctx.frame[ws.model.feature_names], schema)
    y = ctx.predictions()
    classification = schema.task == "classification"
    if classification and y.nunique() == 1:
        return RulesResult(selection=ctx.described(), n=len(X), rules=[], fidelity=1.0,
                           held_out_fidelity=None, depth=0, single_outcome=plain_value(y.iloc[0]))
    leaf = max(5, int(0.02 * len(X)))
    cls = DecisionTreeClassifier if classification else DecisionTreeRegressor
    tree = cls(max_depth=DEPTH, min_samples_leaf=leaf, random_state=SEED)
    tree.fit(X, y)
    fitted = tree.predict(X)
    folds = min(5, int(y.value_counts().min()) if classification else 5)
    held = None
    if folds >= 2:
        out = cross_val_predict(cls(max_depth=DEPTH, min_samples_leaf=leaf, random_state=SEED), X, y, cv=folds)
        held = _agreement(y.to_numpy(), out, classification)
    return RulesResult(selection=ctx.described(), n=len(X), rules=read_rules(tree, list(X.columns), schema, y),
                       fidelity=_agreement(y.to_numpy(), fitted, classification), held_out_fidelity=held,
                       depth=int(tree.get_depth()))


def _agreement(y, pred, classification: bool) -> float:
    if classification:
        return float(np.mean(y == pred))
    ss = float(((y - y.mean()) ** 2).sum())
    return float(1 - ((y - pred) ** 2).sum() / ss) if ss > 0 else 1.0


def read_rules(tree, columns: list[str], schema, y: pd.Series) -> list[dict]:
    t = tree.tree_
    out: list[dict] = []

    def walk(node: int, path: list[tuple[str, str, float]]) -> None:
        if t.children_left[node] == -1:
            counts = t.value[node][0]
            rows = int(t.n_node_samples[node])
            if hasattr(tree, "classes_"):
                k = int(np.argmax(counts))
                outcome = plain_value(tree.classes_[k])
                purity = float(counts[k] / counts.sum())
            else:
                outcome, purity = float(counts[0]), None
            conds = merge(path, schema)
            out.append({"conditions": conds, "outcome": outcome, "rows": rows, "purity": purity})
            return
        col, thr = columns[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], path + [(col, "<=", thr)])
        walk(t.children_right[node], path + [(col, ">", thr)])

    walk(0, [])
    out.sort(key=lambda r: -r["rows"])
    return out


def merge(path: list[tuple[str, str, float]], schema) -> list[str]:
    """Conditions in words, one per feature: 'duration is above 33 months', "purpose is 'car'"."""
    numeric: dict[str, list[float | None]] = {}
    cats: dict[str, dict[str, list[str]]] = {}
    order: list[str] = []
    for col, op, thr in path:
        if SEP in col:
            base, value = col.split(SEP, 1)
            entry = cats.setdefault(base, {"is": [], "not": []})
            (entry["is"] if op == ">" else entry["not"]).append(value)
            name = base
        else:
            lo_hi = numeric.setdefault(col, [None, None])
            if op == ">":
                lo_hi[0] = thr if lo_hi[0] is None else max(lo_hi[0], thr)
            else:
                lo_hi[1] = thr if lo_hi[1] is None else min(lo_hi[1], thr)
            name = col
        if name not in order:
            order.append(name)
    words = []
    for name in order:
        label = feature_label(schema, name)
        spec = schema.features.get(name)
        if name in cats:
            entry = cats[name]
            if entry["is"]:
                words.append(f"{label} is '{entry['is'][0]}'")
            else:
                listed = ", ".join(f"'{v}'" for v in entry["not"])
                words.append(f"{label} is not {listed}")
            continue
        lo, hi = numeric[name]
        if spec is not None and spec.kind == "flag":
            words.append(f"{label} is {'yes' if lo is not None else 'no'}")
            continue
        unit = f" {spec.unit}" if spec is not None and spec.unit else ""
        integer = spec is not None and spec.integer

        def show(v: float, above: bool) -> str:
            if integer:  # x > 33.5 on whole numbers is x >= 34
                return fmt_number(int(np.floor(v)) + 1 if above else int(np.floor(v)))
            return fmt_number(v)

        if lo is not None and hi is not None:
            if integer:
                words.append(f"{label} is between {show(lo, True)} and {show(hi, False)}{unit}")
            else:
                words.append(f"{label} is above {show(lo, True)} and at most {show(hi, False)}{unit}")
        elif lo is not None:
            words.append(f"{label} is {'at least' if integer else 'above'} {show(lo, True)}{unit}")
        else:
            words.append(f"{label} is at most {show(hi, False)}{unit}")
    return words


@says(RulesResult)
def say_rules(r: RulesResult, ctx) -> Reply:
    schema = ctx.schema
    if r.single_outcome is not None:
        return Reply(f"The model predicts {schema.class_phrase(r.single_outcome)} for every one of "
                     f"{r.selection}, so one rule covers them all.")
    classification = schema.task == "classification"

    def outcome(rule) -> str:
        if classification:
            return (f"{schema.class_phrase(rule['outcome'])} ({pct(rule['purity'])} of the "
                    f"{rule['rows']:,} {schema.entity if rule['rows'] == 1 else schema.entity_plural} here)")
        return f"about {fmt_number(rule['outcome'])} ({rule['rows']:,} {schema.entity_plural})"

    lines = [f"- If {' and '.join(rule['conditions']) or 'always'}, then {outcome(rule)}." for rule in r.rules]
    measure = "agree with the model on" if classification else "explain (R²)"
    fidelity = pct(r.fidelity) if classification else fmt_number(r.fidelity)
    held = ""
    if r.held_out_fidelity is not None:
        held = (f", and on {pct(r.held_out_fidelity)} of rows left out when fitting them" if classification
                else f" ({fmt_number(r.held_out_fidelity)} on rows left out when fitting them)")
    intro = (f"A decision tree of depth {r.depth} fit to the model's predictions for {r.selection} gives these "
             f"rules. They are a simplification: they {measure} {fidelity} of the {r.n:,} "
             f"{schema.entity_plural}{held}.")
    text = intro + "\n" + "\n".join(lines[:SHOWN])
    table = pd.DataFrame({"if": [" and ".join(x["conditions"]) or "always" for x in r.rules],
                          "then": [schema.class_phrase(x["outcome"]) if classification else x["outcome"] for x in r.rules],
                          "rows": [x["rows"] for x in r.rules]})
    if classification:
        table.insert(2, "share of them", [pct(x["purity"]) for x in r.rules])
    # the table lists the same rules as the text; the rest come with "tell me more", in both
    more = (Reply("The other rules:\n" + "\n".join(lines[SHOWN:]), table=table.iloc[SHOWN:].reset_index(drop=True))
            if len(lines) > SHOWN else None)
    return Reply(text, table=table.iloc[:SHOWN], more=more)
