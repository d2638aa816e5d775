"""Faults the stream checks catch: event streams framed, ended, timed or shaped wrongly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import CHAT, COMPLETION, Fault, each_event
from openai_conformance.server.routing import RequestError
from openai_conformance.server.wire import Pause, Wire

__all__ = ["STREAMING_FAULTS"]

_STREAMS = (CHAT, COMPLETION)  # the operations that stream
_STALL_SECONDS = 3600.0


def _as_json(wire: Wire) -> Wire:
    return replace(wire, media_type="application/json")


def _junk_lines(wire: Wire) -> Wire:
    pieces: list[bytes | Pause] = []
    for position, piece in enumerate(wire.pieces):
        if position:
            pieces.append(b"keep-alive\n\n")
        pieces.append(piece)
    return replace(wire, pieces=pieces)


def _no_done(wire: Wire) -> Wire:
    return replace(wire, end=None)


def _stall(wire: Wire) -> Wire:
    return replace(wire, pieces=[*wire.pieces[:1], Pause(_STALL_SECONDS)], end=None)


def _chunk_object(position: int, event: Any) -> None:
    event["object"] = "chat.completion"


def _new_id(position: int, event: Any) -> None:
    if event.get("choices"):
        event["id"] = f"{event['id']}-{position}"


def _later_created(position: int, event: Any) -> None:
    if event.get("choices"):
        event["created"] = event["created"] + position


def _no_finish(call: Call, events: list[Any]) -> list[Any]:
    return [e for e in events if all(c.get("finish_reason") is None for c in e.get("choices") or [])]


def _ask_usage(call: Call) -> Call:
    options = call.arg("stream_options")
    options = {**options, "include_usage": True} if isinstance(options, dict) else {"include_usage": True}
    return call.with_body({**call.fields(), "stream_options": options})


def _usage_with_choices(call: Call, events: list[Any]) -> list[Any]:
    if len(events) >= 2 and events[-1].get("choices") == [] and "usage" in events[-1]:
        usage = events.pop()["usage"]
        events[-1]["usage"] = usage
    return events


def _tool_deltas(event: Any) -> list[Any]:
    return [d for c in event.get("choices") or [] for d in (c.get("delta") or {}).get("tool_calls") or []]


def _no_tool_index(position: int, event: Any) -> None:
    for delta in _tool_deltas(event):
        delta.pop("index", None)


def _truncated_arguments(call: Call, events: list[Any]) -> list[Any]:
    """Each choice loses the last chunk of its tool call: the last piece of the arguments."""
    last: dict[Any, int] = {}
    for position, event in enumerate(events):
        if _tool_deltas(event):
            last[event["choices"][0]["index"]] = position
    dropped = set(last.values())
    return [event for position, event in enumerate(events) if position not in dropped]


def _error_as_event(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    streamed = call is not None and call.arg("stream") is True
    if streamed and error.code == "model_not_found" and isinstance(reply, Answer):
        return StreamAnswer([reply.body])
    return reply


STREAMING_FAULTS: tuple[Fault, ...] = (
    Fault(
        "stream-as-json",
        "stream.content_type",
        "Streamed completions are served with `Content-Type: application/json` instead of text/event-stream.",
        operations=_STREAMS,
        delivery=_as_json,
    ),
    Fault(
        "stream-junk-lines",
        "stream.framing",
        "Streams put a bare `keep-alive` line (neither a field nor a `:` comment) between events.",
        operations=_STREAMS,
        delivery=_junk_lines,
    ),
    Fault(
        "stream-no-done",
        "stream.done",
        "Streams end without the final `data: [DONE]` event.",
        operations=_STREAMS,
        delivery=_no_done,
    ),
    Fault(
        "stream-chunk-object",
        "stream.chunk_schema",
        'Chat stream chunks carry `object: "chat.completion"` instead of "chat.completion.chunk".',
        operations=(CHAT,),
        events=each_event(_chunk_object),
    ),
    Fault(
        "stream-id-changes",
        "stream.consistent_id",
        "Every chunk of a chat stream carries a different id.",
        operations=(CHAT,),
        events=each_event(_new_id),
    ),
    Fault(
        "stream-created-changes",
        "stream.consistent_created",
        "The chunks of a chat stream carry `created` timestamps a second apart.",
        operations=(CHAT,),
        events=each_event(_later_created),
    ),
    Fault(
        "stream-no-finish",
        "stream.finish_reason",
        "Chat streams never send the final chunk with a non-null finish_reason.",
        operations=(CHAT,),
        events=_no_finish,
    ),
    Fault(
        "stream-usage-unasked",
        "stream.usage",
        "Chat streams send a usage chunk even when `stream_options.include_usage` is not set.",
        operations=(CHAT,),
        request=_ask_usage,
    ),
    Fault(
        "stream-usage-with-choices",
        "stream.usage",
        "With include_usage, usage rides on the last finish chunk (non-empty choices) instead of its own chunk.",
        operations=(CHAT,),
        events=_usage_with_choices,
    ),
    Fault(
        "stream-tool-call-no-index",
        "stream.tool_call_index",
        "Streamed tool-call deltas omit their required `index`.",
        operations=(CHAT,),
        events=each_event(_no_tool_index),
    ),
    Fault(
        "stream-tool-args-truncated",
        "stream.tool_call_arguments",
        "Streamed tool-call argument fragments lose their last piece, so the joined arguments are not JSON.",
        operations=(CHAT,),
        events=_truncated_arguments,
    ),
    Fault(
        "stream-stall",
        "stream.stalled",
        "Chat streams send their first chunk and then stay silent for an hour.",
        operations=(CHAT,),
        delivery=_stall,
    ),
    Fault(
        "stream-error-as-event",
        "stream.error_status",
        "A streamed chat request naming an unknown model gets a 200 event stream with an error event "
        "instead of an HTTP 404.",
        operations=(CHAT,),
        error=_error_as_event,
    ),
)
