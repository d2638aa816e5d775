"""The target: started (the embedded reference server) or reached, and what it tells before the run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from openai_conformance.errors import TargetError, TransportError
from openai_conformance.openapi.loader import Contract
from openai_conformance.results.info import Target
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.http import HttpTransport

__all__ = ["NoRoute", "discover_models", "embedded_target", "open_target"]

_NO_SUCH_ROUTE = "/openai-conformance-no-such-route"
_MAX_MODELS = 50


@contextlib.contextmanager
def embedded_target(contract: Contract, *, api_key: str | None, faults: Sequence[str] = ()) -> Iterator[str]:
    """Start the reference server on a free loopback port; yield its base URL."""
    from openai_conformance.server.app import create_app
    from openai_conformance.server.thread import serve_in_thread

    app = create_app(contract.document, api_key=api_key, faults=tuple(faults))
    with serve_in_thread(app) as base_url:
        yield base_url


@contextlib.contextmanager
def open_target(
    contract: Contract, base_url: str | None, *, api_key: str | None, faults: Sequence[str] = ()
) -> Iterator[Target]:
    """The target a run judges: the one at ``base_url``, or the embedded reference server when None."""
    if base_url is not None:
        yield Target(base_url=base_url)
        return
    with embedded_target(contract, api_key=api_key, faults=faults) as url:
        yield Target(base_url=url, embedded=True, faults=tuple(faults))


def discover_models(transport: HttpTransport) -> list[str]:
    """The models the target lists at GET /models (none when it lists none); TargetError when unreachable."""
    request = transport.build("GET", "/models", "/models")
    try:
        exchange = transport.send(request)
    except TransportError as exc:
        raise TargetError(f"the target at {transport.base_url} cannot be reached: {exc.message}") from exc
    if exchange.status != 200:
        return []
    try:
        data = exchange.json().get("data", [])
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m][:_MAX_MODELS]
    except (ValueError, AttributeError, TypeError):
        return []


@dataclass(frozen=True, slots=True)
class NoRoute:
    """How the target answers a route it does not have, to tell "no such route" from "no such item"."""

    status: int | None = None  # None: the target said nothing useful about a missing route
    body: bytes = b""  # the answer with the request's path taken out

    @classmethod
    def discover(cls, transport: HttpTransport) -> NoRoute:
        """Ask for a route no server has."""
        try:
            exchange = transport.send(transport.build("POST", _NO_SUCH_ROUTE, _NO_SUCH_ROUTE, body={}))
        except TransportError:
            return cls()
        if exchange.status in (404, 405):
            return cls(exchange.status, _normalise(exchange, _NO_SUCH_ROUTE))
        return cls()

    def matches(self, exchange: Exchange) -> bool:
        """Whether ``exchange`` looks like the answer for a route the target lacks."""
        if exchange.status == 405:
            return True
        if exchange.status != 404:
            return False
        if self.status is not None:
            return self.status == 404 and _normalise(exchange, exchange.request.path) == self.body
        return not _api_error_body(exchange)


def _normalise(exchange: Exchange, path: str) -> bytes:
    """The body with the request's path taken out, so answers for different routes compare equal."""
    body = exchange.body[:4096]
    for text in (exchange.request.url, exchange.request.path, path):
        if text:
            body = body.replace(text.encode(), b"<path>")
    return body


def _api_error_body(exchange: Exchange) -> bool:
    """Whether the body is a JSON object that speaks as an API error (envelope or flat)."""
    try:
        body = exchange.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    return isinstance(error, dict) or "message" in body or isinstance(error, str)
