"""Servers that behave as servers in the field do, for the tool's own tests (each on 127.0.0.1 only).

Each is the small conformant API of :mod:`tests.fakes.mini_server` (models, chat, embeddings) with
one behaviour seen on real OpenAI-compatible servers: the "no such route" page of a framework
(Express, FastAPI, a mock that names the method), routes without ``/v1`` (Prism's mock), a key
refused everywhere, no model list, a web page instead of an API, error envelopes that lack fields,
answers that break several rules at once, a stream served under the wrong media type.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tests.fakes.mini_server import CREATED, MODELS
from tests.fakes.mini_server import create_app as create_mini_app

__all__ = ["BEHAVIOURS", "PAGES", "create_app"]

Endpoint = Callable[[Request], Awaitable[Response]]
_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


def _express_json(request: Request) -> Response:
    message = f"Cannot {request.method} {request.url.path}"
    return JSONResponse({"error": "Not Found", "message": message, "status": 404}, 404)


def _express_html(request: Request) -> Response:
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        f"</head>\n<body>\n<pre>Cannot {request.method} {request.url.path}</pre>\n</body>\n</html>\n"
    )
    return HTMLResponse(page, 404)


def _fastapi(request: Request) -> Response:
    return JSONResponse({"detail": "Not Found"}, 404)


def _names_the_method(request: Request) -> Response:
    """A mock that answers with the API's own envelope, naming what it does not mock."""
    message = f"this mock does not mock {request.method} {request.url.path}"
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    return JSONResponse({"error": error}, 404)


def _prism(request: Request) -> Response:
    body = {
        "type": "https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR",
        "title": "Route not resolved, no path matched",
        "status": 404,
        "detail": f"The route {request.url.path} hasn't been found in the specification file",
    }
    return JSONResponse(body, 404, media_type="application/problem+json")


def _refused(request: Request) -> Response:
    error = {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": None}
    return JSONResponse({"error": {**error, "code": "invalid_api_key"}}, 401)


def _web_page(request: Request) -> Response:
    return HTMLResponse("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>")


#: What a server answers for a route it lacks, by name.
PAGES: dict[str, Callable[[Request], Response]] = {
    "express-json": _express_json,
    "express-html": _express_html,
    "fastapi": _fastapi,
    "names-the-method": _names_the_method,
    "prism": _prism,
}


def _catch_all(answer: Callable[[Request], Response]) -> Route:
    async def endpoint(request: Request) -> Response:
        return answer(request)

    return Route("/{path:path}", endpoint, methods=_METHODS)


def _mini_routes(*, v1: bool = True) -> list[BaseRoute]:
    routes = list(create_mini_app().routes)
    return [r for r in routes if v1 == getattr(r, "path", "").startswith("/v1")]


def _error(status: int, message: str, *, drop: tuple[str, ...] = ()) -> JSONResponse:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    return JSONResponse({"error": {k: v for k, v in error.items() if k not in drop}}, status)


def _chat_reply(body: dict[str, Any], **choice: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": "hello", "refusal": None}
    default = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": CREATED,
        "model": body.get("model", MODELS[0]),
        "choices": [{k: v for k, v in {**default, **choice}.items() if v is not _DROP}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


_DROP = object()


async def _many_defects(request: Request) -> Response:
    """A chat endpoint whose defects must each be its own finding."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError:
        return _error(500, "Unexpected end of JSON input")  # 500 for malformed JSON
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return _error(400, "messages is required", drop=("type", "param", "code"))  # three fields missing
    if any(isinstance(m, dict) and isinstance(m.get("content"), list) for m in body["messages"]):
        return _error(500, "content parts are not supported")  # 500 for a valid request
    if body.get("stream") is True:
        return _error(400, "streaming is not supported", drop=("param",))
    return JSONResponse(_chat_reply(body, index=_DROP, logprobs=_DROP))  # two fields missing


async def _stream_defects(request: Request) -> Response:
    """A chat stream served as application/json, a new id on every chunk, never a finish_reason."""
    body = await request.json()
    if body.get("stream") is not True:
        return JSONResponse(_chat_reply(body))

    async def events() -> Any:
        for i, text in enumerate(("hel", "lo")):
            chunk = {
                "id": f"chatcmpl-{i}",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": body.get("model", MODELS[0]),
                "choices": [
                    {"index": 0, "delta": {"content": text}, "finish_reason": None, "logprobs": None}
                ],
            }
            yield f"data: {json.dumps(chunk)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="application/json")


def create_app(behaviour: str) -> Starlette:
    """The mini API with one behaviour of the field (see :data:`BEHAVIOURS`)."""
    if behaviour in PAGES:
        return Starlette(routes=[*_mini_routes(), _catch_all(PAGES[behaviour])])
    if behaviour == "no-v1":  # Prism's mock at its documented base URL: the spec's paths at the root
        return Starlette(routes=[*_mini_routes(v1=False), _catch_all(_prism)])
    if behaviour == "refuse-all":
        return Starlette(routes=[_catch_all(_refused)])
    if behaviour == "web-page":
        return Starlette(routes=[_catch_all(_web_page)])
    if behaviour == "no-models":  # chat only: GET /models is a framework 404
        chat_only = [r for r in _mini_routes() if getattr(r, "path", "") == "/v1/chat/completions"]
        return Starlette(routes=[*chat_only, _catch_all(_fastapi)])
    if behaviour in ("many-defects", "stream-defects"):
        chat = _many_defects if behaviour == "many-defects" else _stream_defects
        others = [r for r in _mini_routes() if getattr(r, "path", "") != "/v1/chat/completions"]
        return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), *others])
    raise ValueError(f"unknown behaviour {behaviour!r}")


#: Every behaviour :func:`create_app` knows.
BEHAVIOURS = (*PAGES, "no-v1", "refuse-all", "web-page", "no-models", "many-defects", "stream-defects")
