"""Stateful resources: generic create/retrieve/list/modify/delete for every collection of the spec.

Every collection path of the spec (``/assistants``, ``/threads/{thread_id}/messages``,
``/organization/projects/{project_id}/users``…) is a collection; objects are built from the schema
of the operation's 200 response, patched with an id, the request's fields (when they fit the
response schema) and the ids of their parents.  Some objects move through a lifecycle: each
retrieve of a batch, run or fine-tuning job advances its status one step.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.responders import batches, organization, threads
from openai_conformance.server.routing import Operation, RequestError
from openai_conformance.server.store import OWNER

__all__ = ["Kind", "Resources"]

_PREFIX = {
    "assistant": "asst_",
    "thread": "thread_",
    "thread.message": "msg_",
    "thread.run": "run_",
    "thread.run.step": "step_",
    "vector_store": "vs_",
    "vector_store.file": "file-",
    "vector_store.files_batch": "vsfb_",
    "fine_tuning.job": "ftjob-",
    "fine_tuning.job.event": "ftevent-",
    "fine_tuning.job.checkpoint": "ftckpt_",
    "batch": "batch_",
    "organization.invite": "invite-",
    "organization.user": "user-",
    "organization.project": "proj_",
    "organization.project.user": "user-",
    "organization.project.service_account": "svc_acct_",
    "organization.project.api_key": "key_",
    "file": "file-",
    "upload": "upload_",
    "upload.part": "part_",
}
_INITIAL = {
    "batch": "validating",
    "fine_tuning.job": "validating_files",
    "thread.run": "queued",
    "thread.message": "completed",
    "vector_store": "completed",
    "vector_store.file": "completed",
    "vector_store.files_batch": "in_progress",
    "organization.invite": "pending",
    "organization.project": "active",
}
_ADVANCE = {
    "batch": {
        "validating": "in_progress",
        "in_progress": "finalizing",
        "finalizing": "completed",
        "cancelling": "cancelled",
    },
    "fine_tuning.job": {"validating_files": "queued", "queued": "running", "running": "succeeded"},
    "thread.run": {"queued": "in_progress", "in_progress": "completed", "cancelling": "cancelled"},
    "vector_store.files_batch": {"in_progress": "completed"},
}
_ACTIONS = {
    "cancel": {
        "batch": "cancelling",
        "fine_tuning.job": "cancelled",
        "thread.run": "cancelling",
        "vector_store.files_batch": "cancelled",
    },
    "archive": {"organization.project": "archived"},
    "submit_tool_outputs": {"thread.run": "queued"},
}
_FINAL = {"completed", "succeeded", "failed", "cancelled", "expired", "archived", "incomplete"}
_STAMPS = {
    "in_progress": ("in_progress_at", "started_at"),
    "running": ("started_at",),
    "succeeded": ("finished_at",),
    "completed": ("completed_at",),
    "cancelled": ("cancelled_at",),
    "cancelling": ("cancelling_at",),
    "finalizing": ("finalizing_at",),
    "archived": ("archived_at",),
}


_Objects = list[dict[str, Any]]  # stored objects, oldest first (``list`` is a method name below)


@dataclass
class Kind:
    """A collection of the spec: where its objects live and what they look like."""

    collection: str  # the collection path template, e.g. /threads/{thread_id}/messages
    parents: list[str]  # the path parameters that select the parent
    id_param: str  # the item path parameter, e.g. message_id
    item_schema: Any
    object_name: str


class Resources:
    """Classifies the spec's operations and serves the generic ones."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.store = server.store
        item_ops: dict[str, Operation] = {}
        for op in server.router.operations:
            match = re.fullmatch(r"(.*)/\{([^}/]+)\}", op.path)
            if match and (match.group(1) not in item_ops or op.method == "GET"):
                item_ops[match.group(1)] = op
        self.kinds: dict[str, Kind] = {}
        for collection, op in item_ops.items():
            id_param = op.path.rsplit("{", 1)[1].rstrip("}")
            schema = self._item_schema(collection, op)
            resolved = server.builder.resolve(schema) or {}
            obj_schema = server.builder.resolve((resolved.get("properties") or {}).get("object")) or {}
            enum = obj_schema.get("enum") or [""]
            parents = re.findall(r"{([^}/]+)}", collection)
            self.kinds[collection] = Kind(collection, parents, id_param, schema, str(enum[0]))
        threads.seed_organization(self)

    def _item_schema(self, collection: str, item_op: Operation) -> Any:
        for op in self.server.router.operations:
            if op.path == item_op.path and op.method == "GET":
                return op.success_schema
        for op in self.server.router.operations:
            if op.path == collection and op.method == "POST":
                return op.success_schema
        return item_op.success_schema

    # -- lookups ----------------------------------------------------------------------------
    def objects(self, kind: Kind, args: dict[str, str]) -> dict[str, dict[str, Any]]:
        """The stored objects of ``kind`` under the parents named in ``args``."""
        return self.store.collection(kind.collection, args)

    def parent_exists(self, kind: Kind, args: dict[str, str]) -> None:
        """Raise 404 when the parent named in the path does not exist."""
        if not kind.parents:
            return
        last = kind.parents[-1]
        parent_path = kind.collection[: kind.collection.index("{" + last + "}")].rstrip("/")
        parent = self.kinds.get(parent_path)
        if parent is None:
            return
        self.parent_exists(parent, args)
        if args.get(last, "") not in self.objects(parent, args):
            raise RequestError(
                404, f"No {parent.object_name or 'object'} found with id '{args.get(last, '')}'.", param=last
            )

    def get(self, kind: Kind, args: dict[str, str]) -> dict[str, Any]:
        self.parent_exists(kind, args)
        item_id = args.get(kind.id_param, "")
        found = self.objects(kind, args).get(item_id)
        if found is None:
            raise RequestError(
                404,
                f"No {kind.object_name or 'object'} found with id '{item_id[:200]}'.",
                param=kind.id_param,
            )
        return found

    def new_object(
        self, kind: Kind, args: dict[str, str], body: Any, item_id: str | None = None
    ) -> dict[str, Any]:
        """A new stored object of ``kind``, built from the schema and patched with the request."""
        server, store = self.server, self.store
        obj = server.instance(kind.item_schema)
        if not isinstance(obj, dict):
            obj = {}
        obj["id"] = item_id or store.new_id(_PREFIX.get(kind.object_name, "obj_"), body)
        props = self.props(kind.item_schema)
        for name in ("created_at", "created", "added_at", "invited_at"):
            if name in props and server.builder.conforms(0, props[name]):
                obj[name] = store.timestamp()
        if "expires_at" in obj and isinstance(obj.get("created_at"), int):
            obj["expires_at"] = obj["created_at"] + 3600
        status = _INITIAL.get(kind.object_name)
        if status and "status" in props and server.builder.conforms(status, props["status"]):
            obj["status"] = status
        for parent in kind.parents:
            if parent in props and server.builder.conforms(args.get(parent), props[parent]):
                obj[parent] = args.get(parent)
        self.copy_fields(obj, props, body)
        self.objects(kind, args)[obj["id"]] = obj
        return obj

    def props(self, schema: Any) -> dict[str, Any]:
        """The properties of an object schema (its allOf parts merged)."""
        resolved = self.server.builder.resolve(schema) or {}
        if isinstance(resolved, dict) and "allOf" in resolved:
            resolved = self.server.builder.merge_all_of(resolved)
        props = resolved.get("properties") if isinstance(resolved, dict) else None
        return props if isinstance(props, dict) else {}

    def copy_fields(self, obj: dict[str, Any], props: dict[str, Any], body: Any) -> None:
        """Copy the request's fields that fit the response schema into ``obj``."""
        if not isinstance(body, dict):
            return
        for name, value in body.items():
            if name in ("id", "object") or name not in props or (value is None and name not in obj):
                continue
            if self.server.builder.conforms(value, props[name]):
                obj[name] = copy.deepcopy(value)

    def set_status(self, kind: Kind, obj: dict[str, Any], status: str) -> None:
        props = self.props(kind.item_schema)
        if "status" not in props or not self.server.builder.conforms(status, props["status"]):
            return
        obj["status"] = status
        for stamp in _STAMPS.get(status, ()):
            if stamp in props and self.server.builder.conforms(0, props[stamp]):
                obj[stamp] = self.store.timestamp()
        if kind.object_name == "batch":
            batches.on_status(self, obj, status, props)
        if kind.object_name == "thread.run" and status == "completed":
            threads.run_step(self, obj)
        if kind.object_name == "fine_tuning.job" and status == "succeeded":
            model = f"ft:{obj.get('model') or 'gpt-4o-mini-2024-07-18'}:openai-conformance::{obj['id'][-8:]}"
            if "fine_tuned_model" in props and self.server.builder.conforms(model, props["fine_tuned_model"]):
                obj["fine_tuned_model"] = model
                self.store.add_model(model, owned_by=OWNER, created=self.store.timestamp())

    # -- generic operations ----------------------------------------------------------------------
    def create(self, kind: Kind, call: Call) -> Reply:
        self.parent_exists(kind, call.path_args)
        body = call.fields()
        item_id = None
        if isinstance(body.get(kind.id_param), str) and kind.id_param != "batch_id":
            item_id = body[kind.id_param]
            if kind.id_param == "file_id" and item_id not in self.store.file_bytes:
                raise RequestError(404, f"No file found with id '{item_id[:200]}'.", param="file_id")
            if item_id in self.objects(kind, call.path_args):
                raise RequestError(
                    409, f"'{item_id[:200]}' is already in this collection.", param=kind.id_param
                )
        if kind.object_name == "thread.run":
            threads.check_assistant(self, body)
        if kind.object_name == "batch":
            batches.check_input(self, body)
        organization.before_create(self, kind.object_name, body)
        obj = self.new_object(kind, call.path_args, body, item_id)
        if kind.object_name == "thread.message":
            threads.message_content(self, obj, body)
        if kind.object_name == "thread.run":
            threads.run_from_assistant(self, obj, body)
        if kind.object_name == "vector_store.files_batch":
            threads.batch_files(self, obj, call, body)
        if kind.object_name == "eval.run":
            threads.eval_output_items(self, obj, call.path_args)
        answer = self.respond(call.op, obj)
        organization.created(self, kind.object_name, obj, call, answer)
        return Answer(answer)

    def respond(self, op: Operation, obj: dict[str, Any]) -> Any:
        """``obj`` as the body of ``op``, when the operation's schema differs from the stored one."""
        template = self.server.template(op)
        if not isinstance(template, dict) or set(template) <= set(obj):
            return copy.deepcopy(obj)
        props = self.props(op.success_schema)
        closed = (self.server.builder.resolve(op.success_schema) or {}).get("additionalProperties") is False
        if "id" in props or not closed:  # a page of search results has no id, and may not carry one
            template["id"] = obj["id"]
        self.copy_fields(template, props, obj)
        return template

    def retrieve(self, kind: Kind, call: Call) -> Reply:
        obj = self.get(kind, call.path_args)
        advance = _ADVANCE.get(kind.object_name, {})
        status = obj.get("status")  # (a ChatKit thread's is an object: `{"type": "active"}`)
        if isinstance(status, str) and status in advance:
            self.set_status(kind, obj, advance[status])
        return Answer(obj)

    def modify(self, kind: Kind, call: Call) -> Reply:
        obj = self.get(kind, call.path_args)
        self.copy_fields(obj, self.props(kind.item_schema), call.body)
        return Answer(self.respond(call.op, obj))

    def delete(self, kind: Kind, call: Call) -> Reply:
        obj = self.get(kind, call.path_args)
        if self.server.hooks.removal(obj):
            del self.objects(kind, call.path_args)[obj["id"]]
            organization.removed(self, kind.object_name, obj, call.path_args)
        body = self.server.template(call.op)
        if not isinstance(body, dict):
            body = {}
        body["id"] = obj["id"]
        body["deleted"] = True
        if body.get("object") == "":
            body["object"] = (kind.object_name or "object") + ".deleted"
        return Answer(body)

    def action(self, kind: Kind, name: str, call: Call) -> Reply:
        obj = self.get(kind, call.path_args)
        target = _ACTIONS.get(name, {}).get(kind.object_name)
        if target is not None:
            if obj.get("status") in _FINAL:
                raise RequestError(400, f"Cannot {name} an object whose status is {obj['status']}.")
            self.set_status(kind, obj, target)
        self.copy_fields(obj, self.props(kind.item_schema), call.body)
        return Answer(self.respond(call.op, obj))

    def list(self, kind: Kind | None, call: Call, items: _Objects | None = None) -> Reply:
        """A page of ``items`` (or of the collection of ``kind``), filtered, ordered and cut as asked."""
        if kind is not None:
            self.parent_exists(kind, call.path_args)
            items = list(self.objects(kind, call.path_args).values())
        items = self.server.hooks.listing(list(items or []))
        params = call.params
        for name in ("filter", "purpose"):
            if isinstance(params.get(name), str):
                items = [i for i in items if i.get("status" if name == "filter" else name) == params[name]]
        if params.get("run_id"):
            items = [i for i in items if i.get("run_id") == params["run_id"]]
        items = organization.listed(call, items)
        if params.get("order", "desc") == "desc" and "order" in {p.name for p in call.op.parameters}:
            items.reverse()
        ids = [i.get("id") for i in items]
        if isinstance(params.get("after"), str) and params["after"] in ids:
            items = items[ids.index(params["after"]) + 1 :]
        elif isinstance(params.get("before"), str) and params["before"] in ids:
            items = items[: ids.index(params["before"])]
        limit = params.get("limit")
        has_more = False
        if isinstance(limit, int) and limit >= 0 and len(items) > limit:
            items, has_more = items[:limit], True
        return Answer(self._page(call.op, items, has_more))

    def _page(self, op: Operation, items: _Objects, has_more: bool) -> Any:
        body = self.server.template(op)
        if not isinstance(body, dict):
            return body
        builder = self.server.builder
        props = self.props(op.success_schema)
        data_schema = (builder.resolve(props.get("data")) or {}).get("items")
        # Stored objects that do not fit the item schema stay out.
        body["data"] = [i for i in items if builder.conforms(i, data_schema)]
        if body.get("object") == "":
            body["object"] = "list"
        open_schema = (builder.resolve(op.success_schema) or {}).get("additionalProperties") is not False
        for name, value in (
            ("first_id", body["data"][0]["id"] if body["data"] else None),
            ("last_id", body["data"][-1]["id"] if body["data"] else None),
            ("has_more", has_more),
        ):
            # has_more is always given where the schema allows it: SDKs page until it is false.
            if name in props or (name == "has_more" and open_schema):
                if value is None and not builder.conforms(None, props[name]):
                    value = ""
                body[name] = value
        return body
