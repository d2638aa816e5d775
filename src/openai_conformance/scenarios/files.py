"""The files and uploads workflows a client runs, each judged across its answers (state.*).

files: upload → retrieve → list → content → delete → gone (retrieve, content and delete answer 404)
→ no longer listed. uploads: create → two parts → complete → the file has the summed bytes and the
joined content; a second upload is cancelled. Each is reported under its create operation, so a
create answered 500 or without an id is found there, and the workflow says where it stopped.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios
from openai_conformance.scenarios.flow import gone, listed, need, need_id, send, tell
from openai_conformance.scenarios.state import (
    check_bytes,
    check_content,
    check_same,
    check_transition,
)

__all__ = ["SCENARIOS", "upload_file"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_FILE = "/files/{file_id}"
_UPLOAD = "/uploads/{upload_id}"
#: A valid batch input line; its bytes include a non-ASCII character, to show a re-encoding.
_CONTENT = (
    b'{"custom_id": "openai-conformance-files", "method": "POST", "url": "/v1/chat/completions", '
    b'"body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Caf\xc3\xa9?"}], '
    b'"max_tokens": 4}}\n'
)
_PARTS = (
    b'{"messages": [{"role": "user", "content": "Say hello"}, ',
    b'{"role": "assistant", "content": "Hello"}]}\n',
)


def upload_file(
    ctx: ScenarioContext, data: bytes, filename: str, purpose: str, untested: str
) -> Generator[ScenarioFinding, None, dict[str, Any]]:
    """POST /files; the workflow stops (saying ``untested``) when the answer holds no file id.

    The file object is the generator's return value."""
    form = {"purpose": purpose, "file": (filename, data)}
    exchange = yield from send(ctx, "POST", "/files", "createFile", body=form, multipart=True)
    created, _ = need_id(exchange, "POST /files", untested)
    yield from tell(check_bytes(created, len(data), "POST /files"), exchange)
    return created


@scenario(
    "state.files",
    "createFile",
    "upload, retrieve, list, content, delete: the file is what was uploaded, then gone",
    model_for=None,
)
def _files(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    untested = "its retrieve, list, content and delete"
    created = yield from upload_file(ctx, _CONTENT, "openai-conformance.jsonl", "batch", untested)
    file_id = created["id"]
    path = f"/files/{file_id}"
    exchange = yield from send(ctx, "GET", path, "retrieveFile", template=_FILE)
    retrieved = need(exchange, f"GET {path}", "its list, content and delete")
    yield from tell(
        check_same(created, retrieved, f"GET {path}", declared=("filename", "purpose", "bytes"),
                   changing=("status", "status_details")),
        exchange,
    )  # fmt: skip
    yield from tell(check_bytes(retrieved, len(_CONTENT), f"GET {path}"), exchange)
    yield from listed(ctx, "/files", "listFiles", what="the file", present=[file_id])
    exchange = yield from send(ctx, "GET", path + "/content", "downloadFile", template=_FILE + "/content")
    if 200 <= exchange.status < 300:
        yield from tell(check_content(exchange, _CONTENT, f"GET {path}/content"), exchange)
    exchange = yield from send(ctx, "DELETE", path, "deleteFile", template=_FILE)
    need(exchange, f"DELETE {path}", "that it is gone")
    refused = yield from gone(ctx, "GET", path, _FILE, "retrieveFile", "a deleted file")
    yield from gone(ctx, "GET", path + "/content", _FILE + "/content", "downloadFile", "a deleted file")
    yield from gone(ctx, "DELETE", path, _FILE, "deleteFile", "a deleted file")
    if refused:
        yield from listed(ctx, "/files", "listFiles", what="the deleted file", absent=[file_id])


def _new_upload(
    ctx: ScenarioContext, size: int, untested: str
) -> Generator[ScenarioFinding, None, dict[str, Any]]:
    body = {
        "filename": "openai-conformance.jsonl",
        "purpose": "fine-tune",
        "bytes": size,
        "mime_type": "text/jsonl",
    }
    exchange = yield from send(ctx, "POST", "/uploads", "createUpload", body=body)
    created, _ = need_id(exchange, "POST /uploads", untested)
    return created


@scenario(
    "state.uploads",
    "createUpload",
    "an upload's parts make a file of their summed bytes and content; a cancel cancels",
    model_for=None,
)
def _uploads(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    data = b"".join(_PARTS)
    upload = yield from _new_upload(ctx, len(data), "its parts and completion")
    path = f"/uploads/{upload['id']}"
    part_ids = []
    for number, part in enumerate(_PARTS, 1):
        exchange = yield from send(
            ctx, "POST", path + "/parts", "addUploadPart", template=_UPLOAD + "/parts",
            body={"data": (f"part{number}", part)}, multipart=True,
        )  # fmt: skip
        _, part_id = need_id(exchange, f"POST {path}/parts", "the upload's completion")
        part_ids.append(part_id)
    exchange = yield from send(
        ctx, "POST", path + "/complete", "completeUpload", template=_UPLOAD + "/complete",
        body={"part_ids": part_ids},
    )  # fmt: skip
    completed = need(exchange, f"POST {path}/complete", "the file it made")
    what = f"POST {path}/complete"
    yield from tell(
        check_transition("upload", "the upload", upload.get("status"), completed.get("status")), exchange
    )
    if completed.get("status") != "completed":
        message = f"{what} answers status {completed.get('status')!r}, not completed"
        yield check_transition.violation(message, "/status"), exchange
    file_obj = completed.get("file")
    if isinstance(file_obj, dict) and isinstance(file_obj.get("id"), str):
        yield from tell(check_bytes(file_obj, len(data), f"{what} (its file)"), exchange)
        file_path = f"/files/{file_obj['id']}"
        exchange = yield from send(ctx, "GET", file_path, "retrieveFile", template=_FILE)
        retrieved = need(exchange, f"GET {file_path}", "the uploaded file's content")
        yield from tell(check_bytes(retrieved, len(data), f"GET {file_path} (the upload's file)"), exchange)
        exchange = yield from send(
            ctx, "GET", file_path + "/content", "downloadFile", template=_FILE + "/content"
        )
        if 200 <= exchange.status < 300:
            yield from tell(
                check_content(exchange, data, f"GET {file_path}/content (the joined parts)"), exchange
            )
        yield from send(ctx, "DELETE", file_path, "deleteFile", template=_FILE)
    other = yield from _new_upload(ctx, len(data), "its cancel")
    other_path = f"/uploads/{other['id']}/cancel"
    exchange = yield from send(ctx, "POST", other_path, "cancelUpload", template=_UPLOAD + "/cancel")
    cancelled = need(exchange, f"POST {other_path}", "what the cancel did")
    yield from tell(
        check_transition("upload", "the upload", other.get("status"), cancelled.get("status")), exchange
    )
    if cancelled.get("status") != "cancelled":
        message = f"POST {other_path} answers status {cancelled.get('status')!r}, not cancelled"
        yield check_transition.violation(message, "/status"), exchange
