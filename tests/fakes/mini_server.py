"""A small OpenAI-compatible server for the tool's own tests, with one switchable deviation at a time.

It implements a few endpoints correctly — with extra vendor fields, which the spec allows — so a run
against it must find nothing; each deviation breaks exactly one thing a conformance check must catch.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CREATED = 1723075200
MODELS = ["mini-chat", "mini-embed"]

#: deviation id → (operationId it affects, check id that must catch it)
DEVIATIONS: dict[str, tuple[str, str]] = {
    "wrong-object": ("listModels", "schema.body"),
    "float-created": ("listModels", "schema.body"),
    "missing-required": ("createChatCompletion", "schema.body"),
    "undeclared-status": ("retrieveModel", "schema.status_code"),
    "wrong-content-type": ("listModels", "schema.content_type"),
    "bad-enum": ("createChatCompletion", "schema.body"),
    "flat-error": ("deleteModel", "errors.envelope"),
    "server-error": ("createEmbedding", "errors.server_error"),
    "echo-key": ("listModels", "auth.key_echoed"),
    "no-refusal": ("createChatCompletion", "schema.body"),
    "text-accepted": ("createChatCompletion", "errors.invalid_accepted"),
}


def _error(status: int, message: str, code: str | None, param: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}, status
    )


def create_app(deviation: str | None = None) -> Starlette:
    if deviation is not None and deviation not in DEVIATIONS:
        raise ValueError(f"unknown deviation {deviation!r}")

    def model(id_: str) -> dict[str, Any]:
        return {
            "id": id_,
            "object": "model",
            "created": CREATED,
            "owned_by": "mini",
            "x_vendor": {"quant": "q4"},
        }

    async def list_models(request: Request) -> Response:
        body: dict[str, Any] = {"object": "list", "data": [model(m) for m in MODELS]}
        if deviation == "wrong-object":
            body["object"] = "lists"
        if deviation == "float-created":
            body["data"][0]["created"] = float(CREATED)
        if deviation == "echo-key":
            body["x_debug"] = request.headers.get("authorization", "")
        if deviation == "wrong-content-type":
            return Response(json.dumps(body), media_type="text/plain")
        return JSONResponse(body)

    async def retrieve_model(request: Request) -> Response:
        name = request.path_params["model"]
        if name not in MODELS:
            return _error(404, f"The model '{name}' does not exist", "model_not_found", "model")
        if deviation == "undeclared-status":
            return JSONResponse(model(name), 201)
        return JSONResponse(model(name))

    async def delete_model(request: Request) -> Response:
        if deviation == "flat-error":
            return JSONResponse({"object": "error", "message": "no fine-tuned models here", "code": 404}, 404)
        return _error(404, "no fine-tuned models here", "model_not_found", "model")

    async def chat(request: Request) -> Response:
        if (
            request.headers.get("content-type", "").split(";")[0] != "application/json"
            and deviation != "text-accepted"
        ):
            return _error(400, "the body must be JSON (Content-Type: application/json)", None)
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "malformed JSON", None)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or "model" not in body:
            return _error(400, "messages and model are required", None, "messages")
        if body["model"] not in MODELS:
            return _error(404, "model not found", "model_not_found", "model")
        temperature = body.get("temperature")
        if isinstance(temperature, int | float) and not 0 <= temperature <= 2:
            return _error(400, "temperature must be between 0 and 2", None, "temperature")
        if body.get("stream") is True:
            return _error(400, "streaming is not supported by this server", "unsupported", "stream")
        for unsupported in ("tools", "functions", "logprobs", "audio"):
            if body.get(unsupported) not in (None, False, []):
                return _error(
                    400, f"{unsupported} is not supported by this server", "unsupported", unsupported
                )
        response_format = body.get("response_format")
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind == "json_schema":
            return _error(
                400, "json_schema is not supported by this server", "unsupported", "response_format"
            )
        n = body.get("n") if isinstance(body.get("n"), int) else 1
        choice: dict[str, Any] = {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": '{"reply": "hello"}' if kind == "json_object" else "hello",
                "refusal": None,
            },
            # one token ("hello"): a cap of one token stops it, a larger one does not
            "finish_reason": "length"
            if 1 in (body.get("max_tokens"), body.get("max_completion_tokens"))
            else "stop",
            "logprobs": None,
        }
        if deviation == "missing-required":
            del choice["message"]["role"]
        if deviation == "no-refusal":
            del choice["message"]["refusal"]
        if deviation == "bad-enum":
            choice["finish_reason"] = "done"
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "choices": [dict(choice, index=i) for i in range(max(1, n or 1))],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            "x_timings": {"ms": 1.5},
        }
        return JSONResponse(reply)

    async def embeddings(request: Request) -> Response:
        if deviation == "server-error":
            return _error(500, "boom", None)
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return _error(400, "the body must be JSON (Content-Type: application/json)", None)
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "malformed JSON", None)
        if not isinstance(body, dict) or "input" not in body or "model" not in body:
            return _error(400, "input and model are required", None, "input")
        if body["model"] not in MODELS:
            return _error(404, "model not found", "model_not_found", "model")
        if body.get("encoding_format", "float") not in ("float", "base64"):
            return _error(400, "encoding_format must be float or base64", None, "encoding_format")
        inputs = (
            body["input"]
            if isinstance(body["input"], list) and body["input"] and not isinstance(body["input"][0], int)
            else [body["input"]]
        )
        dimensions = body.get("dimensions")
        size = dimensions if isinstance(dimensions, int) else 3
        if not 1 <= size <= 4096:
            return _error(400, "dimensions must be between 1 and 4096", None, "dimensions")
        vector = [round(0.1 * (k % 7), 3) for k in range(size)]
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{size}f", *vector)).decode()
        data = [{"object": "embedding", "index": i, "embedding": encoded} for i in range(len(inputs))]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )

    routes = []
    for prefix in ("", "/v1"):
        routes += [
            Route(prefix + "/models", list_models, methods=["GET"]),
            Route(prefix + "/models/{model}", retrieve_model, methods=["GET"]),
            Route(prefix + "/models/{model}", delete_model, methods=["DELETE"]),
            Route(prefix + "/chat/completions", chat, methods=["POST"]),
            Route(prefix + "/embeddings", embeddings, methods=["POST"]),
        ]
    return Starlette(routes=routes)
