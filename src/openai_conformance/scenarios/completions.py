"""Text completions scenarios: every prompt form with ``n``, echo, logprobs, stop, the cap, best_of, suffix.

Each is judged by the per-answer checks (choices per prompt, the echoed prompt, the legacy logprobs,
stop sequences); the scenarios add what only they know: the cap reached on an answer asked to be
long ends with ``length``, and ``suffix`` changes the completion (a server that ignores it answers
the same text with and without it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import SEED, ScenarioContext, ScenarioFinding, Scenarios, answer_body
from openai_conformance.scenarios.chat import check_cap_reached
from openai_conformance.validation.parsed_stream import choices_of
from openai_conformance.validation.registry import Parameter, check

__all__ = ["SCENARIOS", "suffix"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

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


def _send(ctx: ScenarioContext, body: dict[str, Any], stream: bool = False) -> Iterator[ScenarioFinding]:
    yield from ctx.check(ctx.post(_PATH, body, stream=stream), _COMPLETION)


@scenario("completions.prompts_n", _COMPLETION, "two prompts with n=2 give four choices")
def _prompts_n(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(
        ctx, _completion(model, ctx, prompt=["Once upon a time", "The capital of France is"], n=2)
    )


@scenario("completions.prompt_forms", _COMPLETION, "a string, tokens and token arrays, each with n=2")
def _prompt_forms(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A string, tokens, and token arrays, each with n=2 (strings: _prompts_n)."""
    for prompt in ("Once upon a time", [7454, 2402, 257, 640], [[7454, 2402], [464, 3139, 286]]):
        yield from _send(ctx, _completion(model, ctx, prompt=prompt, n=2))


@scenario("completions.echo", _COMPLETION, "echo puts each prompt before its completion")
def _echo(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(ctx, _completion(model, ctx, echo=True))
    yield from _send(ctx, _completion(model, ctx, prompt=["Once upon a time", "Roses are red"], echo=True))


@scenario("completions.logprobs", _COMPLETION, "logprobs 0 and 3")
def _logprobs(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    for k in (0, 3):
        yield from _send(ctx, _completion(model, ctx, logprobs=k))


@scenario("completions.stop", _COMPLETION, "a stop sequence (a string, a list) is never in the text")
def _stop(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    for stop in ("6", ["6", "six"]):
        yield from _send(ctx, _completion(model, ctx, prompt="Counting: 1, 2, 3,", stop=stop))


@scenario(
    "completions.max_tokens",
    _COMPLETION,
    "max_tokens=1 and 2 bound a long completion and end it with `length`",
)
def _max_tokens(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    for cap in sorted({1, min(2, ctx.max_tokens)}):
        exchange = ctx.post(
            _PATH, _completion(model, ctx, prompt="Counting from 1 to 100: 1, 2,", max_tokens=cap)
        )
        yield from ctx.check(exchange, _COMPLETION)
        yield from check_cap_reached(exchange, cap, "a count to 100")


@scenario("completions.best_of", _COMPLETION, "best_of=2 with n=1 gives one choice")
def _best_of(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(ctx, _completion(model, ctx, n=1, best_of=2))


def _text(exchange: Any) -> str | None:
    choices = [choice for _, choice in choices_of(answer_body(exchange) or {})]
    text = choices[0].get("text") if len(choices) == 1 else None
    return text if isinstance(text, str) else None


@scenario("completions.suffix", _COMPLETION, "a suffix changes the completion")
@check(
    "semantics.suffix",
    "warning",
    parameters=(
        Parameter(_COMPLETION, "suffix", "the same request with and without it, temperature 0: texts differ"),
    ),
)
def suffix(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """`suffix` changes the completion: at temperature 0 the text with a suffix differs from the text
    without it (or the suffix is refused with a 4xx).

    Reference: CreateCompletionRequest.suffix: the suffix that comes after a completion of inserted text
    Why: a model may write the same text before a suffix as without one
    """
    prompt = "def add(a, b):\n"
    plain = ctx.post(_PATH, _completion(model, ctx, prompt=prompt))
    suffixed = ctx.post(_PATH, _completion(model, ctx, prompt=prompt, suffix="\n\nprint(add(1, 2))\n"))
    yield from ctx.check(plain, _COMPLETION)
    yield from ctx.check(suffixed, _COMPLETION)
    before, after = _text(plain), _text(suffixed)
    if before is not None and before == after:
        message = f"the text is the same with and without `suffix` ({before!r}): the suffix was ignored?"
        yield suffix.violation(message, "/choices/0/text"), suffixed


@scenario("completions.stream", _COMPLETION, "a completions stream with include_usage")
def _stream(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = _completion(model, ctx, stream=True, stream_options={"include_usage": True})
    yield from _send(ctx, body, stream=True)
