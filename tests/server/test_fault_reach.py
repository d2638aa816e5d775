"""Each fault changes the answers of exactly the operations it declares, and nothing else.

The same battery of requests (battery.py) goes to the server with the fault off and on; the server
is deterministic, so every answer can be compared to the byte.  A fault that declares ``ALL`` must
change something; any other must change the answers filed under each operation it declares, and
under no other.  This is what lets the suite's fault matrix run a fault over its declared operations
only.
"""

from __future__ import annotations

from typing import Any

import pytest

from openai_conformance.server import FAULTS, create_app

from .battery import API_KEY, Answer, Step, record, steps

# No request can create a run step, so the valid request of getRunStep names a missing one.
_ONLY_MISSING = {"getRunStep"}

Recorded = list[tuple[Step, Answer]]


@pytest.fixture(scope="module")
def battery(spec: dict[str, Any]) -> list[Step]:
    return steps(spec)


@pytest.fixture(scope="module")
def conformant(spec: dict[str, Any], battery: list[Step]) -> Recorded:
    return record(create_app(spec, api_key=API_KEY), battery)


def _operation_ids(spec: dict[str, Any]) -> set[str]:
    return {
        str(op["operationId"])
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def _changed(before: Recorded, after: Recorded) -> set[str]:
    assert len(before) == len(after)
    return {step.entry for (step, one), (_, other) in zip(before, after, strict=True) if one != other}


def test_the_battery_sends_a_valid_request_to_every_operation(
    spec: dict[str, Any], conformant: Recorded
) -> None:
    succeeded = {
        step.entry for step, answer in conformant if 200 <= answer.status < 300 and not answer.stalled
    }
    assert succeeded | _ONLY_MISSING == _operation_ids(spec)
    assert {step.entry for step, _ in conformant} == _operation_ids(spec)


def test_the_conformant_server_answers_the_battery_the_same_every_time(
    spec: dict[str, Any], battery: list[Step], conformant: Recorded
) -> None:
    assert _changed(conformant, record(create_app(spec, api_key=API_KEY), battery)) == set()


@pytest.mark.parametrize("fault_id", sorted(FAULTS))
def test_fault_changes_only_what_it_declares(
    fault_id: str, spec: dict[str, Any], battery: list[Step], conformant: Recorded
) -> None:
    fault = FAULTS[fault_id]
    changed = _changed(conformant, record(create_app(spec, api_key=API_KEY, faults=[fault_id]), battery))
    if fault.everywhere:
        assert changed, f"{fault_id} changes no answer"
        return
    assert changed - set(fault.operations) == set(), f"{fault_id} changes undeclared operations"
    assert set(fault.operations) - changed == set(), (
        f"{fault_id} changes nothing of these declared operations"
    )
