"""Hand-built exchanges for the stream, semantics and scenario tests."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import yaml

from openai_conformance.transport.exchange import Exchange, Request, StreamEnd
from openai_conformance.validation.stream import ChunkValidator, StreamKind, create_chunk_validator
from openai_conformance.validation.violations import Violation

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(os.environ.get("OPENAI_CONFORMANCE_SPEC") or ROOT.parent / "shared" / "spec")
NOW = 1_750_000_000.0
CREATED = 1_700_000_000

PATHS = {
    "createChatCompletion": "/chat/completions",
    "createCompletion": "/completions",
    "createEmbedding": "/embeddings",
}


@functools.cache
def load_spec(pin: str = "6b8287f") -> dict[str, Any]:
    with (SPEC_DIR / f"openai-openapi-{pin}.yaml").open("rb") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return document


@functools.cache
def validator(kind: StreamKind, pin: str = "6b8287f") -> ChunkValidator:
    return create_chunk_validator(load_spec(pin), kind)


def make_request(path: str, body: Any) -> Request:
    return Request(
        method="POST",
        url=f"http://testserver/v1{path}",
        path_template=path,
        path=path,
        headers={"content-type": "application/json"},
        content=json.dumps(body).encode(),
        json_body=body,
        media_type="application/json",
    )


def json_exchange(path: str, request: Any, response: Any, status: int = 200) -> Exchange:
    return Exchange(
        request=make_request(path, request),
        status=status,
        headers={"content-type": "application/json"},
        body=json.dumps(response).encode(),
        elapsed=0.1,
    )


def sse_body(items: list[Any], *, done: bool = True) -> bytes:
    """``data:`` events, one per item (JSON unless a string), then ``[DONE]``."""
    events = [item if isinstance(item, str) else json.dumps(item) for item in items]
    if done:
        events.append("[DONE]")
    return "".join(f"data: {event}\n\n" for event in events).encode()


def stream_exchange(
    path: str,
    request: dict[str, Any],
    items: list[Any] | None = None,
    *,
    raw: bytes | None = None,
    done: bool = True,
    content_type: str = "text/event-stream; charset=utf-8",
    stream_end: StreamEnd = StreamEnd.COMPLETE,
    stream_note: str | None = None,
    status: int = 200,
) -> Exchange:
    body = raw if raw is not None else sse_body(items or [], done=done)
    return Exchange(
        request=make_request(path, {"stream": True, **request}),
        status=status,
        headers={"content-type": content_type},
        body=body,
        elapsed=0.2,
        stream_end=stream_end,
        stream_note=stream_note,
    )


def chat_chunk(
    *,
    content: str | None = None,
    index: int = 0,
    finish: str | None = None,
    role: bool = False,
    tool_calls: list[Any] | None = None,
    chunk_id: str = "chatcmpl-1",
    **extra: Any,
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def usage_chunk(
    prompt: int = 5, completion: int = 2, total: int | None = None, **extra: Any
) -> dict[str, Any]:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total or prompt + completion,
    }
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": [],
        "usage": usage,
        **extra,
    }


def chat_stream_items(*, n: int = 1, usage: bool = False) -> list[Any]:
    """A conformant chat stream, as OpenAI sends it."""
    null_usage: dict[str, Any] = {"usage": None} if usage else {}
    items: list[Any] = []
    for index in range(n):
        items.append(chat_chunk(role=True, content="", index=index, **null_usage))
        items.append(chat_chunk(content="Hi", index=index, **null_usage))
    for index in range(n):
        items.append(chat_chunk(index=index, finish="stop", **null_usage))
    if usage:
        items.append(usage_chunk(completion=2 * n))
    return items


def tool_stream_items(arguments: list[str], *, finish: str = "stop") -> list[Any]:
    first = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    items: list[Any] = [chat_chunk(role=True, tool_calls=[first])]
    items += [chat_chunk(tool_calls=[{"index": 0, "function": {"arguments": piece}}]) for piece in arguments]
    items.append(chat_chunk(finish=finish))
    return items


def completion_chunk(
    text: str = "", *, index: int = 0, finish: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": CREATED,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"text": text, "index": index, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def chat_response(
    choices: list[dict[str, Any]] | None = None, *, usage: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": CREATED,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": choices if choices is not None else [chat_choice()],
        "usage": usage
        if usage is not None
        else {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    body.update(extra)
    return body


def chat_choice(
    content: str | None = "Hello!",
    *,
    index: int = 0,
    finish: str = "stop",
    tool_calls: list[Any] | None = None,
    logprobs: Any = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}


def tool_call(arguments: Any = '{"city": "Paris"}', name: str = "get_weather") -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


def check_ids(violations: list[Violation]) -> list[str]:
    return [violation.check for violation in violations]
