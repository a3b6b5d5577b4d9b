"""Results -> words, tables and figures.

An operation returns a typed result (data only); its verbaliser, registered with `@says` beside
its run function (`talk2model.ops.speech`), turns that into a `Reply`: a sentence, an optional
table (a DataFrame), an optional figure (a `FigureSpec`, plain data that `verbalize.plots` draws
with matplotlib), and optionally `more`: the rest, given when the person says "tell me more".
`say` dispatches a result to its verbaliser; `tables` writes a reply's table, `plots` draws its
figure.
"""

from __future__ import annotations

from talk2model.ops.speech import SAYERS, FigureSpec, Reply  # noqa: F401  (a reply's types, re-exported)

# Shown above every conversation (app, terminal chat) and every transcript.
AI_NOTICE = ("You are talking to an AI system: answers are computed from a machine-learning model "
             "and its data, and can be wrong.")


def say(result, ctx) -> Reply:
    """The reply of the verbaliser registered (`@says`) for the result's type or its nearest base."""
    for cls in type(result).__mro__:
        if cls in SAYERS:
            return SAYERS[cls](result, ctx)
    raise TypeError(f"no verbaliser for {type(result).__name__}")
