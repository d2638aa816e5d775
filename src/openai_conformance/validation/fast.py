"""A fast first look at response bodies: jsonschema-rs, with openapi-core's verdicts.

openapi-core stays the judge: a body this module cannot call valid *exactly* as openapi-core would
is handed to openapi-core, which then also words every violation. What the fast path accepts it
accepts only when the schema uses nothing whose meaning could differ between the two validators
(readOnly/writeOnly, uniqueItems, multipleOf, a pattern beyond the plain ones both regex dialects read
alike, a discriminator that could pick another alternative than plain JSON Schema would); string formats are checked with openapi-core's own format
checker, and a number's ``int32``/``int64`` format becomes the bounds it stands for.

Both dialects: an OpenAPI 3.0 schema becomes Draft 4 (``nullable`` into the type, as openapi-core's
OAS 3.0 validator reads it); an OpenAPI 3.1 schema is Draft 2020-12 already (openapi-core's OAS 3.1
validator ignores ``nullable``, and so does this path). The differential test over a corpus of
valid and invalid answers of both pinned specs holds the two to the same verdicts.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from openapi_schema_validator import oas30_format_checker

__all__ = ["FastBodies", "responses_of"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PREFIX = "#/components/schemas/"
# Keywords whose meaning differs, or may, between openapi-core's validators and jsonschema-rs.
_UNSAFE_KEYWORDS = frozenset({"readOnly", "writeOnly", "uniqueItems", "multipleOf"})
# A pattern both regex dialects read alike (Python's `re` for openapi-core, ECMA 262 for jsonschema-rs):
# ASCII letters, digits and `_`, classes of those (ranges, `.`, a last `-`), simple quantifiers and
# anchors; never `\d`, `\w`, `\s` (Unicode in Python), nor `.` outside a class. Where ECMA finds a
# match, so does Python (whose `$` also matches before a final newline: only the slow path may differ).
_TOKEN = r"(?:[A-Za-z0-9_]|\[(?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9_.])+-?\])(?:[+*?]|\{\d+(?:,\d*)?\})?"
_PLAIN_PATTERN = re.compile(rf"^\^?(?:{_TOKEN})+\$?$")
# A number's format openapi-core checks (Draft 4 and 2020-12 check formats on strings only): bounds.
_INTEGER_BOUNDS = {"int32": 1 << 31, "int64": 1 << 63}
_ANNOTATIONS = frozenset(
    {"example", "examples", "x-oaiMeta", "description", "default", "title", "deprecated"}
)
_VERBATIM = frozenset({"enum", "const", "required", "type", "$ref", "pattern"})
_NAMED = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


class _Converter:
    """One document's schemas as jsonschema-rs reads them, noting what is unsafe to judge fast."""

    def __init__(self, schemas: dict[str, Any], openapi_31: bool) -> None:
        self.schemas = schemas
        self.openapi_31 = openapi_31

    def convert(self, node: Any, unsafe: set[str]) -> Any:
        if isinstance(node, list):
            return [self.convert(item, unsafe) for item in node]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue  # annotations: never change a verdict
            if key in _UNSAFE_KEYWORDS or (
                key == "pattern" and not (isinstance(value, str) and _PLAIN_PATTERN.match(value))
            ):
                unsafe.add(key)
            if key == "discriminator":
                # Outside anyOf/oneOf/allOf openapi-core ignores a discriminator (f85dbe2 puts one on an array).
                combined = any(k in node for k in ("anyOf", "oneOf", "allOf"))
                if combined and not self._discriminator_is_plain(node):
                    unsafe.add(key)
                continue
            if key in _NAMED and isinstance(value, dict):
                result[key] = {name: self.convert(schema, unsafe) for name, schema in value.items()}
            elif key in _VERBATIM:
                result[key] = copy.deepcopy(value)
            elif key == "format" and value in _INTEGER_BOUNDS:
                continue  # becomes bounds, below
            else:
                result[key] = self.convert(value, unsafe)
        named = node.get("format")
        bound = _INTEGER_BOUNDS.get(named) if isinstance(named, str) else None
        if bound is not None:
            # openapi-core: an integer must lie inside the range; anything else passes the format.
            limits = {"minimum": -bound, "maximum": bound - 1}
            within: dict[str, Any] = {"anyOf": [{"not": {"type": "integer"}}, limits]}
            result = {"allOf": [result, within]} if result else within
        if not self.openapi_31 and node.get("nullable") is True and isinstance(node.get("type"), str):
            result["type"] = [node["type"], "null"]
        result.pop("nullable", None)
        return result

    def _discriminator_is_plain(self, node: dict[str, Any]) -> bool:
        """Whether openapi-core's discriminator and plain JSON Schema agree on every valid instance.

        openapi-core validates an instance against the one alternative its discriminator value maps
        to; plain ``anyOf``/``oneOf`` against any alternative. They agree when every alternative is
        an object that requires the property, admits only values that map back to it, and none of
        them is empty.
        """
        discriminator = node.get("discriminator")
        alternatives = node.get("anyOf") if "anyOf" in node else node.get("oneOf")
        if not isinstance(discriminator, dict) or not isinstance(alternatives, list) or "allOf" in node:
            return False
        prop = discriminator.get("propertyName")
        mapping = discriminator.get("mapping") or {}
        if not isinstance(prop, str) or not isinstance(mapping, dict):
            return False
        for alternative in alternatives:
            ref = alternative.get("$ref") if isinstance(alternative, dict) else None
            siblings = [
                k for k in alternative if k != "$ref" and k not in _ANNOTATIONS and not k.startswith("x-")
            ]
            if not isinstance(ref, str) or not ref.startswith(_PREFIX) or siblings:
                return False
            values = self._values_of(ref[len(_PREFIX) :], prop)
            if not values or any(not v or (mapping.get(v) or _PREFIX + v) != ref for v in values):
                return False
        return True

    def _merged(self, schema: Any, depth: int = 0) -> tuple[bool, set[str], dict[str, Any]]:
        """An object schema with its ``allOf`` parts: whether it is an object, what it requires, its properties."""
        for _ in range(4):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not isinstance(ref, str) or not ref.startswith(_PREFIX):
                break
            schema = self.schemas.get(ref[len(_PREFIX) :])
        if not isinstance(schema, dict) or depth > 4:
            return False, set(), {}
        is_object = schema.get("type") == "object"
        required = {r for r in schema.get("required") or [] if isinstance(r, str)}
        properties = dict(schema.get("properties") or {})
        for part in schema.get("allOf") or []:
            part_object, part_required, part_properties = self._merged(part, depth + 1)
            is_object, required = is_object or part_object, required | part_required
            properties = {**part_properties, **properties}
        return is_object, required, properties

    def _values_of(self, name: str, prop: str) -> list[str] | None:
        """The values an object component admits for ``prop`` (which it requires), or None."""
        is_object, required, properties = self._merged(self.schemas.get(name))
        if not is_object or prop not in required:
            return None
        declared = properties.get(prop)
        for _ in range(4):  # a short chain of $refs
            ref = declared.get("$ref") if isinstance(declared, dict) else None
            if not isinstance(ref, str) or not ref.startswith(_PREFIX):
                break
            declared = self.schemas.get(ref[len(_PREFIX) :])
        if not isinstance(declared, dict):
            return None
        if "const" in declared:
            values = [declared["const"]]
        elif isinstance(declared.get("enum"), list):
            values = declared["enum"]
        else:
            return None
        return values if all(isinstance(v, str) for v in values) else None


def responses_of(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation's ``responses`` object by (method, path)."""
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method in _METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict):
                found[(method, path)] = operation.get("responses") or {}
    return found


def _format_checkers(document: dict[str, Any]) -> dict[str, Callable[[str], bool]]:
    """openapi-core's format checks (its 3.1 validators use the same ones, openapi-core #506).

    Every other format the document names is not checked by openapi-core, so not here either
    (jsonschema-rs would check ``uri`` or ``date-time`` on its own otherwise).
    """

    def checker(name: str) -> Callable[[str], bool]:
        return lambda value: bool(oas30_format_checker.conforms(value, name))

    def unchecked(value: str) -> bool:
        return True

    names: set[str] = set()
    stack: list[Any] = [document.get("components")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                names.add(node["format"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    formats: dict[str, Callable[[str], bool]] = dict.fromkeys(names, unchecked)
    formats.update({name: checker(name) for name in oas30_format_checker.checkers})
    return formats


class FastBodies:
    """Fast validators for the JSON response bodies of one OpenAPI 3.0 or 3.1 document, built on first use."""

    def __init__(self, document: dict[str, Any]) -> None:
        version = str(document.get("openapi", ""))
        self.enabled = version.startswith(("3.0", "3.1"))
        self._openapi_31 = version.startswith("3.1")
        self._document = document
        self._responses = responses_of(document)
        self._schemas = (document.get("components") or {}).get("schemas") or {}
        self._converter = _Converter(self._schemas, self._openapi_31)
        self._converted: dict[str, Any] = {}  # component → its jsonschema-rs form, converted on first use
        self._unsafe_components: set[str] = set()
        self._validators: dict[tuple[str, str, str, str], Any] = {}
        self._formats: dict[str, Callable[[str], bool]] | None = None

    def _component(self, name: str) -> Any:
        if name not in self._converted:
            unsafe: set[str] = set()
            self._converted[name] = self._converter.convert(self._schemas.get(name), unsafe)
            if unsafe:
                self._unsafe_components.add(name)
        return self._converted[name]

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
        unsafe: set[str] = set()
        root = self._converter.convert(schema, unsafe)
        reached = self._reached(schema)
        used = {name: self._component(name) for name in reached if name in self._schemas}
        if unsafe or reached & self._unsafe_components:
            return None
        if self._formats is None:
            self._formats = _format_checkers(self._document)
        # Only the components the schema reaches: jsonschema-rs reads the whole document it is given.
        document = {"$ref": "#/root", "root": root, "components": {"schemas": used}}
        kind = jsonschema_rs.Draft202012Validator if self._openapi_31 else jsonschema_rs.Draft4Validator
        try:
            return kind(document, formats=self._formats, validate_formats=True, ignore_unknown_formats=True)
        except (ValueError, jsonschema_rs.ReferencingError):
            return None

    def _reached(self, schema: dict[str, Any]) -> set[str]:
        """Every component the schema references, transitively."""
        seen: set[str] = set()
        stack: list[Any] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith(_PREFIX):
                    name = ref[len(_PREFIX) :]
                    if name not in seen:
                        seen.add(name)
                        stack.append(self._schemas.get(name))
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return seen
