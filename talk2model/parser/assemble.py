"""The assembler: the reader's decisions + the grounded spans + the conversation -> a query in
canonical form (docs/query-language.md), or what stopped it.

The reader says *what role* each span plays; the assembler only puts the pieces together: a
number goes to the feature named next to it (or, when none is, to the feature the schema says
it can be: `constraints.implied_feature`), conditions join with "and" unless the words say "or",
what-ifs and operations keep the order they were said in, and a feature argument goes to the
operation that needs one. Every rule that is not "put together what was read" is a named
constraint in `constraints.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from talk2model.parser import constraints as C
from talk2model.parser import labels as L
from talk2model.parser.grounding import Grounding, Span
from talk2model.parser.reader import Reading
from talk2model.query import ast as q

FILTER_NUMBER = ("n_gt", "n_ge", "n_lt", "n_le", "n_eq", "n_ne", "n_decade")
WHATIF_NUMBER = ("n_set", "n_inc", "n_dec")
# a follow-up with conditions of its own narrows the group being discussed ("loans over 36 months
# only") when the reader is this sure that it continues it; below, the conditions start afresh
NARROWS = 0.8
INSIDE = ("adversarial", "influence", "visualize_class", "concepts", "embedding")
NEEDS_FEATURE = {"dependence": "feature", "define": "feature", "statistic": "feature", "bias": "attribute"}


@dataclass
class Assembly:
    query: q.Query | None = None
    problems: list[str] = field(default_factory=list)     # what was read but could not be used
    ask_feature: str | None = None                        # an operation that needs a feature not named
    ask_number: tuple[Any, list[str]] | None = None       # a number that fits several features
    partial: list[q.Step] = field(default_factory=list)   # the steps read before the question stopped


_NEGATIONS = frozenset({"no", "not", "never", "without", "non", "nobody", "none"})


def _negated(g: Grounding, span: Span, words: int = 2) -> bool:
    """A negation in the words before a span ('never missed', 'without a guarantor'; a change
    looks three words back: 'if she didn't have a telephone')."""
    return bool(_NEGATIONS.intersection(g.tokens[max(0, span.start - words):span.start]))


@dataclass
class Piece:
    start: int
    expr: q.Expr


class Assembler:
    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.schema = workspace.schema

    # ------------------------------------------------------------------ entry point
    def build(self, g: Grounding, r: Reading, state=None, fallback_feature: str | None = None) -> Assembly:
        out = Assembly()
        self.state = state
        self.state_class = C.class_of_selection(state)      # "of those, how many actually don't have it?"
        placed = C.position_reference(g, state)      # "why for the first one?", "show me both rows"
        role = self._roles(g, r, state, placed)
        bound = self._bind_numbers(g, role, out)
        role = C.range_bounds(g, role, bound)
        pieces = C.negated_range(g, C.class_pairs(g, self._conditions(g, role, bound, out)))
        whatifs = self._whatifs(g, role, bound, out)
        self.flipped: list[q.WhatIf] = []
        self.changes_said = whatifs
        ops = self._operations(g, r, role, bound, state, out, fallback_feature)
        whatifs = [w for w in whatifs if w not in self.flipped]
        if ops is not None:
            whatifs, ops = C.flip_or_change(g, whatifs, ops)
        if ops is not None:
            ops = C.compared_with_last(g, ops, state)
        if C.rest_of_the_answer(g, state, ops):     # "show the rest" after a list cut short
            out.query = q.Query((q.Followup(),))
            return out
        steps, where = self._selection(g, r, role, pieces, state, ops, placed)
        whatifs = self._kept_changes(g, r, whatifs, where, state, ops)
        steps += whatifs
        if ops is None:
            out.partial = steps          # what was read before the missing feature: kept in choices
            return out
        steps += ops
        if C.reads_no_rows(ops):          # "what else can you do?", "what does duration mean?"
            steps = [s for s in steps if not isinstance(s, (q.Filter, q.PreviousFilter))]
        one_row = (C.only_ids(where) and len(C.ids_in(where)) == 1) or (
            any(isinstance(s, q.PreviousFilter) for s in steps) and getattr(state, "current_size", None) == 1)
        if one_row:                       # "which features pushed her prediction the most?"
            steps = C.importance_of_one_row(steps)
        flip = C.flip_test(g, whatifs, ops, one_row, self.schema)
        if flip is not None:              # "would his outcome differ if he weren't black?"
            steps = [s for s in steps if isinstance(s, (q.Filter, q.PreviousFilter))] + flip
        if not any(not isinstance(s, (q.Filter, q.PreviousFilter, q.WhatIf)) for s in steps):
            # a group or a change with no operation: a change predicts, a group is shown
            steps.append(q.Predict() if whatifs else q.Show())
        out.query = q.Query(tuple(steps))
        return out

    def _roles(self, g: Grounding, r: Reading, state, placed) -> dict:
        """The reader's role of every span, then the named constraints on them, in this order
        (each a function of constraints.py)."""
        role = {i: (x[0] if x else None) for i, x in enumerate(r.roles)}
        if placed is not None and placed[1] is not None:     # "the first one": the one is no number
            role = {i: (None if g.spans[i].start == placed[1] else x) for i, x in role.items()}
        ws = self.workspace
        for rewrite in (lambda x: C.negation_not_said(g, r, x),
                        lambda x: C.unsure_dropped_values(g, r, x, self.schema),
                        lambda x: C.comparison_left_unused(g, r, x),
                        lambda x: C.change_said_without_a_hypothesis(g, r, x),
                        lambda x: C.change_added_with_a_carry_word(g, r, x, state),
                        lambda x: C.group_of_a_fairness_check(g, r, x, self.schema),
                        lambda x: C.attribute_named_after_a_fairness_check(g, r, x, state, ws),
                        lambda x: C.argument_left_as_a_condition(g, r, x, self.schema),
                        lambda x: C.argument_no_operation_takes(g, r, x),
                        lambda x: C.value_describing_people(g, r, x),
                        lambda x: C.pointing_at_the_group(g, x, state),
                        lambda x: C.negation_before_a_value(g, x),
                        lambda x: C.absent_ids_of_the_person(g, x, ws, state),
                        lambda x: C.said_bounds(g, x),
                        lambda x: C.band_list(g, x),
                        lambda x: C.time_window(g, x),
                        lambda x: C.task_named_as_context(g, x),
                        lambda x: C.outcome_being_explained(g, r, x),
                        lambda x: C.class_in_a_relative_clause(g, x),
                        lambda x: C.goal_of_a_change(g, r, x),
                        lambda x: C.current_value_before_if(g, x),
                        lambda x: C.complement_of_the_group(g, r, x, state),
                        lambda x: C.if_clause_changes(g, x, self.schema),
                        lambda x: C.unclaimed_whatif_amounts(g, x),
                        lambda x: C.changed_by_an_amount(g, r, x),
                        lambda x: C.direction_after_amount(g, x),
                        lambda x: C.value_said_after_the_feature(g, x),
                        lambda x: C.numbers_only_ids(g, x, ws),
                        lambda x: C.named_rows(g, x, ws),
                        lambda x: C.another_value_of_the_change(g, x, state, self.schema),
                        lambda x: C.earlier_person(g, x, state, r),
                        lambda x: C.row_after_a_change(g, r, x, state, self.schema, ws),
                        lambda x: C.the_person_by_number(g, x, state)):
            role = rewrite(role)
        return role

    def _selection(self, g: Grounding, r: Reading, role: dict, pieces: list, state, ops,
                   placed) -> tuple[list[q.Step], q.Expr | None]:
        """The rows the question is about: the conversation's selection continued, narrowed or
        swapped, a group gone back to, rows named by their place, or the question's own."""
        steps: list[q.Step] = []
        others = C.everyone_else(state, self.schema) if any(role[i] == "r_other" for i in role) else None
        if others is None and ((any(role[i] == "r_prev" for i in role) and not C.about_the_model_overall(g, ops)) or (
                state is not None and state.last_ids is not None and r.follows > 0.5
                and (not pieces or (r.follows > NARROWS and len(state.last_ids) > 1))
                and not self._is_fresh(r) and not C.says_everyone(g) and not C.one_feature_of_the_model(ops))
                or C.narrows_by_the_outcome(pieces, state, g, self.workspace)
                or C.narrows_by_words(g, pieces, state)):
            steps.append(q.PreviousFilter())
        if others is not None:
            pieces.insert(0, Piece(-1, others))
        where = C.join_conditions(g, pieces, self.workspace)
        speaker = C.speaker_row(state, g.tokens, where, role) or C.speaker_described(state, g.tokens, where,
                                                                                      self.workspace)
        if speaker is not None:              # "what if my savings were higher?": the asker's own row
            steps, where = [], speaker
        turned = C.the_last_condition_negated(g, state, self.workspace) if where is None else None
        if turned is not None:                # "and how many aren't?" after "how many of those are black?"
            steps, where = [], turned
        back = C.group_gone_back_to(g, where, state) or (   # 'back to the first guy': the one by place
            C.person_gone_back_to(g, where, state) if placed is None else None)
        if back is not None:                  # "going back to the renters": the group as first named
            steps, where = [], back
        if placed is not None and where is None:
            steps, where = [], placed[0]
        if not steps and where is None and C.new_value_for_the_person(g, role, state, self.schema):
            steps.append(q.PreviousFilter())  # "and 45?" after "what if applicant 10 were 30?"
        if not steps and C.person_spoken_of(g, state, where):
            steps.append(q.PreviousFilter())  # "what if her glucose were 150?" after a turn about all
        if where is not None and steps and isinstance(steps[-1], q.PreviousFilter):
            replaced = C.narrowing_or_replacing(getattr(state, "last_where", None), where, self.workspace, ops or [],
                                                pointed=any(role[i] == "r_prev" for i in role))
            if replaced is not None:          # "and for men?" after women: not an empty "and"
                steps.pop()
                where = replaced
            elif C.said_again(getattr(state, "last_where", None), where):
                where = None                  # "the same women": the group, not narrowed by itself
            elif C.only_ids(where) and C.names_new_rows(where, state):
                steps.pop()                   # "my cousin is 6815, does he ...": a new person, not "and"
            elif C.new_group_after_one_person(where, state):
                steps.pop()                   # "women under 25 like her": others, not her
        elif where is not None and not steps and back is None and not C.says_everyone(g):
            swapped = C.contrast_with_the_group(state, where, ops or [], self.workspace)
            if swapped is not None:           # "what about homeowners?" after the renters it approves
                where = swapped
        if where is not None:
            steps.append(q.Filter(where))
        return steps, where

    def _kept_changes(self, g: Grounding, r: Reading, whatifs: list, where, state, ops) -> list[q.WhatIf]:
        """The turn's what-ifs, with the last turn's kept when the words carry them ('also', 'on
        top of that'), or the turn asks about the answer just given ('how sure is it then?')."""
        whatifs = C.consistent_changes(whatifs, where, state, self.workspace)
        said_also = bool(whatifs) and C.says_also(g)
        more = bool(ops) and all(isinstance(o, q.Followup) for o in ops)     # "tell me more": the last answer
        if state is None or not state.last_whatifs or more:
            return whatifs
        again = not whatifs and C.says_same_question(g)     # "same question for applicant 531"
        carried_on = (r.carry > 0.5 and not whatifs and not C.says_as_is(g)) or said_also or again \
            or C.asks_about_the_scenario(g, ops, state)
        if carried_on and not C.replaces_change(g) and not C.says_back(g) \
                and (again or not C.names_new_rows(where, state)):
            carried = C.carried_changes(state.last_whatifs, whatifs, self.workspace, said=said_also)
            whatifs = carried + [w for w in whatifs if w not in carried]   # a change said again is kept
        return whatifs

    @staticmethod
    def _is_fresh(r: Reading) -> bool:
        return bool(r.slots) and r.slots[0].op in ("describe_data", "describe_model", "capabilities", "define",
                                                   "followup", "outside", "unknown")

    # ------------------------------------------------------------------ numbers
    def _bind_numbers(self, g: Grounding, role: dict, out: Assembly) -> dict[int, str | None]:
        """Each number read as a threshold, a what-if amount or a band -> the feature it is about:
        the feature said right before it ('BMI under 25'), else the one before it that the last
        number shared ('age over 30 and under 50'), else the one right after it that has no
        number of its own ('more than 3 priors'), else the feature the schema implies."""
        spans = g.spans
        bound: dict[int, str | None] = {}
        self.bound_from: dict[int, int] = {}
        self.said_before: dict[int, int] = {}      # a number's feature words said before it, when bound after it
        groups = {"filter": (FILTER_NUMBER, ("f_filter",)), "whatif": (WHATIF_NUMBER, ("f_whatif",)),
                  "band": (("n_band",), ("f_arg",))}
        person = any(r == "n_id" for r in role.values())     # "if 7335 was 40": a person's age
        for kinds, feature_roles in groups.values():
            numbers = sorted((i for i in role if role[i] in kinds), key=lambda i: spans[i].start)
            named = [j for j in role if spans[j].features and role[j] in feature_roles]
            # a feature the reader left out is still the one said right before a number
            features = named + [j for j in role if spans[j].features and role[j] == "none"]
            stops = set(numbers) | {j for j in role if spans[j].features or spans[j].values}
            ahead = {i: C.feature_after(spans, i, named, set(), stops, gap=1, words=g.tokens) for i in numbers}
            # a feature said right before a number of its own is that number's ('BMI over 35')
            # (or one whose unit word after it names the same column: 'loan duration is more than 36 months')
            before = {k: C.feature_before(spans, k, features, stops, g.tokens) for k in numbers}
            self.said_before.update({k: j for k, j in before.items() if j is not None})
            owned = {before[k] for k in numbers if before[k] is not None and (
                ahead[k] is None or set(spans[ahead[k]].features) & set(spans[before[k]].features))}
            rules = (                   # tried in this order, each for the numbers still unbound
                lambda i: C.feature_after(spans, i, features, set(), stops, gap=4) if spans[i].text in C.ZERO_WORDS
                or (spans[i].number == 0 and C.feature_after(spans, i, features, set(), stops, gap=0)) else None,
                lambda i: ahead[i] if ahead[i] not in owned else None,
                lambda i: C.feature_before(spans, i, features, stops, g.tokens),
            )
            for i in numbers:           # "what if I was 30?": the age, whatever column was said before
                age = C.age_someone_is(self.workspace, g, i)
                if age:
                    bound[i] = age
            for rule in rules:
                for i in numbers:
                    if i not in bound:
                        j = rule(i)
                        if j is not None:
                            self._bind(bound, i, j, g)
            for i in numbers:           # "between 20 and 30 years old": the range shares a feature
                partner = C.range_partner(g, i, numbers)
                if i not in bound and partner is not None and bound.get(partner):
                    bound[i] = bound[partner]
            for k, i in enumerate(numbers):      # "age over 30 and under 50"
                if i not in bound and k and bound.get(numbers[k - 1]) and \
                        C.same_comparison_run(g, numbers[k - 1], i):
                    bound[i] = bound[numbers[k - 1]]
            for candidates, gap in ((named, 4), (features, 3)):   # 'at least 200 in my savings': left out
                for i in numbers:
                    if i not in bound:
                        j = C.feature_after(spans, i, candidates, owned | set(self.bound_from.values()), stops,
                                            gap=gap, words=g.tokens)
                        if j is not None:
                            self._bind(bound, i, j, g)
            if kinds == WHATIF_NUMBER:      # "her bmi is 48. what if she got it down to 30"
                free = [j for j in named if j not in self.bound_from.values()]
                for i in numbers:
                    if i not in bound and len(free) == 1:
                        self._bind(bound, i, free[0], g)
            for i in numbers:
                if bound.get(i) is None:
                    bound[i] = C.confidence_of_the_group(self.state, spans[i]) \
                        or C.implied_feature(self.workspace, g, i, person) \
                        or C.feature_of_last_turn(self.state, spans[i], role[i], self.schema)
                    if bound[i] is None:
                        out.ask_number = (spans[i].number, C.features_holding(self.workspace, spans[i].number))
        return bound

    def _bind(self, bound: dict, i: int, j: int, g: Grounding) -> None:
        feature = C.by_unit(self.schema, C.pick_feature(self.schema, g.spans[j], g.spans[i]), g.spans[i],
                            g.spans[j].text)
        spec = self.schema.features.get(feature) if feature else None
        if spec is not None and spec.kind == "numeric" and not C.plausible(spec, g.spans[i]):
            return                      # "more than 6 pregnancies who are over 40": not 40 pregnancies
        bound[i] = feature
        self.bound_from[i] = j

    # ------------------------------------------------------------------ conditions
    def _conditions(self, g: Grounding, role: dict, bound: dict, out: Assembly) -> list[Piece]:
        spans = g.spans
        pieces: list[Piece] = []
        used_features: set[int] = set()
        for i, span in enumerate(spans):
            rl = role.get(i)
            if rl == "n_id":
                pieces.append(Piece(span.start, q.Cmp("id", "==", span.number)))
            elif rl in FILTER_NUMBER and bound.get(i):
                expr = C.number_condition(self.schema, bound[i], rl, span)
                named = spans[self.bound_from[i]] if i in self.bound_from else None
                if isinstance(expr, q.Cmp) and expr.cmp == "==" and expr.value in (0, 1) and named is not None \
                        and self.schema.features[bound[i]].kind == "flag" and _negated(g, named):
                    expr = q.Cmp(expr.feature, "==", 1 - expr.value)     # "who never missed one"
                if expr is not None:   # said where its feature was first named ('young renters, under 28')
                    named_at = [s.start for j, s in enumerate(spans) if role.get(j) == "f_filter" and bound[i] in s.features]
                    pieces.append(Piece(min([span.start] + named_at), expr))
                    used_features.update(C.features_named(spans, bound[i], role, ("f_filter", "none")))
            elif rl in ("v_eq", "v_ne") and i not in self.bound_from.values():
                feature, value = C.pick_value(self.schema, g, i)
                pieces.append(Piece(span.start, C.value_condition(self.schema, feature, value, rl == "v_ne")))
            elif rl in L.CLASS_ROLES[:4]:
                expr = C.class_condition(self.schema, span, rl, g, self.state_class)
                if expr is not None:
                    pieces.append(Piece(span.start, expr))
        # 'savings of 500+' on columns of thresholds: the words gave the number its flag column
        threshold_words = {j for k, j in self.bound_from.items() if bound.get(k) in self.schema.features
                           and self.schema.features[bound[k]].kind == "flag"}
        # 'loans of 36 months': the words before a number that took the feature after it name that condition
        used_features.update(j for k, j in self.said_before.items() if bound.get(k) and self.bound_from.get(k, j) != j)
        for i, span in enumerate(spans):
            if role.get(i) != "f_filter" or i in used_features or i in threshold_words \
                    or span.features[0] not in self.schema.features:
                continue
            feature = span.features[0]
            spec = self.schema.features[feature]
            if spec.kind == "flag":          # "people with a guarantor"; "who never missed one": 0
                pieces.append(Piece(span.start, q.Cmp(feature, "==", 0 if _negated(g, span) else 1)))
            elif not any(bound.get(k) == feature for k in bound) and C.counted_none(spec) and _negated(g, span):
                pieces.append(Piece(span.start, q.Cmp(feature, "==", 0)))     # "never been pregnant"
            elif not any(bound.get(k) == feature for k in bound):
                out.problems.append(C.unread_condition(spec, span))
        pieces.sort(key=lambda p: p.start)
        seen: list[q.Expr] = []          # the same condition said twice is one condition
        return [p for p in pieces if not (p.expr in seen or seen.append(p.expr))]

    # ------------------------------------------------------------------ what-ifs
    def _whatifs(self, g: Grounding, role: dict, bound: dict, out: Assembly) -> list[q.WhatIf]:
        spans = g.spans
        found: list[tuple[int, q.WhatIf]] = []
        for i, span in enumerate(spans):
            rl = role.get(i)
            if rl in WHATIF_NUMBER and bound.get(i) in self.schema.features:
                change = C.number_whatif(self.schema, bound[i], rl, span)
                if change is not None:
                    found.append((span.start, change))
                else:                    # said, so never dropped: 'if I had 200 more in savings' on a flag
                    out.problems.append(C.unmade_change(self.schema.features[bound[i]], span))
            elif rl in ("v_whatif", "v_whatif_ne"):
                feature, value = C.pick_value(self.schema, g, i)
                flips = rl == "v_whatif_ne" or (_negated(g, span, 3) and feature in self.schema.features
                                                and self.schema.features[feature].kind == "flag")
                value = C.other_value(self.schema, feature, value) if flips else value
                if value is not None:
                    found.append((span.start, q.WhatIf(feature, "set", value)))
            elif rl == "f_whatif" and not any(bound.get(k) in span.features for k in bound):
                feature = span.features[0]
                if feature in self.schema.features and self.schema.features[feature].kind == "flag":
                    found.append((span.start, q.WhatIf(feature, "set", 0 if _negated(g, span, 3) else 1)))
        found.sort(key=lambda x: x[0])
        return list(dict.fromkeys(w for _, w in found))

    # ------------------------------------------------------------------ operations
    def _operations(self, g: Grounding, r: Reading, role: dict, bound: dict, state, out: Assembly,
                    fallback_feature: str | None = None) -> list[q.Step] | None:
        spans = g.spans
        args: list[str] = []
        for i, span in enumerate(spans):
            if role.get(i) == "f_arg":
                args.append(span.features[0])
            elif role.get(i) == "v_arg":
                args.append(C.pick_value(self.schema, g, i)[0])
        args = list(dict.fromkeys(args)) or ([fallback_feature] if fallback_feature else [])
        tops = [spans[i].number for i in role if role[i] == "n_top"]
        bands = sorted({spans[i].number for i in role if role[i] == "n_band"})    # "under 30, 30 to 50": 30 once
        stat_of = next(("prediction" if role[i] == "c_stat_pred" else "target" for i in role
                        if role[i] in ("c_stat_pred", "c_stat_label")), None)
        in_order = sorted(role, key=lambda i: spans[i].start)
        metrics = [spans[i].metric for i in in_order if role[i] == "m_arg"]
        self.methods = [spans[i].metric for i in in_order if role[i] == "x_arg"]
        self.inside = {"target": next((spans[i].classes[0] for i in in_order if role[i] == "c_target"
                                       and spans[i].classes), None),
                       "epsilon": next((spans[i].number for i in in_order if role[i] == "n_eps"), None),
                       "unit": next((spans[i].number for i in in_order if role[i] == "n_unit"), None),
                       "top": tops}
        slots = list(r.slots)
        steps: list[q.Step] = []
        takers = [k for k, s in enumerate(slots) if self._takes_feature(s)]
        for k, slot in enumerate(slots):
            mine = C.share_arguments(args, takers, k)
            if slot.op == "repeat" and state is not None and state.last_ops:
                steps += C.repeat_with(state.last_ops, args, self.schema)
                continue
            if slot.op == "score" and metrics:      # the metrics said, in order, one step each
                if not any(isinstance(s, q.Score) for s in steps):
                    steps += [q.Score(metric=C.metric_for(self.schema, m)) for m in dict.fromkeys(metrics)]
                continue
            made = self._step(slot, mine, tops, bands, stat_of, state, out)
            if made is None:
                return None
            steps += made
        return C.without_repeats(steps)

    @staticmethod
    def _takes_feature(slot) -> bool:
        if slot.op in NEEDS_FEATURE:
            return not (slot.op == "statistic" and slot.args.get("statistic", ("feature",))[0] != "feature")
        return slot.op == "importance" and slot.args.get("importance", ("all",))[0] == "feature"

    def _step(self, slot, mine: list[str], tops, bands, stat_of, state, out: Assembly) -> list[q.Step] | None:
        op = slot.op
        arg = {name: value for name, (value, _) in slot.args.items()}
        last = C.last_feature(state)
        if op in ("outside", "unknown"):
            out.problems.append(op)
            return None
        if op == "explain":       # the method said ("with Grad-CAM") is used up by the explanation
            said = [m for m in self.methods if m in q.METHODS]
            self.methods = [m for m in self.methods if m not in said]
            return [q.Explain(method=m) for m in said] if said else [q.Explain(method=arg.get("method", "auto"))]
        if op == "faithfulness":
            said = [m for m in self.methods if m in q.CAPTUM_METHODS]
            return [q.STEP_TYPES[op](methods=tuple(dict.fromkeys(said)) or None)]
        if op == "likelihood" and tops:
            return [q.Likelihood(top=int(tops[0]))]
        if op == "score":
            return [q.Score(metric=C.metric_for(self.schema, arg.get("metric", "accuracy")))]
        if op == "mistakes":
            return [q.Mistakes(mode=arg.get("mode", "typical"))]
        if op == "importance":
            kind = arg.get("importance", "all")
            if kind == "feature" and (mine or last):
                return [q.Importance(feature=f) for f in (mine or [last])]
            if kind == "top" or (kind == "feature" and tops):
                return [q.Importance(top=int(tops[0]) if tops and int(tops[0]) >= 1 else 1)]
            return [q.Importance()]
        if op == "statistic":
            of = stat_of or ({"prediction": "prediction", "target": "target"}.get(arg.get("statistic", "feature")))
            if of:
                return [q.Statistic(feature=of)]
        if op in INSIDE:
            return C.inside_step(op, arg, self.inside, self.workspace, out)
        if op in NEEDS_FEATURE:
            features = mine or ([last] if last else [])
            if op == "bias":
                features = C.one_per_sibling_group(C.bias_attributes(self.schema, features), self.workspace)
                if not features:       # "would it differ if he weren't black?": the attribute changed
                    self.flipped = [w for w in self.changes_said if w.feature in self.schema.sensitive]
                    features = [w.feature for w in self.flipped[:1]]
            if not features and op == "dependence" and self.changes_said:
                return [q.Predict()]    # "how does the prediction change if her age is increased by 20?"
            if not features:
                out.ask_feature = op
                return None
            if op == "bias":
                metric = arg.get("bias_metric", "none")
                extra = {"metric": None if metric == "none" else metric,
                         "bands": tuple(bands) if bands and self.schema.features[features[0]].kind == "numeric" else None}
                if arg.get("bias_cross") == "crossed" and len(features) == 1:
                    features = C.crossed_with_last(state, features, extra)   # "cross that with sex"
                elif len(features) == 1:
                    C.same_breakdown(state, features[0], extra)     # "and the tpr for that age breakdown"
                if arg.get("bias_cross") == "crossed" and len(features) > 1:
                    return [q.Bias(attribute=features[0], attributes=tuple(features[1:]), **extra)]
                return [q.Bias(attribute=f, **extra) for f in features]
            cls = q.STEP_TYPES[op]
            return [cls(feature=f) for f in features]
        return [q.STEP_TYPES[op]()]
