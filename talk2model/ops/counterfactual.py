"""counterfactual: what would have to change for the model to predict something else.

One row: up to 3 verified, diverse, minimal alternatives that leave immutable features alone
(talk2model.explainers.counterfactual). A group: the single changes that flip the most members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers.counterfactual import ChangeSpace, Counterfactual, counterfactuals, group_changes
from talk2model.ops.registry import Result, operation
from talk2model.formatting import fmt_number
from talk2model.verbalize import Reply, capitalise, page, pct, says
from talk2model.workspace.schema import plain_value

ERR_REGRESSION = "counterfactuals need a model that predicts classes; this one predicts numbers"
ERR_NOTHING_TO_CHANGE = ("every feature the model uses is marked immutable, so there is nothing "
                         "a counterfactual could change")
GROUP_MEMBERS = 300   # members of a group examined (a fixed random sample beyond that)


@dataclass
class CounterfactualResult(Result):
    selection: str
    n: int
    original_prediction: Any                  # one row: its class; a group: class -> rows
    desired: Any                              # the class the alternatives reach
    counterfactuals: list[dict] = field(default_factory=list)
    immutable: list[str] = field(default_factory=list)
    engines: list[str] = field(default_factory=list)    # engines behind what is shown
    dice_status: str = "not used"
    binding: str | None = None                # none found: "immutable" | "range" | "none"
    binding_example: dict | None = None       # what would flip it if that constraint were lifted
    group_changes: list[dict] = field(default_factory=list)
    members: int = 0                          # group: rows not yet predicted `desired`
    examined: int = 0                         # group: members examined
    seconds: float = 0.0


def _space(ctx) -> ChangeSpace:
    cache = ctx.workspace._cache
    if "counterfactual_space" not in cache:
        cache["counterfactual_space"] = ChangeSpace.from_workspace(ctx.workspace)
    return cache["counterfactual_space"]


def _desired(schema, classes: list, current: Any) -> Any:
    fav = schema.favourable
    if fav is not None and current != fav:
        return fav
    others = [c for c in classes if c != current]
    return others[0] if len(others) == 1 else None


def cf_json(cf: Counterfactual, space: ChangeSpace) -> dict:
    """{"changes": {column: {"from": a, "to": b}}, "prediction": class, ...}; a one-hot group's
    change is given as its member columns (0 -> 1 and 1 -> 0)."""
    changes: dict[str, dict] = {}
    for name, (old, new) in cf.changes.items():
        unit = space.unit(name)
        if unit.kind == "group":
            if old is not None:
                changes[old] = {"from": 1, "to": 0}
            changes[new] = {"from": 0, "to": 1}
        else:
            changes[name] = {"from": plain_value(old), "to": plain_value(new)}
    return {"changes": changes, "prediction": plain_value(cf.prediction), "n_changed": cf.n_changed,
            "units": {k: {"from": plain_value(v[0]), "to": plain_value(v[1])} for k, v in cf.changes.items()},
            "distance": round(cf.distance, 4), "probability": cf.probability, "source": cf.source}


@operation("counterfactual",
           description="What would have to change for the model to predict a different outcome.",
           examples=("What would applicant 12 need to change to be approved?",
                     "How could patient 51 get a different prediction?",
                     "What would flip the prediction for applicants under 25?"))
def counterfactual(ctx, step) -> CounterfactualResult:
    ctx.require_rows()
    schema = ctx.schema
    if schema.task != "classification":
        raise OperationError(ERR_REGRESSION)
    space = _space(ctx)
    if not space.units:
        raise OperationError(ERR_NOTHING_TO_CHANGE)
    classes = [plain_value(c) for c in ctx.model.classes_] or list(schema.classes)
    immutable = [f for f in schema.immutable if f in schema.features]
    X = ctx.workspace.X()
    if len(ctx.frame) == 1:
        row = ctx.frame.iloc[0]
        current = plain_value(ctx.predictions().iloc[0])
        desired = _desired(schema, classes, current)
        found = counterfactuals(ctx.model, row, space, desired=desired, data=X, schema=schema)
        return CounterfactualResult(
            selection=ctx.described(), n=1, original_prediction=found.original_prediction,
            desired=found.desired, counterfactuals=[cf_json(cf, space) for cf in found.counterfactuals],
            immutable=immutable, engines=found.engines, dice_status=found.dice_status,
            binding=found.binding,
            binding_example=cf_json(found.binding_example, _relaxed_space(ctx, found.binding))
            if found.binding_example is not None else None,
            seconds=found.seconds)
    import time

    started = time.perf_counter()
    pred = ctx.predictions().map(plain_value)
    counts = {plain_value(k): int(v) for k, v in pred.value_counts().items()}
    desired = schema.favourable
    if desired is None or (pred == desired).all():  # no favourable class, or all have it already
        majority = pred.value_counts().index[0]
        desired = next(c for c in classes if c != majority)
    members = ctx.frame[pred != desired]
    result = CounterfactualResult(selection=ctx.described(), n=len(ctx.frame), original_prediction=counts,
                                  desired=desired, immutable=immutable, members=len(members))
    if len(members):
        sample = members.sample(GROUP_MEMBERS, random_state=0) if len(members) > GROUP_MEMBERS else members
        result.examined = len(sample)
        result.group_changes = [
            {"feature": g.unit, "how": g.how, "value": plain_value(g.value), "flipped": g.flipped,
             "changed": g.changed, "of": g.of}
            for g in group_changes(ctx.model, sample, space, desired=desired)]
        result.engines = ["search"]
    result.seconds = time.perf_counter() - started
    return result


def _relaxed_space(ctx, binding: str | None) -> ChangeSpace:
    if binding == "immutable":
        return ChangeSpace.from_workspace(ctx.workspace, allow_immutable=True)
    return ChangeSpace.from_workspace(ctx.workspace, widen=0.5)


# ------------------------------------------------------------------------------------ words
def _value_words(schema, space: ChangeSpace, name: str, value: Any) -> str:
    spec = schema.features.get(name)
    if name in schema.groups:
        return space.labels.get(value, str(value)) if value is not None else "none"
    if spec is not None and spec.kind == "flag":
        return "yes" if value == 1 else "no"
    if isinstance(value, str):
        return value.replace("_", " ")
    return fmt_number(value)


def _label(schema, space: ChangeSpace, name: str) -> str:
    if name in schema.groups:
        return space.labels.get(name, name)
    spec = schema.features.get(name)
    return spec.label if spec else name


def change_phrase(schema, space: ChangeSpace, name: str, old: Any, new: Any, *, first: bool) -> str:
    """'the duration were 24 months instead of 48' (first) / 'the credit amount 3,000 DM instead of 5,951'."""
    spec = schema.features.get(name)
    unit = f" {spec.unit}" if spec is not None and spec.unit and spec.kind == "numeric" else ""
    verb = " were" if first else ""
    article = "" if spec is not None and spec.kind == "flag" else "the "
    return (f"{article}{_label(schema, space, name)}{verb} {_value_words(schema, space, name, new)}{unit} "
            f"instead of {_value_words(schema, space, name, old)}")


def cf_sentence(schema, space: ChangeSpace, units: dict, prediction: Any) -> str:
    parts = [change_phrase(schema, space, k, v["from"], v["to"], first=i == 0)
             for i, (k, v) in enumerate(units.items())]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"If {joined}, the model would predict {schema.class_phrase(prediction)}"


def _labels_list(schema, names: list[str]) -> str:
    words = [schema.features[n].label if n in schema.features else n for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@says(CounterfactualResult)
def say_counterfactual(r: CounterfactualResult, ctx) -> Reply:
    schema = ctx.schema
    space = _space(ctx)
    frozen = (f" ({capitalise(_labels_list(schema, r.immutable))} "
              f"{'is' if len(r.immutable) == 1 else 'are'} left as they are: "
              f"{'it is' if len(r.immutable) == 1 else 'they are'} not something a person can change.)"
              if r.immutable else "")
    if r.n == 1:
        now = schema.class_phrase(r.original_prediction)
        goal = schema.class_phrase(r.desired) if r.desired is not None else "a different outcome"
        if not r.counterfactuals:
            text = f"The model predicts {now} for {r.selection}, and " + _binding_text(r, schema, space, goal)
            return Reply(text + frozen)
        lines = []
        for i, cf in enumerate(r.counterfactuals, 1):
            sentence = cf_sentence(schema, space, cf["units"], cf["prediction"])
            if cf.get("probability") is not None:
                sentence += f" (with probability {pct(cf['probability'])})"
            lines.append(f"{i}. {sentence}.")
        already = " already" if schema.favourable is not None and r.original_prediction == schema.favourable else ""
        head = (f"The model{already} predicts {now} for {r.selection}. "
                f"{'The smallest change' if len(lines) == 1 else f'{len(lines)} different small changes'} "
                f"that would make it predict {goal}, each checked with the model:")
        table = pd.DataFrame([{
            "option": i,
            "changes": "; ".join(f"{_label(schema, space, k)}: {_value_words(schema, space, k, v['from'])} → "
                                 f"{_value_words(schema, space, k, v['to'])}" for k, v in cf["units"].items()),
            "prediction": schema.class_phrase(cf["prediction"]),
            "probability": round(cf["probability"], 3) if cf.get("probability") is not None else None,
        } for i, cf in enumerate(r.counterfactuals, 1)])
        return Reply(head + "\n" + "\n".join(lines) + frozen, table=table)
    goal = schema.class_phrase(r.desired)
    if r.members == 0:
        return Reply(f"All of {r.selection} are already predicted {goal}.")
    sample = (f" (a random sample of {r.examined:,} of them was examined)" if r.examined < r.members else "")
    if not r.group_changes:
        return Reply(f"Of {r.selection}, {r.members:,} are not predicted {goal}{sample}; no single change "
                     f"within the data's ranges flips any of them." + frozen)
    rows = []
    for g in r.group_changes:
        rows.append({"change": _group_change_words(schema, space, g),
                     "flips": g["flipped"], "of": g["of"], "share": pct(g["flipped"] / g["of"])})
    best = rows[0]
    text = (f"Of {r.selection}, {r.members:,} are not predicted {goal}{sample}. The changes that flip "
            f"the most of them to {goal}: "
            + "; ".join(f"{x['change']} ({x['flips']:,} of {x['of']:,}, {x['share']})" for x in rows[:3])
            + f". The most common, {best['change']}, flips {best['share']} of them." + frozen)
    table, more = page(pd.DataFrame(rows), "More changes")
    return Reply(text, table=table, more=more)


def _group_change_words(schema, space: ChangeSpace, g: dict) -> str:
    name = g["feature"]
    spec = schema.features.get(name)
    unit = f" {spec.unit}" if spec is not None and spec.unit and spec.kind == "numeric" else ""
    value = _value_words(schema, space, name, g["value"])
    if g["how"] == "set":
        return f"{_label(schema, space, name)} set to {value}"
    return f"{_label(schema, space, name)} {g['how']} {value}{unit}"


def _binding_text(r: CounterfactualResult, schema, space: ChangeSpace, goal: str) -> str:
    example = ""
    if r.binding_example is not None:
        units = r.binding_example["units"]
        example = " (" + cf_sentence(schema, space, units, r.binding_example["prediction"]).replace(
            "If ", "for example, if ", 1) + ")"
    if r.binding == "immutable":
        return (f"no change to the features that can change flips it to {goal}: the constraint that "
                f"binds is immutability — only a change to {_labels_list(schema, r.immutable)} would{example}.")
    if r.binding == "range":
        return (f"no change within the ranges seen in the data flips it to {goal}: the constraint that "
                f"binds is the data's range — only values beyond it would{example}.")
    return (f"no combination of up to three changes, within the values seen in the data and leaving "
            f"immutable features alone, flips it to {goal}; even lifting those constraints did not help.")
