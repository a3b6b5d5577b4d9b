"""Where the project's data files live: the checkout when run from source, else <prefix>/share."""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE_DIR.parent
_SHARE = Path(sys.prefix) / "share" / "talk2model"


def resource_dir(name: str) -> Path:
    """Top-level folder `name` (grammar, prompts, workspaces, models, data) of the project.

    The checkout wins when it has the folder (editable installs and running from source);
    an installed package falls back to the copy under `<prefix>/share/talk2model/`.
    """
    for root in (_CHECKOUT, _SHARE):
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"talk2model cannot find its '{name}' folder (looked in {_CHECKOUT} and {_SHARE})"
    )


def grammar_path() -> Path:
    return resource_dir("grammar") / "talk2model.lark"
