"""Gold query -> what the reader should decide: operation slots, their arguments, and the role of
every grounded span. Training data is (question, gold query); the labels are derived here, so a
new phrasing needs only a new line of data.

A gold condition or what-if is matched to the spans that say it (a number with the same value, a
value span with that (feature, value), a feature span naming the feature, a class span). When
some part of the gold cannot be found among the spans (a paraphrase the grounding does not know),
the span roles of that question are not used for training (`roles_ok` is False); its operation
slots still are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from talk2model.parser import labels as L
from talk2model.parser.grounding import Grounding, Span
from talk2model.parser.encode import state_words, where_features
from talk2model.parser.lexicon import threshold

_NEGATE = {"==": "!=", "!=": "==", ">": "<=", ">=": "<", "<": ">=", "<=": ">"}
FEATURE_ARG = {"importance": "feature", "dependence": "feature", "statistic": "feature",
               "define": "feature", "bias": "attribute"}


@dataclass
class Target:
    slots: list[str]
    args: list[dict[str, str]]                    # per slot: head name -> label
    roles: dict[int, str] = field(default_factory=dict)   # span index -> role
    roles_ok: bool = True
    why: str = ""                                  # what could not be aligned
    unsaid: str = ""                               # gold parts no span says (roles still usable)
    carry: int | None = None                       # 1: keeps the last turn's what-ifs unsaid
    follows: int | None = None                     # 1: continues the selection unsaid; None: unknown


def canonical_whatifs(steps: list[dict] | None, workspace) -> list[dict] | None:
    """A switch between a flag and its complement or one-hot siblings is one what-if: the flag
    set to 1 ("a misdemeanor instead of a felony"); the engine keeps the others consistent."""
    if not steps:
        return steps
    from talk2model.query.whatif import complementary_flags

    schema = workspace.schema
    ons = [s["feature"] for s in steps if s["op"] == "whatif" and s["action"] == "set" and s["value"] == 1
           and s["feature"] in schema.features and schema.features[s["feature"]].kind == "flag"]
    implied: set[str] = set()
    for f in ons:
        implied.update(complementary_flags(f, schema, workspace.data))
        implied.update(m for members in schema.groups.values() if f in members for m in members if m != f)
    return [s for s in steps if not (s["op"] == "whatif" and s["action"] == "set" and s["value"] == 0
                                     and s["feature"] in implied)]


def slot_steps(steps: list[dict]) -> list[dict]:
    """The operation steps, with consecutive steps of one operation that differ only in their
    feature merged (the assembler makes one step per feature argument again)."""
    ops = [s for s in steps if s["op"] not in ("filter", "previous_filter", "whatif", "previous_filter_complement")]
    out: list[dict] = []
    for step in ops:
        key = FEATURE_ARG.get(step["op"])
        if out and key and out[-1]["op"] == step["op"] and key in step and key in out[-1] and \
                {k: v for k, v in step.items() if k != key} == {k: v for k, v in out[-1].items() if k != key}:
            continue
        out.append(step)
    return out[: L.SLOTS]


def slot_args(step: dict) -> dict[str, str]:
    op = step["op"]
    if op == "explain":
        return {"method": step.get("method", "auto")}
    if op == "score":
        return {"metric": step.get("metric", "accuracy")}
    if op == "mistakes":
        return {"mode": step.get("mode", "typical")}
    if op == "importance":
        return {"importance": "feature" if "feature" in step else ("top" if "top" in step else "all")}
    if op == "statistic":
        f = step.get("feature")
        return {"statistic": "prediction" if f == "prediction" else ("target" if f in ("target", "label") else "feature")}
    if op == "bias":
        metric = _BIAS_METRIC.get(step.get("metric") or "none", "none")
        return {"bias_metric": metric, "bias_cross": "crossed" if step.get("attributes") else "separate"}
    if op == "adversarial":
        return {"norm": step.get("norm") or "default"}
    if op == "influence":
        return {"influence": step.get("mode") or "proponents"}
    if op == "concepts":
        return {"concept": step.get("concept") if step.get("concept") in L.CONCEPTS else "all"}
    if op == "visualize_class":
        return {"layer": layer_position(step.get("layer"))}
    if op == "embedding":
        return {"embedding": step.get("method", "tsne"), "colour": step.get("by") or "unsaid"}
    return {}


def layer_position(name: str | None) -> str:
    """A layer's name in a gold query -> its position among the convolutional layers of the
    built-in CNNs (conv1, conv2, conv3): what a person says ("the first layer", "conv2")."""
    if name is None or not name.startswith("conv"):
        return "none"
    return {"conv1": "first", "conv2": "second", "conv3": "third"}.get(name, "none")


# the bias check's metric names (ops/bias.py) -> the reader's labels
_BIAS_METRIC = {"none": "none", "selection_rate": "selection_rate", "demographic_parity": "selection_rate",
                "statistical_parity": "selection_rate", "disparate_impact": "selection_rate",
                "tpr": "tpr", "true_positive_rate": "tpr", "recall": "tpr", "equal_opportunity": "tpr",
                "equalized_odds": "tpr", "fpr": "fpr", "false_positive_rate": "fpr", "accuracy": "accuracy"}


def _leaves(expr: dict, negate: bool = False) -> list[tuple[str, str, Any]] | None:
    if "feature" in expr:
        cmp = _NEGATE[expr["cmp"]] if negate else expr["cmp"]
        return [(expr["feature"], cmp, expr["value"])]
    if "not" in expr:
        inner = expr["not"]
        return _leaves(inner, not negate) if "feature" in inner else None
    out = []
    for item in expr.get("and", expr.get("or", [])):
        got = _leaves(item, negate)
        if got is None:
            return None
        out += got
    return out


class _Aligner:
    def __init__(self, grounding: Grounding, schema) -> None:
        self.g = grounding
        self.schema = schema
        self.roles: dict[int, str] = {}
        self.missing: list[str] = []     # said, but not found among the spans: labels unsafe
        self.unsaid: list[str] = []      # no span could say it (an elided class, an unknown word)

    def lacking(self, what: str, could_be) -> None:
        """Record a gold part no span was aligned to: unsafe when a free span might have said it."""
        (self.missing if self.free(could_be) else self.unsaid).append(what)

    def names(self, feature: str):
        return lambda s: feature in s.features or any(v[0] == feature for v in s.values)

    def free(self, kind_test) -> list[int]:
        return [i for i, s in enumerate(self.g.spans) if i not in self.roles and kind_test(s)]

    def take(self, candidates: list[int], role: str, near: int | None = None) -> int | None:
        if not candidates:
            return None
        if near is not None:
            candidates = sorted(candidates, key=lambda i: (abs(self.g.spans[i].start - near),
                                                          self.g.spans[i].start > near))
        self.roles[candidates[0]] = role
        return candidates[0]

    def number(self, feature: str | None, value: Any, role: str) -> int | None:
        unit = self.schema.features[feature].unit if feature in self.schema.features else ""

        def same(s: Span) -> bool:
            if s.kind != "number" or isinstance(value, str) or isinstance(value, bool):
                return False
            if s.number == value:
                return True
            if s.unit == "year" and "month" in unit and s.number * 12 == value:
                return True
            if s.unit == "month" and "year" in unit and s.number / 12 == value:
                return True
            return False
        return self.take(self.free(same), role)

    def feature(self, feature: str, role: str, near: int | None) -> int | None:
        return self.take(self.free(lambda s: feature in s.features), role, near)

    def value(self, feature: str, cmp: str, value: Any, role_eq: str, role_ne: str) -> bool:
        spec = self.schema.features.get(feature)
        idx = self.free(lambda s: (feature, value) in s.values)
        if idx:
            self.take(idx, role_eq if cmp == "==" else role_ne)
            return True
        two = tuple(spec.values) if spec is not None and len(spec.values) == 2 else ()
        if value in two:           # a flag or a yes/no column: the other value, negated
            other_value = two[1] if value == two[0] else two[0]
            other = self.free(lambda s: (feature, other_value) in s.values)
            if other:
                self.take(other, role_ne if cmp == "==" else role_eq)
                return True
        if spec is not None and spec.kind == "flag" and (value == 1 and cmp == "==" or value == 0 and cmp == "!="):
            return self.feature(feature, "f_filter" if role_eq == "v_eq" else "f_whatif", None) is not None
        return False

    def threshold(self, feature: str, cmp: str, value) -> bool:
        """'at least 4 years at their job' is the flag YearsAtCurrentJobGreaterOrEqualThan4 == 1:
        its number takes the comparison of the flag's name (or the opposite one for == 0)."""
        spec = self.schema.features.get(feature)
        found = threshold(spec) if spec is not None else None
        if found is None or cmp not in ("==", "!="):
            return False
        _, op, t = found
        positive = (value == 1) == (cmp == "==")
        near = self.free(lambda s: s.kind == "number" and s.number == t)
        if not near:
            return False
        wanted = op if positive else _NEGATE[op]
        idx = self.take(near, L.ROLE_OF_CMP[wanted])
        self.feature(feature, "f_filter", self.g.spans[idx].start)
        return True

    def condition(self, feature: str, cmp: str, value: Any, leaves: list) -> None:
        if feature == "id":
            if self.number(None, value, "n_id") is None:
                self.lacking(f"id {value}", lambda s: s.kind == "number")
            return
        if feature in ("prediction", "label"):
            self.klass(feature, cmp, value)
            return
        if feature == "confidence":        # "less than 70% sure": the number said as a percentage
            idx = self.take(self.free(lambda s: s.kind == "number" and s.number in (value, round(value * 100, 6))),
                            L.ROLE_OF_CMP.get(cmp, "n_eq"))
            if idx is None:
                self.lacking(f"confidence {cmp} {value}", lambda s: s.kind == "number")
            else:
                self.feature(feature, "f_filter", self.g.spans[idx].start)
            return
        spec = self.schema.features.get(feature)
        if spec is None:
            self.missing.append(f"feature {feature}")
            return
        if self.threshold(feature, cmp, value):
            return
        if cmp in ("==", "!=") and (spec.kind != "numeric" or any(
                (feature, value) in s.values for s in self.g.spans)):     # "highly skilled": job == 3
            if not self.value(feature, cmp, value, "v_eq", "v_ne"):
                self.lacking(f"value {feature}={value}", self.names(feature))
            return
        decade = (cmp == ">=" and (feature, "<", value + 10) in leaves)
        if decade:
            idx = self.take(self.free(lambda s: s.kind == "number" and s.decade and s.number == value), "n_decade")
            if idx is not None:
                leaves.remove((feature, "<", value + 10))
                self.feature(feature, "f_filter", self.g.spans[idx].start)
                return
        idx = self.number(feature, value, L.ROLE_OF_CMP[cmp])
        if idx is None:
            self.lacking(f"number {feature} {cmp} {value}", lambda s: s.kind == "number")
            return
        self.feature(feature, "f_filter", self.g.spans[idx].start)

    def klass(self, feature: str, cmp: str, value: Any) -> None:
        base = "c_pred" if feature == "prediction" else "c_label"
        same = self.free(lambda s: value in s.classes)
        if same:
            self.take(same, base if cmp == "==" else base + "_not")
            return
        other = self.free(lambda s: bool(s.classes))
        if other and len(self.schema.classes) == 2:
            self.take(other, base + "_not" if cmp == "==" else base)
            return
        # the class left unsaid ("but don't actually have it"): on the cue word, relative to the
        # class named nearest to it
        cue = self.free(lambda s: s.kind == ("model" if feature == "prediction" else "truth"))
        named = [s for s in self.g.spans if s.classes]
        if cue and named and len(self.schema.classes) == 2:
            at = self.g.spans[cue[-1]].start
            near = min(named, key=lambda s: abs(s.start - at)).classes[0]
            positive = (near == value) == (cmp == "==")
            self.roles[cue[-1]] = base if positive else base + "_not"
            return
        self.lacking(f"class {feature} {value}", lambda s: bool(s.classes))

    def whatif(self, step: dict) -> None:
        feature, action, value = step["feature"], step["action"], step["value"]
        spec = self.schema.features.get(feature)
        if spec is None:
            self.missing.append(f"what-if {feature}")
            return
        if spec.kind != "numeric":
            # "if she were not a woman": the other value of a flag
            if not self.value(feature, "==", value, "v_whatif", "v_whatif_ne"):
                self.lacking(f"what-if {feature}={value}", self.names(feature))
            return
        idx = self.number(feature, value, L.ROLE_OF_ACTION[action])
        if idx is None:
            self.lacking(f"what-if {feature} {action} {value}", lambda s: s.kind == "number")
            return
        self.feature(feature, "f_whatif", self.g.spans[idx].start)   # may be implied: "were 40"


def align(grounding: Grounding, steps: list[dict] | None, schema) -> Target:
    """Labels for one question whose canonical gold steps are `steps` (None: out of scope)."""
    if steps is None:
        return Target(slots=["outside"], args=[{}], roles={}, roles_ok=True)
    if steps == [{"op": "unknown"}]:       # the roles of its spans are not what is being taught
        return Target(slots=["unknown"], args=[{}], roles={}, roles_ok=True)
    ops = slot_steps(steps)
    target = Target(slots=[s["op"] for s in ops], args=[slot_args(s) for s in ops])
    a = _Aligner(grounding, schema)
    for step in steps:
        if step["op"] == "previous_filter":
            for i in a.free(lambda s: s.kind == "reference"):
                a.roles[i] = "r_prev"
        if step["op"] == "previous_filter_complement":
            if a.take(a.free(lambda s: s.kind == "complement"), "r_other") is None:
                a.unsaid.append("everyone else")
    steps = [s for s in steps if s["op"] != "previous_filter_complement"]
    for step in steps:
        if step["op"] == "filter":
            leaves = _leaves(step["where"])
            if leaves is None:
                a.missing.append("a negated group")
                continue
            pending = list(leaves)
            while pending:
                feature, cmp, value = pending.pop(0)
                a.condition(feature, cmp, value, pending)
    for step in steps:
        if step["op"] == "whatif":
            a.whatif(step)
    _argument_roles(a, steps, grounding)
    for i, span in enumerate(grounding.spans):
        if span.kind != "entity":
            a.roles.setdefault(i, "none")
        allowed = L.allowed_roles(span.type_name)
        if i in a.roles and a.roles[i] not in allowed:
            a.missing.append(f"role {a.roles[i]} on a {span.type_name} span")
    target.roles = {i: r for i, r in a.roles.items() if grounding.spans[i].kind != "entity"}
    target.roles_ok = not a.missing
    target.why = "; ".join(a.missing)
    target.unsaid = "; ".join(a.unsaid)
    return target


def _argument_roles(a: "_Aligner", steps: list[dict], grounding: Grounding) -> None:
    """The roles of the spans that say an operation's arguments (a metric's word, "top 3", a
    method, a feature argument, fairness attributes and bands, a class or number of the
    operations about the inside of a network)."""
    for step in steps:
        op = step["op"]
        if op == "score":           # the metric's own word, when said ("how precise", "recall")
            a.take(a.free(lambda s, m=step.get("metric", "accuracy"): s.kind == "metric" and s.metric == m), "m_arg")
        if op in ("adversarial", "visualize_class", "concepts") and step.get("target") is not None:
            if a.take(a.free(lambda s, c=step["target"]: c in s.classes), "c_target") is None:
                a.lacking(f"class {step['target']}", lambda s: bool(s.classes))
        if op == "adversarial" and step.get("epsilon") is not None:
            if a.number(None, step["epsilon"], "n_eps") is None:
                a.lacking(f"epsilon {step['epsilon']}", lambda s: s.kind == "number")
        if op == "visualize_class" and step.get("layer") is not None and layer_position(step["layer"]) == "none":
            a.missing.append(f"layer {step['layer']}")
        if op == "visualize_class" and step.get("unit") is not None:
            if a.number(None, step["unit"], "n_unit") is None:
                a.lacking(f"unit {step['unit']}", lambda s: s.kind == "number")
        if op in ("importance", "likelihood", "influence") and "top" in step:
            a.number(None, step["top"], "n_top")          # "the most important" has no number
        for method in ([step.get("method")] if op == "explain" else list(step.get("methods") or ())):
            if method and method != "auto":               # "with Grad-CAM"
                a.take(a.free(lambda s, m=method: s.kind == "method" and s.metric == m), "x_arg")
        key = FEATURE_ARG.get(op)
        if key and key in step and step[key] not in ("prediction", "target", "label"):
            f = step[key]
            named_before = [i for i, r in a.roles.items() if r in ("f_arg", "v_arg") and (
                f in grounding.spans[i].features or any(v[0] == f for v in grounding.spans[i].values))]
            if not named_before and a.feature(f, "f_arg", None) is None:
                idx = a.take(a.free(lambda s, f=f: any(v[0] == f for v in s.values)), "v_arg")
                if idx is None:
                    a.lacking(f"argument {f}", a.names(f))
        if op == "bias":
            for f in step.get("attributes") or ():
                if a.feature(f, "f_arg", None) is None and a.take(
                        a.free(lambda s, f=f: any(v[0] == f for v in s.values)), "v_arg") is None:
                    a.lacking(f"argument {f}", a.names(f))
            for cut in step.get("bands") or ():
                if a.number(step["attribute"], cut, "n_band") is None:
                    a.missing.append(f"band {cut}")
        if op == "statistic" and step.get("feature") in ("prediction", "target", "label"):
            role = "c_stat_pred" if step["feature"] == "prediction" else "c_stat_label"
            if a.take(a.free(lambda s: bool(s.classes)), role) is None:
                kind = "model" if step["feature"] == "prediction" else "truth"
                a.take(a.free(lambda s, kind=kind: s.kind == kind), role)


# ---------------------------------------------------------------------------- conversations
def _conjuncts(steps: list[dict]) -> list[str]:
    for s in steps:
        if s["op"] == "filter":
            w = s["where"]
            items = w["and"] if "and" in w else [w]
            return [json.dumps(i, sort_keys=True) for i in items]
    return []


def turn_steps(previous: list[dict] | None, current: list[dict] | None
               ) -> tuple[list[dict] | None, int | None, int | None]:
    """A conversation turn's self-contained gold -> the canonical steps of the question as asked
    (`previous_filter` plus only the new conditions when it narrows or keeps the last selection;
    without the last turn's what-ifs when it keeps them), whether it continues the selection and
    whether it keeps the what-ifs (None when there is no previous turn)."""
    if current is None or previous is None:
        return current, None, None
    if any(s["op"] == "followup" for s in current):
        return [{"op": "followup"}], None, None
    old_ifs = [s for s in previous if s["op"] == "whatif"]
    new_ifs = [s for s in current if s["op"] == "whatif"]
    carry = 1 if old_ifs and new_ifs[:len(old_ifs)] == old_ifs else 0
    kept = new_ifs[len(old_ifs):] if carry else new_ifs
    ops = [s for s in current if s["op"] not in ("filter", "previous_filter", "whatif")]
    before, now = _conjuncts(previous), _conjuncts(current)
    if before and now == [json.dumps(_negated(json.loads(c)), sort_keys=True) for c in before[:1]] \
            and len(before) == 1:
        # "and for everyone else?": the complement of the last group, said by a complement word
        return [{"op": "previous_filter_complement"}] + kept + ops, 0, carry
    rest = list(now)
    follows = 1 if before else 0
    for c in before:
        if c in rest:
            rest.remove(c)
        else:
            follows = 0
            break
    steps: list[dict] = []
    if follows:
        steps.append({"op": "previous_filter"})
        items = [json.loads(c) for c in rest]
    else:
        items = [json.loads(c) for c in now]
    if items:
        steps.append({"op": "filter", "where": items[0] if len(items) == 1 else {"and": items}})
    return steps + kept + ops, follows, carry


def _negated(cond: dict) -> dict:
    """The condition that selects everyone else (flags and two-valued columns by their other value)."""
    if "feature" not in cond:
        return {"not": cond}
    if cond["cmp"] == "==" and cond["value"] in (0, 1) and cond["feature"] not in ("id",):
        return {**cond, "value": 1 - cond["value"]}
    return {**cond, "cmp": _NEGATE[cond["cmp"]]}


def state_text(previous: list[dict] | None, schema) -> str:
    """The state the reader sees after a turn whose self-contained gold is `previous`."""
    if not previous:
        return ""
    where = next((s["where"] for s in previous if s["op"] == "filter"), None)
    if where is None:
        who = "everyone"
    elif "feature" in where and where["feature"] == "id" and where["cmp"] == "==":
        who = "one " + schema.entity
    else:
        who = "a group"
    return state_words(previous, who, schema.features, where_features(where))
