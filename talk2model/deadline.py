"""A time budget for the question being answered, which long computations check.

The app gives every question a budget (ui.ChatSession.answer). A thread cannot be stopped from
outside, so the slow loops (permutation SHAP over many rows, LIME row by row) call `check()`
between steps: past the deadline they stop with TimeBudgetExceeded, and the worker is free for
the next question instead of finishing work nobody will see. Outside a budget `check()` does
nothing.

    with budget(30):
        answer = assistant.ask(question)
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar

from talk2model.errors import OperationError

ERR_OVER_BUDGET = "this took longer than the time the app gives one question, so it was stopped"

_DEADLINE: ContextVar[float | None] = ContextVar("talk2model_deadline", default=None)


class TimeBudgetExceeded(OperationError):
    """The question's time budget ran out during a computation."""


@contextmanager
def budget(seconds: float | None):
    """Run the body with a deadline `seconds` from now (no deadline for None)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + max(0.0, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TimeBudgetExceeded(ERR_OVER_BUDGET)
