"""Grounding: a question's words tied to the workspace, deterministically, from its schema alone.

`Grounder(workspace).ground(question)` returns the question's normalised words and the typed
spans found in them: feature mentions, values (a category or a flag phrase), classes, numbers
(with a unit, a decade or a sign), references ("they", "that group") and people nouns. A span
says what its words *can* mean; which of those meanings the question uses (a condition, a
what-if, an argument, nothing) is the reader's decision (`reader.py`), not the grounding's.

    >>> g = Grounder(load_workspace("credit")).ground("why was applicant 12 denied?")
    >>> [(s.kind, s.text) for s in g.spans]
    [('entity', 'applicant'), ('number', '12'), ('class', 'denied')]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from talk2model.parser.lexicon import Lexicon, Meaning, Speller, Splitter, damerau, english_words
from talk2model.parser.normalize import number_value, tokenize
from talk2model.paths import resource_dir

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ZERO = frozenset({"no", "zero", "none", "never"})
_SKIP_TO_UNIT = frozenset({"+", "or", "more", "less", "fewer", "plus", "extra", "additional", "full", "whole",
                           "and", "a", "half"})
_COMPARATIVE = frozenset({"more", "less", "fewer", "younger", "older", "greater", "higher", "lower", "longer",
                          "shorter", "bigger", "smaller", "earlier", "later", "than", "longer"})
CONFIDENCE = "confidence"
_SIGN_HINT = {"negative": "lt", "positive": "gt", "overdrawn": "lt", "in the red": "lt", "in the black": "ge",
              "nonzero": "ne", "non zero": "ne", "non-zero": "ne", "not zero": "ne"}
_METRICS_OF = {"classification": {"accuracy", "precision", "recall", "f1", "specificity", "roc_auc", "npv"},
               "regression": {"mae", "rmse", "r2"}}

# span types as the reader sees them (an embedding each); a lexicon span may mean several things
TYPES = ("none", "feature", "value", "feature+value", "class", "class+feature", "class+value",
         "class+feature+value", "number", "reference", "entity", "metric", "truth", "model", "method",
         "complement", "class+number")
HINTS = ("gt", "ge", "lt", "le", "eq", "ne", "up", "down")
# what the reader's input embeds: the span type, and for a number the comparison or change word
# said with it ("more than 40" -> number:gt)
TYPE_IDS = TYPES + tuple(f"number:{h}" for h in HINTS)


@dataclass(frozen=True)
class Span:
    """A typed span of the normalised words `[start, end)` and what it can mean."""

    kind: str                                    # feature | value | class | number | reference | entity | metric
    start: int
    end: int
    text: str
    features: tuple[str, ...] = ()               # features it can name
    values: tuple[tuple[str, Any], ...] = ()     # (feature, value) it can mean
    classes: tuple[Any, ...] = ()                # classes it can mean
    number: int | float | None = None
    unit: str | None = None                      # year | month | week | day | percent
    decade: bool = False                         # "30s", "thirties"
    plural: bool = False                         # "the under-25s": a number said as a group of people
    metric: str | None = None                    # the metric (or attribution method) a word names
    hint: str | None = None                      # a number's comparison or change word (HINTS)

    @property
    def type_name(self) -> str:
        if self.kind == "number" and self.classes:           # "3" on digits: an id, a count or the class 3
            return "class+number"
        if self.kind in ("number", "reference", "entity", "metric", "truth", "model", "method", "complement"):
            return self.kind
        parts = [p for p, on in (("class", self.classes), ("feature", self.features), ("value", self.values)) if on]
        return "+".join(parts) if parts else "none"

    @property
    def type_id(self) -> int:
        if self.kind == "number" and self.hint and not self.classes:
            return TYPE_IDS.index(f"number:{self.hint}")
        return TYPE_IDS.index(self.type_name)


@dataclass
class Grounding:
    tokens: list[str]
    spans: list[Span] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def of_kind(self, kind: str) -> list[Span]:
        return [s for s in self.spans if s.kind == kind]


@lru_cache(maxsize=1)
def cues() -> dict:
    return tomllib.loads((resource_dir("prompts") / "cues.toml").read_text())


def attribute_phrases(schema, words: dict[str, list[str]]):
    """'racist', 'sexist', 'ageist': the sensitive feature whose name or synonyms say race, sex or age."""
    for concept, phrases in words.items():
        for f in schema.sensitive:
            spec = schema.features.get(f)
            if spec is None:
                continue
            said = set(spec.words.split()) | {w for syn in spec.synonyms for w in syn.split()}
            if concept in said:
                for phrase in phrases:
                    yield phrase, f


def _phrases(items) -> dict[tuple[str, ...], str]:
    return {tuple(tokenize(p)): p for p in items if tokenize(p)}


# one word written like a column name: CamelCase ('LoanRateAsPercentOfIncome') or snake_case
_IDENTIFIER = re.compile(r"\b[A-Za-z][a-z0-9]*(?:[A-Z][a-z0-9]*|_[A-Za-z0-9]+)+\b")


def _joined(name: str) -> str:
    """A column name's letters, lower case, run together ('LoanDuration', 'loan_duration': 'loanduration')."""
    return re.sub(r"[^a-z]", "", name.lower())


class Grounder:
    """The workspace's vocabulary applied to a question (built once per workspace)."""

    def __init__(self, workspace, vocabulary: frozenset[str] = frozenset()) -> None:
        self.workspace = workspace
        self.schema = workspace.schema
        self.lexicon = Lexicon.build(self.schema)
        for phrase, feature in attribute_phrases(self.schema, cues()["attribute_words"]):
            self.lexicon.add(phrase, Meaning("feature", feature, strength=1))
        for phrase in cues()["confidence"]:       # the model's confidence, a column of every workspace
            self.lexicon.add(phrase, Meaning("feature", CONFIDENCE, strength=1))
        self.identifiers = {_joined(name): name for name in self.schema.features}
        joined = set(self.identifiers)
        spec = cues()
        metric_words = {w for names in spec["metrics"].values() for name in names for w in tokenize(name)}
        self.speller = Speller(self.lexicon.words | set(vocabulary) | {w for w in joined if len(w) >= 8},
                              own=self.lexicon.words | metric_words)    # 'presicion', learned, is precision
        self.splitter = Splitter(self.lexicon.words)
        # neighbouring words of the workspace's phrases ('blood sugar'): a slip beside its neighbour
        self.pairs = {pair for phrase in self.lexicon.phrases for pair in zip(phrase, phrase[1:])}
        self.references = _phrases(spec["references"])
        self.ref_len = max(len(k) for k in self.references)
        self.units = {tuple(tokenize(w)): unit for unit, words in spec["units"].items() for w in words}
        # word lists that become spans: (kind, what the words name)
        self.named: dict[tuple[str, ...], tuple[str, str | None]] = {}
        for m, words in spec["metrics"].items():
            if m in _METRICS_OF[self.schema.task]:
                self.named.update({tuple(tokenize(w)): ("metric", m) for w in words})
        for m, words in spec["methods"].items():
            self.named.update({tuple(tokenize(w)): ("method", m) for w in words})
        self.named.update({tuple(tokenize(w)): ("complement", None) for w in spec["complement"]["words"]})
        self.named.update({tuple(tokenize(w)): ("sign", _SIGN_HINT.get(w, "lt")) for w in spec["signs"]})
        self.named_len = max(len(k) for k in self.named)
        self.class_cues = {**{tuple(tokenize(w)): "truth" for w in spec["truth_cues"]},
                           **{tuple(tokenize(w)): "model" for w in spec["model_cues"]}}
        self.cue_len = max(len(k) for k in self.class_cues)
        comparisons = spec["comparisons"]
        self.fillers = {t for w in comparisons["fillers"] for t in tokenize(w)}
        self.before = {tuple(tokenize(w)): key.split("_")[1] for key, words in comparisons.items()
                       if key.startswith("before_") for w in words if tokenize(w)}
        self.after = {tuple(tokenize(w)): key.split("_")[1] for key, words in comparisons.items()
                      if key.startswith("after_") for w in words if tokenize(w)}

    # ------------------------------------------------------------------ words
    def words(self, question: str) -> list[str]:
        question = _IDENTIFIER.sub(self._column_meant, question)
        raw = [p for t in tokenize(question) for p in self._split(t)]
        # a misspelt column name written as one word is corrected, then split ("loandurattion")
        return self._completing_a_phrase(raw, [p for t in raw for p in self._split(self.speller.correct(t))])

    def _column_meant(self, m: re.Match) -> str:
        """A column's name written as one identifier with a slip ('LoanRatAsPercentOfIncome',
        'credit_ammount'): the column, before the name is split into words (split first, 'rat'
        is a word of its own and 'loan' another column's)."""
        said = m.group(0)
        key = _joined(said)
        if key in self.identifiers or len(key) < 8:
            return said
        limit = 1 if len(key) < 12 else 2
        near = {name for k, name in self.identifiers.items() if abs(len(k) - len(key)) <= limit
                and damerau(key, k, limit) <= limit}
        return near.pop() if len(near) == 1 else said

    def _completing_a_phrase(self, raw: list[str], words: list[str]) -> list[str]:
        """A slip left as it was (it is one slip from several words: 'suger' from 'sugar' and
        'super') is the workspace's word that makes a phrase of the workspace with its neighbour
        ('blood suger' -> 'blood sugar')."""
        if len(words) != len(raw):          # a word was split: positions no longer match
            return words
        out = list(words)
        for i, (said, word) in enumerate(zip(raw, words)):
            if word != said or not said.isalpha() or len(said) < 4 or said in english_words() \
                    or said in self.lexicon.words:
                continue
            near = {w for n in (len(said) - 1, len(said), len(said) + 1) for w in self.speller.by_len.get(n, ())
                    if w in self.lexicon.words and damerau(said, w, 1) <= 1}
            fits = {w for w in near if (i > 0 and (out[i - 1], w) in self.pairs)
                    or (i + 1 < len(out) and (w, out[i + 1]) in self.pairs)}
            if len(fits) == 1:
                out[i] = fits.pop()
        return out

    def _split(self, token: str) -> list[str]:
        m = re.fullmatch(r"([a-z]+?)(\d+)", token)
        head, tail = (m.group(1), [m.group(2)]) if m else (token, [])
        parts = self.splitter.split(head)
        return parts + tail if parts else [token]

    # ------------------------------------------------------------------ spans
    def ground(self, question: str) -> Grounding:
        tokens = self.words(question)
        spans: list[Span] = []
        # lexicon phrases first: a phrase may hold a number ("savings of at least 500" is a flag)
        lexical = [s for s in (self._lexical(tokens, f) for f in self.lexicon.match(tokens)) if s]
        lexical = [s for s in lexical if not (s.kind == "entity" or s.kind == "class" and s.end - s.start == 1)
                   or not any(_NUMBER.fullmatch(t) for t in tokens[s.start:s.end])]
        in_phrase = {i for s in lexical for i in range(s.start, s.end)}
        taken: set[int] = set()
        for i, tok in enumerate(tokens):
            if _NUMBER.fullmatch(tok) and i not in in_phrase:
                spans.append(self._number(tokens, i))
                taken.add(i)
            elif tok in _ZERO and i not in in_phrase and self._counted_next(tokens, i, lexical):
                # "no prior crimes", "zero pregnancies": the count 0 of a numeric feature
                spans.append(Span("number", i, i + 1, tok, number=0))
                taken.add(i)
        # a reference may absorb a people noun ("that applicant"), never a feature or value
        # ("own their home" stays a value)
        taken.update(i for s in lexical if s.kind != "entity" for i in range(s.start, s.end))
        refs = self._reference_spans(tokens, taken)
        covered = {i for start, end in refs for i in range(start, end)}
        spans += [s for s in lexical if not covered.intersection(range(s.start, s.end))]
        spans += [Span("reference", start, end, " ".join(tokens[start:end])) for start, end in refs]
        taken |= covered | {i for s in spans for i in range(s.start, s.end)}
        spans += self._metric_and_sign_spans(tokens, taken)
        taken |= {i for s in spans for i in range(s.start, s.end)}
        spans += self._cue_spans(tokens, taken)
        spans = [self._with_hint(tokens, s) if s.kind == "number" else s for s in spans]
        spans.sort(key=lambda s: s.start)
        return Grounding(tokens, spans)

    def _counted_next(self, tokens: list[str], i: int, lexical: list[Span]) -> bool:
        """A numeric feature named within the next two words ('no prior crimes', 'no time in jail')."""
        if i + 1 < len(tokens) and (tokens[i + 1] in _COMPARATIVE or tokens[i + 1].endswith("er")
                                    and i + 2 < len(tokens) and tokens[i + 2] == "than"):
            return False                 # "no younger than 55" is a comparison, not the count 0
        for s in lexical:
            if i < s.start <= i + 3 and s.kind == "feature" and any(
                    f in self.schema.features and self.schema.features[f].kind == "numeric" for f in s.features):
                return all(t in ("more", "other", "previous", "prior", "time", "the", "any") for t in tokens[i + 1:s.start])
        return False

    def _number(self, tokens: list[str], i: int) -> Span:
        value = number_value(tokens[i])
        unit = None
        decade = False
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if nxt == "s" and isinstance(value, int) and value % 10 == 0 and 10 <= value <= 90:
            decade = True
        k = i + 1
        while k < len(tokens) and k <= i + 3 and tokens[k] in _SKIP_TO_UNIT:
            k += 1                  # "4+ years", "6 more months", "2 full years"
        for key, name in self.units.items():
            if tuple(tokens[k:k + len(key)]) == key:
                unit = name
                break
        classes = tuple(m.value for m in self.lexicon.phrases.get((tokens[i],), ()) if m.kind == "class")
        return Span("number", i, i + 1, tokens[i], number=value, unit=unit, decade=decade, classes=classes,
                    plural=nxt == "s")

    def _metric_and_sign_spans(self, tokens: list[str], taken: set[int]) -> list[Span]:
        """Metric words ('precision', 'how accurate'), attribution methods ('Grad-CAM'), words
        for everyone else ('the others'), and sign words ('a negative balance', 'nonzero': the
        number 0 a comparison is made with)."""
        out: list[Span] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.named_len, len(tokens) - i), 0, -1):
                key = tuple(tokens[i:i + n])
                if key not in self.named or taken.intersection(range(i, i + n)):
                    continue
                kind, what = self.named[key]
                if kind == "sign":
                    out.append(Span("number", i, i + n, " ".join(key), number=0, hint=what))
                else:
                    out.append(Span(kind, i, i + n, " ".join(key), metric=what))
                i += n
                break
            else:
                i += 1
        return out

    def _cue_spans(self, tokens: list[str], taken: set[int]) -> list[Span]:
        """Words that point at the true label or at the model's output ('actually', 'the model
        says'): an elided class may hang on them."""
        out: list[Span] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.cue_len, len(tokens) - i), 0, -1):
                key = tuple(tokens[i:i + n])
                if key in self.class_cues and not taken.intersection(range(i, i + n)):
                    out.append(Span(self.class_cues[key], i, i + n, " ".join(key)))
                    i += n
                    break
            else:
                i += 1
        return out

    def _with_hint(self, tokens: list[str], span: Span) -> Span:
        """The comparison or change word said with a number, before it ('at least 4', 'between 20
        and 30') or after it ('4 or more', '5 years older', '2000 less')."""
        from dataclasses import replace

        i, j = span.start, span.end
        while i > 0 and tokens[i - 1] in self.fillers:
            i -= 1
        for n in range(min(4, i), 0, -1):
            hint = self.before.get(tuple(tokens[i - n:i]))
            if hint:
                return replace(span, hint=hint)
        if i > 0 and tokens[i - 1] in ("and", "to") and i > 2:           # the upper end of a range
            lower = i - 2
            if _NUMBER.fullmatch(tokens[lower]) and (tokens[max(0, lower - 1)] in ("between", "from")
                                                      or tokens[max(0, lower - 2)] in ("between", "from")):
                return replace(span, hint="le")
        if i > 0 and tokens[i - 1] in ("between", "from") and j + 1 < len(tokens) and \
                tokens[j] in ("and", "to") and _NUMBER.fullmatch(tokens[j + 1]):
            return replace(span, hint="ge")
        while j < len(tokens) and (tokens[j] in self.fillers or any(tokens[j] in u for u in self.units)):
            j += 1
        return self._hint_after(tokens, span, j)

    def _hint_after(self, tokens: list[str], span: Span, j: int) -> Span:
        """The word said after the number ('4 or more', '2000 less'), or a range word after the
        number's noun, up to three words ('4 pregnancies or more', 'her 4th pregnancy or beyond'),
        when no number follows it ('4 pregnancies and over 50' is two conditions)."""
        from dataclasses import replace

        for k in range(j, min(j + 4, len(tokens)) + 1):
            if k > j and (not tokens[k - 1].isalpha() or tokens[k - 1] in ("or", "and")):
                return span
            for n in range(min(3, len(tokens) - k), 0 if k == j else 1, -1):
                cue = tuple(tokens[k:k + n])
                hint = self.after.get(cue)
                if hint and (k == j or self._range_after_noun(tokens, cue, hint, k + n)):
                    return replace(span, hint=hint)
        return span

    def _range_after_noun(self, tokens: list[str], cue: tuple, hint: str, end: int) -> bool:
        rest = [t for t in tokens[end:end + 3] if t not in self.fillers]
        return hint in ("ge", "le") and cue[0] in ("or", "and") and not (rest and _NUMBER.fullmatch(rest[0]))

    def _reference_spans(self, tokens: list[str], taken: set[int]) -> list[tuple[int, int]]:
        out = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.ref_len, len(tokens) - i), 0, -1):
                if tuple(tokens[i:i + n]) in self.references and not taken.intersection(range(i, i + n)):
                    out.append((i, i + n))
                    i += n
                    break
            else:
                i += 1
        return out

    def _lexical(self, tokens: list[str], found) -> Span | None:
        features = tuple(dict.fromkeys(m.feature for m in found.meanings if m.kind == "feature"))
        values = tuple(dict.fromkeys((m.feature, m.value) for m in found.meanings if m.kind == "value"))
        classes = tuple(dict.fromkeys(m.value for m in found.meanings if m.kind == "class"))
        text = " ".join(tokens[found.start:found.end])
        if not (features or values or classes):
            if any(m.kind == "entity" for m in found.meanings):
                return Span("entity", found.start, found.end, text)
            return None
        kind = "class" if classes else ("value" if values else "feature")
        return Span(kind, found.start, found.end, text, features=features, values=values, classes=classes)
