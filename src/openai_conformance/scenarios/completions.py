"""Text completions scenarios: several prompts with ``n``, and a stream with its usage chunk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import SEED, Scenario, ScenarioContext, ScenarioFinding, with_model

__all__ = ["SCENARIOS"]

_COMPLETION = "createCompletion"
_PATH = "/completions"


def _completion(model: str, ctx: ScenarioContext, **fields: Any) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": "Once upon a time",
        "temperature": 0,
        "seed": SEED,
        "max_tokens": ctx.max_tokens,
        **fields,
    }


def _prompts_n(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = _completion(model, ctx, prompt=["Once upon a time", "The capital of France is"], n=2)
    yield from ctx.check(ctx.post(_PATH, body), _COMPLETION)


def _stream(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = _completion(model, ctx, stream=True, stream_options={"include_usage": True})
    yield from ctx.check(ctx.post(_PATH, body, stream=True), _COMPLETION)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "completions.prompts_n",
        _COMPLETION,
        "two prompts with n=2 give four choices",
        with_model(_COMPLETION, _prompts_n),
    ),
    Scenario(
        "completions.stream",
        _COMPLETION,
        "a completions stream with include_usage",
        with_model(_COMPLETION, _stream),
    ),
)
