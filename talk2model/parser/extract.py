"""Span extraction: ids, what-ifs and conditions, over a delexicalised question.

The question's tokens become a string in which every workspace phrase and number is a slot:
"how many <E:0> over <N:1> have <F:2>" (F feature, V value, C class, E people noun, N number;
a phrase with several readings carries several letters, "<FV:3>"). Patterns over that string
find ids, what-ifs and conditions; each found span is replaced by one placeholder ("<ID:0>",
"<W:1>", "<K:2>") so what is left is the question's operation words over placeholders.
Everything here works from the schema: no pattern names a column of a particular data set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from talk2model.parser.lexicon import ID_NOUNS, Lexicon, Meaning, Span, stem
from talk2model.parser.normalize import number_value
from talk2model.query import ast as q
from talk2model.workspace.schema import Schema, split_words

UNIT_WORDS = {"year": "year", "years": "year", "yr": "year", "yrs": "year", "month": "month",
              "months": "month", "week": "week", "weeks": "week", "day": "day", "days": "day",
              "dm": "dm", "euro": "euro", "euros": "euro", "dollar": "dollar", "dollars": "dollar",
              "percent": "percent", "%": "percent", "mm": "mm", "kg": "kg", "times": "times",
              "deutsche": "dm", "marks": "dm", "mark": "dm", "point": "point", "points": "point",
              "units": "point", "unit": "point"}
# comparative words: direction, and the dimension words that name the feature they talk about
COMPARATIVES = {
    "older": (">", ("age", "old")), "younger": ("<", ("age", "old", "young")),
    "longer": (">", ("duration", "long", "length", "term", "time")),
    "shorter": ("<", ("duration", "long", "length", "term", "time")),
    "bigger": (">", ("amount", "size", "big")), "smaller": ("<", ("amount", "size", "small")),
    "larger": (">", ("amount", "size", "large")), "heavier": (">", ("weight", "mass")),
    "lighter": ("<", ("weight", "mass")), "higher": (">", ()), "lower": ("<", ()),
    "greater": (">", ()), "more": (">", ()), "less": ("<", ()), "fewer": ("<", ()),
}
LENGTH_VERBS = {"shorten": "decrease", "shortened": "decrease", "lengthen": "increase",
                "lengthened": "increase", "extend": "increase", "extended": "increase"}

GT = (r"over|above|more than|greater than|higher than|larger than|bigger than|longer than|"
      r"heavier than|exceeding|exceeds|exceeded|exceed|in excess of|beyond|north of|upwards of|"
      r"upward of|past|(?<![\d>])>|later than|after|more then|greater then|higher then")
GE = (r"at least|no less than|not less than|no fewer than|not fewer than|no lower than|"
      r"not lower than|no younger than|not younger than|a minimum of|minimum of|minimum|min|>=|"
      r"starting at|starting from|=>|from")
LT = (r"under|below|less than|fewer than|lower than|smaller than|shorter than|lighter than|"
      r"younger than|beneath|<|before|less then|lower then|fewer then|not even")
LE = (r"at most|no more than|not more than|no greater than|not greater than|no higher than|"
      r"not higher than|no older than|not older than|no bigger than|no larger than|no longer than|"
      r"not above|not over|not exceeding|up to|a maximum of|maximum of|maximum|max|<=|=<|"
      r"no more then|within")
EQ = r"exactly|equal to|equals|equal|==|=|precisely|of exactly"
NE = r"other than|not equal to|different from|except|!=|apart from|besides"
POST_GE = (r"or more|or above|or over|or older|or higher|or greater|or longer|or bigger|or larger|"
           r"and up|and upwards|and above|and over|and older|and higher|and more|plus|\+|at least|"
           r"or later|or after|or up|minimum|at minimum|or beyond|or bigger")
POST_LE = (r"or less|or under|or below|or fewer|or younger|or lower|or smaller|or shorter|"
           r"and under|and below|and younger|and less|and lower|and fewer|at most|or so less|"
           r"maximum|max|at maximum|tops|or earlier|or before")
PRE = {">": GT, ">=": GE, "<": LT, "<=": LE, "==": EQ, "!=": NE}
POST = {">=": POST_GE, "<=": POST_LE}
FILL = (r"(?:(?:is|are|was|were|be|being|been|of|at|in|has|have|had|having|who|that|which|whose|spent|spend|spends|"
        r"lasts|last|lasting|runs|run|running|level|levels|value|values|reading|readings|count|"
        r"number|amount|score|a|an|the|their|his|her|its|with|measured|recorded|for)\s){0,3}")
NEG = r"(?:not|non|no|without|never|nor|excluding|except)"
STOP = {"the", "of", "a", "an", "to", "in", "on", "at", "for", "and", "or", "is", "are", "how", "by",
        "with", "as", "than", "that", "their", "they", "who", "what", "much", "many", "per", "from",
        "be", "been", "has", "have", "had", "it", "its", "this", "these", "those", "or", "not", "no",
        "s", "1", "0", "use", "time", "number", "much", "long", "old"}
IF_WORDS = {"if", "suppose", "supposing", "imagine", "assuming", "assume", "pretend",
            "hypothetically", "whatif"}
IF_END = {",", "?", ".", ";", "then", "what", "how", "would", "could", "will", "can", "should",
          "does", "do", "please", "tell", "show", "give", "explain", "why"}


@dataclass
class Slot:
    kind: str                    # F V C E N
    start: int                   # token positions in the question
    end: int
    text: str
    span: Span | None = None
    value: Any = None            # numbers
    unit: str | None = None

    def meanings(self, kind: str) -> list[Meaning]:
        return self.span.all(kind) if self.span else []


@dataclass
class Extraction:
    """What the patterns found, and the question with the found spans replaced."""

    tokens: list[str]
    slots: list[Slot]
    text: str                                      # the delexicalised string
    ids: list[Any] = field(default_factory=list)
    whatifs: list[tuple[int, q.WhatIf]] = field(default_factory=list)   # (position, step)
    conditions: list[tuple[int, q.Expr]] = field(default_factory=list)
    joins: dict[int, str] = field(default_factory=dict)                # condition -> "and"/"or" before
    class_filters: list[tuple[int, q.Expr]] = field(default_factory=list)
    used: set[int] = field(default_factory=set)    # slot indices consumed
    guessed: list[str] = field(default_factory=list)   # what was inferred, not said
    sources: dict[int, list[int]] = field(default_factory=dict)  # id(condition) -> its slots
    share_of: str | None = None     # "what fraction would be predicted X": the outcome whose share is asked


def slot_re(kind: str, name: str) -> str:
    """A regex matching one slot whose kinds include `kind`, capturing its index as `name`."""
    if kind == "N":
        return rf"<N:(?P<{name}>\d+)>"
    return rf"<[A-Z]*{kind}[A-Z]*:(?P<{name}>\d+)>"


def expand(pattern: str) -> re.Pattern:
    """{F} {F2} {V} {N} {N2} {C} {E} -> slot regexes with named groups."""
    def sub(m: re.Match) -> str:
        token = m.group(1)
        kind, suffix = token[0], token[1:]
        return slot_re(kind, kind.lower() + suffix)
    return re.compile(re.sub(r"\{([FVCEN]\d?)\}", sub, pattern))


class Extractor:
    def __init__(self, schema: Schema, lexicon: Lexicon, ids: set | frozenset = frozenset()) -> None:
        self.schema = schema
        self.lex = lexicon
        self.valid_ids = ids
        self.numeric = [f for f, s in schema.features.items() if s.kind == "numeric"]
        self.age = self._age_feature()
        self.thresholds = self._threshold_flags()
        self._unuse: set[int] = set()
        self._compile()

    # ------------------------------------------------------------------ schema helpers
    def _age_feature(self) -> str | None:
        for name, spec in self.schema.features.items():
            if spec.kind == "numeric" and (split_words(name) == "age" or "age" in spec.synonyms):
                return name
        return None

    def _threshold_flags(self) -> list[tuple[set[str], str, float, str]]:
        """Flags whose name is a comparison ('YearsAtCurrentJobLessThan1'): (subject words,
        direction, threshold, flag), so "at their job less than a year" finds the flag."""
        out = []
        for name, spec in self.schema.features.items():
            if spec.kind != "flag":
                continue
            m = re.fullmatch(r"(.*?) (greater or equal than|greater or equal to|greater than|more than|"
                             r"less than|less or equal than|at least|at most|over|under|above|below) (\d+)",
                             spec.words)
            if m:
                words = {stem(w) for w in m.group(1).split()} - STOP
                direction = "<" if m.group(2) in ("less than", "less or equal than", "at most", "under", "below") else ">"
                out.append((words, direction, number_value(m.group(3)), name))
        return out

    def threshold_flag(self, words: set[str], cmp: str, value) -> str | None:
        for subject, direction, t, name in self.thresholds:
            if value == t and cmp[0] == direction and len(words & subject) >= 1 and \
                    len(words & subject) >= min(2, len(subject - {"year"})):
                return name
        return None

    def feature_of(self, slot: Slot, *, numeric: bool | None = None) -> str | None:
        ms = slot.meanings("feature")
        if numeric is not None:
            ms = [m for m in ms if (self.schema.features[m.feature].kind == "numeric") == numeric]
        if not ms:
            return None
        return max(ms, key=lambda m: m.strength).feature

    def _unit_ok(self, feature: str, unit: str | None) -> bool:
        if unit is None or unit in ("times", "point"):
            return True
        spec = self.schema.features[feature]
        fu = {stem(w) for w in re.findall(r"[a-z]+", spec.unit.lower())}
        if not fu:
            return unit not in ("year", "month", "week", "day")
        if unit in ("year", "month", "week", "day"):
            return bool(fu & {"year", "month", "week", "day"})
        return unit in fu

    def convert(self, feature: str, value, unit: str | None):
        spec = self.schema.features.get(feature)
        if spec is None or unit is None:
            return value
        fu = {stem(w) for w in re.findall(r"[a-z]+", spec.unit.lower())}
        factor = {("year", "month"): 12, ("week", "day"): 7, ("month", "year"): 1 / 12,
                  ("day", "week"): 1 / 7}
        for target in fu:
            if (unit, target) in factor:
                out = value * factor[(unit, target)]
                return int(out) if float(out).is_integer() else round(out, 4)
        return value

    def by_unit(self, unit: str | None, near: set[str] = frozenset(), mention: set[str] = frozenset()) -> str | None:
        """The feature a unit points to ("2 years" of a loan -> its duration in months): a
        feature sharing words with the phrase used first, then one measured in that very unit."""
        if unit is None or unit in ("times", "point"):
            return None
        cands = [f for f in self.numeric if self.schema.features[f].unit and self._unit_ok(f, unit)]
        if not cands:
            return None

        def score(f: str):
            own = {stem(w) for w in re.findall(r"[a-z]+", self.schema.features[f].unit.lower())}
            words = self._feature_words(f)
            return (len(mention & words), unit in own, len(near & words))
        return max(cands, key=score)

    def mention_words(self, slot: Slot | None) -> set[str]:
        if slot is None:
            return set()
        return {stem(w) for w in slot.text.split()} - STOP

    def _feature_words(self, feature: str) -> set[str]:
        spec = self.schema.features[feature]
        words = set(spec.words.split())
        for syn in spec.synonyms:
            words.update(stem(w) for w in re.findall(r"[a-z]+", syn.lower()))
        words.update(stem(w) for w in spec.words.split())
        return words - STOP

    def by_dimension(self, dims: tuple[str, ...]) -> str | None:
        for dim in dims:
            for f in self.numeric:
                spec = self.schema.features[f]
                texts = [spec.words] + [s.lower() for s in spec.synonyms]
                if any(dim in t.split() for t in texts):
                    return f
        return None

    def default_numeric(self, value, context_words: set[str], people: bool) -> str | None:
        """The feature a bare "over 40" talks about: the one whose range holds the number, named
        nearby, or age when the phrase describes people."""
        best, best_score = None, 0.0
        for f in self.numeric:
            spec = self.schema.features[f]
            score = 0.0
            if spec.range is not None and spec.range[0] <= value <= spec.range[1]:
                score += 1.0
            else:
                continue
            words = self._feature_words(f)
            if context_words & words:
                score += 2.0
            if f == self.age and people:
                score += 3.0 * people
            if score > best_score:
                best, best_score = f, score
        if best is None and self.age is not None and people:
            rng = self.schema.features[self.age].range
            if rng is None or value >= rng[0] / 2:      # "under 1" / "below zero" is no age
                return self.age
        return best

    # ------------------------------------------------------------------ the string
    def render(self, tokens: list[str]) -> tuple[str, list[Slot]]:
        spans = {s.start: s for s in self.lex.match(tokens)}
        slots: list[Slot] = []
        parts: list[str] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if i in spans:
                span = spans[i]
                kinds = "".join(k for k, name in (("F", "feature"), ("V", "value"), ("C", "class"),
                                                  ("E", "entity")) if name in span.kinds())
                text = " ".join(tokens[span.start:span.end])
                slots.append(Slot(kinds, span.start, span.end, text, span))
                parts.append(f"<{kinds}:{len(slots) - 1}>")
                i = span.end
                continue
            if re.fullmatch(r"\d+(?:\.\d+)?", tok):
                value = number_value(tok)
                end = i + 1
                unit = None
                if end < len(tokens) and tokens[end] in UNIT_WORDS and (
                        end not in spans or spans[end].end == end + 1):
                    unit = UNIT_WORDS[tokens[end]]
                    end += 1
                    if unit == "dm" and end < len(tokens) and tokens[end] == "marks":
                        end += 1
                elif i > 0 and tokens[i - 1] == "$":
                    unit = "dollar"
                slots.append(Slot("N", i, end, " ".join(tokens[i:end]), value=value, unit=unit))
                parts.append(f"<N:{len(slots) - 1}>")
                i = end
                continue
            parts.append(tok)
            i += 1
        return " ".join(parts), slots

    # ------------------------------------------------------------------ patterns
    def _compile(self) -> None:
        id_words = "|".join(sorted({re.escape(w) for w in ID_NOUNS if " " not in w} |
                                   {"no", "number", "id", "index"}, key=len, reverse=True))
        e = r"(?:<[A-Z]*E[A-Z]*:\d+>|(?:" + id_words + r"))"
        post_any = POST_GE + "|" + POST_LE
        self.p_id_list = re.compile(
            e + r" (?:(?:number|no|id|#) )?#? ?<N:(?P<n>\d+)>"
            r"(?P<rest>(?: ?(?:,|and|or|&|,? and|,? or) ?(?:" + e + r" )?#? ?<N:\d+>)*)"
            r"(?! (?:" + post_any + r"|or <[A-Z]*F[A-Z]*:\d+>|to <N|s\b|and <N:\d+> <))")
        self.p_hash = re.compile(r"(?<![<\w])# ?<N:(?P<n>\d+)>")
        self.p_cmp_pre = {c: re.compile(r"(?:" + p + r")") for c, p in PRE.items()}

    # ------------------------------------------------------------------ main entry
    def extract(self, tokens: list[str]) -> Extraction:
        text, slots = self.render(tokens)
        ex = Extraction(tokens=tokens, slots=slots, text=text)
        self._ids(ex)
        self._whatifs(ex)
        self._leading_id(ex)
        self._conditions(ex)
        return ex

    # ids --------------------------------------------------------------------
    def _ids(self, ex: Extraction) -> None:
        def repl(m: re.Match) -> str:
            nums = [int(m.group("n"))] + [int(n) for n in re.findall(r"<N:(\d+)>", m.group("rest") or "")]
            out = []
            for n in nums:
                slot = ex.slots[n]
                if not isinstance(slot.value, int) or slot.unit not in (None,):
                    return m.group(0)
            for n in nums:
                ex.used.add(n)
                ex.ids.append(ex.slots[n].value)
                out.append(n)
            return "<ID:%d>" % (len(ex.ids) - 1)
        # "change the duration of data point 12 to 24": the row, then the value it is set to
        ex.text = re.sub(r"(?P<pre>\b(?:change|changed|changing|set|setting|modify|modified|update|updated|alter|"
                         r"altered|switch|switched|make|made|increase|increased|decrease|decreased|raise|raised|lower|"
                         r"lowered|reduce|reduced) (?:the |their |its )?<[A-Z]*F[A-Z]*:\d+> (?:of|for) (?:the )?)"
                         r"(?P<id>(?:<[A-Z]*E[A-Z]*:\d+>|id|number|row) (?:#|number )?<N:\d+>)(?= to <N:)",
                         lambda m: m.group("pre") + self.p_id_list.sub(repl, m.group("id") + " ."), ex.text)
        ex.text = ex.text.replace("> . to <N:", "> to <N:")
        ex.text = self.p_id_list.sub(repl, ex.text)

        def repl_hash(m: re.Match) -> str:
            n = int(m.group("n"))
            if not isinstance(ex.slots[n].value, int):
                return m.group(0)
            ex.used.add(n)
            ex.ids.append(ex.slots[n].value)
            return "<ID:%d>" % (len(ex.ids) - 1)
        ex.text = self.p_hash.sub(repl_hash, ex.text)

        # the asker names their own row: "I'm 332.", "and I'm 700", "my id is 57". Two readings:
        # an id or the asker's age; it is the id when the data has that row and the number is
        # no plausible age (an age said as a statement is no filter anyway)
        age_range = self.schema.features[self.age].range if self.age else None

        def repl_me(m: re.Match) -> str:
            n = int(m.group("n"))
            slot = ex.slots[n]
            v = slot.value
            if not isinstance(v, int) or slot.unit is not None or v not in self.valid_ids:
                return m.group(0)
            if not m.group("idw") and age_range and age_range[0] - 5 <= v <= age_range[1] + 25:
                return m.group(0)
            ex.used.add(n)
            ex.ids.append(v)
            return m.group("pre") + "<ID:%d>" % (len(ex.ids) - 1)
        ex.text = re.sub(r"(?P<pre>(?:^|[.?!,;:(-] |\band ))(?:(?:i am|i m|im|me|this is) |(?P<idw>my (?:id|number|row|record|"
                         r"case|file|case number|application|application number|id number) (?:is |= |: )?))"
                         r"(?:number |no |# |#)?<N:(?P<n>\d+)>(?= *(?:$|[.?!,;:)]|and|here|-))", repl_me, ex.text)

    def _leading_id(self, ex: Extraction) -> None:
        """'106 glucose +30': a bare number opening a what-if question is the row it is about,
        when the data has such a row and nothing else names one."""
        if ex.ids or not ex.whatifs:
            return
        m = re.match(r"^(?:(?:so|and|ok|what if|if|now|then) )*<N:(\d+)> (?=<[A-Z]*F[A-Z]*:\d+>|<W:)", ex.text)
        if m is None:
            return
        idx = int(m.group(1))
        slot = ex.slots[idx]
        if idx in ex.used or not isinstance(slot.value, int) or slot.unit is not None or slot.value not in self.valid_ids:
            return
        ex.used.add(idx)
        ex.ids.append(slot.value)
        ex.text = ex.text[:m.start(1) - 3] + f"<ID:{len(ex.ids) - 1}>" + ex.text[m.end(1) + 1:]

    # what-ifs -----------------------------------------------------------------
    def _if_regions(self, text: str) -> list[tuple[int, int]]:
        regions = []
        for m in re.finditer(r"\b(?:what if|if|suppose|supposing|imagine|assuming|assume|pretend|"
                             r"hypothetically|let us say|say that|had they|were they|what about if|"
                             r"had (?:he|she|it)|in a world where|in case)\b|"
                             r"\bhad (?:the |this |that )?<[A-Z]*E[A-Z]*:\d+>", text):
            start = m.end()
            end = len(text)
            for stop in re.finditer(r"(?:[,?.;]|\b(?:then|what|how|would|could|will|can|should|"
                                    r"does|do|please|tell|show|give|explain|why|is the|are the|among)\b|"
                                    r"\b(?:for|of|in|across) (?:all |every |each |any )?(?:of )?(?:the |those |these )?"
                                    r"<[A-Z]*E[A-Z]*:\d+>)",
                                    text[start:]):
                if stop.start() > 0:
                    end = start + stop.start()
                    break
            regions.append((m.start(), end))
        return regions

    def _whatifs(self, ex: Extraction) -> None:
        found: list[tuple[int, q.WhatIf]] = []
        # "change the duration of applicant 12 to 24", "if the amount of applicant 5 were
        # increased by 1000": the row's own feature is the change; the row is said at the end
        moved = []

        def unhook(m: re.Match) -> str:
            moved.append(m.group("id"))
            return m.group("f")
        ex.text = re.sub(r"(?P<f><[A-Z]*F[A-Z]*:\d+>) (?:of|for) (?:the )?(?P<id><ID:\d+>)(?= (?:(?:were|was|is|are|got|gets|"
                         r"be|been|would be|had been) )?(?:to|by|increased|decreased|raised|lowered|reduced|changed|"
                         r"set|went|goes|go|rose|fell|dropped|grew|cut|doubled|halved|up|down|=)\b)", unhook, ex.text)
        if moved:
            ex.text = ex.text.rstrip() + " for " + " and ".join(moved)
        regions = self._if_regions(ex.text)

        def in_if(pos: int) -> bool:
            return any(a <= pos < b for a, b in regions)

        F, N, V = "{F}", "{N}", "{V}"
        inc_words = (r"increase|increased|increasing|increases|raise|raised|raising|raises|add|added|"
                     r"adding|boost|boosted|bump|bumped|grow|grew|up|upped|extend|extended|lengthen|"
                     r"lengthened|plus|higher|more|bigger|larger|longer|greater|extra")
        dec_words = (r"decrease|decreased|decreasing|decreases|reduce|reduced|reducing|reduces|lower|"
                     r"lowered|lowering|cut|cutting|drop|dropped|shorten|shortened|shortening|"
                     r"subtract|subtracted|minus|less|fewer|smaller|shorter|down|decline|declined|fell")
        patterns: list[tuple[str, str, bool]] = [
            # set F to N / make F N
            (r"(?:set|setting|change|changed|changing|make|making|made|put|fix|update|updated|modify|"
             r"modified|alter|altered|move|moved|increase|increased|raise|raised|decrease|decreased|"
             r"lower|lowered|reduce|reduced|bring|brought|switch|switched) (?:the |their |his |her |its )?"
             + F + r" (?:value )?(?:to|=|at|as|into|equal to|to be|to a value of) (?:a |an )?(?:" + N + "|" + V + r")",
             "set", False),
            # F (came) down / up by N, get my F down by N
            (F + r" (?:(?:came|come|comes|coming|went|go|goes|going|got|get|gets|was|were|is|moved|brought|"
             r"comes|would come|would go) )?down by " + N, "decrease", False),
            (F + r" (?:(?:came|come|comes|coming|went|go|goes|going|got|get|gets|was|were|is|moved|brought|"
             r"would come|would go) )?up by " + N, "increase", False),
            # increase F by N
            (r"(?:" + inc_words + r") (?:the |their |his |her |its |in )?" + F + r" (?:by|of) " + N, "increase", False),
            (r"(?:" + dec_words + r") (?:the |their |his |her |its |in )?" + F + r" (?:by|of) " + N, "decrease", False),
            (r"(?:add|added|adding) (?:an extra |another )?" + N + r" (?:to|onto) (?:the |their )?" + F, "increase", False),
            (r"(?:subtract|subtracted|take|took|remove|removed|knock|knocked) (?:off )?" + N
             + r" (?:off |from |off of )(?:the |their )?" + F, "decrease", False),
            # phone shorthand: "glucose +30", "bmi - 5"
            (F + r" (?:\+|plus) " + N + r"(?! (?:<|more|less|or|and <N))", "increase", False),
            (F + r" (?:-|minus) " + N + r"(?! (?:<|more|less|or|and <N))", "decrease", False),
            # indirect: "if I asked for a smaller loan, say 3000", "a bigger amount of 5000"
            (r"(?:a |an |the )?(?P<cmpw>smaller|bigger|larger|lower|higher|shorter|longer|different|other) "
             r"(?P<f><[A-Z]*F[A-Z]*:\d+>)(?: <[A-Z]*F[A-Z]*:\d+>)?(?: instead)? ?,? (?:say |like |for example |e g |of |about |around |maybe |perhaps |let us say |like say )?"
             + N + r"(?! (?:more|less|or|and <N|<))", "cmpset", True),
            # "paid it back over 24 months", "spread the loan over 2 years": the duration is set
            (r"(?:paid|pay|pays|paying|repaid|repay|repays|repaying|spread|spreading|took|take|takes|taking|"
             r"borrowed|borrow|borrowing|ran|run|runs|lasted|last|lasts)(?: (?:it|them|the (?:loan|credit|money)|this|that|back|off|out|"
             r"(?:the |their |his |her |my )?<[A-Z]*F[A-Z]*:\d+>))*"
             r" (?:over|in|for|within|across|during) (?:a period of |a term of )?" + N, "overunit", True),
            (r"(?:a |an )" + N + r" (?=<[A-Z]*F[A-Z]*:\d+>)", "overunit", True),
            # F went up by N / F increased by N
            (F + r" (?:went|goes|go|were|was|is|are|moved|moves|move|went) (?:up|higher) (?:by )?" + N, "increase", False),
            (F + r" (?:went|goes|go|were|was|is|are|moved|moves|move) (?:down|lower) (?:by )?" + N, "decrease", False),
            (F + r" (?:increased|increases|increase|rose|rises|grew|grows|went up|goes up|jumped|"
             r"climbed|were increased|was increased|were raised|was raised|raised|boosted|upped|bumped up|pushed up|lifted) (?:by )?" + N, "increase", False),
            (F + r" (?:decreased|decreases|decrease|fell|falls|dropped|drops|went down|goes down|"
             r"shrank|were decreased|was decreased|were lowered|was lowered|were reduced|was reduced|lowered|reduced|cut|brought down|"
             r"were cut|was cut) (?:by )?" + N, "decrease", False),
            (F + r" (?:dropped|drops|fell|falls|rose|rises|increased|decreased|went up|went down|came down|"
             r"climbed|changed|moved|went|goes|got|was changed|were changed|was set|were set|was reduced|"
             r"was lowered|was raised|were reduced|were lowered|were raised) to " + N, "set", False),
            # F (were) N higher / F an extra N
            (F + r" (?:were |was |is |are |being |that is |got |became )?(?:an? )?" + N
             + r" (?:higher|more|larger|bigger|greater|up|longer|extra|older|heavier)(?! than| then)", "increase", False),
            (F + r" (?:were |was |is |are |being |that is |got |became )?(?:an? )?" + N
             + r" (?:lower|less|smaller|fewer|down|shorter|younger|lighter)(?! than| then)", "decrease", False),
            (F + r" (?:an? )?(?:extra|additional|another|further) " + N, "increase", False),
            # N more F / N fewer F
            (r"(?<!\bor )(?<!\band )" + N + r" (?:more|extra|additional|higher|further|bigger|larger|greater) "
             r"(?:in |of |on )?(?:the |their )?" + F + r"(?! than)", "increase", False),
            (r"(?<!\bor )(?<!\band )" + N + r" (?:less|fewer|lower|smaller) (?:in |of |on )?(?:the |their )?"
             + F + r"(?! than)", "decrease", False),
            (r"(?:an? )?(?:extra|additional|another|further) " + N + r" (?:in |of |on )?(?:the |their )?" + F, "increase", False),
            # N years older (the comparative is itself a feature phrase: older -> age)
            (r"(?<!\bor )" + N + r" (?P<adj><[A-Z]*F[A-Z]*:\d+>)(?! than)", "compadj", False),
            # N more (unit) with no feature: "6 more months"
            (r"(?<!\bor )(?<!\band )" + N + r" (?P<dir>more|extra|additional|less|fewer|longer|shorter|older|younger)(?! than)", "unit", False),
            (r"(?:an? )?(?:extra|additional|another) " + N, "unit+", False),
            # shortened (every loan ...) by N
            (r"(?P<verb>shorten|shortened|lengthen|lengthened|extend|extended|" + inc_words + "|" + dec_words
             + r") (?P<gap>(?:(?!<N:)[^,?.;])*?)by " + N, "verb", False),
            # in an if-clause: F were N, had a F of N, were V, had N F, were N
            (F + r" (?:were|was|is|are|be|being|became|becomes|become|of|at|to|equal to|equals|=|"
             r"changed to|went to|goes to|set to|got|reached|hit|had been|has been|turned) (?:a |an |only |just )?(?:"
             + N + "|" + V + ")", "set", True),
            (r"(?:were|was|had|has|have|be|became|become|becomes|being|got|get|with|having|turned|"
             r"is|are)(?: all| both| each| still| also| instead)* (?P<neg>not |no longer |non |never )?(?:a |an |the )?"
             r"(?:all )?(?:" + V + "|" + F + ")", "setv", True),
            (r"(?<![a-z])(?:<ID:\d+>|they|he|she|we|i|<[A-Z]*E[A-Z]*:\d+>|<W:\d+> and|<W:\d+> ,) (?:instead |also |still |all |both )?(?:had |has |have |was |were |with )?(?:a |an )?(?P<neg>did not |had not |were not |was not |not |never |no )?(?:" + V + r")", "setv", True),
            (r"(?:lost|lose|loses|losing|shed|sheds|dropped|drops|cut) " + N + r" (?:of |in |from )?(?:their |his |her |the )?" + F, "decrease", False),
            (r"(?:gained|gain|gains|gaining|put on|puts on|added|adds) " + N + r" (?:of |in |to )?(?:their |his |her |the )?" + F, "increase", False),
            (r"(?:(?:had|has|have|with|having|got|get|gets)(?: spent| served| done| taken| been given)?|spent|served) (?:only |just |exactly )?(?:" + N + r"|(?P<no>no|zero)) (?:more )?" + F, "setn", True),
            (r"\bit (?:were|was|is|had been|has been|would be|became|went to|goes to|changed to) (?:only |just |exactly )?" + N
             + r"(?! (?:more|less|fewer|extra|or|to|<))", "it", True),
            (r"(?:were|was|is|are|be|became|turned|aged|age|had been|has been|would be) (?:only |just |exactly )?" + N + r"(?: (?P<yo><[A-Z]*F[A-Z]*:\d+>))?(?! (?:more|less|fewer|extra|or|to|<))", "age", True),
            (F + r" (?:code |level |value |number |category |rating |score )?(?:of |at |= |to )?" + N, "set", True),
            (r"(?<![a-z])(?:<ID:\d+>|they|he|she|we|i) (?:(?:[a-z]+|<[A-Z]*F[A-Z]*:\d+>) ){1,5}?(?:a |an |the |their |his |her )?(?P<neg>not |no )?(?:" + V + r")", "setv", True),
            (F + r" (?P<v2><[A-Z]*V[A-Z]*:\d+>)", "setfv", True),
        ]
        # twice: a change joined to an earlier one ("were 30 and rented their home") is found once
        # the earlier one is a placeholder
        for pattern, action, needs_if in patterns + patterns[-9:]:
            rx = expand(pattern)
            pos = 0
            while True:
                m = rx.search(ex.text, pos)
                if m is None:
                    break
                if needs_if and not in_if(m.start()):
                    pos = m.start() + 1
                    continue
                step = self._whatif(ex, m, action)
                if step is None:
                    pos = m.start() + 1
                    continue
                used = {int(g) for k, g in m.groupdict().items() if g is not None and k in
                        ("f", "n", "v", "adj", "v2", "yo") and g.isdigit()}
                used -= self._unuse
                self._unuse = set()
                if m.groupdict().get("adj"):
                    used.add(int(re.search(r"\d+", m.group("adj")).group()))
                if m.groupdict().get("yo"):
                    used.add(int(re.search(r"\d+", m.group("yo")).group()))
                if m.groupdict().get("v2"):
                    used.add(int(re.search(r"\d+", m.group("v2")).group()))
                ex.used |= used
                # keep slots the pattern spanned but did not use (e.g. the group in "shortened
                # every loan for furniture by a year")
                inner = [s for s in re.findall(r"<[A-Z]+:\d+>", m.group(0))
                         if int(re.search(r"\d+", s).group()) not in used and not s.startswith("<ID")]
                keep_ids = re.findall(r"<ID:\d+>", m.group(0))
                lead_w = re.match(r"<W:\d+>", m.group(0))
                if lead_w:
                    keep_ids = [lead_w.group(0)] + keep_ids
                    inner = [x for x in inner if x != lead_w.group(0)]
                found.append((m.start(), step))
                placeholder = " ".join(keep_ids + [f"<W:{len(ex.whatifs) + len(found) - 1}>"] + inner)
                # regions keep their offsets roughly; recompute after substitution
                ex.text = ex.text[:m.start()] + placeholder + ex.text[m.end():]
                regions = self._if_regions(ex.text) or [(m.start(), m.start() + len(placeholder) + 1)]
                if needs_if and not any(a <= m.start() < b for a, b in regions):
                    regions.append((m.start(), m.start() + len(placeholder) + 1))
                pos = m.start() + len(placeholder)
        # order by position of the placeholders in the final string
        order = {int(k): ex.text.find(f"<W:{k}>") for k in re.findall(r"<W:(\d+)>", ex.text)}
        found_sorted = sorted(range(len(found)), key=lambda i: order.get(i, 1 << 30))
        remap = {old: new for new, old in enumerate(found_sorted)}
        ex.text = re.sub(r"<W:(\d+)>", lambda m: f"<W:{remap[int(m.group(1))]}>", ex.text)
        ex.whatifs = [(order.get(i, 0), found[i][1]) for i in found_sorted]
        # the same change said twice ("no savings info, i.e. saving_accounts not_known") is one
        seen, unique = set(), []
        for pos, w in ex.whatifs:
            if (w.feature, w.action, w.value) not in seen:
                seen.add((w.feature, w.action, w.value))
                unique.append((pos, w))
        ex.whatifs = unique

    def _near_words(self, ex: Extraction, m: re.Match) -> set[str]:
        words = set()
        for s in re.findall(r"<[A-Z]*F[A-Z]*:(\d+)>", ex.text):
            words.update(stem(w) for w in ex.slots[int(s)].text.split())
        words.update(stem(w) for w in re.findall(r"[a-z]+", ex.text))
        return words

    def _whatif(self, ex: Extraction, m: re.Match, action: str) -> q.WhatIf | None:
        g = m.groupdict()
        slots = ex.slots
        n = slots[int(g["n"])] if g.get("n") else None
        if n is not None and int(g["n"]) in ex.used:
            return None
        if action in ("increase", "decrease"):
            f = self.feature_of(slots[int(g["f"])], numeric=True) if g.get("f") else None
            if f is None:
                return None
            if n.unit and not self._unit_ok(f, n.unit):
                f = self.by_unit(n.unit, self._near_words(ex, m), self.mention_words(slots[int(g["f"])])) or f
            return q.WhatIf(f, action, self.convert(f, n.value, n.unit))
        if action == "compadj":
            adj = slots[int(re.search(r"\d+", g["adj"]).group())]
            word = adj.text.split()[-1]
            if word not in COMPARATIVES:
                return None
            f = self.feature_of(adj, numeric=True)
            if f is None:
                return None
            direction = COMPARATIVES[word][0]
            return q.WhatIf(f, "increase" if direction == ">" else "decrease", self.convert(f, n.value, n.unit))
        if action in ("unit", "unit+"):
            word = g.get("dir") or "more"
            if word in ("older", "younger"):
                f = self.age
            elif word in ("longer", "shorter") and self.by_dimension(COMPARATIVES[word][1]) and \
                    (n.unit is None or self._unit_ok(self.by_dimension(COMPARATIVES[word][1]), n.unit)):
                f = self.by_dimension(COMPARATIVES[word][1])   # "2 years longer": the loan's duration
            else:
                f = self.by_unit(n.unit, self._near_words(ex, m))
            if f is None:
                if word in ("longer", "shorter"):
                    f = self.by_dimension(COMPARATIVES[word][1])
                if f is None:
                    return None
            up = word in ("more", "extra", "additional", "longer", "older")
            return q.WhatIf(f, "increase" if up else "decrease", self.convert(f, n.value, n.unit))
        if action == "cmpset":
            fslot = slots[int(re.search(r"\d+", g["f"]).group())]
            feats = [m_.feature for m_ in fslot.meanings("feature")
                     if self.schema.features[m_.feature].kind == "numeric"]
            if not feats or n.unit == "times":
                return None
            f = self.feature_of(fslot, numeric=True) or feats[0]
            dims = COMPARATIVES.get(g.get("cmpw") or "", (None, ()))[1]
            by_dim = self.by_dimension(dims) if dims else None
            if by_dim in feats:
                f = by_dim
            if n.unit and not self._unit_ok(f, n.unit):
                f = self.by_unit(n.unit, self._near_words(ex, m)) or f
            return q.WhatIf(f, "set", self.convert(f, n.value, n.unit))
        if action == "overunit":
            if n.unit not in ("year", "month", "week", "day"):
                return None
            f = self.by_dimension(COMPARATIVES["longer"][1])
            if f is None or not self._unit_ok(f, n.unit) or f == self.age:
                f = self.by_unit(n.unit, self._near_words(ex, m))
            if f is None or f == self.age:
                return None
            return q.WhatIf(f, "set", self.convert(f, n.value, n.unit))
        if action == "verb":
            verb = g["verb"]
            gap = g.get("gap") or ""
            up = not re.fullmatch(r"(?:decrease|decreased|decreasing|decreases|reduce|reduced|reducing|"
                                  r"reduces|lower|lowered|lowering|cut|cutting|drop|dropped|shorten|"
                                  r"shortened|shortening|subtract|subtracted|minus|less|fewer|smaller|"
                                  r"shorter|down|decline|declined|fell)", verb)
            f = None
            fs = re.findall(r"<[A-Z]*F[A-Z]*:(\d+)>", gap)
            for s in fs:
                f = self.feature_of(slots[int(s)], numeric=True)
                if f:
                    break
            if verb in LENGTH_VERBS or verb in ("longer", "shorter"):
                dim = self.by_dimension(COMPARATIVES["longer"][1])
                if f is None or (n.unit and not self._unit_ok(f, n.unit)):
                    f = dim or f
            if f is None or (n.unit and not self._unit_ok(f, n.unit)):
                f = self.by_unit(n.unit, self._near_words(ex, m)) or f
            if f is None:
                return None
            return q.WhatIf(f, "increase" if up else "decrease", self.convert(f, n.value, n.unit))
        if action == "set":
            fslot = slots[int(g["f"])]
            if g.get("n"):
                f = self.feature_of(fslot)
                if f is None:
                    return None
                spec = self.schema.features[f]
                value = n.value
                if n.unit == "times":           # "twice the amount" is no value to set
                    return None
                if spec.kind == "flag" and value not in (0, 1):
                    return None
                if spec.kind == "categorical":
                    return None
                if n.unit and not self._unit_ok(f, n.unit):
                    f2 = self.by_unit(n.unit, self._near_words(ex, m), self.mention_words(fslot))
                    if f2:
                        f = f2
                return q.WhatIf(f, "set", self.convert(f, value, n.unit))
            vslot = slots[int(g["v"])]
            fnames = {m_.feature for m_ in fslot.meanings("feature")}
            vals = [m_ for m_ in vslot.meanings("value") if m_.feature in fnames] or vslot.meanings("value")
            if not vals:
                return None
            if fslot.meanings("value"):
                # "all the foreign workers were not foreign workers": the first is who, not what
                self._unuse = {int(g["f"])}
            return q.WhatIf(vals[0].feature, "set", vals[0].value)
        if action == "setfv":
            fslot = slots[int(g["f"])]
            vslot = slots[int(re.search(r"\d+", g["v2"]).group())]
            fnames = {m_.feature for m_ in fslot.meanings("feature")}
            vals = [m_ for m_ in vslot.meanings("value") if m_.feature in fnames]
            if not vals:
                return None
            return q.WhatIf(vals[0].feature, "set", vals[0].value)
        if action == "setv":
            idx = g.get("v") or g.get("f")
            slot = slots[int(idx)]
            neg = bool(g.get("neg"))
            vals = slot.meanings("value")
            if vals:
                mv = max(vals, key=lambda x: x.strength)
                spec = self.schema.features[mv.feature]
                if spec.kind == "flag":
                    value = (1 - mv.value) if neg else mv.value
                    return q.WhatIf(mv.feature, "set", value)
                if neg:
                    return None
                return q.WhatIf(mv.feature, "set", mv.value)
            f = self.feature_of(slot)
            if f and self.schema.features[f].kind == "flag":
                return q.WhatIf(f, "set", 0 if neg else 1)
            return None
        if action == "setn":
            f = self.feature_of(slots[int(g["f"])])
            if f is None:
                return None
            spec = self.schema.features[f]
            if g.get("no"):
                return q.WhatIf(f, "set", 0)
            if spec.kind == "categorical":
                return None
            if spec.kind == "flag" and n.value not in (0, 1):
                return q.WhatIf(f, "set", 1)
            return q.WhatIf(f, "set", self.convert(f, n.value, n.unit))
        if action == "it":
            # "my blood pressure was 50 ... what if it had been 80": the feature named last
            before = re.findall(r"<[A-Z]*F[A-Z]*:(\d+)>", ex.text[:m.start()])
            for idx in reversed(before):
                f = self.feature_of(slots[int(idx)], numeric=True)
                if f is not None:
                    if n.unit and not self._unit_ok(f, n.unit):
                        return None
                    return q.WhatIf(f, "set", self.convert(f, n.value, n.unit))
            return None
        if action == "age":
            f = self.age
            if g.get("yo"):
                yo = slots[int(re.search(r"\d+", g["yo"]).group())]
                f2 = self.feature_of(yo, numeric=True)
                if f2 is None:
                    return None
                f = f2
            if f is None or n.unit not in (None, "year"):
                return None
            spec = self.schema.features[f]
            # "were 200 years old" says its unit: a hypothetical however implausible; a bare
            # "were 500" must be plausible for age to be meant
            said = n.unit == "year" or bool(g.get("yo"))
            if not said and spec.range and not (0 <= n.value <= max(spec.range[1] * 1.5, 120)):
                return None
            return q.WhatIf(f, "set", n.value)
        return None

    # conditions ---------------------------------------------------------------
    def _conditions(self, ex: Extraction) -> None:
        """Numeric comparisons, ranges, decades, flags and categories -> <K:i>."""
        F, N, N2 = "{F}", "{N}", "{N2}"
        found: list[q.Expr] = []

        def emit(m: re.Match, expr: q.Expr, used: list[int]) -> str:
            ex.used.update(used)
            found.append(expr)
            ex.sources[id(expr)] = list(used)
            inner = [s for s in re.findall(r"<[A-Z]+:\d+>", m.group(0))
                     if s.startswith(("<ID", "<W")) or (re.fullmatch(r"<[A-Z]+:(\d+)>", s)
                                                         and not s.startswith(("<K",))
                                                         and int(re.search(r"\d+", s).group()) not in used)]
            inner = [s for s in inner if not s.startswith("<K")]
            return " ".join([f"<K:{len(found) - 1}>"] + inner)

        def numeric_f(idx: str) -> str | None:
            return self.feature_of(ex.slots[int(idx)], numeric=True)

        def cmp_of(word: str, table: dict[str, str]) -> str | None:
            for c, alt in table.items():
                if re.fullmatch(alt, word):
                    return c
            return None

        def value_for(f: str, n: Slot):
            return self.convert(f, n.value, n.unit)

        def context(m: re.Match) -> tuple[set[str], bool]:
            """Words of the two tokens either side, and whether the phrase describes people."""
            before = re.findall(r"<[A-Z]+:\d+>|[^\s]+", ex.text[:m.start()])[-3:]
            after = re.findall(r"<[A-Z]+:\d+>|[^\s]+", ex.text[m.end():])[:2]
            words: set[str] = set()
            for tok in before + after:
                slot = re.fullmatch(r"<[A-Z]*F[A-Z]*:(\d+)>", tok)
                if slot:
                    words.update(stem(w) for w in ex.slots[int(slot.group(1))].text.split())
                elif tok.isalpha():
                    words.add(stem(tok))
            words -= STOP
            people = any(re.fullmatch(r"<[A-Z]*[EV][A-Z]*:\d+>|<K:\d+>|those|these|them|they|who|whom|"
                                      r"ones|men|women|aged|everyone|everybody|anyone|people", t)
                         for t in before[-2:])
            people = people or bool(after and after[0] in ("old", "years", "year"))
            if not people:
                # further back in the same clause ("people who rent and are under 30"): weaker
                clause = re.split(r"[,.;?!]|\bthen\b", ex.text[:m.start()])[-1].split()
                if any(re.fullmatch(r"<[A-Z]*E[A-Z]*:\d+>|who|whom|people|everyone|men|women|those|these|them|they|many", t)
                       for t in clause[:-1]) and re.search(r"\b(?:are|is|were|was|aged)\s*$", ex.text[:m.start()]):
                    people = 0.5
            return words, people

        def phrase_words(m: re.Match, n: Slot) -> set[str]:
            before = re.findall(r"<[A-Z]+:\d+>|[^\s]+", ex.text[:m.start()])[-6:]
            words = set()
            for tok in before + re.findall(r"<[A-Z]+:\d+>|[a-z]+", m.group(0)):
                slot = re.fullmatch(r"<[A-Z]*F[A-Z]*:(\d+)>", tok)
                if slot:
                    words.update(stem(w) for w in ex.slots[int(slot.group(1))].text.split())
                elif tok.isalpha():
                    words.add(stem(tok))
            after = re.findall(r"<[A-Z]+:\d+>|[^\s]+", ex.text[m.end():])
            if after and after[0] in UNIT_WORDS:       # "4+ years"
                words.add(UNIT_WORDS[after[0]])
            for tok in after[:4]:                      # "less than a year at their current job"
                if tok in (",", ".", "?", "and", "or", "but") or tok.startswith("<K"):
                    break
                slot = re.fullmatch(r"<[A-Z]*F[A-Z]*:(\d+)>", tok)
                if slot:
                    words.update(stem(w) for w in ex.slots[int(slot.group(1))].text.split())
                elif tok.isalpha():
                    words.add(stem(tok))
            if n.unit:
                words.add(n.unit)
            return words

        def threshold_reading(m: re.Match, n: Slot) -> str | None:
            cmp_word = re.search(r"more|over|above|greater|least|exceed|\+|longer|older|less|under|below|fewer|"
                                 r"shorter|most|younger", m.group(0))
            cmp = "<" if cmp_word and cmp_word.group(0) in ("less", "under", "below", "fewer", "shorter",
                                                            "most", "younger") else ">"
            words = phrase_words(m, n)
            flag = self.threshold_flag(words, cmp, n.value)
            if flag is None and cmp == "<":
                # "balance below 0" is the negation of the flag "balance >= 0"
                flag = self.threshold_flag(words, ">", n.value)
                if flag is not None and re.search(r"(?:greater|more) or equal|at least", self.schema.features[flag].words):
                    return "neg:" + flag
                flag = None
            return flag

        def pick_feature(m: re.Match, f_idx: str | None, n: Slot) -> str | None:
            f = numeric_f(f_idx) if f_idx else None
            if f_idx and f is None:
                fslot = ex.slots[int(f_idx)]
                flag = self.feature_of(fslot, numeric=False)
                if flag and self.schema.features[flag].kind == "flag":
                    return "flag:" + flag
                return None
            if f is not None and n.unit and not self._unit_ok(f, n.unit):
                f = self.by_unit(n.unit, context(m)[0], self.mention_words(ex.slots[int(f_idx)])) or f
            if f is not None and not n.unit and isinstance(n.value, (int, float)):
                # two readings: the feature the words name, or another feature sharing those words
                # whose values hold the number ("loans under 30": the duration in months, not an
                # amount of 30 when amounts start at 250)
                rng = self.schema.features[f].range
                if rng is not None and not (rng[0] / 2 <= n.value <= rng[1] * 2):
                    mention = self.mention_words(ex.slots[int(f_idx)])
                    alt = [g for g in self.numeric if g != f and mention & self._feature_words(g)
                           and self.schema.features[g].range is not None
                           and self.schema.features[g].range[0] <= n.value <= self.schema.features[g].range[1]]
                    if len(alt) == 1:
                        f = alt[0]
            if f is not None and self.thresholds:
                # two readings: the named numeric feature, or a flag whose name is this very
                # comparison ("at their job 4+ years": the flag of years at the job >= 4, not
                # years at home); the one sharing more words with the phrase wins
                thr = threshold_reading(m, n)
                if thr is not None:
                    words = phrase_words(m, n)
                    name = thr[4:] if thr.startswith("neg:") else thr
                    subject = next(t[0] for t in self.thresholds if t[3] == name)
                    if len(words & subject) > len(words & self._feature_words(f)):
                        return thr if thr.startswith("neg:") else "thr:" + thr
            if f is None and self.thresholds:
                flag = threshold_reading(m, n)
                if flag:
                    return flag if flag.startswith("neg:") else "thr:" + flag
            if f is None:
                f = self.by_unit(n.unit, context(m)[0])
            if f is None:
                words, people = context(m)
                f = self.default_numeric(n.value, words, people)
                if f is not None:
                    ex.guessed.append(f)
            return f

        def make(f: str, cmp: str, n: Slot) -> q.Expr | None:
            if f.startswith("thr:"):
                return q.Cmp(f[4:], "==", 1)
            if f.startswith("neg:"):
                return q.Cmp(f[4:], "==", 0)
            if f.startswith("flag:"):
                flag = f[5:]
                if n.value not in (0, 1) and str(n.value) not in re.findall(r"\d+", flag):
                    return None
                if cmp in (">", ">=") and n.value not in (0, 1) or n.value == 1 and cmp in ("==", ">="):
                    return q.Cmp(flag, "==", 1)
                if n.value == 0 and cmp in ("==", "<="):
                    return q.Cmp(flag, "==", 0)
                return None
            return q.Cmp(f, cmp, value_for(f, n))

        # 4a. a sign: "a positive checking balance" / "balance is negative" -> the flag whose name
        # is "... >= 0" (1 or 0), else the numeric feature compared with 0
        def sign(m: re.Match) -> str:
            idx = int(m.group("f"))
            positive = m.group("s") in ("positive", "non-negative", "nonnegative", "in the black")
            words = ({stem(w) for w in ex.slots[idx].text.split()}
                     | {stem(w) for w in re.findall(r"(?<![<:\w])[a-z]+", m.group(0))}) - STOP
            thr = self.threshold_flag(words, ">", 0)
            if thr is not None:
                return emit(m, q.Cmp(thr, "==", 1 if positive else 0), [idx])
            f = self.feature_of(ex.slots[idx], numeric=True)
            if f is None:
                return m.group(0)
            return emit(m, q.Cmp(f, ">" if positive else "<", 0), [idx])

        sign_w = r"(?P<s>positive|negative|non-negative|nonnegative|in the black|in the red)"
        ex.text = expand(r"(?P<body>)" + sign_w + r" " + F).sub(sign, ex.text)
        ex.text = expand(r"(?P<body>)" + F + r" (?:[a-z]+ )?(?:is |are |was |were |being )" + sign_w).sub(sign, ex.text)

        # 4b. two numeric columns sharing one value: "insulin and skin thickness both 0",
        # "both insulin and skin thickness are 0" -> one equality per column, in the order said
        def shared(m: re.Match) -> str:
            n = ex.slots[int(m.group("n"))]
            fs = [int(m.group("f")), int(m.group("f2"))]
            feats = [self.feature_of(ex.slots[i], numeric=True) for i in fs]
            if None in feats or feats[0] == feats[1] or n.unit:
                return m.group(0)
            return emit(m, q.And(tuple(q.Cmp(f, "==", n.value) for f in feats)), fs + [int(m.group("n"))])

        ex.text = expand(r"(?P<body>)(?:both )?" + F + r" (?:and|&) (?:the |their )?{F2} (?:(?:are|were|is|both|all|"
                         r"recorded|listed|coded|reported|entered|given|set|as|at|to|of|equal to|equals|=|==|exactly)"
                         r" )*" + N + r"(?! (?:to|and|or|<[A-Z]*F))").sub(shared, ex.text)

        # 1. ranges: between A and B, from A to B, A to B
        def between(m: re.Match) -> str:
            n1, n2 = ex.slots[int(m.group("n"))], ex.slots[int(m.group("n2"))]
            if n1.unit is None and n2.unit:
                n1.unit = n2.unit
            f_idx = m.groupdict().get("f")
            f = pick_feature(m, f_idx, n2)
            if f is None or f.startswith(("flag:", "thr:", "neg:")):
                return m.group(0)
            lo, hi = sorted([value_for(f, n1), value_for(f, n2)])
            used = [int(m.group("n")), int(m.group("n2"))] + ([int(f_idx)] if f_idx else [])
            return emit(m, q.And((q.Cmp(f, ">=", lo), q.Cmp(f, "<=", hi))), used)

        for pat in (F + r" " + FILL + r"(?P<body>)(?:between|from) " + N + r" (?:and|to|-) " + N2,
                    r"(?P<body>)(?:between|from) " + N + r" (?:and|to|-) " + N2 + r" (?:" + FILL + ")?" + F,
                    r"(?P<body>)(?:aged |age |ages )?between " + N + r" (?:and|to) " + N2,
                    r"(?P<body>)(?:aged |age |ages )?from " + N + r" to " + N2,
                    r"(?P<body>)" + N + r" to " + N2 + r" " + F,
                    F + r" (?P<body>)" + N + r" to " + N2):
            ex.text = expand(pat).sub(between, ex.text)

        # 2. decades: in their 30s
        def decade(m: re.Match) -> str:
            n = ex.slots[int(m.group("n"))]
            f_idx = m.groupdict().get("f")
            f = numeric_f(f_idx) if f_idx else self.age
            if f is None or not isinstance(n.value, int) or n.value % 10:
                return m.group(0)
            used = [int(m.group("n"))] + ([int(f_idx)] if f_idx else [])
            return emit(m, q.And((q.Cmp(f, ">=", n.value), q.Cmp(f, "<", n.value + 10))), used)

        for pat in (r"(?P<body>)(?:in |during )?(?:their|the|his|her|early|late|mid) " + N + r" s\b",
                    r"(?P<body>)(?:aged |in )" + N + r" s\b",
                    F + r" (?:in the |of )?(?P<body>)" + N + r" s\b"):
            ex.text = expand(pat).sub(decade, ex.text)

        # 3. comparisons with a feature, either side
        pre_alt = "|".join(f"(?:{p})" for p in PRE.values())
        post_alt = "|".join(f"(?:{p})" for p in POST.values())

        def comparison(m: re.Match) -> str:
            n = ex.slots[int(m.group("n"))]
            word = m.group("c")
            cmp = cmp_of(word, PRE) if m.groupdict().get("kind") != "post" else cmp_of(word, POST)
            if cmp is None:
                return m.group(0)
            if m.groupdict().get("neg"):
                cmp = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}[cmp]
            f_idx = m.groupdict().get("f")
            f = pick_feature(m, f_idx, n)
            if f is None:
                return m.group(0)
            expr = make(f, cmp, n)
            if expr is None:
                return m.group(0)
            used = [int(m.group("n"))] + ([int(f_idx)] if f_idx else [])
            return emit(m, expr, used)

        for pat, kind in (
            (F + r" " + FILL + r"(?P<body>)(?P<neg>not |isn't |is not )?(?P<c>" + pre_alt + r") (?:a |an )?" + N, "pre"),
            (F + r" " + FILL + r"(?P<body>)" + N + r" (?P<c>" + post_alt + r")", "post"),
            (r"(?P<body>)(?P<c>" + pre_alt + r") " + N + r" (?:" + FILL + r")?" + F, "pre"),
            (r"(?P<body>)" + N + r" (?P<c>" + post_alt + r") (?:" + FILL + r")?" + F, "post"),
        ):
            rx = expand(pat)
            ex.text = rx.sub(lambda m, k=kind: comparison(_tag(m, k)), ex.text)

        # comparative feature phrases: "older than 40", "younger than 25"
        def comparative(m: re.Match) -> str:
            fs = ex.slots[int(m.group("f"))]
            word = fs.text.split()[-1]
            if word not in COMPARATIVES:
                return m.group(0)
            f = self.feature_of(fs, numeric=True)
            n = ex.slots[int(m.group("n"))]
            if f is None:
                return m.group(0)
            cmp = COMPARATIVES[word][0]
            if m.group("post"):
                cmp = ">=" if cmp == ">" else "<="
            elif m.group("orpost"):
                cmp = {">": ">=", "<": "<="}[cmp] if m.group("orpost") else cmp
            return emit(m, q.Cmp(f, cmp, value_for(f, n)), [int(m.group("f")), int(m.group("n"))])

        ex.text = expand(r"(?P<body>)" + F + r" (?:than|then) " + N + r"(?P<post>)(?P<orpost>)").sub(comparative, ex.text)
        ex.text = expand(r"(?P<body>)" + N + r" (?:or|and) " + F + r"(?P<post>)(?P<orpost>)").sub(
            lambda m: comparative(_orpost(m)), ex.text)

        # 4. comparisons with no feature: "defendants over 70", "or above 100" (after a condition)
        def bare(m: re.Match, kind: str) -> str:
            n = ex.slots[int(m.group("n"))]
            word = m.group("c")
            cmp = cmp_of(word, PRE) if kind == "pre" else cmp_of(word, POST)
            if cmp is None or cmp in ("==",) and kind == "pre" and word in ("=", "=="):
                return m.group(0)
            prev = re.findall(r"<K:(\d+)>", ex.text[:m.start()])
            f = None
            if prev and re.search(r"<K:\d+> (?:or|and|,|but) (?:(?:also|not|either) )?$", ex.text[:m.start()]):
                last = found[int(prev[-1])]
                leaf = last if isinstance(last, q.Cmp) else (last.items[0] if isinstance(last, (q.And, q.Or))
                                                             and isinstance(last.items[0], q.Cmp) else None)
                if leaf is not None and leaf.feature in self.numeric:
                    f = leaf.feature
            if f is None:
                f = pick_feature(m, None, n)
            if f is None:
                return m.group(0)
            expr = make(f, cmp, n)
            if expr is None:
                return m.group(0)
            return emit(m, expr, [int(m.group("n"))])

        ex.text = expand(r"(?P<body>)(?P<c>" + pre_alt + r") " + N + r"(?! <[A-Z]*F)").sub(
            lambda m: bare(m, "pre"), ex.text)
        ex.text = expand(r"(?P<body>)" + N + r" (?P<c>" + post_alt + r")").sub(lambda m: bare(m, "post"), ex.text)

        # 5. equality: "aged 45", "60 years old", "with 4 priors", "no priors", "BMI of 28"
        def equal(m: re.Match) -> str:
            n_idx = m.groupdict().get("n")
            f_idx = m.group("f")
            fslot = ex.slots[int(f_idx)]
            if m.groupdict().get("no"):
                f = self.feature_of(fslot)
                if f is None:
                    return m.group(0)
                spec = self.schema.features[f]
                if spec.kind == "categorical":
                    return m.group(0)
                return emit(m, q.Cmp(f, "==", 0), [int(f_idx)])
            n = ex.slots[int(n_idx)]
            f = self.feature_of(fslot, numeric=True)
            if f is None:
                flag = self.feature_of(fslot, numeric=False)
                if flag and self.schema.features[flag].kind == "flag" and n.value in (0, 1):
                    return emit(m, q.Cmp(flag, "==", n.value), [int(f_idx), int(n_idx)])
                return m.group(0)
            if n.unit and not self._unit_ok(f, n.unit):
                return m.group(0)
            return emit(m, q.Cmp(f, "==", value_for(f, n)), [int(f_idx), int(n_idx)])

        for pat in (r"(?P<body>)(?P<no>no|zero|without any|without) (?:prior |previous )?" + F,
                    F + r" (?:(?:code|level|value|category|rating|score|class) )?(?:(?:is|are|was|were|of|at|equal to|equals|=|==|exactly|is exactly|of exactly|"
                    r"is equal to|(?:(?:is|are|was|were|both|all) )*(?:recorded|listed|coded|reported|entered|given|set) (?:as|at|to)) )?(?P<body>)" + N + r"(?! (?:to|and|or|<[A-Z]*F))",
                    r"(?P<body>)(?:with |having |have |has |had |who have |who has |of |exactly )?" + N + r" " + F):
            ex.text = expand(pat).sub(equal, ex.text)

        # 6. values: flags and categories ("renters", "no missed payments", "not women")
        def value(m: re.Match) -> str:
            idx = int(m.group("v"))
            slot = ex.slots[idx]
            vals = slot.meanings("value")
            if not vals:
                return m.group(0)
            # a value named next to its own feature ("housing rent") is that feature's
            mv = max(vals, key=lambda x: x.strength)
            neg = bool(m.groupdict().get("neg"))
            spec = self.schema.features[mv.feature]
            if spec.kind == "flag":
                expr = q.Cmp(mv.feature, "==", (1 - mv.value) if neg else mv.value)
            else:
                expr = q.Cmp(mv.feature, "!=" if neg else "==", mv.value)
            return emit(m, expr, [idx])

        def value_with_feature(m: re.Match) -> str:
            vi, fi = int(m.group("v")), int(m.group("f"))
            feats = {mn.feature for mn in ex.slots[fi].meanings("feature")}
            vals = [mn for mn in ex.slots[vi].meanings("value") if mn.feature in feats]
            if not vals or fi in ex.used or vi in ex.used:
                return m.group(0)
            mv = max(vals, key=lambda x: x.strength)
            neg = bool(m.groupdict().get("neg"))
            if self.schema.features[mv.feature].kind == "flag":
                expr = q.Cmp(mv.feature, "==", (1 - mv.value) if neg else mv.value)
            else:
                expr = q.Cmp(mv.feature, "!=" if neg else "==", mv.value)
            return emit(m, expr, [vi, fi])

        # "little checking account", "checking account is moderate": the value of that feature
        ex.text = expand(r"(?P<body>)" + F + r" (?:is |are |was |were |of |= |: |status )?(?P<neg>not |other than |anything but |anything other than |"
                         r"different from |apart from |except )?(?:a |an )?{V}").sub(
            value_with_feature, ex.text)
        ex.text = expand(r"(?P<body>)(?P<neg>not |no )?{V} (?:in |of |for )?(?:the |their |a |an )?" + F).sub(
            value_with_feature, ex.text)
        ex.text = expand(r"(?P<body>)(?:(?P<neg>(?:who |that |which )?(?:are |is |were |was |do |does |did )?"
                         + NEG + r" (?:a |an |any )?|not a |non-?))?" + "{V}").sub(value, ex.text)

        # a flag named as a feature after with/without: "with a guarantor", "without telephone"
        def flag_feature(m: re.Match) -> str:
            idx = int(m.group("f"))
            f = self.feature_of(ex.slots[idx], numeric=False)
            if not f or self.schema.features[f].kind != "flag":
                return m.group(0)
            neg = m.group("w") in ("without", "no", "not having", "lacking", "who lack", "with no")
            if m.group("w") in ("have", "has") and not re.search(r"(?:<[A-Z]*E[A-Z]*:\d+>|<K:\d+>|who|that|many|they) $",
                                                                ex.text[:m.start()]):
                return m.group(0)
            return emit(m, q.Cmp(f, "==", 0 if neg else 1), [idx])

        ex.text = expand(r"(?P<body>)(?P<w>with no|without|with|having|not having|lacking|who lack|"
                         r"who have|who has|that have|that has|have|has|no) (?:a |an |any )?" + F).sub(flag_feature, ex.text)

        # how conditions are joined, in order
        ex.conditions = []
        for k in re.finditer(r"<K:(\d+)>", ex.text):
            ex.conditions.append((k.start(), found[int(k.group(1))]))
        counter = iter(range(len(ex.conditions)))
        ex.text = re.sub(r"<K:\d+>", lambda m: f"<K:{next(counter)}>", ex.text)
        ex.joins = {}
        ks = list(re.finditer(r"<K:(\d+)>", ex.text))
        for a, b in zip(ks, ks[1:]):
            between_text = ex.text[a.end():b.start()]
            ex.joins[b.start()] = "or" if re.search(r"\bor\b|\beither\b", between_text) and len(between_text) < 40 \
                and not re.search(r"<(?:ID|W):", between_text) else "and"


def _tag(m: re.Match, kind: str) -> re.Match:
    class Tagged:
        def __init__(self, m):
            self._m = m

        def __getattr__(self, name):
            return getattr(self._m, name)

        def groupdict(self):
            d = dict(self._m.groupdict())
            d["kind"] = kind
            return d

    return Tagged(m)  # type: ignore[return-value]


def _orpost(m: re.Match) -> re.Match:
    class Tagged:
        def __init__(self, m):
            self._m = m

        def __getattr__(self, name):
            return getattr(self._m, name)

        def group(self, name=0):
            if name == "post":
                return "x"
            if name == "orpost":
                return None
            return self._m.group(name)

    return Tagged(m)  # type: ignore[return-value]
