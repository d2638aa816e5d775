"""Chat scenarios streamed: plain, with its usage chunk, two choices, a tool call, and against the plain answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios, answer_body
from openai_conformance.scenarios.chat import CHAT, PATH, chat_body, send_chat
from openai_conformance.scenarios.chat_tools import FORCED, WEATHER_TOOL
from openai_conformance.validation.parsed_stream import ParsedStream, choices_of, parse_stream
from openai_conformance.validation.registry import check

__all__ = ["SCENARIOS", "stream_matches_plain"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

#: The shape of an answer: choice index → (content kind, finish_reason).
Shape = dict[int, tuple[str, Any]]


@scenario("chat.stream", CHAT, "a plain stream")
def _stream(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from send_chat(ctx, chat_body(ctx, model, "Say hello."), stream=True)


@scenario("chat.stream_usage", CHAT, "a stream with include_usage")
def _stream_usage(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = chat_body(ctx, model, "Say hello.", stream_options={"include_usage": True})
    yield from send_chat(ctx, body, stream=True)


@scenario("chat.stream_n", CHAT, "a stream of two choices")
def _stream_n(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from send_chat(ctx, chat_body(ctx, model, "Name a colour.", n=2), stream=True)


@scenario("chat.stream_tool", CHAT, "a stream with a forced tool call")
def _stream_tool(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = chat_body(ctx, model, "What is the weather in Paris?", tools=[WEATHER_TOOL], tool_choice=FORCED)
    yield from send_chat(ctx, body, stream=True)


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


@scenario("chat.stream_matches_plain", CHAT, "a stream has the shape of the plain answer")
@check("stream.matches_plain", "warning")
def stream_matches_plain(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A streamed answer has the shape of the plain answer to the same request (choices, content kind,
    finish_reason).

    The same request, plain and streamed: the same choices, content kinds and finish reasons.

    Reference: API reference: streaming sends the same completion as chunks; a model may still vary
        between two calls
    Why: a model may answer two requests differently even at temperature 0
    """
    body = chat_body(ctx, model, "Name a colour.", n=2)
    plain = ctx.post(PATH, body)
    streamed = ctx.post(PATH, {**body, "stream": True}, stream=True)
    plain_body = answer_body(plain)
    if plain_body is None or streamed.status != 200 or streamed.stream_cut:
        return  # each answer is judged on its own by the other scenarios
    stream = parse_stream(streamed)
    if any(ctx.check(plain, CHAT)) or any(ctx.check_stream(stream, CHAT)):
        return  # a broken answer is reported by its own check; comparing it would say it twice
    expected, got = _plain_shape(plain_body), _stream_shape(stream)
    if expected and got != expected:
        message = f"the streamed answer has the shape {got}, the plain answer to the same request {expected}"
        yield stream_matches_plain.violation(message), streamed
