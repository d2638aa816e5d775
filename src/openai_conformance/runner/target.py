"""The target: started (the embedded reference server) or reached, and how it answers a route it lacks."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openai_conformance.errors import TransportError
from openai_conformance.openapi.loader import Contract
from openai_conformance.results.info import Target
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.http import HttpTransport

__all__ = ["NO_SUCH_ROUTE", "NoRoute", "embedded_target", "framework_not_found", "open_target"]

NO_SUCH_ROUTE = "/openai-conformance-no-such-route"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SCANNED = 4096  # bytes of a body compared or searched

# The "no such route" pages of web frameworks, JSON or not: what a server answers for a path (or a
# method) it has no handler for, whatever the path. Each is matched against the start of the body.
_FRAMEWORK_PAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Express (HTML or JSON): "Cannot GET /v1/files"
    ("Express", re.compile(r"Cannot (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /")),
    # FastAPI / Starlette: {"detail":"Not Found"} and {"detail":"Method Not Allowed"}, or plain text
    (
        "Starlette",
        re.compile(
            r'^\s*(?:\{\s*"detail"\s*:\s*"(?:Not Found|Method Not Allowed)"\s*\}|Not Found|Method Not Allowed)\s*$'
        ),
    ),
    # Fastify: {"message":"Route GET:/v1/files not found","error":"Not Found","statusCode":404}
    ("Fastify", re.compile(r"Route (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS):/\S* not found")),
    # Go net/http, aiohttp, Hono, Flask/Werkzeug, nginx
    ("Go net/http", re.compile(r"^\s*404 page not found\s*$")),
    ("aiohttp", re.compile(r"^\s*(?:404: Not Found|405: Method Not Allowed)\s*$")),
    ("Hono", re.compile(r"^\s*404 Not Found\s*$")),
    ("Werkzeug", re.compile(r"<title>(?:404 Not Found|405 Method Not Allowed)</title>")),
    ("nginx", re.compile(r"<center>nginx[^<]*</center>")),
    # Spring Boot: {"timestamp":…,"status":404,"error":"Not Found","path":"/v1/files"}
    ("Spring", re.compile(r'"status"\s*:\s*404\s*,\s*"error"\s*:\s*"Not Found"\s*,\s*"path"')),
    # Prism: "Route not resolved, no path matched" / NO_PATH_MATCHED_ERROR / NO_METHOD_MATCHED_ERROR
    ("Prism", re.compile(r"NO_(?:PATH|METHOD)_MATCHED_ERROR|Route not resolved")),
)


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


def framework_not_found(exchange: Exchange) -> str | None:
    """The framework whose "no such route" page this 404/405 answer is, or None."""
    if exchange.status not in (404, 405):
        return None
    text = exchange.body[:_SCANNED].decode("utf-8", "replace")
    for name, pattern in _FRAMEWORK_PAGES:
        if pattern.search(text):
            return name
    return None


@dataclass(frozen=True, slots=True)
class NoRoute:
    """How the target answers a route it does not have, method by method.

    Frameworks put the method in their "no such route" page (Express: ``Cannot GET /v1/files``), so
    the route that cannot exist is asked for with every method the spec uses, and an answer is
    compared with the one for its own method. An answer that is a framework's "no such route" page
    is one too, whatever the probes said; any other 404 (an API error: "no such file") means the
    route is there.
    """

    answers: tuple[tuple[str, int, bytes], ...] = ()  # (method, status, body with the path taken out)

    @classmethod
    def discover(
        cls,
        transport: HttpTransport,
        methods: Iterable[str] = ("POST",),
        seen: dict[str, Exchange] | None = None,
    ) -> NoRoute:
        """Ask for a route no server has, once per method (each answer is put into ``seen``)."""
        answers = []
        for method in sorted({m.upper() for m in methods}):
            body: dict[str, object] | None = {} if method in _BODY_METHODS else None
            try:
                exchange = transport.send(transport.build(method, NO_SUCH_ROUTE, NO_SUCH_ROUTE, body=body))
            except TransportError:
                continue
            if seen is not None:
                seen[method] = exchange
            if exchange.status in (404, 405):
                answers.append((method, exchange.status, _normalise(exchange, NO_SUCH_ROUTE)))
        return cls(tuple(answers))

    def answer_for(self, method: str) -> tuple[int, bytes] | None:
        for known, status, body in self.answers:
            if known == method.upper():
                return status, body
        return None

    def matches(self, exchange: Exchange) -> bool:
        """Whether ``exchange`` looks like the answer for a route the target lacks."""
        if exchange.status == 405:
            return True
        if exchange.status != 404:
            return False
        if framework_not_found(exchange) is not None:
            return True
        known = self.answer_for(exchange.request.method)
        if known is not None:
            return known == (404, _normalise(exchange, exchange.request.path))
        if self.answers:  # no probe of this method: compare with the others, their method taken out
            body = _without_method(_normalise(exchange, exchange.request.path), exchange.request.method)
            return any(
                status == 404 and _without_method(known_body, method) == body
                for method, status, known_body in self.answers
            )
        return not _api_error_body(exchange)


def _normalise(exchange: Exchange, path: str) -> bytes:
    """The body with the request's path and numbers taken out, so answers for different routes compare
    equal (a request id or a time stamp in a framework's page as well). A JSON body is compared by
    its values, so that a path the server escaped in its JSON is taken out too."""
    raw_path = exchange.request.url.split("://", 1)[-1].split("?", 1)[0]
    raw_path = raw_path[raw_path.find("/") :] if "/" in raw_path else ""
    texts = (exchange.request.url, raw_path, urllib.parse.unquote(raw_path), exchange.request.path, path)
    ordered = sorted((t for t in texts if t), key=len, reverse=True)

    def clean(text: str) -> str:
        for known in ordered:
            text = text.replace(known, "<path>")
        return re.sub(r"\d+", "0", text)

    body = exchange.body[:_SCANNED]
    try:
        value = json.loads(body)
    except ValueError:
        return clean(body.decode("utf-8", "replace")).encode()
    return json.dumps(_clean_strings(value, clean), sort_keys=True).encode()


def _clean_strings(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: _clean_strings(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_strings(item, clean) for item in value]
    return value


def _without_method(body: bytes, method: str) -> bytes:
    return body.replace(method.upper().encode(), b"<method>")


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
