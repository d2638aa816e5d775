"""Running the reference server: in a background thread (tests, self-checks) or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from openai_conformance.server.app import create_app

__all__ = ["serve", "serve_in_thread"]

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


def _listen(host: str, port: int) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY (without it, small responses wait ~40 ms for delayed ACKs)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def serve_in_thread(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` on ``port`` of ``host`` (0: a free one) in a daemon thread; yield its base URL.

    The server is stopped (and the thread joined, with a timeout) when the block exits.
    """
    sock = _listen(host, port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"openai-conformance-server-{port}"
    )
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the reference server did not start on {host}:{port}")
            time.sleep(0.01)
        yield f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        sock.close()


def serve(
    spec: dict[str, Any],
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    faults: Sequence[str] = (),
) -> None:
    """Run the reference server for ``spec`` (with ``faults`` on) in the foreground until interrupted."""
    app = create_app(spec, api_key=api_key, faults=faults)
    sock = _listen(host, port)
    config = uvicorn.Config(
        app, log_level="info", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
