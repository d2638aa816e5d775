"""Which operations of a spec stream, and what their events are: read from the spec itself.

An operation streams when its success response declares ``text/event-stream``; the schema there is
that of one event: a chunk schema (chat completions) or a union of event schemas told apart by
``type`` (f85dbe2's ``ResponseStreamEvent``, ``CreateSpeechResponseStreamEvent``,
``CreateTranscriptionResponseStreamEvent``, the image stream events). Where a spec does not say
(6b8287f declares no stream at all; f85dbe2 none for text completions; an overlay may declare an
opaque string), the chunk schemas the API reference names stand in for chat and text completions.

Each kind also says which rules judge the stream as a whole: chat and text-completion chunks
(``[DONE]``, finish reasons, usage, tool-call deltas) or the Responses event grammar
(``responses.*``). Other typed streams are judged event by event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from openai_conformance.validation.chunk_schema import CHUNK_SCHEMAS, ChunkKind, stream_kind
from openai_conformance.validation.event_schema import event_types

__all__ = ["EventStream", "Grammar", "stream_kinds"]

#: The rules that judge a stream as a whole, beyond each event's schema.
Grammar = Literal["chat", "completion", "responses", "events"]

_PREFIX = "#/components/schemas/"
_METHODS = ("get", "post", "put", "patch", "delete")
_RESPONSES_TYPE = "response.created"  # a union with this event type streams a Response
# Stream requests the spec says are answered plain: (field, values). createTranscription's `stream`:
# "Streaming is not supported for the `whisper-1` model and will be ignored."
_SERVED_PLAIN: dict[str, tuple[str, frozenset[str]]] = {
    "createTranscription": ("model", frozenset({"whisper-1"}))
}


@dataclass(frozen=True, slots=True)
class EventStream:
    """How one operation's event stream is made, and judged."""

    operation_id: str
    schema: str  # the component one event validates against: a chunk schema, or an event union
    typed: bool  # a union: each event is validated against the member its `type` names
    grammar: Grammar
    done: bool  # the stream ends with `data: [DONE]` (chat and text completions only)

    def served_plain(self, body: Any) -> bool:
        """Whether the spec says a stream request with this body is answered without a stream."""
        rule = _SERVED_PLAIN.get(self.operation_id)
        return rule is not None and isinstance(body, Mapping) and body.get(rule[0]) in rule[1]

    @property
    def chunk_kind(self) -> ChunkKind | None:
        """``chat`` or ``completion`` for the chunk streams, None for typed ones."""
        if self.grammar == "chat" or self.grammar == "completion":
            return self.grammar
        return None


def _declared_schema(operation: Mapping[str, Any]) -> str | None:
    """The component named by the success response's ``text/event-stream`` schema, if it names one."""
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).startswith("2") or not isinstance(response, dict):
            continue
        media = (response.get("content") or {}).get("text/event-stream")
        schema = media.get("schema") if isinstance(media, dict) else None
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if isinstance(ref, str) and ref.startswith(_PREFIX):
            return ref[len(_PREFIX) :]
    return None


def _kind(operation_id: str, name: str | None, schemas: Mapping[str, Any]) -> EventStream | None:
    chunk = stream_kind(operation_id)  # where the spec says nothing, the chunk schemas of the API reference
    if chunk is not None:
        declared = name if name is not None and isinstance(schemas.get(name), dict) else None
        return EventStream(operation_id, declared or CHUNK_SCHEMAS[chunk], False, chunk, True)
    if name is None:
        return None
    members = event_types(schemas.get(name), schemas)
    if members is None:
        return None  # a stream whose events the spec does not tell apart: not judged event by event
    grammar: Grammar = "responses" if _RESPONSES_TYPE in members else "events"
    return EventStream(operation_id, name, True, grammar, False)


def stream_kinds(document: Mapping[str, Any]) -> dict[str, EventStream]:
    """Every streaming operation of ``document`` by operationId, with how its events are judged."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    found: dict[str, EventStream] = {}
    for item in (document.get("paths") or {}).values():
        for method in _METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict) or not isinstance(operation.get("operationId"), str):
                continue
            operation_id = operation["operationId"]
            kind = _kind(operation_id, _declared_schema(operation), schemas)
            if kind is not None:
                found[operation_id] = kind
    return found
