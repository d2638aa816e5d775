"""The workflows against the reference server: silent when it is conformant, each state fault caught
under its own check and nothing else, and what a real server may do legitimately left alone."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from openai_conformance.config import RunConfig
from openai_conformance.openapi.loader import Contract, load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.runner.operation import route_of
from openai_conformance.scenarios import get_scenario
from openai_conformance.scenarios.base import ScenarioContext, Stopped, fit_models
from openai_conformance.server import create_app, serve_in_thread
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.judge import Judge
from openai_conformance.validation.violations import Violation
from tests.conftest import SPEC_DIR

WORKFLOWS = (
    "state.files",
    "state.uploads",
    "state.batches",
    "state.models",
    "state.assistants",
    "state.threads",
    "state.vector_stores",
    "state.fine_tuning",
)
ORGANIZATION = ("state.invites", "state.projects")  # tests/validation/test_organization_workflows.py


@functools.cache
def _contract(pin: str) -> Contract:
    return load_contract(pin=pin, findings=False)


@functools.cache
def _raw_spec(pin: str) -> dict[str, Any]:
    with (SPEC_DIR / f"openai-openapi-{pin}.yaml").open("rb") as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=yaml.CSafeLoader)
    return loaded


@pytest.fixture(scope="module", params=["6b8287f", "f85dbe2"])
def pin(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def contract(pin: str) -> Contract:
    return _contract(pin)


@pytest.fixture(scope="module")
def raw_spec(pin: str) -> dict[str, Any]:
    return _raw_spec(pin)


class Ran:
    """What one workflow found and sent, and where it stopped."""

    def __init__(self) -> None:
        self.found: list[Violation] = []
        self.sent: list[Exchange] = []
        self.stopped: str | None = None
        self.notes: list[str] = []  # what the workflow said of the target that is no violation

    def checks(self, severity: str | None = None) -> set[str]:
        return {v.check for v in self.found if severity is None or v.severity == severity}

    def requests(self) -> list[str]:
        return [f"{e.request.method} {e.request.path_template}" for e in self.sent]


def run_workflow(scenario_id: str, url: str, contract: Contract, *, max_wait: float = 0.5) -> Ran:
    ran = Ran()
    context = ScenarioContext(
        HttpTransport(RunConfig(), url + "/v1"),
        Judge(contract),
        fit_models(["gpt-4o-mini"]),
        on_answer=ran.sent.append,
        max_wait=max_wait,
        notes=ran.notes,
    )
    try:
        for violation, _ in get_scenario(scenario_id).run(context):
            ran.found.append(violation)
    except Stopped as stop:
        ran.stopped = stop.reason
    return ran


@pytest.fixture(scope="module")
def reference(raw_spec: dict[str, Any]) -> Iterator[str]:
    with serve_in_thread(create_app(raw_spec)) as url:
        yield url


@pytest.mark.parametrize("scenario_id", WORKFLOWS + ORGANIZATION)
def test_every_step_names_an_operation_of_the_spec(
    scenario_id: str, reference: str, contract: Contract
) -> None:
    """Each step's answer is filed under the operation it calls, found by method and path template."""
    ran = run_workflow(scenario_id, reference, contract)
    routes = {route_of(op.method, op.path) for op in iter_operations(contract.document)}
    sent = {route_of(e.request.method, e.request.path_template) for e in ran.sent}
    assert sent and sent <= routes, sent - routes


@pytest.mark.parametrize("scenario_id", WORKFLOWS)
def test_each_workflow_runs_to_its_end_and_finds_nothing_on_the_reference_server(
    scenario_id: str, reference: str, contract: Contract
) -> None:
    ran = run_workflow(scenario_id, reference, contract)
    assert (ran.found, ran.stopped) == ([], None)
    expected = {
        "state.files": ["POST /files", "GET /files/{file_id}", "GET /files", "GET /files/{file_id}/content",
                        "DELETE /files/{file_id}", "GET /files/{file_id}", "GET /files/{file_id}/content",
                        "DELETE /files/{file_id}", "GET /files"],
        "state.uploads": ["POST /uploads", "POST /uploads/{upload_id}/parts", "POST /uploads/{upload_id}/parts",
                          "POST /uploads/{upload_id}/complete", "GET /files/{file_id}",
                          "GET /files/{file_id}/content", "DELETE /files/{file_id}", "POST /uploads",
                          "POST /uploads/{upload_id}/cancel"],
        "state.assistants": ["POST /assistants", "GET /assistants/{assistant_id}", "POST /assistants/{assistant_id}",
                             "GET /assistants/{assistant_id}", "GET /assistants", "DELETE /assistants/{assistant_id}",
                             "GET /assistants/{assistant_id}", "DELETE /assistants/{assistant_id}", "GET /assistants"],
    }  # fmt: skip
    if scenario_id in expected:
        assert ran.requests() == expected[scenario_id]
    elif scenario_id in ("state.threads", "state.vector_stores", "state.fine_tuning"):
        reached = {
            "state.threads": {"GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}",
                              "POST /threads/{thread_id}/runs/{run_id}/cancel"},
            "state.vector_stores": {"GET /vector_stores/{vector_store_id}/file_batches/{batch_id}",
                                    "DELETE /vector_stores/{vector_store_id}"},
            "state.fine_tuning": {"POST /fine_tuning/jobs/{fine_tuning_job_id}/cancel",
                                  "GET /fine_tuning/jobs/{fine_tuning_job_id}/checkpoints"},
        }[scenario_id]  # fmt: skip
        assert reached <= set(ran.requests()) and all(
            200 <= e.status < 300 or e.status == 404 for e in ran.sent
        )
    elif scenario_id == "state.models":
        listed = ran.sent[0].json()["data"]
        assert len(listed) > 10 and ran.requests() == ["GET /models"] + ["GET /models/{model}"] * len(listed)
    else:  # batches: to completed, its output read, the finished batch's cancel refused
        requests = ran.requests()
        assert requests[:2] == ["POST /files", "POST /batches"]
        assert (
            "GET /files/{file_id}/content" in requests
            and requests.count("POST /batches/{batch_id}/cancel") == 2
        )
        refused = [e for e in ran.sent if e.request.path_template.endswith("/cancel")][-1]
        assert refused.status == 400


# fault, the workflow that sees it, the check that must catch it
CAUGHT = [
    ("retrieve-renames-file", "state.files", "state.retrieve"),
    ("content-crlf", "state.files", "state.content"),
    ("content-crlf", "state.uploads", "state.content"),
    ("delete-noop", "state.files", "state.delete"),
    ("delete-noop", "state.assistants", "state.delete"),
    ("list-misses-newest", "state.files", "state.list"),
    ("list-misses-newest", "state.batches", "state.list"),
    ("list-misses-newest", "state.threads", "state.list"),
    ("list-misses-newest", "state.vector_stores", "state.list"),
    ("list-misses-newest", "state.fine_tuning", "state.list"),
    ("delete-noop", "state.threads", "state.delete"),
    ("delete-noop", "state.vector_stores", "state.delete"),
    ("update-not-kept", "state.assistants", "state.update"),
    ("list-ignores-after", "state.batches", "state.pagination"),
    ("batch-status-regresses", "state.batches", "state.lifecycle"),
    ("batch-output-drops-line", "state.batches", "state.batch_output"),
]


@pytest.mark.parametrize(("fault", "scenario_id", "check"), CAUGHT)
def test_each_state_fault_is_caught_by_its_check_alone(fault: str, scenario_id: str, check: str) -> None:
    with serve_in_thread(create_app(_raw_spec("6b8287f"), faults=[fault])) as url:
        ran = run_workflow(scenario_id, url, _contract("6b8287f"), max_wait=0.2)
    assert ran.checks() == {check}, [v.message for v in ran.found]
    assert ran.stopped is None
    # Lists are eventually consistent on real servers: a missing item is a warning, the rest errors.
    assert {v.severity for v in ran.found} == {"warning" if check == "state.list" else "error"}
