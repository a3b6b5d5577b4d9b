"""The assembler's named rules: each is a small function, about the schema or the query language,
never about one phrasing. They decide what the reader's roles alone cannot: which feature a
number is about, how a negated flag is written, when two conditions are an "or".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from talk2model.parser.grounding import CONFIDENCE, Grounding, Span
from talk2model.parser.labels import FEATURE_OPS
from talk2model.parser.lexicon import damerau
from talk2model.parser.lexicon import stem as stem_word
from talk2model.parser.lexicon import threshold
from talk2model.query import ast as q

CMP_OF_ROLE = {"n_gt": ">", "n_ge": ">=", "n_lt": "<", "n_le": "<=", "n_eq": "==", "n_ne": "!="}
ACTION_OF_ROLE = {"n_set": "set", "n_inc": "increase", "n_dec": "decrease"}
ZERO_WORDS = frozenset({"no", "zero", "none", "never"})
_NUMERIC = __import__("re").compile(r"-?\d+(?:\.\d+)?")
_UNIT_WORDS = frozenset({"years", "year", "months", "month", "days", "day", "weeks", "week", "dm", "old"})
_OR_COMPARISON = frozenset({"more", "above", "over", "older", "higher", "greater", "longer", "less", "under",
                            "below", "fewer", "younger", "lower", "smaller", "shorter", "later", "earlier",
                            "bigger", "larger", "lesser", "beyond", "after"})
_PEOPLE_WORDS = frozenset({"who", "whose", "aged", "old", "older", "younger", "young", "people", "those"})
_OPPOSITE = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}


# ---------------------------------------------------------------------------- which feature
_RUN_WORDS = frozenset({"and", "or", "but", ",", "to", "than", "is", "are", "not", "no", "at", "least", "most",
                        "over", "under", "above", "below", "more", "less", "fewer", "greater", "higher", "lower",
                        "older", "younger", "between", "from", "up", "equal", "exactly", "either", "nor", "instead", "rather", "of"})


def same_comparison_run(g: Grounding, a: int, b: int) -> bool:
    """Two numbers in one run of comparisons ('over 30 and under 50'), with only comparison words
    between them: the second is about the same feature as the first."""
    words = g.tokens[g.spans[a].end:g.spans[b].start]
    return bool(words) and all(w in _RUN_WORDS for w in words)


_ABOUT_PEOPLE = frozenset({"who", "aged"})
_AND_THEN_A_VERB = (frozenset({"and", "but", "or"}), frozenset({"are", "is", "was", "were", "has", "have", "had"}))


def _new_clause(words: list[str]) -> bool:
    """'never pregnant *and are* over 30': a joiner and a verb start a clause about the people."""
    return any(a in _AND_THEN_A_VERB[0] and b in _AND_THEN_A_VERB[1] for a, b in zip(words, words[1:]))


def feature_before(spans: list[Span], i: int, candidates: list[int], stops: set[int],
                   words: list[str] = ()) -> int | None:
    """The feature said right before a number, with no other feature, value or number between
    them ('BMI under 25', 'glucose of at most 100'), nor a clause about the people ('under 2
    priors who are over 50': the 50 is not priors)."""
    before = [j for j in candidates if spans[j].end <= spans[i].start]
    if not before:
        return None
    j = max(before, key=lambda j: spans[j].start)
    between = [k for k in stops if spans[j].end <= spans[k].start < spans[i].start]
    said = list(words[spans[j].end:spans[i].start])
    return None if between or spans[i].start - spans[j].end > 6 or spans[i].start - spans[j].end > 1 and \
        (_ABOUT_PEOPLE.intersection(said) or _new_clause(said)) else j


# a verb or a relative word between a number and the feature after it starts a clause of its own
# ('applicants under 30 has loans of 36 months': the 30 is not the loan's)
_CLAUSE_START = frozenset({"has", "have", "had", "is", "are", "was", "were", "who", "whose", "which", "that", "with",
                           ",", ";", ".", "?", "how", "what", "why"})


def feature_after(spans: list[Span], i: int, candidates: list[int], used: set[int], stops: set[int],
                  gap: int, words: list[str] = ()) -> int | None:
    """The feature said right after a number ('3 priors', '2 more pregnancies', '6 months in
    jail'), within `gap` words, that no other number has taken, in the same clause."""
    after = [j for j in candidates if spans[j].start >= spans[i].end and j not in used]
    if not after:
        return None
    j = min(after, key=lambda j: spans[j].start)
    between = [k for k in stops if spans[i].end <= spans[k].start < spans[j].start]
    if _CLAUSE_START.intersection(words[spans[i].end:spans[j].start]):
        return None
    return None if between or spans[j].start - spans[i].end > gap else j


def pick_feature(schema, feature_span: Span, number: Span) -> str | None:
    """Of the features a span names, the one a number can be about: a numeric one whose range
    holds it, or a threshold flag with that threshold, also a sibling of the flag named
    ('checking account of 200 or more' names the >= 0 flag's words, and means the >= 200 one)."""
    options = list(feature_span.features) + [f for f, _ in feature_span.values if f not in feature_span.features]
    subjects = {threshold(schema.features[f])[0] for f in options
                if f in schema.features and threshold(schema.features[f])}
    siblings = [f for f, spec in schema.features.items() if threshold(spec) and threshold(spec)[0] in subjects]
    for f in options + siblings:
        found = threshold(schema.features[f]) if f in schema.features else None
        if found and found[2] == number.number:
            return f
    numeric = [f for f in options if f in schema.features and schema.features[f].kind == "numeric"]
    holding = [f for f in numeric if plausible(schema.features[f], number)]
    return (holding or numeric or options or [None])[0]


def by_unit(schema, feature: str | None, number: Span, said: str = "") -> str | None:
    """A number said with a unit the feature is not measured in ('a loan of 2 years' names the
    loan, but a loan's *amount* has no unit): the one numeric feature kept in that unit."""
    if feature is None or number.unit not in ("year", "month", "week", "day"):
        return feature
    spec = schema.features.get(feature)
    if spec is None or threshold(spec) or _dimension(spec) == "time":
        return feature
    timed = [f for f, s in schema.features.items() if s.kind == "numeric" and _dimension(s) == "time"
             and "age" not in s.words.split()]
    if len(timed) > 1:             # 'loans longer than 2 years': the timed feature the words name
        words = {stem_word(w) for w in said.split()}
        timed = [f for f in timed if words & {stem_word(w) for w in _feature_words(schema.features[f])}] or timed
    return timed[0] if len(timed) == 1 else feature


def _dimension(spec) -> str | None:
    """'time' for a feature measured in years, months, weeks or days (by its unit, or its name:
    'YearsAtCurrentHome')."""
    words = (spec.unit or "").split() + spec.words.split()
    return "time" if any(w.rstrip("s") in ("year", "month", "week", "day") for w in words) else None


def plausible(spec, number: Span) -> bool:
    if spec.range is None or number.number is None:
        return True
    lo, hi = spec.range
    value = convert(spec, number)
    width = max(hi - lo, 1)
    return lo - width <= value <= hi + width


def age_feature(schema) -> str | None:
    for name, spec in schema.features.items():
        if spec.kind == "numeric" and ("age" in spec.words.split() or "age" in spec.synonyms):
            return name
    return None


def features_holding(workspace, value) -> list[str]:
    if value is None:
        return []
    return [f for f, spec in workspace.schema.features.items()
            if spec.kind == "numeric" and spec.range is not None and spec.range[0] <= value <= spec.range[1]]


def _names_the_rows(schema, tokens: list[str]) -> bool:
    """A word for the workspace's people, also misspelt ('defendents')."""
    nouns = {w.lower() for w in (getattr(schema, "entity", ""), getattr(schema, "entities", "")) if w}
    return any(t == n or (len(t) >= 6 and t[0] == n[0] and damerau(t, n, 2) <= 2) for t in tokens for n in nouns)


_PERSONS = frozenset({"i", "he", "she", "they", "you", "we"})
_BEING = frozenset({"was", "were", "am", "is", "are", "be", "turned", "turn"})


def _someone_is(tokens: list[str], at: int) -> bool:
    """'What if I was 35', 'if she were 50 instead', 'when he turned 40': a number a person is
    said to be (the age, when it is in the age's range)."""
    if at < 2 or tokens[at - 1] not in _BEING:
        return False
    return tokens[at - 2] in _PERSONS or (tokens[at - 2] in ("would", "will") and at >= 3 and tokens[at - 3] in _PERSONS)


def age_someone_is(workspace, g: Grounding, i: int) -> str | None:
    """'I have zero priors tho. what if I was 30?': a number a person is said to be, in the age's
    range and with no unit other than years, is the age, never the column said before it."""
    span = g.spans[i]
    age = age_feature(workspace.schema)
    if age is None or span.number is None or span.unit not in (None, "year") or not _someone_is(g.tokens, span.start):
        return None
    return age if _in_range(workspace.schema.features[age], span.number) else None


def implied_feature(workspace, g: Grounding, i: int, person: bool = False) -> str | None:
    """A number said with no feature ('people over 40', 'were 45', '2 years longer'): its unit's
    feature, the age when people are described, else the one numeric feature whose range holds it."""
    schema = workspace.schema
    span = g.spans[i]
    value = span.number
    words = set(g.tokens)
    for f, spec in schema.features.items():      # 'less than a year at their job': a threshold flag
        found = threshold(spec)
        if found and found[2] == value and span.unit and words & (set(found[0].split()) - {"years", "at", "in"}):
            return f
    if span.unit in ("year", "month", "week", "day"):
        timed = [f for f, s in schema.features.items() if s.kind == "numeric" and _dimension(s) == "time"]
        if len(timed) > 1:         # the one the question's words name ('shorten the loan by a year')
            scored = sorted(timed, key=lambda f: -len(words & _feature_words(schema.features[f])))
            if len(words & _feature_words(schema.features[scored[0]])) > \
                    len(words & _feature_words(schema.features[scored[1]])):
                return scored[0]
        fitting = [f for f in timed if plausible(schema.features[f], span)
                   and _in_range(schema.features[f], convert(schema.features[f], span))]
        kept_in_units = [f for f in fitting if schema.features[f].unit]
        if len(fitting) == 1 or len(kept_in_units) == 1:   # 'more than 3 years' is no age: the loan's duration
            return (fitting if len(fitting) == 1 else kept_in_units)[0]
        with_unit = [f for f in timed if span.unit in schema.features[f].unit
                     and plausible(schema.features[f], span)]
        if len(with_unit) == 1:
            return with_unit[0]
    age = age_feature(schema)
    people = (person or span.decade or span.plural or any(s.kind in ("entity", "reference", "value") for s in g.spans) or span.unit == "year"
              or bool(_PEOPLE_WORDS.intersection(g.tokens)) or _names_the_rows(schema, g.tokens)
              or _someone_is(g.tokens, span.start))
    numbers = [k for k, sp in enumerate(g.spans) if sp.kind == "number"]
    partner = range_partner(g, i, numbers)
    ranged = partner is not None and g.spans[partner].number is not None and \
        age is not None and _in_range(schema.features[age], g.spans[partner].number)
    if age and people and value is not None and (_in_range(schema.features[age], value) or (
            ranged and _near_range(schema.features[age], value)) or (
            span.decade and _in_range(schema.features[age], value + 9))):
        return age
    holding = features_holding(workspace, value)
    named = {f for s in g.spans for f in s.features}
    if len(holding) > 1:
        holding = [f for f in holding if f in named] or holding
    return holding[0] if len(holding) == 1 else None


def _feature_words(spec) -> set[str]:
    words = set(spec.words.split()) | {w for syn in spec.synonyms for w in syn.split()}
    if "age" in spec.words.split():
        words |= {"old", "older", "younger", "young", "aged", "age"}
    return words - {"of", "the", "a", "at", "in", "how", "time", "years", "months"}


def _in_range(spec, value) -> bool:
    return spec.range is None or spec.range[0] <= value <= spec.range[1]


def counted_none(spec) -> bool:
    """A count that can be none ('never been pregnant', 'never in jail'): a numeric column whose
    lowest value is 0."""
    return spec.kind == "numeric" and spec.range is not None and spec.range[0] == 0


def _near_range(spec, value) -> bool:
    """In the column's range or a tenth of its width beyond: 'between 18 and 25' (the other end in
    range) is about ages when the youngest row is 19."""
    if spec.range is None:
        return True
    lo, hi = spec.range
    margin = (hi - lo) / 10
    return lo - margin <= value <= hi + margin


def range_partner(g: Grounding, i: int, numbers: list[int]) -> int | None:
    """'between 20 and 30', 'from 20 to 30': the other end of a range."""
    span = g.spans[i]
    for j in numbers:
        other = g.spans[j]
        lo, hi = sorted((span.end, other.start)) if other.start > span.start else sorted((other.end, span.start))
        words = g.tokens[lo:hi]
        if j != i and len(words) == 1 and words[0] in ("and", "to", "-"):
            return j
    return None


def features_named(spans: list[Span], feature: str, role: dict, roles: tuple[str, ...]) -> set[int]:
    return {j for j in role if role[j] in roles and feature in spans[j].features}


# ---------------------------------------------------------------------------- conditions
def convert(spec, number: Span):
    """A number in the unit the feature is kept in ('2 years' of a duration in months -> 24)."""
    value = number.number
    unit = spec.unit or ""
    if number.unit == "year" and "month" in unit:
        return value * 12
    if number.unit == "month" and "year" in unit:
        return value / 12
    return value


def _typed(spec, value):
    if spec.integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def number_condition(schema, feature: str, role: str, span: Span) -> q.Expr | None:
    if feature == "confidence":          # "less than 70% sure" -> confidence < 0.7
        value = span.number / 100 if (span.unit == "percent" or span.number > 1) else span.number
        return q.Cmp(feature, CMP_OF_ROLE.get(role, "<"), round(value, 6)) if role in CMP_OF_ROLE else None
    spec = schema.features[feature]
    found = threshold(spec)
    if found is not None:                 # 'at least 4 years at the job': the flag itself
        _, op, t = found
        if span.number != t or role == "n_decade":
            return None
        cmp = CMP_OF_ROLE[role]
        if cmp == op:
            return q.Cmp(feature, "==", 1)
        if cmp == _OPPOSITE[op]:
            return q.Cmp(feature, "==", 0)
        return None
    if spec.kind != "numeric":
        if role == "n_eq" and span.number in (0, 1):
            return q.Cmp(feature, "==", span.number)
        return None
    value = _typed(spec, convert(spec, span))
    if role == "n_decade":
        return q.And((q.Cmp(feature, ">=", value), q.Cmp(feature, "<", value + 10)))
    return q.Cmp(feature, CMP_OF_ROLE[role], value)


def pick_value(schema, g: Grounding, i: int) -> tuple[str, Any]:
    """The (feature, value) a value span means; with several, the one whose feature is named
    nearest to it, before it first ('checking account were moderate'), or the column of the value
    said just before it ('little or moderate')."""
    span = g.spans[i]
    options = list(span.values)
    if len(options) == 1:
        return options[0]
    after = [s for s in g.spans[i + 1:] if not s.values and 0 <= s.start - span.end <= 3
             and any(o[0] in s.features for o in options)]
    if after:                       # 'little in their checking account': the column said right after it
        return next(o for o in options if o[0] in after[0].features)
    previous = [s for s in g.spans[:i] if s.values and s.kind != "class"]
    if previous and span.start - previous[-1].end <= 2:
        before = pick_value(schema, g, g.spans.index(previous[-1]))[0]
        for option in options:
            if option[0] == before:
                return option

    def distance(option) -> tuple:
        named = [s for s in g.spans if s is not span and option[0] in s.features]
        if not named:
            return (99, 1)
        s = min(named, key=lambda s: abs(s.start - span.start))
        return (abs(s.start - span.start), s.start > span.start)
    return min(options, key=distance)


def other_value(schema, feature: str, value):
    values = tuple(schema.features[feature].values)
    if len(values) == 2 and value in values:
        return values[1] if value == values[0] else values[0]
    return None


def value_condition(schema, feature: str, value, negate: bool) -> q.Cmp:
    """'not foreign workers' -> ForeignWorker == 0; 'other than renters' -> housing != 'rent'."""
    if not negate:
        return q.Cmp(feature, "==", value)
    other = other_value(schema, feature, value)
    return q.Cmp(feature, "==", other) if other is not None else q.Cmp(feature, "!=", value)


def class_condition(schema, span: Span, role: str, g: Grounding, from_state: Any = None) -> q.Cmp | None:
    """A class condition; on a cue word ('actually', 'the model says') the class is the one named
    nearest to it, or the class the group being discussed was chosen by (or, negated, the other)."""
    if schema.task != "classification":
        return None
    feature = "prediction" if role.startswith("c_pred") else "label"
    if span.classes:
        value = span.classes[0]
    else:
        named = [s for s in g.spans if s.classes and s.kind != "number"]
        if named:
            value = min(named, key=lambda s: abs(s.start - span.start)).classes[0]
        elif from_state is not None:
            value = from_state
        else:
            return None
    if role.endswith("_not"):
        others = [c for c in schema.classes if c != value]
        return q.Cmp(feature, "==", others[0]) if len(others) == 1 else q.Cmp(feature, "!=", value)
    return q.Cmp(feature, "==", value)


def unread_condition(spec, span: Span) -> str:
    return f"'{span.text}' seems to set a condition on {spec.label}, but I could not read which value"


def _same_column_exclusive(a: q.Expr, b: q.Expr, workspace) -> bool:
    """Two conditions on one column that no row meets together ('women and men', 'under 30 and
    over 60'): said with "and", meant as "or"."""
    if not (isinstance(a, q.Cmp) and isinstance(b, q.Cmp)) or a.feature != b.feature:
        return False
    if a.feature in ("id", "prediction", "label") or (a.cmp == "==" and b.cmp == "==" and a.value != b.value):
        return a.feature != "id" or (a.cmp == "==" and b.cmp == "==")
    data = workspace.data
    if a.feature not in data:
        return False
    ma, mb = _met(data[a.feature], a), _met(data[a.feature], b)
    if ma is None or mb is None:
        return False
    return bool(ma.any() and mb.any() and not (ma & mb).any())


def _met(column: pd.Series, c: q.Cmp) -> pd.Series | None:
    """Which values of a column meet one comparison (None when they cannot be compared)."""
    ops = {"==": column.eq, "!=": column.ne, ">": column.gt, ">=": column.ge, "<": column.lt, "<=": column.le}
    try:
        return ops[c.cmp](c.value) if c.cmp in ops else None
    except TypeError:
        return None


_EXCLUDING = frozenset({"not", "excluding", "except", "outside", "exclude", "without"})


def negated_range(g: Grounding, pieces: list) -> list:
    """'Applicants NOT between 25 and 35', 'excluding the patients between 30 and 40': a range
    said after a word that excludes it is every row outside it (one condition, negated)."""
    words = g.tokens
    for k, w in enumerate(words):
        if w not in ("between", "from") or not _EXCLUDING.intersection(words[max(0, k - 4):k]):
            continue
        ends = [s.number for s in g.spans if s.kind == "number" and s.start > k][:2]
        if len(ends) != 2:
            continue
        low = next((p for p in pieces if isinstance(p.expr, q.Cmp) and p.expr.cmp == ">=" and p.expr.value == min(ends)), None)
        high = next((p for p in pieces if isinstance(p.expr, q.Cmp) and p.expr.cmp == "<=" and p.expr.value == max(ends)
                     and low is not None and p.expr.feature == low.expr.feature), None)
        if low is None or high is None:
            continue
        kept = [p for p in pieces if p is not low and p is not high]
        return sorted(kept + [type(low)(low.start, q.Not(q.And((low.expr, high.expr))))], key=lambda p: p.start)
    return pieces


def join_conditions(g: Grounding, pieces: list, workspace) -> q.Expr | None:
    """The conditions in the order said: joined by "or" where the words between say "or" (or no
    row could meet both), by "and" otherwise; several ids are always alternatives."""
    if not pieces:
        return None
    exprs = [p.expr for p in pieces]
    nouns = {i for sp in g.spans if sp.kind == "feature" for i in range(sp.start, sp.end)}
    links: list[str] = []
    for a, b in zip(pieces, pieces[1:]):
        between = g.tokens[a.start + 1:b.start]
        # "or" of "60 or above" / "4 or more" / "4 pregnancies or more" is part of a comparison, not a join
        words = {w for k, w in enumerate(between)
                 if not (w == "or" and k + 1 < len(between) and between[k + 1] in _OR_COMPARISON
                         and (k + 2 >= len(between) or between[k + 2] != "than")
                         and (k == 0 or _NUMERIC.fullmatch(between[k - 1]) or between[k - 1] in _UNIT_WORDS
                              or a.start + k in nouns))}
        if ("or" in words and "and" not in words) or _same_column_exclusive(a.expr, b.expr, workspace):
            links.append("or")
        else:
            links.append("and")
    groups: list[list[q.Expr]] = [[exprs[0]]]
    for link, expr in zip(links, exprs[1:]):
        if link == "or":
            groups[-1].append(expr)
        else:
            groups.append([expr])
    parts = [g_[0] if len(g_) == 1 else q.Or(tuple(g_)) for g_ in groups]
    flat: list[q.Expr] = []
    for p in parts:
        flat.extend(p.items if isinstance(p, q.And) and len(parts) > 1 else [p])
    return flat[0] if len(flat) == 1 else q.And(tuple(flat))


# ---------------------------------------------------------------------------- what-ifs
def number_whatif(schema, feature: str, role: str, span: Span) -> q.WhatIf | None:
    spec = schema.features[feature]
    action = ACTION_OF_ROLE[role]
    if spec.kind != "numeric":
        limit = threshold(spec)
        if action == "set" and limit is not None and span.number is not None:   # 'if I had at least 200 in savings'
            meets = {">=": span.number >= limit[2], ">": span.number > limit[2],
                     "<": span.number < limit[2], "<=": span.number <= limit[2]}[limit[1]]
            return q.WhatIf(feature, "set", int(meets))
        if action == "set" and span.number in (0, 1):
            return q.WhatIf(feature, "set", span.number)
        return None
    return q.WhatIf(feature, action, _typed(spec, convert(spec, span)))


def unmade_change(spec, span: Span) -> str:
    """What a number said as a change of a column that is not a number asks the person to say."""
    kind = "says yes or no" if spec.kind == "flag" else "holds categories"
    return f"'{span.text}' seems to change {spec.label} by an amount, but that column {kind}: say what it should become"


# ---------------------------------------------------------------------------- operations
def share_arguments(args: list[str], takers: list[int], k: int) -> list[str]:
    """Feature arguments, in the order said, to the operations that take one: each its own, the
    last one the rest ('how important are age and duration' -> one step each)."""
    if k not in takers or not args:
        return []
    n = takers.index(k)
    if len(takers) == 1:
        return list(args)
    if n < len(takers) - 1:
        return [args[min(n, len(args) - 1)]]
    return list(args[n:]) or [args[-1]]


def last_feature(state) -> str | None:
    if state is None:
        return None
    for step in getattr(state, "last_ops", ()):
        f = getattr(step, "feature", None) or getattr(step, "attribute", None)
        if f and f not in ("prediction", "target", "label"):
            return f
    return None


def repeat_with(last_ops, args: list[str], schema) -> list[q.Step]:
    """'what about age?' after a fairness check by sex: the last operations, on the new feature."""
    import dataclasses

    out: list[q.Step] = []
    for step in last_ops:
        key = "attribute" if isinstance(step, q.Bias) else ("feature" if hasattr(step, "feature") else None)
        if key and args and getattr(step, key) is not None:
            for f in (bias_attributes(schema, args) if key == "attribute" else args):
                out.append(dataclasses.replace(step, **{key: f}))
        else:
            out.append(step)
    return out


def everyone_else(state, schema) -> q.Expr | None:
    """'And for everyone else?': the rows outside the group just discussed (a yes/no column or
    a class of two by its other value, a number by 'not that number')."""
    where = getattr(state, "last_where", None)
    if where is None:
        return None
    parts = q.conjuncts(where)
    if len(parts) == 1 and isinstance(parts[0], q.Cmp):
        return _turned(parts[0], schema)
    return q.Not(where)


def _turned(c: q.Cmp, schema) -> q.Cmp:
    """One condition turned round: a yes/no column or a class of two to its other value, any
    other to the opposite comparison ('not that value', the other side of a threshold)."""
    spec = schema.features.get(c.feature)
    two = (spec is not None and spec.kind == "flag") or \
        (c.feature in ("prediction", "label") and len(getattr(schema, "classes", ()) or ()) == 2)
    if c.cmp == "==" and c.value in (0, 1) and two:
        return q.Cmp(c.feature, "==", 1 - c.value)
    return q.Cmp(c.feature, _OPPOSITE[c.cmp], c.value)


def replaces_change(g: Grounding) -> bool:
    """'And if *instead* ...': the new change replaces the last one, it does not add to it. Not
    'instead of' or 'rather than' before a number or a value: that is the value the person has now
    ('and on top of that, if I borrowed 3000 rather than almost 6000?')."""
    said = {s.start for s in g.spans if s.kind in ("number", "value")}
    words = g.tokens
    for k, w in enumerate(words):
        if w in ("instead", "rather"):
            if k + 1 < len(words) and words[k + 1] in ("of", "than") and said & set(range(k + 2, k + 5)):
                continue
            return True
    return False


def class_of_selection(state) -> Any:
    """The class the group being discussed was selected by ('predicted diabetic'), if any."""
    for c in q.conjuncts(getattr(state, "last_where", None)):
        if isinstance(c, q.Cmp) and c.feature in ("prediction", "label") and c.cmp == "==":
            return c.value
    return None


def confidence_of_the_group(state, span: Span) -> str | None:
    """'And above 90%?' after 'how accurate is it when it is less than 70% sure': a percentage
    said with no column, after a group cut on the model's confidence, is that confidence (not a
    column whose range happens to hold 90)."""
    if span.unit != "percent" or state is None:
        return None
    cut = {c.feature for c in _comparisons(getattr(state, "last_where", None))}
    return CONFIDENCE if CONFIDENCE in cut else None


def feature_of_last_turn(state, span: Span, role: str, schema=None) -> str | None:
    """'And with 5 fewer?' after a what-if on the priors: the feature of the last change;
    'and between 30 and 50?' after 'the under-30s', 'and the ones where it's not zero?' after
    'insulin recorded as 0': the numeric feature the last group was cut on (when the number fits
    its range; a cut at one value only for a number said with "is" or "is not"); else the
    feature of the last operation."""
    if state is None:
        return None
    if role in ("n_set", "n_inc", "n_dec") or span.hint in ("up", "down"):
        for w in reversed(getattr(state, "last_whatifs", ()) or ()):
            return w.feature
    if schema is not None and role in ("n_gt", "n_ge", "n_lt", "n_le", "n_eq", "n_ne", "n_decade"):
        cut = {c.feature for c in _comparisons(getattr(state, "last_where", None))
               if c.feature in schema.features and schema.features[c.feature].kind == "numeric"
               and (c.cmp != "==" or role in ("n_ne", "n_eq")) and span.number is not None
               and _in_range(schema.features[c.feature], span.number)}
        if len(cut) == 1:
            return cut.pop()
    return last_feature(state)


def _comparisons(expr) -> list[q.Cmp]:
    if expr is None:
        return []
    if isinstance(expr, q.Cmp):
        return [expr]
    if isinstance(expr, q.Not):
        return _comparisons(expr.item)
    return [c for item in getattr(expr, "items", ()) for c in _comparisons(item)]


# first-person words that point at the asker's own row ("what if my loan were smaller?"), and the
# verbs after which "me" is only the addressee ("tell me", "show me the data")
_SELF_WORDS = frozenset({"my", "mine", "myself", "i", "im", "i'm"})
_TO_ME_VERBS = frozenset({"tell", "show", "give", "let", "help", "explain", "remind", "walk", "get", "send",
                          "list", "describe", "teach", "print", "display", "lemme", "gimme", "make"})
_ASKER_PHRASES = (("i", "want"), ("i", "would"), ("i", "d"), ("i", "wonder"), ("i", "was", "wondering"),
                  ("i", "need"), ("i", "am", "curious"), ("i", "m", "curious"), ("i", "like"), ("can", "i", "ask"),
                  ("i", "have", "a"), ("i", "have", "another"), ("i", "have", "one"), ("i", "have", "some"), ("i", "think"), ("i", "see"), ("i", "don"), ("i", "do", "not"), ("i", "understand"),
                  ("i", "get"), ("i", "mean"), ("could", "i"), ("may", "i"), ("i", "ll"), ("i", "will"),
                  # others compared with the asker ('how many people like me, black men in their 30s'):
                  # the group described, not the asker's row
                  ("like", "me"), ("similar", "to", "me"), ("such", "as", "me"), ("as", "me"))


def speaks_of_self(tokens: list[str]) -> bool:
    """The asker talks about themselves as a row ('my loan', 'for me', 'if I were 40'), not only
    as the one asking ('I'd like to know', 'show me the data')."""
    words = [t.lower() for t in tokens]
    skip: set[int] = set()
    for k in range(len(words)):
        for phrase in _ASKER_PHRASES:
            if tuple(words[k:k + len(phrase)]) == phrase:
                skip.update(range(k, k + len(phrase)))
    for k, w in enumerate(words):
        if k in skip:
            continue
        if w in ("my", "mine", "myself"):
            return True
        if w in ("i", "im", "i'm"):
            return True
        if w == "me" and not (k and words[k - 1] in _TO_ME_VERBS | {"to"}):
            return True
    return False


def speaker_row(state, tokens: list[str], where, role: dict) -> q.Expr | None:
    """'I'm applicant 10' ... 'what does it predict for me?': the asker's own row, said once in the
    conversation and meant whenever they speak of themselves without naming other rows."""
    ids = getattr(state, "speaker_ids", None)
    if not ids or where is not None or any(r in ("r_prev", "r_other", "n_id") for r in role.values()):
        return None
    if not speaks_of_self(tokens):
        return None
    if getattr(state, "current_ids", None) == list(ids):
        return None                  # already talking about the asker: the selection carries on
    return q.Cmp("id", "==", ids[0])


def speaker_described(state, tokens: list[str], where, workspace) -> q.Expr | None:
    """'I'm 25 and have a skilled job, what would get me approved?' from an asker who said which
    row they are: conditions that are all true of the asker's own row describe the asker, not a
    group of others like them; the row is the asker's. None otherwise."""
    ids = getattr(state, "speaker_ids", None)
    if not ids or where is None or not speaks_of_self(tokens):
        return None
    data = workspace.data
    if ids[0] not in data.index:
        return None
    row = data.loc[[ids[0]]]
    for c in q.conjuncts(where):
        met = _met(row[c.feature], c) if isinstance(c, q.Cmp) and c.feature in data.columns else None
        if met is None or not met.all():
            return None
    return q.Cmp("id", "==", ids[0])


def without_repeats(steps: list[q.Step]) -> list[q.Step]:
    """The same operation with the same arguments twice in a row is asked once."""
    out: list[q.Step] = []
    for step in steps:
        if not out or out[-1] != step:
            out.append(step)
    return out


def metric_for(schema, metric: str) -> str:
    if schema.task == "regression" and metric in q.CLASSIFICATION_METRICS:
        return "mae"
    if schema.task == "classification" and metric in q.REGRESSION_METRICS:
        return "accuracy"
    return metric


def bias_attributes(schema, features: list[str]) -> list[str]:
    """The attributes a fairness question is about: those named (sensitive ones first choice),
    else the one sensitive attribute the schema declares."""
    named = [f for f in features if f in schema.features]
    sensitive = [f for f in named if f in schema.sensitive]
    if sensitive:
        return sensitive
    if named:
        return named
    return list(schema.sensitive) if len(schema.sensitive) == 1 else []


def one_per_sibling_group(features: list[str], workspace) -> list[str]:
    """'Does the model treat women and men equally?' on two yes/no columns no row has both of
    (woman, man): one comparison of the two groups, on the column named first."""
    kept: list[str] = []
    for f in features:
        if not any(_sibling_flags(k, f, workspace) for k in kept):
            kept.append(f)
    return kept


def _sibling_flags(a: str, b: str, workspace) -> bool:
    """Two yes/no columns no row has both of (woman, man): one attribute, said two ways."""
    return _exclusive_changes(q.WhatIf(a, "set", 1), q.WhatIf(b, "set", 1), workspace)


# ---------------------------------------------------------------------------- inside the network
def inside_step(op: str, arg: dict, said: dict, workspace, out) -> list[q.Step] | None:
    """One step of the operations about the inside of a network, from the reader's argument heads
    and the spans it gave a role: the class said (toward which / to draw / tested), ε, a top N,
    a layer's unit. A unit without a layer (or a layer the model lacks) is asked about, not guessed."""
    target, eps, unit = said["target"], said["epsilon"], said["unit"]
    if op == "adversarial":
        norm = arg.get("norm", "default")
        return [q.Adversarial(norm=None if norm == "default" else norm,
                              epsilon=eps if eps is not None and eps > 0 else None, target=target)]
    if op == "influence":
        top = int(said["top"][0]) if said["top"] and said["top"][0] >= 1 else None
        return [q.Influence(mode=None if arg.get("influence", "proponents") == "proponents" else arg["influence"],
                            top=top)]
    if op == "concepts":
        concept = arg.get("concept", "all")
        return [q.Concepts(concept=None if concept == "all" else concept, target=target)]
    if op == "embedding":
        by = arg.get("colour", "unsaid")
        return [q.Embedding(method=arg.get("embedding", "tsne"), by=None if by == "unsaid" else by)]
    position = arg.get("layer", "none")       # visualize_class
    if position == "none" or unit is None:
        return [q.VisualizeClass(target=target)]
    layers = conv_layers(workspace)
    index = ("first", "second", "third").index(position)
    if index >= len(layers):
        out.problems.append(f"the {position} layer (the model's convolutional layers: {', '.join(layers) or 'none'})")
        return None
    return [q.VisualizeClass(layer=layers[index], unit=int(unit))]


def conv_layers(workspace) -> list[str]:
    """The names of the model's convolutional layers, in order (empty for a model without them)."""
    module = getattr(getattr(workspace, "model", None), "module", None)
    if module is None:
        return []
    return [name for name, m in module.named_modules() if type(m).__name__.startswith("Conv")]


# ---------------------------------------------------------------------------- follow-ups
_OUTCOME_COLUMNS = frozenset({"prediction", "label"})


def outcome_columns(workspace) -> frozenset[str]:
    """The model's output, the truth, and a column the workspace's checks find leaking the truth
    (compas' 'recidivated': the outcome in other words, so 'how many of them reoffended?'
    narrows a group by the truth)."""
    checks = getattr(workspace, "checks", None)
    return _OUTCOME_COLUMNS | {item["feature"] for item in getattr(checks, "leakage", ())}


def narrowing_or_replacing(last_where: q.Expr | None, where: q.Expr, workspace, ops=(),
                           pointed: bool = False) -> q.Expr | None:
    """'And for men?' after women, 'ok, now applicant 1' after applicant 4: a condition that no
    row of the group could meet with the group's own condition on that column takes that
    condition's place (the rest of the group is kept, except a condition on what the turn
    measures: '% of women flagged' after 'men it flags'). A group that says again one of the
    group's conditions drops the group's conditions on the model's output or the truth ('what
    fraction of the over 50s ...' after 'how many of them have diabetes?'), unless the words point
    back at the group ("those women"). None when the new conditions only narrow."""
    if last_where is None:
        return None
    old = list(q.conjuncts(last_where))
    new = list(q.conjuncts(where))
    if len(old) > len(new) and said_again(last_where, where) and not only_ids(where) and not pointed:
        return where        # 'the over-60 group' after 'how many of the over 60s are women?': as named
    if len(old) > 1 and any(n in old for n in new) and not only_ids(where) and not pointed:
        # 'the over 50s' said again after 'how many of them have diabetes?': the group as named,
        # without the model's output or the truth it was narrowed by ('the married ones' keeps 'men')
        named = {c.feature for c in _comparisons(where)}
        kept = [c for c in old if not (isinstance(c, q.Cmp) and (c.feature in _OUTCOME_COLUMNS or c.feature in named))
                and not any(_exclusive(c, n, workspace) for n in new)]
        return q.And(tuple(kept + new)) if kept else where
    swaps = {k: [n for n in new if _exclusive(c, n, workspace)] for k, c in enumerate(old)}
    if not any(swaps.values()):
        return None if pointed else sibling_outcome(old, new, outcome_columns(workspace))
    measured = {f for op in ops for f in _measured(op)}
    parts: list[q.Expr] = []
    for k, c in enumerate(old):
        if swaps[k]:
            parts += [n for n in swaps[k] if n not in parts]
        elif not (isinstance(c, q.Cmp) and c.feature in measured):
            parts.append(c)
    parts += [n for n in new if n not in parts]
    return parts[0] if len(parts) == 1 else q.And(tuple(parts))


def said_again(last_where: q.Expr | None, where: q.Expr) -> bool:
    """'Those women' about women the model flags: every condition of the turn is already one of
    the group's, so it adds nothing (the group is kept, not narrowed by itself again)."""
    return last_where is not None and all(n in q.conjuncts(last_where) for n in q.conjuncts(where))


def sibling_outcome(old: list, new: list, outcome: frozenset[str] = _OUTCOME_COLUMNS) -> q.Expr | None:
    """'How many of them actually reoffended?' then 'and how many did the model call high risk?':
    a group narrowed by the truth (or the model's output), asked about the other one with no word
    pointing at the narrowed rows ("of those"), is a sibling question about the same base group:
    the new outcome condition takes the old one's place. None otherwise."""
    said = [c for n in new for c in _comparisons(n)]
    if not said or len(said) != len(new) or not all(c.feature in outcome for c in said):
        return None
    base = [c for c in old if not (isinstance(c, q.Cmp) and c.feature in outcome)]
    if not base or len(base) == len(old):
        return None
    parts = base + [n for n in new if n not in base]
    return parts[0] if len(parts) == 1 else q.And(tuple(parts))


def contrast_with_the_group(state, where: q.Expr | None, ops: list, workspace) -> q.Expr | None:
    """'What about homeowners?' after 'how many renters does it approve?', 'men?' after 'women
    it flags': a turn whose every condition only swaps one of the group's conditions for one no
    row meets with it (another value of the column, a sibling yes/no column) asks about the same
    group with that swap, so the rest of the group is kept; conditions of the group said again with
    the swap change nothing ('and the men charged with felonies?' after 'women charged with
    felonies it rates low risk'). Only when the turn asks what the last one asked; None when a
    condition is on a new column (a new group)."""
    last = getattr(state, "last_where", None)
    if last is None or where is None:
        return None
    old, new = q.conjuncts(last), q.conjuncts(where)
    if len(old) < 2 or not all(isinstance(c, q.Cmp) for c in new):
        return None
    if tuple(ops) != tuple(getattr(state, "last_ops", ()) or ()):
        return None                      # a new question about the new rows ("going back to the renters, ...")
    swapping = [n for n in new if any(_exclusive(o, n, workspace) for o in old)]
    if not swapping or not all(n in swapping or n in old for n in new):
        return None
    return narrowing_or_replacing(last, q.and_all(swapping), workspace, ops)


def _measured(op) -> set[str]:
    """The columns an operation reports on: a share of the prediction measures the prediction."""
    feature = getattr(op, "feature", None) if isinstance(op, q.Statistic) else None
    return {"prediction": {"prediction"}, "target": {"label"}}.get(feature, {feature} if feature else set())


def _exclusive(a: q.Expr, b: q.Expr, workspace) -> bool:
    """Two conditions no row meets together: on one column, or two sibling yes/no columns
    ('man' and 'woman')."""
    if _same_column_exclusive(a, b, workspace):
        return True
    if not (isinstance(a, q.Cmp) and isinstance(b, q.Cmp)) or a.feature == b.feature:
        return False
    return _exclusive_changes(q.WhatIf(a.feature, "set", a.value), q.WhatIf(b.feature, "set", b.value), workspace) \
        if a.cmp == b.cmp == "==" else False


def only_ids(where: q.Expr | None) -> bool:
    """The selection is rows named by id and nothing else ('applicant 13', '12 or 40')."""
    items = [where] if isinstance(where, q.Cmp) else list(getattr(where, "items", ())) if isinstance(where, q.Or) else []
    return bool(items) and all(isinstance(c, q.Cmp) and c.feature == "id" and c.cmp == "==" for c in items)


def ids_in(where: q.Expr | None) -> list:
    """The row ids a selection names."""
    return [c.value for c in _comparisons(where) if c.feature == "id" and c.cmp == "=="]


def names_new_rows(where: q.Expr | None, state) -> bool:
    """The turn names ids that are not the ones being discussed: a new person, whose question
    does not inherit the last person's what-ifs."""
    ids = [c.value for c in q.conjuncts(where) if isinstance(c, q.Cmp) and c.feature == "id"]
    if where is not None and isinstance(where, q.Or):
        ids += [c.value for c in where.items if isinstance(c, q.Cmp) and c.feature == "id"]
    current = getattr(state, "current_ids", None) or []
    return bool(ids) and not set(ids) <= set(current)


def consistent_changes(whatifs: list[q.WhatIf], where: q.Expr | None, state, workspace) -> list[q.WhatIf]:
    """Two changes no row could have together ('24 months instead of 36', 'her BMI is 48, what if
    it were 30', 'a misdemeanour instead of a felony' on two exclusive flags): the one that is not
    the row's current value stays, else the one said first."""
    row = _one_row(where, state, workspace)
    out: list[q.WhatIf] = []
    for w in whatifs:
        clash = next((o for o in out if _exclusive_changes(o, w, workspace)), None)
        if clash is None:
            out.append(w)
        elif row is not None and _is_current(clash, row) and not _is_current(w, row):
            out[out.index(clash)] = w
    return out


def carried_changes(last: tuple[q.WhatIf, ...], new: list[q.WhatIf], workspace, said: bool = False) -> list[q.WhatIf]:
    """The last turn's changes kept: those the new changes do not overrule. When the carry is
    said ('and a co-applicant as well?' after a guarantor), a change of a sibling column is kept."""
    return [w for w in last if not any(w.feature == n.feature or (not said and _exclusive_changes(w, n, workspace))
                                       for n in new)]


def _exclusive_changes(a: q.WhatIf, b: q.WhatIf, workspace) -> bool:
    if a.action != "set" or b.action != "set":
        return False
    if a.feature == b.feature:
        return a.value != b.value
    data = workspace.data
    flags = all(f in data and workspace.schema.features.get(f) is not None
                and workspace.schema.features[f].kind == "flag" for f in (a.feature, b.feature))
    if not flags or a.value != 1 or b.value != 1:
        return False
    return not bool(((data[a.feature] == 1) & (data[b.feature] == 1)).any())


def _one_row(where: q.Expr | None, state, workspace):
    ids = [c.value for c in q.conjuncts(where) if isinstance(c, q.Cmp) and c.feature == "id" and c.cmp == "=="]
    if not ids and where is None:
        current = getattr(state, "current_ids", None)
        ids = list(current) if current is not None and len(current) == 1 else []
    if len(ids) != 1 or ids[0] not in workspace.data.index:
        return None
    return workspace.data.loc[ids[0]]


def _is_current(w: q.WhatIf, row) -> bool:
    try:
        return w.feature in row.index and row[w.feature] == w.value
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- ranges and class pairs
_RANGE_WORDS = {"to", "-", "through", "thru", "till", "until", "and"}
_LOWER, _UPPER = ("n_gt", "n_ge"), ("n_lt", "n_le")


def range_bounds(g: Grounding, role: dict, bound: dict) -> dict:
    """'2 to 5 priors', 'aged 25-35', 'between 150 and 170': two numbers of one feature joined by
    a range word are a lower and an upper bound, whatever comparison each was read with."""
    numbers = sorted((i for i in role if role[i] in _LOWER + _UPPER), key=lambda i: g.spans[i].start)
    out = dict(role)
    for i, j in zip(numbers, numbers[1:]):
        a, b = g.spans[i], g.spans[j]
        between = g.tokens[a.end:b.start]
        if bound.get(i) is None or bound.get(i) != bound.get(j) or len(between) != 1 \
                or between[0] not in _RANGE_WORDS or a.number is None or b.number is None or a.number >= b.number:
            continue
        if between[0] == "and" and (a.start == 0 or g.tokens[a.start - 1] not in ("between", "from")):
            continue
        same_side = (role[i] in _LOWER) == (role[j] in _LOWER)
        if same_side:
            out[i], out[j] = "n_ge", "n_le"
    return out


_CONTRAST = {"but", "actually", "really", "truly", "fact", "though", "although", "turned", "yet", "while"}


def class_pairs(g: Grounding, pieces: list) -> list:
    """'approved but actually bad risks', 'denied who were in fact good': two different classes
    of the same kind (both the model's, or both the truth) with a contrast word between them are
    the model's class and the true class: the second takes the other kind."""
    out = list(pieces)
    for k in range(1, len(out)):
        a, b = out[k - 1].expr, out[k].expr
        if not (isinstance(a, q.Cmp) and isinstance(b, q.Cmp)) or a.feature != b.feature \
                or a.feature not in ("prediction", "label") or (a.cmp, a.value) == (b.cmp, b.value):
            continue
        between = set(g.tokens[out[k - 1].start:out[k].start])
        if "or" in between or not (between & _CONTRAST):
            continue
        other = "label" if a.feature == "prediction" else "prediction"
        out[k] = type(out[k])(out[k].start, q.Cmp(other, b.cmp, b.value))
    return out


def unclaimed_whatif_amounts(g: Grounding, role: dict) -> dict:
    """'Would cutting the loan by 1000 help?': a number the reader gave no role, in a question
    with a what-if feature that has no amount of its own, is that change's amount: up or down
    when said with "by" (the direction from the change verb, cues.toml [change_verbs]), else the
    value it is set to."""
    spans = g.spans
    changed = [j for j, r in role.items() if r == "f_whatif"]
    amounts = [i for i, r in role.items() if r in ("n_set", "n_inc", "n_dec")]
    loose = [i for i, r in role.items() if spans[i].kind == "number" and r in (None, "none")
             and spans[i].number is not None]
    if len(changed) != 1 or amounts or len(loose) != 1:
        return role
    i = loose[0]
    out = dict(role)
    words = g.tokens
    if spans[i].start and words[spans[i].start - 1] == "by":
        way = _direction(words[:spans[i].start])
        if way is None:
            return role
        out[i] = "n_inc" if way == "up" else "n_dec"
    else:
        out[i] = "n_set"
    return out


def _direction(words: list[str]) -> str | None:
    """'up' or 'down' when the words say which way a change goes (cues.toml [change_verbs]; a
    verb with two letters swapped, 'rasie', still counts), None when they say neither or both."""
    def says(w: str, stems: tuple[str, ...]) -> bool:
        swapped = (w[:k] + w[k + 1] + w[k] + w[k + 2:] for k in range(len(w) - 1)) if len(w) >= 4 else ()
        return w.startswith(stems) or any(x.startswith(t) for x in swapped for t in stems if len(t) >= 4)
    up = any(says(w, _cue_words("change_verbs", "up")) for w in words)
    down = any(says(w, _cue_words("change_verbs", "down")) for w in words)
    return None if up == down else ("up" if up else "down")


def says_everyone(g: Grounding) -> bool:
    """'Which features matter most overall?', 'accuracy for all applicants': the follow-up is about
    everyone, whatever the last turn was about (cues.toml [everyone]; 'how many applicants are
    there in total?': [total]); not when the asker speaks of themselves ('my actual diagnosis in
    the data')."""
    words = g.tokens
    if any(sp.kind == "complement" for sp in g.spans):
        return False            # "and everyone else?": the others of the group, not everyone
    if speaks_of_self(words):
        return False
    if _says_everyone_words(g):
        return True
    if _says(g, "total") and "there" in words and not any(sp.kind == "reference" for sp in g.spans):
        return True             # "how many applicants are there in total?"
    entity_at = {s.start for s in g.spans if s.kind == "entity"}
    return any(k + 1 in entity_at for k, w in enumerate(words) if w in ("all", "every", "each"))


def _says_everyone_words(g: Grounding) -> bool:
    """A phrase of cues.toml [everyone] that is not where a value is recorded: 'in the data'
    after a word of [recorded] ('the actual outcome in the data') names no rows."""
    words, recorded = g.tokens, set(_cue_words("recorded"))
    for phrase in _cue_phrases("everyone"):
        for k in range(len(words) - len(phrase) + 1):
            if tuple(words[k:k + len(phrase)]) == phrase and not (
                    phrase[0] in ("in", "across") and k and words[k - 1] in recorded):
                return True
    return False


def narrows_by_words(g: Grounding, pieces: list, state) -> bool:
    """'Narrow that to the under 25s', 'drill down into the women': a follow-up with conditions
    of its own and a word of narrowing (cues.toml [narrowing]) narrows the group being discussed."""
    ids = getattr(state, "last_ids", None)
    return bool(pieces) and ids is not None and len(ids) > 1 and _says(g, "narrowing")


def unknown_with_known_argument(reading):
    """'Is the model biased against black defendants?': the reader leans to "unknown" (the
    workspace lacks what is asked about) while it reads a column or value of this workspace as
    the operation's argument. The argument it grounded wins: the next-best operation is read."""
    return _unknown_unless(reading, ("f_arg", "v_arg"))


def unknown_with_known_condition(reading):
    """'How many applicants are foreign workers?': the reader leans to "unknown" while every word
    it leans on is this workspace's (the caller has found no word the workspace lacks) and it
    leans to reading a grounded span as a condition: the next-best operation is read."""
    return _unknown_unless(reading, _OWN_CONDITION_ROLES)


_OWN_CONTENT_KINDS = ("feature", "value", "class", "number", "metric")
# operations that name no column: a word the data lacks beside them is not a missing column
_NAME_NO_COLUMN = ("describe_model", "describe_data", "capabilities", "define", "rules", "interactions",
                   "followup", "mistakes", "score")


def unknown_in_place_of_a_feature(reading, g: Grounding, unknown: list[str]):
    """'What about their income?', 'what does her cholesterol say?', 'is his religion a factor?'
    in a talk about data with no such column: the question points back at the person or group (a
    reference), or is short ("what about divorced applicants?"), and names nothing else of this
    workspace (no column, value, class, number or metric) but leans on a word the workspace lacks (`unknown`, found by the caller) where a
    column would stand (after "her", "their", "about" ...). The reader, led by the conversation,
    may read the last operation again or "not for us"; the honest answer says the data lacks it.
    A reading of an operation that names no column keeps its reading."""
    if not unknown or not reading.slots or reading.slots[0].op in ("unknown", "end") + _NAME_NO_COLUMN:
        return reading
    short = sum(t.isalpha() for t in g.tokens) <= 6      # "what about hispanic defendants?"
    if not (g.of_kind("reference") or short) or any(s.kind in _OWN_CONTENT_KINDS for s in g.spans):
        return reading
    before = set(_cue_words("unknown_place", "before"))
    if not any(i and t in unknown and g.tokens[i - 1] in before for i, t in enumerate(g.tokens)):
        return reading
    slot = reading.slots[0]
    slot.op, slot.args = "unknown", {}
    del reading.slots[1:]
    return reading


def _unknown_unless(reading, roles: tuple[str, ...]):
    """An "unknown" reading with a grounded span the reader leans (over 0.5) to one of `roles`
    becomes the next-best operation."""
    if not reading.slots or reading.slots[0].op != "unknown":
        return reading
    if not any(r is not None and r[0] in roles and r[1] > 0.5 for r in reading.roles):
        return reading
    _take_next_operation(reading.slots[0], skip=("end", "outside", "unknown"))
    return reading


def _take_next_operation(slot, skip: tuple[str, ...]) -> None:
    """The slot becomes the best other operation the reader considered, none of `skip` (kept
    as it is when there is none)."""
    nxt = next(((op, p) for op, p in slot.alternatives if op not in skip), None)
    if nxt is not None:
        slot.op, slot.p, slot.args = nxt[0], nxt[1], {}


def _sole_op(reading) -> str | None:
    """The operation of a reading that asks exactly one."""
    ops = [s.op for s in reading.slots if s.op != "end"]
    return ops[0] if len(ops) == 1 else None


def group_only_follow_up(reading, state, g: Grounding | None = None):
    """'How does that compare with applicants 50 and older?', 'now the under-25s, same
    question': a follow-up that names rows (a condition or a row the reader is sure of) and no
    operation the reader is sure of (it leans, below 0.5, to "unknown" or "not for us"), or that
    says it asks the same again (cues.toml [same_question]), asks the last turn's operation again
    on those rows."""
    if not reading.slots or not getattr(state, "last_ops", None):
        return reading
    slot = reading.slots[0]
    same = g is not None and (_says(g, "same_question") or names_rows_only(g))
    unsure = slot.op in ("unknown", "outside") and slot.p < 0.5
    if not (same or unsure) or (not same and any(s.op != "end" for s in reading.slots[1:])):
        return reading
    if not any(r is not None and r[0] in _OWN_CONDITION_ROLES and r[1] > 0.5 for r in reading.roles):
        return reading
    # the reader's odds that it asks something at all
    odds = {slot.op: slot.p, **dict(slot.alternatives)}
    slot.p = 1.0 - sum(p for op, p in odds.items() if op in ("unknown", "outside"))
    slot.op, slot.args = "repeat", {}
    reading.slots = [slot] + [s for s in reading.slots[1:] if s.op == "end"]
    return reading


_ROWLESS = (q.Capabilities, q.Define, q.DescribeModel)


def reads_no_rows(ops: list) -> bool:
    """'What else can you do?', 'what does duration mean?', 'what kind of model is it?': questions
    answered without reading any rows take no selection, whatever the conversation was about."""
    return bool(ops) and all(isinstance(o, _ROWLESS) for o in ops)


def importance_of_one_row(steps: list[q.Step]) -> list[q.Step]:
    """'Which features pushed her prediction the most?', 'her top 3 factors': the features that
    matter for one person are why the model decided as it did for them (explain); importance
    weighs features over many rows. A feature named ('does it rely on his age?') stays asked, and
    so does a number of them ('which single feature mattered most for her?': the top one of her
    own attributions)."""
    out: list[q.Step] = []
    for step in steps:
        if isinstance(step, q.Importance) and step.feature is None and step.top is None:
            step = q.Explain()
        if step not in out:
            out.append(step)
    return out


def names_rows_only(g: Grounding) -> bool:
    """'And applicant 141?', 'among them, the ones aged 40 or older?': every word outside the
    grounded spans is one that says nothing of its own (cues.toml [bare_follow_up]), and a span
    names rows (a number, a value, a feature with its number); the turn asks nothing new."""
    if not any(sp.kind in ("number", "value") for sp in g.spans):
        return False
    if any(sp.kind in ("metric", "method", "class", "model", "truth") for sp in g.spans):
        return False
    covered = {i for sp in g.spans for i in range(sp.start, sp.end)}
    bare = set(_cue_words("bare_follow_up"))
    return all(k in covered or not t.isalnum() or t in bare for k, t in enumerate(g.tokens))


def rows_asked_by_which(reading, g: Grounding):
    """'Of those, which are women?', 'which of them asked for more than 5000?': a question that
    asks which rows (cues.toml [which_rows]: "which" or "who" before "of", "ones", a verb or a word
    for people), read as a count, a statistic or the last question again, lists the rows (show)."""
    if _sole_op(reading) not in ("count", "statistic", "repeat"):
        return reading
    cue = _cue_words("which_rows")
    after = set(_cue_words("which_rows", "next"))
    people = {sp.start for sp in g.spans if sp.kind in ("entity", "reference", "value")}
    openers = set(_cue_words("which_rows", "openers"))
    words = g.tokens

    def opens(k: int) -> bool:       # a question's first word, not a relative clause ('applicants who own')
        return k == 0 or not words[k - 1].isalnum() or words[k - 1] in openers

    if not any(w in cue and opens(k) and k + 1 < len(words) and (words[k + 1] in after or k + 1 in people)
               for k, w in enumerate(words)):
        return reading
    slot = reading.slots[0]
    slot.op, slot.args = "show", {}
    return reading


def count_said_as_an_average(reading, g: Grounding, schema):
    """'How many pregnancies on average do the diabetic ones have?': a count of one question,
    said with a word of an average (cues.toml [average]) about a numeric column the reader read
    as an argument, is that column's statistics; a count takes no column, so it would be lost."""
    if _sole_op(reading) != "count" or not _says(g, "average"):
        return reading
    numeric = [sp.features[0] for sp, r in zip(g.spans, reading.roles) if r is not None and r[0] == "f_arg"
               and sp.features and sp.features[0] in schema.features
               and schema.features[sp.features[0]].kind == "numeric"]
    if len(numeric) != 1:
        return reading
    slot = reading.slots[0]
    slot.op, slot.args = "statistic", {}
    return reading


def fairness_of_rows_without_groups(reading, g: Grounding):
    """'Compare defendants 4, 5 and 10': a fairness check compares groups; a question that names
    only rows by id (no column, value or class that could make the groups) and says no fairness
    word (cues.toml [fairness]) is not one: the reader's next operation is taken."""
    if _sole_op(reading) != "bias" or _says(g, "fairness"):
        return reading
    roles = [r[0] for r in reading.roles if r is not None]
    if not roles or any(r != "n_id" for r in roles) or any(sp.kind in ("feature", "value", "class") for sp in g.spans):
        return reading
    _take_next_operation(reading.slots[0], skip=("bias", "end", "unknown"))
    return reading


def unread_change_clause(g: Grounding, query: q.Query) -> str | None:
    """'Would applicant 5 be approved if she earned more?' on data with no income: an "if" clause
    that says a change (cues.toml [change_clause]) but names nothing of this workspace, in a query
    with no what-if, is returned so that it is said to be unread instead of silently dropped."""
    if any(isinstance(s, q.WhatIf) for s in query.steps):
        return None
    return change_clause_naming_nothing(g)


def change_clause_naming_nothing(g: Grounding) -> str | None:
    """The first "if" clause that says a change (cues.toml [change_clause]) but names nothing of
    this workspace ('if she earned more' on german), or None."""
    words = g.tokens
    change = set(_cue_words("change_clause"))
    for k, end in _if_clauses(words):
        inside = [sp for sp in g.spans if k < sp.start < end]
        if end - k < 3 or any(sp.kind not in ("entity", "reference") for sp in inside):
            continue
        if change & set(words[k + 1:end]):
            return " ".join(words[k:end])
    return None


def _if_clauses(words: list[str]):
    """(start, end) of each "if" clause said about the data, up to its punctuation; not those
    said to the model ("if you were to explain ...", "if it were possible")."""
    for k, w in enumerate(words):
        if w != "if" or k + 1 >= len(words):
            continue
        if words[k + 1] in ("you", "u", "it", "possible", "any", "so", "not", "anything"):
            continue
        end = next((j for j in range(k + 1, len(words)) if not (words[j].isalnum() or "'" in words[j])), len(words))
        yield k, end


_CHANGE_ROLES = ("n_set", "n_inc", "n_dec", "f_whatif", "v_whatif", "v_whatif_ne")


def if_clause_changes(g: Grounding, role: dict, schema) -> dict:
    """'If I have a guarantor, would it change?': a value, or a yes/no column, said inside an
    "if" clause in which the reader read no change and gave it no role, is the change the
    clause asks about (set to that value), never silently dropped."""
    role = dict(role)
    for k, end in _if_clauses(g.tokens):
        inside = [i for i, sp in enumerate(g.spans) if k < sp.start < end]
        if any(role.get(i) in _CHANGE_ROLES for i in inside):
            continue
        for i in inside:
            sp = g.spans[i]
            if role.get(i) not in (None, "none"):
                continue
            if sp.kind == "value" and sp.values:
                role[i] = "v_whatif"
            elif sp.kind == "feature" and sp.features and sp.features[0] in schema.features \
                    and schema.features[sp.features[0]].kind == "flag":
                role[i] = "f_whatif"
    return role


@lru_cache(maxsize=None)
def _cue_words(section: str, key: str = "words") -> tuple[str, ...]:
    """One closed word list of prompts/cues.toml (empty when the section is missing)."""
    from talk2model.parser.grounding import cues

    return tuple(cues().get(section, {}).get(key, ()))


@lru_cache(maxsize=None)
def _cue_phrases(section: str) -> tuple[tuple[str, ...], ...]:
    """A cue list as token tuples, tokenized once."""
    from talk2model.parser.normalize import tokenize

    return tuple(tuple(tokenize(w)) for w in _cue_words(section))


def crossed_with_last(state, features: list[str], extra: dict) -> list[str]:
    """'Cross that with sex as well' after a fairness check on age: the last check's attribute
    (with its cut points and metric, unless new ones are said) crossed with the one named now."""
    last = next((s for s in getattr(state, "last_steps", ()) if isinstance(s, q.Bias)), None)
    if last is None or last.attribute in features:
        return features
    if extra.get("bands") is None and last.bands:
        extra["bands"] = last.bands
    if extra.get("metric") is None and last.metric:
        extra["metric"] = last.metric
    return [last.attribute] + [f for f in (*(last.attributes or ()), *features) if f != last.attribute]


def same_breakdown(state, feature: str, extra: dict) -> None:
    """'And the true positive rate for that age breakdown?': a fairness check on the attribute the
    last check cut into bands, with no cut points of its own, keeps the last check's cut points."""
    last = next((s for s in getattr(state, "last_steps", ()) if isinstance(s, q.Bias)), None)
    if last is not None and last.attribute == feature and last.bands and extra.get("bands") is None:
        extra["bands"] = last.bands


def numbers_only_ids(g: Grounding, role: dict, workspace) -> dict:
    """'What if 7689 had 2 priors instead of 8?': a whole number the reader gave no role, that no
    numeric column can hold but that is a row of the data, can only be that row's id."""
    role = dict(role)
    index = workspace.data.index
    for i, sp in enumerate(g.spans):
        if sp.kind != "number" or role.get(i) not in (None, "none") or sp.unit or sp.decade or sp.plural:
            continue
        n = _whole(sp)
        if n is not None and n >= 10 and n in index and not features_holding(workspace, n):
            role[i] = "n_id"
    return role


def _runner_up(dist: dict[str, float], role: str) -> str | None:
    """The role the reader put next after `role`."""
    return max((r for r in dist if r != role), key=dist.get, default=None)


def change_said_without_a_hypothesis(g: Grounding, reading, role: dict, below: float = 0.5) -> dict:
    """'How many loans are for a new car?' then 'and used car?': a value the reader was unsure
    (below 0.5) to read as a what-if change, in a question with no word of a hypothesis ("if",
    "were", "instead", "suppose": cues.toml [hypothesis]), takes the role it put second when that
    role is a condition or an argument: nothing was said to be changed."""
    if _says(g, "hypothesis") or _says(g, "carry"):      # "and a co-applicant as well?" adds a change
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        dist = reading.role_probs[i] if i < len(reading.role_probs) else None
        if sp.kind != "value" or not dist or role.get(i) != "v_whatif" or dist["v_whatif"] >= below:
            continue
        second = _runner_up(dist, "v_whatif")
        if second is not None and second.startswith("v_"):
            role[i] = second
    return role


def change_added_with_a_carry_word(g: Grounding, reading, role: dict, state, below: float = 0.7) -> dict:
    """'What if they had a guarantor?' then 'and a co-applicant as well?': right after a turn
    with what-ifs, a value the reader was unsure (below 0.7) to read as a condition, in a
    question that says a carry word (cues.toml [carry]), is one more change when the reader's
    next role for it is a change."""
    if not getattr(state, "last_whatifs", None) or not _says(g, "carry"):
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        dist = reading.role_probs[i] if i < len(reading.role_probs) else None
        if sp.kind != "value" or not dist or role.get(i) not in ("v_eq", "v_ne") or dist[role[i]] >= below:
            continue
        second = _runner_up(dist, role[i])
        if second in ("v_whatif", "v_whatif_ne"):
            role[i] = second
    return role


def group_of_a_fairness_check(g: Grounding, reading, role: dict, schema) -> dict:
    """'Is it fair across age for the felons?': in a fairness check whose attribute is named (a
    protected column or its value), a value of a column that is not protected, read as another
    attribute, is the group the check runs on (a condition), unless the reader reads the
    attributes as crossed. Only protected attributes are checked, so it would be dropped."""
    slot = next((s for s in reading.slots if s.op == "bias"), None)
    if slot is None or slot.args.get("bias_cross", ("separate",))[0] == "crossed":
        return role
    columns = {i: (g.spans[i].features[0] if role[i] == "f_arg" else pick_value(schema, g, i)[0])
               for i in role if role[i] in ("f_arg", "v_arg") and (g.spans[i].features or g.spans[i].values)}
    if not any(c in schema.sensitive for c in columns.values()):
        return role
    role = dict(role)
    for i, column in columns.items():
        if role[i] == "v_arg" and column not in schema.sensitive:
            role[i] = "v_eq"
    return role


def attribute_named_after_a_fairness_check(g: Grounding, reading, role: dict, state, workspace) -> dict:
    """'What about women?' after 'is the model biased against black defendants?': a follow-up
    whose one operation is the fairness check and which names only values of another protected
    column asks the same check across that column (read as a group, the old check would run on
    the women). A value of the column checked last ('and for white defendants?') is not another
    attribute, and neither is one said with a word pointing back ('those women')."""
    schema = workspace.schema
    last = next((s for s in getattr(state, "last_steps", ()) if isinstance(s, q.Bias)), None)
    if last is None or [s.op for s in reading.slots] != ["bias"]:
        return role
    checked = [last.attribute, *(last.attributes or ())]
    values = [i for i, sp in enumerate(g.spans) if sp.kind == "value" and sp.values]
    others = [sp for sp in g.spans if sp.kind not in ("value", "entity")]
    if not values or others or any(role.get(i) not in ("v_eq", "v_ne") for i in values):
        return role
    columns = {i: pick_value(schema, g, i)[0] for i in values}
    if not all(c in schema.sensitive and c not in checked and not any(_sibling_flags(k, c, workspace) for k in checked)
               for c in columns.values()):
        return role
    return {**role, **{i: "v_arg" for i in values}}


_FEATURE_TAKERS = ("define", "dependence")


def argument_left_as_a_condition(g: Grounding, reading, role: dict, schema) -> dict:
    """'How many pregnancies on average do the patients who have diabetes have?', 'what counts as
    a misdemeaner?': an operation that is about one column (a statistic of a column, a definition,
    a dependence) was read with no column as its argument, while a column said with no number to
    compare it with (or a value, for a definition) was read as a condition it cannot make. That
    column is the operation's argument."""
    ops = [s for s in reading.slots if s.op in _FEATURE_TAKERS
           or s.op == "statistic" and s.args.get("statistic", ("feature",))[0] == "feature"]
    if not ops or any(r in ("f_arg", "v_arg") for r in role.values()):
        return role
    if any(r in _FILTER_CMP_ROLES + ("n_ne", "n_decade") for r in role.values()):
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if role.get(i) == "f_filter" and sp.features and \
                getattr(schema.features.get(sp.features[0]), "kind", None) == "numeric":
            role[i] = "f_arg"
        elif role.get(i) == "v_eq" and all(s.op == "define" for s in ops):
            role[i] = "v_arg"
    return role


# operations that take a column or a value as their argument (the rest take none)
_ARGUMENT_TAKERS = frozenset(FEATURE_OPS) | {"repeat", "embedding", "concepts", "outside", "unknown"}


def argument_no_operation_takes(g: Grounding, reading, role: dict) -> dict:
    """'What about education loans?' after the accuracy on new-car loans: a value read as an
    operation's argument when no operation asked takes one (a score, a count, mistakes, a
    prediction) would be dropped unsaid; a value is a condition of the selection."""
    if not reading.slots or any(s.op in _ARGUMENT_TAKERS for s in reading.slots):
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if role.get(i) in ("f_arg", "v_arg") and sp.values:
            role[i] = "v_eq"
    return role


def value_describing_people(g: Grounding, reading, role: dict) -> dict:
    """'Accuracy on the foreign ones?', 'the divorced applicants', 'non-black women': a value said
    right before a word for people (or a value of them the reader used) describes those people;
    given no role it would be dropped, so it is a
    condition of the selection. Not in a fairness check, nor when another span of the same
    column has a role: 'black and non-black defendants' name the groups compared."""
    if any(s.op == "bias" for s in reading.slots):
        return role
    # a word for people, or a value describing them the reader used ('non-black *women*')
    starts = {sp.start for k, sp in enumerate(g.spans)
              if sp.kind == "entity" or (sp.kind == "value" and role.get(k) in ("v_eq", "v_ne"))}
    used = {f for k, sp in enumerate(g.spans) if role.get(k) not in (None, "none")
            for f in set(sp.features) | {v[0] for v in sp.values}}
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind == "value" and sp.values and role.get(i) == "none" and sp.end in starts \
                and not used.intersection(v[0] for v in sp.values):
            role[i] = "v_eq"
    return role


def pointing_at_the_group(g: Grounding, role: dict, state) -> dict:
    """'Are the same people mostly men?', 'show me those women', 'for the same group': a word
    that points (cues.toml [pointing]) right before a word for people, or a value describing them,
    is the person or group being discussed, when there is one; the reader may leave it unused
    ('the same' also says 'is it the same for men and women?')."""
    if state is None or not getattr(state, "current_ids", None):
        return role
    pointing = set(_cue_phrases("pointing"))
    starts = {sp.start: sp for sp in g.spans}
    role = dict(role)
    for i, sp in enumerate(g.spans):
        words = tuple(g.tokens[sp.start:sp.end])
        if sp.kind != "reference" or role.get(i) not in (None, "none"):
            continue
        said = next((p for p in pointing if words[:len(p)] == p), None)
        if said is None:
            continue
        after = starts.get(sp.end)
        people = len(words) > len(said) or (after is not None and after.kind in ("entity", "value")) or \
            (sp.end < len(g.tokens) and g.tokens[sp.end] in ("group", "ones", "lot", "bunch", "crowd"))
        if people:
            role[i] = "r_prev"
    return role


_NOT = frozenset({"not", "never"})


def negation_before_a_value(g: Grounding, role: dict) -> dict:
    """'Applicants who don't have 200 or more in savings', 'non-white men': a value read as equal,
    with "not", "never", "without" or "non" in the two words before it (and no other span between),
    is not that value; 'women the model does not
    flag as likely to reoffend': a class read as the model's, with "not" or "never" in the three
    words before it and no other span between, is the model's other class."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        before = [k for k in range(max(0, sp.start - 2), sp.start) if g.tokens[k] in _NOT | {"without", "non"}]
        if sp.kind == "value" and role.get(i) == "v_eq" and before and \
                not any(before[-1] < o.start < sp.start for o in g.spans):     # 'non-white *men*': not men
            role[i] = "v_ne"
        elif sp.kind == "class" and role.get(i) == "c_pred":
            at = max(0, sp.start - 3)
            negated = [k for k in range(at, sp.start) if g.tokens[k] in _NOT]
            if negated and not any(negated[-1] < o.start < sp.start for o in g.spans if o.kind != "model"):
                role[i] = "c_pred_not"
    return role


def negation_not_said(g: Grounding, reading, role: dict, below: float = 0.8) -> dict:
    """'Only for skilled workers': a value the reader read, unsure, as *not* that value, with no
    word of "not" (cues.toml [negation]) in the four words before it, is that value."""
    words = set(_cue_words("negation"))
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind != "value" or role.get(i) != "v_ne" or reading.roles[i] is None or reading.roles[i][1] >= below:
            continue
        if not words.intersection(g.tokens[max(0, sp.start - 4):sp.end]):
            role[i] = "v_eq"
    return role


def unsure_dropped_values(g: Grounding, reading, role: dict, schema=None, below: float = 0.7) -> dict:
    """'and men?', 'just for people borrowing for a car': a value of the workspace the reader
    was unsure to give no role (below 0.7) takes the role it put second when that role uses it (a
    condition, a change, an argument); so does a yes/no column it leant to read as a condition
    ("people who never missed one"), and a count said with a zero word ("never been pregnant").
    What is said is used, not dropped silently; but a value said after "instead of" is the row's
    own, never a condition that would replace the person talked about."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        dist = reading.role_probs[i] if i < len(reading.role_probs) else None
        if sp.kind not in ("value", "feature") or not dist or role.get(i) != "none" or dist["none"] >= below:
            continue
        second = _runner_up(dist, "none")
        spec = schema.features.get(sp.features[0]) if schema is not None and sp.kind == "feature" and sp.features \
            else None
        # "who never missed one"; a count said with a zero word: "have never been pregnant"
        condition = spec is not None and (spec.kind == "flag" or (
            counted_none(spec) and ZERO_WORDS.intersection(g.tokens[max(0, sp.start - 3):sp.start])))
        if second in ("v_eq", "v_ne") and _contrasted(g.tokens, sp.start):
            continue            # "a misdemeanor instead of a felony": the row's value, said to contrast
        if second is not None and (second.startswith("v_") or (second == "f_filter" and condition)):
            role[i] = second
    return role


_FILTER_HINTS = ("gt", "ge", "lt", "le")


def comparison_left_unused(g: Grounding, reading, role: dict, below: float = 0.7) -> dict:
    """'Loans longer than 24 months': a number said with a word of comparison that the reader was
    unsure to give no role (below 0.7), in a question with a column read as a condition and no
    other number compared, is that comparison; the condition would otherwise lack its value."""
    if not any(r == "f_filter" for r in role.values()):
        return role
    if any(role.get(k) in _FILTER_CMP_ROLES for k, sp in enumerate(g.spans) if sp.kind == "number"):
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        dist = reading.role_probs[i] if i < len(reading.role_probs) else None
        if sp.kind == "number" and sp.hint in _FILTER_HINTS and role.get(i) == "none" and dist \
                and dist["none"] < below:
            role[i] = "n_" + sp.hint
            break
    return role


def _contrasted(tokens: list[str], at: int) -> bool:
    """A value said after 'instead of' or 'rather than' (an article between may be)."""
    before = tokens[max(0, at - 3):at]
    return any(a == "instead" and b == "of" or a == "rather" and b == "than" for a, b in zip(before, before[1:]))


def changed_by_an_amount(g: Grounding, reading, role: dict) -> dict:
    """'Also rasie her bmi by 5', 'if she lost 8 points of BMI': a what-if number right after "by",
    or right after a verb of change, is an amount of change, never a new value; it goes up or down
    as the words say (whatever way the reader leant), else as the reader leant."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind != "number" or role.get(i) not in ("n_set", "n_inc", "n_dec") or sp.start == 0:
            continue
        if g.tokens[sp.start - 1] != "by" and _direction(g.tokens[sp.start - 1:sp.start]) is None:
            continue
        dist = reading.role_probs[i] if i < len(reading.role_probs) else None
        way = sp.hint if sp.hint in ("up", "down") else _direction(g.tokens[:sp.start])
        if way is not None:
            role[i] = "n_inc" if way == "up" else "n_dec"
        elif dist and role[i] == "n_set":
            role[i] = max(("n_inc", "n_dec"), key=lambda r: dist.get(r, 0.0))
    return role


_SET_WORDS = frozenset({"were", "was", "be", "is", "to", "at", "became", "become", "equal", "equals"})
_AGE_WAYS = {"older": "up", "younger": "down"}


_SAID_BEFORE_A_FEATURE = frozenset({"by", "than", "least", "most", "over", "under", "above", "below", "beyond",
                                    "exceeding", "exceeds", "between", "from"})


def _value_of_the_feature_before(g: Grounding, sp: Span) -> bool:
    """'BMI 32', 'glucose 110 instead': a number right after a feature's name, which no verb of
    change or "by" comes before ('raise glucose 20' is an amount)."""
    f = next((x for x in g.spans if x.kind == "feature" and x.end == sp.start), None)
    if f is None or sp.hint is not None:
        return False
    before = g.tokens[f.start - 1:f.start]
    return not before or (before[0] not in _SAID_BEFORE_A_FEATURE and _direction(before) is None)


def value_said_after_the_feature(g: Grounding, role: dict) -> dict:
    """'How many women like me, age 23?', 'patients with BMI 30': a number right after a feature's
    name, with no word of comparison around it, is the feature's value (==), not a bound; 'aged
    21 to 30' is a range."""
    role = dict(role)
    words = g.tokens
    for i, sp in enumerate(g.spans):
        if sp.kind != "number" or role.get(i) not in ("n_gt", "n_ge", "n_lt", "n_le"):
            continue
        ranged = sp.end + 1 < len(words) and words[sp.end] in _RANGE_WORDS and _NUMERIC.fullmatch(words[sp.end + 1])
        if not ranged and _value_of_the_feature_before(g, sp):
            role[i] = "n_eq"
    return role


def direction_after_amount(g: Grounding, role: dict) -> dict:
    """'5 years older', '2000 less': a comparative right after a what-if amount (a unit between
    may be) says which way it goes; 'were 30' with none after it is a new value, and so is
    'BMI 32' (the number said right after the feature's name)."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind != "number" or role.get(i) not in ("n_set", "n_inc", "n_dec"):
            continue
        after = [w for w in g.tokens[sp.end:sp.end + 3] if w not in _UNIT_WORDS][:1]
        way = _AGE_WAYS.get(after[0]) if after else None
        way = way or (_direction(after) if after and after[0] not in ("to", "by") else None)
        if way is not None:
            role[i] = "n_inc" if way == "up" else "n_dec"
        elif role[i] != "n_set" and sp.start > 0 and (g.tokens[sp.start - 1] in _SET_WORDS
                                                      or _value_of_the_feature_before(g, sp)) \
                and not (after and after[0].endswith("er")):      # an unknown comparative: the reader's way
            role[i] = "n_set"
    return role


def absent_ids_of_the_person(g: Grounding, role: dict, workspace, state) -> dict:
    """'She asked for a lot, 11560. If she asked for 5000 ...' about one person: a number read as
    an id that is no row of the data, that a column can hold, in a question referring to the
    person being discussed, is a value said about her, not another person."""
    if state is None or getattr(state, "current_size", None) != 1:
        return role
    if not any(sp.kind == "reference" for sp in g.spans):
        return role
    role = dict(role)
    index = workspace.data.index
    for i, sp in enumerate(g.spans):
        if role.get(i) == "n_id" and _whole(sp) is not None and _whole(sp) not in index \
                and features_holding(workspace, sp.number):
            role[i] = "none"
    return role


def new_group_after_one_person(where: q.Expr | None, state) -> bool:
    """'Show me women under 25 who asked for more than 10000, like her' about one person: a
    group described by two or more conditions of its own is new rows to look at, not a filter on
    the one person being discussed."""
    if getattr(state, "current_size", None) != 1 or where is None:
        return False
    parts = q.conjuncts(where)
    return len(parts) >= 2 and not any(isinstance(c, q.Cmp) and c.feature == "id" for c in parts)


_FILTER_CMP_ROLES = ("n_gt", "n_ge", "n_lt", "n_le", "n_eq")


_WINDOW_WORDS = ("within", "inside", "next", "following", "after")


def time_window(g: Grounding, role: dict) -> dict:
    """'Re-offended within two years': a length of time said after "within" (or "in the next",
    "after") with no column named right after it is the window an outcome is counted in, part of
    the outcome's meaning, not a condition on a column."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind != "number" or sp.unit not in ("year", "month", "week", "day") or sp.start == 0:
            continue
        if g.tokens[sp.start - 1] not in _WINDOW_WORDS or role.get(i) in (None, "none", "n_id"):
            continue
        named_after = any(o.kind == "feature" and 0 <= o.start - sp.end <= 2 for o in g.spans)
        if not named_after and role.get(i) not in ("n_set", "n_inc", "n_dec", "n_band"):
            role[i] = "none"
    return role


def band_list(g: Grounding, role: dict) -> dict:
    """'Fair across age groups under 25, 25 to 60 and over 60?': once one number is a cut point of
    a fairness check, the numbers the reader left without a role are the list's other cut points."""
    if not any(r == "n_band" for r in role.values()):
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind == "number" and role.get(i) in (None, "none") and sp.number is not None:
            role[i] = "n_band"
    return role


def said_bounds(g: Grounding, role: dict) -> dict:
    """'Defendants 21 or younger', 'at least 5 priors': a threshold whose words say it includes
    its number (cues.toml [comparisons] before_ge/le, after_ge/le) is `>=` or `<=`, whatever
    comparison the reader put on it; 'applicants 50 and older' is never a row id; a threshold whose
    words say above or below ('younger than 35') is never read the other way round."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind == "number" and sp.hint in ("ge", "le") and role.get(i) in _FILTER_CMP_ROLES + ("n_id",):
            role[i] = "n_" + sp.hint
        elif sp.kind == "number" and role.get(i) in _OTHER_WAY.get(sp.hint, ()):
            role[i] = "n_" + sp.hint      # 'younger than 35' is never "over 35", however unsure the reader
    return role


_OTHER_WAY = {"gt": ("n_lt", "n_le"), "lt": ("n_gt", "n_ge")}


def compared_with_last(g: Grounding, ops: list, state) -> list:
    """'Is it more important than housing?' after 'how important is job level?': a comparison
    ("than") of one feature's importance with the feature the last turn asked about, named by a
    reference or left unsaid ('more than loan duration?'), asks both, the last one first (query
    language rule 14)."""
    if len(ops) != 1 or not isinstance(ops[0], q.Importance) or ops[0].feature is None or "than" not in g.tokens:
        return ops
    last = [s for s in getattr(state, "last_ops", ()) or () if isinstance(s, q.Importance) and s.feature]
    than = g.tokens.index("than")
    subject = [sp for sp in g.spans if sp.start < than and sp.kind in ("reference", "feature")]
    if not last or last[-1].feature == ops[0].feature or any(sp.kind == "feature" for sp in subject):
        return ops
    return [last[-1], ops[0]]


def person_gone_back_to(g: Grounding, where: q.Expr | None, state) -> q.Expr | None:
    """'Back to my client: what if she had 2 fewer priors?' after turns about a group: words that
    return (cues.toml [back]) with a word that can only mean one person ([one_person]), and no rows
    of its own, are the last person the talk was about."""
    if where is not None or not says_back(g) or len(getattr(state, "current_ids", None) or ()) == 1:
        return None
    one = set(_cue_phrases("one_person"))
    if not any(sp.kind == "reference" and tuple(g.tokens[sp.start:sp.end]) in one for sp in g.spans):
        return None
    return next((w for w in reversed(getattr(state, "past_wheres", ()) or ()) if only_ids(w) and len(ids_in(w)) == 1),
                None)


def group_gone_back_to(g: Grounding, where: q.Expr | None, state) -> q.Expr | None:
    """'Going back to the renters, how accurate is it on them?': a group said with words that
    return to it (cues.toml [back]) is the earlier group that holds its conditions, as it was
    named (the one with the fewest conditions, the latest of those); None when nothing was
    said or no earlier group holds them."""
    if where is None or not says_back(g):
        return None
    said = q.conjuncts(where)
    earlier = [w for w in getattr(state, "past_wheres", ()) or () if all(c in q.conjuncts(w) for c in said)]
    if not earlier:
        return None
    return min(reversed(earlier), key=lambda w: len(q.conjuncts(w)))


_CHANGE_WORDS = frozenset({"different", "differently", "differ", "change", "changed", "changes", "flip", "flipped",
                           "flips", "otherwise", "same"})


def flip_test(g: Grounding, whatifs: list, ops: list, one_row: bool, schema) -> list | None:
    """'Would his prediction be any different if he weren't black?', 'would her decision change if
    she were a man?': on one person, a question whether the outcome changes when only a sensitive
    attribute does is the individual fairness test (query language rule 15), not a plain what-if.
    The steps that replace the what-if and the prediction, or None."""
    if not one_row or len(whatifs) != 1 or [type(o) for o in ops] != [q.Predict]:
        return None
    feature = whatifs[0].feature
    spec = schema.features.get(feature)
    if feature not in getattr(schema, "sensitive", ()) or spec is None or spec.kind == "numeric" \
            or not _CHANGE_WORDS.intersection(g.tokens):
        return None                      # "would it change if I was 35?" sets an age: a what-if
    return [q.Bias(attribute=feature)]


def flip_or_change(g: Grounding, whatifs: list, ops: list) -> tuple[list, list]:
    """A fairness check and a what-if on the same attribute in one question: with words asking
    whether the outcome changes it is the flip test (the check flips the attribute itself); with
    none ('what if he were white?') it is the what-if, predicted."""
    biased = {o.attribute for o in ops if isinstance(o, q.Bias) and not o.attributes}
    same = [w for w in whatifs if w.feature in biased]
    if not same or len(ops) != 1:
        return whatifs, ops
    if _CHANGE_WORDS.intersection(g.tokens):
        return [w for w in whatifs if w not in same], ops
    return whatifs, [q.Predict()]


def says_back(g: Grounding) -> bool:
    """'Back to 512 ...', 'forget the what-ifs': the turn returns to what was, without the last
    changes (cues.toml [back])."""
    return _says(g, "back")


def says_as_is(g: Grounding) -> bool:
    """'Under which conditions is his *current* prediction guaranteed?' after a what-if: the person
    as they are, so the reader's lean to keep the last what-ifs is not followed (cues.toml [as_is])."""
    return _says(g, "as_is")


def says_fairness(g: Grounding) -> bool:
    """'Is the model biased against foreigners?': the words ask whether the model is fair
    (cues.toml [fairness])."""
    return _says(g, "fairness")


def says_also(g: Grounding) -> bool:
    """'What if I also shortened the term?': the words keep the last what-ifs (cues.toml [carry])."""
    return _says(g, "carry")


def says_same_question(g: Grounding) -> bool:
    """'Same question for applicant 531' after 'what if he had a co-applicant?': the question asked
    again is the whole of it, the what-if included (cues.toml [same_question])."""
    return _says(g, "same_question")


def _says(g: Grounding, section: str) -> bool:
    """The question holds one of the phrases of a cues.toml list."""
    words = g.tokens
    return any(tuple(words[k:k + len(p)]) == p for p in _cue_phrases(section) for k in range(len(words) - len(p) + 1))


def _whole(span: Span) -> int | None:
    """A number span's value when it is a whole number (what a row id can be)."""
    n = span.number
    return int(n) if n is not None and float(n).is_integer() else None


def named_rows(g: Grounding, role: dict, workspace) -> dict:
    """'ok now applicant 1 - why was she denied?': a whole number right after the workspace's
    word for one row ('applicant', 'patient', 'defendant', 'row', 'id', '#') that is a row of
    the data names that row, whatever else the reader made of it; so does one joined by 'and',
    'or' or a comma to a row named just before it ('applicants 306 and 1')."""
    role = dict(role)
    index = workspace.data.index
    singular = {w.lower() for w in (workspace.schema.entity, "row", "id", "record", "case", "number", "no", "#")}
    for i, sp in enumerate(g.spans):
        if sp.kind != "number" or role.get(i) == "n_id" or sp.unit or sp.plural or sp.start == 0:
            continue
        if _whole(sp) is None or _whole(sp) not in index:
            continue
        before = g.tokens[sp.start - 1]
        listed = i > 0 and role.get(i - 1) == "n_id" and g.spans[i - 1].end == sp.start - 1 \
            and before in ("and", "or", ",", "&")
        if (before in singular or listed) and role.get(i) in (None, "none"):
            role[i] = "n_id"
    return role


def the_person_by_number(g: Grounding, role: dict, state) -> dict:
    """'What if 621's insulin were 150?', 'if 45 were ten years older?' while talking about row
    621 or 45: the number that is the id of the one row being discussed, said beside another
    number, names that row; the other number is the change."""
    current = getattr(state, "current_ids", None) or []
    if len(current) != 1:
        return role
    numbers = [i for i, sp in enumerate(g.spans) if sp.kind == "number"]
    if len(numbers) < 2:
        return role
    role = dict(role)
    for i in numbers:
        sp = g.spans[i]
        if _whole(sp) == current[0] and not sp.unit and not sp.decade and role.get(i) in (None, "none", "n_set", "n_inc", "n_dec"):
            role[i] = "n_id"
    return role


def another_value_of_the_change(g: Grounding, role: dict, state, schema) -> dict:
    """'What if applicant 10 were 30?' then 'and 45?' or 'what about 60?': a follow-up that says only
    a number, while the last turn changed one numeric column of the one row discussed, gives that
    change another value when the column's range holds it (not row 45)."""
    i = _only_a_number_for_the_change(g, state, schema)
    if i is None or role.get(i) not in (None, "none", "n_id"):
        return role
    return {**role, i: "n_set"}


def new_value_for_the_person(g: Grounding, role: dict, state, schema) -> bool:
    """The turn is 'and 45?' read as another value of the one row's change: it stays on that row."""
    i = _only_a_number_for_the_change(g, state, schema)
    return i is not None and role.get(i) == "n_set"


def _lone_number_after_a_change(g: Grounding, state, schema, action: str | None = "set"):
    """(span index, changed column's spec) of the one number span of a turn that says nothing
    else, when the last turn changed a numeric column of one row (by `action`, if given)."""
    current = getattr(state, "current_ids", None) or []
    changes = getattr(state, "last_whatifs", ()) or ()
    if len(current) != 1 or not changes or (action is not None and changes[-1].action != action):
        return None
    spec = schema.features.get(changes[-1].feature)
    said = [i for i, sp in enumerate(g.spans) if sp.kind != "reference"]
    if spec is None or spec.kind != "numeric" or len(said) != 1 or g.spans[said[0]].kind != "number":
        return None
    return said[0], spec


def _only_a_number_for_the_change(g: Grounding, state, schema) -> int | None:
    """The one number span of a turn that says nothing else, when the last turn changed a numeric
    column of one row and the column's range holds the number."""
    found = _lone_number_after_a_change(g, state, schema)
    if found is None:
        return None
    span = g.spans[found[0]]
    ok = not span.unit and span.number is not None and _in_range(found[1], span.number)
    return found[0] if ok else None


_AMOUNT_ROLES = ("n_set", "n_inc", "n_dec")


def _unsure_amount(g: Grounding, reading, role: dict, i: int, below: float) -> bool:
    """The reader read span i as a what-if amount, unsure (below `below`), in a question that names
    no column the amount could be of."""
    dist = reading.role_probs[i] if reading is not None and i < len(reading.role_probs) else None
    return (role.get(i) in _AMOUNT_ROLES and bool(dist) and dist[role[i]] < below
            and not any(sp.kind == "feature" for sp in g.spans))


def earlier_person(g: Grounding, role: dict, state, reading=None) -> dict:
    """'Back to 512 - ...', 'if 103 owned their home instead, would it flip?': a whole number that
    is a row the conversation already talked about names that row again, when the reader gave it
    no role or was unsure (below 0.5) it is an amount, with no column said it could be of."""
    earlier = {c.value for w in getattr(state, "past_wheres", ()) or () for c in _comparisons(w)
               if c.feature == "id" and c.cmp == "=="}
    if not earlier:
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind == "number" and _whole(sp) in earlier and not sp.unit and (
                role.get(i) in (None, "none") or _unsure_amount(g, reading, role, i, 0.5)):
            role[i] = "n_id"
    return role


def row_after_a_change(g: Grounding, reading, role: dict, state, schema, workspace) -> dict:
    """'What if applicant 10 were 30?', 'and 45?', then 'and 500?': a follow-up that says only a
    whole number, after a change of a numeric column of one row, that the column cannot hold and
    that is a row of the data, names that row when the reader was unsure (below 0.6) it is an
    amount of some other column."""
    found = _lone_number_after_a_change(g, state, schema, action=None)
    if found is None:
        return role
    i, spec = found
    n = _whole(g.spans[i])
    if n is None or _in_range(spec, n) or g.spans[i].unit or n not in workspace.data.index \
            or not _unsure_amount(g, reading, role, i, 0.6):
        return role
    return {**role, i: "n_id"}


def task_named_as_context(g: Grounding, role: dict) -> dict:
    """'When predicting whether people have diabetes, which features matter?': a class said right
    after the task's verb and "whether"/"if" (cues.toml [task_context]) names the task, so it is
    context, never a condition on the rows."""
    verbs, joiners = set(_cue_words("task_context", "verbs")), set(_cue_words("task_context", "joiners"))
    role = dict(role)
    words = g.tokens
    for i, sp in enumerate(g.spans):
        if sp.kind not in ("class", "truth", "model") or role.get(i) not in ("c_label", "c_pred", "c_label_not", "c_pred_not"):
            continue
        before = words[max(0, sp.start - 6):sp.start]
        at = [k for k, w in enumerate(before) if w in joiners]
        if at and any(w in verbs for w in before[max(0, at[-1] - 2):at[-1]]):
            role[i] = "none"
    return role


def outcome_being_explained(g: Grounding, reading, role: dict) -> dict:
    """'Why are patients with glucose above 180 and BMI over 35 predicted diabetic?': in a "why"
    question that only asks for reasons, about a group of its own, the model's class is the outcome
    being explained, not one more condition on the rows."""
    ops = [s.op for s in reading.slots]
    if ops != ["explain"] or "why" not in g.tokens[:3]:
        return role
    classes = [i for i, r in role.items() if r in ("c_pred", "c_pred_not")]
    others = [i for i, r in role.items() if r in _OWN_CONDITION_ROLES and i not in classes and r != "n_id"]
    if not classes or not others:
        return role
    role = dict(role)
    for i in classes:
        role[i] = "none"
    return role


_RELATIVE = frozenset({"that", "who", "which", "whom"})


def _model_verb_before(g: Grounding, sp: Span) -> Span | None:
    """The model's verb said right before a span ('flagged as *diabetic*', 'predicts *diabetic*')."""
    return next((m for m in g.spans if m.kind == "model" and 0 <= sp.start - m.end <= 1), None)


def class_in_a_relative_clause(g: Grounding, role: dict) -> dict:
    """'For the ones in that age range *that it predicts diabetic*, why?': a class the reader left
    without a role, said in a relative clause whose verb is the model's, restricts the rows to
    that prediction ("that it doesn't flag": to the other)."""
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind != "class" or role.get(i) not in (None, "none"):
            continue
        verb = _model_verb_before(g, sp)
        if verb is None:
            continue
        at = max(0, verb.start - 5)                                 # 'that it does not flag'
        rel = [k for k in range(at, verb.start) if g.tokens[k] in _RELATIVE and not (k and g.tokens[k - 1] == "so")]
        # the clause's subject is the model ("it", "the model", "you"): no row or person is named in it
        if rel and not any(rel[-1] < o.start < sp.start for o in g.spans if o.kind not in ("model", "reference")):
            negated = _NOT.intersection(g.tokens[max(0, verb.start - 3):sp.start])
            role[i] = "c_pred_not" if negated else "c_pred"
    return role


def goal_of_a_change(g: Grounding, reading, role: dict) -> dict:
    """'What would it take for applicants under 23 who got rejected to be approved?': in a question
    asking what must change, a class said right after the words for a goal (cues.toml [goal]), or
    after them and a verb of the model ("to not be flagged as diabetic"), is the outcome wanted,
    not a condition on the rows."""
    if "counterfactual" not in [s.op for s in reading.slots]:
        return role
    goals = _cue_phrases("goal")
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind not in ("class", "model", "truth") or role.get(i) in (None, "none"):
            continue
        start = sp.start          # 'to not be *flagged as* diabetic': the goal words are before the verb
        verb = _model_verb_before(g, sp)
        start = verb.start if verb is not None and sp.kind == "class" else start
        before = tuple(g.tokens[max(0, start - 3):start])
        if any(before[len(before) - len(p):] == p for p in goals if len(p) <= len(before)):
            role[i] = "none"
    return role


def current_value_before_if(g: Grounding, role: dict) -> dict:
    """'Her BMI is 48. What if she got it down to 30?': with amounts set both before an "if" and
    inside it, those said before are the current values, not changes."""
    words = g.tokens
    ifs = [k for k, w in enumerate(words) if w == "if"]
    if not ifs:
        return role
    k = ifs[0]
    sets = [i for i, r in role.items() if r == "n_set"]
    before = [i for i in sets if g.spans[i].start < k]
    if before and any(g.spans[i].start > k for i in sets):
        role = dict(role)
        for i in before:
            role[i] = "none"
    return role


def person_spoken_of(g: Grounding, state, where) -> bool:
    """'What if her glucose were 150?' after a turn about everyone: a word that can only mean one
    person (cues.toml [one_person]), in a question with no rows of its own, means the person the
    conversation was about before (the last selection, when it was one row)."""
    if where is not None or state is None or getattr(state, "current_ids", None) is not None:
        return False
    last = getattr(state, "last_ids", None)
    if not last or len(last) != 1:
        return False
    one = set(_cue_phrases("one_person"))
    return any(sp.kind == "reference" and tuple(g.tokens[sp.start:sp.end]) in one for sp in g.spans)


_OWN_CONDITION_ROLES = ("f_filter", "v_eq", "v_ne", "n_gt", "n_ge", "n_lt", "n_le", "n_eq", "n_ne", "n_decade", "n_id",
                        "c_pred", "c_pred_not", "c_label", "c_label_not")


def complement_of_the_group(g: Grounding, reading, role: dict, state) -> dict:
    """'And the rest?' after a figure about a group: a word for the others (cues.toml
    [complement]) that the reader left unused, in a question with no rows of its own and that
    does not ask for more of the last answer, means the rest of the rows."""
    if state is None or (getattr(state, "current_size", None) or 0) <= 1:
        return role
    if any(r in _OWN_CONDITION_ROLES for r in role.values()):
        return role
    if reading.slots and reading.slots[0].op in ("followup", "show", "capabilities", "define", "describe_model"):
        return role
    role = dict(role)
    for i, sp in enumerate(g.spans):
        if sp.kind == "complement" and role.get(i) in (None, "none"):
            role[i] = "r_other"
    return role


_MODEL_WIDE = (q.Importance, q.Interactions, q.Dependence, q.Bias, q.Score)


def about_the_model_overall(g: Grounding, ops: list | None) -> bool:
    """'Does his age matter much in general?', 'is the model generally fair to young people like
    her?': a question about how the model works as a whole (importance, interactions, dependence,
    fairness, a score), said with a word for everyone (cues.toml [everyone]), is about everyone
    even when it names the person or group being discussed."""
    return bool(ops) and all(isinstance(o, _MODEL_WIDE) for o in ops) and says_everyone(g)


def narrows_by_the_outcome(pieces: list, state, g: Grounding, workspace=None) -> bool:
    """'And how many of those does the model reject?', 'which ones aren't flagged?', 'show me the
    ones that actually have it' after a turn about a group: a follow-up whose only conditions are
    on the model's output or the true outcome narrows the group, whatever the reader's lean to
    continue (the blind sets' writers kept the group in all 52 such turns, never the class alone).
    Not after one person or everyone, nor with a word for everyone, nor after a group of outcome
    conditions only; after a group narrowed by one, the base group is kept and the outcome
    condition swapped (see narrowing_or_replacing and sibling_outcome)."""
    last = getattr(state, "last_where", None)
    if last is None or only_ids(last) or not pieces or says_everyone(g):
        return False
    said = [c for p in pieces for c in _comparisons(p.expr)]
    outcome = outcome_columns(workspace)
    if not said or not all(c.feature in outcome for c in said):
        return False
    before = _comparisons(last)       # a group narrowed by an outcome: the sibling question's base
    return not any(c.feature in outcome for c in before) or any(c.feature not in outcome for c in before)


_BARE_NEGATIONS = frozenset({"not", "without", "non"})


def the_last_condition_negated(g: Grounding, state, workspace) -> q.Expr | None:
    """'How many of those are black?' then 'and how many aren't?'; 'accuracy on people with
    missed payments' then 'and without?'; 'show the ones that don't' after 'how many of those
    actually have it?': a short follow-up that names nothing of its own and only says "not" or
    "without" is the group with its last-named condition turned round, as `everyone_else` turns a
    group of one condition."""
    last = getattr(state, "last_where", None)
    if last is None or only_ids(last) or isinstance(last, q.Or) or len(g.tokens) > 7:
        return None
    if any(s.kind in _OWN_CONTENT_KINDS for s in g.spans) or not _BARE_NEGATIONS.intersection(g.tokens):
        return None
    parts = q.conjuncts(last)
    tail = parts[-1]
    if not isinstance(tail, q.Cmp) or tail.feature == "id" or (
            tail.feature in ("prediction", "label") and len(getattr(workspace.schema, "classes", ()) or ()) != 2):
        return None         # the model's output or the truth turns round only with two classes
    parts = parts[:-1] + [_turned(tail, workspace.schema)]
    return parts[0] if len(parts) == 1 else q.And(tuple(parts))


def one_feature_of_the_model(ops: list | None) -> bool:
    """'How important is glucose?', 'how does the prediction depend on age?' asked after a turn
    about a group, with no word pointing back at it: how the model weighs one column is a
    question about the model, asked of everyone (the group is kept only when the words say so,
    "for them"; the caller checks that)."""
    return bool(ops) and all(isinstance(o, q.Dependence) or isinstance(o, q.Importance) and o.feature is not None
                             for o in ops)


_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "former": 0, "latter": -1}
_POSITION_NOUNS = frozenset({"1", "one", "ones", "person", "lady", "guy", "gentleman", "row", "record", "case",
                             "group", "?"})
_CHANGE_NOUNS = frozenset({"change", "changes", "changed", "scenario", "scenarios", "together", "modifications",
                           "adjustments", "tweaks", "edits"})


def _pinned(expr: q.Expr | None) -> list | None:
    """The ids a selection is made of (`id == 12`, `id == 3 or id == 9`), else None."""
    return ids_in(expr) if only_ids(expr) else None


def _ordinal_at(g: Grounding) -> tuple[int, int, bool] | None:
    """'the first one', 'that second group', 'the latter': (token position, index, about a
    group) of an ordinal said about something discussed, not 'in the first place'."""
    words = g.tokens
    entities = {s.start for s in g.spans if s.kind == "entity"}
    for k, w in enumerate(words):
        if w not in _ORDINALS or k == 0 or words[k - 1] not in ("the", "that", "this", "for", "to", "and", "of"):
            continue
        after = words[k + 1] if k + 1 < len(words) else "?"
        if after in _POSITION_NOUNS or k + 1 in entities or k + 1 == len(words):
            return k, _ORDINALS[w], after == "group"
    return None


def position_reference(g: Grounding, state) -> tuple[q.Expr, int | None] | None:
    """Rows named by their place in the conversation, and the token of the number 'one' said
    with them ('why for the first one?' after two applicants: the first of them; 'the first
    lady' after two people: the person talked about first; 'that second group': the second
    group named; 'show me both rows' after two people: the two of them). None when nothing
    like that was said or the conversation has nothing to point at."""
    past = list(getattr(state, "past_wheres", ()) or ())
    if not past:
        return None
    pinned = [_pinned(w) for w in past]
    people: list = []
    for ids in pinned:
        if ids is not None and len(ids) == 1 and ids[0] not in people:
            people.append(ids[0])
    found = _ordinal_at(g)
    if found is not None:
        k, index, group = found
        number = k + 1 if k + 1 < len(g.tokens) and g.tokens[k + 1] == "1" else None
        if group:
            groups: list = []
            for w, ids in zip(past, pinned):
                if ids is None and w not in groups:
                    groups.append(w)
            return (groups[index], number) if -len(groups) <= index < len(groups) else None
        several = next((ids for ids in reversed(pinned) if ids is not None and len(ids) > 1), None)
        pool = several or people
        if not -len(pool) <= index < len(pool) or len(pool) < 2:
            return None
        return q.Cmp("id", "==", pool[index]), number
    words = g.tokens
    if "both" in words and not _CHANGE_NOUNS.intersection(words[words.index("both"):]):
        pair = _last_pair(pinned)
        if pair is not None:
            return q.Or(tuple(q.Cmp("id", "==", v) for v in pair)), None
    return None


def _last_pair(pinned: list) -> list | None:
    """The two people 'both' means: the latest two named one at a time, or the latest pair named
    together ('compare 553 and 558' ... 'why for 558?' ... 'show me both rows'), whichever came
    later."""
    people: list = []
    for ids in reversed(pinned):
        if ids is None:
            continue
        if len(ids) == 2 and (not people or people[0] in ids):
            return list(ids)
        if len(ids) == 1 and ids[0] not in people:
            people.append(ids[0])
            if len(people) == 2:
                return people[::-1]
    return None


def asks_about_the_scenario(g: Grounding, ops: list | None, state) -> bool:
    """'How sure is the model about that?', 'why then?', 'how confident?' right after a what-if:
    the answer just given, under its changes (cues.toml [scenario]; a probability asked with
    nothing else said is about that answer too, not when the turn names rows of its own). Not
    when the turn asks about the person as they are ('as things stand', 'originally':
    [as_is])."""
    if not getattr(state, "last_whatifs", None) or says_as_is(g):
        return False
    if _says(g, "scenario"):
        return True
    if any(s.kind in ("number", "value") for s in g.spans):
        return False            # "just 906: how sure is the model?": rows of its own were named
    return bool(ops) and all(isinstance(o, q.Likelihood) for o in ops)


_REST_WORDS = frozenset({"rest", "remaining", "more", "others", "remainder"})


def rest_of_the_answer(g: Grounding, state, ops: list | None) -> bool:
    """'Show the rest' after an answer: the rest of that answer (when it was cut short; else the
    answer says there is no more), not everyone else, nor every row of the data."""
    if not getattr(state, "last_steps", None) or not ops or not all(isinstance(o, q.Show) for o in ops):
        return False
    named = [s for s in g.spans if s.kind not in ("complement", "entity", "reference")]
    return not named and bool(_REST_WORDS.intersection(g.tokens))
