"""The reference server's Responses API on f85dbe2: what it stores, streams, continues, lists and cancels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from openai_conformance.openapi.loader import load_contract
from openai_conformance.server import create_app
from tests.validation.responses_factories import WEATHER as _TOOL


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    contract = load_contract(pin="f85dbe2", findings=False)
    with TestClient(create_app(contract.document, api_key=None)) as client:
        yield client


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/responses", json={"model": "gpt-4o-mini", **body})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def events(client: TestClient, **body: Any) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    answer = client.post("/v1/responses", json={"model": "gpt-4o-mini", "stream": True, **body})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in answer.text.split("\n\n"):
        if block.strip():
            name, data = block.split("\n")
            found.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return answer.text, found


def test_a_plain_answer_is_a_finished_response_with_its_usage(client: TestClient) -> None:
    body = create(client, input="Say hello.", metadata={"k": "v"}, temperature=0.5)
    assert body["object"] == "response" and body["status"] == "completed" and body["id"].startswith("resp_")
    assert (body["metadata"], body["temperature"]) == ({"k": "v"}, 0.5)
    [item] = body["output"]
    assert item["type"] == "message" and item["content"][0]["type"] == "output_text"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_a_stream_is_named_numbered_and_ends_with_the_response(client: TestClient) -> None:
    text, found = events(client, input="Say hello.")
    assert "[DONE]" not in text
    assert [name for name, _ in found] == [event["type"] for _, event in found]
    assert [event["sequence_number"] for _, event in found] == list(range(len(found)))
    kinds = [name for name, _ in found]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-1] == "response.completed"
    deltas = "".join(e["delta"] for name, e in found if name == "response.output_text.delta")
    final = found[-1][1]["response"]
    assert deltas == final["output"][0]["content"][0]["text"]
    assert found[0][1]["response"]["status"] == "in_progress" and found[0][1]["response"]["output"] == []


def test_tools_and_text_formats(client: TestClient) -> None:
    called = create(client, input="Weather?", tools=[_TOOL], tool_choice="required")["output"][0]
    assert called["type"] == "function_call" and json.loads(called["arguments"]) == {"city": ""}
    _, found = events(
        client, input="Weather?", tools=[_TOOL], tool_choice={"type": "function", "name": "get_weather"}
    )
    joined = "".join(e["delta"] for n, e in found if n == "response.function_call_arguments.delta")
    assert joined == next(e for n, e in found if n == "response.function_call_arguments.done")["arguments"]
    refused = client.post(
        "/v1/responses",
        json={
            "model": "gpt-4o",
            "input": "x",
            "tools": [_TOOL],
            "tool_choice": {"type": "function", "name": "nope"},
        },
    )
    assert refused.status_code == 400
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    fmt = {"format": {"type": "json_schema", "name": "a", "schema": schema, "strict": True}}
    text = create(client, input="2+3?", text=fmt)["output"][0]["content"][0]["text"]
    assert isinstance(json.loads(text)["answer"], int)
    assert json.loads(
        create(client, input="x", text={"format": {"type": "json_object"}})["output"][0]["content"][0]["text"]
    )


def test_max_output_tokens_cuts_a_long_answer(client: TestClient) -> None:
    body = create(client, input="Write a long story.", max_output_tokens=16)
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["usage"]["output_tokens"] == 16 and body["output"][0]["status"] == "incomplete"
    _, found = events(client, input="Write a long story.", max_output_tokens=16)
    assert found[-1][0] == "response.incomplete"


def test_stored_responses_are_retrieved_listed_continued_and_deleted(client: TestClient) -> None:
    first = create(client, input=[{"role": "user", "content": t} for t in ("one", "two", "three")])
    again = client.get(f"/v1/responses/{first['id']}").json()
    assert again == first
    listed = client.get(f"/v1/responses/{first['id']}/input_items").json()
    assert [item["content"][0]["text"] for item in listed["data"]] == ["three", "two", "one"]
    page = client.get(f"/v1/responses/{first['id']}/input_items", params={"order": "asc", "limit": 2}).json()
    assert page["has_more"] is True and page["first_id"] == page["data"][0]["id"] and len(page["data"]) == 2
    rest = client.get(
        f"/v1/responses/{first['id']}/input_items", params={"order": "asc", "after": page["last_id"]}
    ).json()
    assert [i["content"][0]["text"] for i in rest["data"]] == ["three"] and rest["has_more"] is False
    follow = create(client, input="three", previous_response_id=first["id"])
    alone = create(client, input="three")
    assert follow["previous_response_id"] == first["id"]
    assert follow["usage"]["input_tokens"] > alone["usage"]["input_tokens"]
    missing = client.post(
        "/v1/responses", json={"model": "gpt-4o", "input": "x", "previous_response_id": "resp_none"}
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "previous_response_not_found"
    assert client.delete(f"/v1/responses/{first['id']}").json() == {
        "id": first["id"],
        "object": "response",
        "deleted": True,
    }
    assert client.get(f"/v1/responses/{first['id']}").status_code == 404
    assert client.get(f"/v1/responses/{first['id']}/input_items").status_code == 404


def test_store_false_is_not_kept(client: TestClient) -> None:
    body = create(client, input="x", store=False)
    assert body["store"] is False
    assert client.get(f"/v1/responses/{body['id']}").status_code == 404
    follow = client.post(
        "/v1/responses", json={"model": "gpt-4o", "input": "x", "previous_response_id": body["id"]}
    )
    assert follow.status_code == 404


def test_a_background_response_runs_on_retrieve_and_can_be_cancelled(client: TestClient) -> None:
    running = create(client, input="x", background=True)
    assert running["status"] == "queued" and running["output"] == []
    states = [client.get(f"/v1/responses/{running['id']}").json()["status"] for _ in range(3)]
    assert states == ["in_progress", "completed", "completed"]
    assert client.post(f"/v1/responses/{running['id']}/cancel").status_code == 400
    other = create(client, input="x", background=True)
    assert client.post(f"/v1/responses/{other['id']}/cancel").json()["status"] == "cancelled"
    assert client.get(f"/v1/responses/{other['id']}").json()["status"] == "cancelled"
    plain = create(client, input="x")
    assert client.post(f"/v1/responses/{plain['id']}/cancel").status_code == 400
    refused = client.post(
        "/v1/responses", json={"model": "gpt-4o", "input": "x", "background": True, "store": False}
    )
    assert refused.status_code == 400


def test_the_beta_twins_and_a_request_without_a_model(client: TestClient) -> None:
    beta = client.post(
        "/v1/responses?beta=true",
        json={"model": "gpt-4o", "input": "x"},
        headers={"openai-beta": "responses=v1"},
    )
    assert beta.status_code == 200 and beta.json()["object"] == "response"
    assert client.get(f"/v1/responses/{beta.json()['id']}?beta=true").json()["id"] == beta.json()["id"]
    unnamed = client.post("/v1/responses", json={"input": "x"})
    assert unnamed.status_code == 200 and unnamed.json()["model"] == "gpt-4o-mini"
    counted = client.post("/v1/responses/input_tokens", json={"model": "gpt-4o", "input": "one two three"})
    assert counted.json() == {"object": "response.input_tokens", "input_tokens": 4}


def test_the_media_streams(client: TestClient) -> None:
    speech = {"input": "hello there", "voice": "alloy", "stream_format": "sse"}
    answer = client.post("/v1/audio/speech", json={"model": "gpt-4o-mini-tts", **speech})
    assert "event: speech.audio.delta" in answer.text and "event: speech.audio.done" in answer.text
    assert client.post("/v1/audio/speech", json={"model": "tts-1", **speech}).status_code == 400
    image = client.post(
        "/v1/images/generations",
        json={"model": "gpt-image-1", "prompt": "cat", "stream": True, "partial_images": 2},
    )
    assert (
        image.text.count("event: image_generation.partial_image") == 2
        and "image_generation.completed" in image.text
    )
    assert client.post("/v1/images/generations", json={"prompt": "cat", "stream": True}).status_code == 400
    files = {"file": ("a.mp3", b"ID3 audio")}
    streamed = client.post(
        "/v1/audio/transcriptions", files=files, data={"model": "gpt-4o-transcribe", "stream": "true"}
    )
    assert "event: transcript.text.done" in streamed.text
    plain = client.post(
        "/v1/audio/transcriptions", files=files, data={"model": "whisper-1", "stream": "true"}
    )
    assert plain.headers["content-type"] == "application/json" and "text" in plain.json()
