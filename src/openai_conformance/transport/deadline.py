"""A deadline for the whole of a request, below httpx's per-read timeouts.

httpx bounds each socket read and write, not a request: a server that sends its headers one byte at a
time, each just inside the read timeout, holds a request for as long as it likes. Here every socket
operation of a request is given at most the time left before that request's deadline (set with
:func:`deadline` around the send), so the whole exchange ends by then with httpx's own timeout errors.

It works through httpcore's network-backend interface: the sockets httpx opens come from
:class:`DeadlineBackend`, which wraps httpcore's default synchronous backend.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
import typing
from collections.abc import Iterable, Iterator

import httpcore
import httpx

__all__ = ["DeadlineBackend", "deadline", "transport_with_deadlines"]

#: httpcore's socket options, as its network backends take them.
SocketOptions = (
    Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]] | None
)

_DEADLINE: contextvars.ContextVar[tuple[float, float | None] | None] = contextvars.ContextVar(
    "request_deadline", default=None
)


@contextlib.contextmanager
def deadline(at: float, *, per_read: float | None = None) -> Iterator[None]:
    """Socket operations in this block end by ``at`` (a ``time.monotonic()`` value), and each read
    waits at most ``per_read`` seconds (for the silence allowed inside a stream)."""
    token = _DEADLINE.set((at, per_read))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, expired: type[Exception], *, reading: bool = False) -> float | None:
    bound = _DEADLINE.get()
    if bound is None:
        return timeout
    at, per_read = bound
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    limits = [left] + [t for t in (timeout, per_read if reading else None) if t is not None]
    return min(limits)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout, reading=True))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, whose streams keep to the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def transport_with_deadlines(*, verify: bool) -> httpx.BaseTransport:
    """httpx's own transport, its connections opened through :class:`DeadlineBackend`.

    httpx 0.28 takes no network backend, so its connection pool is built anew with one, with the same
    settings; should httpx keep its pool some other way one day, its plain transport is used, and
    requests are bounded by the per-read timeouts only (the hostile server's tests would tell).
    """
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    transport = httpx.HTTPTransport(verify=verify, limits=limits)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        return transport
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=DeadlineBackend(),
    )
    return transport
