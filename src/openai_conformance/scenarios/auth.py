"""The key is enforced: without one, or with a wrong one, the target answers 401 (with --expect-auth)."""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.scenarios.base import Scenario, ScenarioContext, ScenarioFinding
from openai_conformance.validation.registry import register

__all__ = ["NOT_ENFORCED", "SCENARIOS"]

NOT_ENFORCED = register(
    "auth.not_enforced",
    "error",
    "Without a key, or with a wrong one, the target answers 401.",
    "API reference, Authentication: requests carry `Authorization: Bearer KEY`",
    why="checking the key is the server's, before any model runs; a target that refuses a request without a key must refuse a wrong key too",
)

_WRONG_KEY = "sk-openai-conformance-wrong-key"


def _auth(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    if not ctx.expect_auth:
        return
    for what, key in (("no key", None), ("a wrong key", _WRONG_KEY)):
        request = ctx.request("GET", "/models", auth=False)
        if key:
            request.headers["Authorization"] = f"Bearer {key}"
        exchange = ctx.send(request)
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
