"""A server whose handler crashes the whole process on malformed JSON, as a real mock's did.

Run as ``python -m tests.fakes.crashing_server PORT``: the small conformant API of
:mod:`tests.fakes.mini_server` on 127.0.0.1:PORT, except that a chat request whose body is not JSON
makes the process exit at once, without an answer (its connection is simply dropped).
"""

from __future__ import annotations

import json
import os
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.mini_server import create_app as create_mini_app

CRASH_EXIT = 3


def create_app() -> Starlette:
    mini = create_mini_app()
    chat = next(r for r in mini.routes if getattr(r, "path", "") == "/v1/chat/completions")

    async def crashing_chat(request: Request) -> Response:
        raw = await request.body()
        try:
            json.loads(raw)
        except ValueError:
            os._exit(CRASH_EXIT)  # the handler's uncaught error takes the process down
        endpoint = chat.endpoint  # type: ignore[attr-defined]
        response: Response = await endpoint(request)
        return response

    routes = [r for r in mini.routes if r is not chat]
    return Starlette(routes=[Route("/v1/chat/completions", crashing_chat, methods=["POST"]), *routes])


if __name__ == "__main__":
    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
