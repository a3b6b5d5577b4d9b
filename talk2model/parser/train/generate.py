"""The generator: training questions made from the query grammar and the paraphrase bank
(`prompts/paraphrases.toml`) over every schema (the invented ones in `prompts/schemas/` and the
built-ins), so that the reader sees every operation, role and column-naming style in many
combinations. Each question is made together with its gold query, so it is right by construction.

    python -m talk2model.parser.train.generate -n 20    # print a sample
"""

from __future__ import annotations

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
              "describe_model": 1, "define": 2, "capabilities": 1}
ONE_ROW_OPS = {"predict", "likelihood", "explain", "counterfactual", "labels", "show", "flip"}
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
    gold: list[dict]       # steps


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
        if op in ("likelihood", "counterfactual") and s.schema.task != "classification":
            return None
        if op == "count" and scope != "group":
            return None
        if op in ("labels", "show", "counterfactual") and not who:
            return None
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
            if s.schema.task != "classification" or not s.schema.sensitive or who:
                return None
            a = rng.choice(list(s.schema.sensitive))
            spec = s.schema.features[a]
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
        selected = self.selection(s, scope)
        if selected is None:
            return None
        who, where = selected
        made = self.operation(s, first, who, scope)
        if made is None:
            return None
        pattern, steps = made
        text = _fill(pattern, who=who, entity=s.entity, entities=s.entities)
        if who and "{who}" not in pattern:          # an operation said without its rows: add them
            text += " " + rng.choice(["for", "among", "for the", "in", "just for"]) + " " + who
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


def generate(seed: int = 0, per_schema: int = 220, legacy_per_schema: int = 40) -> list[dict]:
    """Training records for every schema (empty when there is no paraphrase bank)."""
    if not bank():
        return []
    gen = Generator(seed)
    out: list[dict] = []
    for name in training_schema_names() + list(BUILTINS):
        s = Schema(name)
        made = 0
        tries = 0
        while made < per_schema and tries < per_schema * 5:
            tries += 1
            said = gen.question(s)
            if said is not None:
                out.append({"workspace": name, "question": said.text, "gold": {"steps": said.gold}})
                made += 1
        made = tries = 0
        while legacy_phrases() and made < legacy_per_schema and tries < legacy_per_schema * 5:
            tries += 1
            said = legacy_question(gen, s)
            if said is not None:
                out.append({"workspace": name, "question": said.text, "gold": {"steps": said.gold}})
                made += 1
    return out


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    records = generate(args.seed, per_schema=max(1, args.n // 10))
    random.Random(args.seed).shuffle(records)
    for r in records[: args.n]:
        print(r["workspace"], "|", r["question"], "|", json.dumps(r["gold"]["steps"]))
