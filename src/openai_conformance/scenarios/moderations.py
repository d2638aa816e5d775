"""Moderations scenarios: one input and several (one of them plainly violent), each result judged."""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_MODERATION = "createModeration"


# The model is optional: without a moderation model the target picks one.
@scenario(
    "moderations.inputs",
    _MODERATION,
    "a string and a list of three give one result each, `flagged` as the categories say",
    model_for=None,
)
def _moderations(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    model = ctx.model_for(_MODERATION)
    named = {"model": model} if model is not None and "moderation" in model else {}
    for value in ("Have a nice day.", ["I will kill you.", "The weather is nice today.", "Thank you!"]):
        yield from ctx.check(ctx.post("/moderations", {"input": value, **named}), _MODERATION)
