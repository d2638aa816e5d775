"""Stateful resources: files, uploads, and generic create/retrieve/list/modify/delete for the rest.

Resources live in memory.  Every collection path of the spec (``/assistants``,
``/threads/{thread_id}/messages``, ``/organization/projects/{project_id}/users``…) is a collection;
objects are built from the schema of the operation's 200 response, patched with an id, the request's
fields (when they fit the response schema) and the ids of their parents.  Some objects move through a
lifecycle: each retrieve of a batch, run or fine-tuning job advances its status one step.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from openai_conformance.server.core import Call, Server
from openai_conformance.server.routing import Operation, RequestError

__all__ = ["RESOURCE_HANDLERS", "Resources"]

Handler = Callable[[Server, Call], Response]

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
        self._seed()

    def _item_schema(self, collection: str, item_op: Operation) -> Any:
        for op in self.server.router.operations:
            if op.path == item_op.path and op.method == "GET":
                return op.success_schema
        for op in self.server.router.operations:
            if op.path == collection and op.method == "POST":
                return op.success_schema
        return item_op.success_schema

    # -- lookups ----------------------------------------------------------------------------
    def key(self, kind: Kind, args: dict[str, str]) -> str:
        return kind.collection + "|" + "|".join(args.get(p, "") for p in kind.parents)

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
        if args.get(last, "") not in self.server.collection(self.key(parent, args)):
            raise RequestError(
                404, f"No {parent.object_name or 'object'} found with id '{args.get(last, '')}'.", param=last
            )

    def get(self, kind: Kind, args: dict[str, str]) -> dict[str, Any]:
        self.parent_exists(kind, args)
        item_id = args.get(kind.id_param, "")
        found = self.server.collection(self.key(kind, args)).get(item_id)
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
        server = self.server
        obj = server.instance(kind.item_schema)
        if not isinstance(obj, dict):
            obj = {}
        obj["id"] = item_id or server.new_id(_PREFIX.get(kind.object_name, "obj_"), body)
        props = self._props(kind.item_schema)
        for name in ("created_at", "created", "added_at", "invited_at"):
            if name in props and server.builder.conforms(0, props[name]):
                obj[name] = server.timestamp()
        if "expires_at" in obj and isinstance(obj.get("created_at"), int):
            obj["expires_at"] = obj["created_at"] + 3600
        status = _INITIAL.get(kind.object_name)
        if status and "status" in props and server.builder.conforms(status, props["status"]):
            obj["status"] = status
        for parent in kind.parents:
            if parent in props and server.builder.conforms(args.get(parent), props[parent]):
                obj[parent] = args.get(parent)
        self.copy_fields(obj, props, body)
        self.server.collection(self.key(kind, args))[obj["id"]] = obj
        return obj

    def _props(self, schema: Any) -> dict[str, Any]:
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
        props = self._props(kind.item_schema)
        if "status" not in props or not self.server.builder.conforms(status, props["status"]):
            return
        obj["status"] = status
        for stamp in _STAMPS.get(status, ()):
            if stamp in props and self.server.builder.conforms(0, props[stamp]):
                obj[stamp] = self.server.timestamp()
        if kind.object_name == "fine_tuning.job" and status == "succeeded":
            model = f"ft:{obj.get('model') or 'gpt-4o-mini-2024-07-18'}:openai-conformance::{obj['id'][-8:]}"
            if "fine_tuned_model" in props and self.server.builder.conforms(model, props["fine_tuned_model"]):
                obj["fine_tuned_model"] = model
                self.server.models[model] = {
                    "id": model,
                    "object": "model",
                    "created": self.server.timestamp(),
                    "owned_by": "openai-conformance",
                }

    # -- generic operations ----------------------------------------------------------------------
    def create(self, kind: Kind, call: Call) -> Response:
        self.parent_exists(kind, call.path_args)
        body = call.body if isinstance(call.body, dict) else {}
        item_id = None
        if isinstance(body.get(kind.id_param), str) and kind.id_param != "batch_id":
            item_id = body[kind.id_param]
            if kind.id_param == "file_id" and item_id not in self.server.file_bytes:
                raise RequestError(404, f"No file found with id '{item_id[:200]}'.", param="file_id")
            if item_id in self.server.collection(self.key(kind, call.path_args)):
                raise RequestError(
                    409, f"'{item_id[:200]}' is already in this collection.", param=kind.id_param
                )
        if kind.object_name == "thread.run":
            self._check_assistant(body)
        obj = self.new_object(kind, call.path_args, body, item_id)
        if kind.object_name == "thread.message":
            self._message_content(obj, body)
        if kind.object_name == "thread.run":
            self._run_from_assistant(obj, body)
        if kind.object_name == "vector_store.files_batch":
            self._batch_files(obj, call, body)
        return self.server.json(self.respond(call.op, obj))

    def respond(self, op: Operation, obj: dict[str, Any]) -> Any:
        """``obj`` as the body of ``op``, when the operation's schema differs from the stored one."""
        template = self.server.template(op)
        if not isinstance(template, dict) or set(template) <= set(obj):
            return copy.deepcopy(obj)
        props = self._props(op.success_schema)
        template["id"] = obj["id"]
        self.copy_fields(template, props, obj)
        return template

    def retrieve(self, kind: Kind, call: Call) -> Response:
        obj = self.get(kind, call.path_args)
        advance = _ADVANCE.get(kind.object_name, {})
        if obj.get("status") in advance:
            self.set_status(kind, obj, advance[obj["status"]])
        return self.server.json(obj)

    def modify(self, kind: Kind, call: Call) -> Response:
        obj = self.get(kind, call.path_args)
        self.copy_fields(obj, self._props(kind.item_schema), call.body)
        return self.server.json(self.respond(call.op, obj))

    def delete(self, kind: Kind, call: Call) -> Response:
        obj = self.get(kind, call.path_args)
        if not self.server.on("delete-noop"):
            del self.server.collection(self.key(kind, call.path_args))[obj["id"]]
        body = self.server.template(call.op)
        if not isinstance(body, dict):
            body = {}
        body["id"] = obj["id"]
        body["deleted"] = True
        if body.get("object") == "":
            body["object"] = (kind.object_name or "object") + ".deleted"
        return self.server.json(body)

    def action(self, kind: Kind, name: str, call: Call) -> Response:
        obj = self.get(kind, call.path_args)
        target = _ACTIONS.get(name, {}).get(kind.object_name)
        if target is not None:
            if obj.get("status") in _FINAL:
                raise RequestError(400, f"Cannot {name} an object whose status is {obj['status']}.")
            self.set_status(kind, obj, target)
        self.copy_fields(obj, self._props(kind.item_schema), call.body)
        return self.server.json(self.respond(call.op, obj))

    def list(
        self,
        kind: Kind | None,
        call: Call,
        items: list[dict[str, Any]] | None = None,
        view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Response:
        if kind is not None:
            self.parent_exists(kind, call.path_args)
            items = list(self.server.collection(self.key(kind, call.path_args)).values())
        items = list(items or [])
        if self.server.on("list-misses-newest") and items:
            items = items[:-1]
        params = call.params
        for name in ("filter", "purpose"):
            if isinstance(params.get(name), str):
                items = [i for i in items if i.get("status" if name == "filter" else name) == params[name]]
        if params.get("run_id"):
            items = [i for i in items if i.get("run_id") == params["run_id"]]
        if "include_archived" in params and not params["include_archived"]:
            items = [i for i in items if i.get("status") != "archived"]
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
        body = self.server.template(call.op)
        if not isinstance(body, dict):
            return self.server.json(body)
        props = self._props(call.op.success_schema)
        data_schema = (self.server.builder.resolve(props.get("data")) or {}).get("items")
        # Stored objects that do not fit the item schema stay out; a view (a fault's) applies after.
        body["data"] = [view(i) if view else i for i in items if self.server.builder.conforms(i, data_schema)]
        if body.get("object") == "":
            body["object"] = "list"
        open_schema = (self.server.builder.resolve(call.op.success_schema) or {}).get(
            "additionalProperties"
        ) is not False
        for name, value in (
            ("first_id", body["data"][0]["id"] if body["data"] else None),
            ("last_id", body["data"][-1]["id"] if body["data"] else None),
            ("has_more", has_more),
        ):
            # has_more is always given where the schema allows it: SDKs page until it is false.
            if name in props or (name == "has_more" and open_schema):
                if value is None and not self.server.builder.conforms(None, props[name]):
                    value = ""
                body[name] = value
        return self.server.json(body)

    # -- particular objects ------------------------------------------------------------------
    def _check_assistant(self, body: dict[str, Any]) -> None:
        assistant = body.get("assistant_id")
        kind = self.kinds.get("/assistants")
        if (
            kind is not None
            and isinstance(assistant, str)
            and assistant not in self.server.collection(self.key(kind, {}))
        ):
            raise RequestError(404, f"No assistant found with id '{assistant[:200]}'.", param="assistant_id")

    def _run_from_assistant(self, obj: dict[str, Any], body: dict[str, Any]) -> None:
        kind = self.kinds.get("/assistants")
        assistant = (
            self.server.collection(self.key(kind, {})).get(str(body.get("assistant_id"))) if kind else None
        )
        if assistant is None:
            return
        for name in ("model", "instructions", "tools"):
            if name not in body and name in assistant and name in obj:
                value = copy.deepcopy(assistant[name])
                if self.server.builder.conforms(
                    value, self._props(self.kinds["/threads/{thread_id}/runs"].item_schema).get(name)
                ):
                    obj[name] = value

    def _message_content(self, obj: dict[str, Any], body: dict[str, Any]) -> None:
        content = body.get("content")
        texts: list[str] = []
        if isinstance(content, str):
            texts = [content]
        elif isinstance(content, list):
            texts = [
                str(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
            ]
        parts = [{"type": "text", "text": {"value": t, "annotations": []}} for t in texts]
        props = self._props(self.kinds["/threads/{thread_id}/messages"].item_schema)
        if self.server.builder.conforms(parts, props.get("content")):
            obj["content"] = parts

    def _batch_files(self, obj: dict[str, Any], call: Call, body: dict[str, Any]) -> None:
        files_kind = self.kinds.get("/vector_stores/{vector_store_id}/files")
        ids = [f for f in body.get("file_ids") or [] if isinstance(f, str)]
        self.server.batch_files[obj["id"]] = ids
        if files_kind is None:
            return
        collection = self.server.collection(self.key(files_kind, call.path_args))
        for file_id in ids:
            if file_id not in collection:
                self.new_object(files_kind, call.path_args, {"file_id": file_id}, file_id)
        counts = obj.get("file_counts")
        if isinstance(counts, dict) and "total" in counts:
            counts["total"] = len(ids)
            if "completed" in counts:
                counts["completed"] = len(ids)

    def create_thread(self, call: Call) -> dict[str, Any]:
        kind = self.kinds["/threads"]
        body = call.body if isinstance(call.body, dict) else {}
        thread = self.new_object(kind, {}, body)
        messages_kind = self.kinds.get("/threads/{thread_id}/messages")
        if messages_kind is not None:
            for message in body.get("messages") or []:
                if isinstance(message, dict):
                    stored = self.new_object(messages_kind, {"thread_id": thread["id"]}, message)
                    self._message_content(stored, message)
        return thread

    def list_batch_files(self, call: Call) -> Response:
        batch_kind = self.kinds["/vector_stores/{vector_store_id}/file_batches"]
        batch = self.get(batch_kind, call.path_args)
        files_kind = self.kinds["/vector_stores/{vector_store_id}/files"]
        collection = self.server.collection(self.key(files_kind, call.path_args))
        items = [collection[f] for f in self.server.batch_files.get(batch["id"], []) if f in collection]
        return self.list(None, call, items)

    def _seed(self) -> None:
        """The organization objects that exist before any request: a user, a project and its members."""
        seeds = [
            (
                "/organization/users",
                {},
                {"name": "Ada Reference", "email": "ada@example.com", "role": "owner"},
                "user-ref0001",
            ),
            ("/organization/projects", {}, {"name": "Default Project"}, "proj_ref0001"),
            (
                "/organization/projects/{project_id}/users",
                {"project_id": "proj_ref0001"},
                {"name": "Ada Reference", "email": "ada@example.com", "role": "owner"},
                "user-ref0001",
            ),
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
        ]
        for collection, args, body, item_id in seeds:
            kind = self.kinds.get(collection)
            if kind is not None:
                self.new_object(kind, args, body, item_id)


# -- files and uploads ------------------------------------------------------------------------
def _file_kind(server: Server) -> tuple[Resources, Kind]:
    resources: Resources = server.resources
    return resources, resources.kinds["/files"]


def _file_view(server: Server, obj: dict[str, Any]) -> dict[str, Any]:
    view = dict(obj)
    if server.on("file-bytes-float") and isinstance(view.get("bytes"), int):
        view["bytes"] = float(view["bytes"])
    return view


def store_file(server: Server, data: bytes, filename: str, purpose: Any) -> dict[str, Any]:
    resources, kind = _file_kind(server)
    obj = resources.new_object(kind, {}, {"filename": filename, "purpose": purpose})
    obj.update({"bytes": len(data), "filename": filename, "object": "file", "status": "processed"})
    obj.pop("status_details", None)
    server.file_bytes[obj["id"]] = data
    return obj


def create_file(server: Server, call: Call) -> Response:
    data = call.files.get("file", b"")
    obj = store_file(server, data, call.filenames.get("file", "file"), call.arg("purpose"))
    return server.json(_file_view(server, obj))


def list_files(server: Server, call: Call) -> Response:
    resources, kind = _file_kind(server)
    items = list(server.collection(resources.key(kind, {})).values())
    return resources.list(None, call, items, view=lambda f: _file_view(server, f))


def retrieve_file(server: Server, call: Call) -> Response:
    resources, kind = _file_kind(server)
    return server.json(_file_view(server, resources.get(kind, call.path_args)))


def delete_file(server: Server, call: Call) -> Response:
    resources, kind = _file_kind(server)
    obj = resources.get(kind, call.path_args)
    if not server.on("delete-noop"):
        del server.collection(resources.key(kind, {}))[obj["id"]]
        server.file_bytes.pop(obj["id"], None)
    return server.json({"id": obj["id"], "object": "file", "deleted": True})


def download_file(server: Server, call: Call) -> Response:
    resources, kind = _file_kind(server)
    obj = resources.get(kind, call.path_args)
    data = server.file_bytes.get(obj["id"], b"")
    media = call.op.success_media or "application/octet-stream"
    if media == "application/json":
        return server.json(data.decode("utf-8", errors="replace"))
    return Response(data, media_type=media)


def _upload(server: Server, call: Call) -> dict[str, Any]:
    upload_id = call.path_args.get("upload_id", "")
    found = server.collection("/uploads|").get(upload_id)
    if found is None:
        raise RequestError(404, f"No upload found with id '{upload_id[:200]}'.", param="upload_id")
    return found


def _pending(upload: dict[str, Any]) -> None:
    if upload.get("status") != "pending":
        raise RequestError(400, f"The upload is {upload.get('status')}, not pending.")


def create_upload(server: Server, call: Call) -> Response:
    obj = server.template(call.op)
    created = server.timestamp()
    obj.update(
        {
            "id": server.new_id("upload_", call.body),
            "object": "upload",
            "created_at": created,
            "expires_at": created + 3600,
            "filename": str(call.arg("filename", "")),
            "bytes": int(call.arg("bytes", 0)),
            "purpose": str(call.arg("purpose", "")),
            "status": "pending",
            "file": None,
        }
    )
    server.collection("/uploads|")[obj["id"]] = obj
    return server.json(obj)


def add_upload_part(server: Server, call: Call) -> Response:
    upload = _upload(server, call)
    _pending(upload)
    part_id = server.new_id("part_", upload["id"])
    server.upload_parts[part_id] = (upload["id"], call.files.get("data", b""))
    return server.json(
        {"id": part_id, "object": "upload.part", "created_at": server.timestamp(), "upload_id": upload["id"]}
    )


def complete_upload(server: Server, call: Call) -> Response:
    upload = _upload(server, call)
    _pending(upload)
    chunks = []
    for part_id in call.arg("part_ids", []):
        owner, data = server.upload_parts.get(part_id, ("", b""))
        if owner != upload["id"]:
            raise RequestError(
                400, f"Part '{str(part_id)[:200]}' does not belong to this upload.", param="part_ids"
            )
        chunks.append(data)
    data = b"".join(chunks)
    purpose = upload["purpose"]
    file_obj = store_file(server, data, upload["filename"], purpose)
    upload["status"] = "completed"
    upload["file"] = _file_view(server, file_obj)
    return server.json(upload)


def cancel_upload(server: Server, call: Call) -> Response:
    upload = _upload(server, call)
    _pending(upload)
    upload["status"] = "cancelled"
    return server.json(upload)


def create_thread(server: Server, call: Call) -> Response:
    resources: Resources = server.resources
    return server.json(resources.create_thread(call))


def create_thread_and_run(server: Server, call: Call) -> Response:
    resources: Resources = server.resources
    body = call.body if isinstance(call.body, dict) else {}
    resources._check_assistant(body)
    thread_body = body.get("thread") if isinstance(body.get("thread"), dict) else {}
    thread = resources.create_thread(Call(call.op, {}, {}, thread_body))
    kind = resources.kinds["/threads/{thread_id}/runs"]
    run_body = {k: v for k, v in body.items() if k != "thread"}
    run = resources.new_object(kind, {"thread_id": thread["id"]}, run_body)
    resources._run_from_assistant(run, run_body)
    return server.json(run)


def list_batch_files(server: Server, call: Call) -> Response:
    resources: Resources = server.resources
    return resources.list_batch_files(call)


RESOURCE_HANDLERS: dict[str, Handler] = {
    "createFile": create_file,
    "listFiles": list_files,
    "retrieveFile": retrieve_file,
    "deleteFile": delete_file,
    "downloadFile": download_file,
    "createUpload": create_upload,
    "addUploadPart": add_upload_part,
    "completeUpload": complete_upload,
    "cancelUpload": cancel_upload,
    "createThread": create_thread,
    "createThreadAndRun": create_thread_and_run,
    "listFilesInVectorStoreBatch": list_batch_files,
}
