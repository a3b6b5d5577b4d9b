"""Text that is safe to store, send and show: the lowest layer, used by every other one.

- A lone surrogate (U+D800..U+DFFF on its own, e.g. from the JSON escape "\\ud800") cannot be
  encoded as UTF-8: the store and the wire would fail on it. `clean_text` replaces each with
  U+FFFD, the replacement character, so the text stays readable and storable.
- Control characters other than tab, newline and carriage return have no place in a question;
  `control_characters` finds them so the caller can refuse the text with a message.
- `escape_markup` makes text show as typed in Markdown with HTML (the chat, the Markdown
  transcript): `<img src=x>` shows as text instead of becoming an element.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (valid pairs are already one
    character in a Python string, so any surrogate left is a lone one)."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def clean_json(value: Any) -> Any:
    """Every string in a JSON-like value (dict keys included) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(k) if isinstance(k, str) else k: clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def control_characters(text: str) -> list[str]:
    """The distinct control characters in `text` (other than tab, newline, carriage return),
    as code points: ['U+0000', 'U+001B']."""
    found = {c for c in text if c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc"}
    return [f"U+{ord(c):04X}" for c in sorted(found)]


def escape_markup(text: str) -> str:
    """Text shown literally in Markdown that allows HTML (Gradio's chat, Markdown transcripts):
    `&` and `<` become entities, so no tag can start (`<img src=x>` shows as typed) and an
    entity someone typed shows as typed. `>` stays as it is ("age > 50" reads the same)."""
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;")
