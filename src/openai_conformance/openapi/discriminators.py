"""Discriminators whose values name no schema: their mapping, derived from the alternatives.

OpenAPI: a discriminator without a ``mapping`` reads each value of its property as the name of a
component schema. The newer OpenAI specs (105 such discriminators in f85dbe2) use values such as
``"user"`` or ``"message"`` that name no schema, and say which alternative they mean only in that
alternative's own ``enum``/``const`` for the property. openapi-core (and the reference server's
request validator) then looks for ``#/components/schemas/user``, finds nothing, and refuses every
such value: every valid chat message or Responses output item would be a violation.

Here each such discriminator gets the mapping its alternatives declare: a value that exactly one
``$ref`` alternative admits maps to it. When no mapping can say what the alternatives mean, the
discriminator is dropped: a value admitted by several alternatives or by an inline one; an
alternative that admits no value the mapping could name (f85dbe2's InputItem has ``Item``, itself a
``oneOf`` of every item type); an alternative that does not require the property (an input message
``{"role": "user", "content": "hi"}`` has no ``type``, and a discriminator refuses every instance
without its property). A dropped discriminator's alternatives are judged as ``anyOf``: the
alternatives of these unions overlap (an input message fits both EasyInputMessage and Item), so the
``oneOf`` the discriminator only ever narrowed would refuse what the API takes.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["complete_discriminators"]

_PREFIX = "#/components/schemas/"


def complete_discriminators(document: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The document with such discriminators completed (a copy, if anything changed), and a note."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    if not isinstance(schemas, dict) or not _needs_work(document, schemas):
        return document, None
    result = copy.deepcopy(document)
    schemas = result["components"]["schemas"]
    mapped = dropped = 0

    def visit(node: Any) -> None:
        nonlocal mapped, dropped
        if isinstance(node, dict):
            outcome = _complete(node, schemas)
            mapped += outcome == "mapped"
            dropped += outcome == "dropped"
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(result)
    note = (
        f"correction: {mapped} discriminator(s) whose values name no schema got the mapping their "
        f"alternatives declare; {dropped} that no mapping can express were dropped "
        "(their alternatives are judged as anyOf)"
    )
    return result, note


def _needs_work(document: dict[str, Any], schemas: dict[str, Any]) -> bool:
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if _unresolved_values(node, schemas):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _members(node: dict[str, Any]) -> list[Any]:
    for keyword in ("oneOf", "anyOf"):
        if isinstance(node.get(keyword), list):
            return list(node[keyword])
    return []


def _unresolved_values(node: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether ``node`` has a discriminator some of whose alternatives' values name no schema."""
    discriminator = node.get("discriminator")
    if not isinstance(discriminator, dict) or not isinstance(discriminator.get("propertyName"), str):
        return False
    mapping = discriminator.get("mapping") or {}
    prop = discriminator["propertyName"]
    for member in _members(node):
        for value in _values(member, prop, schemas):
            if value not in mapping and value not in schemas:
                return True
    return False


def _complete(node: dict[str, Any], schemas: dict[str, Any]) -> str | None:
    if not _unresolved_values(node, schemas):
        return None
    discriminator = node["discriminator"]
    prop = discriminator["propertyName"]
    mapping = dict(discriminator.get("mapping") or {})
    claims: dict[str, list[str | None]] = {}  # value -> the $refs (None: inline) that admit it
    for member in _members(node):
        ref = member.get("$ref") if isinstance(member, dict) else None
        values = _values(member, prop, schemas)
        if not values or not _requires(member, prop, schemas):
            return _drop(node)
        for value in values:
            claims.setdefault(value, []).append(ref if isinstance(ref, str) else None)
    for value, refs in claims.items():
        if value in mapping or value in schemas:
            continue  # already said, or the implicit reading works
        if len(refs) != 1 or refs[0] is None:
            return _drop(node)
        mapping[value] = refs[0]
    discriminator["mapping"] = mapping
    return "mapped"


def _drop(node: dict[str, Any]) -> str:
    """The discriminator removed, its alternatives judged as ``anyOf`` (they may overlap)."""
    del node["discriminator"]
    if isinstance(node.get("oneOf"), list) and "anyOf" not in node:
        node["anyOf"] = node.pop("oneOf")
    return "dropped"


def _requires(member: Any, prop: str, schemas: dict[str, Any], depth: int = 0) -> bool:
    """Whether an alternative requires the discriminating property (itself or in an allOf part)."""
    schema = _resolve(member, schemas)
    if not isinstance(schema, dict) or depth > 8:
        return False
    if prop in (schema.get("required") or []):
        return True
    return any(_requires(part, prop, schemas, depth + 1) for part in schema.get("allOf") or [])


def _resolve(node: Any, schemas: dict[str, Any]) -> Any:
    for _ in range(16):  # a chain of $refs, never a cycle
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not (isinstance(ref, str) and ref.startswith(_PREFIX)):
            return node
        node = schemas.get(ref[len(_PREFIX) :])
    return node


def _values(member: Any, prop: str, schemas: dict[str, Any], depth: int = 0) -> list[str]:
    """The string values an alternative admits for the discriminating property (enum or const)."""
    schema = _resolve(member, schemas)
    if not isinstance(schema, dict) or depth > 8:
        return []
    found = _resolve((schema.get("properties") or {}).get(prop), schemas)
    if isinstance(found, dict):
        if isinstance(found.get("const"), str):
            return [found["const"]]
        if isinstance(found.get("enum"), list):
            return [value for value in found["enum"] if isinstance(value, str)]
    for part in schema.get("allOf") or []:
        values = _values(part, prop, schemas, depth + 1)
        if values:
            return values
    return []
