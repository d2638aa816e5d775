"""Chat scenarios with tools: every form of tool_choice, parallel_tool_calls, and strict functions.

The prompts ask about the weather (and the time) in Paris, so that a model left to itself would call
the tools: ``none`` must then call none, ``required`` and a named function must call, and
``parallel_tool_calls: false`` must call one at most although two were asked for. A ``strict: true``
function (Structured Outputs) must get arguments valid for its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios
from openai_conformance.scenarios.chat import CHAT, chat_body, send_chat

__all__ = ["FORCED", "SCENARIOS", "WEATHER_TOOL", "strict"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

WEATHER_TOOL: dict[str, Any] = {
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
_TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the current local time in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
FORCED = {"type": "function", "function": {"name": "get_weather"}}
_WEATHER = "What is the weather in Paris?"
_BOTH = "What are the weather and the local time in Paris? Use get_weather and get_time."


def strict(tool: dict[str, Any]) -> dict[str, Any]:
    """The tool with ``strict: true`` on its function (its schema already qualifies: closed, all required)."""
    return {**tool, "function": {**tool["function"], "strict": True}}


@scenario("chat.tool_choice", CHAT, "a forced function with a parameters schema")
def _forced(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from send_chat(ctx, chat_body(ctx, model, _WEATHER, tools=[WEATHER_TOOL], tool_choice=FORCED))


@scenario("chat.tool_choice_required", CHAT, "tool_choice `required` gives a tool call")
def _required(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    tools = [WEATHER_TOOL, _TIME_TOOL]
    yield from send_chat(ctx, chat_body(ctx, model, _WEATHER, tools=tools, tool_choice="required"))


@scenario("chat.tool_choice_none", CHAT, "tool_choice `none` gives no tool call")
def _none(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    prompt = _WEATHER + " Use get_weather if you can."
    yield from send_chat(ctx, chat_body(ctx, model, prompt, tools=[WEATHER_TOOL], tool_choice="none"))


@scenario("chat.parallel_tool_calls", CHAT, "parallel_tool_calls false gives one call at most")
def _parallel(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    tools = [WEATHER_TOOL, _TIME_TOOL]
    body = chat_body(ctx, model, _BOTH, tools=tools, tool_choice="required", parallel_tool_calls=False)
    yield from send_chat(ctx, body)


@scenario("chat.strict_tool", CHAT, "a strict function gets arguments valid for its schema")
def _strict(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    tools = [strict(WEATHER_TOOL)]
    yield from send_chat(ctx, chat_body(ctx, model, _WEATHER, tools=tools, tool_choice=FORCED))
    yield from send_chat(ctx, chat_body(ctx, model, _WEATHER, tools=tools, tool_choice=FORCED), stream=True)
