"""The suites run against a target; their options come from the openai_conformance pytest plugin."""

from __future__ import annotations

import pytest

from openai_conformance.pytest_plugin import get_run


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "operation" in metafunc.fixturenames:
        operations = get_run(metafunc.config).operations()
        metafunc.parametrize("operation", operations, ids=[op.operation_id for op in operations])
