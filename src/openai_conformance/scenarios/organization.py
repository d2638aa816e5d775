"""The organization objects workflows (an admin key's), judged across their answers (state.*).

invites: a throwaway address (at example.com) invited → retrieved (what the invite answered) →
listed → deleted → gone (retrieve and delete answer 404) → no longer listed. projects: a throwaway
project created → retrieved → renamed, the new name kept on retrieve → the organization's users
retrieved as listed, the first added to the project, retrieved, given another role, removed and gone
→ a service account created, retrieved, listed, its API key listed and retrieved among the
project's keys and deleted, the account deleted and gone → the project archived (projects cannot be
deleted): archived on retrieve, listed only with ``include_archived``.

A 401 or 403 on the first request means the key is no admin key: the workflow says so and stops,
which is no violation (the operations say why they were not reached).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from openai_conformance.scenarios.base import (
    ScenarioContext,
    ScenarioFinding,
    Scenarios,
    Stopped,
    Unimplemented,
)
from openai_conformance.scenarios.flow import (
    deleted,
    gone,
    ids_of,
    listed,
    need,
    need_id,
    object_of,
    send,
    tell,
)
from openai_conformance.scenarios.state import check_same, check_transition, check_updated
from openai_conformance.transport.exchange import Exchange

__all__ = ["EMAIL", "NOT_ADMIN", "SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

#: The address invited: example.com is reserved, so no one receives the invite.
EMAIL = "openai-conformance@example.com"
NOT_ADMIN = "the organization objects answered {status}: they need an admin key, which this key is not"
_INVITE = "/organization/invites/{invite_id}"
_PROJECT = "/organization/projects/{project_id}"
_MEMBER = _PROJECT + "/users/{user_id}"
_ACCOUNT = _PROJECT + "/service_accounts/{service_account_id}"
_KEY = _PROJECT + "/api_keys/{key_id}"
_MAX_USERS = 5  # at most this many listed users are retrieved

_Steps = Generator[ScenarioFinding, None, None]


def _refused(ctx: ScenarioContext, exchange: Exchange) -> bool:
    """Whether the first request was refused for want of an admin key (noted, not a violation)."""
    if exchange.status not in (401, 403):
        return False
    ctx.note(NOT_ADMIN.format(status=exchange.status))
    return True


@scenario(
    "state.invites",
    "inviteUser",
    "an invite is what was sent, is listed, and is gone once deleted",
    model_for=None,
)
def _invites(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    body = {"email": EMAIL, "role": "reader"}
    exchange = yield from send(ctx, "POST", "/organization/invites", "inviteUser", body=body)
    if _refused(ctx, exchange):
        return
    created, invite_id = need_id(exchange, "POST /organization/invites", "its retrieve, list and delete")
    what = "POST /organization/invites"
    yield from tell(check_same(body | {"id": invite_id}, created, what, declared=("email", "role")), exchange)
    path = f"/organization/invites/{invite_id}"
    exchange = yield from send(ctx, "GET", path, "retrieve-invite", template=_INVITE)
    retrieved = need(exchange, f"GET {path}", "its list and delete")
    yield from tell(
        check_same(created, retrieved, f"GET {path}", declared=("email", "role"),
                   changing=("status", "accepted_at")),
        exchange,
    )  # fmt: skip
    yield from listed(ctx, "/organization/invites", "list-invites", what="the invite", present=[invite_id])
    refused = yield from deleted(ctx, path, _INVITE, "delete-invite", "retrieve-invite", "a deleted invite")
    if refused:
        absent = [invite_id]
        yield from listed(
            ctx, "/organization/invites", "list-invites", what="the deleted invite", absent=absent
        )


@scenario(
    "state.projects",
    "create-project",
    "a project keeps its rename, its members and service accounts come and go, and it archives",
    model_for=None,
)
def _projects(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    exchange = yield from send(
        ctx, "POST", "/organization/projects", "create-project", body={"name": "openai-conformance"}
    )
    if _refused(ctx, exchange):
        return
    created, project_id = need_id(exchange, "POST /organization/projects", "the project workflow")
    project = f"/organization/projects/{project_id}"
    stops: list[str] = []
    # Each part goes as far as it can (a generator runs only once iterated); the project is archived
    # whatever happened.
    for part in (_renamed(ctx, project, created), _members(ctx, project), _accounts(ctx, project)):
        try:
            yield from part
        except Stopped as stop:
            stops.append(stop.reason)
        except Unimplemented:
            pass
    yield from _archived(ctx, project, project_id)
    if stops:
        raise Stopped("; ".join(stops))


def _renamed(ctx: ScenarioContext, project: str, created: dict[str, Any]) -> _Steps:
    exchange = yield from send(ctx, "GET", project, "retrieve-project", template=_PROJECT)
    retrieved = need(exchange, f"GET {project}", "its rename")
    yield from tell(check_same(created, retrieved, f"GET {project}", declared=("name",)), exchange)
    changes = {"name": "openai-conformance (renamed)"}
    exchange = yield from send(ctx, "POST", project, "modify-project", template=_PROJECT, body=changes)
    yield from tell(check_updated(need(exchange, f"POST {project}", "whether the rename is kept"), changes,
                                  f"POST {project}"), exchange)  # fmt: skip
    exchange = yield from send(ctx, "GET", project, "retrieve-project", template=_PROJECT)
    again = need(exchange, f"GET {project} after the rename", "whether the rename is kept")
    yield from tell(check_updated(again, changes, f"GET {project} after the rename"), exchange)


def _users(ctx: ScenarioContext) -> Generator[ScenarioFinding, None, list[str]]:
    """The organization's users, each of the first few retrieved as listed; their ids."""
    exchange = yield from send(ctx, "GET", "/organization/users", "list-users")
    page = object_of(exchange) or {}
    items = {item["id"]: item for item in page.get("data") or [] if isinstance(item, dict) and "id" in item}
    users = ids_of(page)[:_MAX_USERS]
    for user_id in users:
        path = f"/organization/users/{user_id}"
        exchange = yield from send(
            ctx, "GET", path, "retrieve-user", template="/organization/users/{user_id}"
        )
        body = need(exchange, f"GET {path}", "the project's members")
        yield from tell(check_same(items[user_id], body, f"GET {path}", declared=("email", "role")), exchange)
    return users


def _members(ctx: ScenarioContext, project: str) -> _Steps:
    users = yield from _users(ctx)
    if not users:
        raise Stopped("GET /organization/users listed no user, so the project's members could not be tested")
    body = {"user_id": users[0], "role": "member"}
    members = project + "/users"
    exchange = yield from send(
        ctx, "POST", members, "create-project-user", template=_PROJECT + "/users", body=body
    )
    added, user_id = need_id(exchange, f"POST {members}", "the member's retrieve, role and removal")
    yield from tell(check_same({"id": users[0], "role": "member"}, added, f"POST {members}", declared=("role",)),
                    exchange)  # fmt: skip
    yield from listed(ctx, members, "list-project-users", what="the project member", present=[user_id],
                      template=_PROJECT + "/users")  # fmt: skip
    path = f"{members}/{user_id}"
    exchange = yield from send(ctx, "GET", path, "retrieve-project-user", template=_MEMBER)
    retrieved = need(exchange, f"GET {path}", "the member's role and removal")
    yield from tell(check_same(added, retrieved, f"GET {path}", declared=("role", "email")), exchange)
    changes = {"role": "owner"}
    exchange = yield from send(ctx, "POST", path, "modify-project-user", template=_MEMBER, body=changes)
    yield from tell(check_updated(need(exchange, f"POST {path}", "whether the role is kept"), changes,
                                  f"POST {path}"), exchange)  # fmt: skip
    exchange = yield from send(ctx, "GET", path, "retrieve-project-user", template=_MEMBER)
    yield from tell(check_updated(need(exchange, f"GET {path}", "the member's removal"), changes,
                                  f"GET {path} after the role change"), exchange)  # fmt: skip
    exchange = yield from send(ctx, "DELETE", path, "delete-project-user", template=_MEMBER)
    need(exchange, f"DELETE {path}", "that the member is gone")
    yield from gone(ctx, "GET", path, _MEMBER, "retrieve-project-user", "a removed project member")


def _accounts(ctx: ScenarioContext, project: str) -> _Steps:
    accounts = project + "/service_accounts"
    exchange = yield from send(ctx, "POST", accounts, "create-project-service-account",
                               template=_PROJECT + "/service_accounts", body={"name": "openai-conformance"})  # fmt: skip
    account, account_id = need_id(exchange, f"POST {accounts}", "the service account's retrieve and delete")
    path = f"{accounts}/{account_id}"
    exchange = yield from send(ctx, "GET", path, "retrieve-project-service-account", template=_ACCOUNT)
    retrieved = need(exchange, f"GET {path}", "the service account's key and delete")
    yield from tell(check_same(account, retrieved, f"GET {path}", declared=("name", "role"),
                               changing=("api_key",)), exchange)  # fmt: skip
    yield from listed(ctx, accounts, "list-project-service-accounts", what="the service account",
                      present=[account_id], template=_PROJECT + "/service_accounts")  # fmt: skip
    key = account.get("api_key")
    if isinstance(key, dict) and isinstance(key.get("id"), str) and key["id"]:
        yield from _key(ctx, project, key["id"])
    exchange = yield from send(ctx, "DELETE", path, "delete-project-service-account", template=_ACCOUNT)
    need(exchange, f"DELETE {path}", "that the service account is gone")
    yield from gone(
        ctx, "GET", path, _ACCOUNT, "retrieve-project-service-account", "a deleted service account"
    )


def _key(ctx: ScenarioContext, project: str, key_id: str) -> _Steps:
    """The service account's API key among the project's keys: listed, retrieved, deleted."""
    keys = project + "/api_keys"
    yield from listed(ctx, keys, "list-project-api-keys", what="the service account's API key",
                      present=[key_id], template=_PROJECT + "/api_keys")  # fmt: skip
    path = f"{keys}/{key_id}"
    exchange = yield from send(ctx, "GET", path, "retrieve-project-api-key", template=_KEY)
    retrieved = need(exchange, f"GET {path}", "the key's delete")
    yield from tell(check_same({"id": key_id}, retrieved, f"GET {path}"), exchange)
    exchange = yield from send(ctx, "DELETE", path, "delete-project-api-key", template=_KEY)
    if object_of(exchange) is not None:  # a service account's key may be refused: it goes with its account
        yield from gone(ctx, "GET", path, _KEY, "retrieve-project-api-key", "a deleted API key")


def _archived(ctx: ScenarioContext, project: str, project_id: str) -> _Steps:
    """Archive the project: archived on retrieve, listed only when archived projects are asked for."""
    exchange = yield from send(ctx, "GET", project, "retrieve-project", template=_PROJECT)
    before = (object_of(exchange) or {}).get("status")
    exchange = yield from send(
        ctx, "POST", project + "/archive", "archive-project", template=_PROJECT + "/archive"
    )
    archived = need(exchange, f"POST {project}/archive", "the archived project's listing")
    yield from tell(check_transition("organization.project", "the project", before, archived.get("status")),
                    exchange)  # fmt: skip
    if archived.get("status") != "archived":
        message = f"POST {project}/archive answers status {archived.get('status')!r}, not archived"
        yield check_transition.violation(message, "/status"), exchange
    exchange = yield from send(ctx, "GET", project, "retrieve-project", template=_PROJECT)
    again = need(exchange, f"GET {project} after the archive", "the archived project's listing")
    yield from tell(check_transition("organization.project", "the archived project", archived.get("status"),
                                     again.get("status")), exchange)  # fmt: skip
    if again.get("status") != "archived":
        message = f"GET {project} after the archive answers status {again.get('status')!r}, not archived"
        yield check_transition.violation(message, "/status"), exchange
    lists = "/organization/projects"
    yield from listed(ctx, lists, "list-projects", what="the archived project", absent=[project_id])
    yield from listed(ctx, lists, "list-projects", what="the archived project", present=[project_id],
                      query={"include_archived": True})  # fmt: skip
