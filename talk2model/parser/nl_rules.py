"""The natural-language parser: a plain question -> a query (or choices, or a helpful message).

    tokens    normalise (case, unicode, contractions, numbers in words) and correct typos
              against the workspace's vocabulary and the parser's own words
    slots     the workspace lexicon (from the schema) marks features, values, classes, nouns
    spans     ids, what-ifs and conditions become placeholders (extract.py)
    ops       operation cues over what is left (intents.py); the sentence model (classifier.py)
              answers when no rule does, and decides between close readings
    query     canonical order: previous_filter, one filter, what-ifs, operations as asked

Nothing here is specific to a data set: a new workspace brings its schema and is parsed at once.
"""

from __future__ import annotations

import re
from typing import Any

from talk2model.errors import QueryError
from talk2model.parser.base import Choice, Parse
from talk2model.parser.extract import Extraction, Extractor
from talk2model.parser.intents import CUES, METRIC_WORDS, PREVIOUS, Cue, clauses, detect
from talk2model.parser.lexicon import Lexicon, Speller, Splitter, stem
from talk2model.parser.normalize import tokenize
from talk2model.query import ast as q

INSTANCE_OPS = {"predict", "likelihood", "explain", "counterfactual", "labels", "show"}
PRED_CUE = (r"(?:predicted|predicts|predict|prediction|classified|classed|categori[sz]ed|rated|rates|rate|"
            r"flagged|flags|flag|judged|judges|deemed|considered|scored|marked|labell?ed by the model|"
            r"thought|thinks|expected|expects|says|said|calls|called|sees|seen|assessed|forecast|"
            r"projected|estimated|guessed|model)")
LABEL_CUE = (r"(?:actually|really|truly|in reality|in fact|in truth|genuinely|the data says|data says|labell?ed|"
             r"(?:true|actual|real|correct|observed|recorded|known|ground truth) (?:label|class|outcome|result|diagnosis|status|value)s? (?:is|are|was|were|says?|of)|"
             r"according to the data|turned out|truth is|true (?:label|class|outcome)s? (?:is|are|was|were|says?)|"
             r"labels? (?:is|are|say|says)|in the data|were in fact|are in fact|historically|"
             r"(?:who|that) (?:have|has|had))")
SHARE = re.compile(r"(?:\b(?:percent(?:age)?s?|fraction|share|proportion|ratio|portion|part|per ?cent)|%)"
                   r" (?:of|among|amongst|within|in)\b(?! (?:the )?(?:time|variance|predictions?|errors?|mistakes?)\b)")
SHARE_REPLACES = {"show", "count", "statistic", "predict", "labels", "likelihood"}
MULT = re.compile(r"\b(?:doubl(?:e|ed|es|ing)|tripl(?:e|ed|es|ing)|quadrupl(?:e|ed|es|ing)|halv(?:e|ed|es|ing)|"
                  r"half|\d+(?:\.\d+)? times (?:as|more|bigger|larger|higher|longer|greater|the|their|its|his|her|less|smaller)|"
                  r"(?:by|of) \d+(?:\.\d+)? ?(?:percent|%))(?= |$)")
WHATIF_CONTEXT = re.compile(r"\b(?:if|suppose|supposing|imagine|assuming|assume|were|had|would|increas\w*|decreas\w*|"
                            r"rais\w*|lower\w*|reduc\w*|cut|doubl\w*|halv\w*|tripl\w*|mak\w*|made|chang\w*|grow\w*|"
                            r"grew|shrink\w*|shrank|drop\w*|boost\w*)\b")


def _factor(word: str) -> float | None:
    if word.startswith("doubl"):
        return 2.0
    if word.startswith("tripl"):
        return 3.0
    if word.startswith("quadrupl"):
        return 4.0
    if word.startswith(("halv", "half")):
        return 0.5
    m = re.match(r"(\d+(?:\.\d+)?) times", word)
    if m:
        f = float(m.group(1))
        return f if not re.search(r"less|smaller", word) else (1 / f if f else None)
    return None


def _mask(expr: q.Expr, data):
    """Rows of the data a condition on data columns selects (None when it names others)."""
    if isinstance(expr, q.Cmp):
        if expr.feature not in data.columns:
            return None
        col = data[expr.feature]
        try:
            return {"==": col == expr.value, "!=": col != expr.value, ">": col > expr.value,
                    ">=": col >= expr.value, "<": col < expr.value, "<=": col <= expr.value}[expr.cmp]
        except TypeError:
            return None
    if isinstance(expr, (q.And, q.Or)):
        masks = [_mask(e, data) for e in expr.items]
        if any(m is None for m in masks):
            return None
        out = masks[0]
        for m in masks[1:]:
            out = (out & m) if isinstance(expr, q.And) else (out | m)
        return out
    return None


def _disjoint(a: q.Expr, b: q.Expr, data) -> bool:
    if len(_features_of(a) | _features_of(b)) != 1:
        return False          # different columns may just happen not to meet in a small sample
    ma, mb = _mask(a, data), _mask(b, data)
    if ma is None or mb is None:
        return False
    return bool(ma.any()) and bool(mb.any()) and not bool((ma & mb).any())


def _features_of(expr: q.Expr) -> set[str]:
    if isinstance(expr, q.Cmp):
        return {expr.feature}
    if isinstance(expr, q.Not):
        return _features_of(expr.item)
    out: set[str] = set()
    for e in getattr(expr, "items", ()):
        out |= _features_of(e)
    return out


# rule 14: "is age more important than duration", "does X matter more than Y", "X vs Y importance"
IMPORTANCE_COMPARE = re.compile(
    r"\b(?:more|less|as|equally) (?:important|influential|predictive|relevant|significant|decisive|useful)(?: \w+)? (?:than|as|compared (?:to|with))\b|"
    r"\b(?:matters?|mattered|counts?|weighs?) (?:\w+ )?(?:more|less) (?:than|compared)\b|"
    r"\b(?:more|less|bigger|greater|smaller|larger|stronger|weaker) (?:influence|impact|effect|weight|importance|role|say) (?:\w+ ){0,3}?(?:than|compared (?:to|with))\b|"
    r"\boutweighs?\b|\b(?:importance|important|influential) (?:of )?<[A-Z]*F[A-Z]*:\d+> (?:vs\.?|versus|compared (?:to|with)|or|against) |"
    r"<[A-Z]*F[A-Z]*:\d+> (?:vs\.?|versus|or) <[A-Z]*F[A-Z]*:\d+>[^.?!]*\b(?:more|most) (?:important|influential)|"
    r"\b(?:more|most) (?:important|influential)\W* <[A-Z]*F[A-Z]*:\d+> (?:or|vs\.?|versus) <|"
    r"\b(?:matters?|counts?|weighs?) (?:the )?more\b[^.?!]*<[A-Z]*F[A-Z]*:\d+> (?:or|vs\.?|versus) (?:the )?<")
# rule 15: "would applicant 12's decision change if their sex were different?" -> bias on one row
FLIP = re.compile(
    r"\b(?:their|his|her|its|the|my|<ID:\d+>(?: s)?|(?:the |this |that )?<[A-Z]*E[A-Z]*:\d+>(?: s)?) (?P<f><[A-Z]*F[A-Z]*:\d+>) (?:(?:were|was|is|had been|been|being|became|got) )?"
    r"(?:different|differed|other|changed|switched|flipped|reversed|swapped|the opposite|otherwise)\b|"
    r"\b(?:a |an |the )?(?:different|other|opposite|another) (?P<g><[A-Z]*F[A-Z]*:\d+>)|"
    r"\b(?:chang\w*|switch\w*|flip\w*|swap\w*|revers\w*) (?:their |his |her |its |the )?(?P<h><[A-Z]*F[A-Z]*:\d+>)(?= *(?:$|[?.,;!]|would|will|does|do|and|,))")
FLIP_CUE = re.compile(r"\b(?:change|changes|changed|differ|different|flip|flips|flipped|same|affect|alter|switch)\b|<W:")

COMPARE = re.compile(r"\bcompar\w*\b|\bdifferen(?:t|ce|ces|tly)\b (?:\S+ ){0,4}(?:for|between|from|than|across)|"
                     r"\b(?:predictions?|outcomes?|decisions?|results?|rates?) (?:\S+ ){0,4}(?:vs\.?|versus)\b|\b(?:same|different) (?:predictions?|outcomes?|decisions?|results?|treatment)\b|"
                     r"\bdiffer\b")

EXCEPT = re.compile(r"\b(?:except(?: for)?|excluding|apart from|aside from|with the exception of|not counting|leaving out|"
                    r"(?:(?<=\beveryone )|(?<=\beverybody )|(?<=\banyone )|(?<=\banybody )|(?<=\ball ))but(?: not)?)\b")
EXCEPT_MARK = "xexceptx"
SINGLE_ADJ = {"most", "feature", "factor", "variable", "predictor", "attribute", "column", "driver", "biggest",
              "largest", "greatest", "strongest", "best", "top", "main", "key", "reason", "thing", "one",
              "row", "case", "instance", "prediction", "value", "number"}

FILLER = r"(?:(?:to|as|be|being|is|are|was|were|will|would|a|an|them|they|it|the|by the model|have|has|had|still)\s)*"


class NaturalLanguageParser:
    """Plain English -> `Parse`, for any workspace, from its schema alone."""

    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.schema = workspace.schema
        self.lexicon = Lexicon.build(self.schema)
        try:
            ids = frozenset(int(i) for i in workspace.data.index)
        except (TypeError, ValueError):
            ids = frozenset()
        self.ids = ids
        self.extractor = Extractor(self.schema, self.lexicon, ids)
        joined = {re.sub(r"[^a-z]", "", name.lower()) for name in self.schema.features}
        self.speller = Speller(self.lexicon.words | _op_words() | {w for w in joined if len(w) >= 8})
        self.splitter = Splitter(self.lexicon.words)
        self._classifier = None
        _warm_classifier()

    # ------------------------------------------------------------------ public
    def parse(self, question: str, state=None) -> Parse:
        try:
            return self._parse(question, state)
        except QueryError as exc:   # a reading the query language refuses: say so, never a traceback
            return Parse(message=f"I could not turn that into a query: {exc}", source="nl")
        except (IndexError, KeyError, ValueError, TypeError, AttributeError):
            # a reading the rules could not finish: the asker gets the examples, not a traceback
            return self._gibberish()

    @property
    def classifier(self):
        if self._classifier is None:
            from talk2model.parser.classifier import IntentClassifier

            self._classifier = IntentClassifier.shared()
        return self._classifier

    # ------------------------------------------------------------------ internals
    def _parse(self, question: str, state) -> Parse:
        raw = [p for t in tokenize(question) for p in self._split(t)]
        # a misspelt column name written as one word is corrected, then split ("loandurattion")
        tokens = [p for t in raw for p in self._split(self.speller.correct(t))]
        # "the single most important feature": an adjective, not the marital-status value
        tokens = [t for i, t in enumerate(tokens)
                  if not (t == "single" and i + 1 < len(tokens) and tokens[i + 1] in SINGLE_ADJ)]
        if not any(t.isalnum() for t in tokens):
            return self._gibberish()
        known = self.speller.known
        if not any(t in known or t.isdigit() or t in self.lexicon.words for t in tokens if t.isalnum()):
            return self._gibberish()
        ex = self._except(tokens) or self.extractor.extract(tokens)
        self._class_filters(ex)
        text = ex.text
        cues = detect(text)
        reading = _Reading(self, ex, cues, tokens)
        return reading.build()

    def _split(self, token: str) -> list[str]:
        """A column name written as one word, maybe ending in digits ('loanduration',
        'checkingaccountbalancegreaterorequalto0'), as the workspace's words."""
        m = re.fullmatch(r"([a-z]+?)(\d+)", token)
        head, tail = (m.group(1), [m.group(2)]) if m else (token, [])
        parts = self.splitter.split(head)
        return parts + tail if parts else [token]

    def _except(self, tokens: list[str]) -> Extraction | None:
        """'everyone except women over 60': the exception is the whole group, so the filter is
        the negation of all its conditions together (a single condition is negated as usual)."""
        joined = " ".join(tokens)
        m = EXCEPT.search(joined)
        if m is None:
            return None
        marked = (joined[:m.start()] + " " + EXCEPT_MARK + " " + joined[m.end():]).split()
        ex = self.extractor.extract(marked)
        at = ex.text.find(EXCEPT_MARK)
        if at < 0:
            return None
        tail = ex.text[at + len(EXCEPT_MARK):]
        stop = re.search(r"[,;?.!]|(?<![A-Z]):|\b(?:what|how|why|which|show|give|tell|list|explain|can|could|please|is the|are the|"
                         r"and (?:what|how|why|show|which))\b", tail)
        region = tail[: stop.start()] if stop else tail
        ks = list(re.finditer(r"<K:(\d+)>", region))
        if not ks or re.search(r"<(?:ID|W):", region):
            return None
        if len(ks) == 1:
            # one group: a flag or a category said with "but" is negated as rule 6 says
            k = int(ks[0].group(1))
            pos, expr = ex.conditions[k]
            if not isinstance(expr, q.Cmp) or expr.cmp != "==" or expr.feature not in self.schema.features:
                return None
            kind = self.schema.features[expr.feature].kind
            if kind == "flag" and expr.value in (0, 1):
                neg = q.Cmp(expr.feature, "==", 1 - expr.value)
            elif kind == "categorical":
                neg = q.Cmp(expr.feature, "!=", expr.value)
            else:
                return None
            ex.sources[id(neg)] = ex.sources.get(id(expr), [])
            ex.conditions[k] = (pos, neg)
            ex.text = ex.text.replace(EXCEPT_MARK, "except")
            return ex
        items = tuple(ex.conditions[int(k.group(1))][1] for k in ks)
        joiner = q.Or if re.search(r"\bor\b", region[ks[0].end():ks[-1].start()]) else q.And
        negated = q.Not(joiner(items))
        start = at + len(EXCEPT_MARK) + ks[0].start()
        end = at + len(EXCEPT_MARK) + ks[-1].end()
        first = int(ks[0].group(1))
        ex.text = ex.text[:start] + f"<K:{first}>" + ex.text[end:]
        ex.conditions[first] = (ex.conditions[first][0], negated)
        ex.sources[id(negated)] = []
        # renumber the conditions left, in text order
        order = [int(k.group(1)) for k in re.finditer(r"<K:(\d+)>", ex.text)]
        remap = {old: new for new, old in enumerate(order)}
        ex.text = re.sub(r"<K:(\d+)>", lambda mm: f"<K:{remap[int(mm.group(1))]}>", ex.text)
        ex.text = ex.text.replace(EXCEPT_MARK, "except")
        ex.conditions = [(mm.start(), ex.conditions[order[i]][1])
                         for i, mm in enumerate(re.finditer(r"<K:\d+>", ex.text))]
        ks2 = list(re.finditer(r"<K:\d+>", ex.text))
        ex.joins = {b.start(): ("or" if re.search(r"\bor\b", ex.text[a.end():b.start()]) and b.start() - a.end() < 40
                                else "and") for a, b in zip(ks2, ks2[1:])}
        return ex

    def _class_filters(self, ex: Extraction) -> None:
        """Class phrases that select rows: 'predicted likely to reoffend' -> prediction == 0,
        'who actually have diabetes' -> label == 1. With an id, a class phrase only describes."""
        if ex.ids or any(s.kind == "N" and isinstance(s.value, int) and s.unit is None and s.value in self.ids
                         and s.value >= 10 and i not in ex.used for i, s in enumerate(ex.slots)):
            return
        if PREVIOUS.search(ex.text) and re.search(r"\bwhy\b|\bhow come\b", ex.text) and not ex.conditions:
            return      # "why were those people rejected?": the class describes the question
        C = r"<[A-Z]*C[A-Z]*:(?P<c>\d+)>"
        found = []
        # a class that is the goal or the subject of the question selects no rows: "what would
        # they need to change to get approved", "the probability of diabetes", "rules to predict
        # diabetes", "the diabetes model"
        hidden: dict[str, str] = {}

        def hide(m: re.Match) -> str:
            key = f"<G:{len(hidden)}>"
            hidden[key] = m.group("cls")
            ex.used.add(int(m.group("c")))
            return m.group(0)[: m.start("cls") - m.start(0)] + key
        CLS = r"(?P<cls><[A-Z]*C[A-Z]*:(?P<c>\d+)>)"
        goal = []
        if re.search(r"\b(?:change|changes|changed|differ|different|flip|improve|do|counterfactual|need|needs|take)\b", ex.text):
            goal.append(r"\bto (?:get|be|become|turn|end up|receive|obtain|have|make it)(?: (?:predicted|classified|rated|labell?ed|"
                        r"considered|flagged|seen|deemed|marked))?(?: as)? (?:a |an )?(?:(?:not|no longer) )?" + CLS)
        goal += [r"\b(?:probabilit(?:y|ies)|chances?|odds|likelihood|percent(?:age)? chance|confidence) (?:of|for|that (?:they|it|he|she) (?:are|is|will be|have|has)) "
                 r"(?:(?:being|having|getting|developing|a|an|the) )*" + CLS + r"(?! (?:<|who|that|with|among|and <))",
                 r"\b(?:to|for|when|in) predict(?:ing)? (?:whether (?:\w+ ){0,3})?(?:a |an )?" + CLS + r"(?= *(?:$|[?.,;!]|and|or))",
                 r"\b(?:the |this |your |a )" + CLS + r" (?=(?:model|classifier|predictor|prediction model)\b)"]
        for rx in goal:
            ex.text = re.sub(rx, hide, ex.text)
        # the share of an outcome: "what fraction would be predicted good risk", "the approval
        # rate", "the share predicted as bad risk": the class is what is measured (rule 13), no filter
        share_rx = (r"\b(?:percent(?:age)?s?|fraction|share|proportion|ratio|portion|rate|%)\b(?P<gap>(?: (?!<)[a-z]+){0,6}?) " + CLS,
                    CLS + r" (?P<gap>)(?:rates?|share|percentage|ratio|proportion)\b")
        for rx in share_rx:
            m = re.search(rx, ex.text)
            if m is None or ex.ids:
                continue
            after = ex.text[m.end():m.end() + 30]
            labelled = re.search(LABEL_CUE, m.group("gap")) and not re.search(r"\b(?:model|classifier)\b", after + m.group("gap"))
            ex.share_of = "target" if labelled else "prediction"
            ex.text = ex.text[:m.start()] + re.sub(rx, hide, m.group(0)) + ex.text[m.end():]
            break

        said: dict[int, Any] = {}      # the class as named, before a negation flipped it

        def value_of(idx: str):
            slot = ex.slots[int(idx)]
            m = slot.span.first("class") if slot.span else None
            return None if m is None else m.value

        def repl(kind: str):
            def inner(m: re.Match) -> str:
                v = value_of(m.group("c"))
                if v is None:
                    return m.group(0)
                neg = bool(m.groupdict().get("neg")) != bool(m.groupdict().get("neg0"))
                ex.used.add(int(m.group("c")))
                said[len(found)] = v
                others = [c for c in self.schema.classes if c != v]
                if neg and len(others) == 1:      # "not likely to reoffend" is the other class
                    v, neg = others[0], False
                expr = q.Cmp(kind, "!=" if neg else "==", v)
                found.append(expr)
                keep = re.findall(r"<(?:ID|W|K|[A-Z]*E[A-Z]*):\d+>", m.group(0))
                keep = [k for k in keep if f":{m.group('c')}>" not in k]
                return " ".join([f"<K:{100 + len(found) - 1}>"] + keep)
            return inner

        text = ex.text
        NEG0 = r"(?P<neg0>(?:do |does |did |are |is |were |was |who |that )?(?:not|never) )?"
        text = re.sub(C + r" (?:prediction|rating|classification|verdict|label from the model)s?\b", repl("prediction"), text)
        text = re.sub(NEG0 + LABEL_CUE + r" " + FILLER + r"(?P<neg>not )?" + FILLER + C, repl("label"), text)
        text = re.sub(NEG0 + PRED_CUE + r" " + FILLER + r"(?P<neg>not )?" + FILLER + C, repl("prediction"), text)
        text = re.sub(r"(?:model|classifier|system|algorithm|it) (?:\w+ ){0,2}" + C, repl("prediction"), text)
        text = re.sub(C + r" (?:by|according to|per) the (?:model|classifier)", repl("prediction"), text)
        text = re.sub(C + r" (?:(?:according to|in|per|based on) the (?:data|labels?|ground truth|true (?:labels?|outcomes?|classes)|"
                      r"records?|actual (?:labels?|outcomes?))|in reality|in fact|in truth|for real)", repl("label"), text)
        text = re.sub(r"(?P<pre>\b(?:for|among|of|on|about) (?:the |all |those |these )?)" + C + r"(?= *(?:$|[?.,;]|and|or|<))",
                      lambda m: m.group("pre") + repl("prediction")(m), text)
        # a class named by one of its distinctive words after a cue: "were actually good"
        words = self._class_words()
        if words:
            alt = "|".join(sorted(words, key=len, reverse=True))

            def by_word(kind: str):
                def inner(m: re.Match) -> str:
                    v = words[m.group("w")]
                    said[len(found)] = v
                    neg = bool(m.groupdict().get("neg")) != bool(m.groupdict().get("neg0"))
                    others = [c for c in self.schema.classes if c != v]
                    if neg and len(others) == 1:
                        v, neg = others[0], False
                    expr = q.Cmp(kind, "!=" if neg else "==", v)
                    found.append(expr)
                    return f"<K:{100 + len(found) - 1}>"
                return inner
            text = re.sub(NEG0 + LABEL_CUE + r" " + FILLER + r"(?P<neg>not )?" + FILLER + r"(?P<w>" + alt + r")\b(?! <[A-Z]*F)",
                          by_word("label"), text)
            text = re.sub(NEG0 + r"(?:predicted|predict|predicts|classified|classify|rated|judged|flagged|deemed|considered|"
                          r"(?:model|classifier) (?:says|said|say|thinks|predicts)) " + FILLER
                          + r"(?P<neg>not )?" + FILLER + r"(?P<w>" + alt + r")\b(?! <[A-Z]*F)", by_word("prediction"), text)
        # next to a people noun or a condition: "diabetic patients", "applicants who are denied"
        text = re.sub(r"(?P<pre><[A-Z]*E[A-Z]*:\d+>|<K:\d+>) (?:who |that |which )?(?:are |were |is |was |got |get |will be |being )?(?P<neg>not )?" + C
                      + r"(?! (?:and|or) (?:why|what|how))", lambda m: m.group("pre") + " " + repl("prediction")(m), text)
        text = re.sub(C + r" (?=<[A-Z]*E[A-Z]*:\d+>|<K:\d+>)", repl("prediction"), text)
        # the object of a listing verb: "show the diabetics", "list all recidivists"
        text = re.sub(r"(?P<pre>\b(?:show|list|display|print|find|give|get|see|count|identify|pull up|fetch)"
                      r"(?: me| us)? (?:the |all |all the |those |these |every |any )?)" + C
                      + r"(?= *(?:$|[?.,;!]|and|or|<|with|who|that|over|under|above|below|aged))",
                      lambda m: m.group("pre") + repl("prediction")(m), text)
        text = re.sub(r"(?<=how many )(?:are |were |get |got |will |would )?(?P<neg>not )?" + C, repl("prediction"), text)
        # "predicted to have diabetes but actually don't", "predicted X but actually labelled unlikely
        # to": the elided class of the truth is the prediction's own class or, negated, the other one
        def truth(m: re.Match) -> str:
            k = int(m.group("k"))
            pred = found[k - 100]
            named = said.get(k - 100, pred.value)
            others = [c for c in self.schema.classes if c != named]
            if pred.feature != "prediction" or pred.cmp != "==" or len(others) != 1:
                return m.group(0)
            v = others[0] if m.group("neg") else named
            found.append(q.Cmp("label", "==", v))
            return m.group("pre") + f" <K:{100 + len(found) - 1}>"
        text = re.sub(r"(?P<pre><K:(?P<k>1\d\d)> (?:but|yet|while|and|though|although))(?: (?:who|that|they|he|she|it))?"
                      r"(?: (?:are|is|were|was|do|does|did|have|has))? (?:actually|really|in fact|in reality|truly|truthfully|"
                      r"according to the (?:data|labels?))(?: be| are| is| were)?(?: labell?ed| classified| marked| recorded)?(?: as)?"
                      r"(?: (?:do|does|did|have it|has it|have|has|are|is)(?= *(?:$|[?.,;!])))?(?P<neg> (?:not|never|do not|does not|did not|are not|is not|were not|was not|unlikely(?: to)?|negative))?"
                      r"(?= *(?:$|[?.,;!]))", truth, text)
        for key, original in hidden.items():
            text = text.replace(key, original)
        ex.text = text
        # renumber: class filters join the conditions, in text order
        conds: dict[int, q.Expr] = {}
        for i, (pos, expr) in enumerate(ex.conditions):
            conds[i] = expr
        new_conditions = []
        for m in re.finditer(r"<K:(\d+)>", ex.text):
            k = int(m.group(1))
            expr = found[k - 100] if k >= 100 else conds[k]
            new_conditions.append((m.start(), expr))
        # rebuild placeholders with dense numbering
        counter = iter(range(len(new_conditions)))
        ex.text = re.sub(r"<K:\d+>", lambda m: f"<K:{next(counter)}>", ex.text)
        ex.conditions = new_conditions
        ks = list(re.finditer(r"<K:(\d+)>", ex.text))
        ex.joins = {}
        for a, b in zip(ks, ks[1:]):
            between = ex.text[a.end():b.start()]
            ex.joins[b.start()] = "or" if re.search(r"\bor\b|\beither\b", between) and len(between) < 40 \
                and not re.search(r"<(?:ID|W):", between) else "and"

    def _class_words(self) -> dict[str, Any]:
        """Words found in the phrases of exactly one class ('good', 'bad', 'approved')."""
        if not hasattr(self, "_cw"):
            per: dict[Any, set[str]] = {}
            for v, phrase in self.schema.classes.items():
                per.setdefault(v, set()).update(re.findall(r"[a-z]+", phrase.lower()))
            for v, phrases in self.schema.class_synonyms.items():
                for phrase in phrases:
                    per.setdefault(v, set()).update(re.findall(r"[a-z]+", phrase.lower()))
            generic = {"not", "to", "a", "an", "the", "of", "have", "has", "risk", "credit", "likely",
                       "unlikely", "be", "is", "does", "do", "don", "t", "will", "won", "commit", "crime",
                       "another", "at", "get", "given", "loan", "with", "without"}
            out: dict[str, Any] = {}
            for v, ws in per.items():
                others = set().union(*(w for k, w in per.items() if k != v)) if len(per) > 1 else set()
                for w in ws - others - generic:
                    if len(w) > 2:
                        out[w] = v
            self._cw = out
        return self._cw

    def _gibberish(self, note: str | None = None) -> Parse:
        examples = list(self.schema.examples[:3]) or ["What can you do?", "Which features matter most?",
                                                      "How accurate is the model?"]
        lead = note or "I did not understand that."
        text = lead + " You could ask, for example: " + "; ".join(f"\"{e}\"" for e in examples) + "."
        return Parse(message=text, source="nl")


# ---------------------------------------------------------------------------------------------
# "those who / those with / these having ...": a group described on the spot, not the last turn's
_RELATIVE = re.compile(r"\b(?:those|these) (?:who|whom|whose|which|that|where|with|without|having|aged|"
                       r"older|younger|over|under|above|below|between|at least|at most|more than|less than|"
                       r"in their|not|predicted|classified|labell?ed|rated|flagged|from|on)\b")


class _Reading:
    """One question's extraction + cues -> the query (or choices / a message)."""

    def __init__(self, parser: NaturalLanguageParser, ex: Extraction, cues: list[Cue], tokens: list[str]):
        self.p = parser
        self.schema = parser.schema
        self.ex = ex
        self.cues = cues
        self.tokens = tokens
        self.text = ex.text
        self.confidence = 1.0

    # ---- helpers -----------------------------------------------------------------------
    def free_slots(self, kind: str) -> list[tuple[int, int]]:
        """(position in text, slot index) of slots of `kind` no span used."""
        out = []
        for m in re.finditer(r"<([A-Z]+):(\d+)>", self.text):
            kinds, idx = m.group(1), int(m.group(2))
            if kinds in ("ID", "W", "K"):
                continue
            if kind in kinds and idx not in self.ex.used:
                out.append((m.start(), idx))
        return out

    def feature_near(self, pos: int, *, numeric: bool | None = None, used: set[int] | None = None,
                     values: bool = False, span: tuple[int, int] | None = None) -> tuple[str | None, int | None]:
        cands = self.free_slots("F") + (self.free_slots("V") if values else [])
        best = None
        for p, idx in cands:
            if used is not None and idx in used:
                continue
            if span is not None and not (span[0] <= p < span[1]):
                continue
            slot = self.ex.slots[idx]
            f = self.p.extractor.feature_of(slot, numeric=numeric) if slot.meanings("feature") else None
            if f is None and values and slot.meanings("value"):
                f = max(slot.meanings("value"), key=lambda m: m.strength).feature
            if f is None:
                continue
            dist = (p - pos) if p >= pos else (pos - p) * 1.5 + 5
            if best is None or dist < best[0]:
                best = (dist, f, idx)
        return (best[1], best[2]) if best else (None, None)

    # ---- the reading -----------------------------------------------------------------------
    def _reference(self, text: str):
        """The previous turn's group, unless every 'those/these' of the question opens a group
        of its own ('among those who rent', 'for all those with a guarantor')."""
        ref = PREVIOUS.search(text)
        if ref is None or ref.group(0).split()[0] not in ("those", "these"):
            return ref
        joined = " ".join(self.tokens)
        n_rel = len(_RELATIVE.findall(joined))
        if n_rel and n_rel >= len(re.findall(r"\b(?:those|these)\b", joined)) and \
                len(re.findall(r"\b(?:those|these)\b", text)) <= n_rel and \
                not re.search(PREVIOUS.pattern.replace("(?:those|these)", "(?!)"), text):
            return None
        return ref

    def build(self) -> Parse:
        ex, text = self.ex, self.text
        scaled = self._multiplicative()
        if scaled is not None:
            return scaled
        steps_ops: list[tuple[int, q.Step]] = []
        ops_seen: set[str] = set()
        used_feature_slots: set[int] = set()
        method = "lime" if re.search(r"\blime\b", text) else "shap" if re.search(r"\bshap\b", text) else "auto"
        has_filter = bool(ex.ids or ex.conditions)
        cue_ops = [c.op for c in self.cues]

        # follow-ups stand alone
        if "followup" in cue_ops and not ex.ids and not ex.whatifs and not ex.conditions:
            return Parse(query=q.Query((q.Followup(),)), confidence=0.95, source="nl")

        bias_attrs: list[str] = []
        for cue in self.cues:
            op = cue.op
            if op in ("followup",):
                continue
            step = None
            if op == "score":
                step = q.Score(cue.args.get("metric", "accuracy"))
                key = f"score:{step.metric}"
                if key in ops_seen:
                    continue
                ops_seen.add(key)
                steps_ops.append((cue.pos, step))
                continue
            if op in ops_seen:
                # "the mean credit amount and mean duration", "biased by sex? also check age":
                # the same operation again, on another feature named right after its cue
                again = self._again(cue, op, used_feature_slots, [s for _, s in steps_ops])
                if again is not None:
                    steps_ops.append((cue.pos, again))
                continue
            if op == "explain":
                step = q.Explain(method)
                both = re.findall(r"\b(lime|shap)\b", text)
                if len(set(both)) == 2:     # "explain it with lime and with shap": one step each
                    first = both[0]
                    steps_ops.append((cue.pos, q.Explain(first)))
                    step = q.Explain("shap" if first == "lime" else "lime")
            elif op == "importance":
                step = self._importance(cue, used_feature_slots)
            elif op == "mistakes":
                step = q.Mistakes(self._mistake_mode(cue))
            elif op in ("statistic", "dependence", "define"):
                f, idx = self.feature_near(cue.pos, numeric=True if op == "dependence" else None,
                                           used=used_feature_slots, values=(op == "define"))
                if f is None and op == "dependence":
                    f, idx = self.feature_near(cue.pos, used=used_feature_slots)
                if f is None and op == "define":
                    f = self._reclaim(cue, any_distance=True)
                    idx = -1
                if f is None:
                    if op == "statistic" and re.search(r"\b(?:outcome|outcomes|label|labels|class|classes|target|"
                                                       r"risk|result|results)\b|<[A-Z]*C", text):
                        step = q.Statistic("target")
                    elif op == "statistic" and self._guessed_stat_feature():
                        step = q.Statistic(self._guessed_stat_feature())
                    else:
                        continue
                else:
                    used_feature_slots.add(idx)
                    step = {"statistic": q.Statistic, "dependence": q.Dependence, "define": q.Define}[op](f)
            elif op == "bias":
                attr = self._bias_attribute(cue, used_feature_slots)
                if attr is None:
                    continue
                bias_attrs.append(attr)
                step = q.Bias(attr)
            elif op == "predict":
                step = q.Predict()
            elif op == "likelihood":
                step = q.Likelihood()
            elif op == "counterfactual":
                step = q.Counterfactual()
            elif op == "interactions":
                step = q.Interactions()
            elif op == "rules":
                step = q.Rules()
            elif op == "labels":
                step = q.Labels()
            elif op == "count":
                step = q.Count()
            elif op == "show":
                step = q.Show()
            elif op == "describe_data":
                step = q.DescribeData()
            elif op == "describe_model":
                step = q.DescribeModel()
            elif op == "capabilities":
                step = q.Capabilities()
            elif op == "repeat":
                step = q.Repeat()
            if step is None:
                continue
            ops_seen.add(op)
            steps_ops.append((cue.pos, step))

        steps_ops.sort(key=lambda t: t[0])
        steps_ops = self._coordinated(steps_ops, used_feature_slots)
        steps_ops = self._importance_comparison(steps_ops)
        steps_ops = self._statements(steps_ops)
        ops = [s for _, s in steps_ops]
        flip = self._flip_test()
        if flip is not None:
            ops = [flip]
        if ex.ids and len(set(ex.ids)) == 1:
            # "which features pushed the decision for applicant 61": one row's reasons
            ops = [q.Explain(method) if isinstance(s, q.Importance) and s.feature is None and s.top is None
                   else s for s in ops]
            if any(isinstance(s, q.Count) for s in ops) and self.free_slots("F"):
                ops = [q.Show() if isinstance(s, q.Count) else s for s in ops]
            dedup = []
            for s in ops:
                if s not in dedup:
                    dedup.append(s)
            ops = dedup
        names = [s.op for s in ops]

        # a lone "show" next to a real request is part of it ("show me the rules")
        if "capabilities" in names and len(ops) > 1:
            ops = [s for s in ops if s.op != "capabilities"]
        if "repeat" in [s.op for s in ops] and len(ops) > 1:
            ops = [s for s in ops if s.op != "repeat"]
        names = [s.op for s in ops]

        # "what percent of women are approved": filter the group, statistic of the outcome
        share = self._share(ops)
        if share is not None:
            ops = [share]
            names = [share.op]
        elif ex.share_of is not None and all(s.op in SHARE_REPLACES | {"repeat"} for s in ops):
            keep_count = bool(re.search(r"\bcount\b|how many|number of", text))
            ops = [s for s in ops if s.op == "count" and keep_count] + [q.Statistic(ex.share_of)]
            names = [s.op for s in ops]

        # "compare the predictions for men and women", "do black and white defendants get
        # different outcomes": two groups of one sensitive attribute compared -> fairness (rule 12)
        compared = self._compared_groups(ops)
        if compared is not None:
            ops, names = [q.Bias(compared)], ["bias"]
        # bias: the group named is the attribute, not a filter
        if "bias" in names:
            ops = self._extra_bias(ops)
            names = [s.op for s in ops]
            attrs = {s.attribute for s in ops if isinstance(s, q.Bias)}
            kept = []
            for pos, expr in ex.conditions:
                if isinstance(expr, q.Cmp) and (expr.feature in attrs or self._same_group(expr.feature, attrs)):
                    continue
                kept.append((pos, expr))
            ex.conditions = kept

        # ids that were never introduced by a noun: "LIME for 643", "why is 2317 rated ..."
        if not ex.ids:
            self._bare_ids(ops)

        # previous turn's selection
        ref = self._reference(text)
        # "show me those women": the reference's own noun is no new filter
        for m in re.finditer(r"\b(?:those|these|the same|said|such) <K:\d+>(?= *(?:$|[?.,;!]|and (?:why|what|how|show)))", text):
            pos = m.end() - len(m.group(0).split()[-1])
            ex.conditions = [(p, e) for p, e in ex.conditions
                             if p != pos or not isinstance(e, q.Cmp) or e.feature in ("prediction", "label")
                             or not self._noun_value(e)]
        self._context_sentences()
        first_group = re.search(r"<(?:K|ID):\d+>", text)
        # "women over 30 ... how accurate is it on them": them is this question's own group
        previous = bool(ref) and not ex.ids and not (first_group and first_group.start() < ref.start())
        starts_followon = bool(re.match(r"^(?:and |ok |okay |so |but |now |then |also |what about |how about |same )", text)) \
            or bool(re.match(r"^(?:what|how) about\b", text))

        # no operation named
        if not ops:
            if ex.whatifs:
                if starts_followon or re.search(r"\bsame\b", text):
                    ops = [q.Repeat()]
                else:
                    ops = [q.Predict()]
            elif re.search(r"<[A-Z]*C[A-Z]*:\d+>", text) and (ex.ids or previous):
                ops = [q.Predict()]
            elif (ex.ids or ex.conditions) and (starts_followon or re.search(r"\bsame\b|\bagain\b", text)):
                ops = [q.Repeat()]
            elif ex.ids or ex.conditions:
                ops = [self._arbitrate(q.Show())]
                self.confidence = 0.6
            elif previous:
                ops = [q.Show()]
                self.confidence = 0.5
            elif self.free_slots("F") and len(re.findall(r"[a-z]+", re.sub(r"<[^>]+>", " ", text))) <= 2:
                return self._feature_choices()
            else:
                return self._fallback()
        names = [s.op for s in ops]
        if "repeat" in names and not ex.whatifs and not ex.ids and not ex.conditions and not previous:
            if len(self.tokens) > 3:
                self.confidence = min(self.confidence, 0.6)
        # "what if ... how would the probability change" : likelihood already a cue

        # "what if applicant 29 had no savings info, i.e. saving_accounts not_known": the
        # restated change is not also a filter
        # "rented instead of owning": what is replaced is no filter
        if ex.whatifs:
            for m in re.finditer(r"\b(?:instead of|rather than|in place of) (?:being |having |a |an |the )*<K:(\d+)>", text):
                k = int(m.group(1))
                if k < len(ex.conditions):
                    ex.conditions = [c for i, c in enumerate(ex.conditions) if i != k]
                    break
        # "if he had 10 fewer priors, would the model change its mind? why?": the what-if
        # question asks for the prediction before the later operation
        if ex.whatifs and ops and ops[0].op not in ("predict", "likelihood", "counterfactual", "repeat", "bias") \
                and ex.share_of is None:
            w_at = min(p for p, _ in ex.whatifs)
            ends = [m.end() for m in re.finditer(r"[?!.]", text)]
            end = next((e for e in ends if e > w_at), None)
            if end is not None and end < len(text.rstrip()) and text[:end].rstrip().endswith("?") and \
                    all(c.pos >= end for c in self.cues) and \
                    re.search(r"\b(?:would|will|could|does|do|is|are)\b", text[:end]):
                ops = [q.Predict()] + ops
        self._threshold_family()
        sets = {(w.feature, w.value) for _, w in ex.whatifs if w.action == "set"}
        ex.conditions = [(p, e) for p, e in ex.conditions
                         if not (isinstance(e, q.Cmp) and e.cmp == "==" and (e.feature, e.value) in sets)]
        steps: list[q.Step] = []
        if previous:
            steps.append(q.PreviousFilter())
        where = self._where()
        if where is not None:
            steps.append(q.Filter(where))
        steps.extend(w for _, w in ex.whatifs)
        steps.extend(ops)
        if ex.guessed:
            self.confidence = min(self.confidence, 0.85)
        return Parse(query=q.Query(tuple(steps)), confidence=self.confidence, source="nl")

    def _features_in_order(self) -> list[tuple[int, str]]:
        """(position, feature) of every feature phrase in the text, in order, no repeats."""
        out: list[tuple[int, str]] = []
        for m in re.finditer(r"<([A-Z]+):(\d+)>", self.text):
            kinds, idx = m.group(1), int(m.group(2))
            f = None
            if kinds == "K":
                # by position: conditions may have been dropped since they were numbered
                at = [(p, e) for p, e in self.ex.conditions if p == m.start()]
                pos, expr = at[0] if at else (None, None)
                src = self.ex.sources.get(id(expr), []) if expr is not None else []
                if len(src) == 1 and isinstance(expr, q.Cmp) and (
                        any(mn.feature == expr.feature for mn in self.ex.slots[src[0]].meanings("feature"))
                        or (expr.feature in self.schema.features and self.schema.features[expr.feature].kind == "flag"
                            and expr.value == 1 and re.search(r"\b(?:having|have|has|with|being) (?:a |an )?$",
                                                              self.text[:m.start()]))):
                    f = expr.feature
            elif "F" in kinds and kinds not in ("ID", "W"):
                f = self.p.extractor.feature_of(self.ex.slots[idx])
            if f is not None and all(f != g for _, g in out):
                out.append((m.start(), f))
        return out

    def _importance_comparison(self, steps_ops: list[tuple[int, q.Step]]) -> list[tuple[int, q.Step]]:
        """Rule 14: comparing two features' importance asks for each, in the order mentioned."""
        imps = [i for i, (_, s) in enumerate(steps_ops) if isinstance(s, q.Importance)]
        cmp_m = IMPORTANCE_COMPARE.search(self.text)
        if not imps and cmp_m and not any(s.op in ("bias", "dependence", "statistic", "score") for _, s in steps_ops) \
                and len(self._features_in_order()) >= 2:
            # "does checking weigh more than savings": the comparison itself asks for importance
            steps_ops = sorted(steps_ops + [(cmp_m.start(), q.Importance())], key=lambda t: t[0])
            steps_ops = [(p, s) for p, s in steps_ops if s.op not in ("predict", "show", "count")]
            imps = [i for i, (_, s) in enumerate(steps_ops) if isinstance(s, q.Importance)]
        if len(imps) != 1 or steps_ops[imps[0]][1].top is not None or not IMPORTANCE_COMPARE.search(self.text):
            return steps_ops
        feats = self._features_in_order()
        own = steps_ops[imps[0]]
        if own[1].feature is not None and all(f != own[1].feature for _, f in feats):
            # the importance step already took its feature (said before the comparison)
            feats = sorted(feats + [(own[0] - 1, own[1].feature)])
        if len(feats) < 2:
            return steps_ops
        (p1, f1), (p2, f2) = feats[:2]
        for f in (f1, f2):      # the features compared are no filters
            self.ex.conditions = [(p, e) for p, e in self.ex.conditions
                                  if not (isinstance(e, q.Cmp) and e.feature == f and self._noun_value(e) is False
                                          and len(self.ex.sources.get(id(e), [])) == 1
                                          and any(mn.feature == f for mn in self.ex.slots[self.ex.sources[id(e)][0]].meanings("feature")))]
        self.ex.conditions = [(p, e) for p, e in self.ex.conditions
                              if not (p in (p1, p2) and isinstance(e, q.Cmp) and e.feature in (f1, f2))]
        pos = steps_ops[imps[0]][0]
        return steps_ops[:imps[0]] + [(pos, q.Importance(feature=f1)), (pos, q.Importance(feature=f2))] \
            + steps_ops[imps[0] + 1:]

    def _slot_feature(self, idx: int) -> str | None:
        slot = self.ex.slots[idx]
        return self.p.extractor.feature_of(slot) if slot.meanings("feature") else None

    def _coordinated(self, steps_ops: list[tuple[int, q.Step]], used: set[int]) -> list[tuple[int, q.Step]]:
        """'statistics for X and Y', 'how do X, Y and Z affect it': an operation on one feature
        applies to each feature coordinated with it (one step each, in the order said);
        'what does X mean and how important is it': 'it' is the feature named before."""
        makers = {"statistic": q.Statistic, "dependence": q.Dependence, "define": q.Define,
                  "importance": lambda f: q.Importance(feature=f)}
        out = list(steps_ops)
        for pos, step in steps_ops:
            f = getattr(step, "feature", None)
            if isinstance(step, q.Bias) and step == q.Bias(step.attribute):
                # "biased with respect to gender and age": each sensitive column its own step
                f = step.attribute
                makers["bias"] = lambda a: q.Bias(a) if a in self.schema.sensitive or any(
                    self._same_group(a, {s}) for s in self.schema.sensitive) else None
            if step.op not in makers or f is None or f == "target":
                continue
            for m in re.finditer(r"<[A-Z]*F[A-Z]*:(\d+)>((?:(?: ,| and| , and| as well as| &| plus)(?: the| its| their| also)? "
                                 r"<[A-Z]*F[A-Z]*:\d+>)+)", self.text):
                if self._slot_feature(int(m.group(1))) != f:
                    continue
                at = next(i for i, (_, s2) in enumerate(out) if s2 is step) + 1
                for j in re.findall(r"<[A-Z]*F[A-Z]*:(\d+)>", m.group(2)):
                    j = int(j)
                    f2 = self._slot_feature(j)
                    if j in self.ex.used or j in used or f2 is None or f2 == f:
                        continue
                    new = makers[step.op](f2)
                    if new is None or any(s2 == new for _, s2 in out):
                        continue
                    used.add(j)
                    out.insert(at, (pos, new))
                    at += 1
                break
        # "how many mistakes ..., and what kind are they": the same request again in another mode
        for pos, step in list(out):
            if not isinstance(step, q.Mistakes):
                continue
            tail = self.text[pos:]
            extra = []
            if re.search(r"(?:\band|,|\balso|[.?;]) (?:also )?(?:what|which) (?:kinds?|types?|sorts?)\b(?! of (?!(?:mistakes?|errors?)))", tail):
                extra.append("typical")
            at = next(i for i, (_, s2) in enumerate(out) if s2 is step) + 1
            for mode in extra:
                if mode != step.mode and not any(isinstance(s2, q.Mistakes) and s2.mode == mode for _, s2 in out):
                    out.insert(at, (pos, q.Mistakes(mode)))
                    at += 1
        # 'how important is it', 'how does it affect ...': the feature the question named before
        named = [s.feature for _, s in out if getattr(s, "feature", None) not in (None, "target")
                 and s.op in makers]
        for i, (pos, step) in enumerate(out):
            if step.op in ("importance", "dependence") and getattr(step, "feature", None) is None \
                    and getattr(step, "top", None) is None and named:
                before = [s.feature for p, s in out[:i] if getattr(s, "feature", None) in named]
                a, b = self._sentence(pos)
                clause = self.text[max(a, pos - 25):b]
                if before and re.search(r"\b(?:it|its|this feature|that feature|this column|that column|"
                                        r"this variable|that variable)\b", clause):
                    out[i] = (pos, makers[step.op](before[-1]))
        return out

    def _flip_test(self) -> q.Bias | None:
        """Rule 15: one row, 'would its decision change if its sex were different' -> bias sex
        (on one row the bias step flips the attribute through a what-if)."""
        if len(set(self.ex.ids)) != 1:
            return None
        m = FLIP.search(self.text)
        if m is None or not FLIP_CUE.search(self.text):
            return None
        idx = int(re.search(r"\d+", m.group("f") or m.group("g") or m.group("h")).group())
        slot = self.ex.slots[idx]
        feats = [mn.feature for mn in slot.meanings("feature")]
        sensitive = [f for f in feats if f in self.schema.sensitive] or \
            [s for s in self.schema.sensitive if any(self._same_group(f, {s}) for f in feats)]
        if not sensitive and not feats:
            return None
        attr = (sensitive or feats)[0]
        self.ex.whatifs = [(p, w) for p, w in self.ex.whatifs if w.feature != attr]
        return q.Bias(attr)

    def _statements(self, steps_ops: list[tuple[int, q.Step]]) -> list[tuple[int, q.Step]]:
        """'Applicant 12 was flagged as high risk. What would need to change?': a statement
        before the question (no question word, ends in '.') names no operation of its own when
        the question that follows asks for one."""
        if len(steps_ops) < 2:
            return steps_ops
        text = self.text
        m = re.search(r"[.!;] +\S", text)
        if m is None:
            return steps_ops
        head = text[:m.start()]
        if re.search(r"\b(?:what|why|how|which|who|whether|show|tell|give|list|explain|please)\b|\?", head) or \
                re.match(r"\s*(?:is|are|was|were|does|do|did|can|could|would|will|should)\b", head):
            return steps_ops
        later = [(p, s) for p, s in steps_ops if p >= m.start()]
        if not later:
            return steps_ops
        return [(p, s) for p, s in steps_ops if p >= m.start() or s.op not in
                ("predict", "likelihood", "labels", "show", "count", "statistic")]

    def _arbitrate(self, default: q.Step, margin: float = 0.15) -> q.Step:
        """The rules found a group but no operation (they would show it): let the sentence model
        read the delexicalised question, and take its operation when it is clearly preferred
        (p >= 0.35 and 0.15 above the rules' reading)."""
        try:
            ranked = dict(self.p.classifier.rank(self._classifier_text()))
        except Exception:  # noqa: BLE001 - the model files missing: rules only
            return default
        op, p = max(ranked.items(), key=lambda kv: kv[1])
        if op in ("none", default.op, "followup", "repeat", "capabilities", "describe_data", "describe_model") \
                or p < 0.35 or p - ranked.get(default.op, 0.0) < margin:
            return default
        step = self._default_step(op)
        if step is None:
            return default
        self.confidence = min(self.confidence, 0.7)
        return step

    def _compared_groups(self, ops: list[q.Step]) -> str | None:
        allowed = {"predict", "likelihood", "show", "statistic", "labels"}
        if not self.ex.ids and re.search(r"\b(?:get|gets|receive|receives|have|has|given) (?:\S+ )?(?:different|the same) "
                                         r"(?:predictions?|outcomes?|decisions?|results?|treatment)", self.text):
            allowed.add("counterfactual")
        if any(s.op not in allowed for s in ops):
            return None
        if not COMPARE.search(self.text):
            return None
        attrs = []
        for _, e in self.ex.conditions:
            for f in _features_of(e):
                if f in self.schema.sensitive or any(self._same_group(f, {s}) for s in self.schema.sensitive):
                    attrs.append(f)
        for m in re.finditer(r"<[A-Z]*E[A-Z]*:(\d+)>", self.text):   # "men and women" said as one noun
            words = self.ex.slots[int(m.group(1))].text.split()
            if len(words) < 3:
                continue
            for span in (sp for w in words for sp in self.p.lexicon.match([w])):
                for mn in span.meanings:
                    if mn.kind in ("value", "feature") and mn.feature in self.schema.sensitive + tuple(
                            f for g in self.schema.groups.values() for f in g):
                        attrs.append(mn.feature)
        if len(attrs) < 2 and not (len(attrs) == 1 and re.search(r"\b(?:other|rest|everyone else|non)\b", self.text)):
            return None
        first = attrs[0]
        sens = [s for s in self.schema.sensitive if s == first or self._same_group(first, {s})]
        return sens[0] if sens else first

    def _named_flag(self, expr: q.Cmp) -> bool:
        """The condition comes from naming its flag alone, not from a comparison."""
        src = self.ex.sources.get(id(expr), [])
        return len(src) == 1 and any(mn.feature == expr.feature for mn in self.ex.slots[src[0]].meanings("feature"))

    def _threshold_family(self) -> None:
        """'a checking account balance of at least 200': the comparison picks one flag of a
        family of threshold flags; the same subject named just before it is not a second one."""
        thresholds = {name: words for words, _, _, name in self.p.extractor.thresholds}
        conds = self.ex.conditions
        drop = set()
        for (p1, a), (p2, b) in zip(conds, conds[1:]):
            if not (isinstance(a, q.Cmp) and isinstance(b, q.Cmp)):
                continue
            if a.feature == b.feature:
                # "a checking balance below 0": the flag named, then its comparison (negated)
                if a.feature in thresholds and a.value == 1 and b.value == 0 and re.fullmatch(
                        r"\s*(?:[a-z]+ )?(?:of|is|are|at|with|was|were|:|=)?\s*", self.text[p1:p2].split(">", 1)[-1]):
                    drop.add(id(a))
                continue
            if a.feature in thresholds and b.feature in thresholds and thresholds[a.feature] & thresholds[b.feature] \
                    and a.value == 1 and not self._named_flag(b) \
                    and re.fullmatch(r"\s*(?:of|is|are|at|with|was|were|:|=)?\s*", self.text[p1:p2].split(">", 1)[-1]):
                drop.add(id(a))
        if drop:
            self.ex.conditions = [(p, e) for p, e in conds if id(e) not in drop]

    def _share(self, ops: list[q.Step]) -> q.Statistic | None:
        """Rule 13: "what percent / fraction / share / proportion of X are Y" -> filter X, then
        the statistic of Y's feature ("prediction" for the model's outcome, "target" for the
        true one). Y is the last thing named after the cue; X is everything else."""
        text = self.text
        m = SHARE.search(text)
        if m is None or any(s.op not in SHARE_REPLACES for s in ops):
            return None
        tail = text[m.end():]
        conds = [(p, e) for p, e in self.ex.conditions if p >= m.end()]
        # a class named with no cue ("... were denied") is the model's outcome
        free_c = [(mm.start() + m.end(), mm) for mm in re.finditer(r"<[A-Z]*C[A-Z]*:(\d+)>", tail)
                  if int(mm.group(1)) not in self.ex.used]
        y_pos, y_feature, y_expr = None, None, None
        for pos, expr in conds:
            if any(e == expr for p2, e in self.ex.conditions if p2 < pos):
                continue                      # the group named again ("women ... <women>")
            feats = _features_of(expr)
            if len(feats) != 1:
                continue
            y_pos, y_feature, y_expr = pos, feats.pop(), expr
        if free_c and (y_pos is None or free_c[-1][0] > y_pos):
            y_pos, y_expr = free_c[-1][0], None
            before = text[max(0, y_pos - 40):y_pos]
            y_feature = "label" if re.search(LABEL_CUE, before) and not re.match(
                r"\s*<[A-Z]*C[A-Z]*:\d+> (?:by|from|according to) (?:the |this )?(?:model|classifier)", text[y_pos:]) \
                else "prediction"
        if y_pos is None:
            return None
        between = text[m.end():y_pos]
        # "what percent of women" names the group only: no Y unless something sits between
        if y_expr is not None and re.fullmatch(r"\s*(?:the |all |those |these )?", between):
            return None
        if y_expr is not None:
            self.ex.conditions = [(p, e) for p, e in self.ex.conditions if e is not y_expr]
        return q.Statistic({"label": "target"}.get(y_feature, y_feature))

    def _multiplicative(self) -> Parse | None:
        """'twice the loan amount', 'halve the duration', 'by 10 percent': the query language
        has no scaling what-if, so say so, and offer the exact value for a single row."""
        toks = self.tokens
        joined = " ".join(toks)
        m = MULT.search(joined)
        if m is None or not WHATIF_CONTEXT.search(joined):
            return None
        at = len(joined[:m.start()].split())
        word = m.group(0)
        factor = _factor(word)
        best = None
        for span in self.p.lexicon.match(toks):
            feats = [mn.feature for mn in span.meanings if mn.kind == "feature"
                     and self.schema.features[mn.feature].kind == "numeric"]
            if feats:
                dist = abs(span.start - at)
                if best is None or dist < best[0]:
                    best = (dist, feats[0])
        if best is None or best[0] > 8:
            return None
        feature = best[1]
        label = self.schema.features[feature].label
        msg = (f"I cannot scale {label} (double it, halve it or change it by a percentage): a what-if "
               f"sets a value (\"set {label} to 5000\") or adds or subtracts an amount "
               f"(\"increase {label} by 1000\").")
        ids = list(dict.fromkeys(self.ex.ids))
        if len(ids) == 1 and factor is not None:
            try:
                current = self.p.workspace.data.loc[ids[0], feature]
                new = current * factor
                new = int(round(new)) if float(current).is_integer() else round(float(new), 3)
            except Exception:  # noqa: BLE001 - no such row: the message alone
                return Parse(message=msg, source="nl")
            where = q.Cmp("id", "==", ids[0])
            query = q.Query((q.Filter(where), q.WhatIf(feature, "set", new), q.Predict()))
            return Parse(choices=[Choice(f"the prediction if {label} were set to {new} "
                                         f"({word} the current {current})", query)],
                         message=msg + " Did you mean this?", confidence=0.5, source="nl")
        return Parse(message=msg, source="nl")

    def _noun_value(self, expr: q.Expr) -> bool:
        """A condition said as one noun ("women", "renters"), not a comparison."""
        src = self.ex.sources.get(id(expr), [])
        return len(src) == 1 and bool(self.ex.slots[src[0]].meanings("value"))

    def _context_sentences(self) -> None:
        """'I rent my flat. How important is housing?', 'He has 17 priors. If he had only 5, ...':
        a statement about the asker or the person, before the question, is context, not a filter."""
        text = self.text
        start = 0
        for m in re.finditer(r"[.!]|$", text):
            seg = text[start:m.start()]
            rest = text[m.end():]
            if m.group(0) and rest.strip() and re.match(
                    r"\s*(?:i am|i|my|we|our|he|she|his|her|they|their|it)\b(?! (?:want|would|need|wonder|mean|ask))", seg) \
                    and not re.search(r"\b(?:what|why|how|which|who|if|show|tell|give)\b", seg):
                self.ex.conditions = [(p, e) for p, e in self.ex.conditions if not (start <= p < m.start())]
            start = m.end()

    def _reclaim(self, cue: Cue, any_distance: bool = False) -> str | None:
        """A flag or value read as a condition that is really the feature an operation is
        about: "where does Single rank", "what does felony mean"."""
        for m in re.finditer(r"<K:(\d+)>", self.text):
            if not any_distance and not (cue.pos - 30 <= m.start() <= cue.end + 30):
                continue
            if int(m.group(1)) >= len(self.ex.conditions):
                continue
            pos, expr = self.ex.conditions[int(m.group(1))]
            src = self.ex.sources.get(id(expr), [])
            if len(src) != 1 or not isinstance(expr, q.Cmp):
                continue
            slot = self.ex.slots[src[0]]
            feats = [mn.feature for mn in slot.meanings("feature")]
            if expr.feature in feats:
                self.ex.conditions = [(p, e) for p, e in self.ex.conditions if e is not expr]
                return expr.feature
        return None

    def _drop_duplicate(self, feature: str) -> None:
        """'is gender important? specifically the woman feature': the second naming is no filter."""
        keep = []
        for pos, expr in self.ex.conditions:
            src = self.ex.sources.get(id(expr), [])
            if isinstance(expr, q.Cmp) and expr.feature == feature and len(src) == 1 and \
                    any(mn.feature == feature for mn in self.ex.slots[src[0]].meanings("feature")):
                continue
            keep.append((pos, expr))
        self.ex.conditions = keep

    def _same_group(self, feature: str, attrs: set[str]) -> bool:
        groups = [set(cols) for cols in self.schema.groups.values()]
        return any(feature in g and attrs & g for g in groups)

    def _where(self) -> q.Expr | None:
        ex = self.ex
        parts: list[q.Expr] = []
        if ex.ids:
            ids = list(dict.fromkeys(ex.ids))
            id_expr = [q.Cmp("id", "==", i) for i in ids]
            parts.append(id_expr[0] if len(id_expr) == 1 else q.Or(tuple(id_expr)))
        # conditions joined as said: "a or b" -> or; everything else and
        groups: list[list[q.Expr]] = []
        for pos, expr in ex.conditions:
            if groups and ex.joins.get(pos) == "or":
                groups[-1].append(expr)
            else:
                groups.append([expr])
        seen = []
        for g in groups:
            g = self._same_column(g)
            unique = []
            for e in g:
                if e not in unique:
                    unique.append(e)
            item = unique[0] if len(unique) == 1 else q.Or(tuple(unique))
            if item not in seen:
                seen.append(item)
        parts.extend(self._both_groups(seen))
        return q.and_all(parts)

    def _same_column(self, group: list[q.Expr]) -> list[q.Expr]:
        if len(group) < 2 or not isinstance(group[0], q.Cmp):
            return group
        first = group[0]
        spec = self.schema.features.get(first.feature)
        if spec is None or spec.kind != "categorical":
            return group
        out = [first]
        for e in group[1:]:
            src = self.ex.sources.get(id(e), [])
            ambiguous = len(src) == 1 and any(mn.feature == first.feature and mn.value == e.value
                                              for mn in self.ex.slots[src[0]].meanings("value"))
            if isinstance(e, q.Cmp) and e.feature != first.feature and e.cmp == first.cmp and ambiguous:
                e = q.Cmp(first.feature, e.cmp, e.value)
            out.append(e)
        return out

    def _both_groups(self, items: list[q.Expr]) -> list[q.Expr]:
        """'accuracy for women and for men', 'over 50 and under 30': two conditions on the same
        column joined by "and" that no row can meet together (while each alone selects rows)
        name two groups, so they are an "or" — never an empty selection."""
        data = self.p.workspace.data
        out: list[q.Expr] = []
        for expr in items:
            prev = out[-1] if out else None
            if prev is not None and _disjoint(prev, expr, data):
                out[-1] = q.Or(tuple((prev.items if isinstance(prev, q.Or) else (prev,)) + (expr,)))
                continue
            out.append(expr)
        return out

    def _importance(self, cue: Cue, used: set[int]) -> q.Importance:
        text = self.text
        if re.search(r"^(?:rank|ranking|order|sort|list)\w* (?:all |the |of the )*(?:features|factors|variables|predictors|attributes|columns)",
                     text[cue.pos:cue.end]):
            return q.Importance()       # "rank the features ... for <group>": the group is a filter
        window = text[max(0, cue.pos - 40): cue.end + 50]
        m = re.search(r"(?:top|the|which|what|most important|first|leading|main|key|biggest|strongest) <N:(\d+)>|<N:(\d+)> (?:most|top|main|key|biggest|strongest|leading|features|factors|variables|important|influential)", window)
        if m:
            idx = int(m.group(1) or m.group(2))
            n = self.ex.slots[idx].value
            if isinstance(n, int) and n >= 1 and idx not in self.ex.used:
                self.ex.used.add(idx)
                return q.Importance(top=n)
        f, idx = self.feature_near(cue.pos, used=used, values=True)
        plural = re.search(r"\b(?:which|what|the|rank|list|top|key|main|all)(?: \w+)? (?:features|factors|variables|attributes|"
                           r"predictors|columns|inputs|measurements)\b", text[max(0, cue.pos - 30): cue.end + 10])
        if f is None and not plural:
            f, idx = self._reclaim(cue), -1
        if f is not None:
            used.add(idx)
            self._drop_duplicate(f)
            return q.Importance(feature=f)
        if re.search(r"(?:the )?(?:most|more) (?:important|influential|predictive|decisive|useful|relevant|significant)"
                     r"(?: single)? (?:feature|factor|variable|predictor|attribute|column|thing|driver)(?!s)\b|"
                     r"(?:top|main|key|biggest|strongest|leading|single most important) (?:feature|factor|variable|predictor|driver)(?!s)\b|"
                     r"\b(?:the|one|single) (?:single |one )?(?:thing|feature|factor|variable) (?:\w+ ){0,5}(?:most|the most)\b|"
                     r"(?:which|what) (?:feature|factor|variable|attribute|predictor) (?:is|was|has|matters|carries|counts)(?! [a-z]+ (?:important|influential)er)",
                     text):
            return q.Importance(top=1)
        return q.Importance()

    def _mistake_mode(self, cue: Cue) -> str:
        text = self.text
        b = [c for c in clauses(text) if c[0] <= cue.pos < c[1]]
        a, z = b[0] if b else (0, len(text))
        # people nouns that are also sampling words ("sample", "example") are read as words here
        clause = re.sub(r"<[A-Z]*E[A-Z]*:(\d+)>", lambda m: self.ex.slots[int(m.group(1))].text, text[max(0, a - 0):z])
        if re.search(r"how many|how often|number of|count|\bfrequen|\brate\b|\bpercentage\b|\bproportion\b|\bshare\b|\bfraction\b|\btotal\b|how much", clause):
            return "count"
        if re.search(r"\b(?:most )?(?:common|frequent|typical|usual)\b|what (?:kind|kinds|sort|sorts|type|types) of|\bpatterns?\b|"
                     r"\b(?:in|on|under) (?:what|which) (?:cases|situations|circumstances|conditions|kinds? of cases)\b", clause):
            return "typical"
        if re.search(r"\bshow|\bgive|\blist|example|\bsome\b|\bwhich (?:ones|people|rows|cases|records|applicants|patients|defendants|<)|"
                     r"\ba few\b|handful|\bsample|\bwhich (?:did|does|do|were|was|are|ones|of)\b|\bdisplay|\bsee\b|\bprint|\bfind|\bwho\b|\binstances\b|\bcases\b|"
                     r"\bmisclassified (?:cases|rows|people|ones|examples|instances|<)|\bpull up|\bretrieve|\bfetch|"
                     r"<[A-Z]*E[A-Z]*:\d+> (?:\w+ ){0,3}(?:misclassified|wrong)|misclassified <", clause):
            return "sample"
        return "typical"

    def _sentence(self, pos: int) -> tuple[int, int]:
        a = max([m.end() for m in re.finditer(r"[.?!;]", self.text[:pos])] + [0])
        b = next((m.start() for m in re.finditer(r"[.?!;]", self.text) if m.start() >= pos), len(self.text))
        return a, b

    def _again(self, cue: Cue, op: str, used: set[int], steps: list[q.Step]) -> q.Step | None:
        if op not in ("statistic", "dependence", "bias"):
            return None
        f, idx = self.feature_near(cue.end, used=used, values=(op == "bias"), span=(cue.pos, cue.end + 30))
        if f is None:
            return None
        if op == "bias":
            slot = self.ex.slots[idx]
            cands = [m.feature for m in slot.meanings("feature")] + [m.feature for m in slot.meanings("value")]
            f = next((c for c in cands if c in self.schema.sensitive), f)
        make = {"statistic": q.Statistic, "dependence": q.Dependence, "bias": q.Bias}[op]
        step = make(f)
        if step in steps:
            return None
        used.add(idx)
        return step

    def _extra_bias(self, ops: list[q.Step]) -> list[q.Step]:
        """'biased by gender, and separately by foreign-worker status': a second sensitive group
        joined to the fairness question is a second attribute, not a filter."""
        attrs = [s.attribute for s in ops if isinstance(s, q.Bias)]
        if len(attrs) != 1:
            return ops
        out = list(ops)
        for m in re.finditer(r"(?:\band\b|,|\balso\b|\bseparately\b)[^.?!;]{0,25}?\b(?:by|across|for|over|on|in terms of|"
                             r"with respect to|regarding) (?:the )?<K:(\d+)>", self.text):
            at = [e for p, e in self.ex.conditions if p == m.end() - len(m.group(0).split()[-1])]
            if not at or not isinstance(at[0], q.Cmp):
                continue
            f = at[0].feature
            if f in self.schema.sensitive and f not in attrs:
                out.append(q.Bias(f))
                attrs.append(f)
        return out

    def _bias_attribute(self, cue: Cue, used: set[int]) -> str | None:
        # a sensitive group named in the cue's own sentence ("biased against black defendants?")
        # beats a feature named in another sentence
        a, b = self._sentence(cue.pos)
        own = [e.feature for p, e in self.ex.conditions if a <= p < b and isinstance(e, q.Cmp)
               and e.feature in self.schema.sensitive]
        f, idx = self.feature_near(cue.pos, used=used, values=True)
        if own and f is not None and self.feature_near(cue.pos, used=used, values=True, span=(a, b))[0] is None:
            return own[0]
        if f is None:
            # the group may already be a condition ("black defendants") -> its feature
            for _, expr in self.ex.conditions:
                if isinstance(expr, q.Cmp) and expr.feature in self.schema.features:
                    return expr.feature
            if re.search(r"\bage\b|\bold\b|\byoung|\bageis", self.text) and self.p.extractor.age:
                return self.p.extractor.age
            for cue_word, topic in (("racis", ("race", "ethnicity")), ("sexis", ("sex", "gender")),
                                    ("misogyn", ("sex", "gender")), ("xenophob", ("foreign", "nationality"))):
                if cue_word in self.text:
                    for name, spec in self.schema.features.items():
                        names = {spec.words} | {x.lower() for x in spec.synonyms}
                        if any(t in names for t in topic):
                            return name
            return self.schema.sensitive[0] if self.schema.sensitive else None
        cands = [f]
        if idx is not None:
            slot = self.ex.slots[idx]
            cands = [m.feature for m in slot.meanings("feature")] + [m.feature for m in slot.meanings("value")]
        sensitive = [c for c in cands if c in self.schema.sensitive]
        used.add(idx)
        return sensitive[0] if sensitive else cands[0]

    def _guessed_stat_feature(self) -> str | None:
        if re.search(r"\bhow old\b|\bages?\b", self.text) and self.p.extractor.age:
            return self.p.extractor.age
        return None

    def _bare_ids(self, ops: list[q.Step]) -> None:
        ex = self.ex
        names = {s.op for s in ops}
        for m in re.finditer(r"<N:(\d+)>", self.text):
            idx = int(m.group(1))
            if idx in ex.used:
                continue
            value = ex.slots[idx].value
            if not isinstance(value, int) or ex.slots[idx].unit is not None:
                continue
            if value not in self.p.ids:
                continue
            if names & INSTANCE_OPS or not names or "repeat" in names:
                ex.ids.append(value)
                ex.used.add(idx)

    def _fallback(self) -> Parse:
        """No rule named an operation: ask the sentence model, offer choices, or explain."""
        try:
            ranked = self.p.classifier.rank(self._classifier_text())
        except Exception:  # the model files missing: rules only
            ranked = []
        ex = self.ex
        if not ranked:
            return self.p._gibberish()
        (op1, s1), (op2, s2) = ranked[0], ranked[1]
        if op1 == "none" or s1 < 0.35:
            return self.p._gibberish()
        step1 = self._default_step(op1)
        if step1 is None:
            return self.p._gibberish()
        prefix: list[q.Step] = []
        if self._reference(self.text) and not ex.ids:
            prefix.append(q.PreviousFilter())
        where = self._where()
        if where is not None:
            prefix.append(q.Filter(where))
        prefix.extend(w for _, w in ex.whatifs)
        query1 = q.Query(tuple(prefix + [step1]))
        if s1 - s2 < 0.1 and op2 != "none":
            step2 = self._default_step(op2)
            if step2 is not None:
                query2 = q.Query(tuple(prefix + [step2]))
                from talk2model.query.human import describe_query

                return Parse(choices=[Choice(describe_query(query1, self.schema), query1),
                                      Choice(describe_query(query2, self.schema), query2)],
                             confidence=s1, message="Did you mean one of these?", source="nl")
        return Parse(query=query1, confidence=min(0.8, s1), source="nl")

    def _feature_choices(self) -> Parse:
        """A feature named alone ("age"): ask which of the usual questions about it was meant."""
        f, _ = self.feature_near(0)
        label = self.schema.features[f].label
        options = [(f"summary statistics of {label}", q.Query((q.Statistic(f),))),
                   (f"how important {label} is to the model", q.Query((q.Importance(feature=f),))),
                   (f"how the prediction changes with {label}", q.Query((q.Dependence(f),)))]
        return Parse(choices=[Choice(lbl, qq) for lbl, qq in options], confidence=0.4,
                     message=f"What would you like to know about {label}?", source="nl")

    def _classifier_text(self) -> str:
        return placeholders_to_words(self.text)

    def _default_step(self, op: str) -> q.Step | None:
        simple = {"predict": q.Predict, "likelihood": q.Likelihood, "counterfactual": q.Counterfactual,
                  "interactions": q.Interactions, "rules": q.Rules, "labels": q.Labels, "count": q.Count,
                  "show": q.Show, "describe_data": q.DescribeData, "describe_model": q.DescribeModel,
                  "capabilities": q.Capabilities, "followup": q.Followup, "repeat": q.Repeat}
        if op in simple:
            return simple[op]()
        if op == "explain":
            return q.Explain("auto")
        if op == "score":
            return q.Score("accuracy")
        if op == "mistakes":
            return q.Mistakes("typical")
        if op == "importance":
            f, _ = self.feature_near(0, values=True)
            return q.Importance(feature=f) if f else q.Importance()
        if op in ("statistic", "dependence", "define"):
            f, _ = self.feature_near(0, values=op == "define")
            if f is None:
                return None
            return {"statistic": q.Statistic, "dependence": q.Dependence, "define": q.Define}[op](f)
        if op == "bias":
            f, _ = self.feature_near(0, values=True)
            f = f or (self.schema.sensitive[0] if self.schema.sensitive else None)
            return q.Bias(f) if f else None
        return None


def placeholders_to_words(text: str) -> str:
    """'why was <ID:0> <C:3>' -> 'why was ID CLASS': what the sentence model sees."""
    names = {"ID": "ID", "W": "CHANGE", "K": "GROUP", "N": "NUMBER"}

    def word(m: re.Match) -> str:
        kinds = m.group(1)
        if kinds in names:
            return names[kinds]
        for k, w in (("F", "FEATURE"), ("C", "CLASS"), ("V", "GROUP"), ("E", "PEOPLE")):
            if k in kinds:
                return w
        return "X"
    return re.sub(r"<([A-Z]+):\d+>", word, text)


_WARMING: list = []


def _warm_classifier() -> None:
    """Load the sentence model in the background: rules answer at once, the model is ready by
    the time a question needs it."""
    if _WARMING:
        return
    import threading

    def load():
        try:
            from talk2model.parser.classifier import IntentClassifier

            IntentClassifier.shared()
        except Exception:  # noqa: BLE001 - without the model the rules still answer
            pass
    # not a daemon: a daemon thread stopped inside torch at interpreter exit aborts the process
    thread = threading.Thread(target=load, name="talk2model-minilm", daemon=False)
    _WARMING.append(thread)
    thread.start()


_OP_WORDS: set[str] | None = None


def _op_words() -> set[str]:
    global _OP_WORDS
    if _OP_WORDS is None:
        words: set[str] = set()
        def plain(pattern: str) -> str:
            return re.sub(r"\\[a-zA-Z]", " ", pattern)
        for _, rx in CUES:
            words.update(re.findall(r"[a-z]{3,}", plain(rx.pattern)))
        for _, rx in METRIC_WORDS:
            words.update(re.findall(r"[a-z]{3,}", plain(rx)))
        words.update(re.findall(r"[a-z]{3,}", plain(PREVIOUS.pattern)))
        words |= {"model", "what", "which", "features", "feature", "important", "predict", "prediction",
                  "probability", "explain", "many", "average", "mistakes", "accuracy", "precision",
                  "recall", "patients", "people", "the", "would", "should", "could", "increase",
                  "decrease", "between", "older", "younger", "under", "above", "below", "least", "most",
                  "halved", "halve", "halves", "halving", "doubled", "doubles", "doubling", "tripled",
                  "triples", "tripling", "quadrupled", "percent", "percentage", "fraction", "proportion"}
        _OP_WORDS = {w for w in words if w.isalpha()}
    return _OP_WORDS
