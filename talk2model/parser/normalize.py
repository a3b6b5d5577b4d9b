"""Text -> a list of plain tokens: case, punctuation, unicode, contractions, numbers in words.

`tokenize("What's the avg age of patients aged forty-five+?")` ->
`['what', 'is', 'the', 'avg', 'age', 'of', 'patients', 'aged', '45', '+']`.
Typo correction is not done here: it needs the workspace's vocabulary (see `lexicon.py`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

UNITS = {
    "zero": 0, "none": None, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
UNITS.pop("none")
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
        "seventy": 70, "eighty": 80, "ninety": 90}
DECADES = {"teens": 10, "twenties": 20, "thirties": 30, "forties": 40, "fourties": 40,
           "fifties": 50, "sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90}
DECADES.update({tens + "s": n for tens, n in TENS.items()})      # "in their twentys", "fortys"
# ordinals in words are numbers as "12th" is ("the twelfth defendant", "the thirty-second row");
# "first", "second" and "third" only after a tens word ("twenty-first"): alone they are other words
ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                 "eighth": 8, "ninth": 9}
ORDINALS = {"fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
            "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
            "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
            "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
            "eightieth": 80, "ninetieth": 90, "hundredth": 100}
# ... and before a word of rank, as "2nd most important" is ("the second most important feature")
RANKED = frozenset({"most", "least", "biggest", "greatest", "strongest", "best", "main", "leading", "worst",
                    "weakest"})
SCALES = {"hundred": 100, "thousand": 1000, "k": 1000, "million": 1_000_000}
TIMES = {"once": 1, "twice": 2, "thrice": 3}
# "one" is a pronoun after these words ("which one", "the one that")
_PRONOUN_ONE = {"which", "the", "this", "that", "each", "any", "every", "no", "some", "a", "another"}

CONTRACTIONS = [
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"),
    (r"\bain't\b", "is not"), (r"\blet's\b", "let us"),
    (r"n't\b", " not"), (r"'re\b", " are"), (r"'ve\b", " have"), (r"'ll\b", " will"),
    # "I'd asked", "I'd spent": had before a past participle; would otherwise ("I'd like")
    (r"'d (?=(?:[a-z]+ed|spent|been|had|done|gone|made|paid|taken|got|gotten|kept|left|lost|held|sold|"
     r"bought|won|seen|known|grown|chosen|given|begun|put|cut|set|met|run|borrowed)\b)", " had "),
    (r"'d\b", " would"), (r"'m\b", " am"),
    (r"\b(what|where|who|how|that|it|there|here|which|why|when|whats|this)'s\b", r"\1 is"),
    (r"'s\b", ""), (r"s'(?=\s|$)", "s"),
]
_MISSING_APOSTROPHE = {"whats": ["what", "is"], "hows": ["how", "is"], "wheres": ["where", "is"],
                       "dont": ["do", "not"], "doesnt": ["does", "not"], "didnt": ["did", "not"],
                       "isnt": ["is", "not"], "arent": ["are", "not"], "wasnt": ["was", "not"],
                       "werent": ["were", "not"], "wont": ["will", "not"], "cant": ["can", "not"],
                       "havent": ["have", "not"], "hasnt": ["has", "not"], "wouldnt": ["would", "not"],
                       "couldnt": ["could", "not"], "shouldnt": ["should", "not"], "im": ["i", "am"],
                       "theyre": ["they", "are"], "youre": ["you", "are"], "ive": ["i", "have"],
                       "thats": ["that", "is"], "theres": ["there", "is"], "u": ["you"], "ur": ["your"],
                       "pls": ["please"], "plz": ["please"], "thx": ["thanks"], "w/": ["with"],
                       "w/o": ["without"], "w/out": ["without"], "avg": ["average"], "yrs": ["years"],
                       "yr": ["year"],
                       "yo": ["years", "old"], "mos": ["months"], "ppl": ["people"], "b/c": ["because"],
                       "bc": ["because"], "cuz": ["because"], "coz": ["because"], "abt": ["about"],
                       "info": ["information"], "approx": ["about"], "stats": ["statistics"],
                       "acc": ["accuracy"], "accu": ["accuracy"], "feats": ["features"], "feat": ["feature"],
                       "prob": ["probability"], "probs": ["probabilities"], "pred": ["prediction"],
                       "preds": ["predictions"], "expl": ["explain"], "imp": ["importance"], "w": ["with"],
                       "wt": ["what"], "tho": ["though"],
                       "lvl": ["level"], "amt": ["amount"],
                       "atleast": ["at", "least"], "atmost": ["at", "most"], "les": ["less"],
                       "lessthan": ["less", "than"], "morethan": ["more", "than"], "mor": ["more"]}


def _spelt_out(m: re.Match) -> str:
    return " " + " ".join(_MISSING_APOSTROPHE[m.group(1) or "w/"]) + " "


_TOKEN = re.compile(r"(?<![\w.])-\d+(?:\.\d+)?|\d+(?:\.\d+)?|[a-z][a-z0-9_]*|>=|<=|!=|==|[<>=+#%$?,;:!&|/.]")


def clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = (text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
            .replace("\u201d", '"').replace("\u2013", "-").replace("\u2014", " - ")
            .replace("\u2265", ">=").replace("\u2264", "<=").replace("\u2260", "!="))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text


def split_camel(text: str) -> str:
    """'LoanRateAsPercentOfIncome' and 'number_of_prior_crimes' -> words (keeps other text)."""
    def words(m: re.Match) -> str:
        token = m.group(0)
        out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", token)
        out = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", out)
        out = re.sub(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", " ", out)
        return out
    text = re.sub(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z0-9]*\b", words, text)
    return re.sub(r"(?<=[A-Za-z])_(?=[A-Za-z0-9])", " ", text)


def tokenize(text: str) -> list[str]:
    """The normalised words of a text (a new list each call; the work is cached: a workspace's
    phrases are tokenized again and again while its vocabulary is built)."""
    return list(_tokens(text))


@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    text = split_camel(clean(text)).lower()
    for pattern, repl in CONTRACTIONS:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"\b(re|co|non)-(?=[a-z])", r"\1", text)    # "re-offend" -> "reoffend", "co-signer"
    text = re.sub(r"\b(w/out|w/o|b/c)\b|\bw/", _spelt_out, text)   # chat shorthands the token split would cut
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)          # 1,000 -> 1000
    text = re.sub(r"(\d)\s*k\b", r"\g<1>000", text)          # 5k -> 5000
    text = re.sub(r"\b(\d+)'?s\b", r"\1 s", text)            # 30s / 30's -> 30 s (decade)
    text = re.sub(r"\bf-?1\b", "f1", text)
    text = re.sub(r"\br-?2\b", "r2", text)
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)       # 3rd -> 3
    # "the number one thing / factor": a rank, not row number 1
    text = re.sub(r"\bnumber (?:one|1) (thing|factor|feature|reason|driver|predictor|variable|influence)",
                  r"most important \1", text)
    text = re.sub(r"(\d)\s*(?:-|\u2013)\s*(\d)", r"\1 to \2", text)   # 20-30 -> 20 to 30
    text = re.sub(r"(?<=[a-z0-9])\.(?=\s|$)", " . ", text)     # sentence ends, not decimals
    raw = _TOKEN.findall(text)
    out: list[str] = []
    for i, tok in enumerate(raw):
        if tok in _MISSING_APOSTROPHE:
            out.extend(_MISSING_APOSTROPHE[tok])
        elif tok in _OPENERS and (i == 0 or raw[i - 1] in ".?!;") and i + 1 < len(raw) \
                and raw[i + 1] in _OPENERS[tok][1]:
            out.append(_OPENERS[tok][0])        # phone typing: "y was 412 rejected", "n if ..."
        elif tok == "y" and len(raw) == 1:
            out.append("why")                   # "y" sent alone, after an answer
        elif tok == "4" and _texted_for(raw, i):
            out.append("for")                   # "gimme lime explanaton 4 applicant 784"
        else:
            out.append(tok)
    return tuple(_idioms(words_to_numbers(out)))


_FOR_WHOM = {"me", "you", "u", "him", "her", "them", "us", "this", "that", "these", "those", "the", "my", "his",
             "their", "our", "your", "each", "every", "all", "everyone", "everybody"}


_COUNTED_OR_NAMED = {"top", "first", "last", "best", "patient", "applicant", "defendant", "row", "id", "#", "number",
                     "no", "person", "customer", "case", "record", "and", "or", ",", "item", "entry", "sample", "point"}


def _texted_for(raw: list[str], i: int) -> bool:
    """'4' typed for "for": before a word for whom ('4 her', '4 the women') or before a noun and an
    id ('4 applicant 784'), and not after a number or a word that counts ('top 4')."""
    if i + 1 >= len(raw) or (i and (raw[i - 1][0].isdigit() or raw[i - 1] in _COUNTED_OR_NAMED)):
        return False
    nxt = raw[i + 1]
    return nxt in _FOR_WHOM or (nxt.isalpha() and i + 2 < len(raw) and raw[i + 2].isdigit())


# chat shorthand that is only safe where it stands (a sentence's first word, before these words)
_OPENERS = {"y": ("why", {"was", "is", "did", "does", "do", "were", "are", "would", "has", "had", "not", "tho",
                          "though", "so", "?"}),
            "n": ("and", {"if", "what", "for", "now", "how", "the", "then", "with", "same"})}
_IDIOMS = [
    (r"(^|\bthe |\ba )single (most|biggest|largest|greatest|strongest|best|main|top)\b", r"\1\2"),  # "single most important factor"
    (r"\bmore (high|big|large|long|old|low|small|short|young|heavy|great) (than|then)\b",
     lambda m: {"high": "higher", "big": "bigger", "large": "larger", "long": "longer", "old": "older",
                "low": "lower", "small": "smaller", "short": "shorter", "young": "younger",
                "heavy": "heavier", "great": "greater"}[m.group(1)] + " than"),
    (r"\b(more|less|fewer|older|younger|greater|higher|lower|bigger|smaller|larger|longer|shorter|"
     r"heavier|lighter|other|rather) then (?=\d)", r"\1 than "),  # "older then 45": a slip of "than"
    (r"(^|[.?!;] )i mean\b ?,? ?", r"\1"),                  # a discourse marker, not a statistic
    (r"\b(my|his|her|their|your|our) (\w+) , (?=\d)", r"\1 \2 "),   # "his age, 55"
    (r"\b(\d0) ?somethings?\b", r"\1 s"),          # "twenty-somethings", "30 something": the decade
    (r"\bhow much (people|persons|patients|applicants|defendants|rows|records|individuals|cases)\b",
     r"how many \1"),
]


def _idioms(tokens: list[str]) -> list[str]:
    text = " ".join(tokens)
    for pattern, repl in _IDIOMS:
        text = re.sub(pattern, repl, text)
    return text.split()


def _is_num(tok: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", tok))


def number_value(tok: str) -> int | float:
    value = float(tok)
    return int(value) if value.is_integer() else value


def _ordinal(tokens: list[str], i: int) -> tuple[int, int] | None:
    """An ordinal in words at `i`: its number and how many tokens it takes ("thirty second": 32, 2;
    "second" before a word of rank: 2, 1)."""
    if tokens[i] in TENS and i + 1 < len(tokens) and tokens[i + 1] in ORDINAL_UNITS:
        return TENS[tokens[i]] + ORDINAL_UNITS[tokens[i + 1]], 2
    if tokens[i] in ORDINAL_UNITS and i + 1 < len(tokens) and tokens[i + 1] in RANKED:
        return ORDINAL_UNITS[tokens[i]], 1          # "the second most important": a rank
    return (ORDINALS[tokens[i]], 1) if tokens[i] in ORDINALS else None


def words_to_numbers(tokens: list[str]) -> list[str]:
    """'forty five' -> '45', 'two thousand' -> '2000', 'a hundred' -> '100', 'twice' -> '2',
    'thirties' -> '30 s', 'a year' -> '1 year', 'the twelfth' -> 'the 12', 'thirty-second' -> '32'."""
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        ordinal = _ordinal(tokens, i)
        if ordinal:
            out.append(str(ordinal[0]))
            i += ordinal[1]
            continue
        if tok in DECADES:
            out.extend([str(DECADES[tok]), "s"])
            i += 1
            continue
        if tok in TIMES:
            out.extend([str(TIMES[tok]), "times"])
            i += 1
            continue
        if tok in ("a", "an") and i + 1 < n and tokens[i + 1] in ("year", "month", "week", "day", "decade"):
            out.append("1")
            i += 1
            continue
        if tok in ("a", "one") and i + 1 < n and tokens[i + 1] == "dozen":
            out.append("12")
            i += 2
            continue
        if tok in ("a", "one") and i + 1 < n and tokens[i + 1] in ("hundred", "thousand"):
            tokens = tokens[:i] + ["1"] + tokens[i + 1:]      # "a hundred" -> "1 hundred" -> 100
            tok = "1"
        if tok == "dozen":
            out.append("12")
            i += 1
            continue
        starts = tok in UNITS or tok in TENS or (_is_num(tok) and i + 1 < n and tokens[i + 1] in SCALES
                                                 and tokens[i + 1] != "k")
        if tok == "one" and (out and out[-1] in _PRONOUN_ONE or (i + 1 < n and tokens[i + 1] == "of")):
            starts = False
        if not starts:
            out.append(tok)
            i += 1
            continue
        total, current = 0, 0.0
        j = i
        while j < n:
            t = tokens[j]
            if t in UNITS and (j == i or tokens[j - 1] in TENS or tokens[j - 1] in SCALES or tokens[j - 1] == "and"):
                current += UNITS[t]
            elif t in TENS and (j == i or tokens[j - 1] in SCALES or tokens[j - 1] == "and"):
                current += TENS[t]
            elif _is_num(t) and j == i:
                current += float(t)
            elif t in SCALES and t != "k" and j > i:
                scale = SCALES[t]
                if scale == 100:
                    current *= 100
                else:
                    total += current * scale
                    current = 0
            elif t == "and" and j > i and j + 1 < n and tokens[j - 1] in SCALES and (
                    tokens[j + 1] in UNITS or tokens[j + 1] in TENS):
                pass
            else:
                break
            j += 1
        if j == i:                 # nothing read as a number: keep the word, move on
            out.append(tok)
            i += 1
            continue
        value = total + current
        out.append(str(int(value)) if float(value).is_integer() else str(value))
        i = j
    return out
