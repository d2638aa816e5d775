"""Faults the error and auth checks catch: wrong refusals, wrong envelopes, leaked keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import ALL, CHAT, COMPLETION, EMBEDDING, Fault
from openai_conformance.server.routing import RequestError

__all__ = ["ERROR_FAULTS"]

_NAMING_MODELS = (CHAT, COMPLETION, EMBEDDING)  # the operations that look their model up


def _server_error(call: Call) -> None:
    raise RequestError(500, "The server had an error while processing your request.", type="server_error")


def _four_stops_crash(call: Call) -> None:
    stop = call.arg("stop")
    if isinstance(stop, list) and len(stop) == 4:  # the spec's maxItems: a boundary the server mishandles
        _server_error(call)


def _flat(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    if not isinstance(reply, Answer):
        return reply
    body: Any = {
        "object": "error",
        "message": error.message,
        "type": error.type,
        "param": error.param,
        "code": error.status,
    }
    return replace(reply, body=body)


def _integer_code(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    if (
        isinstance(reply, Answer)
        and isinstance(reply.body, dict)
        and isinstance(reply.body.get("error"), dict)
    ):
        reply.body["error"]["code"] = error.status
    return reply


def _invalid_model(call: Call, model: object, refusal: RequestError) -> RequestError | None:
    return RequestError(400, f"Invalid model: {str(model)[:100]}", param="model", code="invalid_model")


def _echo(headers: Mapping[str, str]) -> Mapping[str, str]:
    authorization = headers.get("authorization")
    return {"x-echo-authorization": authorization} if authorization else {}


ERROR_FAULTS: tuple[Fault, ...] = (
    Fault(
        "invalid-accepted",
        "errors.invalid_accepted",
        "Requests that fail validation are answered 200 with a canned success body.",
        operations=ALL,  # any operation may receive an invalid request
        invalid=lambda error: error.status == 400,
    ),
    Fault(
        "moderations-server-error",
        "errors.server_error",
        "POST /moderations answers 500 (with the error envelope) to valid requests.",
        operations=("createModeration",),
        before=_server_error,
    ),
    Fault(
        "boundary-server-error",
        "errors.server_error",
        "Chat completions answer 500 to `stop` at its maxItems (four sequences), a valid boundary "
        "(vllm#17038: 500s on inputs a fuzzer found).",
        operations=(CHAT,),
        before=_four_stops_crash,
    ),
    Fault(
        "flat-error-envelope",
        "errors.envelope",
        'Errors use a flat `{"object": "error", "message": ..., "code": 400}` body instead of '
        '`{"error": {...}}`.',
        operations=ALL,  # every error answer, whatever the operation (and unknown routes)
        error=_flat,
    ),
    Fault(
        "integer-error-code",
        "errors.envelope",
        "Errors carry the HTTP status as an integer `error.code` instead of a string or null.",
        operations=ALL,  # every error answer, whatever the operation (and unknown routes)
        error=_integer_code,
    ),
    Fault(
        "unknown-model-200",
        "errors.unknown_model",
        "Chat, completions and embeddings accept any model name and answer 200.",
        operations=_NAMING_MODELS,
        model_lookup=lambda call, model, refusal: None,
    ),
    Fault(
        "unknown-model-400",
        "errors.unknown_model",
        "An unknown model is answered 400 invalid_request_error instead of 404 model_not_found.",
        operations=_NAMING_MODELS,
        model_lookup=_invalid_model,
    ),
    # Auth.
    Fault(
        "auth-not-enforced",
        "auth.not_enforced",
        "The API key is not checked: any key, or none, is accepted.",
        operations=ALL,  # a request without a key reaches any operation
        auth=lambda authorization, refusal: None,
    ),
    Fault(
        "wrong-key-accepted",
        "auth.not_enforced",
        "A request without a key is refused with 401, but any key at all is accepted.",
        operations=ALL,  # a request with a wrong key reaches any operation
        auth=lambda authorization, refusal: refusal if not authorization else None,
    ),
    Fault(
        "key-echoed",
        "auth.key_echoed",
        "Every response echoes the request's Authorization header in an `x-echo-authorization` header.",
        operations=ALL,  # a header on every response
        headers=_echo,
    ),
)
