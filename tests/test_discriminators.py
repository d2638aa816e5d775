"""Discriminators whose values name no schema get the mapping their alternatives declare."""

from __future__ import annotations

from typing import Any

from openai_conformance.openapi.discriminators import complete_discriminators


def _spec(discriminator: dict[str, Any], *members: dict[str, Any], **schemas: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {},
        "components": {
            "schemas": {"Item": {"oneOf": list(members), "discriminator": discriminator}, **schemas}
        },
    }


def _kind(*values: str, const: bool = False) -> dict[str, Any]:
    prop = {"type": "string", "const": values[0]} if const else {"type": "string", "enum": list(values)}
    return {"type": "object", "properties": {"type": prop}, "required": ["type"]}


def test_values_that_name_no_schema_map_to_the_alternative_that_admits_them() -> None:
    spec = _spec(
        {"propertyName": "type"},
        {"$ref": "#/components/schemas/A"},
        {"$ref": "#/components/schemas/B"},
        A=_kind("message"),
        B={"allOf": [{"$ref": "#/components/schemas/Base"}]},
        Base=_kind("call", const=True),
    )
    completed, note = complete_discriminators(spec)
    assert completed["components"]["schemas"]["Item"]["discriminator"]["mapping"] == {
        "message": "#/components/schemas/A",
        "call": "#/components/schemas/B",
    }
    assert note is not None and "1 discriminator(s)" in note
    assert "mapping" not in spec["components"]["schemas"]["Item"]["discriminator"]  # the input is untouched


def test_a_spec_that_needs_nothing_is_returned_as_it_is() -> None:
    spec = _spec(
        {"propertyName": "type"},
        {"$ref": "#/components/schemas/A"},
        A=_kind("A"),  # the value names the schema: OpenAPI's implicit reading works
    )
    assert complete_discriminators(spec) == (spec, None)
    mapped = _spec(
        {"propertyName": "type", "mapping": {"x": "#/components/schemas/A"}},
        {"$ref": "#/components/schemas/A"},
        A=_kind("x"),
    )
    assert complete_discriminators(mapped)[0] is mapped


def test_a_value_two_alternatives_admit_drops_the_discriminator() -> None:
    spec = _spec(
        {"propertyName": "type"},
        {"$ref": "#/components/schemas/A"},
        {"$ref": "#/components/schemas/B"},
        A=_kind("message"),
        B=_kind("message", "other"),
    )
    completed, note = complete_discriminators(spec)
    item = completed["components"]["schemas"]["Item"]
    assert "discriminator" not in item and len(item["anyOf"]) == 2 and "oneOf" not in item
    assert note is not None and "1 that no mapping can express were dropped" in note


def test_an_inline_alternative_drops_the_discriminator() -> None:
    spec = _spec({"propertyName": "type"}, _kind("message"))
    completed, _ = complete_discriminators(spec)
    assert "discriminator" not in completed["components"]["schemas"]["Item"]


def test_an_alternative_without_the_property_or_without_its_values_drops_the_discriminator() -> None:
    """f85dbe2's InputItem: an input message needs no `type`, and `Item` is itself a union."""
    optional = {"type": "object", "properties": {"type": {"type": "string", "enum": ["message"]}}}
    for member in (optional, {"type": "object", "oneOf": [_kind("call")]}):
        spec = _spec(
            {"propertyName": "type"},
            {"$ref": "#/components/schemas/A"},
            {"$ref": "#/components/schemas/B"},
            A=member,
            B=_kind("other"),
        )
        item = complete_discriminators(spec)[0]["components"]["schemas"]["Item"]
        assert "discriminator" not in item and len(item["anyOf"]) == 2

