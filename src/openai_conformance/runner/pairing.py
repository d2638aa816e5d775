"""Pairing: every request sent to the target (a proxy) goes to its upstream too, in the same order.

The upstream gets the same method, path, query and body bytes; only what belongs to each side
differs: the target's key and ``--header`` values are replaced by the upstream's. Resources the two
sides create get different ids, so a request that names an id the target created names the
upstream's own id on the upstream side: :class:`IdMap` learns the pairs from the two answers to the
same request and rewrites later upstream requests with them.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from openai_conformance.errors import TransportError
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport, join_url
from openai_conformance.validation.proxy import Declarations

__all__ = ["IdMap", "Pairing"]

_MIN_ID = 6  # shorter strings are never taken for ids: replacing them could touch anything
_MAX_IDS = 10_000  # the oldest pairs are forgotten beyond this


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def _id_pairs(target: Any, upstream: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(target id, upstream id) at the same places of two answers of the same shape."""
    if isinstance(target, dict) and isinstance(upstream, dict):
        for name, value in target.items():
            if name in upstream:
                yield from _id_pairs(value, upstream[name], name)
    elif isinstance(target, list) and isinstance(upstream, list):
        for mine, theirs in zip(target, upstream, strict=False):
            yield from _id_pairs(mine, theirs, key[:-1] if key.endswith("_ids") else key)
    elif (
        isinstance(target, str)
        and isinstance(upstream, str)
        and _is_id_key(key)
        and target != upstream
        and min(len(target), len(upstream)) >= _MIN_ID
    ):
        yield target, upstream


class IdMap:
    """The target's ids of created resources, each with the upstream's id of its twin."""

    def __init__(self) -> None:
        self._pairs: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pairs)

    def get(self, target_id: str) -> str | None:
        return self._pairs.get(target_id)

    def learn(self, target: Exchange, upstream: Exchange) -> None:
        """The ids of two successful JSON answers to the same request, paired by place."""
        if not (200 <= target.status < 300 and 200 <= upstream.status < 300) or target.events is not None:
            return
        try:
            mine, theirs = target.json(), upstream.json()
        except ValueError:
            return
        with self._lock:
            for target_id, upstream_id in _id_pairs(mine, theirs):
                self._pairs[target_id] = upstream_id
                self._pairs.move_to_end(target_id)
            while len(self._pairs) > _MAX_IDS:
                self._pairs.popitem(last=False)

    def rewrite(self, text: str) -> str:
        """``text`` with every target id it names replaced by the upstream's."""
        with self._lock:
            found = [(mine, theirs) for mine, theirs in self._pairs.items() if mine in text]
        for mine, theirs in sorted(found, key=lambda pair: -len(pair[0])):
            text = text.replace(mine, theirs)
        return text

    def rewrite_bytes(self, data: bytes) -> bytes:
        with self._lock:
            found = [(m.encode(), t.encode()) for m, t in self._pairs.items() if m.encode() in data]
        for mine, theirs in sorted(found, key=lambda pair: -len(pair[0])):
            data = data.replace(mine, theirs)
        return data


class Pairing:
    """Sends the upstream's copy of each request the target gets, and learns the ids they create."""

    def __init__(
        self,
        upstream: HttpTransport,
        *,
        target_key: str | None,
        target_headers: dict[str, str],
        deterministic: bool = False,
        declarations: Declarations,
    ) -> None:
        self.upstream = upstream
        self.declarations = declarations  # what the spec declares, for fields the proxy drops
        self.deterministic = deterministic  # the upstream answers the same request the same way
        self.ids = IdMap()
        # The upstream's address in reproductions, where it is not the run's own (the embedded
        # upstream: the address the proxy forwards to, which `serve --port` serves again).
        self.shown: tuple[str, str] | None = None
        self._target_auth = f"Bearer {target_key}" if target_key else None
        self._target_headers = {name.lower(): value for name, value in target_headers.items()}

    def close(self) -> None:
        self.upstream.close()

    def request_for(self, request: Request, target: HttpTransport) -> Request | None:
        """The upstream's copy of ``request`` (None when it was not sent to the target's API base)."""
        base = join_url(target.base_url, target.api_prefix, "")
        if not request.url.startswith(base):
            return None
        ids = self.ids
        rest = ids.rewrite(request.url[len(base) :]) if len(ids) else request.url[len(base) :]
        headers: dict[str, str] = {}
        keyed = False
        for name, value in request.headers.items():
            lower = name.lower()
            if lower == "authorization" and value == self._target_auth:
                keyed = True  # the target's key: the upstream gets its own
            elif self._target_headers.get(lower) != value:  # not a --header of the target's
                headers[name] = value
        for name, value in self.upstream.base_headers(auth=keyed).items():
            headers[name] = value
        content = ids.rewrite_bytes(request.content) if len(ids) and request.content else request.content
        json_body = request.json_body
        if content is not request.content and json_body is not None:
            with contextlib.suppress(ValueError):
                json_body = json.loads(content)
        files = request.files
        if files is not None and len(ids):
            files = {k: ids.rewrite(v) if isinstance(v, str) else v for k, v in files.items()}
        return replace(
            request,
            url=join_url(self.upstream.base_url, self.upstream.api_prefix, "") + rest,
            path=ids.rewrite(request.path) if len(ids) else request.path,
            headers=headers,
            content=content,
            json_body=json_body,
            files=files,
        )

    def pair(self, exchange: Exchange, target: HttpTransport, *, stream: bool) -> None:
        """Send the upstream's copy of the request ``exchange`` answers; keep its answer on ``exchange``."""
        copy = self.request_for(exchange.request, target)
        if copy is None:
            return
        try:
            answer = self.upstream.send(copy, stream=stream)
        except TransportError as exc:
            exchange.upstream_error = f"the upstream gave no answer: {exc.message}"
            return
        exchange.upstream = answer
        self.ids.learn(exchange, answer)
