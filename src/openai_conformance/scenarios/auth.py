"""The key is enforced: without one, or with a wrong one, the target answers 401 (with --expect-auth)."""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.errors import TransportError
from openai_conformance.scenarios.base import Scenario, ScenarioContext, ScenarioFinding
from openai_conformance.transport.curl import WRONG_KEY
from openai_conformance.validation.registry import register

__all__ = ["NOT_ENFORCED", "SCENARIOS"]

NOT_ENFORCED = register(
    "auth.not_enforced",
    "error",
    "Without a key, or with a wrong one, the target answers 401.",
    "API reference, Authentication: requests carry `Authorization: Bearer KEY`",
)


def _auth(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    if not ctx.expect_auth:
        return
    # The reproduction sends what was sent: no key, or the wrong key itself (never the valid one).
    for what, key in (("no key", None), ("a wrong key", WRONG_KEY)):
        request = ctx.request("GET", "/models", auth=False, about=what)
        if key:
            request.headers["Authorization"] = f"Bearer {key}"
        try:
            exchange = ctx.send(request)
        except TransportError:
            continue
        if exchange.status != 401:
            yield NOT_ENFORCED.violation(f"a request with {what} got {exchange.status}, not 401"), exchange
        else:
            yield from ctx.check(exchange, "listModels", valid_request=False)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "auth.required",
        "listModels",
        "no key or a wrong key gets 401 (with --expect-auth)",
        _auth,
        needs_models=False,
    ),
)
