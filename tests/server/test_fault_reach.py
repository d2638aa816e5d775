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

from openai_conformance.openapi.loader import load_contract
from openai_conformance.server import FAULTS, create_app
from openai_conformance.server.faults.responses import RESPONSES_FAULTS

from .battery import API_KEY, Answer, Step, record, steps
from .battery_responses import RESPONSES_OPERATIONS, responses_steps

# No request can create a run step, so the valid request of getRunStep names a missing one.
_ONLY_MISSING = {"getRunStep"}

Recorded = list[tuple[Step, Answer]]

# The faults of the newer spec's operations are tried on the newer spec, with its own battery.
_NEWER = sorted(fault.id for fault in RESPONSES_FAULTS)
_OLDER = sorted(set(FAULTS) - set(_NEWER))


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


def _assert_reach(fault_id: str, changed: set[str]) -> None:
    fault = FAULTS[fault_id]
    if fault.everywhere:
        assert changed, f"{fault_id} changes no answer"
        return
    assert changed - set(fault.operations) == set(), f"{fault_id} changes undeclared operations"
    assert set(fault.operations) - changed == set(), (
        f"{fault_id} changes nothing of these declared operations"
    )


@pytest.mark.parametrize("fault_id", _OLDER)
def test_fault_changes_only_what_it_declares(
    fault_id: str, spec: dict[str, Any], battery: list[Step], conformant: Recorded
) -> None:
    _assert_reach(
        fault_id, _changed(conformant, record(create_app(spec, api_key=API_KEY, faults=[fault_id]), battery))
    )


@pytest.fixture(scope="module")
def newer_spec() -> dict[str, Any]:
    return load_contract(pin="f85dbe2", findings=False).document


@pytest.fixture(scope="module")
def newer_conformant(newer_spec: dict[str, Any]) -> Recorded:
    return record(create_app(newer_spec, api_key=API_KEY), responses_steps())


def test_the_newer_battery_answers_every_responses_operation(newer_conformant: Recorded) -> None:
    succeeded = {step.entry for step, answer in newer_conformant if 200 <= answer.status < 300}
    assert succeeded == set(RESPONSES_OPERATIONS)
    streams = [
        answer
        for _, answer in newer_conformant
        if (b"content-type", b"text/event-stream; charset=utf-8") in answer.headers
    ]
    assert len(streams) == 3 and all(
        b"event: response.completed" in a.body or b"event: response.incomplete" in a.body for a in streams
    )


@pytest.mark.parametrize("fault_id", _NEWER)
def test_a_responses_fault_changes_only_what_it_declares(
    fault_id: str, newer_spec: dict[str, Any], newer_conformant: Recorded
) -> None:
    recorded = record(create_app(newer_spec, api_key=API_KEY, faults=[fault_id]), responses_steps())
    _assert_reach(fault_id, _changed(newer_conformant, recorded))
