"""The run loop: discover what the target serves, run the operations, say how the run ended — as events."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING

import httpx

from openai_conformance.config import RunConfig, selected_operations
from openai_conformance.errors import TargetError
from openai_conformance.events import Event, Handler, RunFinished, RunStarted, drive
from openai_conformance.openapi.loader import Contract
from openai_conformance.openapi.operations import Operation
from openai_conformance.results.info import SpecInfo, Target
from openai_conformance.runner.budget import TimeBudget
from openai_conformance.runner.executors import Executor, SerialExecutor, WorkerExecutor
from openai_conformance.runner.health import WatchedTransport
from openai_conformance.runner.operation import INTERRUPTED, build_operation_runner
from openai_conformance.runner.probe import probe_target
from openai_conformance.runner.upstream import Upstream, open_upstream, pair_with
from openai_conformance.validation.judge import Judge

if TYPE_CHECKING:
    from openai_conformance.generation.ahead import CaseFeed
    from openai_conformance.results.models import RunResult

__all__ = ["Runner"]


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Runner:
    """Runs the selected operations against one target and tells what happened as events.

    ``run()`` is the whole run. The pytest plugin drives the same steps one at a time: ``start()``,
    then ``run_operation()`` per test, then ``finish()``.
    """

    def __init__(
        self,
        contract: Contract,
        config: RunConfig,
        target: Target | str,
        *,
        client: httpx.Client | None = None,
        feed: CaseFeed | None = None,
    ) -> None:
        self.contract = contract
        self.config = config
        self.target = target if isinstance(target, Target) else Target(base_url=target)
        self.operation_runner = build_operation_runner(
            contract, config, self.target.base_url, client=client, feed=feed
        )
        self.budget = self.operation_runner.budget
        self.diagnosis: list[str] = []  # what the probes said of the target, for the headline
        self._started = time.monotonic()
        self._resources = contextlib.ExitStack()
        self.upstream: Upstream | None = None  # with --upstream: what the target is compared with
        if config.upstream:
            self.upstream = self._resources.enter_context(
                open_upstream(contract, config.upstream, faults=config.faults)
            )

    # -- the parts the runner is made of ---------------------------------------------------------
    @property
    def transport(self) -> WatchedTransport:
        return self.operation_runner.transport

    @property
    def judge(self) -> Judge:
        return self.operation_runner.judge

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.operation_runner.secrets

    @property
    def drawing(self) -> str:
        """Where requests were drawn (for the report)."""
        workers = self.config.workers
        if workers > 1:  # each worker draws (or reads back) its own operations' requests
            return f"in each of {workers} worker processes, for its own operations"
        return self.operation_runner.source.drawing

    def operations(self) -> list[Operation]:
        """The operations the user selected."""
        return selected_operations(self.contract, self.config)

    def close(self) -> None:
        self.operation_runner.source.close()
        if self.transport.pairing is not None:
            self.transport.pairing.close()
        self.transport.close()
        self._resources.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- a whole run ----------------------------------------------------------------------------------
    def collect(
        self, operations: Sequence[Operation] | None = None, *, handlers: Sequence[Handler] = ()
    ) -> RunResult:
        """Run, hand every event to the collector and then to ``handlers``; the run's result."""
        from openai_conformance.results.collector import RunCollector

        collector = RunCollector()
        drive(self.run(operations), [collector, *handlers])
        return collector.result

    def run(self, operations: Sequence[Operation] | None = None) -> Iterator[Event]:
        """Every selected operation, in order; Ctrl-C or the time budget end it with what was done."""
        operations = list(operations if operations is not None else self.operations())
        # What makes resources first, what consumes them last (runner/resources.py); reported in spec order.
        ordered = self.operation_runner.resources.graph.run_order(operations)
        try:
            started = yield from self.start(operations, order=ordered)
            if not started:
                return
            yield from self._executor().run(ordered, self.budget)
        except KeyboardInterrupt:
            yield self.finish(interrupted=INTERRUPTED)
            return
        yield self.finish()

    def start(
        self, operations: Sequence[Operation], *, order: Sequence[Operation] | None = None
    ) -> Generator[Event, None, bool]:
        """Probe the target (runner/probe.py): where its API is, its models, its answer for a missing
        route, whether it can be tested at all; then :class:`RunStarted`. ``order``: the order the
        operations will run in (requests are drawn ahead in it), when it is not theirs.

        Returns False (after :class:`RunStarted` and :class:`RunFinished`) when the target cannot be
        tested at all: unreachable, refusing every request, or not an OpenAI API.
        """
        self._started = time.monotonic()
        self.budget = self.operation_runner.budget = TimeBudget(self.config.max_time, started=self._started)
        source = self.operation_runner.source
        fatal: str | None = None
        api_base = example = ""
        try:
            probe = probe_target(self.transport, {op.method for op in operations}, self.config.models)
        except TargetError as exc:
            models, fatal = [], str(exc)
        else:
            models, api_base, example = probe.models, probe.api_base, probe.example_request
            self.operation_runner.no_route = probe.no_route
            self.diagnosis = probe.diagnosis
            if self.upstream is not None:
                try:
                    self.transport.pairing = pair_with(self.upstream, self.config, self.contract)
                except TargetError as exc:
                    models, fatal = [], str(exc)
        self.target = Target(
            base_url=self.target.base_url,
            embedded=self.target.embedded,
            faults=self.target.faults,
            models=tuple(models),
            api_base=api_base,
            example_request=example,
        )
        if fatal is None:
            negative = self.config.negative
            source.begin(
                models,
                [
                    op
                    for op in (order if order is not None else operations)
                    if not (negative and not (op.request_media_types or op.has_query_parameters))
                ],
            )
        yield RunStarted(
            target=self.target,
            spec=SpecInfo.from_dict(self.contract.describe()),
            settings=self.config.describe(),
            operations=tuple(operations),
            started_at=_utcnow(),
        )
        if fatal is not None:
            yield self.finish(fatal=fatal)
            return False
        return True

    def run_operation(self, operation: Operation) -> Iterator[Event]:
        """One operation's events (the pytest plugin's test); nothing when the time budget is spent."""
        if self.budget.past():
            return iter(())
        return self.operation_runner.run(operation)

    def finish(self, *, interrupted: str | None = None, fatal: str | None = None) -> RunFinished:
        """How the run ended (operations that never ran are listed as such by the collector)."""
        self.operation_runner.source.close()  # its work is done, or cut short: let the helper go
        not_run = ""
        down = self.transport.down
        if interrupted is not None:
            not_run = "not run: interrupted"
        elif down is not None:
            not_run = f"could not test: {down}"
        elif self.budget.ran_out:
            interrupted = self.budget.reason
            not_run = "not run: time budget exhausted"
        upstream = self.upstream
        if upstream is not None and upstream.forwarded == 0 and self.transport.pairing is not None:
            self.diagnosis.append(
                f"the proxy forwarded no request to its upstream at {upstream.for_proxy}: configure it "
                "to forward there, or the comparison is with another server than the proxy's"
            )
        return RunFinished(
            duration=time.monotonic() - self._started,
            finished_at=_utcnow(),
            interrupted=interrupted,
            fatal=fatal,
            not_run=not_run,
            not_run_untested=down is not None and interrupted is None,
            drawing=self.drawing,
            spec_findings=tuple(self.contract.spec_findings()),  # computed meanwhile, if new
            diagnosis=tuple(self.diagnosis),
        )

    def _executor(self) -> Executor:
        workers = self.config.workers
        if workers > 1:
            return WorkerExecutor(
                self.config,
                self.target.api_base or self.target.base_url,
                list(self.target.models),
                self.operation_runner.no_route,
                self.contract.source.sha256,
                workers,
            )
        return SerialExecutor(self.operation_runner)
