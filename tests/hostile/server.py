"""A hostile OpenAI-ish server for robustness tests: it answers ``GET /v1/models`` and misbehaves elsewhere.

It is a raw asyncio HTTP/1.1 server (one request per connection, ``Connection: close``) because most
misbehaviours live below what an ASGI framework lets an app do: resets, short bodies, slow headers.
It listens on 127.0.0.1 only; the ``redirect`` behaviour adds a second listener on 127.0.0.2 (the
"other host") that only records what it receives. Every server-side wait or loop is bounded in time
and count, and stopping the server cancels every connection, so no thread outlives a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import gzip
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["BEHAVIOURS", "HostileServer", "closed_port"]

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

MODELS = ["hostile-chat", "hostile-embed"]
CREATED = 1723075200

#: Every behaviour the server can show on its chosen routes.
BEHAVIOURS = frozenset(
    {
        "reset",  # headers and half the body, then a TCP reset
        "invalid-json",  # 200 application/json whose body does not parse
        "invalid-utf8",  # 200 application/json with bytes that are not UTF-8
        "truncated",  # Content-Length larger than what is sent, then close
        "endless-sse",  # a stream of events, forever (bounded server-side), never [DONE]
        "stalled-sse",  # a couple of events, then silence (bounded server-side)
        "reset-sse",  # a couple of events, then a TCP reset in the middle of the stream
        "slow-headers",  # sleeps longer than the client's timeout before answering
        "slow",  # answers correctly, but each answer takes a while (for --max-time)
        "429",  # always 429 with Retry-After: 1
        "429-long",  # always 429 with Retry-After: 3600
        "429-flat",  # always 429 with Retry-After: 3600 and a flat `{"detail": …}` body, no envelope
        "502-html",  # a proxy's 502 page: text/html, an undeclared status
        "gzip",  # a valid answer, gzip-encoded (twice: `Content-Encoding: gzip, gzip`)
        "gzip-bomb",  # a few KB that inflate (gzip inside gzip) to `huge_bytes` of JSON whitespace
        "redirect",  # 307 to the same path on 127.0.0.2 (another host)
        "huge",  # a chunked body that goes on well past any sane size cap
        "trickle",  # a body that arrives one byte at a time, each just inside the read timeout
        "trickle-headers",  # the status line and headers arrive one byte at a time, each inside the read timeout
    }
)

_MAX_HEADER_BYTES = 64 * 1024
_MAX_REQUEST_BODY = 32 * 1024 * 1024
_HANG_LIMIT = 30.0  # no handler waits or loops longer than this, even if nobody stops the server
_STOP_TIMEOUT = 5.0


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class _Seen:
    """What the server received, for the tests to assert on (written by the loop, read after stop)."""

    requests: Counter[str] = field(default_factory=Counter)  # "METHOD /path" → count
    authorizations: list[str] = field(default_factory=list)  # Authorization headers (main listener)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0: close() sends RST instead of FIN)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _status_line(status: int) -> str:
    reasons = {200: "OK", 307: "Temporary Redirect", 404: "Not Found", 429: "Too Many Requests"}
    return f"HTTP/1.1 {status} {reasons.get(status, 'Status')}\r\n"


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [_status_line(status)]
    lines += [f"{name}: {value}\r\n" for name, value in {**headers, "Connection": "close"}.items()]
    return ("".join(lines) + "\r\n").encode("latin-1")


def _response(status: int, body: bytes, content_type: str = "application/json", **extra: str) -> bytes:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **extra}
    return _head(status, headers) + body


def _error_body(message: str, type_: str = "invalid_request_error", code: str | None = None) -> bytes:
    return json.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}}).encode()


def _model_list() -> bytes:
    data = [{"id": m, "object": "model", "created": CREATED, "owned_by": "hostile"} for m in MODELS]
    return json.dumps({"object": "list", "data": data}).encode()


def _chunk(text: str, index: int) -> bytes:
    chunk = {
        "id": "chatcmpl-hostile",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODELS[0],
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": f"{text} {index}"}
                if index == 0
                else {"content": text},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _inflating(size: int) -> bytes:
    """``{"a": `` and ``size`` bytes of spaces: gzip makes a few KB of it, twice over a few hundred bytes."""
    return b'{"a": ' + b" " * size


@dataclass(frozen=True, slots=True)
class _Parsed:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def wants_stream(self) -> bool:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return False
        return isinstance(parsed, dict) and parsed.get("stream") is True


async def _read_request(reader: asyncio.StreamReader) -> _Parsed | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    if len(head) > _MAX_HEADER_BYTES:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), _MAX_REQUEST_BODY)
    try:
        body = await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return _Parsed(parts[0].upper(), parts[1].split("?", 1)[0], headers, body)


class HostileServer:
    """Serve ``GET /v1/models`` correctly and misbehave with ``behaviour`` on ``routes``.

    ``routes`` are ``fnmatch`` patterns of ``"METHOD /path"`` (e.g. ``"POST /v1/embeddings"``,
    ``"*"``). Use it as a context manager; ``base_url`` is ``http://127.0.0.1:PORT/v1``.
    """

    def __init__(
        self,
        behaviour: str | None = None,
        routes: tuple[str, ...] = ("POST /v1/embeddings",),
        *,
        delay: float = 5.0,  # slow-headers: seconds before the answer; slow: seconds per answer
        event_interval: float = 0.02,  # endless-sse: seconds between two events
        huge_bytes: int = 64 * 1024 * 1024,  # huge: how much the body would carry if read to the end
    ) -> None:
        if behaviour is not None and behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; known: {sorted(BEHAVIOURS)}")
        self.behaviour = behaviour
        self.routes = routes
        self.delay = min(delay, _HANG_LIMIT)
        self.event_interval = max(event_interval, 0.001)
        self.huge_bytes = huge_bytes
        # Encoded once, here: a test may measure the memory the client takes while the server answers.
        self._encoded = b""
        if behaviour in ("gzip", "gzip-bomb"):
            body = _model_list() if behaviour == "gzip" else _inflating(huge_bytes)
            self._encoded = gzip.compress(gzip.compress(body))
        self.seen = _Seen()
        self.other_host_seen = _Seen()  # what the 127.0.0.2 listener received
        self.port = 0
        self.other_port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._thread_main, daemon=True, name="hostile-server")

    # -- life cycle ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(10.0) or self._failed is not None:
            raise RuntimeError(f"the hostile server did not start: {self._failed!r}")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(_STOP_TIMEOUT)
        if self._thread.is_alive():  # pragma: no cover - a bug in this server; make it loud
            raise RuntimeError("the hostile server thread did not stop")

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # pragma: no cover - reported by __enter__
            self._failed = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        main = await asyncio.start_server(self._accept(self._handle), "127.0.0.1", 0)
        self.port = main.sockets[0].getsockname()[1]
        servers = [main]
        if self.behaviour == "redirect":
            other = await asyncio.start_server(self._accept(self._handle_other_host), "127.0.0.2", 0)
            self.other_port = other.sockets[0].getsockname()[1]
            servers.append(other)
        self._ready.set()
        with contextlib.suppress(TimeoutError):  # never outlive a test run
            await asyncio.wait_for(self._stop.wait(), timeout=300.0)
        for server in servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, handler: Handler) -> Handler:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await asyncio.wait_for(handler(reader, writer), timeout=_HANG_LIMIT + 5.0)
            except (ConnectionError, TimeoutError, asyncio.CancelledError):
                pass
            finally:
                writer.close()
                if task is not None:
                    self._tasks.discard(task)

        return accept

    # -- the other host: it only records -------------------------------------------------------------
    async def _handle_other_host(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        if request is None:
            return
        self.other_host_seen.requests[f"{request.method} {request.path}"] += 1
        if "authorization" in request.headers:
            self.other_host_seen.authorizations.append(request.headers["authorization"])
        writer.write(_response(200, _model_list()))
        await writer.drain()

    # -- the main listener ----------------------------------------------------------------------------
    def _hostile(self, request: _Parsed) -> bool:
        target = f"{request.method} {request.path}"
        return self.behaviour is not None and any(fnmatch.fnmatchcase(target, p) for p in self.routes)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        if request is None:
            return
        self.seen.requests[f"{request.method} {request.path}"] += 1
        if "authorization" in request.headers:
            self.seen.authorizations.append(request.headers["authorization"])
        if self.behaviour == "slow":
            await asyncio.sleep(self.delay)
        if self._hostile(request):
            await self._misbehave(request, writer)
        elif request.method == "GET" and request.path in ("/v1/models", "/models"):
            writer.write(_response(200, _model_list()))
        else:
            writer.write(_response(404, b'{"detail":"Not Found"}'))
        await writer.drain()

    async def _misbehave(self, request: _Parsed, writer: asyncio.StreamWriter) -> None:
        behaviour = self.behaviour
        if behaviour == "slow":
            writer.write(_response(400, _error_body("this hostile server answers nothing useful")))
        elif behaviour == "reset":
            body = b'{"object": "list", "data": [' + b" " * 4000 + b"]}"
            writer.write(_head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))}))
            writer.write(body[: len(body) // 2])
            await writer.drain()
            await asyncio.sleep(0.05)
            _reset(writer)
        elif behaviour == "invalid-json":
            writer.write(_response(200, b'{"object": "list", "data": [{"object": "embedding", '))
        elif behaviour == "invalid-utf8":
            writer.write(_response(200, b'{"object": "list", "data": [], "model": "\xff\xfe\xc3(", "x": 1}'))
        elif behaviour == "truncated":
            body = _model_list()
            writer.write(
                _head(200, {"Content-Type": "application/json", "Content-Length": str(len(body) + 1000)})
            )
            writer.write(body)
        elif behaviour in ("endless-sse", "stalled-sse", "reset-sse"):
            await self._stream(request, writer, endless=behaviour == "endless-sse")
            if behaviour == "reset-sse":
                _reset(writer)
        elif behaviour == "slow-headers":
            await asyncio.sleep(self.delay)
            writer.write(_response(400, _error_body("too late")))
        elif behaviour in ("429", "429-long"):
            retry_after = "1" if behaviour == "429" else "3600"
            body = _error_body("Rate limit reached; slow down", "requests", "rate_limit_exceeded")
            writer.write(_response(429, body, **{"Retry-After": retry_after}))
        elif behaviour == "429-flat":
            body = json.dumps({"detail": "Too many requests"}).encode()
            writer.write(_response(429, body, **{"Retry-After": "3600"}))
        elif behaviour == "502-html":
            writer.write(_response(502, b"<html><body>502 Bad Gateway</body></html>", "text/html"))
        elif behaviour in ("gzip", "gzip-bomb"):
            writer.write(_response(200, self._encoded, **{"Content-Encoding": "gzip, gzip"}))
        elif behaviour == "redirect":
            location = f"http://127.0.0.2:{self.other_port}{request.path}"
            writer.write(_response(307, b"", "text/plain", Location=location))
        elif behaviour == "huge":
            await self._huge(writer)
        elif behaviour == "trickle-headers":
            await self._trickle(writer, _response(400, _error_body("late, a byte at a time")))
        elif behaviour == "trickle":
            body = _model_list()
            writer.write(_head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))}))
            await self._trickle(writer, body)

    async def _trickle(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        """``data`` one byte per ``event_interval``, within _HANG_LIMIT."""
        started = time.monotonic()
        for byte in data:
            if time.monotonic() - started > _HANG_LIMIT:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(self.event_interval)

    async def _stream(self, request: _Parsed, writer: asyncio.StreamWriter, *, endless: bool) -> None:
        """Chunked SSE events; a stream that is not endless stops after two (then stalls or is reset)."""
        if not request.wants_stream:
            writer.write(_response(400, _error_body("this server only streams; send stream: true")))
            return
        writer.write(_head(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}))
        started = time.monotonic()
        index = 0
        while time.monotonic() - started < _HANG_LIMIT:
            if not endless and index == 2:
                if self.behaviour == "reset-sse":
                    await asyncio.sleep(0.05)
                    return
                # a couple of events, then silence until the client gives up (or the bound)
                await asyncio.sleep(_HANG_LIMIT - (time.monotonic() - started))
                break
            writer.write(_chunk("hello", index))
            await writer.drain()  # raises ConnectionError once the client has gone
            index += 1
            await asyncio.sleep(self.event_interval)

    async def _huge(self, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
        piece = b" " * (256 * 1024)
        frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        writer.write(b'3\r\n{"a\r\n')
        sent = 0
        while sent < self.huge_bytes:
            writer.write(frame)
            await writer.drain()
            sent += len(piece)
        writer.write(b"0\r\n\r\n")
