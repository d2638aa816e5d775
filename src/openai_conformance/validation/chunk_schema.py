"""The schema of one streamed chunk: the spec's chunk schemas, made to say what the API documents.

The spec does not describe streams (openai/openai-openapi#197): the chunk schemas exist but nothing
references them. :func:`create_chunk_validator` builds, once per run and kind, a validator of one
chunk against ``CreateChatCompletionStreamResponse`` or ``CreateCompletionResponse``, relaxed where
the API reference says in prose what the schema does not (``usage`` and ``finish_reason`` are null
until the last chunk). ``stream.chunk_schema`` (validation/stream.py) reports what it finds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
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
from openai_conformance.validation.fast import compile_schema
from openai_conformance.validation.schema import missing_nullable
from openai_conformance.validation.violations import pointer_from_path

__all__ = [
    "CHUNK_SCHEMAS",
    "COMPAT_NOTE",
    "ChunkValidator",
    "StreamKind",
    "create_chunk_validator",
    "stream_kind",
]

#: Ends the message of a missing required-but-nullable property under ``--profile compat``: a warning.
COMPAT_NOTE = " (compat profile: a nullable field, warning)"

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
_SPEC_URI = "urn:openai-conformance:spec"
_CHUNK_NAME = "_OpenaiConformanceChunk"
_MESSAGE_LIMIT = 300


def stream_kind(operation_id: str) -> StreamKind | None:
    """The kind of stream an operation answers with, or None when it does not stream."""
    return _OPERATIONS.get(operation_id)


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


def create_chunk_validator(
    spec: Mapping[str, Any], kind: StreamKind, *, fast: bool = True, compat: bool = False
) -> ChunkValidator:
    """A validator of one streamed chunk against the spec's chunk schema (build it once, reuse it).

    ``spec`` is the parsed OpenAPI document (overlaid or not); ``#/components/schemas/...`` references
    resolve inside it. Raises :class:`SpecError` when the spec has no chunk schema for ``kind``.
    ``compat``: a missing property that is required but nullable ends its message with
    :data:`COMPAT_NOTE` (the stream checks report it as a warning), as for plain answers.
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
        seen: set[tuple[str, str]] = set()
        for error in validator.iter_errors(instance):
            pointer = pointer_from_path(list(error.absolute_path))
            keyword = str(error.validator)
            message = str(error.message)
            # One fault per place (a null fails `type` twice, then `enum`), but each missing property
            # of an object is a fault of its own.
            place = (pointer, message if keyword == "required" else "")
            if place in seen:
                continue
            seen.add(place)
            if message == "None for not nullable":
                message = "null is not allowed here (the schema is not nullable)"
            if len(message) > _MESSAGE_LIMIT:
                message = message[:_MESSAGE_LIMIT] + "…"
            if compat and missing_nullable(error, patched):
                message += COMPAT_NOTE
            yield pointer, keyword, message

    return validate
