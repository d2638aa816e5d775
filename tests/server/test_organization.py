"""The organization objects as OpenAI keeps them: members of the organization, service accounts with a
key of their project, invites that expire later than they were sent, archived projects listed on request."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from openai_conformance.server.responders.organization import INVITE_LIFETIME

from .helpers import response_errors

_PROJECTS = "/v1/organization/projects"


def test_an_invite_expires_a_week_after_it_was_sent(client: TestClient) -> None:
    invite = client.post("/v1/organization/invites", json={"email": "a@example.com", "role": "reader"}).json()
    assert invite["status"] == "pending" and invite["expires_at"] == invite["invited_at"] + INVITE_LIFETIME
    assert client.get(f"/v1/organization/invites/{invite['id']}").json() == invite


def test_a_project_member_is_a_user_of_the_organization(client: TestClient) -> None:
    project = client.post(_PROJECTS, json={"name": "p"}).json()["id"]
    users = f"{_PROJECTS}/{project}/users"
    added = client.post(users, json={"user_id": "user-ref0001", "role": "member"})
    assert added.status_code == 200
    assert {
        "id": "user-ref0001",
        "name": "Ada Reference",
        "email": "ada@example.com",
        "role": "member",
    }.items() <= (added.json().items())
    unknown = client.post(users, json={"user_id": "user-nobody", "role": "member"})
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "user_id"


def test_a_service_account_has_a_key_of_its_project_which_goes_with_it(
    client: TestClient, openapi: Any
) -> None:
    project = client.post(_PROJECTS, json={"name": "p"}).json()["id"]
    accounts, keys = f"{_PROJECTS}/{project}/service_accounts", f"{_PROJECTS}/{project}/api_keys"
    created = client.post(accounts, json={"name": "robot"})
    account = created.json()
    path = f"/organization/projects/{project}/service_accounts"
    assert response_errors(openapi, "POST", path, 200, created.headers["content-type"], created.content) == []
    key = account["api_key"]
    assert (
        account["role"] == "member"
        and key["id"].startswith("key_")
        and key["value"].startswith("sk-svcacct-")
    )
    assert client.get(f"{accounts}/{account['id']}").json()["role"] == "member"
    listed = client.get(keys).json()["data"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert listed[0]["owner"]["type"] == "service_account"
    assert listed[0]["owner"]["service_account"]["id"] == account["id"]
    assert key["value"] not in str(listed)  # only its redacted value
    assert client.delete(f"{accounts}/{account['id']}").json()["deleted"] is True
    assert client.get(keys).json()["data"] == []


def test_an_archived_project_is_listed_only_when_asked_for(client: TestClient) -> None:
    project = client.post(_PROJECTS, json={"name": "p"}).json()["id"]
    archived = client.post(f"{_PROJECTS}/{project}/archive").json()
    assert archived["status"] == "archived" and isinstance(archived["archived_at"], int)

    def listed(**params: str) -> set[str]:
        return {p["id"] for p in client.get(_PROJECTS, params=params).json()["data"]}

    assert project not in listed() and project not in listed(include_archived="false")
    assert project in listed(include_archived="true") and "proj_ref0001" in listed()
    again = client.post(f"{_PROJECTS}/{project}/archive")
    assert again.status_code == 400  # archived is final
