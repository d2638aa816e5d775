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
    return {"type": "object", "properties": {"type": prop}}


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
    assert "discriminator" not in item and len(item["oneOf"]) == 2
    assert note is not None and "1 that no mapping can express were dropped" in note


def test_an_inline_alternative_drops_the_discriminator() -> None:
    spec = _spec({"propertyName": "type"}, _kind("message"))
    completed, _ = complete_discriminators(spec)
    assert "discriminator" not in completed["components"]["schemas"]["Item"]
