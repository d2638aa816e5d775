"""Checks of streamed answers: chat and text completions' chunks, and the typed streams of newer specs.

For createChatCompletion and createCompletion the spec describes little of the stream
(openai/openai-openapi#197): these checks hold it to what the API reference and the chunk schemas
say, event by event, reading one :class:`ParsedStream` (:func:`check_stream`). The typed streams
(Responses, speech, transcriptions, images) get their event union from the spec
(validation/stream_kinds.py): each event is judged against the member its ``type`` names, and a
Responses stream by its event grammar (:func:`check_event_stream`). Pointers index the stream's
events: ``/events/3/choices/0``.

Rules about how a stream *ends* (``[DONE]``, a finish_reason per choice, the usage chunk, complete
tool-call arguments) stay silent when the stream was cut by the suite (idle timeout, size cap) or
aborted by an in-stream error event after the first chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from openai_conformance.transport.exchange import StreamEnd
from openai_conformance.validation.chunk_schema import (
    CHUNK_SCHEMAS,
    COMPAT_NOTE,
    ChunkValidator,
    StreamKind,
    create_chunk_validator,
    stream_kind,
)
from openai_conformance.validation.event_schema import EventUnion
from openai_conformance.validation.parsed_stream import ParsedStream, choices_of, parse_stream, preview
from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.responses_stream import check_responses_stream
from openai_conformance.validation.semantics import check_stream_semantics, is_stream_request
from openai_conformance.validation.semantics.shared import json_int
from openai_conformance.validation.stream_events import check_typed_events
from openai_conformance.validation.stream_kinds import EventStream
from openai_conformance.validation.stream_tools import check_tool_calls
from openai_conformance.validation.violations import Violation

__all__ = [
    "CHUNK_SCHEMAS",
    "ChunkValidator",
    "ParsedStream",
    "StreamKind",
    "check_event_stream",
    "check_stream",
    "check_stream_semantics",
    "create_chunk_validator",
    "parse_stream",
    "stream_kind",
]

_OPERATION_OF: dict[StreamKind, str] = {"chat": "createChatCompletion", "completion": "createCompletion"}


# --- the events and how the stream ended ------------------------------------------------------------


@check(
    "stream.content_type",
    "error",
    parameters=tuple(
        Parameter(operation, "stream", "true: an event stream, each chunk judged by the stream checks")
        for operation in ("createChatCompletion", "createCompletion")
    ),
)
def content_type(stream: ParsedStream) -> Iterator[Violation]:
    """A streamed answer is served as text/event-stream.

    Reference: API reference: `stream: true` sends data-only server-sent events
    Why: the media type is the server's choice, never the model's
    """
    exchange = stream.exchange
    if not is_stream_request(exchange):
        if stream.is_event_stream:
            yield content_type.violation("the answer is an event stream but `stream: true` was not asked")
    elif not stream.is_event_stream:
        got = exchange.content_type or "no content-type"
        yield content_type.violation(
            f"`stream: true` was asked but the answer is {got}, not text/event-stream"
        )


@check("stream.framing", "error")
def framing(stream: ParsedStream) -> Iterator[Violation]:
    """Events follow the SSE format: `data:` fields, events end with a blank line.

    Reference: HTML Living Standard, 9.2 Server-sent events
    Why: the server frames events; a model writes only the text inside them
    """
    for problem in stream.problems:
        if problem.kind == "unterminated" and not stream.ended_by_server:
            continue  # the suite cut the stream; the server did not
        pointer = f"/events/{problem.event_index}" if problem.kind == "merged" else ""
        yield framing.violation(problem.message, pointer, problem.kind)
    for i in stream.not_json:
        message = f"event {i}'s data is not JSON: {preview(stream.events[i].data)}"
        yield framing.violation(message, f"/events/{i}", "not_json")


@check("stream.chunk_schema", "error")
def chunk_schema(stream: ParsedStream, validator: ChunkValidator) -> Iterator[Violation]:
    """Every event's JSON validates against the chunk schema.

    Reference: CreateChatCompletionStreamResponse / CreateCompletionResponse
    Why: the shape of each chunk is built by the server
    Relaxed: under --profile compat, a required property that is missing but whose schema allows null is
        a warning, in chunks as in plain answers
    """
    reported: set[tuple[str, str, str]] = set()  # one report per kind of fault and stream
    for i, value in stream.values:
        for pointer, keyword, message in validator(value):
            folded = "/".join("*" if part.isdigit() else part for part in pointer.split("/"))
            kind = (folded, keyword, message if keyword == "required" else "")  # each missing field
            if kind in reported or _owned_elsewhere(folded, keyword, message):
                continue
            reported.add(kind)
            lenient = message.endswith(COMPAT_NOTE)
            yield chunk_schema.violation(message, f"/events/{i}{pointer}", keyword, warning=lenient)


@check("stream.done", "error")
def done(stream: ParsedStream) -> Iterator[Violation]:
    """The stream ends with `data: [DONE]`.

    Reference: API reference: the stream is terminated by a `data: [DONE]` message
    Why: the server writes the terminator, whatever the model wrote
    """
    if stream.done_at is not None:
        return
    if stream.finished:
        yield done.violation("the stream ended without `data: [DONE]`")
    elif stream.end is StreamEnd.TOO_LONG:
        yield done.violation(f"the stream never ended with `data: [DONE]`: {stream.exchange.stream_note}")


# --- each chunk ----------------------------------------------------------------------------------------


def _owned_elsewhere(folded: str, keyword: str, message: str) -> bool:
    """A missing tool-call ``index`` is reported once, by ``stream.tool_call_index``, not twice."""
    return keyword == "required" and folded.endswith("/tool_calls/*") and message.startswith("'index'")


def _first_change(
    stream: ParsedStream, field: str, typed: Callable[[Any], Any]
) -> tuple[int, Any, Any] | None:
    """The first chunk whose ``field`` differs from the first chunk's: (event, its value, the first).

    A missing or mistyped value (``typed`` gives None) is the chunk schema's to report.
    """
    first: Any = None
    for i, chunk in stream.chunks:
        value = typed(chunk.get(field))
        if value is None:
            continue
        if first is None:
            first = value
        elif value != first:
            return i, value, first
    return None


@check("stream.consistent_id", "error")
def consistent_id(stream: ParsedStream) -> Iterator[Violation]:
    """All chunks of a stream carry the same id.

    Reference: chunk schema: `id` — each chunk has the same ID
    Why: the id is the server's, set once per completion
    """
    change = _first_change(stream, "id", lambda value: value if isinstance(value, str) else None)
    if change is not None:
        i, value, first = change
        yield consistent_id.violation(
            f"chunk id {value!r} differs from the first chunk's {first!r}", f"/events/{i}/id"
        )


@check("stream.consistent_created", "warning")
def consistent_created(stream: ParsedStream) -> Iterator[Violation]:
    """All chunks of a chat stream carry the same `created` timestamp.

    Reference: chat chunk schema: `created` — each chunk has the same timestamp
    Why: the spec says every chunk has the same timestamp, but a server that stamps each chunk as it
        sends it breaks no client
    """
    change = _first_change(stream, "created", json_int)
    if change is not None:
        i, value, first = change
        yield consistent_created.violation(
            f"chunk created {value} differs from the first chunk's {first}", f"/events/{i}/created"
        )


# --- how each choice and the stream end ----------------------------------------------------------------


@check("stream.finish_reason", "error")
def finish_reasons(stream: ParsedStream) -> tuple[dict[int, str], list[Violation]]:
    """Each choice index gets exactly one final chunk with a non-null finish_reason.

    The final finish_reason of each choice index, and the violations of ``stream.finish_reason``.

    Reference: chunk schema: finish_reason is null until the choice is finished
    Why: the server closes each choice it opened, whatever the model wrote
    """
    final: dict[int, str] = {}
    last_seen: dict[int, str] = {}
    violations: list[Violation] = []
    empty_reported = False
    for i, chunk in stream.chunks:
        for j, choice in choices_of(chunk):
            index = json_int(choice.get("index"))
            if index is None:
                continue
            pointer = f"/events/{i}/choices/{j}/finish_reason"
            last_seen[index] = pointer
            reason = choice.get("finish_reason")
            if reason == "":
                if not empty_reported:
                    empty_reported = True
                    message = 'finish_reason is "" — it is null until the choice ends, then one of the enum'
                    violations.append(finish_reasons.violation(message, pointer))
                continue
            if reason is None:
                continue
            if index in final:
                message = f"choice {index} got a second finish_reason {reason!r} (after {final[index]!r})"
                violations.append(finish_reasons.violation(message, pointer))
                continue
            final[index] = str(reason)
    if stream.finished:
        if not last_seen:
            message = "the stream carried no choice at all (no chunk, no error)"
            violations.append(finish_reasons.violation(message))
        for index, pointer in sorted(last_seen.items()):
            if index not in final:
                message = f"choice {index} never got a non-null finish_reason"
                violations.append(finish_reasons.violation(message, pointer))
    return final, violations


@check(
    "stream.usage",
    "error",
    parameters=tuple(
        Parameter(
            operation,
            "stream_options",
            "include_usage: one usage chunk with empty choices before [DONE]; none without it",
        )
        for operation in ("createChatCompletion", "createCompletion")
    ),
)
def usage(stream: ParsedStream, request: Mapping[str, Any]) -> Iterator[Violation]:
    """With include_usage, exactly one usage chunk with empty choices precedes [DONE]; none otherwise.

    Reference: ChatCompletionStreamOptions.include_usage
    Why: the usage chunk is written by the server as the request asks, not by the model
    """
    options = request.get("stream_options")
    include = isinstance(options, dict) and options.get("include_usage") is True
    chunks = stream.chunks
    with_usage = [(n, i, chunk) for n, (i, chunk) in enumerate(chunks) if chunk.get("usage") is not None]
    if not include:
        for _, i, _chunk in with_usage[:1]:
            yield usage.violation(
                "a chunk carries usage although stream_options.include_usage was not set",
                f"/events/{i}/usage",
            )
        return
    if not with_usage:
        if stream.finished:
            yield usage.violation("include_usage was set but no chunk carried usage")
        return
    n, i, chunk = with_usage[0]
    if chunk.get("choices") != []:
        yield usage.violation("the usage chunk must have `choices: []`", f"/events/{i}/choices")
    if len(with_usage) > 1:
        yield usage.violation("more than one chunk carries usage", f"/events/{with_usage[1][1]}/usage")
    elif n != len(chunks) - 1:
        yield usage.violation(
            "chunks follow the usage chunk; it must be the last before [DONE]", f"/events/{chunks[n + 1][0]}"
        )


@check("stream.error_status", "error")
def error_status(stream: ParsedStream) -> Iterator[Violation]:
    """An error before the first chunk is an HTTP error, not a 200 stream.

    Reference: errors are HTTP responses with the ErrorResponse envelope
    Why: a request refused before anything is generated is refused by the server
    """
    error = stream.error
    if error is not None and error.opened:
        yield error_status.violation(
            f"the answer is 200 but the stream opens with an error: {preview(error.data, 200)}; "
            "an error before the first chunk must be an HTTP error status",
            f"/events/{error.index}",
        )


@check("stream.stalled", "error")
def stalled(stream: ParsedStream) -> Iterator[Violation]:
    """A stream never stays silent longer than the idle timeout.

    Reference: a stalled stream hangs clients
    Why: the suite allows the silence set by --stream-idle-timeout; a longer one hangs clients
    """
    if stream.end is StreamEnd.IDLE:
        yield stalled.violation(f"the stream went silent and was cut: {stream.exchange.stream_note}")


def _check_events(stream: ParsedStream) -> Iterator[Violation]:
    """The events in order: framing, data that is not JSON, an error for a stream, events after [DONE]."""
    yield from framing(stream)
    yield from error_status(stream)
    if stream.after_done is not None:
        data = stream.events[stream.after_done].data
        yield done.violation(
            f"an event follows `data: [DONE]`: {preview(data)}", f"/events/{stream.after_done}"
        )


# --- the entry point -------------------------------------------------------------------------------------


def _opening(stream: ParsedStream) -> tuple[list[Violation], bool]:
    """What every stream is held to first (how it is served, whether it stalled, its framing), and
    whether the stream is one to judge further (a 2xx answer to a stream request that is an event
    stream, whatever its media type: that is stream.content_type's to report, once)."""
    exchange = stream.exchange
    if not 200 <= exchange.status < 300:
        return [], False
    found = list(content_type(stream))
    if not is_stream_request(exchange) or not (stream.is_event_stream or stream.events):
        return found, False  # not a stream asked for, or no event stream at all (whatever its media type)
    return [*found, *stalled(stream), *_check_events(stream)], True


def check_stream(
    stream: ParsedStream,
    kind: StreamKind,
    chunk_validator: ChunkValidator | None = None,
    *,
    semantics: bool = True,
    now: float | None = None,
) -> Iterator[Violation]:
    """Every violation of one streamed answer of createChatCompletion (``chat``) or createCompletion.

    It judges a 2xx answer to ``stream: true`` (and flags an event stream sent when no stream was
    asked for); it is silent otherwise. Besides the ``stream.*`` checks it runs
    :func:`check_stream_semantics` (``semantics.*`` on the stream) unless ``semantics`` is false.
    Without ``chunk_validator`` (see :func:`create_chunk_validator`) chunks are not schema-checked.
    """
    exchange = stream.exchange
    opening, judged = _opening(stream)
    yield from opening
    if not judged:
        return
    yield from done(stream)
    if chunk_validator is not None:
        yield from chunk_schema(stream, chunk_validator)
    yield from consistent_id(stream)
    if stream.error is not None and stream.error.opened:
        return  # an error instead of a stream: reported as stream.error_status, nothing more to judge
    final, violations = finish_reasons(stream)
    yield from violations
    request = exchange.request.json_body if isinstance(exchange.request.json_body, dict) else {}
    yield from usage(stream, request)
    if kind == "chat":
        yield from consistent_created(stream)
        yield from check_tool_calls(stream, final)
    if semantics:
        yield from check_stream_semantics(stream, _OPERATION_OF[kind], now=now)


def check_event_stream(
    stream: ParsedStream, kind: EventStream, union: EventUnion | None = None
) -> Iterator[Violation]:
    """Every violation of one answer to a typed stream request (``kind.typed``): Responses and the others.

    Like :func:`check_stream` it judges a 2xx answer to a stream request (and flags an event stream
    sent when none was asked for). No ``[DONE]`` is due (the typed streams end when their last event
    is sent; a ``[DONE]`` there is tolerated). Without ``union`` events are not schema-checked.
    """
    exchange = stream.exchange
    opening, judged = _opening(stream)
    yield from opening
    if not judged:
        return
    responses = kind.grammar == "responses"
    yield from check_typed_events(
        stream, union, owned=frozenset({"sequence_number"}) if responses else frozenset()
    )
    opened = stream.values[0][1] if stream.values else None
    if isinstance(opened, dict) and opened.get("type") == "error":
        yield error_status.violation(
            f"the answer is 200 but the stream opens with an error event: {preview(stream.events[stream.values[0][0]].data, 200)}; "
            "an error before the response is created must be an HTTP error status",
            f"/events/{stream.values[0][0]}",
        )
        return
    if stream.error is not None and stream.error.opened:
        return  # reported as stream.error_status
    if responses:
        request = exchange.request.json_body if isinstance(exchange.request.json_body, dict) else {}
        yield from check_responses_stream(stream, request)
