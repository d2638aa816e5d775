"""Hand-picked requests that exercise the OpenAI semantics, run besides the fuzzed ones.

A fuzzer rarely sends ``n: 2`` with a list of prompts, or a forced tool with a parameters schema; these
scenarios do, with deterministic bodies (temperature 0, a fixed seed, a small ``max_tokens``). Each one
sends its requests through :attr:`ScenarioContext.send`, judges every answer with
:attr:`ScenarioContext.check` (schema, stream and semantics checks) and adds what only a scenario can
judge: comparisons between two answers, and bounds that hold for its particular prompt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.sse import events_of
from openai_conformance.validation.catalogue import get_check
from openai_conformance.validation.semantics import decode_base64_embedding
from openai_conformance.validation.violations import Violation

__all__ = ["SCENARIOS", "Scenario", "ScenarioContext", "ScenarioResult", "get_scenario", "run_scenarios"]

#: What a scenario yields: a violation and the answer that shows it.
ScenarioResult = tuple[Violation, Exchange]

#: Sends one request: (method, path such as "/chat/completions", JSON body, stream flag) → answer.
Send = Callable[[str, str, Any, bool], Exchange]

#: Runs every per-answer check on an answer of the named operation.
Check = Callable[[Exchange, str], Iterator[Violation]]

_CHAT = "createChatCompletion"
_COMPLETION = "createCompletion"
_EMBEDDING = "createEmbedding"
_SEED = 1234
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
_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class ScenarioContext:
    """What a scenario may use: the engine supplies it."""

    send: Send
    check: Check
    chat_model: str
    embedding_model: str | None = None
    completion_model: str | None = None
    max_tokens: int = 16  # the budget cap for generated tokens per choice

    def __post_init__(self) -> None:
        if not isinstance(self.max_tokens, int) or isinstance(self.max_tokens, bool) or self.max_tokens < 1:
            raise ValueError(
                f"ScenarioContext.max_tokens must be a positive integer, got {self.max_tokens!r}"
            )


@dataclass(frozen=True, slots=True)
class Scenario:
    """One deterministic request scenario."""

    id: str
    operation_id: str
    description: str
    run: Callable[[ScenarioContext], Iterator[ScenarioResult]]


def _violation(check: str, message: str, pointer: str = "") -> Violation:
    return Violation(check, message, pointer, get_check(check).severity)


def _judge(ctx: ScenarioContext, exchange: Exchange, operation_id: str) -> Iterator[ScenarioResult]:
    for violation in ctx.check(exchange, operation_id):
        yield violation, exchange


def _body(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON object of a 200 answer, or None."""
    if exchange.status != 200:
        return None
    try:
        body = exchange.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _chat(ctx: ScenarioContext, prompt: str, **fields: Any) -> dict[str, Any]:
    return {
        "model": ctx.chat_model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
        "seed": _SEED,
        "max_tokens": ctx.max_tokens,
        **fields,
    }


def _send_chat(ctx: ScenarioContext, body: dict[str, Any], stream: bool = False) -> Iterator[ScenarioResult]:
    if stream:
        body = {**body, "stream": True}
    yield from _judge(ctx, ctx.send("POST", "/chat/completions", body, stream), _CHAT)


# --- chat -----------------------------------------------------------------------------------------


def _chat_n(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    yield from _send_chat(ctx, _chat(ctx, "Name a colour.", n=2))


def _chat_max_tokens(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    prompt = "Count from 1 to 100, separated by spaces."
    for cap in sorted({1, min(2, ctx.max_tokens)}):
        exchange = ctx.send("POST", "/chat/completions", _chat(ctx, prompt, max_tokens=cap), False)
        yield from _judge(ctx, exchange, _CHAT)
        # Usage is optional; the text itself bounds the tokens too: no token is longer than 256 bytes.
        body = _body(exchange)
        choices = body.get("choices") if body else None
        for j, choice in enumerate(choices if isinstance(choices, list) else []):
            message = choice.get("message") if isinstance(choice, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str) and len(content.encode()) > _TOKEN_BYTES * cap:
                yield (
                    _violation(
                        "semantics.max_tokens",
                        f"max_tokens={cap} but the answer is {len(content.encode())} bytes long "
                        f"(no token is longer than {_TOKEN_BYTES} bytes)",
                        f"/choices/{j}/message/content",
                    ),
                    exchange,
                )


def _chat_logprobs(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    yield from _send_chat(ctx, _chat(ctx, "Say hello.", logprobs=True, top_logprobs=2))


def _chat_tool_choice(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    forced = {"type": "function", "function": {"name": "get_weather"}}
    yield from _send_chat(
        ctx, _chat(ctx, "What is the weather in Paris?", tools=[_WEATHER_TOOL], tool_choice=forced)
    )


def _chat_json_object(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    prompt = 'Reply in JSON with one key "ok" set to true. Reply with the JSON only.'
    yield from _send_chat(ctx, _chat(ctx, prompt, response_format={"type": "json_object"}))


def _chat_json_schema(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "sum", "schema": _ANSWER_SCHEMA, "strict": True},
    }
    yield from _send_chat(ctx, _chat(ctx, "What is 2 + 3? Answer in JSON.", response_format=response_format))


def _chat_stream(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    yield from _send_chat(ctx, _chat(ctx, "Say hello."), stream=True)


def _chat_stream_usage(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    yield from _send_chat(ctx, _chat(ctx, "Say hello.", stream_options={"include_usage": True}), stream=True)


def _chat_stream_n(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    yield from _send_chat(ctx, _chat(ctx, "Name a colour.", n=2), stream=True)


def _chat_stream_tool(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    forced = {"type": "function", "function": {"name": "get_weather"}}
    body = _chat(ctx, "What is the weather in Paris?", tools=[_WEATHER_TOOL], tool_choice=forced)
    yield from _send_chat(ctx, body, stream=True)


def _plain_shape(body: dict[str, Any]) -> dict[int, tuple[str, Any]]:
    shape: dict[int, tuple[str, Any]] = {}
    for choice in body.get("choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("index"), int):
            message = choice["message"] if isinstance(choice.get("message"), dict) else {}
            kind = "tool_calls" if message.get("tool_calls") else "content"
            shape[choice["index"]] = (kind, choice.get("finish_reason"))
    return shape


def _stream_shape(exchange: Exchange) -> dict[int, tuple[str, Any]] | None:
    events, _ = events_of(exchange)
    kinds: dict[int, str] = {}
    finish: dict[int, Any] = {}
    for event in events:
        if not event.data.startswith("{"):
            continue
        try:
            chunk = json.loads(event.data)
        except ValueError:
            return None
        for choice in chunk.get("choices") or [] if isinstance(chunk, dict) else []:
            if not isinstance(choice, dict) or not isinstance(choice.get("index"), int):
                continue
            index = choice["index"]
            delta = choice["delta"] if isinstance(choice.get("delta"), dict) else {}
            kinds.setdefault(index, "content")
            if delta.get("tool_calls"):
                kinds[index] = "tool_calls"
            if choice.get("finish_reason") is not None:
                finish[index] = choice["finish_reason"]
    return {index: (kind, finish.get(index)) for index, kind in kinds.items()}


def _chat_stream_matches_plain(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    """The same request, plain and streamed: the same choices, content kinds and finish reasons."""
    body = _chat(ctx, "Name a colour.", n=2)
    plain = ctx.send("POST", "/chat/completions", body, False)
    streamed = ctx.send("POST", "/chat/completions", {**body, "stream": True}, True)
    plain_body = _body(plain)
    if plain_body is None or streamed.status != 200 or streamed.stream_cut:
        return  # each answer is judged on its own by the other scenarios
    if any(ctx.check(plain, _CHAT)) or any(ctx.check(streamed, _CHAT)):
        return  # a broken answer is reported by its own check; comparing it would say it twice
    expected, got = _plain_shape(plain_body), _stream_shape(streamed)
    if got is not None and expected and got != expected:
        yield (
            _violation(
                "stream.matches_plain",
                f"the streamed answer has the shape {got}, the plain answer to the same request {expected}",
            ),
            streamed,
        )


# --- completions ----------------------------------------------------------------------------------


def _completion(model: str, ctx: ScenarioContext, **fields: Any) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": "Once upon a time",
        "temperature": 0,
        "seed": _SEED,
        "max_tokens": ctx.max_tokens,
        **fields,
    }


def _completions_prompts_n(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    if ctx.completion_model is None:
        return
    body = _completion(
        ctx.completion_model, ctx, prompt=["Once upon a time", "The capital of France is"], n=2
    )
    yield from _judge(ctx, ctx.send("POST", "/completions", body, False), _COMPLETION)


def _completions_stream(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    if ctx.completion_model is None:
        return
    body = _completion(ctx.completion_model, ctx, stream=True, stream_options={"include_usage": True})
    yield from _judge(ctx, ctx.send("POST", "/completions", body, True), _COMPLETION)


# --- embeddings -----------------------------------------------------------------------------------


def _embed(ctx: ScenarioContext, model: str, **fields: Any) -> Exchange:
    return ctx.send("POST", "/embeddings", {"model": model, **fields}, False)


def _vectors(body: dict[str, Any] | None) -> list[Any] | None:
    data = body.get("data") if body else None
    if not isinstance(data, list):
        return None
    return [item.get("embedding") if isinstance(item, dict) else None for item in data]


def _same_vector(floats: list[Any], decoded: list[float]) -> bool:
    """Equal within float32 rounding; else close in direction (embedding servers are not bit-exact)."""
    if len(floats) != len(decoded) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in floats
    ):
        return False
    if all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for a, b in zip(floats, decoded, strict=True)):
        return True
    dot = sum(a * b for a, b in zip(floats, decoded, strict=True))
    norms = math.sqrt(sum(a * a for a in floats)) * math.sqrt(sum(b * b for b in decoded))
    # A wrong byte order, width or encoding gives an unrelated vector; a re-run of the model does not.
    return norms > 0 and math.isfinite(norms) and dot / norms > 0.999


def _embeddings_base64(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    if ctx.embedding_model is None:
        return
    text = "The quick brown fox jumps over the lazy dog."
    as_floats = _embed(ctx, ctx.embedding_model, input=text, encoding_format="float")
    yield from _judge(ctx, as_floats, _EMBEDDING)
    as_base64 = _embed(ctx, ctx.embedding_model, input=text, encoding_format="base64")
    yield from _judge(ctx, as_base64, _EMBEDDING)
    floats, encoded = _vectors(_body(as_floats)), _vectors(_body(as_base64))
    if not floats or not encoded or not isinstance(floats[0], list) or not isinstance(encoded[0], str):
        return  # a failed request or a wrong type: already judged above
    decoded = decode_base64_embedding(encoded[0])
    if decoded is not None and not _same_vector(floats[0], decoded):
        preview = json.dumps(decoded[:3])
        yield (
            _violation(
                "semantics.embeddings_base64",
                f"the base64 embedding decodes to {len(decoded)} float32 values starting {preview}, "
                f"which differ from the {len(floats[0])} floats answered for the same input",
                "/data/0/embedding",
            ),
            as_base64,
        )


def _embeddings_dimensions(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    if ctx.embedding_model is None:
        return
    yield from _judge(ctx, _embed(ctx, ctx.embedding_model, input="hello", dimensions=8), _EMBEDDING)


def _embeddings_count(ctx: ScenarioContext) -> Iterator[ScenarioResult]:
    if ctx.embedding_model is None:
        return
    exchange = _embed(ctx, ctx.embedding_model, input=["red", "green", "blue"])
    yield from _judge(ctx, exchange, _EMBEDDING)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("chat.n", _CHAT, "n=2 gives two choices, indexed 0 and 1", _chat_n),
    Scenario("chat.max_tokens", _CHAT, "max_tokens=1 and 2 bound the answer", _chat_max_tokens),
    Scenario("chat.logprobs", _CHAT, "logprobs with top_logprobs=2", _chat_logprobs),
    Scenario("chat.tool_choice", _CHAT, "a forced function with a parameters schema", _chat_tool_choice),
    Scenario("chat.json_object", _CHAT, "response_format json_object gives JSON", _chat_json_object),
    Scenario("chat.json_schema", _CHAT, "a strict json_schema is obeyed", _chat_json_schema),
    Scenario("chat.stream", _CHAT, "a plain stream", _chat_stream),
    Scenario("chat.stream_usage", _CHAT, "a stream with include_usage", _chat_stream_usage),
    Scenario("chat.stream_n", _CHAT, "a stream of two choices", _chat_stream_n),
    Scenario("chat.stream_tool", _CHAT, "a stream with a forced tool call", _chat_stream_tool),
    Scenario(
        "chat.stream_matches_plain",
        _CHAT,
        "a stream has the shape of the plain answer",
        _chat_stream_matches_plain,
    ),
    Scenario(
        "completions.prompts_n", _COMPLETION, "two prompts with n=2 give four choices", _completions_prompts_n
    ),
    Scenario(
        "completions.stream", _COMPLETION, "a completions stream with include_usage", _completions_stream
    ),
    Scenario("embeddings.base64", _EMBEDDING, "base64 and float answers agree", _embeddings_base64),
    Scenario("embeddings.dimensions", _EMBEDDING, "dimensions=8 gives 8 values", _embeddings_dimensions),
    Scenario(
        "embeddings.count", _EMBEDDING, "three inputs give three embeddings in order", _embeddings_count
    ),
)


def get_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id; ``KeyError`` when unknown."""
    for scenario in SCENARIOS:
        if scenario.id == scenario_id:
            return scenario
    raise KeyError(scenario_id)


def run_scenarios(
    ctx: ScenarioContext, scenarios: tuple[Scenario, ...] = SCENARIOS
) -> Iterator[tuple[Scenario, Violation, Exchange]]:
    """Run scenarios in order; each violation comes with its scenario and the answer that shows it."""
    for scenario in scenarios:
        for violation, exchange in scenario.run(ctx):
            yield scenario, violation, exchange
