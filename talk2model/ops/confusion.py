"""confusion: which classes the model mixes up — the confusion matrix on rows it was not
trained on, and the most common mistakes (true class -> predicted class)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.metrics import confusion_matrix

from talk2model.explainers import uncertainty as unc
from talk2model.formatting import fmt_interval
from talk2model.ops.registry import Result, operation
from talk2model.ops.score import classified_rows
from talk2model.ops.speech import FigureSpec, Reply, pct, says, too_small_text
from talk2model.workspace.schema import plain_value

SHOWN_PAIRS = 5


@dataclass
class ConfusionResult(Result):
    selection: str
    rows_note: str
    n: int
    classes: list[Any]
    matrix: list[list[int]]          # rows: true class, columns: predicted class (order of `classes`)
    pairs: list[dict] = field(default_factory=list)   # true, predicted, count, share_of_true; most common first
    mistakes: int = 0
    low: float | None = None         # 95% Wilson interval of the error rate
    high: float | None = None
    too_small: bool = False          # the small-group rule


@operation("confusion", description="Which outcomes the model confuses: the confusion matrix on rows "
           "it was not trained on, and its most common mistakes.",
           examples=("Which digits does it confuse?", "Which digits does it mix up?",
                     "What does the model mistake 3s for?", "Show me the confusion matrix."))
def confusion(ctx, step) -> ConfusionResult:
    rows, note = classified_rows(ctx, "a confusion matrix is", "confusions")
    y = rows[ctx.schema.target]
    pred = ctx.predictions().loc[rows.index]
    classes = list(ctx.schema.classes)
    matrix = confusion_matrix([plain_value(v) for v in y], [plain_value(v) for v in pred], labels=classes)
    from talk2model.ops.image_answers import confusion_pairs

    pairs = confusion_pairs(y.map(plain_value), pred.map(plain_value))
    errors = unc.rate(int((y.to_numpy() != pred.to_numpy()).sum()), len(rows))
    return ConfusionResult(selection=ctx.described(), rows_note=note, n=len(rows), classes=classes,
                           matrix=matrix.tolist(), pairs=pairs, mistakes=errors.count, low=errors.low,
                           high=errors.high, too_small=errors.too_small)


@says(ConfusionResult)
def say_confusion(r: ConfusionResult, ctx) -> Reply:
    schema = ctx.schema
    where = f", {r.rows_note}" if r.rows_note else ""
    head = (f"For {r.selection}{where}, the model gets {r.mistakes:,} of {r.n:,} wrong ({pct(r.mistakes / r.n)}; "
            f"95% interval {fmt_interval(r.low, r.high)}).")
    if r.too_small:
        head = too_small_text(r.n) + " " + head
    if not r.pairs:
        text = head + " It confuses no outcomes there."
    else:
        parts = [f"{schema.class_phrase(p['true'])} taken for {schema.class_phrase(p['predicted'])} "
                 f"({p['count']:,} time{'s' if p['count'] != 1 else ''})" for p in r.pairs[:SHOWN_PAIRS]]
        text = head + " What it confuses most: " + ", ".join(parts[:-1]) + (", and " if len(parts) > 1 else "") + parts[-1] + "."
        mutual = {(p["true"], p["predicted"]) for p in r.pairs}
        both = sorted({tuple(sorted((a, b), key=str)) for a, b in mutual if (b, a) in mutual}, key=str)
        if both:
            text += " It mixes up " + ", ".join(f"{schema.class_phrase(a)} and {schema.class_phrase(b)}" for a, b in both[:3]) + " both ways."
    names = [schema.class_phrase(c) for c in r.classes]
    table = pd.DataFrame(r.matrix, index=pd.Index(names, name="true \\ predicted"), columns=names)
    figure = FigureSpec(kind="matrix", title=f"Confusion matrix — {r.selection}", labels=names,
                        matrix=r.matrix, xlabel="predicted", ylabel="true")
    return Reply(text, table=table.reset_index(), figure=figure)
