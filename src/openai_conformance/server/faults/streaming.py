"""Faults the stream checks catch: event streams framed, ended, timed or shaped wrongly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import CHAT, COMPLETION, EACH_EVENT, Faults
from openai_conformance.server.hooks import DELIVERY, ERROR, EVENTS, REQUEST
from openai_conformance.server.routing import RequestError
from openai_conformance.server.wire import Pause, Wire

__all__ = ["STREAMING_FAULTS"]

STREAMING_FAULTS = Faults()
fault = STREAMING_FAULTS.declare

_STREAMS = (CHAT, COMPLETION)  # the operations that stream
_STALL_SECONDS = 3600.0

# -- framing --------------------------------------------------------------------------------------


@fault("stream-as-json", "stream.content_type", _STREAMS, at=DELIVERY)
def _as_json(wire: Wire) -> Wire:
    """Streamed completions are served with `Content-Type: application/json` instead of text/event-stream."""
    return replace(wire, media_type="application/json")


@fault("stream-junk-lines", "stream.framing", _STREAMS, at=DELIVERY)
def _junk_lines(wire: Wire) -> Wire:
    """Streams put a bare `keep-alive` line (neither a field nor a `:` comment) between events."""
    pieces: list[bytes | Pause] = []
    for position, piece in enumerate(wire.pieces):
        if position:
            pieces.append(b"keep-alive\n\n")
        pieces.append(piece)
    return replace(wire, pieces=pieces)


@fault("stream-no-done", "stream.done", _STREAMS, at=DELIVERY)
def _no_done(wire: Wire) -> Wire:
    """Streams end without the final `data: [DONE]` event."""
    return replace(wire, end=None)


# -- the chunks of a chat stream ------------------------------------------------------------------


@fault("stream-chunk-object", "stream.chunk_schema", CHAT, at=EACH_EVENT)
def _chunk_object(position: int, event: Any) -> None:
    """Chat stream chunks carry `object: "chat.completion"` instead of "chat.completion.chunk"."""
    event["object"] = "chat.completion"


@fault("stream-id-changes", "stream.consistent_id", CHAT, at=EACH_EVENT)
def _new_id(position: int, event: Any) -> None:
    """Every chunk of a chat stream carries a different id."""
    if event.get("choices"):
        event["id"] = f"{event['id']}-{position}"


@fault("stream-created-changes", "stream.consistent_created", CHAT, at=EACH_EVENT)
def _later_created(position: int, event: Any) -> None:
    """The chunks of a chat stream carry `created` timestamps a second apart."""
    if event.get("choices"):
        event["created"] = event["created"] + position


@fault("stream-no-finish", "stream.finish_reason", CHAT, at=EVENTS)
def _no_finish(call: Call, events: list[Any]) -> list[Any]:
    """Chat streams never send the final chunk with a non-null finish_reason."""
    return [e for e in events if all(c.get("finish_reason") is None for c in e.get("choices") or [])]


@fault("stream-usage-unasked", "stream.usage", CHAT, at=REQUEST)
def _ask_usage(call: Call) -> Call:
    """Chat streams send a usage chunk even when `stream_options.include_usage` is not set."""
    options = call.arg("stream_options")
    options = {**options, "include_usage": True} if isinstance(options, dict) else {"include_usage": True}
    return call.with_body({**call.fields(), "stream_options": options})


@fault("stream-usage-with-choices", "stream.usage", CHAT, at=EVENTS)
def _usage_with_choices(call: Call, events: list[Any]) -> list[Any]:
    """With include_usage, usage rides on the last finish chunk (non-empty choices) instead of its own chunk."""
    if len(events) >= 2 and events[-1].get("choices") == [] and "usage" in events[-1]:
        usage = events.pop()["usage"]
        events[-1]["usage"] = usage
    return events


def _tool_deltas(event: Any) -> list[Any]:
    return [d for c in event.get("choices") or [] for d in (c.get("delta") or {}).get("tool_calls") or []]


@fault("stream-tool-call-no-index", "stream.tool_call_index", CHAT, at=EACH_EVENT)
def _no_tool_index(position: int, event: Any) -> None:
    """Streamed tool-call deltas omit their required `index`."""
    for delta in _tool_deltas(event):
        delta.pop("index", None)


@fault("stream-tool-args-truncated", "stream.tool_call_arguments", CHAT, at=EVENTS)
def _truncated_arguments(call: Call, events: list[Any]) -> list[Any]:
    """Streamed tool-call argument fragments lose their last piece, so the joined arguments are not JSON.

    Each choice loses the last chunk of its tool call: the last piece of the arguments.
    """
    last: dict[Any, int] = {}
    for position, event in enumerate(events):
        if _tool_deltas(event):
            last[event["choices"][0]["index"]] = position
    dropped = set(last.values())
    return [event for position, event in enumerate(events) if position not in dropped]


# -- timing and errors ----------------------------------------------------------------------------


@fault("stream-stall", "stream.stalled", CHAT, at=DELIVERY)
def _stall(wire: Wire) -> Wire:
    """Chat streams send their first chunk and then stay silent for an hour."""
    return replace(wire, pieces=[*wire.pieces[:1], Pause(_STALL_SECONDS)], end=None)


@fault("stream-error-as-event", "stream.error_status", CHAT, at=ERROR)
def _error_as_event(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    """A streamed chat request naming an unknown model gets a 200 event stream with an error event
    instead of an HTTP 404."""
    streamed = call is not None and call.arg("stream") is True
    if streamed and error.code == "model_not_found" and isinstance(reply, Answer):
        return StreamAnswer([reply.body])
    return reply
