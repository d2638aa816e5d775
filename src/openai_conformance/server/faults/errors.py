"""Faults the error and auth checks catch: wrong refusals, wrong envelopes, leaked keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import ALL, CHAT, COMPLETION, EMBEDDING, Faults
from openai_conformance.server.hooks import AUTH, BEFORE, ERROR, HEADERS, INVALID, MODEL_LOOKUP
from openai_conformance.server.routing import RequestError

__all__ = ["ERROR_FAULTS"]

ERROR_FAULTS = Faults()
fault = ERROR_FAULTS.declare

_NAMING_MODELS = (CHAT, COMPLETION, EMBEDDING)  # the operations that look their model up


# Any operation may receive an invalid request.
@fault("invalid-accepted", "errors.invalid_accepted", ALL, at=INVALID)
def _bad_request_accepted(error: RequestError) -> bool:
    """Requests that fail validation are answered 200 with a canned success body."""
    return error.status == 400


@fault("moderations-server-error", "errors.server_error", "createModeration", at=BEFORE)
def _server_error(call: Call) -> None:
    """POST /moderations answers 500 (with the error envelope) to valid requests."""
    raise RequestError(500, "The server had an error while processing your request.", type="server_error")


@fault("boundary-server-error", "errors.server_error", CHAT, at=BEFORE)
def _four_stops_crash(call: Call) -> None:
    """Chat completions answer 500 to `stop` at its maxItems (four sequences), a valid boundary
    (vllm#17038: 500s on inputs a fuzzer found)."""
    stop = call.arg("stop")
    if isinstance(stop, list) and len(stop) == 4:  # the spec's maxItems: a boundary the server mishandles
        _server_error(call)


# The two envelope faults change every error answer, whatever the operation (and unknown routes).
@fault("flat-error-envelope", "errors.envelope", ALL, at=ERROR)
def _flat(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    """Errors use a flat `{"object": "error", "message": ..., "code": 400}` body instead of
    `{"error": {...}}`."""
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


@fault("integer-error-code", "errors.envelope", ALL, at=ERROR)
def _integer_code(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    """Errors carry the HTTP status as an integer `error.code` instead of a string or null."""
    if (
        isinstance(reply, Answer)
        and isinstance(reply.body, dict)
        and isinstance(reply.body.get("error"), dict)
    ):
        reply.body["error"]["code"] = error.status
    return reply


@fault("unknown-model-200", "errors.unknown_model", _NAMING_MODELS, at=MODEL_LOOKUP)
def _any_model(call: Call, model: object, refusal: RequestError) -> RequestError | None:
    """Chat, completions and embeddings accept any model name and answer 200."""
    return None


@fault("unknown-model-400", "errors.unknown_model", _NAMING_MODELS, at=MODEL_LOOKUP)
def _invalid_model(call: Call, model: object, refusal: RequestError) -> RequestError | None:
    """An unknown model is answered 400 invalid_request_error instead of 404 model_not_found."""
    return RequestError(400, f"Invalid model: {str(model)[:100]}", param="model", code="invalid_model")


# Auth: a request without a key, or with a wrong one, reaches any operation.
@fault("auth-not-enforced", "auth.not_enforced", ALL, at=AUTH)
def _any_key(authorization: str | None, refusal: RequestError) -> RequestError | None:
    """The API key is not checked: any key, or none, is accepted."""
    return None


@fault("wrong-key-accepted", "auth.not_enforced", ALL, at=AUTH)
def _some_key(authorization: str | None, refusal: RequestError) -> RequestError | None:
    """A request without a key is refused with 401, but any key at all is accepted."""
    return refusal if not authorization else None


@fault("key-echoed", "auth.key_echoed", ALL, at=HEADERS)
def _echo(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Every response echoes the request's Authorization header in an `x-echo-authorization` header."""
    authorization = headers.get("authorization")
    return {"x-echo-authorization": authorization} if authorization else {}
