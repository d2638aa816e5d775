"""The organization workflows: silent and complete on the reference server, each fault they see caught
under its own check alone, and a key that is no admin key told apart from a violation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from openai_conformance.cli import main
from openai_conformance.scenarios.organization import NOT_ADMIN
from openai_conformance.server import create_app, serve_in_thread
from tests.conftest import assert_report_follows_schema
from tests.validation.test_workflows import _contract, _raw_spec, run_workflow

_PROJECT = "/organization/projects/{project_id}"
_ACCOUNT = _PROJECT + "/service_accounts/{service_account_id}"
_MEMBER = _PROJECT + "/users/{user_id}"
_KEY = _PROJECT + "/api_keys/{key_id}"


@pytest.fixture(scope="module")
def reference() -> Iterator[str]:
    with serve_in_thread(create_app(_raw_spec("6b8287f"))) as url:
        yield url


def test_the_invites_workflow_runs_to_its_end_on_the_reference_server(reference: str) -> None:
    ran = run_workflow("state.invites", reference, _contract("6b8287f"))
    assert (ran.found, ran.stopped) == ([], None)
    invite = "/organization/invites/{invite_id}"
    assert ran.requests() == [
        "POST /organization/invites", f"GET {invite}", "GET /organization/invites", f"DELETE {invite}",
        f"GET {invite}", f"DELETE {invite}", "GET /organization/invites",
    ]  # fmt: skip
    assert [e.status for e in ran.sent] == [200, 200, 200, 200, 404, 404, 200]


def test_the_projects_workflow_runs_to_its_end_on_the_reference_server(reference: str) -> None:
    ran = run_workflow("state.projects", reference, _contract("6b8287f"))
    assert (ran.found, ran.stopped) == ([], None)
    assert ran.requests() == [
        "POST /organization/projects", f"GET {_PROJECT}", f"POST {_PROJECT}", f"GET {_PROJECT}",
        "GET /organization/users", "GET /organization/users/{user_id}",
        f"POST {_PROJECT}/users", f"GET {_PROJECT}/users", f"GET {_MEMBER}", f"POST {_MEMBER}", f"GET {_MEMBER}",
        f"DELETE {_MEMBER}", f"GET {_MEMBER}",
        f"POST {_PROJECT}/service_accounts", f"GET {_ACCOUNT}", f"GET {_PROJECT}/service_accounts",
        f"GET {_PROJECT}/api_keys", f"GET {_KEY}", f"DELETE {_KEY}", f"GET {_KEY}",
        f"DELETE {_ACCOUNT}", f"GET {_ACCOUNT}",
        f"GET {_PROJECT}", f"POST {_PROJECT}/archive", f"GET {_PROJECT}",
        "GET /organization/projects", "GET /organization/projects",
    ]  # fmt: skip
    gone = {12, 19, 21}  # the member, the key and the account, looked up once deleted
    assert [e.status for e in ran.sent] == [404 if n in gone else 200 for n in range(len(ran.sent))]
    # Archived: left out of the projects listed by default, there with include_archived=true.
    project_id = ran.sent[0].json()["id"]
    default, archived_too = (e.json()["data"] for e in ran.sent[-2:])
    assert project_id not in {p["id"] for p in default} and project_id in {p["id"] for p in archived_too}
    assert ran.sent[-1].request.url.endswith("include_archived=true")
    # A service account is a member with a key of the project.
    account = ran.sent[13].json()
    assert account["role"] == "member" and account["api_key"]["value"].startswith("sk-svcacct-")
    assert account["api_key"]["id"] in {key["id"] for key in ran.sent[16].json()["data"]}


# fault, the workflow that sees it, the check that must catch it
CAUGHT = [
    ("delete-noop", "state.invites", "state.delete"),
    ("delete-noop", "state.projects", "state.delete"),
    ("list-misses-newest", "state.invites", "state.list"),
    ("archive-answers-active", "state.projects", "state.lifecycle"),
]


@pytest.mark.parametrize(("fault", "scenario_id", "check"), CAUGHT)
def test_each_fault_the_organization_workflows_see_is_caught_by_its_check_alone(
    fault: str, scenario_id: str, check: str
) -> None:
    with serve_in_thread(create_app(_raw_spec("6b8287f"), faults=[fault])) as url:
        ran = run_workflow(scenario_id, url, _contract("6b8287f"), max_wait=0.2)
    assert ran.checks() == {check}, [v.message for v in ran.found]
    assert ran.stopped is None
    assert {v.severity for v in ran.found} == {"warning" if check == "state.list" else "error"}


def _refusing(app: ASGIApp, status: int) -> ASGIApp:
    """``app`` behind a gate that refuses the organization objects, as OpenAI does for a project key."""

    async def gate(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/organization"):
            error = {
                "message": "Admin key required",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
            await JSONResponse({"error": error}, status)(scope, receive, send)
            return
        await app(scope, receive, send)

    return gate


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("scenario_id", ["state.invites", "state.projects"])
def test_a_key_that_is_no_admin_key_stops_the_workflow_without_a_violation(
    scenario_id: str, status: int
) -> None:
    with serve_in_thread(_refusing(create_app(_raw_spec("6b8287f")), status)) as url:
        ran = run_workflow(scenario_id, url, _contract("6b8287f"))
    assert (ran.found, ran.stopped) == ([], None)
    assert len(ran.sent) == 1 and ran.sent[0].status == status
    assert ran.notes == [NOT_ADMIN.format(status=status)]


def test_the_gate_refuses_only_the_organization_objects() -> None:
    app = _refusing(create_app(_raw_spec("6b8287f")), 403)
    with serve_in_thread(app) as url:
        ran = run_workflow("state.models", url, _contract("6b8287f"))
    assert ran.sent[0].status == 200 and ran.found == []


def test_a_run_with_a_key_that_is_no_admin_key_says_why_the_organization_was_not_reached(
    tmp_path: Path,
) -> None:
    app = _refusing(create_app(_raw_spec("6b8287f")), 403)
    with serve_in_thread(app) as url:
        args = [
            "--base-url",
            url,
            "--include",
            "Models,Invites,Projects",
            "--max-examples",
            "2",
            "--seed",
            "1",
        ]
        code = main(["run", *args, "--report-dir", str(tmp_path), "--quiet"])
    report = json.loads((tmp_path / "report.json").read_text())
    assert_report_follows_schema(report)
    organization = [op for op in report["operations"] if op["path"].startswith("/organization")]
    assert len(organization) == 21
    for op in organization:
        assert op["outcome"] == "not_reached" and not op["reached"], op
        assert "not available for this key (the organization objects need an admin key)" in op["note"], op
        assert not op["violations"] and not op["errors"], op
    notes = {op["operation_id"]: op["note"] for op in organization}
    assert (
        NOT_ADMIN.format(status=403) in notes["inviteUser"]
        and NOT_ADMIN.format(status=403) in notes["create-project"]
    )
    models = [op for op in report["operations"] if not op["path"].startswith("/organization")]
    assert models and all(op["outcome"] == "passed" for op in models)
    assert code == 0  # not reached alone changes nothing
