"""Typed event streams judged event by event: each event names its kind, and is that kind's schema.

A typed stream (Responses, speech, transcriptions, images) sends JSON events that say what they are
in ``type``; the spec's union for the stream (validation/stream_kinds.py) has one member per type. A
client dispatches on ``type`` (the ``openai`` SDK) or on the SSE ``event:`` name (a browser's
``EventSource``), so both must agree where a server sends both. Each event is then validated against
its member only. Pointers index the stream's events: ``/events/3/response/output``.
"""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.validation.event_schema import COMPAT_NOTE, EventUnion
from openai_conformance.validation.parsed_stream import ParsedStream, preview
from openai_conformance.validation.registry import check
from openai_conformance.validation.violations import Violation

__all__ = ["check_typed_events", "event_schema", "event_type"]

_DEFAULT_EVENT = "message"  # the name SSE gives an event sent without an `event:` field


@check("stream.event_type", "error")
def event_type(stream: ParsedStream, union: EventUnion | None) -> Iterator[Violation]:
    """Every event of a typed stream names its kind in a string `type` that the spec's event union defines;
    an SSE `event:` name, where one is sent, is that same type.

    Reference: the stream's event union in the spec (ResponseStreamEvent, …); API reference: each event
        is sent as `event: <type>` with `data:` the event, whose `type` is the same
    Why: the server names and frames each event; a model writes only the text inside them
    Relaxed: a `type` the spec's union does not define is a warning: newer versions of the API add event
        types, and clients skip those they do not know
    """
    unknown: set[str] = set()
    named_wrong = False
    for i, value in stream.values:
        pointer = f"/events/{i}"
        if not isinstance(value, dict):
            yield event_type.violation(
                f"event {i} is not a JSON object: {preview(stream.events[i].data)}", pointer
            )
            continue
        kind = value.get("type")
        if not isinstance(kind, str):
            shown = "has no `type`" if kind is None else f"has a `type` that is not a string: {kind!r}"
            yield event_type.violation(f"event {i} {shown}", f"{pointer}/type")
            continue
        name = stream.events[i].event
        if name != _DEFAULT_EVENT and name != kind and not named_wrong:
            named_wrong = True
            yield event_type.violation(
                f"event {i} is sent as `event: {name}` but its type is {kind!r}", f"{pointer}/type"
            )
        if union is not None and kind not in union.members and kind not in unknown:
            unknown.add(kind)
            yield event_type.violation(
                f"event {i} has type {kind!r}, which {union.name} does not define",
                f"{pointer}/type",
                warning=True,
            )


@check("stream.event_schema", "error")
def event_schema(stream: ParsedStream, union: EventUnion, owned: frozenset[str]) -> Iterator[Violation]:
    """Every event of a typed stream validates against the member of the spec's event union its `type`
    names.

    Reference: the stream's event union in the spec (ResponseStreamEvent,
        CreateSpeechResponseStreamEvent, …)
    Why: the shape of each event is built by the server
    Relaxed: under --profile compat, a required property that is missing but whose schema allows null is
        a warning, in events as in plain answers
    """
    reported: set[tuple[str, str, str, str]] = set()  # one report per event type, place and keyword
    for i, value in stream.values:
        kind = value.get("type") if isinstance(value, dict) else None
        if not isinstance(kind, str) or kind not in union.members:
            continue  # stream.event_type's to report
        for where, keyword, message in union.validate(kind, value):
            if _owned(where, keyword, message, owned):
                continue
            folded = "/".join("*" if part.isdigit() else part for part in where.split("/"))
            fault = (kind, folded, keyword, message if keyword == "required" else "")  # each missing field
            if fault in reported:
                continue
            reported.add(fault)
            lenient = message.endswith(COMPAT_NOTE)
            yield event_schema.violation(
                f"{kind}: {message}", f"/events/{i}{where}", keyword, warning=lenient
            )


def check_typed_events(
    stream: ParsedStream, union: EventUnion | None, *, owned: frozenset[str] = frozenset()
) -> Iterator[Violation]:
    """``stream.event_type`` and ``stream.event_schema`` for each event before an error (if any).

    ``owned`` names top-level fields whose faults another rule reports (the Responses grammar owns
    ``sequence_number``): their schema errors are not reported twice. Without ``union`` only the
    types and names are judged.
    """
    yield from event_type(stream, union)
    if union is not None:
        yield from event_schema(stream, union, owned)


def _owned(where: str, keyword: str, message: str, owned: frozenset[str]) -> bool:
    """Whether a schema fault concerns a top-level field another rule reports."""
    parts = where.split("/")
    if len(parts) > 1 and parts[1] in owned:
        return True  # the field itself has the wrong type or value
    if keyword == "required" and where == "" and message.count("'") >= 2:
        return message.split("'")[1] in owned  # "'sequence_number' is a required property"
    return False
