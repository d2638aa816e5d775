"""The official openai SDK works against the reference server."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from openai_conformance.server import create_app, serve_in_thread

from .helpers import API_KEY

openai = pytest.importorskip("openai")


@pytest.fixture(scope="module")
def sdk(spec: dict[str, Any]) -> Iterator[Any]:
    with serve_in_thread(create_app(spec, api_key=API_KEY)) as url:
        client = openai.OpenAI(api_key=API_KEY, base_url=url + "/v1", max_retries=0, timeout=10)
        yield client
        client.close()


def test_chat(sdk: Any) -> None:
    completion = sdk.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], n=2, max_tokens=4
    )
    assert len(completion.choices) == 2
    assert completion.choices[0].message.refusal is None
    assert completion.usage.completion_tokens <= 8


def test_chat_stream(sdk: Any) -> None:
    stream = sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    plain = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert text == plain.choices[0].message.content
    assert chunks[-1].usage.total_tokens == plain.usage.total_tokens


def test_chat_tools(sdk: Any) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        },
    }
    completion = sdk.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "find"}],
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup" and "q" in json.loads(call.function.arguments)


def test_completions(sdk: Any) -> None:
    completion = sdk.completions.create(model="gpt-3.5-turbo-instruct", prompt=["a", "b"], n=2, max_tokens=3)
    assert len(completion.choices) == 4


def test_embeddings(sdk: Any) -> None:
    floats = sdk.embeddings.create(model="text-embedding-3-small", input=["x", "y"], encoding_format="float")
    assert [len(d.embedding) for d in floats.data] == [1536, 1536]
    raw = sdk.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=["x", "y"], encoding_format="base64"
    )
    data = json.loads(raw.text)["data"]
    decoded = base64.b64decode(data[0]["embedding"])
    assert list(struct.unpack(f"<{len(decoded) // 4}f", decoded)) == floats.data[0].embedding
    shortened = sdk.embeddings.create(model="text-embedding-3-small", input="x", dimensions=16)
    assert len(shortened.data[0].embedding) == 16


def test_files(sdk: Any) -> None:
    created = sdk.files.create(file=("data.jsonl", b'{"prompt": "x"}\n'), purpose="batch")
    assert created.bytes == 16
    assert created.id in [f.id for f in sdk.files.list()]
    assert sdk.files.retrieve(created.id).filename == "data.jsonl"
    assert json.loads(sdk.files.content(created.id).content) == '{"prompt": "x"}\n'
    assert sdk.files.delete(created.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(created.id)


def test_models(sdk: Any) -> None:
    ids = [m.id for m in sdk.models.list()]
    assert "gpt-4o-mini" in ids
    assert sdk.models.retrieve("gpt-4o-mini").owned_by
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("no-such-model")


def test_auth(spec: dict[str, Any]) -> None:
    with serve_in_thread(create_app(spec, api_key=API_KEY)) as url:
        client = openai.OpenAI(api_key="sk-wrong", base_url=url + "/v1", max_retries=0, timeout=10)
        with pytest.raises(openai.AuthenticationError):
            client.models.list()
        client.close()
