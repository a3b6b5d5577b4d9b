"""The generator: training questions made from the query grammar and the paraphrase bank
(`prompts/paraphrases.toml`) over every schema (the invented ones in `prompts/schemas/` and the
built-ins), so that the reader sees every operation, role and column-naming style in many
combinations. Each question is made together with its gold query, so it is right by construction.

    python -m talk2model.parser.train.generate -n 20    # print a sample
"""

from __future__ import annotations

import json
import random
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from talk2model.parser.train.schemas import load_training_workspace, training_schema_names
from talk2model.paths import resource_dir

BUILTINS = ("credit", "german", "compas", "diabetes")
# how often each operation is asked (roughly as people ask them)
OP_WEIGHTS = {"predict": 12, "likelihood": 8, "explain": 12, "counterfactual": 6, "importance": 10,
              "interactions": 2, "dependence": 4, "rules": 2, "score": 8, "mistakes": 5, "labels": 3,
              "count": 7, "show": 4, "statistic": 7, "bias": 4, "flip": 2, "describe_data": 1,
              "describe_model": 1, "define": 2, "capabilities": 1, "anchor": 2, "confusion": 2}
ONE_ROW_OPS = {"predict", "likelihood", "explain", "counterfactual", "labels", "show", "flip", "anchor"}
METRIC_NAMES = ("accuracy", "f1", "precision", "recall", "specificity", "roc_auc", "npv")
PRONOUNS = {"one": ["them", "this {entity}", "that {entity}", "him", "her", "it"],
            "group": ["them", "these {entities}", "those {entities}", "that group"]}


@lru_cache(maxsize=1)
def bank() -> dict:
    path = resource_dir("prompts") / "paraphrases.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def _fill(template: str, **values) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template)


@dataclass
class Said:
    text: str
    gold: list[dict] | None      # steps (None: names what the workspace lacks)
    unknown: str | None = None   # the phrase naming it


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if len(w) >= 3]


class Schema:
    """What the generator may say about one workspace's columns, values and classes."""

    def __init__(self, name: str) -> None:
        self.ws = load_training_workspace(name)
        self.name = name
        s = self.ws.schema
        self.schema = s
        self.entity, self.entities = s.entity, s.entity_plural
        self.numeric = [f for f, spec in s.features.items() if spec.kind == "numeric" and spec.range
                        and spec.range[1] > spec.range[0]]
        self.valued = [(f, v) for f, spec in s.features.items() for v in spec.values
                       if spec.kind in ("categorical", "flag")]
        self.ids = list(self.ws.data.index)

    def feature_words(self, rng: random.Random, f: str) -> str:
        spec = self.schema.features[f]
        options = [spec.words] * 3 + list(spec.synonyms) * 2 + [f]
        return rng.choice(options)

    def value_words(self, rng: random.Random, f: str, v) -> tuple[str, bool] | None:
        """A phrase for feature f having value v, and whether the phrase is negated."""
        spec = self.schema.features[f]
        phrases = list(spec.value_phrases.get(v, ()))
        if spec.kind == "categorical":
            phrases += [str(v).replace("_", " ")] * 2
            if not phrases:
                return None
            return rng.choice(phrases), False
        if phrases:
            return rng.choice(phrases), False
        if v == 1:
            return spec.words, False
        positive = spec.value_phrases.get(1) or (spec.words,)
        return rng.choice(list(positive)), True

    def own_words(self) -> set[str]:
        """Every word this workspace's columns, values and classes are said with."""
        s = self.schema
        texts = [str(c) for c in s.classes.values()] + [w for ws in s.class_synonyms.values() for w in ws]
        for f, spec in s.features.items():
            texts += [f, spec.words, *spec.synonyms, *(str(v) for v in spec.values)]
            texts += [p for ps in spec.value_phrases.values() for p in ps]
        return {w for t in texts for w in _words(t)}

    def number(self, rng: random.Random, f: str):
        lo, hi = self.schema.features[f].range
        if self.schema.features[f].integer or (float(lo).is_integer() and float(hi).is_integer() and hi - lo > 20):
            return rng.randint(int(lo), int(hi))
        return round(rng.uniform(lo, hi), 1)

    def class_words(self, rng: random.Random, value) -> str:
        return rng.choice([self.schema.classes[value]] + list(self.schema.class_synonyms.get(value, ())))


class Generator:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.b = bank()

    def pick(self, *path: str) -> str | None:
        node = self.b
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return None
        if isinstance(node, dict):          # [group] patterns = [...], [metric.x] words = [...]
            node = node.get("patterns", node.get("words"))
        return self.rng.choice(node) if isinstance(node, list) and node else None

    # ------------------------------------------------------------------ selections
    def condition(self, s: Schema) -> tuple[str, dict] | None:
        rng = self.rng
        kind = rng.random()
        if kind < 0.45 and s.numeric:
            f = rng.choice(s.numeric)
            n = s.number(rng, f)
            cmp = rng.choice(["gt", "ge", "lt", "le", "gt", "lt", "eq"])
            pattern = self.pick("cond", cmp)
            if pattern is None:
                return None
            op = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "=="}[cmp]
            return _fill(pattern, feature=s.feature_words(rng, f), n=n), {"feature": f, "cmp": op, "value": n}
        if kind < 0.55 and s.numeric:
            f = rng.choice(s.numeric)
            a, b = sorted((s.number(rng, f), s.number(rng, f)))
            pattern = self.pick("cond", "between")
            if pattern is None or a == b:
                return None
            return _fill(pattern, feature=s.feature_words(rng, f), a=a, b=b), \
                {"and": [{"feature": f, "cmp": ">=", "value": a}, {"feature": f, "cmp": "<=", "value": b}]}
        if kind < 0.9 and s.valued:
            f, v = rng.choice(s.valued)
            said = s.value_words(rng, f, v)
            if said is None:
                return None
            words, negated = said
            pattern = self.pick("cond", "value_not" if negated else "value")
            if pattern is None:
                return None
            return _fill(pattern, value=words), {"feature": f, "cmp": "==", "value": v}
        if s.schema.task == "classification" and s.schema.classes:
            value = rng.choice(list(s.schema.classes))
            which = rng.choice(["pred", "pred", "label"])
            pattern = self.pick("cond", f"{which}_class")
            if pattern is None:
                return None
            feature = "prediction" if which == "pred" else "label"
            return _fill(pattern, **{"class": s.class_words(rng, value)}), {"feature": feature, "cmp": "==", "value": value}
        return None

    def selection(self, s: Schema, kind: str) -> tuple[str, dict | None] | None:
        rng = self.rng
        if kind == "all":
            return "", None
        if kind == "one":
            i = rng.choice(s.ids)
            pattern = self.pick("id") or "{entity} {n}"
            return _fill(pattern, entity=s.entity, n=i), {"feature": "id", "cmp": "==", "value": i}
        conds = [c for c in (self.condition(s) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))) if c]
        if not conds:
            return None
        words = [c[0] for c in conds]
        joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + rng.choice([" and ", " and who are ", ", "]) + words[-1]
        pattern = self.pick("group") or "{entities} {conds}"
        items = []
        for _, c in conds:
            items += c["and"] if "and" in c else [c]
        if len({json.dumps(i, sort_keys=True) for i in items}) < len(items):
            return None                 # the same condition drawn twice
        where = items[0] if len(items) == 1 else {"and": items}
        return _fill(pattern, entities=s.entities, conds=joined), where

    # ------------------------------------------------------------------ operations
    def operation(self, s: Schema, op: str, who: str, scope: str) -> tuple[str, list[dict]] | None:
        rng = self.rng
        kind = "one" if who else "all"
        f = rng.choice(s.numeric or list(s.schema.features))
        fw = s.feature_words(rng, f)
        if op == "explain":
            variant = rng.choice(["explain"] * 8 + ["explain_lime", "explain_shap"])
            pattern = self.pick("op", variant, kind)
            method = {"explain": "auto", "explain_lime": "lime", "explain_shap": "shap"}[variant]
            return (pattern, [{"op": "explain", "method": method}]) if pattern else None
        if op == "importance":
            return self._importance(s, f, fw)
        if op in ("dependence", "define"):
            pattern = self.pick("op", op, "feature")
            return (_fill(pattern, feature=fw), [{"op": op, "feature": f}]) if pattern else None
        if op == "score":
            if s.schema.task != "classification":
                return None
            metric = rng.choice(["accuracy"] * 5 + list(METRIC_NAMES))
            words = self.pick("metric", metric) or metric
            pattern = self.pick("op", "score", kind)
            return (_fill(pattern, metric=words), [{"op": "score", "metric": metric}]) if pattern else None
        if op == "mistakes":
            mode = rng.choice(["typical", "typical", "sample", "count"])
            pattern = self.pick("op", "mistakes", f"{mode}_{kind}")
            return (pattern, [{"op": "mistakes", "mode": mode}]) if pattern else None
        if op == "statistic":
            form = rng.choice(["feature", "feature", "prediction", "target"])
            if form == "feature":
                pattern = self.pick("op", "statistic", f"feature_{kind}")
                return (_fill(pattern, feature=fw), [{"op": "statistic", "feature": f}]) if pattern else None
            if not who or s.schema.task != "classification" or scope == "one":
                return None
            value = rng.choice(list(s.schema.classes))
            pattern = self.pick("op", "statistic", f"{form}_one")
            return (_fill(pattern, **{"class": s.class_words(rng, value)}),
                    [{"op": "statistic", "feature": form}]) if pattern else None
        if op in ("bias", "flip"):
            return self._fairness(s, op, who, scope)
        if op in ("likelihood", "counterfactual", "anchor", "confusion") and s.schema.task != "classification":
            return None
        if op == "count" and scope != "group":
            return None
        if op in ("labels", "show", "counterfactual", "anchor") and not who:
            return None
        if op == "counterfactual" and rng.random() < 0.3:       # "what would get her approved?"
            goal = self.pick("op", "counterfactual", "goal")
            value = rng.choice(list(s.schema.classes))
            return (_fill(goal, **{"class": s.class_words(rng, value)}), [{"op": "counterfactual"}]) if goal else None
        pattern = self.pick("op", op, kind) or self.pick("op", op, "all" if kind == "one" else "one")
        if pattern is None or ("{who}" in pattern) != bool(who):
            return None
        return pattern, [{"op": op}]

    def _importance(self, s: Schema, f: str, fw: str) -> tuple[str, list[dict]] | None:
        rng = self.rng
        form = rng.choice(["all", "all", "top", "top1", "feature", "compare"])
        pattern = self.pick("op", "importance", form)
        if pattern is None:
            return None
        if form == "top":
            n = rng.choice([2, 3, 3, 4, 5, 5, 10])
            return _fill(pattern, n=n), [{"op": "importance", "top": n}]
        if form == "top1":
            return pattern, [{"op": "importance", "top": 1}]
        if form == "feature":
            return _fill(pattern, feature=fw), [{"op": "importance", "feature": f}]
        if form == "compare":
            others = [x for x in s.schema.features if x != f]
            if not others:
                return None
            g = rng.choice(others)
            return _fill(pattern, feature=fw, feature2=s.feature_words(rng, g)), \
                [{"op": "importance", "feature": f}, {"op": "importance", "feature": g}]
        return pattern, [{"op": "importance"}]

    def _fairness(self, s: Schema, op: str, who: str, scope: str) -> tuple[str, list[dict]] | None:
        rng = self.rng
        if op == "bias":
            if s.schema.task != "classification" or not s.schema.sensitive or (who and scope != "group"):
                return None
            a = rng.choice(list(s.schema.sensitive))
            spec = s.schema.features[a]
            if rng.random() < 0.55:
                return self._bias_arguments(s, a)
            if spec.kind != "numeric" and rng.random() < 0.5:
                said = s.value_words(rng, a, rng.choice(list(spec.values)))
                pattern = self.pick("op", "bias", "value")
                if said is None or said[1] or pattern is None:
                    return None
                return _fill(pattern, value=said[0]), [{"op": "bias", "attribute": a}]
            pattern = self.pick("op", "bias", "feature")
            return (_fill(pattern, feature=s.feature_words(rng, a)), [{"op": "bias", "attribute": a}]) if pattern else None
        if op == "flip":
            if scope != "one" or not s.schema.sensitive or s.schema.task != "classification":
                return None
            a = rng.choice(list(s.schema.sensitive))
            pattern = self.pick("op", "flip", "one")
            return (_fill(pattern, feature=s.feature_words(rng, a)), [{"op": "bias", "attribute": a}]) if pattern else None
        return None

    def _bias_arguments(self, s: Schema, a: str) -> tuple[str, list[dict]] | None:
        """Fairness with what it is measured by, cut points of a numeric attribute, or a second
        attribute crossed with the first ("accuracy across age bands split at 35 and 55")."""
        rng = self.rng
        spec = s.schema.features[a]
        step: dict = {"op": "bias", "attribute": a}
        others = [x for x in s.schema.sensitive if x != a]
        forms = ["metric"] + (["bands", "band"] if spec.kind == "numeric" and spec.range else []) + \
            (["crossed"] if others else [])
        form = rng.choice(forms)
        values = {"feature": s.feature_words(rng, a)}
        if form in ("bands", "band"):
            lo, hi = spec.range
            step_size = 5 if hi - lo > 30 else 1
            cuts = sorted({int(round(rng.uniform(lo + (hi - lo) * 0.15, hi - (hi - lo) * 0.15) / step_size) * step_size)
                           for _ in range(2 if form == "bands" else 1)})
            if len(cuts) != (2 if form == "bands" else 1) or cuts[0] <= lo:
                return None
            step["bands"] = cuts
            values.update(a=cuts[0], b=cuts[-1])
        if form == "crossed":
            b = rng.choice(others)
            step["attributes"] = [b]
            values["feature2"] = s.feature_words(rng, b)
        pattern = self.pick("op", "bias_args", form)
        if pattern is None:
            return None
        text = _fill(pattern, **values)
        if form == "metric" or rng.random() < 0.4:
            metric = rng.choice(["selection_rate", "selection_rate", "tpr", "fpr", "accuracy"])
            words = self.pick("bias_metric", metric)
            if words is None:
                return None
            classes = list(s.schema.classes)
            good = s.schema.favourable if s.schema.favourable in classes else classes[-1]
            words = _fill(words, **{"class": s.class_words(rng, good)})
            if form == "metric":
                text = _fill(pattern, metric=words, feature=values["feature"])
            else:
                text += rng.choice([", using the {m}", " in terms of {m}", ", looking at {m}", " (measured by {m})",
                                    " on the {m}"]).format(m=words)
            step["metric"] = metric
        return text, [step]

    def question_about(self, s: Schema, scope: str) -> tuple[str, dict | None, list[dict]] | None:
        """A first turn: one operation about a group or one row."""
        rng = self.rng
        ops = [o for o in OP_WEIGHTS if o not in ("describe_data", "describe_model", "capabilities", "define",
                                                  "interactions", "rules", "flip")]
        op = rng.choices(ops, weights=[OP_WEIGHTS[o] for o in ops])[0]
        if scope == "one" and op in ("count", "score", "mistakes", "bias"):
            return None
        said = self._said_about(s, op, scope, ("for", "among", "for the", "in"))
        if said is None:
            return None
        text, where, steps, _ = said
        return _noise(rng, text), where, steps

    def _said_about(self, s: Schema, op: str, scope: str, joiners: tuple[str, ...]
                    ) -> tuple[str, dict | None, list[dict], str] | None:
        """One operation asked about rows of the given scope: its words, filter, steps and rows."""
        selected = self.selection(s, scope)
        if selected is None:
            return None
        who, where = selected
        made = self.operation(s, op, who, scope)
        if made is None:
            return None
        pattern, steps = made
        text = _fill(pattern, who=who, entity=s.entity, entities=s.entities)
        if who and "{who}" not in pattern:          # an operation said without its rows: add them
            text += " " + self.rng.choice(joiners) + " " + who
        return text, where, steps, who

    def unknown(self, s: Schema) -> Said | None:
        """A question about something this workspace does not have (a family none of whose
        words the schema uses): not answered with a stand-in, answered by saying so."""
        rng = self.rng
        spec = self.b.get("unknown", {})
        own = s.own_words()
        families = [f for f in spec.get("families", []) if not any(set(_words(w)) & own for w in f)]
        if not families or not spec.get("patterns"):
            return None
        phrase = rng.choice(rng.choice(families))
        who = _fill(self.pick("id") or "{entity} {n}", entity=s.entity, n=rng.choice(s.ids))
        text = _fill(rng.choice(spec["patterns"]), unknown=phrase, who=who, entity=s.entity, entities=s.entities)
        return Said(_noise(rng, text), None, phrase)

    # ------------------------------------------------------------------ one question
    def question(self, s: Schema) -> Said | None:
        rng = self.rng
        ops = list(OP_WEIGHTS)
        first = rng.choices(ops, weights=[OP_WEIGHTS[o] for o in ops])[0]
        if first in ("describe_data", "describe_model", "capabilities", "define", "interactions", "rules"):
            scope = "all"
        elif first in ONE_ROW_OPS:
            scope = rng.choice(["one", "one", "one", "group"])
        elif first == "count":
            scope = "group"
        else:
            scope = rng.choice(["all", "all", "group", "one"] if first != "importance" else ["all", "all", "all", "group", "one"])
        said = self._said_about(s, first, scope, ("for", "among", "for the", "in", "just for"))
        if said is None:
            return None
        text, where, steps, who = said
        whatifs: list[dict] = []
        if scope in ("one", "group") and first in ("predict", "likelihood", "explain") and rng.random() < 0.3:
            change = self.whatif(s)
            if change is not None:
                words, step = change
                frame = self.pick("whatif_question")
                if frame:
                    text = _fill(frame, change=words, who=who, entity=s.entity, entities=s.entities)
                    steps = [{"op": "predict"}]        # the frames ask what the model would say
                    whatifs = [step]
        elif rng.random() < 0.35 and scope != "all":
            for _ in range(rng.choice([1, 1, 2])):          # a second, sometimes a third request
                nxt = rng.choices(ops, weights=[OP_WEIGHTS[o] for o in ops])[0]
                if nxt in [st["op"] for st in steps]:
                    continue
                pronoun = _fill(rng.choice(PRONOUNS["one" if scope == "one" else "group"]),
                                entity=s.entity, entities=s.entities)
                more = self.operation(s, nxt, pronoun, scope)
                joint = self.pick("combine")
                if more is not None and joint:
                    text = _fill(joint, q1=text, q2=_fill(more[0], who=pronoun, entity=s.entity, entities=s.entities))
                    steps = steps + more[1]
        if rng.random() < 0.35:
            wrap = self.pick("wrap")
            if wrap:
                text = _fill(wrap, q=text)
        gold = ([{"op": "filter", "where": where}] if where else []) + whatifs + steps
        return Said(_noise(rng, text), gold)

    def follow_up_alone(self, s: Schema) -> Said | None:
        """A question shaped like a follow-up, asked with no earlier turn ("same for the women",
        "and if they were 20?", "same group but with 500 less loan"): its operation is the last
        turn's, so its gold is `repeat` on the selection or what-if it says (query-language.md,
        rules 9 and 10). In a talk the same words are read with the state, as that operation."""
        rng = self.rng
        form = rng.choice(["selection", "selection", "change", "change", "same_group"])
        if form == "selection":
            picked = self.selection(s, rng.choice(["one", "group", "group"]))
            pattern = self.pick("op", "repeat", "one")
            if picked is None or pattern is None:
                return None
            who, where = picked
            return Said(_noise(rng, _fill(pattern, who=who)),
                        [{"op": "filter", "where": where}, {"op": "repeat"}])
        change = self.whatif(s)
        pattern = self.pick("follow_up_alone", form)
        if change is None or pattern is None:
            return None
        words, step = change
        text = _fill(pattern, change=words, entities=s.entities)
        return Said(_noise(rng, text), ([{"op": "previous_filter"}] if form == "same_group" else [])
                    + [step, {"op": "repeat"}])

    def whatif(self, s: Schema) -> tuple[str, dict] | None:
        rng = self.rng
        if s.numeric and rng.random() < 0.7:
            f = rng.choice(s.numeric)
            action = rng.choice(["set", "increase", "decrease"])
            lo, hi = s.schema.features[f].range
            n = s.number(rng, f) if action == "set" else max(1, int(round((hi - lo) * rng.choice([0.05, 0.1, 0.2]))))
            pattern = self.pick("whatif", action)
            if pattern is None:
                return None
            return _fill(pattern, feature=s.feature_words(rng, f), n=n), {"op": "whatif", "feature": f, "action": action, "value": n}
        if not s.valued:
            return None
        f, v = rng.choice(s.valued)
        said = s.value_words(rng, f, v)
        pattern = self.pick("whatif", "set_value")
        if said is None or said[1] or pattern is None:
            return None
        return _fill(pattern, value=said[0]), {"op": "whatif", "feature": f, "action": "set", "value": v}


def conversation(gen: "Generator", s: Schema) -> dict | None:
    """A talk of two to four turns made from the grammar: a first question about a group or one
    person, then follow-ups about the rows of the turn before said without naming them (a
    reference, or nothing at all), narrowing them, their complement, another operation, "why?",
    a what-if on the person kept ("also") or replaced ("instead"); or a fairness check followed by
    another attribute or one crossed with it. Every turn's gold is self-contained."""
    rng = gen.rng
    if not gen.b.get("conversation"):
        return None
    if rng.random() < 0.08:
        return fairness_talk(gen, s)
    if rng.random() < 0.06:
        return argument_talk(gen, s)
    one = rng.random() < 0.45
    first = gen.question_about(s, "one" if one else "group")
    if first is None:
        return None
    said, where, op_steps = first
    turns = [{"question": said, "gold": {"steps": ([{"op": "filter", "where": where}] if where else []) + op_steps}}]
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.choice(["why", "sure", "other", "other", "whatif", "new_id", "chat"] if one else
                          ["narrow", "narrow", "complement", "other", "other", "terse", "switch", "class_count", "chat",
                           "new_group"])
        made = _followup(gen, s, kind, one, where, op_steps)
        if made is None:
            break
        turns += made
        last = made[-1]["gold"]
        if last is None:            # chit-chat ends the talk
            break
        where = next((st["where"] for st in last["steps"] if st["op"] == "filter"), None)
        op_steps = [st for st in last["steps"] if st["op"] not in ("filter", "whatif")]
        one = bool(where) and where.get("feature") == "id" and where.get("cmp") == "=="
        if any(st["op"] == "whatif" for st in last["steps"]) or not where:
            break                   # what-ifs carry only when said; a talk about everyone ends here
    return {"workspace": s.name, "turns": turns} if len(turns) > 1 else None


def _followup(gen: "Generator", s: Schema, kind: str, one: bool, where: dict | None,
              op_steps: list[dict]) -> list[dict] | None:
    """The turns (one, or two for a what-if kept or replaced) of one follow-up of this kind."""
    rng = gen.rng
    conv = gen.b["conversation"]
    keep = [{"op": "filter", "where": where}] if where else []
    if kind in ("switch", "class_count", "new_id", "chat", "new_group"):
        turn = _more_turn(gen, s, kind, gen.b.get("conversation_more", {}), where, op_steps, keep)
        return None if turn is None else [turn]
    if kind == "why":
        return [{"question": _noise(rng, rng.choice(conv["why"])), "gold": {"steps": keep + [{"op": "explain", "method": "auto"}]}}]
    if kind == "sure":
        if s.schema.task != "classification":
            return None
        return [{"question": _noise(rng, rng.choice(conv["sure"])), "gold": {"steps": keep + [{"op": "likelihood"}]}}]
    if kind in ("other", "terse"):
        op = rng.choices(list(OP_WEIGHTS), weights=list(OP_WEIGHTS.values()))[0]
        ref = "" if kind == "terse" else _fill(rng.choice(PRONOUNS["one" if one else "group"]), entity=s.entity, entities=s.entities)
        made = gen.operation(s, op, ref, "one" if one else "group")
        if made is None or op in ("describe_data", "describe_model", "capabilities", "define") or \
                (one and op in ("count", "score", "mistakes", "bias")):
            return None
        pattern, steps = made
        text = _fill(pattern, who=ref, entity=s.entity, entities=s.entities)
        if ref and "{who}" not in pattern:
            text += " " + rng.choice(["for", "of", "about"]) + " " + ref
        if "{who}" in pattern and not ref:
            return None
        return [{"question": _noise(rng, text), "gold": {"steps": keep + steps}}]
    if kind == "narrow":
        cond = gen.condition(s)
        if cond is None or where is None:
            return None
        words, c = cond
        items = (where["and"] if "and" in where else [where]) + (c["and"] if "and" in c else [c])
        if any("feature" not in i for i in items) or len({json.dumps(i, sort_keys=True) for i in items}) < len(items) \
                or len({i["feature"] for i in items}) < len(items):
            return None
        return [{"question": _noise(rng, _fill(rng.choice(conv["narrow"]), conds=words)),
                 "gold": {"steps": [{"op": "filter", "where": {"and": items}}] + op_steps}}]
    if kind == "complement":
        other = _other_side(where) if where is not None and where.get("feature") != "id" else None
        if other is None:
            return None
        return [{"question": _noise(rng, _fill(rng.choice(conv["complement"]), entities=s.entities)),
                 "gold": {"steps": [{"op": "filter", "where": other}] + op_steps}}]
    if kind == "whatif":
        return _whatif_turns(gen, s, keep)
    return None


def _whatif_turns(gen: "Generator", s: Schema, keep: list[dict]) -> list[dict] | None:
    """A what-if on the person, then sometimes a second one kept ("also") or replacing it."""
    rng = gen.rng
    conv = gen.b["conversation"]
    change = gen.whatif(s)
    frame = gen.pick("whatif_question")
    if change is None or not frame:
        return None
    ref = _fill(rng.choice(PRONOUNS["one"]), entity=s.entity, entities=s.entities)
    words, step = change
    turns = [{"question": _noise(rng, _fill(frame, change=words, who=ref, entity=s.entity)),
              "gold": {"steps": keep + [step, {"op": "predict"}]}}]
    again = gen.whatif(s)
    if again is not None and again[1]["feature"] != step["feature"] and rng.random() < 0.7:
        also = rng.random() < 0.5
        frame2 = rng.choice(conv["also" if also else "instead"])
        steps2 = keep + ([step] if also else []) + [again[1], {"op": "predict"}]
        turns.append({"question": _noise(rng, _fill(frame2, change=again[0])), "gold": {"steps": steps2}})
    return turns


def fairness_talk(gen: "Generator", s: Schema) -> dict | None:
    """A fairness check about everyone, then the same check on another attribute ("what about
    age?") or crossed with one ("cross that with sex as well")."""
    rng = gen.rng
    more = gen.b.get("conversation_more", {})
    sensitive = list(s.schema.sensitive)
    if len(sensitive) < 2 or s.schema.task != "classification" or not more.get("bias_cross"):
        return None
    made = gen.operation(s, "bias", "", "all")
    if made is None:
        return None
    pattern, steps = made
    if len(steps) != 1 or steps[0]["op"] != "bias" or steps[0].get("attributes"):
        return None
    first = steps[0]
    b = rng.choice([x for x in sensitive if x != first["attribute"]])
    words = s.feature_words(rng, b)
    turns = [{"question": _noise(rng, _fill(pattern, who="", entity=s.entity, entities=s.entities)), "gold": {"steps": steps}}]
    if rng.random() < 0.5:
        text, step = rng.choice(more["bias_cross"]), {**first, "attributes": [b]}
    else:
        text, step = rng.choice(more["bias_switch"]), {"op": "bias", "attribute": b,
                                                         **({"metric": first["metric"]} if first.get("metric") else {})}
    turns.append({"question": _noise(rng, _fill(text, feature=words)), "gold": {"steps": [step]}})
    return {"workspace": s.name, "turns": turns}


def argument_talk(gen: "Generator", s: Schema) -> dict | None:
    """A figure about everyone (the score in one metric, the top features), then the same
    operation with another argument said alone ("and f1?", "top 5?"), then sometimes the same on
    a group ("on renters only"): the new argument is kept for the group."""
    rng = gen.rng
    more = gen.b.get("conversation_more", {})
    if not more.get("metric_switch") or not more.get("same_for_group"):
        return None
    if s.schema.task == "classification" and rng.random() < 0.6:
        m1, m2 = rng.sample(list(METRIC_NAMES), 2)
        first = gen.pick("op", "score", "all")
        if first is None:
            return None
        turns = [{"question": _noise(rng, _fill(first, metric=gen.pick("metric", m1) or m1, entities=s.entities)),
                  "gold": {"steps": [{"op": "score", "metric": m1}]}},
                 {"question": _noise(rng, _fill(rng.choice(more["metric_switch"]), metric=gen.pick("metric", m2) or m2)),
                  "gold": {"steps": [{"op": "score", "metric": m2}]}}]
        step = {"op": "score", "metric": m2}
    else:
        n1, n2 = rng.sample([1, 2, 3, 4, 5, 10], 2)
        first = gen.pick("op", "importance", "top")
        if first is None or not more.get("top_switch"):
            return None
        turns = [{"question": _noise(rng, _fill(first, n=n1)), "gold": {"steps": [{"op": "importance", "top": n1}]}},
                 {"question": _noise(rng, _fill(rng.choice(more["top_switch"]), n=n2)),
                  "gold": {"steps": [{"op": "importance", "top": n2}]}}]
        step = {"op": "importance", "top": n2}
    if rng.random() < 0.6:
        picked = gen.selection(s, "group")
        if picked is not None and picked[1] is not None:
            who, where = picked
            turns.append({"question": _noise(rng, _fill(rng.choice(more["same_for_group"]), who=who)),
                          "gold": {"steps": [{"op": "filter", "where": where}, step]}})
    return {"workspace": s.name, "turns": turns}


def _more_turn(gen: "Generator", s: Schema, kind: str, more: dict, where: dict | None, op_steps: list[dict],
               keep: list[dict]) -> dict | None:
    """Follow-ups that switch the group's value, count one class in it, name a new person, or
    only chat (no query)."""
    rng = gen.rng
    if not more.get(kind):
        return None
    frame = rng.choice(more[kind])
    if kind == "chat":
        return {"question": _noise(rng, frame), "gold": None}
    if kind in ("new_id", "new_group"):
        picked = gen.selection(s, "one" if kind == "new_id" else "group")
        if picked is None or picked[1] == where:
            return None
        who, new_where = picked
        return {"question": _noise(rng, _fill(frame, who=who)), "gold": {"steps": [{"op": "filter", "where": new_where}] + op_steps}}
    if kind == "switch":
        if where is None or "feature" not in where or where["cmp"] != "==" or where["feature"] in ("id", "prediction", "label"):
            return None
        spec = s.schema.features.get(where["feature"])
        if spec is None or spec.kind != "categorical":
            return None
        others = [v for v in spec.values if v != where["value"]]
        if not others:
            return None
        v = rng.choice(others)
        said = s.value_words(rng, where["feature"], v)
        if said is None or said[1]:
            return None
        return {"question": _noise(rng, _fill(frame, value=said[0])),
                "gold": {"steps": [{"op": "filter", "where": {**where, "value": v}}] + op_steps}}
    if kind == "class_count":
        if s.schema.task != "classification" or not s.schema.classes or where is None:
            return None
        items = where["and"] if "and" in where else [where]
        if any(i.get("feature") in ("prediction", "label") for i in items):
            return None
        value = rng.choice(list(s.schema.classes))
        which = rng.choice(["pred", "label"])
        cls = gen.pick("cond", f"{which}_class")
        if cls is None:
            return None
        cls = _fill(cls, **{"class": s.class_words(rng, value)})
        cond = {"feature": "prediction" if which == "pred" else "label", "cmp": "==", "value": value}
        return {"question": _noise(rng, _fill(frame, cls=cls)),
                "gold": {"steps": [{"op": "filter", "where": {"and": items + [cond]}}, {"op": "count"}]}}
    return None


_FLIP = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


def _other_side(cond: dict) -> dict | None:
    """Everyone else, as the conversation's gold writes it: a flag or class by its other value,
    a threshold by its other side, a value by "not that value", a group of several conditions by
    "not" all of them."""
    if "feature" not in cond:
        return {"not": cond} if "and" in cond else None
    if cond["cmp"] == "==" and not isinstance(cond["value"], (int, float)):
        return {**cond, "cmp": "!="}
    if cond["cmp"] in _FLIP:
        return {**cond, "cmp": _FLIP[cond["cmp"]]}
    if cond["cmp"] == "==" and cond["value"] in (0, 1):
        return {**cond, "value": 1 - cond["value"]}
    return None


_TYPO = re.compile(r"[a-z]{6,}")


def _noise(rng: random.Random, text: str) -> str:
    """Lower case, a dropped question mark, a slipped letter: as people type."""
    if rng.random() < 0.5:
        text = text.lower()
    if rng.random() < 0.3:
        text = text.rstrip("?")
    if rng.random() < 0.12:
        words = [m for m in _TYPO.finditer(text)]
        if words:
            m = rng.choice(words)
            w = m.group(0)
            k = rng.randrange(1, len(w) - 1)
            w = w[:k] + w[k + 1:] if rng.random() < 0.5 else w[:k] + w[k + 1] + w[k] + w[k + 2:]
            text = text[:m.start()] + w + text[m.end():]
    return re.sub(r"\s+", " ", text).strip()


# the phrasings of the earlier sentence-model head (ID, GROUP, FEATURE, CLASS, PEOPLE as slots),
# for the operations whose arguments the phrasing cannot change
LEGACY_OPS = ("predict", "likelihood", "explain", "counterfactual", "interactions", "dependence", "rules",
              "labels", "count", "show", "statistic", "describe_data", "describe_model", "define",
              "capabilities", "followup")


@lru_cache(maxsize=1)
def legacy_phrases() -> dict[str, list[str]]:
    path = resource_dir("prompts") / "legacy_intents.toml"
    if not path.exists():
        return {}
    spec = tomllib.loads(path.read_text())["intents"]
    return {op: block["phrases"] for op, block in spec.items() if op in LEGACY_OPS}


def legacy_question(gen: "Generator", s: Schema) -> Said | None:
    rng = gen.rng
    op = rng.choice(list(legacy_phrases()))
    phrase = rng.choice(legacy_phrases()[op])
    if "NUMBER" in phrase or "CHANGE" in phrase or ("FEATURE" in phrase) != (op in ("dependence", "statistic", "define")):
        return None
    where = None
    if "ID" in phrase:
        picked = gen.selection(s, "one")
    elif "GROUP" in phrase:
        picked = gen.selection(s, "group")
    else:
        picked = ("", None)
    if picked is None:
        return None
    who, where = picked
    f = rng.choice(s.numeric or list(s.schema.features))
    klass = s.class_words(rng, rng.choice(list(s.schema.classes))) if s.schema.classes else s.entity
    text = re.sub(r"\bID\b", who, phrase) if "ID" in phrase else re.sub(r"\bGROUP\b", who, phrase)
    text = re.sub(r"\bFEATURE\b", s.feature_words(rng, f), text)
    text = re.sub(r"\bCLASS\b", klass, text)
    text = re.sub(r"\bPEOPLE\b", s.entities, text)
    step = {"op": op}
    if op == "explain":
        step["method"] = "auto"
    if op in ("dependence", "statistic", "define"):
        step["feature"] = f
    if op in ("likelihood", "counterfactual") and s.schema.task != "classification":
        return None
    gold = ([{"op": "filter", "where": where}] if where else []) + [step]
    return Said(_noise(rng, text), gold)


def _draws(make, n: int, tries: int = 5) -> list:
    """Up to `n` of what `make` draws (None: a draw that did not fit), in at most `n * tries` draws."""
    out: list = []
    for _ in range(n * tries):
        if len(out) >= n:
            break
        made = make()
        if made is not None:
            out.append(made)
    return out


def generate(seed: int = 0, per_schema: int = 180, legacy_per_schema: int = 40,
             unknown_per_schema: int = 8, talks_per_schema: int = 60, alone_per_schema: int = 15) -> list[dict]:
    """Training records for every schema (empty when there is no paraphrase bank)."""
    if not bank():
        return []
    gen = Generator(seed)
    alone = Generator(seed + 1)     # its own draws: the other families stay as they were
    out: list[dict] = []
    for name in training_schema_names() + list(BUILTINS):
        s = Schema(name)

        def single(said: Said) -> dict:
            return {"workspace": name, "question": said.text, "gold": {"steps": said.gold}}
        out += [single(said) for said in _draws(lambda: gen.question(s), per_schema)]
        out += [{"workspace": name, "question": said.text, "gold": None, "unknown": said.unknown}
                for said in _draws(lambda: gen.unknown(s), unknown_per_schema)]
        out += _draws(lambda: conversation(gen, s), talks_per_schema, tries=6)
        out += [single(said) for said in _draws(lambda: alone.follow_up_alone(s), alone_per_schema)]
        if legacy_phrases():
            out += [single(said) for said in _draws(lambda: legacy_question(gen, s), legacy_per_schema)]
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    records = generate(args.seed, per_schema=max(1, args.n // 10))
    random.Random(args.seed).shuffle(records)
    for r in records[: args.n]:
        if "turns" in r:
            print(r["workspace"], "||", " // ".join(f"{t['question']} -> {json.dumps(t['gold'] and t['gold']['steps'])}" for t in r["turns"]))
            continue
        print(r["workspace"], "|", r["question"], "|", json.dumps(r["gold"] and r["gold"]["steps"]), r.get("unknown", ""))
