"""Events in, results out: one operation's answers folded into its result, and the run's into a RunResult.

This is the one place that decides outcomes (:func:`decide_outcome`): passed, failed, warned,
unsupported (every answer said "no such route"), error (nothing could be tested), skipped; and, for
the run, its interruption, its time budget and whether anything could be tested at all
(:func:`untestable_run`). The CLI and the pytest plugin both read their results from a
:class:`RunCollector`, so they cannot disagree.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openai_conformance.capabilities import missing_capability
from openai_conformance.events import (
    CaseJudged,
    Event,
    OperationFinished,
    RunFinished,
    RunStarted,
    TargetDown,
    UpstreamAnswer,
)
from openai_conformance.openapi.operations import Operation
from openai_conformance.results.evidence import UpstreamEvidence, excerpt_of
from openai_conformance.results.info import Settings, Target
from openai_conformance.results.models import VALID, Finding, OperationResult, Outcome, RunResult
from openai_conformance.results.streams import keep_stream, stream_record

__all__ = ["Decision", "OperationRecorder", "RunCollector", "decide_outcome", "not_run", "untestable_run"]

UNSUPPORTED_NOTE = "every request was answered 404/405: the target does not implement this operation"

_Key = tuple[str, str]  # an operation's (method, path)


@dataclass(frozen=True, slots=True)
class Decision:
    """What an operation's outcome was decided from, besides its answers (see :func:`decide_outcome`):
    kept so that the outcome can be decided again when a later workflow's step adds an answer."""

    note: str = ""  # the operation's note before the outcome's words were added
    nothing_sent: bool = False
    interrupted: str | None = None
    capability: str | None = None
    expect_success: bool = False
    unreached: str | None = None

    def apply(self, result: OperationResult) -> OperationResult:
        """``result``'s outcome, decided from its answers as they are now."""
        result.note = self.note
        return decide_outcome(
            result,
            nothing_sent=self.nothing_sent,
            interrupted=self.interrupted,
            unsupported=_unsupported(result),
            capability=self.capability,
            expect_success=self.expect_success,
            unreached=self.unreached,
        )


def _unsupported(result: OperationResult) -> bool:
    answered = result.answered
    return bool(answered) and result.bare_not_found == answered


class OperationRecorder:
    """Folds one operation's :class:`CaseJudged` events into its :class:`OperationResult` (a new one,
    or ``result``: one finished already, which a later workflow's step adds to)."""

    def __init__(self, operation: Operation, result: OperationResult | None = None) -> None:
        self.operation = operation
        self.result = result or OperationResult(
            operation.operation_id, operation.method, operation.path, operation.tags
        )
        self.decision: Decision | None = None  # set by finish()
        self._started = time.monotonic()

    def record(self, event: CaseJudged) -> None:
        result = self.result
        if event.status is None:
            if event.error is not None:
                result.add_error(event.error)
                if event.curl:  # a request was sent: it counts, and its reproduction is kept
                    result.cases += 1
                    reason = event.error.removeprefix(f"{event.source}: ")
                    result.add_untested(reason, event.curl, event.source)
            return
        if event.error is not None:
            result.add_error(event.error)
        result.cases += 1
        result.statuses[event.status] += 1
        result.judged_2xx += 200 <= event.status < 300 and event.error is None
        result.bare_not_found += event.no_route
        for note in event.notes:
            result.add_error(note)
        exchange = event.exchange
        evidence = None if exchange is None else functools.partial(excerpt_of, exchange)
        upstream = event.upstream
        for n, violation in enumerate(event.violations):
            beside = upstream.pointers[n] if upstream is not None and n < len(upstream.pointers) else None
            result.add(
                violation,
                status=event.status,
                curl=event.curl,
                request_size=event.request_size,
                request=event.request_kind or VALID,
                evidence=evidence,
                upstream=None if beside is None else functools.partial(_upstream_evidence, upstream, beside),
            )
        if exchange is not None:  # in the process that judged: its stream, with its timeline
            stream = stream_record(event.source, exchange, (v.pointer for v in event.violations))
            if stream is not None:
                keep_stream(result.streams, stream)

    @property
    def unsupported(self) -> bool:
        """Whether every answer so far said "no such route" (404/405 like a route that cannot exist).

        A 404 that differs from the target's answer for a route that cannot exist (say, "no such
        assistant") means the route is there.
        """
        return _unsupported(self.result)

    def finish(
        self,
        *,
        error: bool = False,
        note: str | None = None,
        interrupted: str | None = None,
        capability: str | None = None,
        expect_success: bool = True,
        unreached: str | None = None,
    ) -> OperationResult:
        """The result with its outcome decided (see :func:`decide_outcome`)."""
        result = self.result
        result.duration = time.monotonic() - self._started
        if note and not result.note:
            result.note = note
        self.decision = Decision(
            note=result.note,
            nothing_sent=error,
            interrupted=interrupted,
            capability=capability,
            expect_success=expect_success,
            unreached=unreached,
        )
        return self.decision.apply(result)


def decide_outcome(
    result: OperationResult,
    *,
    nothing_sent: bool = False,
    interrupted: str | None = None,
    unsupported: bool = False,
    capability: str | None = None,
    expect_success: bool = False,
    unreached: str | None = None,
) -> OperationResult:
    """The outcome of one operation, from what it showed; in the order the rules apply:

    1. ``nothing_sent``: not a single request could be made → error (could not test).
    2. ``interrupted`` (Ctrl-C): skipped, noted as cut short, with what was seen (not reached, as
       in 5, when nothing it saw was a judged success).
    3. ``unsupported``: every answer was "no such route" → unsupported, never passed or failed;
       with ``capability`` (the --expect capability it belongs to) that is a failure instead.
    4. otherwise from the findings and answers (:meth:`OperationResult.conclude`): failed (an
       error-level finding), warned, error (no answer at all), skipped (nothing sent), passed.
    5. ``expect_success`` (valid requests were sent): "passed" without a single judged 2xx answer is
       not reached instead, noted with ``unreached`` (why, as far as ids go) or the statuses seen.
       Like unsupported, it does not change the exit status.
    """
    if nothing_sent:
        result.outcome = Outcome.ERROR
        return result
    if interrupted is not None:
        result.note = f"cut short: {interrupted}"
        result.outcome = Outcome.SKIPPED
        result.conclude()
        if expect_success and result.outcome is Outcome.PASSED and not result.judged_2xx:
            result.outcome = Outcome.NOT_REACHED
        return result
    if unsupported:
        result.outcome = Outcome.UNSUPPORTED
        result.note = UNSUPPORTED_NOTE
        result.findings.clear()
        if capability is not None:
            result.outcome = Outcome.FAILED
            finding = _capability_finding(capability, result)
            result.findings[finding.key] = finding
        return result
    result.outcome = Outcome.SKIPPED
    result.conclude()
    if expect_success and result.outcome is Outcome.PASSED and not result.judged_2xx:
        result.outcome = Outcome.NOT_REACHED
        why = _unreached_note(result, unreached)  # first: what the outcome means
        result.note = f"{why}; {result.note}" if result.note else why
    return result


def _unreached_note(result: OperationResult, reason: str | None) -> str:
    seen = ", ".join(f"{status}: {count}" for status, count in sorted(result.statuses.items()))
    if result.statuses and set(result.statuses) <= {401, 403}:
        admin = (
            " (the organization objects need an admin key)" if result.path.startswith("/organization") else ""
        )
        return f"no success answer: it is not available for this key{admin} ({seen})"
    if reason:
        return f"no success answer: {reason} ({seen})"
    return f"no success answer: every answer was an error ({seen})"


def _capability_finding(capability: str, result: OperationResult) -> Finding:
    violation = missing_capability(capability, result.label)
    return Finding.from_violation(
        violation, status=max(result.statuses, default=404), curl="", request_size=0
    )


def not_run(operation: Operation, note: str, *, outcome: Outcome = Outcome.SKIPPED) -> OperationResult:
    """The result of an operation that never ran (skipped, or error when it could not be tested)."""
    result = OperationResult(operation.operation_id, operation.method, operation.path, operation.tags)
    result.outcome = outcome
    result.note = note
    if outcome is Outcome.ERROR:
        result.add_error(note)
    return result


def untestable_run(run: RunResult) -> str | None:
    """Why a run that ran tested nothing, or None: nothing tested is never "conformant"."""
    operations = run.operations
    if not operations:
        return None
    if all(op.outcome is Outcome.ERROR for op in operations):
        first = next((e for op in operations for e in op.errors), "every request failed")
        return f"the target could not be tested: {first}"
    answered = [op for op in operations if op.answered]
    if answered and all(set(op.statuses) <= {401, 403} for op in answered):
        return "the target refused every request (401/403): check --api-key / --header"
    tested = [op for op in operations if op.outcome not in (Outcome.UNSUPPORTED, Outcome.SKIPPED)]
    if answered and not tested:
        return f"no operation of the spec was found at {_api_base(run.target)}: is the path prefix right?"
    return None


def _api_base(target: Target) -> str:
    return target.api_base or target.base_url


class RunCollector:
    """Turns a run's events into its :class:`RunResult` (a handler: see :func:`~openai_conformance.events.drive`)."""

    def __init__(self, *, runner: str = "cli") -> None:
        self.runner = runner
        self._run: RunResult | None = None
        self._operations: Sequence[Operation] = ()
        self._crashes: dict[_Key, list[TargetDown]] = {}  # for operations still running
        self._down: list[str] = []  # the headline's sentences about the target going down
        # Workflow steps filed under the operation they called: those finished (with how their
        # outcome was decided), and the steps of operations that have not finished yet.
        self._finished: dict[_Key, tuple[OperationResult, Decision | None]] = {}
        self._steps: dict[_Key, list[CaseJudged]] = {}

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
        elif isinstance(event, TargetDown):
            self._target_down(event)
        elif isinstance(event, CaseJudged) and event.sent_by is not None:
            self._step(event)
        elif isinstance(event, OperationFinished):
            result = event.result
            key = (result.method, result.path)
            for crash in self._crashes.pop(key, []):
                _add_crash(result, crash)
            self.result.operations.append(result)
            self._finished[key] = (result, event.decision)
            self._fold(event.operation, self._steps.pop(key, ()))
        elif isinstance(event, RunFinished):
            self._finish(event)

    def _step(self, event: CaseJudged) -> None:
        """A workflow's step counts under the operation it called: now if that one has finished, else
        once it does."""
        operation = event.operation
        key = (operation.method, operation.path)
        if key in self._finished:
            self._fold(operation, [event])
        else:
            self._steps.setdefault(key, []).append(event)

    def _fold(self, operation: Operation, steps: Iterable[CaseJudged]) -> None:
        """Steps added to ``operation``'s finished result, its outcome decided again."""
        steps = list(steps)
        if not steps:
            return
        result, decision = self._finished[(operation.method, operation.path)]
        recorder = OperationRecorder(operation, result)
        for step in steps:
            recorder.record(step)
        if decision is not None:
            decision.apply(result)

    def _unfiled(self) -> None:
        """Steps of operations that never finished in this run (not run, or run by another process of
        pytest-xdist) count under the operation whose workflow sent them, as nothing else has them."""
        for steps in self._steps.values():
            for step in steps:
                sender = step.sent_by
                if sender is not None and (sender.method, sender.path) in self._finished:
                    self._fold(sender, [step])
        self._steps.clear()

    def _target_down(self, event: TargetDown) -> None:
        """The finding goes to the operation that sent the request, finished already or not."""
        self._down.append(event.headline)
        operation = event.operation
        for result in self.result.operations:
            if (result.method, result.path) == (operation.method, operation.path):
                _add_crash(result, event)
                return
        self._crashes.setdefault((operation.method, operation.path), []).append(event)

    def _finish(self, event: RunFinished) -> None:
        run = self.result
        run.interrupted = event.interrupted
        run.fatal = event.fatal
        run.duration = event.duration
        run.finished_at = event.finished_at
        run.spec_findings = list(event.spec_findings)
        run.diagnosis = [*self._down, *event.diagnosis]
        run.settings = Settings(
            options=run.settings.options, runner=run.settings.runner, drawing=event.drawing
        )
        self._unfiled()
        done = {(op.method, op.path) for op in run.operations}
        if event.not_run:
            outcome = Outcome.ERROR if event.not_run_untested else Outcome.SKIPPED
            run.operations.extend(
                not_run(op, event.not_run, outcome=outcome)
                for op in self._operations
                if (op.method, op.path) not in done
            )
        order = {(op.method, op.path): index for index, op in enumerate(self._operations)}
        run.operations.sort(key=lambda r: order.get((r.method, r.path), len(order)))
        if not run.fatal and not run.interrupted:
            run.fatal = untestable_run(run)


def _upstream_evidence(upstream: UpstreamAnswer | None, pointer: str) -> UpstreamEvidence | None:
    """The upstream's answer beside a finding: its status, reproduction and the excerpt at ``pointer``."""
    if upstream is None:
        return None
    answer = upstream.exchange
    excerpt = excerpt_of(answer, pointer) if answer is not None else None
    return UpstreamEvidence(upstream.status, upstream.curl, excerpt)


def _add_crash(result: OperationResult, event: TargetDown) -> None:
    """The request after which the target went down is a defect of its operation."""
    result.add(
        event.violation,
        status=0,
        curl=event.curl,
        request_size=event.request_size,
        request=event.request_kind or VALID,
    )
    if result.outcome in (Outcome.PASSED, Outcome.WARNED, Outcome.UNSUPPORTED, Outcome.SKIPPED):
        result.outcome = Outcome.FAILED if event.violation.severity == "error" else Outcome.WARNED
