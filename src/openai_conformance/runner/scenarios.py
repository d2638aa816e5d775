"""The hand-made scenarios of an operation, run with the operation's transport and judge, told as events."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from openai_conformance.errors import TransportError
from openai_conformance.events import CaseJudged
from openai_conformance.openapi.operations import Operation
from openai_conformance.runner.compare import Replay
from openai_conformance.scenarios import scenarios_for
from openai_conformance.scenarios.base import Scenario, ScenarioContext, Stopped, Unimplemented, fit_models
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    from openai_conformance.runner.operation import OperationRunner

__all__ = ["run_scenarios"]


def run_scenarios(
    runner: OperationRunner, operation: Operation, notes: list[str] | None = None
) -> Iterator[CaseJudged]:
    """Every scenario of ``operation``: one event per answer, with the violations found in it, one per
    request that got no answer (with its reproduction, naming the scenario), and one per scenario
    that broke. An answer to a workflow's step that called another operation of the run is that
    operation's (``sent_by`` names ``operation``). What the scenarios say about the target (not
    violations) is added to ``notes``."""
    models = runner.source.models
    sent: list[Exchange] = []
    unanswered: list[tuple[Request, str]] = []
    context = ScenarioContext(
        transport=runner.transport,
        judge=runner.judge,
        models=fit_models(models),
        max_tokens=runner.config.max_tokens,
        expect_auth=runner.config.expect_auth,
        max_wait=runner.config.max_wait,
        no_route=runner.no_route.matches,
        on_answer=sent.append,
        notes=notes if notes is not None else [],
        on_unanswered=lambda request, message: unanswered.append((request, message)),
    )
    for scenario in scenarios_for(operation.operation_id, models=bool(models)):
        if runner.budget.past() or runner.transport.down is not None:
            return
        sent.clear()
        unanswered.clear()
        found: dict[int, list[Violation]] = {}
        error: str | None = None
        refused: TransportError | None = None
        try:
            for violation, exchange in scenario.run(context):
                found.setdefault(id(exchange), []).append(violation)
                if not any(exchange is other for other in sent):
                    sent.append(exchange)
        except TransportError as exc:  # the request is among ``unanswered``, with its reproduction
            refused = exc if exc.exchange is not None else None
        except Unimplemented:  # that step's operation is reported unsupported by its own requests
            pass
        except Stopped as stop:  # a workflow that could not go on: what it left untested is said
            error = f"{scenario.id} stopped: {stop.reason}"
        except Exception as exc:  # a scenario that breaks is a tool error, never a verdict
            error = f"{scenario.id} failed: {type(exc).__name__}: {exc}"
        theirs, unreplayed = (
            _replayed(runner, scenario, context, sent) if runner.transport.pairing is not None else ({}, None)
        )
        for exchange in list(sent):
            mine = found.get(id(exchange), [])
            upstream = exchange.upstream
            step = runner.step_of(operation, exchange.request)  # a workflow's step counts under its own
            if upstream is None or id(upstream) not in theirs:
                said = () if upstream is None or unreplayed is None else (f"{scenario.id}: {unreplayed}",)
                event = runner.answered(step or operation, scenario.id, exchange, mine, notes=said)
            else:
                event = runner.answered(
                    step or operation, scenario.id, exchange, mine, upstream_violations=theirs[id(upstream)]
                )
            yield event if step is None else dataclasses.replace(event, sent_by=operation)
        for k, (request, message) in enumerate(unanswered):  # named by the scenario: "errors.invalid.…: …"
            text = f"{scenario.id}: {message}"
            step = runner.step_of(operation, request)
            if refused is not None and k == len(unanswered) - 1:  # the request that ended the scenario
                event = runner.unusable(step or operation, scenario.id, refused, request, text)
            else:
                event = runner.failed(step or operation, scenario.id, request, text)
            yield event if step is None else dataclasses.replace(event, sent_by=operation)
        if error is not None:
            yield CaseJudged(operation=operation, source=scenario.id, status=None, error=error)


def _replayed(
    runner: OperationRunner, scenario: Scenario, context: ScenarioContext, sent: list[Exchange]
) -> tuple[dict[int, list[Violation]], str | None]:
    """What ``scenario`` finds in the upstream's answers to its requests, by answer (``id``), and why
    the replay stopped short of some (None when it did not): the scenario's own findings in those
    answers of the proxy are then its own, compared with the upstream's per-answer verdicts only."""
    answers = [exchange.upstream for exchange in sent]
    if not any(answers):
        return {}, None
    replay = Replay(runner.transport, answers)
    seen: list[Exchange] = []
    found: dict[int, list[Violation]] = {}
    again = dataclasses.replace(context, transport=replay, on_answer=seen.append, on_unanswered=None)
    stopped: str | None = None
    try:
        for violation, exchange in scenario.run(again):
            found.setdefault(id(exchange), []).append(violation)
    except TransportError as exc:  # the upstream's answers led the scenario to other requests
        stopped = f"{exc.message}, so the scenario's findings in the rest are not attributed"
    except Exception as exc:  # a scenario that breaks on the upstream's answers: said, never a verdict
        stopped = (
            f"the scenario broke when replayed on the upstream's answers ({type(exc).__name__}: {exc}),"
            " so its findings in the rest are not attributed"
        )
    return {id(exchange): found.get(id(exchange), []) for exchange in seen}, stopped
