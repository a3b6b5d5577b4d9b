"""Per-conversation state: what "those people", "again" and "tell me more" refer to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from talk2model.query import ast as q


@dataclass
class Conversation:
    last_ids: list[Any] | None = None          # the last turn's selection that had a filter
    last_where: q.Expr | None = None
    last_selection_text: str | None = None
    last_ops: tuple[q.Step, ...] = ()          # the last turn's operations (for `repeat`)
    last_whatifs: tuple[q.WhatIf, ...] = ()
    followup: Any = None                       # a Reply (ops.speech): the rest of the last answer
    turns: int = 0
    history: list[dict] = field(default_factory=list)
    past_wheres: list[q.Expr] = field(default_factory=list)   # earlier turns' groups, oldest first ("back to the renters")
    # the last turn exactly as it ran (what "why?" or "what about age?" continue), and whom it was
    # about: `current_ids` is None when it was about everyone
    last_steps: tuple[q.Step, ...] = ()
    current_ids: list[Any] | None = None
    current_text: str | None = None
    defined: set[str] = field(default_factory=set)   # model terms already explained ("log-odds", "SHAP")
    speaker_ids: list[Any] | None = None       # the asker's own row ("I'm applicant 10"): what "my" means

    @property
    def current_size(self) -> int | None:
        return None if self.current_ids is None else len(self.current_ids)

    def clear_selection(self) -> None:
        self.last_ids = self.last_where = self.last_selection_text = None
        self.current_ids = self.current_text = None
