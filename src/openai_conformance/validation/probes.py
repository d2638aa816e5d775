"""Hand-picked requests whose right answer the API documents: invalid input, auth, and state.

Fuzzed requests show how a target answers what the schema allows; these show how it answers what
the API forbids (a missing field, a wrong type, an unknown model, malformed JSON, a wrong content
type, no key) and whether what it creates, lists and deletes stays consistent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openai_conformance.errors import TransportError
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.violations import Violation

__all__ = ["Probe", "ProbeContext", "probes_for"]

Finding = tuple[Violation, Exchange]
UNKNOWN_MODEL = "openai-conformance-no-such-model"


@dataclass
class ProbeContext:
    """What a probe may use: the transport, the target's models, and the per-answer checks."""

    transport: HttpTransport
    models: Callable[[str], list[str]]  # operationId → models fit for it
    judge: Callable[[Exchange, str, bool], Iterator[Violation]]  # (exchange, operationId, valid request)
    expect_auth: bool = False
    on_exchange: Callable[[Exchange], None] | None = None  # told of every answer, for counting

    def send(self, request: Request) -> Exchange | None:
        try:
            exchange = self.transport.send(request)
        except TransportError:
            return None
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        return exchange


@dataclass(frozen=True, slots=True)
class Probe:
    """One hand-picked scenario for one operation."""

    id: str
    operation_id: str
    description: str
    run: Callable[[ProbeContext], Iterator[Finding]]


# -- invalid requests ---------------------------------------------------------------------------

_INVALID_BODIES: dict[str, list[tuple[str, Callable[[str], Any]]]] = {
    "createChatCompletion": [
        ("missing required field `messages`", lambda m: {"model": m}),
        ("`messages` of the wrong type", lambda m: {"model": m, "messages": "hello"}),
        (
            "`temperature` out of range",
            lambda m: {"model": m, "messages": [{"role": "user", "content": "hi"}], "temperature": 5},
        ),
    ],
    "createCompletion": [
        ("missing required field `prompt`", lambda m: {"model": m}),
        ("`max_tokens` of the wrong type", lambda m: {"model": m, "prompt": "hi", "max_tokens": "many"}),
    ],
    "createEmbedding": [
        ("missing required field `input`", lambda m: {"model": m}),
        (
            "`encoding_format` outside its enum",
            lambda m: {"model": m, "input": "hi", "encoding_format": "hex"},
        ),
    ],
}

_VALID_BODIES: dict[str, Callable[[str], Any]] = {
    "createChatCompletion": lambda m: {
        "model": m,
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 4,
    },
    "createCompletion": lambda m: {"model": m, "prompt": "hi", "max_tokens": 4},
    "createEmbedding": lambda m: {"model": m, "input": "hi"},
}

_PATHS = {
    "createChatCompletion": "/chat/completions",
    "createCompletion": "/completions",
    "createEmbedding": "/embeddings",
}


def _judge_invalid(ctx: ProbeContext, exchange: Exchange, operation_id: str, what: str) -> Iterator[Finding]:
    if 200 <= exchange.status < 300:
        yield (
            Violation(
                "errors.invalid_accepted", f"a request with {what} was accepted with {exchange.status}"
            ),
            exchange,
        )
    elif exchange.status >= 500:
        yield (
            Violation(
                "errors.server_error", f"a request with {what} was answered with {exchange.status}, not a 4xx"
            ),
            exchange,
        )
    else:
        for violation in ctx.judge(exchange, operation_id, False):
            yield violation, exchange


def _invalid_requests(operation_id: str) -> Callable[[ProbeContext], Iterator[Finding]]:
    def run(ctx: ProbeContext) -> Iterator[Finding]:
        models = ctx.models(operation_id)
        if not models:
            return
        path = _PATHS[operation_id]
        for what, make in _INVALID_BODIES[operation_id]:
            exchange = ctx.send(
                ctx.transport.build("POST", path, path, body=make(models[0]), media_type="application/json")
            )
            if exchange is not None:
                yield from _judge_invalid(ctx, exchange, operation_id, what)
        # Malformed JSON, and a body that is not JSON at all.
        for what, content, content_type in (
            ("malformed JSON", b'{"model": ', "application/json"),
            ("a text/plain body", json.dumps(_VALID_BODIES[operation_id](models[0])).encode(), "text/plain"),
        ):
            request = ctx.transport.build("POST", path, path)
            request.content = content
            request.headers["Content-Type"] = content_type
            exchange = ctx.send(request)
            if exchange is not None:
                yield from _judge_invalid(ctx, exchange, operation_id, what)

    return run


def _unknown_model(operation_id: str) -> Callable[[ProbeContext], Iterator[Finding]]:
    def run(ctx: ProbeContext) -> Iterator[Finding]:
        path = _PATHS[operation_id]
        body = _VALID_BODIES[operation_id](UNKNOWN_MODEL)
        exchange = ctx.send(ctx.transport.build("POST", path, path, body=body, media_type="application/json"))
        if exchange is None:
            return
        if exchange.status != 404:
            yield (
                Violation(
                    "errors.unknown_model",
                    f"a request for the unknown model {UNKNOWN_MODEL!r} got {exchange.status}, not 404",
                ),
                exchange,
            )
        else:
            for violation in ctx.judge(exchange, operation_id, True):
                yield violation, exchange

    return run


# -- auth -----------------------------------------------------------------------------------------


def _auth(ctx: ProbeContext) -> Iterator[Finding]:
    if not ctx.expect_auth:
        return
    for what, key in (("no key", None), ("a wrong key", "sk-openai-conformance-wrong-key")):
        request = ctx.transport.build("GET", "/models", "/models", auth=False)
        if key:
            request.headers["Authorization"] = f"Bearer {key}"
        exchange = ctx.send(request)
        if exchange is None:
            continue
        if exchange.status != 401:
            yield (
                Violation("auth.not_enforced", f"a request with {what} got {exchange.status}, not 401"),
                exchange,
            )
        else:
            for violation in ctx.judge(exchange, "listModels", False):
                yield violation, exchange


# -- state ----------------------------------------------------------------------------------------


def _files_lifecycle(ctx: ProbeContext) -> Iterator[Finding]:
    """Upload a file, find it in the list, delete it, and see it gone."""
    transport = ctx.transport
    upload = transport.build(
        "POST",
        "/files",
        "/files",
        body={
            "purpose": "batch",
            "file": b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n',
        },
        media_type="multipart/form-data",
    )
    created = ctx.send(upload)
    if created is None or created.status != 200:
        return
    for violation in ctx.judge(created, "createFile", True):
        yield violation, created
    try:
        file_id = str(created.json()["id"])
    except (ValueError, KeyError, TypeError):
        return
    listed = ctx.send(transport.build("GET", "/files", "/files"))
    if listed is not None and listed.status == 200:
        try:
            ids = {str(item.get("id")) for item in listed.json().get("data", []) if isinstance(item, dict)}
        except (ValueError, AttributeError):
            ids = set()
        if file_id not in ids:
            yield (
                Violation("state.list", f"the file {file_id} just created is missing from GET /files"),
                listed,
            )
    path = f"/files/{file_id}"
    deleted = ctx.send(transport.build("DELETE", path, "/files/{file_id}"))
    if deleted is None or deleted.status != 200:
        return
    again = ctx.send(transport.build("GET", path, "/files/{file_id}"))
    if again is not None and again.status == 200:
        yield (
            Violation(
                "state.delete", f"the file {file_id} can still be retrieved after DELETE {path} succeeded"
            ),
            again,
        )


def _unknown_model_streamed(ctx: ProbeContext) -> Iterator[Finding]:
    """A streamed request for an unknown model must fail with an HTTP error, not a 200 stream."""
    path = "/chat/completions"
    body = {**_VALID_BODIES["createChatCompletion"](UNKNOWN_MODEL), "stream": True}
    request = ctx.transport.build("POST", path, path, body=body, media_type="application/json")
    try:
        exchange = ctx.transport.send(request, stream=True)
    except TransportError:
        return
    if ctx.on_exchange is not None:
        ctx.on_exchange(exchange)
    # The stream checks judge a 200 (stream.error_status); a 4xx is judged like any error answer.
    # The request obeys the schema: only the model is unknown.
    for violation in ctx.judge(exchange, "createChatCompletion", True):
        yield violation, exchange


PROBES: list[Probe] = [
    *(
        Probe(
            f"errors.invalid.{op}",
            op,
            "invalid requests get a 4xx with the error envelope",
            _invalid_requests(op),
        )
        for op in _INVALID_BODIES
    ),
    *(
        Probe(f"errors.unknown_model.{op}", op, "an unknown model gets 404", _unknown_model(op))
        for op in _VALID_BODIES
    ),
    Probe(
        "errors.unknown_model.stream",
        "createChatCompletion",
        "a streamed request for an unknown model gets an HTTP error, not a 200 stream",
        _unknown_model_streamed,
    ),
    Probe("auth.required", "listModels", "no key or a wrong key gets 401 (with --expect-auth)", _auth),
    Probe("state.files", "deleteFile", "a created file is listed, and gone once deleted", _files_lifecycle),
]


def probes_for(operation_id: str) -> list[Probe]:
    """The probes that belong to an operation."""
    return [probe for probe in PROBES if probe.operation_id == operation_id]
