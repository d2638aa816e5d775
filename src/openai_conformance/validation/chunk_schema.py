"""The schema of one chunk of a chat or text-completion stream, made to say what the API documents.

6b8287f does not describe streams (openai/openai-openapi#197): the chunk schemas exist but nothing
references them; f85dbe2 declares the chat stream but still not the text-completion one.
:func:`create_chunk_validator` builds, once per run and kind, a validator of one chunk against
``CreateChatCompletionStreamResponse`` or ``CreateCompletionResponse``, relaxed where the API
reference says in prose what the schema does not (``usage`` and ``finish_reason`` are null until the
last chunk). ``stream.chunk_schema`` (validation/stream.py) reports what it finds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from openai_conformance.errors import SpecError
from openai_conformance.validation.event_schema import COMPAT_NOTE, ChunkValidator, SchemaSet

__all__ = [
    "CHUNK_SCHEMAS",
    "COMPAT_NOTE",
    "ChunkKind",
    "ChunkValidator",
    "StreamKind",
    "chunk_validator",
    "create_chunk_validator",
    "stream_kind",
]

#: Which chunk shape a chat-like stream carries.
ChunkKind = Literal["chat", "completion"]

#: The name the chunk-stream checks have always given a chunk kind.
StreamKind = ChunkKind

#: The schema each kind of chunk must satisfy (CreateCompletionResponse is shared by both modes).
CHUNK_SCHEMAS: dict[ChunkKind, str] = {
    "chat": "CreateChatCompletionStreamResponse",
    "completion": "CreateCompletionResponse",
}

_CHUNK_NAME = "_OpenaiConformanceChunk"
_OPERATIONS: dict[str, ChunkKind] = {"createChatCompletion": "chat", "createCompletion": "completion"}


def stream_kind(operation_id: str) -> ChunkKind | None:
    """The chunk kind of chat and text completions' streams, or None for any other operation."""
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


def _relax(chunk: dict[str, Any], schemas: Mapping[str, Any], kind: ChunkKind, openapi_31: bool) -> None:
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


def chunk_validator(schemas: SchemaSet, kind: ChunkKind, name: str | None = None) -> ChunkValidator:
    """A validator of one chunk of ``kind`` against ``name`` (the kind's usual schema by default), relaxed."""
    name = name or CHUNK_SCHEMAS[kind]
    if not schemas.has(name):
        raise SpecError(f"the spec has no components.schemas.{name}: cannot validate {kind} stream chunks")
    relaxed_name = f"{_CHUNK_NAME}_{kind}_{name}"
    if not schemas.has(relaxed_name):
        chunk = copy.deepcopy(schemas.schemas[name])
        _relax(chunk, schemas.schemas, kind, schemas.openapi_31)
        schemas.add(relaxed_name, chunk)
    return schemas.validator(relaxed_name)


def create_chunk_validator(
    spec: Mapping[str, Any], kind: ChunkKind, *, fast: bool = True, compat: bool = False
) -> ChunkValidator:
    """A validator of one streamed chunk against the spec's chunk schema (build it once, reuse it).

    ``spec`` is the parsed OpenAPI document (overlaid or not); ``#/components/schemas/...`` references
    resolve inside it. Raises :class:`SpecError` when the spec has no chunk schema for ``kind``.
    ``compat``: a missing property that is required but nullable ends its message with
    :data:`COMPAT_NOTE` (the stream checks report it as a warning), as for plain answers.
    """
    return chunk_validator(SchemaSet(spec, fast=fast, compat=compat), kind)
