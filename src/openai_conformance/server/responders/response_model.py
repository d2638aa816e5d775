"""What the reference server's Responses model reads and writes: inputs as items, output items, tokens.

A request's ``input`` (a string, or a list of items) becomes the items ``GET .../input_items`` lists;
its text, with the instructions and the turns of any ``previous_response_id`` chain, is what the
"model" reads: the words it writes derive from it, and it is counted as the input tokens. The output
is one message (plain text, or JSON for the ``json_object`` and ``json_schema`` text formats), or a
function call when ``tool_choice`` forces one (or, under ``auto``, when the last input names a
declared function). Asked for a *long* answer (the word appears in the input), it writes 40 to 60
words, so that ``max_output_tokens`` (at least 16) cuts it: the message is then ``incomplete``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.server.bodies import build_instance
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.generate import digest, reply_words, tokens
from openai_conformance.server.responders.text import limit
from openai_conformance.server.routing import RequestError

__all__ = ["Output", "Turn", "input_items", "read_turn", "write_output"]

_ROLES = frozenset({"user", "system", "developer"})


@dataclass
class Turn:
    """What one request gives the model to read."""

    items: list[dict[str, Any]]  # the input as stored items (with ids), oldest first
    text: str  # everything the model reads: earlier turns, instructions, this input
    input_tokens: int


@dataclass
class Output:
    """What the model wrote for one turn."""

    items: list[dict[str, Any]] = field(default_factory=list)
    output_tokens: int = 0
    text: str = ""  # the words written (for the next turn of a conversation)
    cut: bool = False  # stopped at max_output_tokens


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text")) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _input_content(content: Any) -> list[dict[str, Any]]:
    """A message's content as a list of input parts (a string is one ``input_text``)."""
    if isinstance(content, str):
        return [{"type": "input_text", "text": content}]
    return (
        copy.deepcopy([part for part in content if isinstance(part, dict)])
        if isinstance(content, list)
        else []
    )


def input_items(server: Server, call: Call) -> list[dict[str, Any]]:
    """The request's ``input`` as the items the API lists, each with an id."""
    value = call.arg("input")
    raw = [{"type": "message", "role": "user", "content": value}] if isinstance(value, str) else value or []
    items: list[dict[str, Any]] = []
    store = server.store
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") in _ROLES:
            items.append(
                {
                    "id": store.new_id("msg_", item),
                    "type": "message",
                    "role": item["role"],
                    "content": _input_content(item.get("content")),
                    "status": "completed",
                }
            )
        elif kind == "message" and item.get("role") == "assistant":
            text = _content_text(item.get("content"))
            items.append(
                {
                    "id": store.new_id("msg_", item),
                    "type": "message",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
                }
            )
        elif kind in ("function_call", "function_call_output"):
            stored = {k: copy.deepcopy(v) for k, v in item.items() if v is not None}
            stored.setdefault("id", store.new_id("fc_" if kind == "function_call" else "fco_", item))
            stored.setdefault("status", "completed")
            items.append(stored)
    return items


def _text_of(item: dict[str, Any]) -> str:
    if item.get("type") == "message":
        return _content_text(item.get("content"))
    if item.get("type") == "function_call_output":
        return _content_text(item.get("output"))
    return str(item.get("arguments") or "")


def read_turn(server: Server, call: Call, context: str) -> Turn:
    """The items and text of this request; ``context`` is the text of the earlier turns."""
    items = input_items(server, call)
    instructions = call.arg("instructions")
    parts = [context] if context else []
    if isinstance(instructions, str) and instructions:
        parts.append(instructions)
    parts += [_text_of(item) for item in items]
    text = "\n".join(part for part in parts if part)
    count = tokens(text) + len(items) + (1 if isinstance(instructions, str) and instructions else 0)
    return Turn(items, text, count)


def _function_tools(call: Call) -> list[dict[str, Any]]:
    return [t for t in call.arg("tools", []) if isinstance(t, dict) and t.get("type") == "function"]


def _called(call: Call, turn: Turn) -> dict[str, Any] | None:
    """The function tool the model calls, if any (400 for a forced function that is not declared)."""
    tools = _function_tools(call)
    choice = call.arg("tool_choice", "auto")
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = choice.get("name")
        found = next((t for t in tools if t.get("name") == name), None)
        if found is None:
            raise RequestError(
                400,
                f"Tool choice 'function' with name '{str(name)[:100]}' is not among the tools.",
                param="tool_choice",
            )
        return found
    if choice == "required" and tools:
        return tools[0]
    if choice == "auto" and tools and turn.items:
        last = _text_of(turn.items[-1])
        return next(
            (t for t in tools if isinstance(t.get("name"), str) and t["name"] and t["name"] in last), None
        )
    return None


def _message_text(server: Server, call: Call, words: list[str]) -> str:
    fmt = (call.arg("text") or {}).get("format") if isinstance(call.arg("text"), dict) else None
    kind = fmt.get("type") if isinstance(fmt, dict) else "text"
    if kind == "json_object":
        return json.dumps({"answer": " ".join(words)}, separators=(",", ":"))
    if kind == "json_schema":
        schema = fmt.get("schema") if isinstance(fmt, dict) else None
        instance = server.hooks.json_schema(
            call, build_instance(schema if isinstance(schema, dict) else {}), words
        )
        return json.dumps(instance, ensure_ascii=False, separators=(",", ":"))
    return " ".join(words).capitalize() + "."


def write_output(server: Server, call: Call, turn: Turn, most: int | None) -> Output:
    """What the model writes for ``turn``, cut at ``most`` tokens."""
    key = digest(
        "responses",
        call.arg("model"),
        turn.text,
        call.arg("tools"),
        call.arg("text"),
        call.arg("tool_choice"),
    )
    store = server.store
    function = _called(call, turn)
    if function is not None:
        instance = build_instance(
            function.get("parameters") if isinstance(function.get("parameters"), dict) else {}
        )
        arguments = json.dumps(
            instance if isinstance(instance, dict) else {}, ensure_ascii=False, separators=(",", ":")
        )
        item = {
            "id": "fc_" + digest(key, "item")[:40],
            "type": "function_call",
            "status": "completed",
            "call_id": "call_" + digest(key, "call")[:24],
            "name": str(function.get("name", "")),
            "arguments": arguments,
        }
        used = tokens(arguments)
        return Output([item], used if most is None else min(used, most), arguments)
    long_answer = "long" in turn.text.lower()
    words = reply_words(key, 40, 60) if long_answer else reply_words(key, 8, 24)
    text = limit(_message_text(server, call, words), [], most)
    message = {
        "id": store.new_id("msg_", key),
        "type": "message",
        "role": "assistant",
        "status": "incomplete" if text.finish == "length" else "completed",
        "content": [{"type": "output_text", "text": text.content, "annotations": [], "logprobs": []}],
    }
    return Output([message], tokens(text.content), text.content, text.finish == "length")
