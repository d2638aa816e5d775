"""The reference server on the newer spec (f85dbe2, OpenAPI 3.1): its schemas read in their own dialect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from openai_conformance.openapi.loader import load_contract
from openai_conformance.server import create_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    contract = load_contract(pin="f85dbe2", findings=False)
    with TestClient(create_app(contract.document, api_key=None)) as client:
        yield client


def test_nullable_fields_of_a_31_spec_take_null(client: TestClient) -> None:
    """`anyOf: [..., {type: "null"}]` is 3.1's nullable: an OAS 3.0 validator knows no "null" type."""
    body: dict[str, Any] = {"model": "gpt-4o-mini", "tools": [], "metadata": None, "tool_resources": None}
    assert client.post("/v1/assistants", json=body).status_code == 200


def test_a_chat_message_is_told_apart_by_its_role(client: TestClient) -> None:
    """The message's discriminator names no schema ("user"); the derived mapping tells the server."""
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    assert client.post("/v1/chat/completions", json=body).status_code == 200
    unknown = {**body, "model": "openai-conformance-no-such-model"}
    answer = client.post("/v1/chat/completions", json=unknown)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "model_not_found"


def test_a_declared_201_is_answered_201(client: TestClient) -> None:
    criteria = [{"type": "string_check", "name": "x", "input": "a", "reference": "b", "operation": "eq"}]
    answer = client.post(
        "/v1/evals", json={"data_source_config": {"type": "logs"}, "testing_criteria": criteria}
    )
    assert answer.status_code == 201


def test_a_list_where_a_string_is_due_is_a_400_not_a_500(client: TestClient) -> None:
    store = client.post("/v1/vector_stores", json={"name": "x"}).json()["id"]
    body = {"query": "q", "filters": {"type": ["eq"], "key": "a", "value": 1}}
    answer = client.post(f"/v1/vector_stores/{store}/search", json=body)
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error"
    # Nested, the same filter is no error: CompoundFilter's items are `anyOf: [ComparisonFilter,
    # {$recursiveRef: "#"}]`, and `$recursiveRef` means nothing in 3.1 (2020-12), so anything fits.
    nested = {"query": "q", "filters": {"type": "and", "filters": [{"type": ["eq"], "key": "a", "value": 1}]}}
    assert client.post(f"/v1/vector_stores/{store}/search", json=nested).status_code == 200


def test_form_fields_are_typed_through_type_lists_and_json_objects(client: TestClient) -> None:
    """`n: "2"` is the integer of `type: [integer, "null"]`; an object field arrives as JSON text."""
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
    edit = client.post(
        "/v1/images/edits",
        files={"image": ("a.png", png)},
        data={"prompt": "a hat", "n": "2", "output_compression": "50", "model": "dall-e-2"},
    )
    assert edit.status_code == 200 and len(edit.json()["data"]) == 2
    vad = json.dumps({"type": "server_vad", "threshold": 0.5})
    data = {"model": "gpt-4o-transcribe", "chunking_strategy": vad}
    heard = client.post("/v1/audio/transcriptions", files={"file": ("a.mp3", b"ID3 audio")}, data=data)
    assert heard.status_code == 200
    wrong = client.post("/v1/images/edits", files={"image": ("a.png", png)}, data={"prompt": "x", "n": "two"})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "n"
