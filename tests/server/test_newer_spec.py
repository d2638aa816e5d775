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


def test_a_realtime_call_is_answered_with_sdp_and_where_to_control_it(client: TestClient) -> None:
    """POST /realtime/calls takes text fields only (no file) and answers 201 with `application/sdp`."""
    session = {"type": "realtime", "model": "gpt-4o-mini"}
    created = client.post(
        "/v1/realtime/calls", files={"sdp": (None, "v=0\r\n"), "session": (None, json.dumps(session))}
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/sdp")
    assert created.text.startswith("v=0\r\n")
    assert created.headers["location"].startswith("/v1/realtime/calls/rtc_")


def test_every_project_has_its_rate_limits_one_per_model(client: TestClient) -> None:
    models = {model["id"] for model in client.get("/v1/models").json()["data"]}
    made = client.post("/v1/organization/projects", json={"name": "limited"}).json()["id"]
    for project in ("proj_ref0001", made):
        limits = client.get(f"/v1/organization/projects/{project}/rate_limits").json()["data"]
        assert {limit["model"] for limit in limits} == models, project
        assert all(
            limit["object"] == "project.rate_limit" and limit["id"] == f"rl-{limit['model']}"
            for limit in limits
        )
    changed = client.post(
        f"/v1/organization/projects/{made}/rate_limits/rl-gpt-4o-mini", json={"max_requests_per_1_minute": 7}
    )
    assert changed.status_code == 200 and changed.json()["max_requests_per_1_minute"] == 7


def test_a_chatkit_thread_is_there_to_read_and_delete(client: TestClient) -> None:
    """ChatKit's threads come from its widget, not from an API request: the server has one."""
    listed = client.get("/v1/chatkit/threads").json()["data"]
    assert [thread["id"] for thread in listed] == ["cthr_ref0001"]
    thread = client.get("/v1/chatkit/threads/cthr_ref0001")
    assert thread.status_code == 200 and thread.json()["status"] == {"type": "active"}  # (a status object)
    assert client.get("/v1/chatkit/threads/cthr_ref0001/items").json()["data"] == []
    assert client.delete("/v1/chatkit/threads/cthr_ref0001").status_code == 200
    assert client.get("/v1/chatkit/threads/cthr_ref0001").status_code == 404


def test_an_eval_run_has_its_output_items(client: TestClient) -> None:
    criteria = [{"type": "string_check", "name": "x", "input": "a", "reference": "b", "operation": "eq"}]
    body = {"data_source_config": {"type": "logs"}, "testing_criteria": criteria}
    made = client.post("/v1/evals", json=body).json()["id"]
    source = {"type": "jsonl", "source": {"type": "file_content", "content": [{"item": {"a": "b"}}]}}
    run = client.post(f"/v1/evals/{made}/runs", json={"data_source": source})
    assert run.status_code in (200, 201), run.text
    items = client.get(f"/v1/evals/{made}/runs/{run.json()['id']}/output_items").json()["data"]
    assert len(items) == 1 and (items[0]["eval_id"], items[0]["run_id"]) == (made, run.json()["id"])
    one = client.get(f"/v1/evals/{made}/runs/{run.json()['id']}/output_items/{items[0]['id']}")
    assert one.status_code == 200 and one.json() == items[0]
