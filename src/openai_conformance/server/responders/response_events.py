"""A response told as the events of a Responses stream, numbered and indexed as the API sends them.

``response.created`` (the response as it starts: ``queued`` in the background, else ``in_progress``,
no output, no usage), ``response.in_progress``, then each output item at its ``output_index``:
``output_item.added``, for a message each content part (``content_part.added``, one
``output_text.delta`` per token, ``output_text.done``, ``content_part.done``), for a function call
its argument deltas and ``function_call_arguments.done``; ``output_item.done``; last the terminal
event named by the response's status. ``sequence_number`` counts every event from 0.
"""

from __future__ import annotations

import copy
from typing import Any

from openai_conformance.server.generate import split_tokens

__all__ = ["response_events", "started"]

_TERMINAL = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
}


def started(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` as it looks when it starts: no output, no usage, not finished."""
    opening = copy.deepcopy(response)
    opening.update(
        {
            "status": "queued" if response.get("background") else "in_progress",
            "output": [],
            "incomplete_details": None,
            "error": None,
            "completed_at": None,
        }
    )
    opening.pop("usage", None)  # not nullable in the spec: a response that has used nothing yet has none
    return opening


def _pieces(text: str) -> list[str]:
    if len(text) < 2:
        return [text]
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def _item_events(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    opened = copy.deepcopy(item)
    opened["status"] = "in_progress"
    if item.get("type") == "message":
        opened["content"] = []
    elif item.get("type") == "function_call":
        opened["arguments"] = ""
    events.append({"type": "response.output_item.added", "output_index": index, "item": opened})
    item_id = item.get("id")
    at = {"item_id": item_id, "output_index": index}
    if item.get("type") == "message":
        for part_index, part in enumerate(item.get("content") or []):
            text = str(part.get("text", ""))
            empty = {**copy.deepcopy(part), "text": ""}
            events.append(
                {"type": "response.content_part.added", **at, "content_index": part_index, "part": empty}
            )
            for piece in split_tokens(text) if text else []:
                events.append(
                    {
                        "type": "response.output_text.delta",
                        **at,
                        "content_index": part_index,
                        "delta": piece,
                        "logprobs": [],
                    }
                )
            events.append(
                {
                    "type": "response.output_text.done",
                    **at,
                    "content_index": part_index,
                    "text": text,
                    "logprobs": [],
                }
            )
            events.append(
                {
                    "type": "response.content_part.done",
                    **at,
                    "content_index": part_index,
                    "part": copy.deepcopy(part),
                }
            )
    elif item.get("type") == "function_call":
        arguments = str(item.get("arguments", ""))
        for piece in _pieces(arguments):
            events.append({"type": "response.function_call_arguments.delta", **at, "delta": piece})
        events.append(
            {
                "type": "response.function_call_arguments.done",
                **at,
                "name": item.get("name"),
                "arguments": arguments,
            }
        )
    events.append({"type": "response.output_item.done", "output_index": index, "item": copy.deepcopy(item)})
    return events


def response_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The events that stream the finished ``response``, from ``response.created`` to its terminal event."""
    opening = started(response)
    events: list[dict[str, Any]] = [{"type": "response.created", "response": opening}]
    running = {**copy.deepcopy(opening), "status": "in_progress"}
    events.append({"type": "response.in_progress", "response": running})
    for index, item in enumerate(response.get("output") or []):
        events += _item_events(index, item)
    terminal = _TERMINAL.get(str(response.get("status")), "response.completed")
    events.append({"type": terminal, "response": copy.deepcopy(response)})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]
