"""Every selected operation of the spec, fuzzed against the target and judged (``pytest suites``)."""

from __future__ import annotations

import pytest

from openai_conformance.openapi.operations import Operation
from openai_conformance.pytest_plugin import ConformanceRun
from openai_conformance.results.models import Outcome


def test_operation_conforms(conformance: ConformanceRun, operation: Operation) -> None:
    result = conformance.run_operation(operation)
    fail_on = conformance.config.fail_on
    # What its workflows found in operations tested before it (reported under those operations) fails
    # this test, whatever its own outcome.
    elsewhere = [
        (f"{label}: ", f)
        for label, f in conformance.found_elsewhere.get(operation.operation_id, [])
        if f.fails_under(fail_on)
    ]
    if not elsewhere:
        if result.outcome is Outcome.UNSUPPORTED:
            pytest.skip(result.note)
        if result.outcome is Outcome.NOT_REACHED:  # answered, but no success answer was judged
            pytest.skip(f"not reached: {result.note.removeprefix('no success answer: ')}")
        if result.outcome is Outcome.ERROR:
            pytest.fail("could not test: " + "; ".join(result.errors), pytrace=False)
    # errors (warnings too with --fail-on warning), less the known deviations of --baseline
    errors = [*elsewhere, *(("", f) for f in result.violations if f.fails_under(fail_on))]
    assert not errors, "\n".join(
        f"{where}{f.check} at {f.pointer or '/'}: {f.message}\n  {f.curl}" for where, f in errors
    )
