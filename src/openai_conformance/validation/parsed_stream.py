"""A streamed answer read once: its events, what each event holds, where it ended and how.

Every stream rule (validation/stream.py), every semantics rule on streams and the scenario that
compares a stream with a plain answer read one :class:`ParsedStream`; the Judge builds it once per
answer with :func:`parse_stream`. Events come from the transport, which decodes an event stream as
it arrives (``transport.sse.events_of``); parsing is pure and names no check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.transport.exchange import Exchange, SseEvent, StreamEnd
from openai_conformance.transport.sse import SseProblem, events_of, looks_merged

__all__ = [
    "EVENT_STREAM",
    "ParsedStream",
    "StreamError",
    "choices_of",
    "looks_like_event_stream",
    "parse_stream",
    "preview",
]

EVENT_STREAM = "text/event-stream"


@dataclass(frozen=True, slots=True)
class StreamError:
    """An event that carries an API error (``{"error": …}`` without choices) instead of a chunk."""

    index: int  # its position among the stream's events
    data: str
    opened: bool  # no chunk came before it: the stream is an error, not a stream aborted midway


@dataclass(frozen=True, slots=True)
class ParsedStream:
    """What one streamed answer said, event by event.

    The stream rules judge what came before an error event (``values``, ``chunks``): what follows
    an abort is not the server's answer to frame or end. Events after it are still read to
    ``[DONE]`` for their chunks (``every_chunk``), which the semantics rules on streams and the
    comparison with a plain answer count too.
    """

    exchange: Exchange
    events: list[SseEvent] = field(default_factory=list)  # each with its arrival time, ``at``
    problems: list[SseProblem] = field(default_factory=list)  # framing problems the decoder noted
    values: list[tuple[int, Any]] = field(default_factory=list)  # JSON data before an error, by event index
    after_error: list[tuple[int, Any]] = field(default_factory=list)  # JSON data after an error
    not_json: list[int] = field(default_factory=list)  # events before an error whose data is not JSON
    done_at: int | None = None  # the ``[DONE]`` event, when it came before any error
    after_done: int | None = None  # the first event that follows ``[DONE]``
    error: StreamError | None = None  # the first error event

    @property
    def is_event_stream(self) -> bool:
        """Whether the answer was served as an event stream at all."""
        return self.exchange.content_type == EVENT_STREAM

    @property
    def end(self) -> StreamEnd | None:
        """How reading the stream ended (None for an answer read whole, as in hand-built exchanges)."""
        return self.exchange.stream_end

    @property
    def ended_by_server(self) -> bool:
        """Whether the server ended the stream: rules about how a stream ends may judge it."""
        return not self.exchange.stream_cut

    @property
    def aborted(self) -> bool:
        """Whether an error event ended the stream (at its start or midway)."""
        return self.error is not None

    @property
    def finished(self) -> bool:
        """The server ended the stream and no error cut it: its end can be judged."""
        return self.ended_by_server and not self.aborted

    @property
    def chunks(self) -> list[tuple[int, dict[str, Any]]]:
        """The JSON objects among ``values``: the chunks the stream rules judge."""
        return [(i, value) for i, value in self.values if isinstance(value, dict)]

    @property
    def every_chunk(self) -> list[tuple[int, dict[str, Any]]]:
        """Every JSON object up to ``[DONE]`` but the error events, those after an error included."""
        return [(i, value) for i, value in (*self.values, *self.after_error) if isinstance(value, dict)]


def _is_error(value: Any) -> bool:
    return isinstance(value, dict) and "error" in value and "choices" not in value


def looks_like_event_stream(body: bytes) -> bool:
    """Whether a body served under another media type is an event stream all the same."""
    start = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith((b"data:", b"event:", b"id:", b"retry:", b":"))


def parse_stream(exchange: Exchange) -> ParsedStream:
    """Read a streamed answer once; an answer that is not an event stream has no events.

    A body that is an event stream under another media type is still read as one, so that every
    stream rule that can be judged is (its media type is stream.content_type's to report).
    """
    if exchange.content_type != EVENT_STREAM and not looks_like_event_stream(exchange.body):
        return ParsedStream(exchange)
    events, problems = events_of(exchange)
    values: list[tuple[int, Any]] = []
    after_error: list[tuple[int, Any]] = []
    not_json: list[int] = []
    done_at: int | None = None
    after_done: int | None = None
    error: StreamError | None = None
    for i, event in enumerate(events):
        if done_at is not None:
            after_done = i
            break
        data = event.data
        if data.strip() == "[DONE]":
            if error is not None:
                break  # an aborted stream's end is not judged
            done_at = i
            continue
        try:
            value = json.loads(data)
        except ValueError:
            if error is None and not looks_merged(data):  # merged events are the decoder's to note
                not_json.append(i)
            continue
        if _is_error(value):
            if error is None:
                opened = not any(isinstance(v, dict) for _, v in values)
                error = StreamError(i, data, opened)
            continue
        (values if error is None else after_error).append((i, value))
    return ParsedStream(exchange, events, problems, values, after_error, not_json, done_at, after_done, error)


def choices_of(chunk: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The choice objects of a chunk, with their positions in its ``choices``."""
    choices = chunk.get("choices")
    for j, choice in enumerate(choices if isinstance(choices, list) else []):
        if isinstance(choice, dict):
            yield j, choice


def preview(text: str, limit: int = 80) -> str:
    """An event's data, shortened for a message."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
