"""The hand-made scenarios of an operation, run with the operation's transport and judge, told as events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from openai_conformance.errors import TransportError
from openai_conformance.events import CaseJudged
from openai_conformance.openapi.operations import Operation
from openai_conformance.scenarios import ScenarioContext, fit_models, scenarios_for
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    from openai_conformance.runner.operation import OperationRunner

__all__ = ["run_scenarios"]


def run_scenarios(
    runner: OperationRunner, operation: Operation, notes: list[str] | None = None
) -> Iterator[CaseJudged]:
    """Every scenario of ``operation``: one event per answer, with the violations found in it, and one
    per scenario whose request got no answer (or that broke), naming the scenario. What the scenarios
    say about the target (not violations) is added to ``notes``."""
    models = runner.source.models
    sent: list[Exchange] = []
    context = ScenarioContext(
        transport=runner.transport,
        judge=runner.judge,
        models=fit_models(models),
        max_tokens=runner.config.max_tokens,
        expect_auth=runner.config.expect_auth,
        on_answer=sent.append,
        notes=notes if notes is not None else [],
    )
    for scenario in scenarios_for(operation.operation_id, models=bool(models)):
        if runner.budget.past():
            return
        sent.clear()
        found: dict[int, list[Violation]] = {}
        error: str | None = None
        refused: TransportError | None = None
        try:
            for violation, exchange in scenario.run(context):
                found.setdefault(id(exchange), []).append(violation)
                if not any(exchange is other for other in sent):
                    sent.append(exchange)
        except TransportError as exc:  # named by the scenario: "errors.invalid.createChatCompletion: …"
            error = f"{scenario.id}: {exc.message}"
            refused = exc if exc.exchange is not None else None
        except Exception as exc:  # a scenario that breaks is a tool error, never a verdict
            error = f"{scenario.id} failed: {type(exc).__name__}: {exc}"
        for exchange in list(sent):
            yield runner.answered(operation, scenario.id, exchange, found.get(id(exchange), []))
        if refused is not None and refused.exchange is not None and error is not None:
            yield runner.unusable(operation, scenario.id, refused, refused.exchange.request, error)
        elif error is not None:
            yield CaseJudged(operation=operation, source=scenario.id, status=None, error=error)
