"""The upstream a proxy is compared with: the one at ``--upstream URL``, or the reference server.

``--upstream embedded`` serves the reference server twice: once on ``127.0.0.1:PORT`` (8001 unless
``embedded:PORT``), the address to configure as the proxy's upstream, and once on a free port, the
run's own side of every pair. Both start in the same state and answer the same request the same
way (ids and timestamps included), so what the proxy changes is all that differs; the first one
counts what the proxy forwarded to it, so a proxy that forwards elsewhere is said to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from openai_conformance.errors import ConfigError, TargetError
from openai_conformance.openapi.loader import Contract
from openai_conformance.runner.pairing import Pairing
from openai_conformance.runner.probe import probe_target
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.proxy import Declarations

if TYPE_CHECKING:
    from openai_conformance.config import RunConfig

__all__ = ["Upstream", "open_upstream", "pair_with"]


@dataclass(frozen=True, slots=True)
class UpstreamOptions:
    """The transport options of the upstream: the run's, with the upstream's key and headers."""

    api_key: str | None
    headers: Mapping[str, str]
    timeout: float
    stream_idle_timeout: float
    max_stream_seconds: float
    max_body_bytes: int
    verify_tls: bool


class _Counter:
    """An ASGI app that counts the HTTP requests it passes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@dataclass(slots=True)
class Upstream:
    """Where the run sends its side of each pair, and what the proxy should forward to."""

    url: str  # the run's side
    for_proxy: str  # the address to configure as the proxy's upstream (the same as ``url`` for a URL)
    embedded: bool = False
    deterministic: bool = False  # the same request always gets the same answer: content is compared
    _counter: _Counter | None = field(default=None, repr=False)

    @property
    def forwarded(self) -> int | None:
        """How many requests the proxy forwarded to the embedded upstream (None for a URL)."""
        return None if self._counter is None else self._counter.requests

    def notice(self) -> str:
        """The line that tells the user where the proxy must forward to."""
        if not self.embedded:
            return f"upstream: {self.url} (every request is sent there too and the answers compared)"
        port = self.for_proxy.rsplit(":", 1)[1]
        return (
            f"upstream: the reference server on {self.for_proxy}/v1 — configure it as the proxy's upstream "
            f"(for a proxy that must reach it before the run: `openai-conformance serve --port {port}` "
            f"and --upstream {self.for_proxy}/v1)"
        )


@contextlib.contextmanager
def open_upstream(contract: Contract, upstream: str, faults: Sequence[str] = ()) -> Iterator[Upstream]:
    """The upstream ``--upstream`` names, started when it is ``embedded:PORT``."""
    if not upstream.startswith("embedded:"):
        yield Upstream(url=upstream, for_proxy=upstream)
        return
    from openai_conformance.server.app import create_app
    from openai_conformance.server.thread import serve_in_thread

    port = int(upstream.partition(":")[2])
    counter = _Counter(create_app(contract.document, faults=tuple(faults)))
    try:
        proxied = serve_in_thread(counter, port=port)
        for_proxy = proxied.__enter__()
    except OSError as exc:
        raise ConfigError(
            f"--upstream embedded cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} "
            "(choose another port with --upstream embedded:PORT)"
        ) from exc
    try:
        with serve_in_thread(create_app(contract.document, faults=tuple(faults))) as own:
            yield Upstream(own, for_proxy, embedded=True, deterministic=True, _counter=counter)
    finally:
        proxied.__exit__(None, None, None)


def pair_with(upstream: Upstream, config: RunConfig, contract: Contract) -> Pairing:
    """The pairing of the run's requests with ``upstream``, once it is found where its API is.

    Raises :class:`TargetError` when the upstream cannot be reached or refuses every request.
    """
    options = UpstreamOptions(
        api_key=config.upstream_api_key,
        headers=dict(config.upstream_headers),
        timeout=config.timeout,
        stream_idle_timeout=config.stream_idle_timeout,
        max_stream_seconds=config.max_stream_seconds,
        max_body_bytes=config.max_body_bytes,
        verify_tls=config.verify_tls,
    )
    transport = HttpTransport(options, upstream.url, api_prefix=contract.server_base[1])
    try:
        probe_target(transport, {"GET"})
    except TargetError as exc:
        transport.close()
        said = str(exc).replace("the target", "the upstream", 1)
        if "--api-key" in said:
            said = said.replace("--api-key / --header", "--upstream-api-key / --upstream-header")
        raise TargetError(said if said.startswith("the upstream") else f"the upstream: {said}") from exc
    pairing = Pairing(
        transport,
        target_key=config.api_key,
        target_headers=dict(config.headers),
        deterministic=upstream.deterministic,
        declarations=Declarations(contract.document),
    )
    if upstream.embedded:
        pairing.shown = (upstream.url, upstream.for_proxy)
    return pairing
