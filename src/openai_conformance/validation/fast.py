"""A fast first look at response bodies: jsonschema-rs, with openapi-core's verdicts.

openapi-core stays the judge: a body this module cannot call valid *exactly* as openapi-core's
OAS 3.0 validator would is handed to openapi-core, which then also words every violation. What the
fast path accepts it accepts only when the schema uses nothing whose meaning could differ between the
two validators (discriminators, patterns, numeric formats, readOnly/writeOnly); OpenAPI 3.0's
``nullable`` becomes a ``"null"`` type, and string formats are checked by openapi-core's own format
checker. The differential test over a corpus of valid and invalid answers holds the two to the same
verdicts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from openapi_schema_validator import oas30_format_checker

__all__ = ["FastBodies", "compile_schema", "responses_of"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords whose meaning differs, or may, between openapi-core's OAS 3.0 validator and Draft 4.
_UNSAFE_KEYWORDS = frozenset(
    {"discriminator", "pattern", "readOnly", "writeOnly", "uniqueItems", "multipleOf"}
)
_NUMERIC_FORMATS = frozenset({"int32", "int64"})  # checked on numbers by openapi-core, never by Draft 4


def _convert(node: Any, unsafe: set[str]) -> Any:
    """OpenAPI 3.0 schema → Draft 4: ``nullable`` into the type; notes what is unsafe to judge fast."""
    if isinstance(node, list):
        return [_convert(item, unsafe) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "examples", "x-oaiMeta", "description", "default"):
            continue  # annotations: never change a verdict
        if key in _UNSAFE_KEYWORDS:
            unsafe.add(key)
        if key == "format" and value in _NUMERIC_FORMATS:
            unsafe.add(f"format:{value}")
        if key in ("properties",) and isinstance(value, dict):
            result[key] = {name: _convert(schema, unsafe) for name, schema in value.items()}
        elif key in ("enum", "required", "type", "format", "$ref"):
            result[key] = copy.deepcopy(value)
        else:
            result[key] = _convert(value, unsafe)
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        result["type"] = [node["type"], "null"]
    result.pop("nullable", None)
    return result


def responses_of(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation's ``responses`` object by (method, path)."""
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method in _METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict):
                found[(method, path)] = operation.get("responses") or {}
    return found


def _format_checkers() -> dict[str, Callable[[str], bool]]:
    def checker(name: str) -> Callable[[str], bool]:
        return lambda value: bool(oas30_format_checker.conforms(value, name))

    return {name: checker(name) for name in oas30_format_checker.checkers}


def compile_schema(schema: dict[str, Any], schemas: dict[str, Any]) -> Any | None:
    """A fast validator of one OpenAPI 3.0 schema (its ``$ref``s into ``schemas``), or None when unsafe."""
    fast = FastBodies({"openapi": "3.0.3", "paths": {}, "components": {"schemas": schemas}})
    return fast.build(schema)


class FastBodies:
    """Fast validators for the JSON response bodies of one OpenAPI 3.0 document, built on first use."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.enabled = str(document.get("openapi", "")).startswith("3.0")
        self._responses = responses_of(document)
        self._schemas = (document.get("components") or {}).get("schemas") or {}
        self._converted: dict[str, Any] | None = None
        self._unsafe_components: set[str] = set()
        self._validators: dict[tuple[str, str, str, str], Any] = {}
        self._formats = _format_checkers()

    def _components(self) -> dict[str, Any]:
        if self._converted is None:
            self._converted = {}
            for name, schema in self._schemas.items():
                unsafe: set[str] = set()
                self._converted[name] = _convert(schema, unsafe)
                if unsafe:
                    self._unsafe_components.add(name)
        return self._converted

    def response(self, method: str, path: str, status: int) -> tuple[str, dict[str, Any]] | None:
        """The declared response for a status, as openapi-core picks it: exact, then ``4XX``, then default."""
        responses = self._responses.get((method, path))
        if responses is None:
            return None
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses and isinstance(responses[key], dict):
                return key, responses[key]
        return None

    def validator(self, method: str, path: str, status: int, media_type: str) -> Any | None:
        """A jsonschema-rs validator that judges this body exactly as openapi-core would, or None."""
        if not self.enabled:
            return None
        found = self.response(method, path, status)
        if found is None:
            return None
        key, response = found
        if response.get("headers") or "$ref" in response:
            return None  # declared headers are openapi-core's to check
        cache_key = (method, path, key, media_type)
        if cache_key in self._validators:
            return self._validators[cache_key]
        validator = None
        media = (response.get("content") or {}).get(media_type)
        if isinstance(media, dict) and isinstance(media.get("schema"), dict):
            validator = self.build(media["schema"])
        self._validators[cache_key] = validator
        return validator

    def build(self, schema: dict[str, Any]) -> Any | None:
        """A jsonschema-rs validator of one schema of this document, or None when it is not safe."""
        components = self._components()
        unsafe: set[str] = set()
        root = _convert(schema, unsafe)
        if unsafe or self._reaches_unsafe(schema):
            return None
        document = {"$ref": "#/root", "root": root, "components": {"schemas": components}}
        try:
            return jsonschema_rs.Draft4Validator(
                document, formats=self._formats, validate_formats=True, ignore_unknown_formats=True
            )
        except (ValueError, jsonschema_rs.ReferencingError):
            return None

    def _reaches_unsafe(self, schema: dict[str, Any]) -> bool:
        """Whether any component the schema references (transitively) uses an unsafe keyword."""
        seen: set[str] = set()
        stack: list[Any] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                    name = ref.rsplit("/", 1)[-1]
                    if name in self._unsafe_components:
                        return True
                    if name not in seen:
                        seen.add(name)
                        stack.append(self._schemas.get(name))
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return False
