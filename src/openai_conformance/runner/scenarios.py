"""The hand-made scenarios of an operation, run with the operation's transport and judge, told as events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from openai_conformance.errors import TransportError
from openai_conformance.events import CaseJudged
from openai_conformance.openapi.operations import Operation
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    from openai_conformance.runner.operation import OperationRunner

__all__ = ["run_scenarios"]


def run_scenarios(runner: OperationRunner, operation: Operation) -> Iterator[CaseJudged]:
    """Every scenario of ``operation``: one event per answer (with the violations found in it), and one
    per request that could not be made."""
    from openai_conformance.generation.models import models_for
    from openai_conformance.validation.probes import ProbeContext, probes_for
    from openai_conformance.validation.scenarios import SCENARIOS, ScenarioContext

    models = runner.source.models
    sent: list[Exchange] = []
    transport = runner.transport

    def judge(exchange: Exchange, operation_id: str, valid: bool) -> Iterator[Violation]:
        return runner.judge.judge(exchange, operation_id, valid_request=valid)

    probe_context = ProbeContext(
        transport=transport,
        models=lambda operation_id: models_for(operation_id, models) if models else [],
        judge=judge,
        expect_auth=runner.config.expect_auth,
        on_exchange=sent.append,
    )
    runs: list[tuple[str, Any]] = [
        (p.id, lambda p=p: p.run(probe_context)) for p in probes_for(operation.operation_id)
    ]
    if models:

        def send(method: str, path: str, body: Any, stream: bool) -> Exchange:
            request = transport.build(method, path, path, body=body, media_type="application/json")
            exchange = transport.send(request, stream=stream)
            sent.append(exchange)
            return exchange

        embedding = models_for("createEmbedding", models)
        scenario_context = ScenarioContext(
            send=send,
            check=lambda exchange, operation_id: judge(exchange, operation_id, True),
            chat_model=models_for("createChatCompletion", models)[0],
            embedding_model=embedding[0] if embedding else None,
            completion_model=models_for("createCompletion", models)[0],
            max_tokens=runner.config.max_tokens,
        )
        runs += [
            (s.id, lambda s=s: s.run(scenario_context))
            for s in SCENARIOS
            if s.operation_id == operation.operation_id
        ]
    for name, start in runs:
        if runner.budget.past():
            return
        sent.clear()
        found: dict[int, list[Violation]] = {}
        error: str | None = None
        try:
            for violation, exchange in start():
                found.setdefault(id(exchange), []).append(violation)
                if not any(exchange is other for other in sent):
                    sent.append(exchange)
        except TransportError as exc:
            error = f"{name}: {exc.message}"
        except Exception as exc:  # a scenario that breaks is a tool error, never a verdict
            error = f"{name} failed: {type(exc).__name__}: {exc}"
        for exchange in list(sent):
            yield runner.answered(operation, name, exchange, found.get(id(exchange), []))
        if error is not None:
            yield CaseJudged(operation=operation, source=name, status=None, error=error)
