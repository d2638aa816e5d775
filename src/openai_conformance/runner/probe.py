"""What the target tells before the run: where its API is, its models, its "no such route", and a diagnosis.

Before anything is judged, the run looks at a few answers: ``GET {base}/models`` and
``GET {base}/v1/models`` (so ``--base-url`` works with or without ``/v1``: the prefix is decided by
what answers, not assumed), and a route that cannot exist, once per method. From them it decides
where requests go, which models to name, how the target says "no such route" — and whether it can
be tested at all: a target that refuses every request (401/403) or that is not an OpenAI API ends
the run with one sentence (:class:`~openai_conformance.errors.TargetError`), and a target that lists
no model gets a sentence saying which option to pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from openai_conformance.errors import TargetError, TransportError
from openai_conformance.runner.target import NoRoute, framework_not_found
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.http import HttpTransport

__all__ = ["TargetProbe", "list_models", "probe_target"]

_MAX_MODELS = 50
_REFUSED = (401, 403)


@dataclass(slots=True)
class TargetProbe:
    """What the probes found: where the API is, its models, its no-route answers, what to tell the user."""

    api_base: str  # the URL the spec's paths are appended to
    models: list[str]
    no_route: NoRoute
    example_request: str = ""  # "GET http://…/v1/models": where requests went
    diagnosis: list[str] = field(default_factory=list)


def list_models(exchange: Exchange | None) -> list[str] | None:
    """The model ids of a ``GET /models`` answer, or None when it is not a model list."""
    if exchange is None or exchange.status != 200:
        return None
    try:
        body = exchange.json()
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m][:_MAX_MODELS]


def _shown(exchange: Exchange) -> str:
    media = exchange.content_type or "no content type"
    return f"{exchange.status} ({media})"


def _get(transport: HttpTransport, url: str) -> Exchange:
    request = transport.build("GET", "/models", "/models")
    request.url = url
    return transport.send(request)


def _locate(transport: HttpTransport) -> tuple[str, Exchange]:
    """The API base (with or without the spec's prefix) and its answer to ``GET /models``."""
    base = transport.base_url.rstrip("/")
    prefix = transport.api_prefix
    # The spec's own prefix first: it wins a tie.
    candidates = [base] if not prefix or base.endswith(prefix) else [base + prefix, base]
    answers: list[tuple[str, Exchange]] = []
    failure: TransportError | None = None
    for candidate in candidates:
        try:
            answers.append((candidate, _get(transport, candidate + "/models")))
        except TransportError as exc:
            failure = failure or exc
    if not answers:
        assert failure is not None
        raise TargetError(f"the target at {transport.base_url} cannot be reached: {failure.message}")
    for rank in (_lists_models, _refuses, _answers_there):
        for candidate, exchange in answers:
            if rank(exchange):
                return candidate, exchange
    return answers[0]


def _lists_models(exchange: Exchange) -> bool:
    return list_models(exchange) is not None


def _refuses(exchange: Exchange) -> bool:
    return exchange.status in _REFUSED


def _answers_there(exchange: Exchange) -> bool:
    """An answer other than "no such route": the API is there, whatever it said."""
    if exchange.status in (404, 405):
        return framework_not_found(exchange) is None and exchange.status != 405 and _is_json(exchange)
    return True


def _is_json(exchange: Exchange) -> bool:
    media = exchange.content_type
    return media == "application/json" or media.endswith("+json")


def probe_target(transport: HttpTransport, methods: Iterable[str], models: Iterable[str] = ()) -> TargetProbe:
    """Probe the target, decide where its API is, and point ``transport`` there.

    ``models``: those the user named (``--model``); without any, the target's list is used. Raises
    :class:`TargetError` when the target cannot be reached, refuses every request, or is no API.
    """
    api_base, listing = _locate(transport)
    transport.base_url, transport.api_prefix = api_base, ""
    seen: dict[str, Exchange] = {}
    no_route = NoRoute.discover(transport, {*methods, "GET"}, seen)
    _diagnose_fatal(api_base, listing, seen.get("GET"))
    given = list(models)
    listed = list_models(listing)
    probe_result = TargetProbe(
        api_base=api_base,
        models=given or listed or [],
        no_route=no_route,
        example_request=f"GET {listing.request.url}",
    )
    if listing.content_type == "text/html":
        probe_result.diagnosis.append(
            f"GET {listing.request.url} answered {_shown(listing)}: a web page, not an OpenAI API's answer"
        )
    if not given and not listed:
        said = "lists no model" if listed is not None else f"answered {_shown(listing)}"
        probe_result.diagnosis.append(
            f"GET {listing.request.url} {said}: requests name no model the target serves and the "
            "scenarios that need one are skipped; pass --model ID (repeatable) with the id of a model "
            "the target serves"
        )
    return probe_result


def _diagnose_fatal(api_base: str, listing: Exchange, no_route: Exchange | None) -> None:
    """End the run with one sentence when nothing could be judged: refused, or not an OpenAI API."""
    refused = listing.status in _REFUSED and (no_route is None or no_route.status in _REFUSED)
    if refused:
        raise TargetError(
            f"the target refused every request (GET {listing.request.url}: {listing.status}, and so "
            "did a route that cannot exist): check --api-key / --header"
        )
    listed = list_models(listing) is not None
    if 200 <= listing.status < 300 and not listed and no_route is not None and 200 <= no_route.status < 300:
        raise TargetError(
            f"the target at {api_base} is not an OpenAI API: GET /models answered "
            f"{_shown(listing)} without a model list, and a route that cannot exist answered "
            f"{_shown(no_route)} too (is the base URL that of a web page or of another API?)"
        )
