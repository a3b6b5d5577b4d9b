"""followup: the rest of the previous answer ("tell me more", "show the rest")."""

from __future__ import annotations

from dataclasses import dataclass

from talk2model.errors import OperationError
from talk2model.ops.registry import Result, operation
from talk2model.ops.speech import Reply, says


@dataclass
class FollowupResult(Result):
    text: str
    _reply: Reply | None = None


@operation("followup", description="More of the previous answer.",
           examples=("Tell me more.", "Show the rest.", "more"))
def followup(ctx, step) -> FollowupResult:
    reply = ctx.state.followup
    if reply is None:
        raise OperationError("there is nothing more to show about the last answer")
    return FollowupResult(text=reply.text, _reply=reply)


@says(FollowupResult)
def say_followup(r: FollowupResult, ctx) -> Reply:
    return r._reply
