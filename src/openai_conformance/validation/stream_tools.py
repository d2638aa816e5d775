"""Tool calls in a chat stream: each delta names its call by index, and the argument fragments join.

A streamed tool call arrives in pieces: the first delta of a call carries its ``id`` and name, the
following ones carry fragments of ``function.arguments`` under the same ``index``; a client joins
the fragments of one index. Both rules read the chunks of one :class:`ParsedStream`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.parsed_stream import ParsedStream, choices_of, preview
from openai_conformance.validation.registry import check
from openai_conformance.validation.semantics.shared import json_int
from openai_conformance.validation.violations import Violation

__all__ = ["check_tool_calls", "tool_call_arguments", "tool_call_index"]


def _several_documents(parts: list[str]) -> bool:
    """Whether argument pieces are complete JSON documents resent instead of fragments."""
    whole = [part for part in parts if part.strip()]
    if len(whole) < 2:
        return False
    for part in whole:
        try:
            json.loads(part)
        except ValueError:
            return False
    return True


def _strict_functions(request: Any) -> set[str]:
    """The names of the request's functions declared ``strict: true`` (Structured Outputs)."""
    tools = request.get("tools") if isinstance(request, dict) else None
    names = set()
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            isinstance(function, dict)
            and function.get("strict") is True
            and isinstance(function.get("name"), str)
        ):
            names.add(function["name"])
    return names


def _call_names(stream: ParsedStream) -> dict[tuple[int, int], str]:
    """The function name each (choice, call index) was given in its first delta."""
    names: dict[tuple[int, int], str] = {}
    for _, chunk in stream.chunks:
        for _, choice in choices_of(chunk):
            delta = choice.get("delta")
            calls = delta.get("tool_calls") if isinstance(delta, dict) else None
            for call in calls if isinstance(calls, list) else []:
                function = call.get("function") if isinstance(call, dict) else None
                key = (
                    json_int(choice.get("index")),
                    json_int(call.get("index")) if isinstance(call, dict) else None,
                )
                name = function.get("name") if isinstance(function, dict) else None
                if key[0] is not None and key[1] is not None and isinstance(name, str):
                    names.setdefault((key[0], key[1]), name)
    return names


def _deltas(stream: ParsedStream) -> Iterator[tuple[str, int | None, dict[str, Any]]]:
    """Each tool-call delta of the stream: its pointer, its choice's index, the delta."""
    for i, chunk in stream.chunks:
        for j, choice in choices_of(chunk):
            delta = choice.get("delta")
            calls = delta.get("tool_calls") if isinstance(delta, dict) else None
            for k, call in enumerate(calls if isinstance(calls, list) else []):
                if isinstance(call, dict):
                    yield f"/events/{i}/choices/{j}/delta/tool_calls/{k}", json_int(choice.get("index")), call


@check("stream.tool_call_index", "error")
def tool_call_index(stream: ParsedStream) -> Iterator[Violation]:
    """Every tool-call delta carries an integer index.

    Each call has an index of its own: one index naming two call ids is reported too (the first
    fault only).

    Reference: ChatCompletionMessageToolCallChunk.index (required)
    Why: the index is the server's bookkeeping of the calls, not model output
    """
    ids: dict[tuple[int, int], str] = {}
    for pointer, choice_index, call in _deltas(stream):
        index = json_int(call.get("index"))
        if index is None:
            got = "missing" if "index" not in call else repr(call["index"])
            yield tool_call_index.violation(
                f"a tool-call delta needs an integer index, got {got}", f"{pointer}/index"
            )
            return
        call_id = call.get("id")
        if choice_index is None or not isinstance(call_id, str) or not call_id:
            continue
        key = (choice_index, index)
        if key in ids and ids[key] != call_id:
            yield tool_call_index.violation(
                f"index {index} names tool call {ids[key]!r} and then {call_id!r}: each call needs its own index",
                f"{pointer}/index",
            )
            return
        ids.setdefault(key, call_id)


@check("stream.tool_call_arguments", "error")
def tool_call_arguments(stream: ParsedStream, final: Mapping[int, str]) -> Iterator[Violation]:
    """Tool-call arguments joined across deltas parse as JSON.

    ``final`` is the finish_reason of each choice: a call cut by ``length`` may be incomplete.

    Reference: function.arguments: the arguments in JSON format
    Why: a fragment of a string is a string, and a complete document resent in each delta is the
        server's framing, not model output
    Relaxed: a warning when the joined fragments are merely not JSON, which a model may write; an error
        when the arguments are not strings, each delta resends whole documents, or the function is
        `strict`
    """
    arguments: dict[tuple[int, int], list[str]] = {}
    where: dict[tuple[int, int], str] = {}
    unindexed = type_reported = False
    for pointer, choice_index, call in _deltas(stream):
        index = json_int(call.get("index"))
        unindexed = unindexed or index is None
        function = call.get("function")
        piece = function.get("arguments") if isinstance(function, dict) else None
        if index is None or choice_index is None or piece is None:
            continue
        if not isinstance(piece, str):
            if not type_reported:
                type_reported = True
                yield tool_call_arguments.violation(
                    f"arguments must be a string fragment, got {type(piece).__name__}",
                    f"{pointer}/function/arguments",
                )
            continue
        arguments.setdefault((choice_index, index), []).append(piece)
        where[(choice_index, index)] = f"{pointer}/function/arguments"
    if not stream.finished or unindexed:
        return  # deltas without an index cannot be joined: the arguments are unknown, not wrong
    strict = _strict_functions(stream.exchange.request.json_body)
    names = _call_names(stream)
    for key, parts in arguments.items():
        if final.get(key[0]) in ("length", "content_filter"):
            continue  # cut short: the arguments may be incomplete
        joined = "".join(parts)
        try:
            json.loads(joined)
        except ValueError:
            resent = _several_documents(parts)
            how = " (each delta repeats complete arguments instead of a fragment)" if resent else ""
            # Only a broken concatenation is certainly the server's fault; a model may write bad JSON.
            yield tool_call_arguments.violation(
                f"the arguments of tool call {key[1]} of choice {key[0]}, joined, are not JSON{how}: "
                f"{preview(joined)}",
                where[key],
                warning=not resent and names.get(key) not in strict,
            )


def check_tool_calls(stream: ParsedStream, final: Mapping[int, str]) -> Iterator[Violation]:
    """Every tool-call delta has an index of its own; the fragments of each call join into JSON."""
    yield from tool_call_index(stream)
    yield from tool_call_arguments(stream, final)
