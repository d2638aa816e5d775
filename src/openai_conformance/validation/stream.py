"""Checks of streamed answers (``stream: true``) of createChatCompletion and createCompletion.

The spec does not describe streams (openai/openai-openapi#197): the chunk schemas exist but nothing
references them, and ``[DONE]`` is only prose. These checks hold a stream to what the API reference
and the chunk schemas say, event by event. Pointers index the stream's events: ``/events/3/choices/0``.

Rules about how a stream *ends* (``[DONE]``, a finish_reason per choice, the usage chunk, complete
tool-call arguments) stay silent when the stream was cut by the suite (idle timeout, size cap) or
aborted by an in-stream error event after the first chunk.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from openapi_schema_validator import (
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from openai_conformance.errors import SpecError
from openai_conformance.transport.exchange import Exchange, StreamEnd
from openai_conformance.transport.sse import events_of, looks_merged
from openai_conformance.validation.catalogue import get_check
from openai_conformance.validation.fast import compile_schema
from openai_conformance.validation.semantics import check_stream_semantics, is_stream_request
from openai_conformance.validation.violations import Violation, pointer_from_path

__all__ = [
    "CHUNK_SCHEMAS",
    "ChunkValidator",
    "StreamKind",
    "check_stream",
    "check_stream_semantics",
    "create_chunk_validator",
    "stream_kind",
]

#: Which chunk shape a stream carries.
StreamKind = Literal["chat", "completion"]

#: Schema errors of one chunk: (pointer inside the chunk, failing keyword, message).
ChunkValidator = Callable[[Any], Iterator[tuple[str, str, str]]]

#: The schema each kind of chunk must satisfy (CreateCompletionResponse is shared by both modes).
CHUNK_SCHEMAS: dict[StreamKind, str] = {
    "chat": "CreateChatCompletionStreamResponse",
    "completion": "CreateCompletionResponse",
}

_OPERATIONS: dict[str, StreamKind] = {"createChatCompletion": "chat", "createCompletion": "completion"}
_OPERATION_OF: dict[StreamKind, str] = {kind: operation for operation, kind in _OPERATIONS.items()}
_SPEC_URI = "urn:openai-conformance:spec"
_CHUNK_NAME = "_OpenaiConformanceChunk"
_MESSAGE_LIMIT = 300


def stream_kind(operation_id: str) -> StreamKind | None:
    """The kind of stream an operation answers with, or None when it does not stream."""
    return _OPERATIONS.get(operation_id)


# --- the chunk validator ----------------------------------------------------------------------------


def _nullable(schema: dict[str, Any], schemas: Mapping[str, Any], openapi_31: bool) -> dict[str, Any]:
    """``schema`` that also accepts null (3.0 ``nullable``, or a 3.1 type union)."""
    ref = schema.get("$ref")
    prefix = "#/components/schemas/"
    if isinstance(ref, str) and ref.startswith(prefix) and isinstance(schemas.get(ref[len(prefix) :]), dict):
        schema = {
            **copy.deepcopy(schemas[ref[len(prefix) :]]),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
    if openapi_31:
        return {"anyOf": [schema, {"type": "null"}]}
    if "type" in schema:
        return {**schema, "nullable": True}
    return {"anyOf": [schema, {"enum": [None]}]}


def _relax(chunk: dict[str, Any], schemas: Mapping[str, Any], kind: StreamKind, openapi_31: bool) -> None:
    """Make the chunk schema say what the API documents in prose about streamed chunks.

    ``usage`` "contains a null value except for the last chunk" (ChatCompletionStreamOptions), but the
    schema types it as a non-nullable object; a streamed completion carries ``finish_reason: null``
    until its last chunk, but CreateCompletionResponse (shared with the non-streamed answer) says
    string. Without this every conformant stream would fail ``stream.chunk_schema``.
    """
    properties = chunk.get("properties")
    if not isinstance(properties, dict):
        return
    if isinstance(properties.get("usage"), dict):
        properties["usage"] = _nullable(properties["usage"], schemas, openapi_31)
    if kind == "completion":
        items = properties.get("choices", {}).get("items", {})
        reason = items.get("properties", {}).get("finish_reason") if isinstance(items, dict) else None
        if isinstance(reason, dict):
            relaxed = _nullable(reason, schemas, openapi_31)
            if "enum" in relaxed and None not in relaxed["enum"]:
                relaxed["enum"] = [*relaxed["enum"], None]
            items["properties"]["finish_reason"] = relaxed


def _normalize_nullable(node: Any, openapi_31: bool) -> Any:
    """Make ``nullable: true`` mean what the spec's authors meant, for the validator at hand.

    Under 3.0, openapi-schema-validator lets ``nullable`` admit null for ``type`` but not for
    ``enum``, so every ``finish_reason: null`` would fail; null joins the enum. Under 3.1 (f85dbe2 keeps
    3.0-style ``nullable`` keywords under ``openapi: 3.1.0``) the keyword becomes a type union.
    """
    if isinstance(node, list):
        return [_normalize_nullable(item, openapi_31) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _normalize_nullable(value, openapi_31) for key, value in node.items()}
    if result.get("nullable") is not True:
        return result
    if isinstance(result.get("enum"), list) and None not in result["enum"]:
        result["enum"] = [*result["enum"], None]
    if openapi_31:
        del result["nullable"]
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
        elif any(key in result for key in ("$ref", "anyOf", "oneOf", "allOf")):
            result = {"anyOf": [result, {"type": "null"}]}
    return result


def create_chunk_validator(spec: Mapping[str, Any], kind: StreamKind, *, fast: bool = True) -> ChunkValidator:
    """A validator of one streamed chunk against the spec's chunk schema (build it once, reuse it).

    ``spec`` is the parsed OpenAPI document (overlaid or not); ``#/components/schemas/...`` references
    resolve inside it. Raises :class:`SpecError` when the spec has no chunk schema for ``kind``.
    """
    schemas = spec.get("components", {}).get("schemas")
    name = CHUNK_SCHEMAS[kind]
    if not isinstance(schemas, dict) or not isinstance(schemas.get(name), dict):
        raise SpecError(f"the spec has no components.schemas.{name}: cannot validate {kind} stream chunks")
    openapi_31 = str(spec.get("openapi", "3.0")).startswith("3.1")
    patched: dict[str, Any] = _normalize_nullable(schemas, openapi_31)
    chunk = copy.deepcopy(patched[name])
    _relax(chunk, patched, kind, openapi_31)
    patched[_CHUNK_NAME] = chunk
    document = {"components": {"schemas": patched}}
    specification = DRAFT202012 if openapi_31 else DRAFT4
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, specification.create_resource(document))
    root = {"$ref": f"{_SPEC_URI}#/components/schemas/{_CHUNK_NAME}"}
    validator: Any
    if openapi_31:
        validator = OAS31Validator(root, registry=registry, format_checker=oas31_format_checker)
    else:
        validator = OAS30Validator(root, registry=registry, format_checker=oas30_format_checker)

    quick = None if openapi_31 or not fast else compile_schema(chunk, patched)

    def validate(instance: Any) -> Iterator[tuple[str, str, str]]:
        if quick is not None and quick.is_valid(instance):
            return  # the OAS 3.0 validator would find nothing either (validation/fast.py)
        seen: set[str] = set()
        for error in validator.iter_errors(instance):
            pointer = pointer_from_path(list(error.absolute_path))
            if pointer in seen:
                continue  # one fault per place: a null fails `type` twice, then `enum`
            seen.add(pointer)
            keyword = str(error.validator)
            message = str(error.message)
            if message == "None for not nullable":
                message = "null is not allowed here (the schema is not nullable)"
            if len(message) > _MESSAGE_LIMIT:
                message = message[:_MESSAGE_LIMIT] + "…"
            yield pointer, keyword, message

    return validate


# --- parsing a stream --------------------------------------------------------------------------------


def _violation(
    check: str, message: str, pointer: str = "", keyword: str = "", *, warning: bool = False
) -> Violation:
    severity = "warning" if warning else get_check(check).severity
    return Violation(check, message, pointer, severity, keyword)


def _preview(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _Stream:
    """What a stream said, event by event, up to ``[DONE]``."""

    json_events: list[tuple[int, Any]] = field(default_factory=list)  # every JSON event except errors
    chunks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # the JSON objects among them
    done_at: int | None = None
    aborted: bool = False  # an error event arrived after the first chunk
    violations: list[Violation] = field(default_factory=list)


def _parse(exchange: Exchange) -> _Stream:
    events, issues = events_of(exchange)
    complete = not exchange.stream_cut
    stream = _Stream()
    for issue in issues:
        if issue.kind == "unterminated" and not complete:
            continue  # the suite cut the stream; the server did not
        pointer = f"/events/{issue.event_index}" if issue.kind == "merged" else ""
        stream.violations.append(_violation("stream.framing", issue.message, pointer, issue.kind))
    after_done_reported = False
    for i, event in enumerate(events):
        data = event.data
        if data.strip() == "[DONE]" and stream.done_at is None:
            stream.done_at = i
            continue
        if stream.done_at is not None:
            if not after_done_reported:
                after_done_reported = True
                stream.violations.append(
                    _violation(
                        "stream.done", f"an event follows `data: [DONE]`: {_preview(data)}", f"/events/{i}"
                    )
                )
            continue
        try:
            value = json.loads(data)
        except ValueError:
            if not looks_merged(data):  # merged events are reported by the decoder
                stream.violations.append(
                    _violation(
                        "stream.framing",
                        f"event {i}'s data is not JSON: {_preview(data)}",
                        f"/events/{i}",
                        "not_json",
                    )
                )
            continue
        if isinstance(value, dict) and "error" in value and "choices" not in value:
            if not stream.chunks:
                stream.violations.append(
                    _violation(
                        "stream.error_status",
                        f"the answer is 200 but the stream opens with an error: {_preview(data, 200)}; "
                        "an error before the first chunk must be an HTTP error status",
                        f"/events/{i}",
                    )
                )
            stream.aborted = True
            break
        stream.json_events.append((i, value))
        if isinstance(value, dict):
            stream.chunks.append((i, value))
    return stream


# --- the rules ---------------------------------------------------------------------------------------


def _check_schema(stream: _Stream, validator: ChunkValidator) -> Iterator[Violation]:
    reported: set[tuple[str, str]] = set()  # one report per kind of fault and stream
    for i, value in stream.json_events:
        for pointer, keyword, message in validator(value):
            folded = "/".join("*" if part.isdigit() else part for part in pointer.split("/"))
            if (folded, keyword) in reported or _owned_elsewhere(folded, keyword, message):
                continue
            reported.add((folded, keyword))
            yield _violation("stream.chunk_schema", message, f"/events/{i}{pointer}", keyword)


def _owned_elsewhere(folded: str, keyword: str, message: str) -> bool:
    """A missing tool-call ``index`` is reported once, by ``stream.tool_call_index``, not twice."""
    return keyword == "required" and folded.endswith("/tool_calls/*") and message.startswith("'index'")


def _check_ids(stream: _Stream) -> Iterator[Violation]:
    first: str | None = None
    for i, chunk in stream.chunks:
        chunk_id = chunk.get("id")
        if not isinstance(chunk_id, str):
            continue
        if first is None:
            first = chunk_id
        elif chunk_id != first:
            yield _violation(
                "stream.consistent_id",
                f"chunk id {chunk_id!r} differs from the first chunk's {first!r}",
                f"/events/{i}/id",
            )
            return


def _check_created(stream: _Stream) -> Iterator[Violation]:
    first: int | None = None
    for i, chunk in stream.chunks:
        created = chunk.get("created")
        if not isinstance(created, int) or isinstance(created, bool):
            continue  # a missing or mistyped `created` is the chunk schema's to report
        if first is None:
            first = created
        elif created != first:
            yield _violation(
                "stream.consistent_created",
                f"chunk created {created} differs from the first chunk's {first}",
                f"/events/{i}/created",
            )
            return


def _choices(chunk: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    choices = chunk.get("choices")
    for j, choice in enumerate(choices if isinstance(choices, list) else []):
        if isinstance(choice, dict):
            yield j, choice


def _finish_reasons(stream: _Stream, complete: bool) -> tuple[dict[int, str], list[Violation]]:
    """The final finish_reason of each choice index, and the violations of ``stream.finish_reason``."""
    final: dict[int, str] = {}
    last_seen: dict[int, str] = {}
    violations: list[Violation] = []
    empty_reported = False
    for i, chunk in stream.chunks:
        for j, choice in _choices(chunk):
            index = _int(choice.get("index"))
            if index is None:
                continue
            pointer = f"/events/{i}/choices/{j}/finish_reason"
            last_seen[index] = pointer
            reason = choice.get("finish_reason")
            if reason == "":
                if not empty_reported:
                    empty_reported = True
                    violations.append(
                        _violation(
                            "stream.finish_reason",
                            'finish_reason is "" — it is null until the choice ends, then one of the enum',
                            pointer,
                        )
                    )
                continue
            if reason is None:
                continue
            if index in final:
                violations.append(
                    _violation(
                        "stream.finish_reason",
                        f"choice {index} got a second finish_reason {reason!r} (after {final[index]!r})",
                        pointer,
                    )
                )
                continue
            final[index] = str(reason)
    if complete:
        if not last_seen:
            violations.append(
                _violation("stream.finish_reason", "the stream carried no choice at all (no chunk, no error)")
            )
        for index, pointer in sorted(last_seen.items()):
            if index not in final:
                violations.append(
                    _violation(
                        "stream.finish_reason", f"choice {index} never got a non-null finish_reason", pointer
                    )
                )
    return final, violations


def _check_usage(stream: _Stream, request: Mapping[str, Any], complete: bool) -> Iterator[Violation]:
    options = request.get("stream_options")
    include = isinstance(options, dict) and options.get("include_usage") is True
    with_usage = [
        (n, i, chunk) for n, (i, chunk) in enumerate(stream.chunks) if chunk.get("usage") is not None
    ]
    if not include:
        for _, i, _chunk in with_usage[:1]:
            yield _violation(
                "stream.usage",
                "a chunk carries usage although stream_options.include_usage was not set",
                f"/events/{i}/usage",
            )
        return
    if not with_usage:
        if complete:
            yield _violation("stream.usage", "include_usage was set but no chunk carried usage")
        return
    n, i, chunk = with_usage[0]
    if chunk.get("choices") != []:
        yield _violation("stream.usage", "the usage chunk must have `choices: []`", f"/events/{i}/choices")
    if len(with_usage) > 1:
        yield _violation(
            "stream.usage", "more than one chunk carries usage", f"/events/{with_usage[1][1]}/usage"
        )
    elif n != len(stream.chunks) - 1:
        yield _violation(
            "stream.usage",
            "chunks follow the usage chunk; it must be the last before [DONE]",
            f"/events/{stream.chunks[n + 1][0]}",
        )


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


def _check_tool_calls(stream: _Stream, final: Mapping[int, str], complete: bool) -> Iterator[Violation]:
    arguments: dict[tuple[int, int], list[str]] = {}
    where: dict[tuple[int, int], str] = {}
    ids: dict[tuple[int, int], str] = {}
    index_reported = type_reported = unindexed = False
    for i, chunk in stream.chunks:
        for j, choice in _choices(chunk):
            choice_index = _int(choice.get("index"))
            delta = choice.get("delta")
            calls = delta.get("tool_calls") if isinstance(delta, dict) else None
            for k, call in enumerate(calls if isinstance(calls, list) else []):
                if not isinstance(call, dict):
                    continue
                pointer = f"/events/{i}/choices/{j}/delta/tool_calls/{k}"
                index = _int(call.get("index"))
                if index is None:
                    unindexed = True
                    if not index_reported:
                        index_reported = True
                        got = "missing" if "index" not in call else repr(call["index"])
                        yield _violation(
                            "stream.tool_call_index",
                            f"a tool-call delta needs an integer index, got {got}",
                            f"{pointer}/index",
                        )
                    continue
                if choice_index is None:
                    continue
                key = (choice_index, index)
                call_id = call.get("id")
                if isinstance(call_id, str) and call_id:
                    if key in ids and ids[key] != call_id and not index_reported:
                        index_reported = True
                        yield _violation(
                            "stream.tool_call_index",
                            f"index {index} names tool call {ids[key]!r} and then {call_id!r}: "
                            "each call needs its own index",
                            f"{pointer}/index",
                        )
                    ids.setdefault(key, call_id)
                function = call.get("function")
                piece = function.get("arguments") if isinstance(function, dict) else None
                if piece is None:
                    continue
                if not isinstance(piece, str):
                    if not type_reported:
                        type_reported = True
                        yield _violation(
                            "stream.tool_call_arguments",
                            f"arguments must be a string fragment, got {type(piece).__name__}",
                            f"{pointer}/function/arguments",
                        )
                    continue
                arguments.setdefault(key, []).append(piece)
                where[key] = f"{pointer}/function/arguments"
    if not complete or unindexed:
        return  # deltas without an index cannot be joined: the arguments are unknown, not wrong
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
            yield _violation(
                "stream.tool_call_arguments",
                f"the arguments of tool call {key[1]} of choice {key[0]}, joined, are not JSON{how}: "
                f"{_preview(joined)}",
                where[key],
                warning=not resent,
            )


def check_stream(
    exchange: Exchange,
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
    if not 200 <= exchange.status < 300:
        return
    streamed = is_stream_request(exchange)
    is_sse = exchange.content_type == "text/event-stream"
    if not streamed:
        if is_sse:
            yield _violation(
                "stream.content_type", "the answer is an event stream but `stream: true` was not asked"
            )
        return
    if not is_sse:
        got = exchange.content_type or "no content-type"
        yield _violation(
            "stream.content_type", f"`stream: true` was asked but the answer is {got}, not text/event-stream"
        )
        return
    if exchange.stream_end is StreamEnd.IDLE:
        yield _violation("stream.stalled", f"the stream went silent and was cut: {exchange.stream_note}")
    complete = not exchange.stream_cut
    stream = _parse(exchange)
    yield from stream.violations
    finishing = complete and not stream.aborted
    if stream.done_at is None and finishing:
        yield _violation("stream.done", "the stream ended without `data: [DONE]`")
    elif stream.done_at is None and exchange.stream_end is StreamEnd.TOO_LONG:
        yield _violation("stream.done", f"the stream never ended with `data: [DONE]`: {exchange.stream_note}")
    if chunk_validator is not None:
        yield from _check_schema(stream, chunk_validator)
    yield from _check_ids(stream)
    if stream.aborted and not stream.chunks:
        return  # an error instead of a stream: reported as stream.error_status, nothing more to judge
    final, violations = _finish_reasons(stream, finishing)
    yield from violations
    request = exchange.request.json_body if isinstance(exchange.request.json_body, dict) else {}
    yield from _check_usage(stream, request, finishing)
    if kind == "chat":
        yield from _check_created(stream)
        yield from _check_tool_calls(stream, final, finishing)
    if semantics:
        yield from check_stream_semantics(exchange, _OPERATION_OF[kind], now=now)
