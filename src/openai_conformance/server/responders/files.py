"""Files and uploads: stored bytes behind file objects, and uploads assembled from parts."""

from __future__ import annotations

from typing import Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.responders.resources import Kind, Resources
from openai_conformance.server.routing import RequestError

__all__ = [
    "add_upload_part",
    "cancel_upload",
    "complete_upload",
    "create_file",
    "create_upload",
    "delete_file",
    "download_file",
    "list_files",
    "retrieve_file",
]

_UPLOADS = "/uploads"


def _files(resources: Resources) -> Kind:
    return resources.kinds["/files"]


def _store_file(resources: Resources, data: bytes, filename: str, purpose: Any) -> dict[str, Any]:
    obj = resources.new_object(_files(resources), {}, {"filename": filename, "purpose": purpose})
    obj.update({"bytes": len(data), "filename": filename, "object": "file", "status": "processed"})
    obj.pop("status_details", None)
    return resources.store.put_file(obj, data)


def create_file(resources: Resources, call: Call) -> Reply:
    data = call.files.get("file", b"")
    return Answer(_store_file(resources, data, call.filenames.get("file", "file"), call.arg("purpose")))


def list_files(resources: Resources, call: Call) -> Reply:
    return resources.list(None, call, list(resources.objects(_files(resources), {}).values()))


def retrieve_file(resources: Resources, call: Call) -> Reply:
    return Answer(resources.get(_files(resources), call.path_args))


def delete_file(resources: Resources, call: Call) -> Reply:
    kind = _files(resources)
    obj = resources.get(kind, call.path_args)
    if resources.server.hooks.removal(obj):
        del resources.objects(kind, {})[obj["id"]]
        resources.store.file_bytes.pop(obj["id"], None)
    return Answer({"id": obj["id"], "object": "file", "deleted": True})


def download_file(resources: Resources, call: Call) -> Reply:
    obj = resources.get(_files(resources), call.path_args)
    data = resources.store.file_bytes.get(obj["id"], b"")
    media = call.op.success_media or "application/octet-stream"
    if media == "application/json":
        return Answer(data.decode("utf-8", errors="replace"))
    return Answer.of_bytes(data, media)


def _upload(resources: Resources, call: Call) -> dict[str, Any]:
    upload_id = call.path_args.get("upload_id", "")
    found = resources.store.collection(_UPLOADS).get(upload_id)
    if found is None:
        raise RequestError(404, f"No upload found with id '{upload_id[:200]}'.", param="upload_id")
    return found


def _pending(resources: Resources, call: Call) -> dict[str, Any]:
    upload = _upload(resources, call)
    if upload.get("status") != "pending":
        raise RequestError(400, f"The upload is {upload.get('status')}, not pending.")
    return upload


def create_upload(resources: Resources, call: Call) -> Reply:
    store = resources.store
    obj = resources.server.template(call.op)
    created = store.timestamp()
    obj.update(
        {
            "id": store.new_id("upload_", call.body),
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
    return Answer(store.put(_UPLOADS, obj))


def add_upload_part(resources: Resources, call: Call) -> Reply:
    upload = _pending(resources, call)
    store = resources.store
    part_id = store.new_id("part_", upload["id"])
    store.upload_parts[part_id] = (upload["id"], call.files.get("data", b""))
    return Answer(
        {"id": part_id, "object": "upload.part", "created_at": store.timestamp(), "upload_id": upload["id"]}
    )


def complete_upload(resources: Resources, call: Call) -> Reply:
    upload = _pending(resources, call)
    chunks = []
    for part_id in call.arg("part_ids", []):
        owner, data = resources.store.upload_parts.get(part_id, ("", b""))
        if owner != upload["id"]:
            raise RequestError(
                400, f"Part '{str(part_id)[:200]}' does not belong to this upload.", param="part_ids"
            )
        chunks.append(data)
    size = sum(len(chunk) for chunk in chunks)
    if size != upload.get("bytes"):
        raise RequestError(
            400,
            f"The parts add up to {size} bytes, not the {upload.get('bytes')} the upload declared.",
            param="part_ids",
        )
    file_obj = _store_file(resources, b"".join(chunks), upload["filename"], upload["purpose"])
    upload["status"] = "completed"
    upload["file"] = dict(file_obj)
    return Answer(upload)


def cancel_upload(resources: Resources, call: Call) -> Reply:
    upload = _pending(resources, call)
    upload["status"] = "cancelled"
    return Answer(upload)
