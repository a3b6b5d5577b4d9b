"""Small text utilities every layer may use (below everything, like `formatting` and `sanitize`:
it imports nothing from talk2model)."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, choices: list[str]) -> str:
    """' — did you mean 'x'?' for the closest of `choices` (difflib, cutoff 0.6; else a match that
    differs only in case), or '' when none is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" — did you mean '{close[0]}'?" if close else ""
