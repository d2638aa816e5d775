"""Requests the API refuses: bodies that break the schema, malformed JSON, and a model that does not exist.

Fuzzed requests show how a target answers what the schema allows; these show how it answers what
the API forbids. An invalid request must get a 4xx with the error envelope; an unknown model, a 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from openai_conformance.errors import TransportError
from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios, Steps, WithModel
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.judge import server_error
from openai_conformance.validation.registry import check
from openai_conformance.validation.rejection import check_rejected
from openai_conformance.validation.violations import Violation

__all__ = ["SCENARIOS", "UNKNOWN_MODEL_ID", "unknown_model"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

UNKNOWN_MODEL_ID = "openai-conformance-no-such-model"

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
    "createResponse": [
        ("`input` of the wrong type", lambda m: {"model": m, "input": 5}),
        (
            "`max_output_tokens` below its minimum (16)",
            lambda m: {"model": m, "input": "hi", "max_output_tokens": 3},
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
    "createResponse": lambda m: {"model": m, "input": "hi", "max_output_tokens": 16},
}

_PATHS = {
    "createChatCompletion": "/chat/completions",
    "createCompletion": "/completions",
    "createEmbedding": "/embeddings",
    "createResponse": "/responses",
}


def _judge_invalid(
    ctx: ScenarioContext, exchange: Exchange, operation_id: str, what: str
) -> Iterator[ScenarioFinding]:
    """A 2xx accepted the request, a 5xx broke on it; a 4xx is judged like any error answer."""
    if 200 <= exchange.status < 300:
        for violation in check_rejected(exchange, f"a request with {what}"):
            yield violation, exchange
    elif exchange.status >= 500:
        message = f"a request with {what} was answered with {exchange.status}, not a 4xx"
        yield server_error.violation(message), exchange
    else:
        yield from ctx.check(exchange, operation_id, valid_request=False)


def _invalid_requests(operation_id: str) -> WithModel:
    def steps(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
        # Each request stands alone: one that gets no answer is recorded (ScenarioContext.send) and
        # the others are still sent.
        path = _PATHS[operation_id]
        for what, make in _INVALID_BODIES[operation_id]:
            try:
                exchange = ctx.post(path, make(model), about=what)
            except TransportError:
                continue
            yield from _judge_invalid(ctx, exchange, operation_id, what)
        # Malformed JSON, and a body that is not JSON at all.
        for what, content, content_type in (
            ("malformed JSON", b'{"model": ', "application/json"),
            ("a text/plain body", json.dumps(_VALID_BODIES[operation_id](model)).encode(), "text/plain"),
        ):
            request = ctx.request("POST", path, content=content, media_type=content_type, about=what)
            try:
                exchange = ctx.send(request)
            except TransportError:
                continue
            yield from _judge_invalid(ctx, exchange, operation_id, what)

    return steps


for _operation in _INVALID_BODIES:
    scenario(
        f"errors.invalid.{_operation}", _operation, "invalid requests get a 4xx with the error envelope"
    )(_invalid_requests(_operation))


@check("errors.unknown_model", "error")
def unknown_model(exchange: Exchange) -> Violation | None:
    """A request naming a model that does not exist gets 404.

    The finding of an answer to a request for an unknown model that is not a 404.

    Reference: the API answers model_not_found with 404
    Why: looking the model up is the server's, before any model runs
    """
    if exchange.status == 404:
        return None
    message = f"a request for the unknown model {UNKNOWN_MODEL_ID!r} got {exchange.status}, not 404"
    return unknown_model.violation(message)


def _unknown_model(operation_id: str) -> Steps:
    def run(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
        body = _VALID_BODIES[operation_id](UNKNOWN_MODEL_ID)
        exchange = ctx.post(_PATHS[operation_id], body, about="an unknown model")
        found = unknown_model(exchange)
        if found is not None:
            yield found, exchange
        else:
            yield from ctx.check(exchange, operation_id)

    return run


for _operation in _VALID_BODIES:
    scenario(f"errors.unknown_model.{_operation}", _operation, "an unknown model gets 404", model_for=None)(
        _unknown_model(_operation)
    )


def _unknown_model_streamed(operation_id: str) -> Steps:
    def run(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
        """A streamed request for an unknown model must fail with an HTTP error, not a 200 stream."""
        body = {**_VALID_BODIES[operation_id](UNKNOWN_MODEL_ID), "stream": True}
        exchange = ctx.post(_PATHS[operation_id], body, stream=True, about="an unknown model")
        # The stream checks judge a 200 (stream.error_status); a 4xx is judged like any error answer.
        # The request obeys the schema: only the model is unknown.
        yield from ctx.check(exchange, operation_id)

    return run


for _id, _operation in (
    ("errors.unknown_model.stream", "createChatCompletion"),
    ("errors.unknown_model.stream.createResponse", "createResponse"),
):
    scenario(
        _id,
        _operation,
        "a streamed request for an unknown model gets an HTTP error, not a 200 stream",
        model_for=None,
    )(_unknown_model_streamed(_operation))
