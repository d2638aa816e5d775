"""Hand-built Responses answers and streams, as OpenAI's API reference shows them (f85dbe2's examples).

Written independently of the reference server: a conformant stream here is what the API sends, with
its ``event:`` names, ``sequence_number`` from 0, the item and part events around the deltas, and the
terminal response repeating the items.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from openai_conformance.openapi.loader import load_contract
from openai_conformance.transport.exchange import Exchange, SseEvent, StreamEnd
from openai_conformance.transport.sse import decode_sse
from openai_conformance.validation.event_schema import EventUnion, SchemaSet
from tests.validation.validation_factories import make_request

RESPONSE_ID = "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
MESSAGE_ID = "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b"
CALL_ID = "fc_12345xyz"
REQUEST: dict[str, Any] = {"model": "gpt-4.1", "input": "Tell me a three sentence bedtime story."}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}


@functools.cache
def contract_document() -> dict[str, Any]:
    """f85dbe2 with the suite's overlays, as a run judges against it."""
    return load_contract(pin="f85dbe2", findings=False).document


@functools.cache
def union(name: str = "ResponseStreamEvent") -> EventUnion:
    return EventUnion.of(SchemaSet(contract_document()), name)


def usage(given: int = 36, output: int = 87, total: int | None = None, **details: Any) -> dict[str, Any]:
    return {
        "input_tokens": given,
        "input_tokens_details": {"cached_tokens": details.get("cached", 0), "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": details.get("reasoning", 0)},
        "total_tokens": given + output if total is None else total,
    }


def message(text: str, item_id: str = MESSAGE_ID, status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": [part]}


def function_call(arguments: str, item_id: str = CALL_ID, name: str = "get_weather") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": "call_1",
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def response(
    output: list[dict[str, Any]] | None = None, status: str = "completed", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1741476542,
        "status": status,
        "completed_at": 1741476543 if status == "completed" else None,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": "gpt-4.1-2025-04-14",
        "output": output if output is not None else [message("Once upon a time.")],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage() if status in ("completed", "incomplete") else None,
        "user": None,
        "metadata": {},
    }
    body.update(extra)
    return body


def _item_events(index: int, item: dict[str, Any], pieces: list[str]) -> list[dict[str, Any]]:
    at = {"item_id": item["id"], "output_index": index}
    opened = {**copy.deepcopy(item), "status": "in_progress"}
    events: list[dict[str, Any]] = []
    if item["type"] == "message":
        opened["content"] = []
        part = item["content"][0]
        events.append({"type": "response.output_item.added", "output_index": index, "item": opened})
        events.append(
            {"type": "response.content_part.added", **at, "content_index": 0, "part": {**part, "text": ""}}
        )
        events += [
            {"type": "response.output_text.delta", **at, "content_index": 0, "delta": p, "logprobs": []}
            for p in pieces
        ]
        events.append(
            {
                "type": "response.output_text.done",
                **at,
                "content_index": 0,
                "text": part["text"],
                "logprobs": [],
            }
        )
        events.append(
            {"type": "response.content_part.done", **at, "content_index": 0, "part": copy.deepcopy(part)}
        )
    else:
        opened["arguments"] = ""
        events.append({"type": "response.output_item.added", "output_index": index, "item": opened})
        events += [{"type": "response.function_call_arguments.delta", **at, "delta": p} for p in pieces]
        events.append(
            {
                "type": "response.function_call_arguments.done",
                **at,
                "name": item["name"],
                "arguments": item["arguments"],
            }
        )
    events.append({"type": "response.output_item.done", "output_index": index, "item": copy.deepcopy(item)})
    return events


def stream_events(
    items: list[tuple[dict[str, Any], list[str]]],
    *,
    final: dict[str, Any] | None = None,
    background: bool = False,
) -> list[dict[str, Any]]:
    """A conformant stream: each (item, the pieces its text or arguments are streamed in)."""
    done = final if final is not None else response([item for item, _ in items])
    opening = {
        **copy.deepcopy(done),
        "status": "queued" if background else "in_progress",
        "output": [],
        "usage": None,
        "completed_at": None,
        "incomplete_details": None,
    }
    events: list[dict[str, Any]] = [{"type": "response.created", "response": opening}]
    events.append(
        {"type": "response.in_progress", "response": {**copy.deepcopy(opening), "status": "in_progress"}}
    )
    for index, (item, pieces) in enumerate(items):
        events += _item_events(index, item, pieces)
    terminal = {"completed": "response.completed", "incomplete": "response.incomplete"}.get(
        done["status"], "response.failed"
    )
    events.append({"type": terminal, "response": done})
    return renumber(events)


def text_events(
    pieces: tuple[str, ...] = ("Once", " upon", " a time."), **options: Any
) -> list[dict[str, Any]]:
    return stream_events([(message("".join(pieces)), list(pieces))], **options)


def function_events(pieces: tuple[str, ...] = ('{"city"', ': "Paris"}')) -> list[dict[str, Any]]:
    return stream_events([(function_call("".join(pieces)), list(pieces))])


def renumber(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def sse(
    events: list[Any], *, named: bool = True, newline: str = "\n", comments: bool = False, done: bool = False
) -> bytes:
    """The events framed as the API frames them: `event:` then `data:`, a blank line after each."""
    out = []
    for event in events:
        text = event if isinstance(event, str) else json.dumps(event)
        kind = event.get("type") if named and isinstance(event, dict) else None
        head = f"event: {kind}{newline}" if isinstance(kind, str) else ""
        if comments:
            out.append(f": keep-alive{newline}{newline}")
        out.append(f"{head}data: {text}{newline}{newline}")
    if done:
        out.append(f"data: [DONE]{newline}{newline}")
    return "".join(out).encode()


def responses_exchange(
    events: list[Any] | None = None,
    request: dict[str, Any] | None = None,
    *,
    raw: bytes | None = None,
    stream_end: StreamEnd = StreamEnd.COMPLETE,
    gap: float = 0.0,
    **framing: Any,
) -> Exchange:
    """A streamed answer of POST /responses; ``gap`` spaces the events' arrival times (a slow stream)."""
    body = raw if raw is not None else sse(events or [], **framing)
    decoded, problems = decode_sse(body)
    timed = [SseEvent(e.data, e.event, e.id, e.retry, at=0.05 + n * gap) for n, e in enumerate(decoded)]
    return Exchange(
        request=make_request("/responses", {**REQUEST, **(request or {}), "stream": True}),
        status=200,
        headers={"content-type": "text/event-stream; charset=utf-8"},
        body=body,
        elapsed=0.1 + len(decoded) * gap,
        events=timed,
        sse_problems=problems,
        stream_end=stream_end,
        stream_note=None
        if stream_end is StreamEnd.COMPLETE
        else f"the suite cut the stream ({stream_end.value})",
    )
