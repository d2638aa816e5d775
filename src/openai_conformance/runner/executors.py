"""How the operations of a run are executed: one after another here, or spread over worker processes.

Both sit behind one interface (:class:`Executor`): given the operations, yield their events. Within
an operation, ``--concurrency`` keeps several requests in flight and ``--draw-ahead`` draws them in a
helper process (see :class:`~openai_conformance.runner.operation.OperationRunner` and
:class:`~openai_conformance.runner.drawing.CaseSource`); the executor does not need to know.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from openai_conformance.events import CaseJudged, Event, OperationFinished, OperationStarted
from openai_conformance.openapi.operations import Operation
from openai_conformance.results.collector import OperationRecorder
from openai_conformance.runner.budget import TimeBudget
from openai_conformance.runner.operation import OperationRunner

if TYPE_CHECKING:
    from openai_conformance.config import RunConfig
    from openai_conformance.runner.target import NoRoute

__all__ = ["Executor", "SerialExecutor", "WorkerExecutor"]


class Executor(Protocol):
    """Runs operations and yields their events; the budget says when to stop starting new ones."""

    def run(self, operations: Sequence[Operation], budget: TimeBudget) -> Iterator[Event]: ...


class SerialExecutor:
    """Every operation in order, in this process."""

    def __init__(self, runner: OperationRunner) -> None:
        self.runner = runner

    def run(self, operations: Sequence[Operation], budget: TimeBudget) -> Iterator[Event]:
        for operation in operations:
            if budget.past() or self.runner.transport.down is not None:
                return  # the rest is listed as not run (or as not testable) by the collector
            yield from self.runner.run(operation)


# -- worker processes ------------------------------------------------------------------------------

_worker: OperationRunner | None = None
_resources = contextlib.ExitStack()  # the worker's own embedded server lives as long as the worker


def _start_worker(
    config: RunConfig, base_url: str, models: list[str], no_route: NoRoute, sha256: str
) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from openai_conformance.openapi.loader import load_contract
    from openai_conformance.runner.operation import build_operation_runner
    from openai_conformance.runner.target import embedded_target

    contract = load_contract(config.spec, overlays=config.overlays, findings=False)
    if contract.source.sha256 != sha256:
        raise RuntimeError("the spec changed since the run started")
    if config.base_url is None:
        # The embedded target: each worker serves itself, so one server thread is never the bottleneck.
        base_url = _resources.enter_context(
            embedded_target(contract, api_key=config.api_key, faults=config.faults)
        )
    worker_config = replace(config, models=tuple(models))
    # A target of the user's: ``base_url`` is where the parent's probes found the API (prefix and all).
    prefix = None if config.base_url is None else ""
    _worker = build_operation_runner(contract, worker_config, base_url, no_route=no_route, api_prefix=prefix)


def _run_one(operation: Operation, deadline: float | None) -> list[Event]:
    """One operation's events, without the answers' bytes (they stay in the worker)."""
    assert _worker is not None, "worker not started"
    _worker.budget.deadline = deadline
    return [
        event.without_exchange() if isinstance(event, CaseJudged) else event
        for event in _worker.run(operation)
    ]


class WorkerExecutor:
    """Operations spread over N processes, each with its own runner (and its own embedded server)."""

    def __init__(
        self,
        config: RunConfig,
        base_url: str,
        models: list[str],
        no_route: NoRoute,
        sha256: str,
        workers: int,
    ) -> None:
        self._initargs = (config, base_url, models, no_route, sha256)
        self.workers = workers

    def run(self, operations: Sequence[Operation], budget: TimeBudget) -> Iterator[Event]:
        """Each operation's events as it completes; KeyboardInterrupt stops the workers and goes on."""
        context = multiprocessing.get_context("spawn")  # the parent may run server threads: never fork them
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_start_worker, initargs=self._initargs
        )
        try:
            futures = {executor.submit(_run_one, op, budget.deadline): op for op in operations}
            for future in concurrent.futures.as_completed(futures):
                try:
                    events = future.result()
                except Exception as exc:  # the worker died or broke: that operation could not be tested
                    yield from _worker_failed(futures[future], exc)
                    continue
                yield from events
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()  # a worker mid-operation would otherwise finish it first
            raise
        executor.shutdown(wait=True)
        budget.past()


def _worker_failed(operation: Operation, exc: Exception) -> Iterator[Event]:
    recorder = OperationRecorder(operation)
    recorder.result.add_error(f"worker failed: {type(exc).__name__}: {exc}")
    yield OperationStarted(operation)
    result = recorder.finish()
    yield OperationFinished(operation, result, recorder.decision)
