"""The reference server behaves like the API: streams, semantics, errors, state."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import jsonschema
import pytest
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.testclient import TestClient

from openai_conformance.server import create_app

from .helpers import API_KEY, response_errors, sse_chunks, sse_events

_HELLO = [{"role": "user", "content": "Say hello"}]
_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city", "days"],
        },
    },
}


def _chat(client: TestClient, **extra: Any) -> Any:
    return client.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": _HELLO, **extra})


def _nullable_enums(node: Any) -> Any:
    """OpenAPI 3.0 `nullable` also admits null where an `enum` is given (the validator forgets it)."""
    if isinstance(node, list):
        return [_nullable_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_enums(value) for key, value in node.items()}
    if out.get("nullable") is True and isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _validator(spec: dict[str, Any], name: str) -> Any:
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(_nullable_enums(spec), default_specification=DRAFT4)
    )
    return OAS30Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=registry)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and isinstance(error["type"], str)
    assert error["param"] is None or isinstance(error["param"], str)
    assert error["code"] is None or isinstance(error["code"], str)
    assert API_KEY not in response.text
    return error


# -- chat ---------------------------------------------------------------------------------------
def test_chat_is_deterministic_and_valid(client: TestClient, openapi: Any) -> None:
    first = _chat(client)
    assert first.status_code == 200
    assert first.content == _chat(client).content
    assert response_errors(openapi, "POST", "/chat/completions", 200, "application/json", first.content) == []
    body = first.json()
    message = body["choices"][0]["message"]
    assert message["refusal"] is None and message["role"] == "assistant" and message["content"]
    assert isinstance(body["created"], int) and 1_600_000_000 < body["created"] < 2_000_000_000
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_stream(client: TestClient, spec: dict[str, Any]) -> None:
    response = _chat(client, stream=True, n=2)
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = sse_chunks(response.text)
    validator = _validator(spec, "CreateChatCompletionStreamResponse")
    finals: dict[int, int] = {}
    for chunk in chunks:
        validator.validate(chunk)
        assert "usage" not in chunk
        for choice in chunk["choices"]:
            if choice["finish_reason"] is not None:
                finals[choice["index"]] = finals.get(choice["index"], 0) + 1
    assert finals == {0: 1, 1: 1}
    assert len({chunk["id"] for chunk in chunks}) == 1
    plain = _chat(client, n=2).json()
    streamed = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"][0]["index"] == 0
    )
    assert streamed == plain["choices"][0]["message"]["content"]


def test_chat_stream_include_usage(client: TestClient, spec: dict[str, Any]) -> None:
    chunks = sse_chunks(_chat(client, stream=True, stream_options={"include_usage": True}).text)
    with_usage = [c for c in chunks if "usage" in c]
    assert with_usage == [chunks[-1]]
    assert chunks[-1]["choices"] == []
    usage = chunks[-1]["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    _validator(spec, "CreateChatCompletionStreamResponse").validate(chunks[-1])


@pytest.mark.parametrize("n", [1, 3, 7])
def test_chat_n(client: TestClient, n: int) -> None:
    choices = _chat(client, n=n).json()["choices"]
    assert [c["index"] for c in choices] == list(range(n))


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_chat_max_tokens(client: TestClient, field: str) -> None:
    body = _chat(client, **{field: 3}).json()
    assert body["usage"]["completion_tokens"] == 3
    assert body["choices"][0]["finish_reason"] == "length"
    assert len(body["choices"][0]["message"]["content"].split()) == 3


def test_chat_stop(client: TestClient) -> None:
    text = _chat(client).json()["choices"][0]["message"]["content"]
    word = text.split()[2]
    stopped = _chat(client, stop=[" " + word]).json()["choices"][0]
    assert stopped["finish_reason"] == "stop"
    assert stopped["message"]["content"] == text[: text.index(" " + word)]


def test_chat_logprobs(client: TestClient) -> None:
    choice = _chat(client, logprobs=True, top_logprobs=3).json()["choices"][0]
    entries = choice["logprobs"]["content"]
    assert "".join(e["token"] for e in entries) == choice["message"]["content"]
    assert all(len(e["top_logprobs"]) == 3 for e in entries)
    assert all(
        len(e["top_logprobs"]) == 0
        for e in _chat(client, logprobs=True).json()["choices"][0]["logprobs"]["content"]
    )
    assert _chat(client).json()["choices"][0]["logprobs"] is None


@pytest.mark.parametrize("stream", [False, True])
def test_chat_forced_tool(client: TestClient, stream: bool) -> None:
    forced = {"type": "function", "function": {"name": "get_weather"}}
    response = _chat(client, tools=[_TOOL], tool_choice=forced, stream=stream)
    if stream:
        deltas = [
            d
            for c in sse_chunks(response.text)
            for ch in c["choices"]
            for d in ch["delta"].get("tool_calls") or []
        ]
        assert all(isinstance(d["index"], int) for d in deltas)
        name = deltas[0]["function"]["name"]
        arguments = "".join(d["function"].get("arguments", "") for d in deltas)
    else:
        choice = response.json()["choices"][0]
        assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
        call = choice["message"]["tool_calls"][0]
        name, arguments = call["function"]["name"], call["function"]["arguments"]
    assert name == "get_weather"
    jsonschema.validate(json.loads(arguments), _TOOL["function"]["parameters"])  # type: ignore[index]


def test_chat_json_modes(client: TestClient) -> None:
    content = _chat(client, response_format={"type": "json_object"}).json()["choices"][0]["message"][
        "content"
    ]
    assert isinstance(json.loads(content), dict)
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 2},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "kind": {"enum": ["a", "b"]},
            "nested": {"$ref": "#/$defs/inner"},
            "maybe": {"type": ["null", "number"]},
        },
        "required": ["name", "tags", "kind", "nested", "maybe"],
        "additionalProperties": False,
        "$defs": {"inner": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}},
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "thing", "schema": schema, "strict": True}}
    content = _chat(client, response_format=fmt).json()["choices"][0]["message"]["content"]
    jsonschema.validate(json.loads(content), schema)


# -- completions ------------------------------------------------------------------------------
def test_completions(client: TestClient, openapi: Any) -> None:
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": ["one", "two"], "n": 2, "echo": True, "logprobs": 2}
    response = client.post("/v1/completions", json=body)
    assert response_errors(openapi, "POST", "/completions", 200, "application/json", response.content) == []
    choices = response.json()["choices"]
    assert [c["index"] for c in choices] == [0, 1, 2, 3]
    assert choices[0]["text"].startswith("one") and choices[2]["text"].startswith("two")
    assert all(len(top) == 2 for c in choices for top in c["logprobs"]["top_logprobs"])
    tokens = client.post(
        "/v1/completions", json={"model": "babbage-002", "prompt": [[1, 2], [3]], "max_tokens": 2}
    )
    assert len(tokens.json()["choices"]) == 2
    assert all(c["finish_reason"] == "length" for c in tokens.json()["choices"])


def test_completions_stream(client: TestClient) -> None:
    body = {
        "model": "gpt-3.5-turbo-instruct",
        "prompt": "hi",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = sse_chunks(client.post("/v1/completions", json=body).text)
    assert chunks[-1]["choices"] == [] and "usage" in chunks[-1]
    assert sum(1 for c in chunks for ch in c["choices"] if ch["finish_reason"]) == 1


# -- embeddings ---------------------------------------------------------------------------------
def test_embeddings_float_base64_dimensions(client: TestClient) -> None:
    def embed(**extra: Any) -> list[Any]:
        body = {"model": "text-embedding-3-small", "input": ["a", "b", "c"], **extra}
        data: list[Any] = client.post("/v1/embeddings", json=body).json()["data"]
        assert [d["index"] for d in data] == [0, 1, 2]
        return [d["embedding"] for d in data]

    floats = embed()
    assert all(len(v) == 1536 for v in floats)
    encoded = embed(encoding_format="base64")
    for vector, text in zip(floats, encoded, strict=True):
        raw = base64.b64decode(text)
        assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == vector
    assert all(len(v) == 32 for v in embed(dimensions=32))
    tokens = client.post("/v1/embeddings", json={"model": "text-embedding-3-large", "input": [[1, 2], [3]]})
    assert [len(d["embedding"]) for d in tokens.json()["data"]] == [3072, 3072]
    _error(
        client.post(
            "/v1/embeddings", json={"model": "text-embedding-3-small", "input": "a", "dimensions": 5000}
        ),
        400,
    )


# -- errors -------------------------------------------------------------------------------------
def test_error_envelopes(spec: dict[str, Any], client: TestClient) -> None:
    error = _error(_chat(client, messages=[{"role": "user"}]), 400)
    assert (
        error["type"] == "invalid_request_error" and error["param"] and error["param"].startswith("messages")
    )
    assert _error(_chat(client, temperature=5), 400)["param"] == "temperature"
    assert _error(_chat(client, model="no-such-model"), 404)["code"] == "model_not_found"
    assert _error(client.get("/v1/models/no-such-model"), 404)["code"] == "model_not_found"
    headers = {"content-type": "application/json"}
    _error(client.post("/v1/chat/completions", content=b"{not json", headers=headers), 400)
    _error(
        client.post("/v1/chat/completions", content=b"model=x", headers={"content-type": "text/plain"}), 400
    )
    _error(client.get("/v1/no/such/route"), 404)
    _error(client.delete("/v1/chat/completions"), 405)
    _error(client.get("/v1/assistants?limit=abc"), 400)
    _error(client.get("/v1/models", headers={"Authorization": ""}), 401)
    wrong = client.get("/v1/models", headers={"Authorization": "Bearer sk-not-the-key"})
    assert "sk-not-the-key" not in wrong.text
    assert _error(wrong, 401)["code"] == "invalid_api_key"
    assert _error(client.get("/v1/assistants/asst_missing"), 404)["param"] == "assistant_id"
    open_server = TestClient(create_app(spec))
    assert open_server.get("/models").status_code == 200  # no key configured: none needed; no /v1 works


# -- state --------------------------------------------------------------------------------------
def test_files_and_uploads(client: TestClient) -> None:
    created = client.post(
        "/v1/files", files={"file": ("a.jsonl", b'{"a": 1}\n')}, data={"purpose": "batch"}
    ).json()
    assert created["bytes"] == 9 and created["filename"] == "a.jsonl"
    assert created["id"] in [f["id"] for f in client.get("/v1/files").json()["data"]]
    assert client.get(f"/v1/files/{created['id']}/content").json() == '{"a": 1}\n'
    assert client.delete(f"/v1/files/{created['id']}").json()["deleted"] is True
    assert client.get(f"/v1/files/{created['id']}").status_code == 404
    upload = client.post(
        "/v1/uploads",
        json={"filename": "u.txt", "purpose": "assistants", "bytes": 6, "mime_type": "text/plain"},
    ).json()
    parts = [
        client.post(f"/v1/uploads/{upload['id']}/parts", files={"data": ("p", data)}).json()["id"]
        for data in (b"abc", b"def")
    ]
    done = client.post(f"/v1/uploads/{upload['id']}/complete", json={"part_ids": parts}).json()
    assert done["status"] == "completed" and done["file"]["bytes"] == 6
    assert client.get(f"/v1/files/{done['file']['id']}/content").json() == "abcdef"
    _error(client.post(f"/v1/uploads/{upload['id']}/cancel"), 400)


def test_file_content_as_bytes_when_declared(spec: dict[str, Any]) -> None:
    patched = dict(spec)
    patched["paths"] = dict(spec["paths"])
    content = {
        "200": {"description": "OK", "content": {"application/octet-stream": {"schema": {"type": "string"}}}}
    }
    patched["paths"]["/files/{file_id}/content"] = {
        "get": {**spec["paths"]["/files/{file_id}/content"]["get"], "responses": content}
    }
    client = TestClient(create_app(patched))
    file_id = client.post("/files", files={"file": ("a.bin", b"\x00\x01")}, data={"purpose": "batch"}).json()[
        "id"
    ]
    response = client.get(f"/files/{file_id}/content")
    assert response.content == b"\x00\x01"
    assert response.headers["content-type"] == "application/octet-stream"


def _batch_input(client: TestClient, *lines: bytes) -> str:
    file = client.post("/v1/files", files={"file": ("in.jsonl", b"".join(lines))}, data={"purpose": "batch"})
    return str(file.json()["id"])


def test_batch_lifecycle_and_lists(client: TestClient) -> None:
    chat = b'{"custom_id": "%s", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    input_id = _batch_input(client, chat % b"a", chat % b"b", b"not json\n")
    _error(client.post("/v1/batches", json={"input_file_id": "file-x", "endpoint": "/v1/chat/completions",
                                            "completion_window": "24h"}), 404)  # fmt: skip
    batch = client.post(
        "/v1/batches",
        json={"input_file_id": input_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    answers = [client.get(f"/v1/batches/{batch['id']}").json() for _ in range(4)]
    assert [a["status"] for a in answers] == ["in_progress", "finalizing", "completed", "completed"]
    assert [a["request_counts"] for a in answers[:3]] == [
        {"total": 3, "completed": 0, "failed": 0},
        {"total": 3, "completed": 2, "failed": 1},
        {"total": 3, "completed": 2, "failed": 1},
    ]
    done = answers[2]
    output = client.get(f"/v1/files/{done['output_file_id']}/content").json()
    errors = client.get(f"/v1/files/{done['error_file_id']}/content").json()
    assert [json.loads(line)["custom_id"] for line in output.splitlines()] == ["a", "b"]
    assert [json.loads(line)["response"]["status_code"] for line in output.splitlines()] == [200, 200]
    assert [json.loads(line)["error"]["code"] for line in errors.splitlines()] == ["invalid_request"]
    _error(client.post(f"/v1/batches/{batch['id']}/cancel"), 400)
    other = client.post(
        "/v1/batches",
        json={
            "input_file_id": _batch_input(client, chat % b"c"),
            "endpoint": "/v1/embeddings",
            "completion_window": "24h",
        },
    ).json()
    assert client.post(f"/v1/batches/{other['id']}/cancel").json()["status"] == "cancelling"
    assert client.get(f"/v1/batches/{other['id']}").json()["status"] == "cancelled"
    listed = client.get("/v1/batches", params={"limit": 1}).json()
    assert len(listed["data"]) == 1 and listed["has_more"] is True
    after = client.get("/v1/batches", params={"limit": 1, "after": listed["data"][0]["id"]}).json()
    assert after["data"][0]["id"] != listed["data"][0]["id"]


def test_an_upload_completes_only_with_the_bytes_it_declared(client: TestClient) -> None:
    body = {"filename": "u.txt", "purpose": "assistants", "bytes": 5, "mime_type": "text/plain"}
    upload = client.post("/v1/uploads", json=body).json()
    part = client.post(f"/v1/uploads/{upload['id']}/parts", files={"data": ("d", b"abc")}).json()
    _error(client.post(f"/v1/uploads/{upload['id']}/complete", json={"part_ids": [part["id"]]}), 400)
    other = client.post(f"/v1/uploads/{upload['id']}/parts", files={"data": ("d", b"de")}).json()
    done = client.post(
        f"/v1/uploads/{upload['id']}/complete", json={"part_ids": [part["id"], other["id"]]}
    ).json()
    assert done["status"] == "completed" and done["file"]["bytes"] == 5


def test_assistant_crud(client: TestClient) -> None:
    created = client.post(
        "/v1/assistants", json={"model": "gpt-4o", "name": "A", "metadata": {"k": "v"}}
    ).json()
    assert created["name"] == "A" and created["metadata"] == {"k": "v"} and created["object"] == "assistant"
    modified = client.post(f"/v1/assistants/{created['id']}", json={"name": "B"}).json()
    assert modified["name"] == "B" and client.get(f"/v1/assistants/{created['id']}").json()["name"] == "B"
    thread = client.post("/v1/threads", json={"messages": [{"role": "user", "content": "hello"}]}).json()
    messages = client.get(f"/v1/threads/{thread['id']}/messages").json()["data"]
    assert messages[0]["content"][0]["text"]["value"] == "hello"
    run = client.post(f"/v1/threads/{thread['id']}/runs", json={"assistant_id": created["id"]}).json()
    assert (
        run["thread_id"] == thread["id"] and run["assistant_id"] == created["id"] and run["model"] == "gpt-4o"
    )
    _error(client.post("/v1/threads/thread_missing/messages", json={"role": "user", "content": "x"}), 404)
    assert client.delete(f"/v1/assistants/{created['id']}").json() == {
        "id": created["id"],
        "object": "assistant.deleted",
        "deleted": True,
    }


def test_models_and_media(client: TestClient) -> None:
    models = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert "gpt-4o-mini" in models and "text-embedding-3-small" in models
    _error(client.delete("/v1/models/gpt-4o-mini"), 403)
    speech = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "hi", "voice": "alloy"})
    assert speech.status_code == 200 and speech.content.startswith(b"ID3")
    for fmt in ("json", "text", "srt", "vtt", "verbose_json"):
        response = client.post(
            "/v1/audio/transcriptions",
            files={"file": ("a.mp3", b"ID3xx")},
            data={"model": "whisper-1", "response_format": fmt},
        )
        assert response.status_code == 200 and response.json()["text"]
    images = client.post(
        "/v1/images/generations", json={"prompt": "cat", "n": 2, "response_format": "b64_json"}
    )
    assert [base64.b64decode(i["b64_json"])[:4] for i in images.json()["data"]] == [b"\x89PNG"] * 2


def test_sse_helper_is_strict() -> None:
    assert sse_events("data: a\n\ndata: [DONE]\n\n") == ["a", "[DONE]"]
    with pytest.raises(AssertionError):
        sse_events("data: a\nkeep-alive\n\n")
