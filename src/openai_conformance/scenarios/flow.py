"""The steps every workflow is made of: send and judge, require an object or an id, poll, re-read a list.

A step is a generator that yields the findings of its answer and returns what the workflow needs
next (``answer = yield from send(...)``). A workflow that cannot go on (a create answered 500, or
without an id) raises :class:`~openai_conformance.scenarios.base.Stopped` saying what it left untested;
the answers before were judged and are kept. Every loop is bounded in requests and in time
(``ScenarioContext.max_wait``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from openai_conformance.scenarios.base import (
    ScenarioContext,
    ScenarioFinding,
    Stopped,
    Unimplemented,
    json_object,
)
from openai_conformance.scenarios.state import TERMINAL, check_gone, check_listed, check_transition
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.violations import Violation

__all__ = [
    "Step",
    "deleted",
    "gone",
    "ids_of",
    "listed",
    "need",
    "need_id",
    "no_route",
    "object_of",
    "poll",
    "send",
    "tell",
]

#: A step of a workflow: yields findings, returns its value.
Step = Generator[ScenarioFinding, None, Any]

_MAX_POLLS = 40  # at most this many retrieves while waiting for one lifecycle
_FIRST_PAUSE = 0.05  # seconds before the second poll; doubled after each, up to _LONGEST_PAUSE
_LONGEST_PAUSE = 1.0


def send(
    ctx: ScenarioContext,
    method: str,
    path: str,
    operation_id: str,
    *,
    template: str | None = None,
    body: Any = None,
    multipart: bool = False,
    query: dict[str, Any] | None = None,
    judge: bool = True,
    missing_route_ends: bool = True,
) -> Generator[ScenarioFinding, None, Exchange]:
    """Send one request and judge its answer with ``operation_id``'s per-answer checks.

    An answer like the target's for a route that does not exist ends the workflow
    (:class:`Unimplemented`), unjudged, unless ``missing_route_ends`` is false."""
    media_type = "multipart/form-data" if multipart else "application/json" if body is not None else None
    request = ctx.request(method, path, body, template=template, media_type=media_type, query=query)
    exchange = ctx.send(request)
    if missing_route_ends and no_route(ctx, exchange):
        raise Unimplemented(f"{method} {template or path}")
    if judge:
        yield from ctx.check(exchange, operation_id)
    return exchange


def no_route(ctx: ScenarioContext, exchange: Exchange) -> bool:
    """Whether an answer is the target's answer for a route it lacks."""
    return exchange.status in (404, 405) and ctx.no_route is not None and ctx.no_route(exchange)


def object_of(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON object of a 2xx answer, or None."""
    return json_object(exchange) if 200 <= exchange.status < 300 else None


def need(exchange: Exchange, step: str, untested: str) -> dict[str, Any]:
    """The object a 2xx answer holds; :class:`Stopped` (naming what is left untested) otherwise."""
    body = object_of(exchange)
    if body is None:
        said = (
            f"answered {exchange.status}" if not 200 <= exchange.status < 300 else "answered no JSON object"
        )
        raise Stopped(f"{step} {said}, so {untested} could not be tested")
    return body


def need_id(exchange: Exchange, step: str, untested: str) -> tuple[dict[str, Any], str]:
    """The object of a create's answer and the id it carries; :class:`Stopped` without one."""
    body = need(exchange, step, untested)
    found = body.get("id")
    if not isinstance(found, str) or not found:
        raise Stopped(f"{step} answered no id, so {untested} could not be tested")
    return body, found


def tell(violations: Iterable[Violation], exchange: Exchange) -> Iterator[ScenarioFinding]:
    """Each violation with the answer that shows it."""
    for violation in violations:
        yield violation, exchange


def ids_of(page: dict[str, Any]) -> list[str]:
    """The ids of a list answer's items."""
    data = page.get("data")
    items = data if isinstance(data, list) else []
    return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]


def _pauses(ctx: ScenarioContext, count: int) -> Iterator[int]:
    """Up to ``count`` attempts, pausing between them (doubling) while ``ctx.max_wait`` lasts."""
    deadline = time.monotonic() + ctx.max_wait
    pause = _FIRST_PAUSE
    for attempt in range(count):
        yield attempt
        if time.monotonic() + pause > deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


def poll(
    ctx: ScenarioContext,
    path: str,
    template: str,
    operation_id: str,
    *,
    kind: str,
    what: str,
    start: dict[str, Any],
    each: Callable[[dict[str, Any], Exchange], Iterator[ScenarioFinding]] | None = None,
    until: Iterable[str] = (),
) -> Generator[ScenarioFinding, None, dict[str, Any]]:
    """Retrieve the ``kind`` object at ``path`` until its status is final (or one of ``until``) or
    ``ctx.max_wait`` is over; every move is judged against the documented transitions. Returns the
    last answer's object."""
    last = start
    stop = TERMINAL | set(until)
    for _ in _pauses(ctx, _MAX_POLLS):
        if last.get("status") in stop:
            break
        exchange = yield from send(ctx, "GET", path, operation_id, template=template)
        body = need(exchange, f"GET {template}", f"the rest of the {what}'s lifecycle")
        yield from tell(check_transition(kind, what, last.get("status"), body.get("status")), exchange)
        if each is not None:
            yield from each(body, exchange)
        last = body
    return last


def listed(
    ctx: ScenarioContext,
    path: str,
    operation_id: str,
    *,
    what: str,
    present: Iterable[str] = (),
    absent: Iterable[str] = (),
    query: dict[str, Any] | None = None,
    template: str | None = None,
) -> Generator[ScenarioFinding, None, dict[str, Any] | None]:
    """Read the list at ``path`` (the spec's ``template`` when it names a parent) until it has
    ``present`` and lacks ``absent``, re-reading it while ``ctx.max_wait`` lasts (lists may lag); what
    is still wrong then is a warning. Returns the last page."""
    want, unwanted = set(present), set(absent)
    page: dict[str, Any] | None = None
    missing: set[str] = set()
    still: set[str] = set()
    last: Exchange | None = None
    for _ in _pauses(ctx, 8):
        exchange = yield from send(ctx, "GET", path, operation_id, query=query, template=template)
        page = object_of(exchange)
        if page is None:
            return None  # the per-answer checks judged it
        ids = set(ids_of(page))
        # Beyond the first page an item may be missing legitimately: only a last page shows absence.
        missing = set() if page.get("has_more") is True else want - ids
        still = unwanted & ids
        if not missing and not still:
            return page
        last = exchange
    if last is None:
        return page
    waited = f"after re-reading it for {ctx.max_wait:g} s"
    for violation in check_listed(f"GET {path} {waited}", what, missing, still):
        yield violation, last
    return page


def gone(
    ctx: ScenarioContext, method: str, path: str, template: str, operation_id: str, what: str
) -> Generator[ScenarioFinding, None, bool]:
    """A look-up of a deleted resource: 404, with the error envelope (judged as any 4xx answer).
    Returns whether it was refused (a resource still there is found here, not again in its list)."""
    exchange = yield from send(
        ctx, method, path, operation_id, template=template, judge=False, missing_route_ends=False
    )
    if 400 <= exchange.status < 500 and not no_route(ctx, exchange):
        yield from ctx.check(exchange, operation_id)
    yield from tell(check_gone(exchange, f"{method} {path} ({what})"), exchange)
    return 400 <= exchange.status < 500


def deleted(
    ctx: ScenarioContext, path: str, template: str, delete_id: str, retrieve_id: str, what: str
) -> Generator[ScenarioFinding, None, bool]:
    """DELETE ``path``, then the resource is gone: a retrieve and a second delete are refused (see
    :func:`gone`). Returns whether the retrieve was refused."""
    exchange = yield from send(ctx, "DELETE", path, delete_id, template=template)
    need(exchange, f"DELETE {path}", "that it is gone")
    refused = yield from gone(ctx, "GET", path, template, retrieve_id, what)
    yield from gone(ctx, "DELETE", path, template, delete_id, what)
    return refused
