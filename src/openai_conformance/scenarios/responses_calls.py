"""The calls of the Responses workflows (scenarios/responses.py): create, retrieve, and what an answer says.

A workflow creates a response plainly or streamed and reads back the response it ended with (the body
of a plain answer, the response of a stream's terminal event), retrieves a stored one, and compares
what the two say (:func:`summary`).
"""

from __future__ import annotations

from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, answer_body
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.parsed_stream import parse_stream
from openai_conformance.validation.responses_stream import TERMINAL_TYPES, typed_events

__all__ = ["ANSWER_SCHEMA", "ITEM", "WEATHER", "body", "create", "final", "get", "summary"]

_PATH = "/responses"
ITEM = "/responses/{response_id}"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city name, e.g. Paris"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}


def body(model: str, prompt: str, **fields: Any) -> dict[str, Any]:
    return {"model": model, "input": prompt, "temperature": 0, **fields}


def create(ctx: ScenarioContext, body: dict[str, Any], *, stream: bool = False) -> Exchange:
    return ctx.post(_PATH, {**body, "stream": True} if stream else body, stream=stream)


def get(ctx: ScenarioContext, response_id: str, suffix: str = "", **query: Any) -> Exchange:
    path = f"/responses/{response_id}{suffix}"
    return ctx.send(ctx.request("GET", path, template=ITEM + suffix, query=query or None))


def final(exchange: Exchange) -> dict[str, Any] | None:
    """The response an answer ends with: the body of a plain answer, a stream's terminal response."""
    if exchange.status != 200:
        return None
    if exchange.content_type != "text/event-stream":
        return answer_body(exchange)
    for _, kind, event in reversed(typed_events(parse_stream(exchange))):
        if kind in TERMINAL_TYPES and isinstance(event.get("response"), dict):
            return dict(event["response"])
    return None


def summary(response: dict[str, Any]) -> dict[str, Any]:
    """What a retrieved response must repeat of the one that ended: id, status, items, usage."""
    items = []
    for item in response.get("output") or []:
        if isinstance(item, dict):
            texts = [p.get("text") for p in item.get("content") or [] if isinstance(p, dict)]
            items.append((item.get("id"), item.get("type"), texts, item.get("arguments")))
    usage: dict[str, Any] = response["usage"] if isinstance(response.get("usage"), dict) else {}
    counts = tuple(usage.get(name) for name in ("input_tokens", "output_tokens", "total_tokens"))
    return {"id": response.get("id"), "status": response.get("status"), "output": items, "usage": counts}
