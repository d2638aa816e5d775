"""A 3.0-style `nullable: true` in a 3.1 spec admits null, as its authors meant."""

from __future__ import annotations

from typing import Any

from openai_conformance.openapi.nullable import nullable_as_31


def _spec(version: str, **schemas: Any) -> dict[str, Any]:
    return {"openapi": version, "paths": {}, "components": {"schemas": schemas}}


def test_a_nullable_type_ref_and_enum_admit_null_in_31() -> None:
    spec = _spec(
        "3.1.0",
        A={"type": "integer", "nullable": True},
        B={"$ref": "#/components/schemas/A", "nullable": True},
        C={"type": "string", "enum": ["x"], "nullable": True},
        D={"type": ["string", "number"], "nullable": True},
        E={"type": "string", "nullable": False},
    )
    corrected, note = nullable_as_31(spec)
    schemas = corrected["components"]["schemas"]
    assert schemas["A"] == {"type": ["integer", "null"]}
    assert schemas["B"] == {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]}
    assert schemas["C"] == {"type": ["string", "null"], "enum": ["x", None]}
    assert schemas["D"] == {"type": ["string", "number", "null"]}
    assert schemas["E"] == {"type": "string", "nullable": False}
    assert note is not None and "4 OpenAPI 3.0" in note
    assert spec["components"]["schemas"]["A"] == {"type": "integer", "nullable": True}  # the input stays


def test_a_30_spec_and_a_31_spec_without_nullable_are_left_alone() -> None:
    older = _spec("3.0.3", A={"type": "integer", "nullable": True})
    assert nullable_as_31(older) == (older, None)
    clean = _spec("3.1.0", A={"anyOf": [{"type": "integer"}, {"type": "null"}]})
    assert nullable_as_31(clean) == (clean, None)
