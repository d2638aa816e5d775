"""Events in, results out: one operation's answers folded into its result, and the run's into a RunResult.

This is the one place that decides outcomes: passed, failed, warned, unsupported (every answer said
"no such route"), error (nothing could be tested), skipped; a run's interruption, its time budget and
whether the target could be tested at all. The CLI and the pytest plugin both read their results from
a :class:`RunCollector`, so they cannot disagree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from openai_conformance.capabilities import MISSING
from openai_conformance.events import CaseJudged, Event, OperationFinished, RunFinished, RunStarted
from openai_conformance.openapi.operations import Operation
from openai_conformance.results.info import Settings
from openai_conformance.results.models import Finding, OperationResult, Outcome, RunResult

__all__ = ["OperationRecorder", "RunCollector", "not_run"]

UNSUPPORTED_NOTE = "every request was answered 404/405: the target does not implement this operation"


class OperationRecorder:
    """Folds one operation's :class:`CaseJudged` events into its :class:`OperationResult`."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.result = OperationResult(
            operation.operation_id, operation.method, operation.path, operation.tags
        )
        self._started = time.monotonic()

    def record(self, event: CaseJudged) -> None:
        result = self.result
        if event.error is not None:
            result.add_error(event.error)
        if event.status is None:
            return
        result.cases += 1
        result.statuses[event.status] += 1
        result.bare_not_found += event.no_route
        for note in event.notes:
            result.add_error(note)
        for violation in event.violations:
            result.add(violation, status=event.status, curl=event.curl, request_size=event.request_size)

    @property
    def unsupported(self) -> bool:
        """Whether every answer so far said "no such route" (404/405 like a route that cannot exist).

        A 404 that differs from the target's answer for a route that cannot exist (say, "no such
        assistant") means the route is there.
        """
        statuses = self.result.statuses
        answered = sum(statuses.values())
        not_routed = statuses.get(405, 0) + statuses.get(404, 0)
        return bool(answered) and not_routed == answered and self.result.bare_not_found == answered

    def finish(
        self,
        *,
        error: bool = False,
        note: str | None = None,
        interrupted: str | None = None,
        capability: str | None = None,
    ) -> OperationResult:
        """The result with its outcome decided.

        ``error``: not a single request could be made. ``interrupted``: why the operation stopped
        before its end (Ctrl-C); its outcome is decided from what was seen. ``capability``: the
        --expect capability this operation belongs to, which makes "unsupported" a failure.
        """
        result = self.result
        result.duration = time.monotonic() - self._started
        if note and not result.note:
            result.note = note
        if error:
            result.outcome = Outcome.ERROR
            return result
        if interrupted is not None:
            result.note = f"cut short: {interrupted}"
            result.outcome = Outcome.SKIPPED
            result.conclude()
            return result
        if self.unsupported:
            result.outcome = Outcome.UNSUPPORTED
            result.note = UNSUPPORTED_NOTE
            result.findings.clear()
        else:
            result.outcome = Outcome.SKIPPED
            result.conclude()
        if capability is not None and result.outcome is Outcome.UNSUPPORTED:
            result.outcome = Outcome.FAILED
            result.findings[("capability.missing", "", "")] = _capability_finding(capability, result)
        return result


def _capability_finding(capability: str, result: OperationResult) -> Finding:
    violation = MISSING.violation(
        f"--expect names {capability!r}, but the target does not implement {result.label}"
    )
    return Finding.from_violation(
        violation, status=max(result.statuses, default=404), curl="", request_size=0
    )


def not_run(operation: Operation, note: str) -> OperationResult:
    """The result of an operation that never ran."""
    result = OperationResult(operation.operation_id, operation.method, operation.path, operation.tags)
    result.outcome = Outcome.SKIPPED
    result.note = note
    return result


class RunCollector:
    """Turns a run's events into its :class:`RunResult` (a handler: see :func:`~openai_conformance.events.drive`)."""

    def __init__(self, *, runner: str = "cli") -> None:
        self.runner = runner
        self._run: RunResult | None = None
        self._operations: Sequence[Operation] = ()

    @property
    def result(self) -> RunResult:
        if self._run is None:
            raise RuntimeError("no run has started")
        return self._run

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._operations = event.operations
            self._run = RunResult(
                target=event.target,
                spec=event.spec,
                settings=Settings(options=dict(event.settings), runner=self.runner),
                started_at=event.started_at,
            )
        elif isinstance(event, OperationFinished):
            self.result.operations.append(event.result)
        elif isinstance(event, RunFinished):
            self._finish(event)

    def _finish(self, event: RunFinished) -> None:
        run = self.result
        run.interrupted = event.interrupted
        run.fatal = event.fatal
        run.duration = event.duration
        run.finished_at = event.finished_at
        run.spec_findings = list(event.spec_findings)
        run.settings = Settings(
            options=run.settings.options, runner=run.settings.runner, drawing=event.drawing
        )
        done = {(op.method, op.path) for op in run.operations}
        if event.not_run:
            run.operations.extend(
                not_run(op, event.not_run) for op in self._operations if (op.method, op.path) not in done
            )
        order = {(op.method, op.path): index for index, op in enumerate(self._operations)}
        run.operations.sort(key=lambda r: order.get((r.method, r.path), len(order)))
        if not run.fatal and run.operations and all(op.outcome is Outcome.ERROR for op in run.operations):
            first = next((e for op in run.operations for e in op.errors), "every request failed")
            run.fatal = f"the target could not be tested: {first}"
