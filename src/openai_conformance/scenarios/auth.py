"""The key is enforced consistently: a target that refuses a request without a key refuses a wrong key too.

On every run a request without a key goes to ``GET /models``. When the target refuses it with 401,
a request with a wrong key must be refused the same way, 401 with the error envelope (a server that
checks only that *some* key is present lets anyone in). When the target accepts a request without a
key although the run was given one, the report says that the target does not require a key; that is
a violation only with ``--expect-auth``, which also wants both requests refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.errors import TransportError
from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios
from openai_conformance.transport.curl import WRONG_KEY
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import check

__all__ = ["NO_KEY_NEEDED", "SCENARIOS", "auth_enforced"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_CREDENTIAL_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})
NO_KEY_NEEDED = "the target does not require a key: a request without one was accepted"


def _send(ctx: ScenarioContext, key: str | None) -> Exchange:
    """GET /models with no credential at all, or with ``key`` as the bearer token. The reproduction
    sends what was sent: no key, or the wrong key itself (never the valid one)."""
    request = ctx.request("GET", "/models", auth=False, about="a wrong key" if key else "no key")
    for name in [name for name in request.headers if name.lower() in _CREDENTIAL_HEADERS]:
        del request.headers[name]
    if key is not None:
        request.headers["Authorization"] = f"Bearer {key}"
    return ctx.send(request)


def _refused(ctx: ScenarioContext, key: str | None, what: str, why: str) -> Iterator[ScenarioFinding]:
    """A 401 is judged as the error answer it is; anything else breaks the rule (no answer: the engine
    records the request as untested)."""
    try:
        exchange = _send(ctx, key)
    except TransportError:
        return
    yield from auth_enforced(ctx, exchange, what, why)


@check("auth.not_enforced", "error")
def auth_enforced(ctx: ScenarioContext, exchange: Exchange, what: str, why: str) -> Iterator[ScenarioFinding]:
    """Without a key, or with a wrong one, the target answers 401.

    Reference: API reference, Authentication: requests carry `Authorization: Bearer KEY`
    Why: checking the key is the server's, before any model runs; a target that refuses a request
        without a key must refuse a wrong key too
    """
    if exchange.status == 401:
        yield from ctx.check(exchange, "listModels", valid_request=False)
    else:
        yield auth_enforced.violation(f"a request with {what} got {exchange.status}, not 401{why}"), exchange


@scenario(
    "auth.required",
    "listModels",
    "a wrong key gets 401 when a missing key does; no key and a wrong key get 401 with --expect-auth",
    model_for=None,
)
def _auth(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    try:
        keyless = _send(ctx, None)
    except TransportError:
        return  # recorded as untested, with its reproduction
    if keyless.status == 401:
        yield from ctx.check(keyless, "listModels", valid_request=False)
        why = ", although a request without a key was refused with 401"
        yield from _refused(ctx, WRONG_KEY, "a wrong key", why)
        return
    if ctx.expect_auth:
        yield from auth_enforced(ctx, keyless, "no key", " (--expect-auth)")
        yield from _refused(ctx, WRONG_KEY, "a wrong key", " (--expect-auth)")
        return
    if ctx.keyed and 200 <= keyless.status < 300:
        ctx.note(NO_KEY_NEEDED)
