"""Spec errata found on real servers, corrected by overlays; each correction checked against its evidence."""

from __future__ import annotations

import json
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from openai_conformance.openapi.loader import load_contract

OVERLAID = load_contract(pin="6b8287f", findings=False)


def _example(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return None


def _null_errors(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(schema, path) of every null in the spec's own examples of a schema that its schema forbids."""
    schemas = document["components"]["schemas"]
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", DRAFT4.create_resource({"components": {"schemas": schemas}})
    )
    found = set()
    for name, schema in schemas.items():
        meta = schema.get("x-oaiMeta") if isinstance(schema, dict) else None
        example = _example(meta["example"]) if isinstance(meta, dict) and "example" in meta else None
        if example is None:
            continue
        validator = OAS30Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=registry)
        for error in validator.iter_errors(example):
            if error.instance is None:
                found.add((name, "/".join(map(str, error.absolute_path))))
    return found


def test_the_nulls_of_the_spec_s_own_examples_are_allowed() -> None:
    published = _null_errors(OVERLAID.raw)
    assert ("Batch", "errors") in published and ("RunObject", "instructions") in published
    assert _null_errors(OVERLAID.document) == set()


def test_upload_does_not_require_a_field_it_does_not_define() -> None:
    upload = OVERLAID.document["components"]["schemas"]["Upload"]
    assert "step_number" in OVERLAID.raw["components"]["schemas"]["Upload"]["required"]
    assert set(upload["required"]) <= set(upload["properties"])


def test_speech_answers_may_carry_the_audio_media_type() -> None:
    content = OVERLAID.document["paths"]["/audio/speech"]["post"]["responses"]["200"]["content"]
    assert {"application/octet-stream", "audio/mpeg"} <= content.keys()


def test_415_is_declared_where_a_body_is_taken_and_only_there() -> None:
    for item in OVERLAID.document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                assert ("415" in operation["responses"]) == ("requestBody" in operation)
