"""The pytest entry: ``pytest suites --base-url URL …`` runs the same engine as the CLI.

Registered through the ``pytest11`` entry point, so it must stay light: nothing is loaded until a
test asks for the ``conformance`` fixture or the suites are collected.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from openai_conformance.options import OPTIONS, add_options

if TYPE_CHECKING:
    from openai_conformance.engine import Engine
    from openai_conformance.openapi.operations import Operation
    from openai_conformance.results.models import OperationResult, RunResult
    from openai_conformance.session import Session

__all__ = ["ConformanceRun"]

_RUN_KEY = pytest.StashKey["ConformanceRun"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openai-conformance", "OpenAI API conformance (suites/)")
    add_options(group.addoption, dest_prefix="oc_")


class ConformanceRun:
    """The session's engine and the results of the operations run so far."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._stack = contextlib.ExitStack()
        self._session: Session | None = None
        self.results: list[OperationResult] = []
        self.from_workers: list[dict[str, Any]] = []  # pytest-xdist: what each worker ran

    def _values(self) -> dict[str, Any]:
        values = {}
        for option in OPTIONS:
            value = self._config.getoption(f"oc_{option.dest}", default=None)
            if value is None:  # the flag may belong to another plugin under its own dest
                value = self._config.getoption(option.dest, default=option.default)
            values[option.dest] = value
        return values

    @property
    def session(self) -> Session:
        if self._session is None:
            from openai_conformance.options import build_config
            from openai_conformance.session import open_session

            config, options = build_config(self._values())
            self.report_dir = options.report_dir
            self._session = self._stack.enter_context(open_session(config, options))
            self._session.engine.discover_models()
            self._session.engine.discover_missing_route()
        return self._session

    @property
    def engine(self) -> Engine:
        return self.session.engine

    def operations(self) -> list[Operation]:
        """The selected operations, without starting a target (collection must stay cheap)."""
        from openai_conformance.openapi.loader import load_contract
        from openai_conformance.openapi.operations import iter_operations, select_operations
        from openai_conformance.options import build_config

        config, options = build_config(self._values())
        contract = load_contract(options.spec, overlays=options.overlays, findings=False)
        return select_operations(iter_operations(contract.document), config.include, config.exclude)

    def run_operation(self, operation: Operation) -> OperationResult:
        result = self.engine.run_operation(operation)
        self.results.append(result)
        return result

    def _run_result(self) -> RunResult:
        from openai_conformance.results.models import RunResult

        assert self._session is not None
        engine = self._session.engine
        run = RunResult(
            target={**self._session.target, "models": engine.models},
            spec=self._session.contract.describe(),
            settings={**engine.config.describe(), "runner": "pytest"},
            spec_findings=[f.to_dict() for f in self._session.contract.findings],
            operations=list(self.results),
        )
        run.duration = sum(r.duration for r in self.results)
        return run

    def finish(self) -> None:
        """Write the reports (or, in an xdist worker, hand the results to the controller)."""
        import json

        from openai_conformance.reporting.files import write_reports
        from openai_conformance.results.merge import merge_runs
        from openai_conformance.results.models import RunResult

        workeroutput = getattr(self._config, "workeroutput", None)
        if self._session is not None:
            run = self._run_result()
            secrets = self._session.engine.secrets
            self._stack.close()
            if workeroutput is not None:
                workeroutput["openai_conformance"] = json.dumps(run.to_dict())
                return
            write_reports(run, self.report_dir, secrets)
        elif self.from_workers:
            from openai_conformance.options import build_config

            config, options = build_config(self._values())
            merged = merge_runs(RunResult.from_dict(data) for data in self.from_workers)
            secrets = tuple(s for s in (config.api_key,) if s)
            write_reports(merged, options.report_dir, secrets)


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(_RUN_KEY, None)
    if run is not None:
        run.finish()


@pytest.fixture(scope="session")
def conformance(request: pytest.FixtureRequest) -> ConformanceRun:
    """The conformance engine of this session, reaching (or starting) the target on first use."""
    return get_run(request.config)
