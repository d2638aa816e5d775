"""Whether the spec declares a member of an answer: a field the proxy drops may be a vendor's own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai_conformance.validation.chunk_schema import CHUNK_SCHEMAS, stream_kind

__all__ = ["Declarations"]

_DEPTH = 40  # $ref chains and nesting deeper than this are taken as declaring anything


class Declarations:
    """The response schemas of a spec, asked whether they declare a path of an answer."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self._operations: dict[str, Mapping[str, Any]] = {}
        for item in (document.get("paths") or {}).values():
            for operation in (item or {}).values():
                if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                    self._operations[operation["operationId"]] = operation

    def schema_of(self, operation_id: str, status: int, *, streamed: bool = False) -> Any:
        """The schema of an answer (of one chunk of a stream), or None when the spec gives none."""
        if streamed:
            kind = stream_kind(operation_id)
            return None if kind is None else {"$ref": f"#/components/schemas/{CHUNK_SCHEMAS[kind]}"}
        responses = (self._operations.get(operation_id) or {}).get("responses") or {}
        response = (
            responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        )
        content = (self._resolve(response) or {}).get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        return (media or {}).get("schema")

    def declares(self, schema: Any, path: list[str | int]) -> bool:
        """Whether ``schema`` names the member at ``path`` (array indices follow ``items``)."""
        return self._declares(schema, path, 0)

    def _resolve(self, schema: Any) -> Any:
        for _ in range(_DEPTH):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                return schema
            node: Any = self._document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node.get(part) if isinstance(node, dict) else None
            schema = node
        return None

    def _declares(self, schema: Any, path: list[str | int], depth: int) -> bool:
        schema = self._resolve(schema)
        if not path or depth > _DEPTH or not isinstance(schema, dict):
            return True  # nothing more to say, or a schema that says nothing: anything goes
        branches = [b for key in ("allOf", "anyOf", "oneOf") for b in schema.get(key) or []]
        if branches and any(self._declares(b, path, depth + 1) for b in branches):
            return True
        head, rest = path[0], path[1:]
        if isinstance(head, int):
            return "items" in schema and self._declares(schema["items"], rest, depth + 1)
        properties = schema.get("properties") or {}
        if head in properties:
            return self._declares(properties[head], rest, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return self._declares(extra, rest, depth + 1)
        return False
