"""Every selected operation of the spec, fuzzed against the target and judged (``pytest suites``)."""

from __future__ import annotations

import pytest

from openai_conformance.openapi.operations import Operation
from openai_conformance.pytest_plugin import ConformanceRun
from openai_conformance.results.models import Outcome


def test_operation_conforms(conformance: ConformanceRun, operation: Operation) -> None:
    result = conformance.run_operation(operation)
    if result.outcome is Outcome.UNSUPPORTED:
        pytest.skip(result.note)
    if result.outcome is Outcome.NOT_REACHED:  # answered, but no success answer was judged
        pytest.skip(f"not reached: {result.note.removeprefix('no success answer: ')}")
    if result.outcome is Outcome.ERROR:
        pytest.fail("could not test: " + "; ".join(result.errors), pytrace=False)
    # errors (warnings too with --fail-on warning), less the known deviations of --baseline
    errors = [f for f in result.violations if f.fails_under(conformance.config.fail_on)]
    assert not errors, "\n".join(f"{f.check} at {f.pointer or '/'}: {f.message}\n  {f.curl}" for f in errors)
