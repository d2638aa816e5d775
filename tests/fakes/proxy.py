"""A small OpenAI proxy for the tool's own tests: it forwards every request to an upstream, with
switchable rewrites.

With no rewrite it is transparent — though not byte for byte, as no real proxy is: it adds its own
headers and a vendor field to every answer and chunk, writes JSON again (keys in another order,
other spacing, a charset in its media type), ends a stream's lines with CRLF, sends SSE keep-alive
comments and splits a stream's events into other network reads. Each rewrite changes one thing a
real proxy has been seen to change (LiteLLM in front of the reference server), and the ``proxy.*``
check that must catch it is beside it in :data:`REWRITES`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

#: rewrite id → (the operations it changes, the check that must catch it)
REWRITES: dict[str, tuple[tuple[str, ...], str]] = {
    "drop-field": (("createChatCompletion",), "proxy.field_dropped"),
    "strip-nulls": (("createChatCompletion",), "proxy.null_dropped"),
    "rewrite-status": (("createChatCompletion",), "proxy.status"),
    "lose-chunk": (("createChatCompletion",), "proxy.stream_chunks"),
    "usage-choices": (("createChatCompletion", "createCompletion"), "proxy.stream_usage"),
    "rewrite-error": (("deleteModel",), "proxy.error_envelope"),
    "retype-field": (("createEmbedding",), "proxy.type_changed"),
    "rewrite-value": (("createEmbedding",), "proxy.value_changed"),
    "refuse": (("listBatches",), "proxy.refused"),
    "inject-field": (("createVectorStore",), "proxy.refused"),
    "plain-text": (("listModels",), "proxy.content_type"),
    "accept-refused": (("createEmbedding",), "proxy.accepted"),
    "image-nulls": (("createImage",), "proxy.field_added"),
    "coalesce": (("createChatCompletion",), "proxy.stream_chunks"),  # a warning: the content is intact
}

#: What the proxy answers, with "accept-refused", in place of an error of the upstream's.
_CANNED_EMBEDDINGS = {
    "object": "list",
    "data": [],
    "model": "text-embedding-3-small",
    "usage": {"prompt_tokens": 0, "total_tokens": 0},
}

#: The proxy's own member, added to every JSON object it answers with (a vendor field: legal).
VENDOR_FIELD = "x_test_proxy"

#: Headers that belong to one hop of the connection, never forwarded.
_HOP = frozenset(
    {"connection", "content-length", "transfer-encoding", "content-encoding", "host", "keep-alive"}
)

Json = Any


def _strip_nulls(value: Json) -> Json:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _reordered(value: Json) -> Json:
    """The same JSON with every object's keys in reverse order (JSON objects are unordered)."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def _rewrite_body(rewrite: str | None, path: str, status: int, body: Json) -> tuple[int, Json]:
    """What the proxy makes of a JSON answer."""
    if rewrite == "drop-field" and path.endswith("/chat/completions") and isinstance(body, dict):
        body.pop("system_fingerprint", None)
    elif rewrite == "strip-nulls" and path.endswith("/chat/completions") and status < 300:
        body = _strip_nulls(body)
    elif rewrite == "rewrite-status" and path.endswith("/chat/completions") and status == 404:
        status = 400
    elif rewrite == "rewrite-error" and "/models/" in path and status >= 400 and isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            error["type"], error["code"] = "proxy_error", "upstream_failed"
    elif rewrite == "accept-refused" and path.endswith("/embeddings") and 400 <= status < 500:
        status, body = 200, dict(_CANNED_EMBEDDINGS)
    elif rewrite == "image-nulls" and path.endswith("/images/generations") and isinstance(body, dict):
        for image in body.get("data") or []:
            for name in ("b64_json", "url", "revised_prompt"):
                if isinstance(image, dict):
                    image.setdefault(name, None)
    elif rewrite == "retype-field" and path.endswith("/embeddings") and isinstance(body, dict):
        usage = body.get("usage")
        if isinstance(usage, dict) and "prompt_tokens" in usage:
            usage["prompt_tokens"] = str(usage["prompt_tokens"])
    elif rewrite == "rewrite-value" and path.endswith("/embeddings") and isinstance(body, dict):
        for item in body.get("data") or []:
            if isinstance(item, dict) and item.get("object") == "embedding":
                item["object"] = "vector"
    return status, body


class _StreamRewrite:
    """Event by event, what the proxy makes of a stream: one chunk of choice 1 lost, the usage chunk
    given the choices of the stream's first chunk, or two content chunks sent as one."""

    def __init__(self, rewrite: str | None) -> None:
        self.rewrite = rewrite
        self.first_choices: list[Json] | None = None
        self.lost = False
        self.held: dict[str, Json] | None = None  # "coalesce": a content chunk waiting for the next

    def events(self, data: str) -> list[str]:
        """What the proxy sends for one event of the upstream's (nothing, it, or more)."""
        held, changed = self.held, self._event(data)
        if self.rewrite != "coalesce" or changed is None:
            return [] if changed is None else [changed]
        chunk = _content_chunk(changed)
        if chunk is None:  # not content alone: what was held goes first
            self.held = None
            return [*([json.dumps(held)] if held is not None else []), changed]
        if held is None:
            self.held = chunk
            return []
        self.held = None
        held["choices"][0]["delta"]["content"] += chunk["choices"][0]["delta"]["content"]
        return [json.dumps(held)]

    def _event(self, data: str) -> str | None:
        if data.strip() == "[DONE]":
            return data
        try:
            chunk = json.loads(data)
        except ValueError:
            return data
        if not isinstance(chunk, dict):
            return data
        chunk[VENDOR_FIELD] = {"hop": 1}
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return json.dumps(_reordered(chunk))
        if self.first_choices is None and choices:
            self.first_choices = choices
        final = any(c.get("finish_reason") for c in choices if c.get("index") == 1)
        if self.rewrite == "lose-chunk" and not self.lost and final:
            self.lost = True  # choice 1's final chunk: gone
            rest = [c for c in choices if c.get("index") != 1]
            if not rest:
                return None
            chunk["choices"] = rest
        if self.rewrite == "usage-choices" and chunk.get("usage") and not choices and self.first_choices:
            chunk["choices"] = self.first_choices
        return json.dumps(_reordered(chunk))


def _content_chunk(data: str) -> dict[str, Json] | None:
    """A chat chunk carrying nothing but a piece of one choice's content, or None."""
    chunk = json.loads(data) if data.startswith("{") else None
    if not isinstance(chunk, dict) or chunk.get("usage") or len(chunk.get("choices") or []) != 1:
        return None
    choice = chunk["choices"][0]
    delta = choice.get("delta")
    if choice.get("finish_reason") is not None or choice.get("logprobs") is not None:
        return None
    if not isinstance(delta, dict) or not isinstance(delta.get("content"), str) or delta.get("refusal"):
        return None
    return chunk if set(delta) <= {"content", "refusal"} else None


async def _events(upstream: httpx.Response, rewrite: _StreamRewrite) -> AsyncIterator[bytes]:
    """The upstream's stream, event by event, with a keep-alive comment first and each event split
    into two network writes."""
    yield b": keep-alive\r\n\r\n"
    buffer = b""
    try:
        async for piece in upstream.aiter_bytes():
            buffer += piece.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                raw, buffer = buffer.split(b"\n\n", 1)
                lines = raw.decode().split("\n")
                data = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
                if not data:
                    yield raw.replace(b"\n", b"\r\n") + b"\r\n\r\n"
                    continue
                for changed in rewrite.events(data):
                    wire = f"data: {changed}\r\n\r\n".encode()
                    yield wire[:7]
                    yield wire[7:]
        if buffer:
            yield buffer
    finally:
        await upstream.aclose()


def create_proxy(upstream: str, rewrite: str | None = None, *, timeout: float = 30.0) -> Starlette:
    """A proxy forwarding every path as it is to the server at ``upstream`` (``http://127.0.0.1:8001``)."""
    if rewrite is not None and rewrite not in REWRITES:
        raise ValueError(f"unknown rewrite {rewrite!r}")
    client = httpx.AsyncClient(timeout=timeout)
    upstream_url = httpx.URL(upstream)

    async def forward(request: Request) -> Response:
        path = "/" + request.path_params["path"]
        if rewrite == "refuse" and request.method == "GET" and path.rstrip("/").endswith("/batches"):
            error = {
                "message": "batches: bad request",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
            return Response(json.dumps({"error": error}), 400, media_type="application/json")
        body = await request.body()
        if (
            rewrite == "inject-field"
            and request.method == "POST"
            and path.rstrip("/").endswith("/vector_stores")
        ):
            try:
                sent = json.loads(body)
            except ValueError:
                sent = None
            if isinstance(sent, dict):
                body = json.dumps({**sent, "name": None}).encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        raw = request.scope["raw_path"] + (
            b"?" + request.scope["query_string"] if request.scope["query_string"] else b""
        )
        url = upstream_url.copy_with(raw_path=raw)
        answer = await client.send(
            client.build_request(request.method, url, headers=headers, content=body), stream=True
        )
        out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
        out["x-proxy"] = "test-proxy"
        media = answer.headers.get("content-type", "").split(";")[0].strip()
        if media == "text/event-stream":
            return StreamingResponse(
                _events(answer, _StreamRewrite(rewrite)), answer.status_code, headers=out
            )
        content = await answer.aread()
        await answer.aclose()
        status = answer.status_code
        if media == "application/json" and content:
            try:
                parsed = json.loads(content)
            except ValueError:
                parsed = None
            if parsed is not None:
                status, parsed = _rewrite_body(rewrite, path, status, parsed)
                if isinstance(parsed, dict) and status < 400:
                    parsed[VENDOR_FIELD] = {"hop": 1}
                content = json.dumps(_reordered(parsed), indent=1).encode()
                out["content-type"] = "application/json; charset=utf-8"
                if rewrite == "plain-text" and path.endswith("/models"):
                    out["content-type"] = "text/plain"
        return Response(content, status, headers=out)

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
    return app
