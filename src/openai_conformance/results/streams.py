"""Streams as the report keeps them: one summary per streamed case, and a bounded few timelines.

Every streamed answer (generated or scenario) becomes a :class:`StreamRecord`: how many events came,
when the first one came, the largest silence between two, how it ended. Its ``timeline`` (each
event with its arrival time) is kept for at most :data:`TIMELINES_PER_OPERATION` cases of an
operation — those with an event a violation points at first, then the first ones — and holds at most
:data:`TIMELINE_EVENTS` events (the first ones, every event a violation names, the last ones), so an
endless stream costs the report a few kilobytes. It is built where the answer was judged (the
exchange stays in that process); the record travels inside the operation's result.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.transport.exchange import Exchange, SseEvent

__all__ = [
    "TIMELINES_PER_OPERATION",
    "TIMELINE_EVENTS",
    "StreamRecord",
    "TimelineEvent",
    "event_indices",
    "keep_stream",
    "stream_record",
]

#: Cases of one operation whose every event (up to TIMELINE_EVENTS) is kept, with its time.
TIMELINES_PER_OPERATION = 4
#: Events kept in one timeline: the first HEAD, every event a violation names, the last TAIL.
TIMELINE_EVENTS = 120
_HEAD, _TAIL = 100, 10
_PREVIEW = 160
_EVENT_POINTER = re.compile(r"^/events/(\d+)(?:/|$)")
ENDS = ("complete", "idle", "too long", "too large", "cut")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of a timeline: when it came (seconds since the request), what it was."""

    index: int  # its position in the stream, as violation pointers count (/events/3/…)
    at: float
    event: str  # the SSE event name ("message" when the server named none)
    type: str | None  # the JSON data's `type` (Responses) or `object` (chat chunks), if any
    preview: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "at": round(self.at, 4),
            "event": self.event,
            "type": self.type,
            "preview": self.preview,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], position: int) -> TimelineEvent:
        return cls(
            index=int(data.get("index", position)),
            at=float(data.get("at") or 0.0),
            event=str(data.get("event") or "message"),
            type=data.get("type") if isinstance(data.get("type"), str) else None,
            preview=str(data.get("preview") or ""),
        )


@dataclass(slots=True)
class StreamRecord:
    """What one streamed answer looked like over time."""

    source: str  # "generated", or the scenario that sent it
    status: int
    events: int
    first_event_seconds: float | None
    largest_gap_seconds: float | None
    events_per_second: float | None
    ended: str  # one of ENDS
    broke: list[int] = field(default_factory=list)  # event indices a violation's pointer names
    timeline: list[TimelineEvent] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "events": self.events,
            "first_event_seconds": _round(self.first_event_seconds),
            "largest_gap_seconds": _round(self.largest_gap_seconds),
            "events_per_second": _round(self.events_per_second, 2),
            "ended": self.ended,
            "timeline": None if self.timeline is None else [e.to_dict() for e in self.timeline],
            "broke": list(self.broke),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamRecord:
        timeline = data.get("timeline")
        return cls(
            source=str(data.get("source") or ""),
            status=int(data.get("status") or 0),
            events=int(data.get("events") or 0),
            first_event_seconds=_number(data.get("first_event_seconds")),
            largest_gap_seconds=_number(data.get("largest_gap_seconds")),
            events_per_second=_number(data.get("events_per_second")),
            ended=str(data.get("ended") or "complete"),
            broke=[int(i) for i in data.get("broke") or ()],
            timeline=None
            if not isinstance(timeline, list)
            else [
                TimelineEvent.from_dict(item, n) for n, item in enumerate(timeline) if isinstance(item, dict)
            ],
        )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def event_indices(pointers: Iterable[str]) -> list[int]:
    """The stream events that violation pointers name (``/events/3/choices/0`` → 3), in order."""
    found = set()
    for pointer in pointers:
        match = _EVENT_POINTER.match(pointer)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def _type_of(data: str) -> str | None:
    text = data.lstrip()
    if not text.startswith("{"):
        return "[DONE]" if data.strip() == "[DONE]" else None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    if isinstance(value, dict):
        for name in ("type", "object"):
            if isinstance(value.get(name), str):
                return str(value[name])
        if "error" in value:
            return "error"
    return None


#: Members every chunk repeats: a preview leaves them out to show what the event brought.
_REPEATED = frozenset({"id", "object", "created", "model", "system_fingerprint", "service_tier", "type"})


def _preview(data: str) -> str:
    text = data
    if data.lstrip().startswith("{"):
        try:
            value = json.loads(data)
        except ValueError:
            pass
        else:
            if isinstance(value, dict) and set(value) - _REPEATED:
                shown = {k: v for k, v in value.items() if k not in _REPEATED}
                text = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
    text = " ".join(text.split())
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


def _kept_indices(count: int, broke: Sequence[int]) -> list[int]:
    if count <= TIMELINE_EVENTS:
        return list(range(count))
    kept = set(range(_HEAD)) | set(range(count - _TAIL, count))
    kept |= {i for i in broke if 0 <= i < count}
    return sorted(kept)


def _timeline(events: Sequence[SseEvent], broke: Sequence[int]) -> list[TimelineEvent]:
    return [
        TimelineEvent(i, events[i].at, events[i].event, _type_of(events[i].data), _preview(events[i].data))
        for i in _kept_indices(len(events), broke)
    ]


def stream_record(source: str, exchange: Exchange, pointers: Iterable[str]) -> StreamRecord | None:
    """The record of one answer, or None when it was not read as an event stream.

    ``pointers`` are the pointers of the violations found in it; the events they name are marked.
    The timeline is built too; :func:`keep_stream` decides whether it stays.
    """
    events = exchange.events
    if events is None:
        return None
    times = [event.at for event in events]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    broke = [i for i in event_indices(pointers) if i < len(events)]
    return StreamRecord(
        source=source,
        status=exchange.status,
        events=len(events),
        first_event_seconds=times[0] if times else None,
        largest_gap_seconds=max(gaps) if gaps else None,
        events_per_second=(len(events) - 1) / span if span > 0 else None,
        ended=exchange.stream_end.value if exchange.stream_end is not None else "complete",
        broke=broke,
        timeline=_timeline(events, broke),
    )


def keep_stream(streams: list[StreamRecord], record: StreamRecord) -> None:
    """Add ``record`` to an operation's streams, keeping at most TIMELINES_PER_OPERATION timelines.

    A timeline with an event a violation names outranks one without; among equals, the first stay.
    """
    streams.append(record)
    kept = [s for s in streams if s.timeline is not None]
    if len(kept) <= TIMELINES_PER_OPERATION:
        return
    plain = [s for s in kept if not s.broke]
    drop = plain[-1] if plain else record
    drop.timeline = None
