"""Chat completions scenarios: requests a fuzzer rarely sends, with deterministic bodies.

A fuzzer rarely sends ``n: 2``, a forced tool with a parameters schema or a strict json_schema;
these scenarios do (temperature 0, a fixed seed, a small ``max_tokens``), judge every answer with
the per-answer checks, and add what only they can judge: a bound that holds for their prompt, and
that a stream has the shape of the plain answer to the same request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import (
    SEED,
    Scenario,
    ScenarioContext,
    ScenarioFinding,
    WithModel,
    answer_body,
    with_model,
)
from openai_conformance.validation.parsed_stream import ParsedStream, choices_of, parse_stream
from openai_conformance.validation.registry import register
from openai_conformance.validation.semantics.shared import MAX_TOKENS

__all__ = ["MATCHES_PLAIN", "SCENARIOS"]

MATCHES_PLAIN = register(
    "stream.matches_plain",
    "warning",
    "A streamed answer has the shape of the plain answer to the same request (choices, content kind, "
    "finish_reason).",
    "API reference: streaming sends the same completion as chunks; a model may still vary between two calls",
    why="a model may answer two requests differently even at temperature 0",
)

_CHAT = "createChatCompletion"
_PATH = "/chat/completions"
_TOKEN_BYTES = 256  # no token of any tokenizer in use decodes to more bytes than this
_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city name, e.g. Paris"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
_FORCED = {"type": "function", "function": {"name": "get_weather"}}
_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}

#: The shape of an answer: choice index → (content kind, finish_reason).
Shape = dict[int, tuple[str, Any]]


def _chat(ctx: ScenarioContext, model: str, prompt: str, **fields: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
        "seed": SEED,
        "max_tokens": ctx.max_tokens,
        **fields,
    }


def _send(ctx: ScenarioContext, body: dict[str, Any], stream: bool = False) -> Iterator[ScenarioFinding]:
    if stream:
        body = {**body, "stream": True}
    yield from ctx.check(ctx.post(_PATH, body, stream=stream), _CHAT)


def _n(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(ctx, _chat(ctx, model, "Name a colour.", n=2))


def _max_tokens(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    prompt = "Count from 1 to 100, separated by spaces."
    for cap in sorted({1, min(2, ctx.max_tokens)}):
        exchange = ctx.post(_PATH, _chat(ctx, model, prompt, max_tokens=cap))
        yield from ctx.check(exchange, _CHAT)
        # Usage is optional; the text itself bounds the tokens too: no token is longer than 256 bytes.
        body = answer_body(exchange)
        for j, choice in choices_of(body or {}):
            message = choice.get("message")
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str) and len(content.encode()) > _TOKEN_BYTES * cap:
                violation = MAX_TOKENS.violation(
                    f"max_tokens={cap} but the answer is {len(content.encode())} bytes long "
                    f"(no token is longer than {_TOKEN_BYTES} bytes)",
                    f"/choices/{j}/message/content",
                )
                yield violation, exchange


def _logprobs(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(ctx, _chat(ctx, model, "Say hello.", logprobs=True, top_logprobs=2))


def _tool_choice(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = _chat(ctx, model, "What is the weather in Paris?", tools=[_WEATHER_TOOL], tool_choice=_FORCED)
    yield from _send(ctx, body)


def _json_object(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    prompt = 'Reply in JSON with one key "ok" set to true. Reply with the JSON only.'
    yield from _send(ctx, _chat(ctx, model, prompt, response_format={"type": "json_object"}))


def _json_schema(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "sum", "schema": _ANSWER_SCHEMA, "strict": True},
    }
    yield from _send(
        ctx, _chat(ctx, model, "What is 2 + 3? Answer in JSON.", response_format=response_format)
    )


def _stream(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(ctx, _chat(ctx, model, "Say hello."), stream=True)


def _stream_usage(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = _chat(ctx, model, "Say hello.", stream_options={"include_usage": True})
    yield from _send(ctx, body, stream=True)


def _stream_n(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _send(ctx, _chat(ctx, model, "Name a colour.", n=2), stream=True)


def _stream_tool(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = _chat(ctx, model, "What is the weather in Paris?", tools=[_WEATHER_TOOL], tool_choice=_FORCED)
    yield from _send(ctx, body, stream=True)


def _plain_shape(body: dict[str, Any]) -> Shape:
    shape: Shape = {}
    for _, choice in choices_of(body):
        if isinstance(choice.get("index"), int):
            message = choice["message"] if isinstance(choice.get("message"), dict) else {}
            kind = "tool_calls" if message.get("tool_calls") else "content"
            shape[choice["index"]] = (kind, choice.get("finish_reason"))
    return shape


def _stream_shape(stream: ParsedStream) -> Shape:
    kinds: dict[int, str] = {}
    finish: dict[int, Any] = {}
    for _, chunk in stream.every_chunk:
        for _, choice in choices_of(chunk):
            if not isinstance(choice.get("index"), int):
                continue
            index = choice["index"]
            delta = choice["delta"] if isinstance(choice.get("delta"), dict) else {}
            kinds.setdefault(index, "content")
            if delta.get("tool_calls"):
                kinds[index] = "tool_calls"
            if choice.get("finish_reason") is not None:
                finish[index] = choice["finish_reason"]
    return {index: (kind, finish.get(index)) for index, kind in kinds.items()}


def _stream_matches_plain(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """The same request, plain and streamed: the same choices, content kinds and finish reasons."""
    body = _chat(ctx, model, "Name a colour.", n=2)
    plain = ctx.post(_PATH, body)
    streamed = ctx.post(_PATH, {**body, "stream": True}, stream=True)
    plain_body = answer_body(plain)
    if plain_body is None or streamed.status != 200 or streamed.stream_cut:
        return  # each answer is judged on its own by the other scenarios
    stream = parse_stream(streamed)
    if any(ctx.check(plain, _CHAT)) or any(ctx.check_stream(stream, _CHAT)):
        return  # a broken answer is reported by its own check; comparing it would say it twice
    expected, got = _plain_shape(plain_body), _stream_shape(stream)
    if expected and got != expected:
        message = f"the streamed answer has the shape {got}, the plain answer to the same request {expected}"
        yield MATCHES_PLAIN.violation(message), streamed


def _chat_scenario(name: str, description: str, steps: WithModel) -> Scenario:
    return Scenario(f"chat.{name}", _CHAT, description, with_model(_CHAT, steps))


SCENARIOS: tuple[Scenario, ...] = (
    _chat_scenario("n", "n=2 gives two choices, indexed 0 and 1", _n),
    _chat_scenario("max_tokens", "max_tokens=1 and 2 bound the answer", _max_tokens),
    _chat_scenario("logprobs", "logprobs with top_logprobs=2", _logprobs),
    _chat_scenario("tool_choice", "a forced function with a parameters schema", _tool_choice),
    _chat_scenario("json_object", "response_format json_object gives JSON", _json_object),
    _chat_scenario("json_schema", "a strict json_schema is obeyed", _json_schema),
    _chat_scenario("stream", "a plain stream", _stream),
    _chat_scenario("stream_usage", "a stream with include_usage", _stream_usage),
    _chat_scenario("stream_n", "a stream of two choices", _stream_n),
    _chat_scenario("stream_tool", "a stream with a forced tool call", _stream_tool),
    _chat_scenario(
        "stream_matches_plain", "a stream has the shape of the plain answer", _stream_matches_plain
    ),
)
