"""OpenAPI 3.0's ``nullable: true`` left in a 3.1 document: what its authors meant, a type that admits null.

OpenAPI 3.1 dropped ``nullable`` (a schema admits null with ``type: [T, "null"]``), and 3.1 validators
ignore it. f85dbe2 (``openapi: 3.1.0``) still writes it 111 times, mostly in request schemas
(``CreateChatCompletionRequest.logprobs``, ``max_completion_tokens``, …) and in some answers
(``CreateChatCompletionStreamResponse``, ``RunObject``): as published, every request that sends the
null these fields document is refused, and every answer that carries it is a violation. Here such a
schema admits null: ``type: T`` becomes ``[T, "null"]``, a schema without a type (a ``$ref``, an
``anyOf``) becomes ``anyOf: [it, {type: "null"}]``, and an ``enum`` gets null.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["nullable_as_31"]

_COMBINATORS = ("$ref", "anyOf", "oneOf", "allOf")


def nullable_as_31(document: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The document with each ``nullable: true`` made a 3.1 type union (a copy), and a note; 3.0 as it is."""
    if not str(document.get("openapi", "")).startswith("3.1") or not _has_nullable(document):
        return document, None
    count = 0

    def visit(node: Any) -> Any:
        nonlocal count
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        result = {key: visit(value) for key, value in node.items()}
        if result.get("nullable") is not True:
            return result
        count += 1
        del result["nullable"]
        if isinstance(result.get("enum"), list) and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
        elif isinstance(kind, list):
            result["type"] = kind if "null" in kind else [*kind, "null"]
        elif any(key in result for key in _COMBINATORS):
            return {"anyOf": [result, {"type": "null"}]}
        return result

    corrected = visit(copy.deepcopy(document))
    note = (
        f"correction: {count} OpenAPI 3.0 `nullable: true` in this 3.1 spec made type unions that admit null"
    )
    return corrected, note


def _has_nullable(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("nullable") is True:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
