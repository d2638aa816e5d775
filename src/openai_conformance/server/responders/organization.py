"""The organization objects as OpenAI keeps them: a project's user is a member of the organization, a
service account is a member with an API key of the project, an invite expires a week after it is sent,
an archived project is listed only when ``include_archived`` asks for it, and every project has a
rate limit for each model the server serves."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from openai_conformance.server.routing import RequestError

if TYPE_CHECKING:  # the generic collections call back into this module
    from openai_conformance.server.call import Call
    from openai_conformance.server.responders.resources import Resources

__all__ = ["INVITE_LIFETIME", "add_rate_limits", "before_create", "created", "listed", "removed"]

INVITE_LIFETIME = 7 * 24 * 3600  # seconds an invite stays pending
_USERS = "/organization/users"
_KEYS = "/organization/projects/{project_id}/api_keys"
_RATE_LIMITS = "/organization/projects/{project_id}/rate_limits"


def before_create(resources: Resources, object_name: str, body: dict[str, Any]) -> None:
    """Raise 404 when a project user names no user of the organization."""
    if object_name != "organization.project.user":
        return
    user = body.get("user_id")
    kind = resources.kinds.get(_USERS)
    if kind is not None and isinstance(user, str) and user not in resources.objects(kind, {}):
        raise RequestError(404, f"No user found with id '{user[:200]}'.", param="user_id")


def created(resources: Resources, object_name: str, obj: dict[str, Any], call: Call, answer: Any) -> None:
    """What a new organization object has beyond the request's fields (``answer``: the create's body)."""
    if object_name == "organization.invite" and isinstance(obj.get("invited_at"), int):
        _set(resources, obj, "expires_at", obj["invited_at"] + INVITE_LIFETIME, answer)
    elif object_name == "organization.project.user":
        kind = resources.kinds.get(_USERS)
        user = resources.objects(kind, {}).get(str(obj.get("id"))) if kind is not None else None
        for name in ("name", "email"):
            if user is not None and isinstance(user.get(name), str):
                _set(resources, obj, name, user[name], answer)
    elif object_name == "organization.project.service_account":
        _set(resources, obj, "role", "member", answer)
        _service_account_key(resources, obj, call, answer)
    elif object_name == "organization.project":
        add_rate_limits(resources, obj)


def add_rate_limits(resources: Resources, project: dict[str, Any]) -> None:
    """A project's rate limits, one for each model (``rl-<model>``), as a new project has them."""
    kind = resources.kinds.get(_RATE_LIMITS)
    if kind is None:
        return
    args = {"project_id": str(project.get("id"))}
    for model in list(resources.store.models):
        limits = {"model": model, "max_requests_per_1_minute": 500, "max_tokens_per_1_minute": 200_000}
        resources.new_object(kind, args, limits, f"rl-{model}")


def removed(resources: Resources, object_name: str, obj: dict[str, Any], args: dict[str, str]) -> None:
    """A deleted service account takes its API keys with it."""
    kind = resources.kinds.get(_KEYS)
    if object_name != "organization.project.service_account" or kind is None:
        return
    keys = resources.objects(kind, args)
    for key_id, key in list(keys.items()):
        owner = key.get("owner")
        account = owner.get("service_account") if isinstance(owner, dict) else None
        if isinstance(account, dict) and account.get("id") == obj.get("id"):
            del keys[key_id]


def listed(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list of projects leaves the archived ones out unless ``include_archived`` is true."""
    if "include_archived" not in {p.name for p in call.op.parameters} or call.params.get("include_archived"):
        return items
    return [item for item in items if item.get("status") != "archived"]


def _set(resources: Resources, obj: dict[str, Any], name: str, value: Any, answer: Any) -> None:
    """``name`` of the stored object, and of the create's answer where it has the field."""
    obj[name] = value
    if isinstance(answer, dict) and name in answer:
        answer[name] = copy.deepcopy(value)


def _service_account_key(resources: Resources, account: dict[str, Any], call: Call, answer: Any) -> None:
    """A service account's API key: its value in the create's answer, its redacted form in the
    project's keys, owned by the account."""
    kind = resources.kinds.get(_KEYS)
    if kind is None:
        return
    store = resources.store
    key_id = store.new_id("key_", account["id"])
    value = "sk-svcacct-" + store.new_id("", key_id)
    owner = {"type": "service_account", "service_account": copy.deepcopy(account)}
    body = {"name": "Secret Key", "redacted_value": f"{value[:6]}...{value[-4:]}", "owner": owner}
    key = resources.new_object(kind, call.path_args, body, key_id)
    if isinstance(answer, dict) and isinstance(answer.get("api_key"), dict):
        answer["api_key"].update(
            id=key_id, value=value, name=key.get("name"), created_at=key.get("created_at")
        )
