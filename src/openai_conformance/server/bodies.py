"""Minimal valid instances of OpenAPI 3.0 / JSON Schema schemas, and a small conformance test.

``SchemaBuilder.build`` makes the smallest instance a schema accepts: required properties only,
``enum[0]``, ``null`` for nullable values, the first ``oneOf``/``anyOf`` branch whose instance matches
exactly as the combinator demands, merged ``allOf``, ``$ref`` followed inside the root document.
``SchemaBuilder.conforms`` is the matching subset of validation the builder relies on (and the
server uses to decide whether a request value can be copied into a response object).

Both work on OpenAPI 3.0 schemas (``nullable``) and on the JSON Schema that users send in
``response_format.json_schema`` and tool ``parameters`` (type lists, ``const``, local ``$ref``).
Neither ever raises on odd input: a schema they do not understand yields a best effort.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["TIMESTAMP", "SchemaBuilder", "build_instance"]

TIMESTAMP = 1723075200  # 2024-08-08T00:00:00Z, the day of the 6b8287f spec
_MAX_DEPTH = 24
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def _is_timestamp_name(name: str) -> bool:
    return name in ("created", "created_at", "timestamp") or name.endswith("_at")


class SchemaBuilder:
    """Builds and checks instances of schemas that live in ``root`` (the spec, or a user schema)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._ref_cache: dict[str, Any] = {}
        # ``nullable`` is OpenAPI 3.0's; a 3.1 document (JSON Schema) admits null only by its type.
        version = str(root.get("openapi", "")) if isinstance(root, dict) else ""
        self._nullable_keyword = not version.startswith("3.1")

    # -- references -------------------------------------------------------------------------
    def resolve(self, schema: Any) -> Any:
        """Follow ``$ref`` chains (bounded) to the schema they name."""
        for _ in range(32):
            if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
                return schema
            schema = self._lookup(schema["$ref"])
        return {}

    def _lookup(self, ref: str) -> Any:
        if ref in self._ref_cache:
            return self._ref_cache[ref]
        target: Any = {}
        if ref.startswith("#"):
            node: Any = self.root
            for raw in ref[1:].split("/"):
                if not raw:
                    continue
                part = raw.replace("~1", "/").replace("~0", "~")
                if isinstance(node, dict) and part in node:
                    node = node[part]
                elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                else:
                    node = {}
                    break
            target = node
        self._ref_cache[ref] = target
        return target

    # -- building ---------------------------------------------------------------------------
    def build(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        """A minimal instance of ``schema``; ``name`` is the property it fills (for timestamps)."""
        try:
            return self._build(schema, name, depth)
        except (RecursionError, TypeError, ValueError, KeyError, AttributeError, IndexError):
            return None

    def _build(self, schema: Any, name: str, depth: int) -> Any:
        if schema is True or schema is None:
            return None if depth else {}
        if not isinstance(schema, dict):
            return None
        has_ref = "$ref" in schema
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return None
        if depth > _MAX_DEPTH:
            return None
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        if "allOf" in schema and isinstance(schema["allOf"], list):
            return self._build(self.merge_all_of(schema), name, depth + 1)
        for key in ("oneOf", "anyOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self._build_choice(schema, key, branches, name, depth)
        stype = self._main_type(schema)
        if self._nullable_keyword and schema.get("nullable") is True and not has_ref:
            return None
        if stype == "null":
            return None
        if stype == "object":
            return self._build_object(schema, depth)
        if stype == "array":
            count = schema.get("minItems", 0)
            count = count if isinstance(count, int) and 0 <= count <= 64 else 0
            prefix = schema.get("prefixItems")
            if isinstance(prefix, list) and prefix:
                return [self._build(item, "", depth + 1) for item in prefix]
            return [self._build(schema.get("items", {}), "", depth + 1) for _ in range(count)]
        if stype == "string":
            return self._build_string(schema)
        if stype in ("integer", "number"):
            return self._build_number(schema, stype, name)
        if stype == "boolean":
            return False
        if "properties" in schema or "required" in schema:
            return self._build_object(schema, depth)
        return {} if depth == 0 else ""

    def _main_type(self, schema: dict[str, Any]) -> str | None:
        stype = schema.get("type")
        if isinstance(stype, list):
            non_null = [t for t in stype if t != "null" and t in _TYPES]
            return non_null[0] if non_null else ("null" if "null" in stype else None)
        return stype if isinstance(stype, str) and stype in _TYPES else None

    def _build_choice(
        self, schema: dict[str, Any], key: str, branches: list[Any], name: str, depth: int
    ) -> Any:
        base = {k: v for k, v in schema.items() if k not in (key, "nullable", "description")}
        candidates: list[Any] = []
        for branch in branches:
            merged = {"allOf": [base, branch]} if base.get("type") or base.get("properties") else branch
            value = self._build(merged, name, depth + 1)
            candidates.append(value)
            if key == "anyOf" or sum(1 for b in branches if self.conforms(value, b)) == 1:
                return value
        return candidates[0]

    def merge_all_of(self, schema: dict[str, Any]) -> dict[str, Any]:
        """One schema with the properties, required names and type of every ``allOf`` part."""
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties", {}) or {})
        required: list[str] = list(merged.get("required", []) or [])
        for part in schema.get("allOf", []):
            part = self.resolve(part)
            if not isinstance(part, dict):
                continue
            if "allOf" in part:
                part = self.merge_all_of(part)
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    properties.update(value)
                elif key == "required" and isinstance(value, list):
                    required.extend(r for r in value if r not in required)
                elif key not in merged:
                    merged[key] = value
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged

    def _build_object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        result: dict[str, Any] = {}
        if not isinstance(properties, dict) or not isinstance(required, list):
            return result
        for prop in required:
            if not isinstance(prop, str):
                continue
            if prop in properties:
                result[prop] = self._build(properties[prop], prop, depth + 1)
            else:
                result[prop] = 0
        minimum = schema.get("minProperties")
        if isinstance(minimum, int) and len(result) < minimum <= 16:
            for prop, sub in properties.items():
                if len(result) >= minimum:
                    break
                result.setdefault(prop, self._build(sub, prop, depth + 1))
            extra = schema.get("additionalProperties", True)
            index = 0
            while len(result) < minimum and extra is not False:
                result.setdefault(
                    f"key{index}", self._build(extra, "", depth + 1) if extra is not True else 0
                )
                index += 1
        return result

    def _build_string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        text = {
            "date-time": "2024-08-08T00:00:00Z",
            "date": "2024-08-08",
            "time": "00:00:00Z",
            "uri": "https://example.com/",
            "url": "https://example.com/",
            "email": "user@example.com",
            "uuid": "00000000-0000-4000-8000-000000000000",
            "ipv4": "127.0.0.1",
            "binary": "",
            "byte": "",
        }.get(fmt if isinstance(fmt, str) else "", "")
        minimum = schema.get("minLength")
        if isinstance(minimum, int) and len(text) < minimum:
            text = text + "x" * (min(minimum, 4096) - len(text))
        maximum = schema.get("maxLength")
        if isinstance(maximum, int) and len(text) > maximum >= 0:
            text = text[:maximum]
        return text

    def _build_number(self, schema: dict[str, Any], stype: str, name: str) -> int | float:
        value: float = 0
        if stype == "integer" and _is_timestamp_name(name):
            value = TIMESTAMP
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        if isinstance(lo, int | float) and not isinstance(lo, bool) and value < lo:
            value = lo
            if schema.get("exclusiveMinimum") is True:
                value = lo + 1
        if isinstance(hi, int | float) and not isinstance(hi, bool) and value > hi:
            value = hi
            if schema.get("exclusiveMaximum") is True:
                value = hi - 1
        xlo = schema.get("exclusiveMinimum")
        if isinstance(xlo, int | float) and not isinstance(xlo, bool) and value <= xlo:
            value = xlo + 1
        xhi = schema.get("exclusiveMaximum")
        if isinstance(xhi, int | float) and not isinstance(xhi, bool) and value >= xhi:
            value = xhi - 1
        multiple = schema.get("multipleOf")
        if isinstance(multiple, int | float) and not isinstance(multiple, bool) and multiple > 0:
            value = (int(value // multiple) + (1 if value % multiple else 0)) * multiple
        if stype == "integer":
            return int(value)
        return float(value)

    # -- checking ---------------------------------------------------------------------------
    def conforms(self, value: Any, schema: Any, depth: int = 0) -> bool:
        """Whether ``value`` satisfies ``schema`` (the keywords this module knows; formats ignored)."""
        try:
            return self._conforms(value, schema, depth)
        except (RecursionError, TypeError, ValueError, re.error):
            return False

    def _conforms(self, value: Any, schema: Any, depth: int) -> bool:
        if schema is True or schema is None:
            return True
        if schema is False:
            return False
        if not isinstance(schema, dict) or depth > 64:
            return True
        has_ref = "$ref" in schema
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return True
        if value is None and self._nullable_keyword and schema.get("nullable") is True and not has_ref:
            return True
        if "const" in schema and value != schema["const"]:
            return False
        enum = schema.get("enum")
        if (
            isinstance(enum, list)
            and not any(value == e and type(value) is type(e) for e in enum)
            and not (_is_number(value) and any(value == e for e in enum if _is_number(e)))
        ):
            return False
        for part in schema.get("allOf", []) or []:
            if not self._conforms(value, part, depth + 1):
                return False
        one_of = schema.get("oneOf")
        if (
            isinstance(one_of, list)
            and one_of
            and sum(1 for b in one_of if self._conforms(value, b, depth + 1)) != 1
        ):
            return False
        any_of = schema.get("anyOf")
        if (
            isinstance(any_of, list)
            and any_of
            and not any(self._conforms(value, b, depth + 1) for b in any_of)
        ):
            return False
        stype = schema.get("type")
        types = stype if isinstance(stype, list) else [stype] if isinstance(stype, str) else []
        if types and not any(_has_type(value, t) for t in types):
            return False
        if isinstance(value, dict):
            return self._conforms_object(value, schema, depth)
        if isinstance(value, list):
            lo, hi = schema.get("minItems"), schema.get("maxItems")
            if (isinstance(lo, int) and len(value) < lo) or (isinstance(hi, int) and len(value) > hi):
                return False
            items = schema.get("items")
            return items is None or all(self._conforms(v, items, depth + 1) for v in value)
        if isinstance(value, str):
            lo, hi = schema.get("minLength"), schema.get("maxLength")
            if (isinstance(lo, int) and len(value) < lo) or (isinstance(hi, int) and len(value) > hi):
                return False
            pattern = schema.get("pattern")
            return not (isinstance(pattern, str) and re.search(pattern, value) is None)
        if _is_number(value):
            lo, hi = schema.get("minimum"), schema.get("maximum")
            if _is_number(lo) and (value < lo or (value == lo and schema.get("exclusiveMinimum") is True)):
                return False
            if _is_number(hi) and (value > hi or (value == hi and schema.get("exclusiveMaximum") is True)):
                return False
            xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
            if (_is_number(xlo) and value <= xlo) or (_is_number(xhi) and value >= xhi):
                return False
        return True

    def _conforms_object(self, value: dict[str, Any], schema: dict[str, Any], depth: int) -> bool:
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        if any(isinstance(r, str) and r not in value for r in required):
            return False
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                if not self._conforms(item, properties[key], depth + 1):
                    return False
            elif extra is False or (isinstance(extra, dict) and not self._conforms(item, extra, depth + 1)):
                return False
        lo, hi = schema.get("minProperties"), schema.get("maxProperties")
        return not ((isinstance(lo, int) and len(value) < lo) or (isinstance(hi, int) and len(value) > hi))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _has_type(value: Any, stype: Any) -> bool:
    if stype == "object":
        return isinstance(value, dict)
    if stype == "array":
        return isinstance(value, list)
    if stype == "string":
        return isinstance(value, str)
    if stype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if stype == "number":
        return _is_number(value)
    if stype == "boolean":
        return isinstance(value, bool)
    if stype == "null":
        return value is None
    return True


def build_instance(schema: Any) -> Any:
    """A minimal instance of a self-contained JSON Schema (local ``$ref`` resolved inside it)."""
    return SchemaBuilder(schema).build(schema)
