"""Which outcome a question takes for granted: "why was applicant 12 *denied*?".

A person who was refused asks "why was I denied?"; if the model in fact predicts the other
outcome, the answer must say so first rather than explain a decision that was not made.
"""

from __future__ import annotations

import re
from typing import Any

from talk2model.workspace.schema import Schema


def mentioned_class(question: str, schema: Schema) -> Any | None:
    """The one class the question names (by its phrase or a synonym), or None (none, or several)."""
    if schema.task != "classification":
        return None
    phrases: list[tuple[str, Any]] = []
    for value, phrase in schema.classes.items():
        phrases.append((phrase.lower(), value))
    for value, synonyms in schema.class_synonyms.items():
        phrases.extend((s.lower(), value) for s in synonyms)
    text = " " + re.sub(r"[^a-z0-9' ]+", " ", question.lower()) + " "
    found = set()
    for phrase, value in sorted(phrases, key=lambda pv: -len(pv[0])):  # longest first, then blank it
        pattern = re.compile(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9'])")
        if pattern.search(text):
            found.add(value)
            text = pattern.sub(" ", text)
    return found.pop() if len(found) == 1 else None
