"""capabilities: what the assistant can do, with example questions."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from talk2model.ops.registry import REGISTRY, Result, operation
from talk2model.ops.speech import Reply, says


@dataclass
class CapabilitiesResult(Result):
    operations: list[dict]
    examples: list[str]


@operation("capabilities", description="What I can do, with example questions.",
           examples=("What can you do?", "Help", "What kinds of questions can I ask?"))
def capabilities(ctx, step) -> CapabilitiesResult:
    ops = [{"operation": op.op, "what": op.description, "example": op.examples[0]}
           for op in REGISTRY.values() if op.op not in ("capabilities", "followup", "repeat")]
    return CapabilitiesResult(operations=ops, examples=list(ctx.schema.examples))


@says(CapabilitiesResult)
def say_capabilities(r: CapabilitiesResult, ctx) -> Reply:
    examples = r.examples or [o["example"] for o in r.operations[:5]]
    text = (f"I answer questions about the {ctx.schema.title} model and its data: predictions, "
            "probabilities, why a prediction was made, what would change it, which features matter, "
            "how accurate and how fair the model is, and the data itself. You can refer back to the "
            "last group (\"those people\") and ask what-if questions. Try:\n"
            + "\n".join(f"- {e}" for e in examples))
    return Reply(text, table=pd.DataFrame(r.operations))
