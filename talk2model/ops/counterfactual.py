"""counterfactual: what would have to change for the model to predict something else.

One row: up to 3 verified, diverse, minimal alternatives a person can make — they leave features
that are not actionable alone, move numbers only in their direction and never suggest a
missing-value code (talk2model.explainers.counterfactual) — and, apart from them, up to 2 changes
outside the person's control that would also flip it (not advice: what the decision depends on).
A group: the single changes that flip the most members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talk2model.errors import OperationError
from talk2model.explainers.counterfactual import ChangeSpace, Counterfactual, counterfactuals, group_changes
from talk2model.formatting import fmt_number
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, capitalise, page, pct, says
from talk2model.workspace.schema import plain_value

ERR_REGRESSION = "counterfactuals need a model that predicts classes; this one predicts numbers"
ERR_NOTHING_TO_CHANGE = ("every feature the model uses is marked immutable or not actionable, so "
                         "there is nothing a counterfactual could change")
OUTSIDE_CONTROL = 2   # changes outside the person's control shown apart from the advice
GROUP_MEMBERS = 300   # members of a group examined (a fixed random sample beyond that)


@dataclass
class CounterfactualResult(Result):
    selection: str
    n: int
    original_prediction: Any                  # one row: its class; a group: class -> rows
    desired: Any                              # the class the alternatives reach
    counterfactuals: list[dict] = field(default_factory=list)
    immutable: list[str] = field(default_factory=list)  # features a person cannot change (left alone)
    outside_control: list[dict] = field(default_factory=list)  # flips that need one of them: not advice
    engines: list[str] = field(default_factory=list)    # engines behind what is shown
    binding: str | None = None                # none found: "immutable" | "range" | "none"
    binding_example: dict | None = None       # what would flip it if that constraint were lifted
    group_changes: list[dict] = field(default_factory=list)
    members: int = 0                          # group: rows not yet predicted `desired`
    examined: int = 0                         # group: members examined
    seconds: float = 0.0


def _space(ctx, *, fixed: bool = False) -> ChangeSpace:
    """What a person can change (the default), or only what they cannot (`fixed`)."""
    cache = ctx.workspace._cache
    key = "counterfactual_fixed_space" if fixed else "counterfactual_space"
    if key not in cache:
        cache[key] = ChangeSpace.from_workspace(ctx.workspace, only_fixed=fixed)
    return cache[key]


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
    immutable = [f for f in schema.not_actionable if f in ctx.workspace.model.feature_names]
    X = ctx.workspace.X()
    if len(ctx.frame) == 1:
        row = ctx.frame.iloc[0]
        current = plain_value(ctx.predictions().iloc[0])
        desired = _desired(schema, classes, current)
        found = counterfactuals(ctx.model, row, space, desired=desired, data=X, schema=schema)
        outside: list[dict] = []
        fixed = _space(ctx, fixed=True)
        if fixed.units and found.binding != "immutable":
            beyond = counterfactuals(ctx.model, row, fixed, desired=desired, n=OUTSIDE_CONTROL,
                                     diagnose=False)
            outside = [cf_json(cf, fixed) for cf in beyond.counterfactuals]
        return CounterfactualResult(
            selection=ctx.described(), n=1, original_prediction=found.original_prediction,
            desired=found.desired, counterfactuals=[cf_json(cf, space) for cf in found.counterfactuals],
            immutable=immutable, outside_control=outside, engines=found.engines,
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
        return _say_one(r, ctx, space, frozen)
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


def _say_one(r: CounterfactualResult, ctx, space: ChangeSpace, frozen: str) -> Reply:
    """Changes the person can make first (numbered, checked with the model), then, apart and not
    as advice, changes outside their control that would also flip the decision."""
    schema = ctx.schema
    now = schema.class_phrase(r.original_prediction)
    goal = schema.class_phrase(r.desired) if r.desired is not None else "a different outcome"
    fixed = _space(ctx, fixed=True)
    outside = [cf_sentence(schema, fixed, cf["units"], cf["prediction"]) + _probability(cf)
               for cf in r.outside_control]
    outside_text = ""
    if outside:
        joined = "; ".join(x[:1].lower() + x[1:] for x in outside)
        outside_text = f"\nOutside {r.selection}'s control, and so not advice: {joined}."
    if not r.counterfactuals:
        text = f"The model predicts {now} for {r.selection}, and " + _binding_text(r, schema, space, goal)
        return Reply(text + outside_text + frozen, table=_cf_table(r, schema, space, fixed))
    lines = [f"{i}. {cf_sentence(schema, space, cf['units'], cf['prediction'])}{_probability(cf)}."
             for i, cf in enumerate(r.counterfactuals, 1)]
    already = " already" if schema.favourable is not None and r.original_prediction == schema.favourable else ""
    head = (f"The model{already} predicts {now} for {r.selection}. "
            f"{'The smallest change' if len(lines) == 1 else f'{len(lines)} different small changes'} "
            f"{r.selection} could make that would make it predict {goal}, each checked with the model:")
    return Reply(head + "\n" + "\n".join(lines) + outside_text + "\n" + frozen.strip(),
                 table=_cf_table(r, schema, space, fixed))


def _probability(cf: dict) -> str:
    return f" (with probability {pct(cf['probability'])})" if cf.get("probability") is not None else ""


def _cf_table(r: CounterfactualResult, schema, space: ChangeSpace, fixed: ChangeSpace) -> pd.DataFrame | None:
    rows = []
    for kind, items, where in (("a change they can make", r.counterfactuals, space),
                               ("outside their control", r.outside_control, fixed)):
        for i, cf in enumerate(items, 1):
            rows.append({
                "option": i if where is space else f"outside {i}",
                "changes": "; ".join(f"{_label(schema, where, k)}: {_value_words(schema, where, k, v['from'])} → "
                                     f"{_value_words(schema, where, k, v['to'])}" for k, v in cf["units"].items()),
                "kind": kind,
                "prediction": schema.class_phrase(cf["prediction"]),
                "probability": pct(cf["probability"]) if cf.get("probability") is not None else None,
            })
    return pd.DataFrame(rows) if rows else None


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
