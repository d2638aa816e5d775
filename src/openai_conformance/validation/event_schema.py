"""The schema of one streamed event, from the spec: a chunk schema, or the member of an event union.

The newer specs declare each stream's events under its ``text/event-stream`` media type: one chunk
schema (chat), or a union of event schemas told apart by their ``type`` (f85dbe2's
``ResponseStreamEvent``, the speech, transcription and image stream events). :class:`SchemaSet`
builds, once per run, validators of single events against the spec's components;
:class:`EventUnion` validates each event of a typed stream against the one member its ``type``
names, which is both what a client does (it dispatches on ``type``) and far faster than trying every
member of a 58-member union.

A valid event is let through by jsonschema-rs first (validation/fast.py) when the schema allows; the
OpenAPI validator of the spec's dialect words every fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30Validator, OAS31Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from openai_conformance.errors import SpecError
from openai_conformance.validation.fast import FastBodies
from openai_conformance.validation.schema import missing_nullable
from openai_conformance.validation.violations import pointer_from_path

__all__ = ["COMPAT_NOTE", "ChunkValidator", "EventUnion", "SchemaSet", "event_types"]

#: Schema errors of one event: (pointer inside the event, failing keyword, message).
ChunkValidator = Callable[[Any], Iterator[tuple[str, str, str]]]

#: Ends the message of a missing required-but-nullable property under ``--profile compat``: a warning.
COMPAT_NOTE = " (compat profile: a nullable field, warning)"

_SPEC_URI = "urn:openai-conformance:spec"
_PREFIX = "#/components/schemas/"
_MESSAGE_LIMIT = 300


def normalize_nullable(node: Any, openapi_31: bool) -> Any:
    """Make ``nullable: true`` mean what the spec's authors meant, for the validator at hand.

    Under 3.0, openapi-schema-validator lets ``nullable`` admit null for ``type`` but not for
    ``enum``, so every ``finish_reason: null`` would fail; null joins the enum. Under 3.1 (f85dbe2 keeps
    3.0-style ``nullable`` keywords under ``openapi: 3.1.0``) the keyword becomes a type union.
    """
    if isinstance(node, list):
        return [normalize_nullable(item, openapi_31) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: normalize_nullable(value, openapi_31) for key, value in node.items()}
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


def _resolved(schema: Any, schemas: Mapping[str, Any]) -> Any:
    """``schema`` with a short chain of ``$ref``s followed."""
    for _ in range(4):
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith(_PREFIX):
            break
        schema = schemas.get(ref[len(_PREFIX) :])
    return schema


def _type_values(schema: Any, schemas: Mapping[str, Any]) -> list[str]:
    """The values an event schema admits for its ``type`` (an enum or a const of strings)."""
    schema = _resolved(schema, schemas)
    if not isinstance(schema, dict):
        return []
    declared = _resolved((schema.get("properties") or {}).get("type"), schemas)
    if not isinstance(declared, dict):
        return []
    values = [declared["const"]] if "const" in declared else declared.get("enum") or []
    return [v for v in values if isinstance(v, str)]


def event_types(union: Any, schemas: Mapping[str, Any]) -> dict[str, str] | None:
    """``type`` value → member component of an event union, or None when ``union`` is not one.

    A union is an ``anyOf``/``oneOf`` of ``$ref`` members, each admitting its own ``type`` values.
    """
    if not isinstance(union, dict):
        return None
    members = union.get("anyOf") if "anyOf" in union else union.get("oneOf")
    if not isinstance(members, list) or not members:
        return None
    found: dict[str, str] = {}
    for member in members:
        ref = member.get("$ref") if isinstance(member, dict) else None
        if not isinstance(ref, str) or not ref.startswith(_PREFIX):
            return None
        values = _type_values(member, schemas)
        if not values:
            return None
        for value in values:
            found.setdefault(value, ref[len(_PREFIX) :])
    return found


class SchemaSet:
    """The spec's components made ready to validate single events, built once per run."""

    def __init__(self, spec: Mapping[str, Any], *, fast: bool = True, compat: bool = False) -> None:
        schemas = spec.get("components", {}).get("schemas")
        if not isinstance(schemas, dict):
            raise SpecError("the spec has no components.schemas: cannot validate stream events")
        self.openapi_31 = str(spec.get("openapi", "3.0")).startswith("3.1")
        self.raw: Mapping[str, Any] = schemas
        self.compat = compat
        self.schemas: dict[str, Any] = normalize_nullable(schemas, self.openapi_31)
        self._fast: FastBodies | None = None
        if fast:  # one fast path for every validator: it converts the components once
            openapi = "3.1.0" if self.openapi_31 else "3.0.3"
            self._fast = FastBodies(
                {"openapi": openapi, "paths": {}, "components": {"schemas": self.schemas}}
            )
        self._registry: Registry[Any] | None = None

    def has(self, name: str) -> bool:
        return isinstance(self.schemas.get(name), dict)

    def add(self, name: str, schema: dict[str, Any]) -> None:
        """A schema of its own among the components (a relaxed chunk schema)."""
        self.schemas[name] = schema
        self._registry = None  # validators built before keep the registry they were built with

    def _resolver(self) -> Registry[Any]:
        if self._registry is None:
            document = {"components": {"schemas": self.schemas}}
            specification = DRAFT202012 if self.openapi_31 else DRAFT4
            resource = specification.create_resource(document)
            self._registry = Registry().with_resource(_SPEC_URI, resource)
        return self._registry

    def validator(self, name: str) -> ChunkValidator:
        """A validator of one value against component ``name``: every fault, one per place.

        Under ``compat`` a missing property that is required but nullable ends its message with
        :data:`COMPAT_NOTE` (the stream checks report it as a warning), as for plain answers.
        """
        if not self.has(name):
            raise SpecError(f"the spec has no components.schemas.{name}: cannot validate stream events")
        root = {"$ref": f"{_SPEC_URI}{_PREFIX}{name}"}
        checker: Any
        # openapi-core checks formats with its OAS 3.0 checker under 3.1 too (openapi-core #506).
        if self.openapi_31:
            checker = OAS31Validator(root, registry=self._resolver(), format_checker=oas30_format_checker)
        else:
            checker = OAS30Validator(root, registry=self._resolver(), format_checker=oas30_format_checker)
        quick = self._fast.build(self.schemas[name]) if self._fast is not None else None
        compat, schemas = self.compat, self.schemas

        def validate(instance: Any) -> Iterator[tuple[str, str, str]]:
            if quick is not None and quick.is_valid(instance):
                return  # the OpenAPI validator would find nothing either (validation/fast.py)
            seen: set[str] = set()
            for error in checker.iter_errors(instance):
                pointer = pointer_from_path(list(error.absolute_path))
                message = str(error.message)
                # One fault per place (a null fails `type` twice, then `enum`), but every missing field.
                place = pointer + "\0" + message if error.validator == "required" else pointer
                if place in seen:
                    continue
                seen.add(place)
                if message == "None for not nullable":
                    message = "null is not allowed here (the schema is not nullable)"
                if len(message) > _MESSAGE_LIMIT:
                    message = message[:_MESSAGE_LIMIT] + "…"
                if compat and missing_nullable(error, schemas):
                    message += COMPAT_NOTE
                yield pointer, str(error.validator), message

        return validate


@dataclass
class EventUnion:
    """A typed stream's events: each validated against the member of the union its ``type`` names."""

    name: str  # the union component, e.g. ResponseStreamEvent
    members: dict[str, str]  # type → member component
    schemas: SchemaSet

    def __post_init__(self) -> None:
        self._validators: dict[str, ChunkValidator] = {}

    @classmethod
    def of(cls, schemas: SchemaSet, name: str) -> EventUnion:
        members = event_types(schemas.raw.get(name), schemas.raw)
        if members is None:
            raise SpecError(f"components.schemas.{name} is not a union of events told apart by `type`")
        return cls(name, members, schemas)

    def validate(self, event_type: str, event: Any) -> Iterator[tuple[str, str, str]]:
        """The schema faults of one event of a type the union names (the member built on first use)."""
        member = self.members[event_type]
        if member not in self._validators:
            self._validators[member] = self.schemas.validator(member)
        yield from self._validators[member](event)
