"""``--workers N``: operations spread over N processes, each with its own engine, one target."""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import signal
from collections.abc import Callable
from dataclasses import replace

from openai_conformance.engine import Engine, RunConfig, embedded_target
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import Operation
from openai_conformance.options import SessionOptions
from openai_conformance.results.models import OperationResult

__all__ = ["run_in_workers"]

_engine: Engine | None = None
_resources = contextlib.ExitStack()  # the worker's own embedded server lives as long as the worker


def _start_worker(
    config: RunConfig,
    options: SessionOptions,
    base_url: str,
    models: list[str],
    no_route: tuple[int, bytes] | None,
) -> None:
    global _engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    contract = load_contract(options.spec, overlays=options.overlays, findings=False)
    if config.base_url is None:
        # The embedded target: each worker serves itself, so one server thread is never the bottleneck.
        base_url = _resources.enter_context(
            embedded_target(contract, api_key=config.api_key, faults=(config.fault,) if config.fault else ())
        )
    _engine = Engine(contract, replace(config, models=tuple(models)), base_url)
    _engine.no_route = no_route


def _run_one(operation: Operation, deadline: float | None) -> OperationResult:
    assert _engine is not None, "worker not started"
    return _engine.run_operation(operation, deadline=deadline)


def run_in_workers(
    engine: Engine,
    options: SessionOptions,
    operations: list[Operation],
    workers: int,
    *,
    deadline: float | None,
    on_operation: Callable[[OperationResult], None] | None,
    sink: list[OperationResult],
) -> None:
    """Run ``operations``, appending each result to ``sink`` as it comes (so an interruption keeps them).

    KeyboardInterrupt stops the workers and propagates.
    """
    context = multiprocessing.get_context("spawn")  # the parent may run server threads: never fork them
    executor = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(engine.config, options, engine.base_url, engine.models, engine.no_route),
    )
    try:
        futures = {executor.submit(_run_one, op, deadline): op for op in operations}
        for future in concurrent.futures.as_completed(futures):
            try:
                result = future.result()
            except (
                Exception
            ) as exc:  # the worker died or its engine broke: that operation could not be tested
                op = futures[future]
                result = OperationResult(op.operation_id, op.method, op.path, op.tags)
                result.add_error(f"worker failed: {type(exc).__name__}: {exc}")
                result.conclude()
            sink.append(result)
            if on_operation:
                on_operation(result)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()  # a worker mid-operation would otherwise finish it first
        raise
    executor.shutdown(wait=True)
