"""openai-conformance: contract and conformance tests for servers that implement the OpenAI REST API.

The public surface, for running the suite from Python::

    from openai_conformance import RunConfig, run

    result = run(RunConfig(base_url="http://127.0.0.1:8000/v1", api_key="sk-…", max_examples=3))
    print(result.exit_code, [op.outcome for op in result.operations])

and for using the reference server as a mock (``create_app``, ``serve_in_thread``). Names load on
first use, so importing the package (as the pytest plugin does in every pytest session) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai_conformance.api import run
    from openai_conformance.config import RunConfig
    from openai_conformance.errors import (
        ConfigError,
        ConformanceError,
        SpecError,
        TargetError,
    )
    from openai_conformance.events import (
        CaseJudged,
        Event,
        Handler,
        OperationFinished,
        OperationStarted,
        RunFinished,
        RunStarted,
    )
    from openai_conformance.openapi.loader import Contract, load_contract
    from openai_conformance.results.info import Settings, SpecInfo, Target
    from openai_conformance.results.models import Finding, OperationResult, Outcome, RunResult
    from openai_conformance.runner import Runner
    from openai_conformance.server import FAULTS, create_app, serve_in_thread
    from openai_conformance.validation.registry import Check, all_checks
    from openai_conformance.validation.violations import Violation

__version__ = "0.1.0"

# name → the module that defines it; grouped as the docs present them.
_EXPORTS: dict[str, str] = {
    # Running the suite.
    "run": "openai_conformance.api",
    "RunConfig": "openai_conformance.config",
    "Runner": "openai_conformance.runner",
    "Contract": "openai_conformance.openapi.loader",
    "load_contract": "openai_conformance.openapi.loader",
    # The events of a run.
    "Event": "openai_conformance.events",
    "Handler": "openai_conformance.events",
    "RunStarted": "openai_conformance.events",
    "OperationStarted": "openai_conformance.events",
    "CaseJudged": "openai_conformance.events",
    "OperationFinished": "openai_conformance.events",
    "RunFinished": "openai_conformance.events",
    # Results.
    "RunResult": "openai_conformance.results.models",
    "OperationResult": "openai_conformance.results.models",
    "Finding": "openai_conformance.results.models",
    "Outcome": "openai_conformance.results.models",
    "Target": "openai_conformance.results.info",
    "SpecInfo": "openai_conformance.results.info",
    "Settings": "openai_conformance.results.info",
    "Violation": "openai_conformance.validation.violations",
    # The checks.
    "Check": "openai_conformance.validation.registry",
    "all_checks": "openai_conformance.validation.registry",
    # The reference server.
    "create_app": "openai_conformance.server",
    "serve_in_thread": "openai_conformance.server",
    "FAULTS": "openai_conformance.server",
    # Errors ("we could not test"; a server's departures are Violations).
    "ConformanceError": "openai_conformance.errors",
    "ConfigError": "openai_conformance.errors",
    "SpecError": "openai_conformance.errors",
    "TargetError": "openai_conformance.errors",
}

__all__ = [
    "FAULTS",
    "CaseJudged",
    "Check",
    "ConfigError",
    "ConformanceError",
    "Contract",
    "Event",
    "Finding",
    "Handler",
    "OperationFinished",
    "OperationResult",
    "OperationStarted",
    "Outcome",
    "RunConfig",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "Runner",
    "Settings",
    "SpecError",
    "SpecInfo",
    "Target",
    "TargetError",
    "Violation",
    "__version__",
    "all_checks",
    "create_app",
    "load_contract",
    "run",
    "serve_in_thread",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'openai_conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
