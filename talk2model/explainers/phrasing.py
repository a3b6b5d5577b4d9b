"""Plain words for attributions: a person's value of a feature, compared with the data.

Everything is derived from the schema (Feature.kind, unit, label, description, value_phrases),
never from per-dataset rules:

"a loan duration of 48 months, longer than most applicants judged good credit risk (median 18 months)"
"1 pregnancy, fewer than most patients judged likely to have diabetes (median 5)"
"not having a telephone", "no current loan", "being single"
"a loan purpose of radio/TV, shared by 31% of applicants judged good credit risk and 15% of those
judged bad credit risk"
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pandas as pd

from talk2model.formatting import fmt_number, fmt_percent
from talk2model.workspace.schema import feature_label, plain_value, split_words

# A value within this share of the feature's spread (interquartile range) of a group's median is
# "about the same" as it.
SAME_BAND = 0.10
_PREPOSITIONS = {"at", "in", "of", "for", "with", "on", "as", "to", "from", "per", "by", "the"}
_IRREGULAR = {"people": "person", "men": "man", "women": "woman", "children": "child",
              "feet": "foot", "teeth": "tooth", "mice": "mouse"}
_TIME_UNITS = {"years", "months", "weeks", "days", "hours", "minutes"}
_VOWEL_LETTERS = set("aefhilmnorsx")    # letters whose names start with a vowel sound ("an FBI")


def group_member_label(schema, group: str, member: str) -> str:
    """'loanpurposeNewCar' in group loan_purpose -> 'new car'."""
    members = list(schema.groups.get(group, ()))
    prefix = os.path.commonprefix(members) if len(members) > 1 else ""
    return split_words(member[len(prefix):] or member)


def group_value(schema, group: str, row: pd.Series) -> str | None:
    """The member of a one-hot group that is on for this row (None when none is)."""
    for member in schema.groups.get(group, ()):
        if member in row.index and row[member] == 1:
            return member
    return None


# ---------------------------------------------------------------------------------------------
# small English helpers

def article(word: str) -> str:
    """'a' or 'an' for the word that follows: an age, a BMI, an MRI, a unit, an hour."""
    first = word.split()[0] if word.strip() else word
    bare = first.strip("'\"(")
    if len(bare) >= 2 and bare.isupper() and bare.isalpha():        # an acronym, read letter by letter
        return "an" if bare[0].lower() in _VOWEL_LETTERS else "a"
    low = bare.lower()
    if low.startswith(("uni", "use", "usu", "one", "eu", "ufo")):
        return "a"
    if low.startswith(("hour", "honest", "honour", "honor", "heir")):
        return "an"
    if low[:1].isdigit():
        return "an" if low.startswith("8") or re.match(r"1[18](?!\d)", low) else "a"
    return "an" if low[:1] in "aeiou" else "a"


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"


def _is_plural(word: str) -> bool:
    w = word.lower()
    if w in _IRREGULAR:
        return True
    return len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ous"))


def singular(word: str) -> str:
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("ies") and len(w) > 4:
        return word[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if _is_plural(w):
        return word[:-1]
    return word


def _head_index(words: list[str]) -> int:
    """The noun a phrase is about: the word before the first preposition, else the last word."""
    for i, w in enumerate(words):
        if i > 0 and w in _PREPOSITIONS:
            return i - 1
    return len(words) - 1


def _noun(schema, feature: str) -> str:
    """The feature's name for prose, from its label and synonyms: a one-word label takes the
    first two-word synonym built on it ('purpose' -> 'loan purpose', 'glucose' -> 'glucose
    level'); a label with 'of' inside takes a shorter synonym with the same first word ('loan
    rate as percent of income' -> 'loan rate'); acronyms of the column stay ('BMI')."""
    label = feature_label(schema, feature)
    spec = schema.features.get(feature)
    words = label.split()
    if spec is not None:
        for synonym in spec.synonyms[1:]:
            parts = synonym.split()
            if len(words) == 1 and len(parts) == 2 and words[0] in parts and synonym.replace(" ", "").isalpha():
                label = synonym
                break
            if (len(words) > 2 and " of " in label and not label.startswith("number of ")
                    and " of " not in synonym and len(parts) >= 2 and parts[0] == words[0]):
                label = synonym
                break
    for acronym in re.findall(r"[A-Z]{2,}", feature):
        label = re.sub(rf"\b{acronym.lower()}\b", acronym, label)
    return label


def _words(value: Any) -> str:
    """A category as people write it: 'not_known' -> 'not known' (case kept: 'radio/TV')."""
    return str(plain_value(value)).replace("_", " ").strip()


# ---------------------------------------------------------------------------------------------
# counts: "1 pregnancy", "3 prior crimes", "no prior crimes", "2 years at current home"

def _count_noun(spec, label: str) -> str | None:
    """The plural noun phrase of a count-like feature ('prior crimes'), or None."""
    if spec is None or spec.kind != "numeric" or spec.unit or spec.value_phrases:
        return None
    noun = label[len("number of "):] if label.lower().startswith("number of ") else label
    words = noun.split()
    if not words:
        return None
    if noun is label and not (spec.integer and _is_plural(words[_head_index(words)])):
        return None
    return noun


def _unit_first(spec, label: str) -> bool:
    """'months in jail' with unit 'months': the label already says what is counted."""
    return bool(spec is not None and spec.unit and label.split()[0].lower() == spec.unit.lower())


def _count_phrase(noun: str, value: Any, none: str = "no") -> str:
    words = noun.split()
    head = _head_index(words)
    if value == 0:
        return f"{none} {noun}"
    if value == 1:
        words[head] = singular(words[head])
        return f"1 {' '.join(words)}"
    return f"{fmt_number(value)} {noun}"


# ---------------------------------------------------------------------------------------------
# flags: "having a telephone", "no current loan", "being single", "gender: male"

def _gerund(verb: str) -> str | None:
    """'owns' -> 'owning', 'rents' -> 'renting', 'lives' -> 'living', 'has' -> 'having'."""
    v = verb.lower()
    if v in ("has", "have"):
        return "having"
    if v in ("is", "are"):
        return "being"
    if v.endswith("ies"):
        return v[:-3] + "ying"
    if v.endswith("ves") or v.endswith("kes") or v.endswith("tes"):
        return v[:-2] + "ing"
    if v.endswith("s") and not v.endswith("ss") and len(v) > 2:
        return v[:-1] + "ing"
    return None


def _from_value_phrase(phrase: str) -> str | None:
    """A phrase people use for a group ('with a telephone') as a subject ('having a telephone')."""
    p = phrase.strip()
    low = p.lower()
    for start, replace in (("with ", "having "), ("without ", "not having "), ("has ", "having "),
                           ("have ", "having ")):
        if low.startswith(start):
            return replace + p[len(start):]
    if low.startswith("no "):
        return p
    return None


def _from_description(schema, spec, on: bool, entity_only: bool) -> str | None:
    """'whether the applicant is single' -> 'being single' / 'not being single';
    'whether the applicant owns their home' -> 'owning their home';
    'whether the applicant's job is classed as skilled' -> 'a job that is classed as skilled'."""
    text = spec.description.strip().rstrip(".")
    m = re.match(r"^whether (?:the|their|a|an) (.+)$", text, flags=re.I)
    if not m:
        return None
    rest = m.group(1)
    entity = schema.entity.lower()
    not_ = "" if on else "not "
    if rest.lower().startswith(entity + " "):
        words = rest[len(entity) + 1:].split()
        if not words:
            return None
        if len(words) > 2 and words[0] == "has" and words[1] == "been":
            return f"{not_}having been {' '.join(words[2:])}"
        if words[0] in ("has", "have") and len(words) > 1 and words[1] == "no":
            return None                     # double negatives: leave to value_phrases or yes/no
        if words[0].endswith("ed") and len(words[0]) > 3:
            return f"{not_}having {' '.join(words)}"
        gerund = _gerund(words[0])
        if gerund and len(words) > 1:
            return f"{not_}{gerund} {' '.join(words[1:])}"
        return None
    if entity_only:
        return None
    # another subject: "whether the applicant's job is classed as skilled"
    m = re.match(r"^(?:(\w+)'s )?([\w ]+?) (is|are) (.+)$", rest)
    if not m or " or " in m.group(4) or " and " in m.group(4):
        return None
    if m.group(1) and m.group(1).lower() != entity:
        return None
    subject = m.group(2)
    that = "that is" if m.group(3) == "is" else "that are"
    return f"{with_article(subject)} {that} {not_}{m.group(4)}"


def _pick_singular(phrases: tuple[str, ...]) -> str | None:
    """From ('men', 'man', 'male', 'males'), a word people use for one person: 'male'."""
    lowered = [p.lower() for p in phrases]
    for p in phrases:
        if p.lower() + "s" in lowered:
            return p
    return None


def _noun_phrase(phrase: str) -> str | None:
    """A value phrase usable after 'having': 'positive checking balance' -> 'a positive checking
    balance', 'savings of at least 200' -> itself; None for plurals of people ('homeowners')."""
    words = phrase.split()
    low = [w.lower() for w in words]
    if not words or low[0] in ("no", "not", "non") or low[0].endswith("ed"):
        return None
    if low[0] in ("a", "an", "the", "some", "less", "more", "over", "under", "at") or low[0][:1].isdigit():
        return phrase
    head = low[_head_index(low)]
    if len(words) == 1 or head.endswith("ing") or head.endswith("ed"):
        return None                                # an adjective or a verb, not a thing one has
    if _is_plural(head):
        return phrase if head != low[-1] or len(words) > 1 else None
    return with_article(phrase)


def flag_phrase(schema, feature: str, on: bool) -> str:
    """How a yes/no feature reads as the subject of a sentence, from the schema:
    value_phrases ('with a telephone' -> 'having a telephone', 'no current loan'), else the
    description ('whether the applicant is single' -> 'being single' / 'not being single'),
    else the 'yes' phrase ('having a positive checking balance' / 'not having ...'), else
    '<label>: yes/no'."""
    spec = schema.features[feature]
    label = _noun(schema, feature)
    phrases = tuple(spec.value_phrases.get(1 if on else 0, ()))
    for phrase in phrases:
        subject = _from_value_phrase(phrase)
        if subject:
            return subject
    subject = _from_description(schema, spec, on, entity_only=True)
    if subject:
        return subject
    yes = tuple(spec.value_phrases.get(1, ()))
    thing = _noun_phrase(yes[0]) if yes else None
    if thing:
        return f"having {thing}" if on else f"not having {thing}"
    subject = _from_description(schema, spec, on, entity_only=False)
    if subject:
        return subject
    one = _pick_singular(phrases)
    if one:
        return f"{label}: {one}"
    return f"{label}: {'yes' if on else 'no'}"


# ---------------------------------------------------------------------------------------------
# categories: "a loan purpose of radio/TV", "little savings", "a low checking balance", "housing: own"

def category_phrase(schema, feature: str, value: Any) -> str:
    spec = schema.features.get(feature)
    label = _noun(schema, feature)
    words = _words(value)
    phrases = tuple(spec.value_phrases.get(plain_value(value), ())) if spec is not None else ()
    label_words = {w.lower() for w in label.split()} | {singular(w.lower()) for w in label.split()}
    first = phrases[0].lower() if phrases else ""
    if not phrases or first == words.lower() or re.match(rf"{re.escape(first)}\b[/ ,]", words.lower()):
        return f"{with_article(label)} of {words}"
    for phrase in phrases:      # a phrase that names the feature itself: "little savings"
        pw = phrase.lower().split()
        if (len(pw) > 1 and any(w in label_words or singular(w) in label_words for w in pw)
                and not any(w in _PREPOSITIONS for w in pw) and pw[0] not in ("no", "not")):
            last = pw[-1]
            needs_article = not (_is_plural(last) or last.endswith("ing"))
            return with_article(phrase) if needs_article else phrase
    return f"{label}: {words}"


# ---------------------------------------------------------------------------------------------
# the phrases explain uses

def value_phrase(schema, feature: str, row: pd.Series) -> str:
    """'a loan duration of 48 months', '1 pregnancy', 'having a telephone', 'a loan purpose of car'."""
    label = _noun(schema, feature)
    if feature in schema.groups:
        member = group_value(schema, feature, row)
        if member is None:
            return f"no {label} given"
        return f"{with_article(label)} of {group_member_label(schema, feature, member)}"
    value = plain_value(row[feature])
    spec = schema.features.get(feature)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"{label}: not recorded"
    if spec is not None and spec.kind == "flag":
        return flag_phrase(schema, feature, value == 1)
    if spec is not None and spec.kind == "numeric" and not isinstance(value, str):
        noun = _count_noun(spec, label)
        if noun is not None:
            return _count_phrase(noun, value)
        if _unit_first(spec, label):
            return _count_phrase(label, value, none="0")
        unit = spec.unit
        if unit == "years" and label.lower() == "age":      # "an age of 45": age is in years
            unit = ""
        text = f"{with_article(label)} of {fmt_number(value)}{' ' + unit if unit else ''}"
        named = spec.value_phrases.get(value)
        return f"{text} ({named[0]})" if named else text
    return category_phrase(schema, feature, value)


def person_value(schema, feature: str, row: pd.Series) -> Any:
    """The row's value of a feature for tables and JSON (a group's active member)."""
    if feature in schema.groups:
        member = group_value(schema, feature, row)
        return group_member_label(schema, feature, member) if member else None
    return plain_value(row[feature])


def _more_less(spec, label: str, count: bool) -> tuple[str, str]:
    if count:
        return "more", "fewer"
    if spec.unit == "years" and "age" in label.lower().split():
        return "older", "younger"
    if spec.unit in _TIME_UNITS:
        return "longer", "shorter"
    return "higher", "lower"


def _those(text: str, first: str) -> str:
    """'applicants judged bad credit risk' after 'applicants judged good ...' -> 'those judged bad ...'."""
    a, b = text.split(" ", 1) if " " in text else (text, "")
    if b and first.split(" ", 1)[0] == a:
        return f"those {b}"
    return text


def numeric_comparison(value: float, column: pd.Series, spread: float) -> tuple[str, float, float]:
    """('higher' | 'lower' | 'same', median, share of the column on the far side of the median)."""
    column = column.dropna().astype(float)
    median = float(column.median())
    tolerance = SAME_BAND * spread
    if abs(value - median) <= tolerance:
        return "same", median, 0.0
    if value > median:
        return "higher", median, float((column < value).mean())
    return "lower", median, float((column > value).mean())


def _spread(column: pd.Series) -> float:
    column = column.dropna().astype(float)
    if column.empty:
        return 0.0
    q1, q3 = column.quantile([0.25, 0.75])
    if q3 > q1:
        return float(q3 - q1)
    q05, q95 = column.quantile([0.05, 0.95])
    return float(q95 - q05)


def compare(schema, feature: str, row: pd.Series, others: pd.DataFrame, others_text: str,
            same: pd.DataFrame | None = None, same_text: str = "") -> str:
    """How the row's value stands against `others` (rows judged the other way), or ''.
    Numbers: higher/lower/about the same as the others' median (within SAME_BAND of the spread).
    Categories and flags: how common the value is in `same` (judged like this row) and `others`."""
    if len(others) == 0:
        return ""
    spec = schema.features.get(feature)

    def shares(column: str, value) -> str:
        theirs = float((others[column] == value).mean())
        if same is None or len(same) == 0:
            return f"shared by {fmt_percent(theirs)} of {others_text}"
        ours = float((same[column] == value).mean())
        return f"shared by {fmt_percent(ours)} of {same_text} and {fmt_percent(theirs)} of {_those(others_text, same_text)}"

    if feature in schema.groups:
        member = group_value(schema, feature, row)
        return shares(member, 1) if member is not None else ""
    value = plain_value(row[feature])
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if spec is not None and spec.kind == "numeric" and not isinstance(value, str):
        column = others[feature].dropna()
        if column.empty:
            return ""
        everyone = column if same is None else pd.concat([column, same[feature].dropna()])
        label = _noun(schema, feature)
        count = _count_noun(spec, label) is not None
        unit = f" {spec.unit}" if spec.unit else ""
        if count or (spec.unit == "years" and label.lower() == "age"):
            unit = ""
        direction, median, beyond = numeric_comparison(float(value), column, _spread(everyone))
        med = fmt_number(plain_value(median))
        if direction == "same":
            word = "the same as" if float(value) == median else "about the same as"
            return f"{word} the median for {others_text} ({med}{unit})"
        more, less = _more_less(spec, label, count)
        word = more if direction == "higher" else less
        if beyond >= 0.9:
            return f"{word} than nearly all {others_text} (median {med}{unit})"
        if beyond > 0.5:
            return f"{word} than most {others_text} (median {med}{unit})"
        return f"{word} than the median for {others_text} ({med}{unit})"
    return shares(feature, row[feature])


def reason_sentence(phrase: str, comparison: str, push: str) -> str:
    """'A loan purpose of car — shared by ... and ... — pushed toward ...' (dashes when the
    comparison has its own 'and'), 'A duration of 6 months, shorter than ..., pushed toward ...'."""
    if not comparison:
        return f"{phrase} {push}"
    if " and " in comparison:
        return f"{phrase} — {comparison} — {push}"
    return f"{phrase}, {comparison}, {push}"


def space_text(space: str, schema, explained: Any) -> str:
    """'log-odds of good credit risk', 'probability of ...', 'prediction'."""
    if space == "prediction":
        return "predicted value"
    if explained is None:
        return f"{space} of each row's predicted class"
    return f"{space} of {schema.class_phrase(explained)}"
