"""Objects with more to them than the generic collections give: threads, messages, runs, file batches,
an eval run's output items.

Also the objects that exist before any request: the organization's user, a project and its members,
and a ChatKit thread.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.routing import RequestError

if TYPE_CHECKING:  # the generic collections call back into this module
    from openai_conformance.server.responders.resources import Resources

__all__ = [
    "batch_files",
    "check_assistant",
    "create_thread",
    "create_thread_and_run",
    "eval_output_items",
    "list_batch_files",
    "message_content",
    "run_from_assistant",
    "run_step",
    "seed_organization",
]

_USER = {"name": "Ada Reference", "email": "ada@example.com", "role": "owner"}
_SEEDS: tuple[tuple[str, dict[str, str], dict[str, str], str], ...] = (
    ("/organization/users", {}, _USER, "user-ref0001"),
    ("/organization/projects", {}, {"name": "Default Project"}, "proj_ref0001"),
    ("/organization/projects/{project_id}/users", {"project_id": "proj_ref0001"}, _USER, "user-ref0001"),
    (
        "/organization/projects/{project_id}/service_accounts",
        {"project_id": "proj_ref0001"},
        {"name": "Reference service account", "role": "member"},
        "svc_acct_ref0001",
    ),
    (
        "/organization/projects/{project_id}/api_keys",
        {"project_id": "proj_ref0001"},
        {"name": "Reference key", "redacted_value": "sk-...ref1"},
        "key_ref0001",
    ),
    (  # ChatKit's threads are made by its widget, not by an API request: one is there already
        "/chatkit/threads",
        {},
        {"title": "A reference conversation", "user": "user-ref0001"},
        "cthr_ref0001",
    ),
)


def seed_organization(resources: Resources) -> None:
    """Create the organization's user, project and project members, and a ChatKit thread (those the
    store lacks); the project has its rate limits."""
    from openai_conformance.server.responders.organization import add_rate_limits

    for collection, args, body, item_id in _SEEDS:
        kind = resources.kinds.get(collection)
        if kind is not None and item_id not in resources.objects(kind, args):
            obj = resources.new_object(kind, args, body, item_id)
            if kind.object_name == "organization.project":
                add_rate_limits(resources, obj)


def check_assistant(resources: Resources, body: dict[str, Any]) -> None:
    """Raise 404 when a run names an assistant that does not exist."""
    assistant = body.get("assistant_id")
    kind = resources.kinds.get("/assistants")
    if kind is not None and isinstance(assistant, str) and assistant not in resources.objects(kind, {}):
        raise RequestError(404, f"No assistant found with id '{assistant[:200]}'.", param="assistant_id")


def run_from_assistant(resources: Resources, obj: dict[str, Any], body: dict[str, Any]) -> None:
    """A new run takes the model, instructions and tools of its assistant unless the request sets them;
    it has its first step (creating the assistant's message)."""
    _first_step(resources, obj)
    kind = resources.kinds.get("/assistants")
    assistant = resources.objects(kind, {}).get(str(body.get("assistant_id"))) if kind else None
    if assistant is None:
        return
    for name in ("model", "instructions", "tools"):
        if name not in body and name in assistant and name in obj:
            value = copy.deepcopy(assistant[name])
            props = resources.props(resources.kinds["/threads/{thread_id}/runs"].item_schema)
            if resources.server.builder.conforms(value, props.get(name)):
                obj[name] = value


def run_step(resources: Resources, run: dict[str, Any]) -> None:
    """A run that completes has taken a step, the message it wrote (its first step, when it has one)."""
    kind = resources.kinds.get("/threads/{thread_id}/runs/{run_id}/steps")
    if kind is None or not isinstance(run.get("thread_id"), str):
        return
    args = {"thread_id": run["thread_id"], "run_id": run["id"]}
    if resources.objects(kind, args):
        return
    step = resources.new_object(kind, args, {"assistant_id": run.get("assistant_id"), "status": "completed"})
    for name in ("completed_at", "created_at"):
        if name in step and isinstance(run.get("completed_at"), int):
            step[name] = run["completed_at"]


def _first_step(resources: Resources, run: dict[str, Any]) -> None:
    steps = resources.kinds.get("/threads/{thread_id}/runs/{run_id}/steps")
    if steps is None or not isinstance(run.get("thread_id"), str):
        return
    args = {"thread_id": run["thread_id"], "run_id": run["id"]}
    message = resources.store.new_id("msg_", run["id"])
    details = {"type": "message_creation", "message_creation": {"message_id": message}}
    fields = {**args, "assistant_id": run.get("assistant_id"), "type": "message_creation"}
    resources.new_object(steps, args, {**fields, "status": "completed", "step_details": details})


def message_content(resources: Resources, obj: dict[str, Any], body: dict[str, Any]) -> None:
    """A new message holds the text it was created with, as text content parts."""
    content = body.get("content")
    texts: list[str] = []
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        texts = [str(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
    parts = [{"type": "text", "text": {"value": t, "annotations": []}} for t in texts]
    props = resources.props(resources.kinds["/threads/{thread_id}/messages"].item_schema)
    if resources.server.builder.conforms(parts, props.get("content")):
        obj["content"] = parts


def batch_files(resources: Resources, obj: dict[str, Any], call: Call, body: dict[str, Any]) -> None:
    """A new vector store file batch adds its files to the vector store and counts them."""
    files_kind = resources.kinds.get("/vector_stores/{vector_store_id}/files")
    ids = [f for f in body.get("file_ids") or [] if isinstance(f, str)]
    resources.store.batch_files[obj["id"]] = ids
    if files_kind is None:
        return
    collection = resources.objects(files_kind, call.path_args)
    for file_id in ids:
        if file_id not in collection:
            resources.new_object(files_kind, call.path_args, {"file_id": file_id}, file_id)
    counts = obj.get("file_counts")
    if isinstance(counts, dict) and "total" in counts:
        counts["total"] = len(ids)
        if "completed" in counts:
            counts["completed"] = len(ids)


def _new_thread(resources: Resources, body: dict[str, Any]) -> dict[str, Any]:
    thread = resources.new_object(resources.kinds["/threads"], {}, body)
    messages_kind = resources.kinds.get("/threads/{thread_id}/messages")
    if messages_kind is not None:
        for message in body.get("messages") or []:
            if isinstance(message, dict):
                stored = resources.new_object(messages_kind, {"thread_id": thread["id"]}, message)
                message_content(resources, stored, message)
    return thread


def create_thread(resources: Resources, call: Call) -> Reply:
    return Answer(_new_thread(resources, call.fields()))


def create_thread_and_run(resources: Resources, call: Call) -> Reply:
    body = call.fields()
    check_assistant(resources, body)
    thread_body: dict[str, Any] = body["thread"] if isinstance(body.get("thread"), dict) else {}
    thread = _new_thread(resources, thread_body)
    kind = resources.kinds["/threads/{thread_id}/runs"]
    run_body = {k: v for k, v in body.items() if k != "thread"}
    run = resources.new_object(kind, {"thread_id": thread["id"]}, run_body)
    run_from_assistant(resources, run, run_body)
    return Answer(run)


def list_batch_files(resources: Resources, call: Call) -> Reply:
    batch = resources.get(resources.kinds["/vector_stores/{vector_store_id}/file_batches"], call.path_args)
    collection = resources.objects(resources.kinds["/vector_stores/{vector_store_id}/files"], call.path_args)
    items = [collection[f] for f in resources.store.batch_files.get(batch["id"], []) if f in collection]
    return resources.list(None, call, items)


def eval_output_items(resources: Resources, run: dict[str, Any], args: dict[str, str]) -> None:
    """A new eval run has an output item: the one data source item it graded (runs finish at once here)."""
    kind = resources.kinds.get("/evals/{eval_id}/runs/{run_id}/output_items")
    if kind is None:
        return
    item = {"status": "pass", "datasource_item_id": 0, "datasource_item": {}, "results": []}
    parents = {**args, "run_id": str(run.get("id"))}  # (the item names them, as new objects do)
    resources.new_object(kind, parents, item, resources.store.new_id("outputitem_", run.get("id")))

