"""What a run tells its consumers, in order: the events between the run loop and everything else.

The run loop (:mod:`openai_conformance.runner`) yields these; the collector
(:mod:`openai_conformance.results.collector`) turns them into a
:class:`~openai_conformance.results.models.RunResult`; the console, the report writers and the pytest
plugin consume the same events — so every entry point gives the same verdicts by construction::

    RunStarted
    ├── OperationStarted        one per operation, in the order they run
    │   ├── CaseJudged          one per answer (generated request or hand-made scenario), or per
    │   │                       request that could not be tested; a workflow's step names the
    │   │                       operation it called (``sent_by``: the one running), which may have
    │   │                       finished already or run later: the collector files it there
    │   ├── TargetDown          the target stopped answering after a request (of this operation or
    │   │                       of an earlier one): a finding against that request's operation
    │   └── OperationFinished   the operation's result, its outcome decided
    └── RunFinished             how the run ended: completed, interrupted, out of time, or fatal
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from openai_conformance.openapi.operations import Operation
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    from openai_conformance.results.collector import Decision
    from openai_conformance.results.info import SpecInfo, Target
    from openai_conformance.results.models import OperationResult
    from openai_conformance.transport.exchange import Exchange

__all__ = [
    "CaseJudged",
    "Event",
    "Handler",
    "OperationFinished",
    "OperationStarted",
    "RunFinished",
    "RunStarted",
    "TargetDown",
    "UpstreamAnswer",
    "drive",
]

#: Where a case came from: a request drawn from the spec, one at the boundaries its schema allows,
#: or the id of a hand-made scenario.
GENERATED = "generated"
BOUNDARY = "boundary"


@dataclass(frozen=True, slots=True)
class RunStarted:
    """The run is about to send its first request: what it judges, against what, how."""

    target: Target
    spec: SpecInfo
    settings: dict[str, object]  # the reported options (RunConfig.describe)
    operations: tuple[Operation, ...]  # every selected operation, in the order they will run
    started_at: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class OperationStarted:
    operation: Operation


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """With --upstream: the upstream's answer to the request of a :class:`CaseJudged`."""

    status: int
    curl: str  # the request as sent to the upstream, redacted
    pointers: tuple[str | None, ...] = ()  # per violation of the case: the place of the upstream's answer
    exchange: Exchange | None = field(default=None, compare=False)  # stays in the process, as the case's


@dataclass(frozen=True, slots=True)
class CaseJudged:
    """One answer and what was found in it, or one request that could not be tested (``error``)."""

    operation: Operation
    source: str  # GENERATED, or the id of the scenario that sent it
    status: int | None  # None: no answer (``error`` says why)
    violations: tuple[Violation, ...] = ()
    curl: str = ""  # the request as a redacted, runnable reproduction
    request_size: int = 0  # to keep the smallest reproduction of each kind of violation
    error: str | None = None  # why this request could not be tested
    notes: tuple[str, ...] = ()  # what about the answer could not be judged (a stream cut short, …)
    no_route: bool = False  # the answer looked like the target's answer for a route it lacks
    request_kind: str = ""  # "" for a valid request, or what makes it invalid ("invalid: malformed JSON")
    elapsed: float = 0.0  # seconds until the whole answer had arrived
    # The answer itself, for consumers in the same process (stream timelines); never sent to other processes.
    exchange: Exchange | None = field(default=None, compare=False)
    upstream: UpstreamAnswer | None = None  # with --upstream: what the upstream answered to the same request
    # A workflow's step: the operation whose scenario sent it, when that is not ``operation`` (the
    # answer, its status and its findings count under ``operation``, the one the step called).
    sent_by: Operation | None = None

    def without_exchange(self) -> CaseJudged:
        """The event as it crosses to another process: everything but the answers' bytes."""
        from dataclasses import replace

        upstream = self.upstream
        return replace(self, exchange=None, upstream=upstream and replace(upstream, exchange=None))


@dataclass(frozen=True, slots=True)
class TargetDown:
    """The target stopped answering right after a request: that request's operation has a finding.

    ``operation`` sent ``curl`` (the last request before the target refused connections); ``back``
    says whether the target answered again within the bounded wait (``waited`` seconds).
    """

    operation: Operation
    violation: Violation
    curl: str
    request_size: int
    back: bool
    waited: float
    request_kind: str = ""
    request: str = ""  # "POST http://host/v1/chat/completions (createChatCompletion)"

    @property
    def headline(self) -> str:
        """The run's one sentence about it."""
        after = f" after {self.request}" if self.request else ""
        if self.back:
            return f"the target stopped answering{after} and came back after {self.waited:.1f} s"
        return f"the target went down{after} and did not come back within {self.waited:.0f} s"


@dataclass(frozen=True, slots=True)
class OperationFinished:
    operation: Operation
    result: OperationResult
    # How its outcome was decided, to decide it again when a later workflow's step adds an answer.
    decision: Decision | None = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    """How the run ended; operations that never ran are listed by the collector with ``not_run``."""

    duration: float
    finished_at: str
    interrupted: str | None = None  # why the run stopped early (Ctrl-C, the time budget)
    fatal: str | None = None  # why the target could not be tested at all
    not_run: str = ""  # the note of operations that never ran ("not run: interrupted")
    not_run_untested: bool = False  # they could not be tested (the target went down): error, not skipped
    drawing: str = ""  # where requests were drawn, for the report
    spec_findings: tuple[dict[str, Any], ...] = ()
    diagnosis: tuple[str, ...] = ()  # what the run saw of the target, in sentences, most important first


Event = RunStarted | OperationStarted | CaseJudged | TargetDown | OperationFinished | RunFinished


class Handler(Protocol):
    """A consumer of the run's events (the collector, the console, a progress display …)."""

    def handle(self, event: Event) -> None: ...


def drive(events: Iterator[Event], handlers: Sequence[Handler]) -> None:
    """Hand every event to every handler, in order.

    A Ctrl-C that arrives while a handler runs is thrown into the run loop, which reports what it
    had done and how the run ended (an interrupted run still ends with :class:`RunFinished`).
    """
    try:
        for event in events:
            for handler in handlers:
                handler.handle(event)
    except KeyboardInterrupt:
        thrower = getattr(events, "throw", None)
        if thrower is None:
            raise
        try:
            event = thrower(KeyboardInterrupt())
        except StopIteration:
            return
        while True:
            for handler in handlers:
                handler.handle(event)
            try:
                event = next(events)
            except StopIteration:
                return
