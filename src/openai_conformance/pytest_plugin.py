"""The pytest entry: ``pytest suites --base-url URL …`` runs the same run loop as the CLI.

Each test is one operation: the plugin hands that operation's events to the same collector the CLI
uses, so both give the same verdicts and write the same reports. Registered through the ``pytest11``
entry point, so it must stay light: nothing heavy loads until a test asks for the ``conformance``
fixture or the suites are collected.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from openai_conformance.config import RunConfig, add_options
from openai_conformance.options import declared_options

if TYPE_CHECKING:
    from openai_conformance.events import Event
    from openai_conformance.openapi.operations import Operation
    from openai_conformance.results.baseline import Baseline
    from openai_conformance.results.collector import RunCollector
    from openai_conformance.results.models import Finding, OperationResult, RunResult
    from openai_conformance.runner import Runner

__all__ = ["ConformanceRun"]

_RUN_KEY = pytest.StashKey["ConformanceRun"]()
_PREFIX = "oc_"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openai-conformance", "OpenAI API conformance (suites/)")
    add_options(group.addoption, dest_prefix=_PREFIX, cli=False)


class ConformanceRun:
    """The session's runner and collector, started on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self._pytest_config = config
        self._stack = contextlib.ExitStack()
        self._runner: Runner | None = None
        self._collector: RunCollector | None = None
        self._config: RunConfig | None = None
        self._baseline: Baseline | None = None  # --baseline: known deviations do not fail their test
        self.fatal: str | None = None  # the target could not be tested at all
        self.from_workers: list[dict[str, Any]] = []  # pytest-xdist: what each worker ran
        # By operationId: what its workflows found in operations whose tests had run already (each
        # finding is filed under the operation its step called, but fails the test that found it).
        self.found_elsewhere: dict[str, list[tuple[str, Finding]]] = {}

    @property
    def config(self) -> RunConfig:
        if self._config is None:
            values: dict[str, Any] = {}
            for field, _ in declared_options(RunConfig):
                value = self._pytest_config.getoption(_PREFIX + field.name, default=None)
                if value is None:  # the flag may belong to another plugin under its own dest
                    value = self._pytest_config.getoption(field.name, default=None)
                values[field.name] = value
            self._config = RunConfig.from_values(values)
        return self._config

    def operations(self) -> list[Operation]:
        """The selected operations (``--include``, ``--exclude``, ``--shard``), without starting a target."""
        from openai_conformance.config import selected_operations
        from openai_conformance.openapi.loader import load_contract

        contract = load_contract(self.config.spec, overlays=self.config.overlays, findings=False)
        return selected_operations(contract, self.config)

    def _dispatch(self, event: Event) -> None:
        assert self._collector is not None
        self._collector.handle(event)

    @property
    def runner(self) -> Runner:
        """The session's runner, reaching (or starting) the target on first use."""
        if self._runner is None:
            from openai_conformance.openapi.loader import load_contract
            from openai_conformance.results.collector import RunCollector
            from openai_conformance.runner import Runner, open_target

            config = self.config
            if config.baseline is not None:
                from openai_conformance.results.baseline import load_baseline

                self._baseline = load_baseline(config.baseline)
            contract = load_contract(config.spec, overlays=config.overlays)
            target = self._stack.enter_context(
                open_target(contract, config.base_url, api_key=config.api_key, faults=config.faults)
            )
            runner = self._stack.enter_context(Runner(contract, config, target))
            self._collector = RunCollector(runner="pytest")
            starting = runner.start(self.operations())
            try:
                while True:
                    self._dispatch(next(starting))
            except StopIteration as stop:
                if not stop.value:
                    self.fatal = self._collector.result.fatal
            self._runner = runner
        return self._runner

    def run_operation(self, operation: Operation) -> OperationResult:
        """Run one operation (one test) and return its result, decided by the collector's rules."""
        from openai_conformance.events import OperationFinished
        from openai_conformance.results.collector import not_run

        runner = self.runner
        if self.fatal:
            pytest.fail(f"could not test: {self.fatal}", pytrace=False)
        result: OperationResult | None = None
        assert self._collector is not None
        earlier = {id(op): (op, set(op.findings)) for op in self._collector.result.operations}
        for event in runner.run_operation(operation):
            self._dispatch(event)
            if isinstance(event, OperationFinished):
                result = event.result
        if result is None:  # the time budget is spent: the operation is listed as not run
            result = not_run(operation, "not run: time budget exhausted")
            self._dispatch(OperationFinished(operation, result))
        grown = [op for op, seen in earlier.values() if set(op.findings) - seen]
        if self._baseline is not None:
            from openai_conformance.results.baseline import mark_operation

            for op in (result, *grown):
                mark_operation(op, self._baseline)
        self.found_elsewhere[operation.operation_id] = [
            (op.label, finding)
            for op in grown
            for key, finding in op.findings.items()
            if key not in earlier[id(op)][1]
        ]
        return result

    def _with_baseline(self, run: RunResult) -> RunResult:
        """The run with what the baseline said of it (read here if this process did not run tests)."""
        baseline = self._baseline
        if baseline is None and self.config.baseline is not None:
            from openai_conformance.results.baseline import load_baseline

            baseline = load_baseline(self.config.baseline)
        if baseline is not None:
            from openai_conformance.results.baseline import apply_baseline

            apply_baseline(run, baseline)
        return run

    def finish(self, exitstatus: int) -> None:
        """Write the reports (or, in an xdist worker, hand the run to the controller)."""
        import json
        from dataclasses import replace

        from openai_conformance.reporting.files import write_reports
        from openai_conformance.results.merge import merge_runs
        from openai_conformance.results.models import RunResult
        from openai_conformance.runner import secrets_of

        workeroutput = getattr(self._pytest_config, "workeroutput", None)
        if self._runner is not None and self._collector is not None:
            if not self.fatal:
                interrupted = (
                    "interrupted by the user (Ctrl-C)" if exitstatus == pytest.ExitCode.INTERRUPTED else None
                )
                # Under pytest the operations that did not run are the tests that did not run: none
                # is listed by the run itself (an xdist worker runs only some of them).
                self._dispatch(replace(self._runner.finish(interrupted=interrupted), not_run=""))
            run = self._collector.result
            secrets = self._runner.secrets
            self._stack.close()
            if workeroutput is not None:
                workeroutput["openai_conformance"] = json.dumps(run.to_dict())
                return
            write_reports(self._with_baseline(run), self.config.report_dir, secrets)
        elif self.from_workers:
            merged = merge_runs(RunResult.from_dict(data) for data in self.from_workers)
            write_reports(self._with_baseline(merged), self.config.report_dir, secrets_of(self.config))


def get_run(config: pytest.Config) -> ConformanceRun:
    """The session's :class:`ConformanceRun`, created on first use."""
    if _RUN_KEY not in config.stash:
        config.stash[_RUN_KEY] = ConformanceRun(config)
    return config.stash[_RUN_KEY]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: collect what a worker ran, for the controller's reports."""
    import json

    data = getattr(node, "workeroutput", {}).get("openai_conformance")
    if data:
        get_run(node.config).from_workers.append(json.loads(data))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(_RUN_KEY, None)
    if run is not None:
        run.finish(exitstatus)


@pytest.fixture(scope="session")
def conformance(request: pytest.FixtureRequest) -> ConformanceRun:
    """The conformance run of this session, reaching (or starting) the target on first use."""
    return get_run(request.config)
