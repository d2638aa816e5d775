"""Faults the state checks catch in one step of a workflow: a retrieve or update that drifts, a list
that ignores its cursor, content that changes, a lifecycle that moves backwards.

Each declares the operations whose answers it changes and the workflows that see it (reported under
their creates), and acts only on the step it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Faults
from openai_conformance.server.hooks import ANSWER, REQUEST

__all__ = ["LIFECYCLE_FAULTS"]

LIFECYCLE_FAULTS = Faults()
fault = LIFECYCLE_FAULTS.declare


def _text_edited(answer: Answer, edit: Callable[[str], str]) -> Answer:
    """``answer`` with its file content edited: raw bytes, or the JSON string a spec declares."""
    if answer.raw is not None:
        return replace(answer, raw=edit(answer.raw.decode("utf-8", errors="replace")).encode())
    if isinstance(answer.body, str):
        return replace(answer, body=edit(answer.body))
    return answer


def _object_of(call: Call, answer: Answer, operation_id: str) -> dict[str, Any] | None:
    """The JSON object an answer of ``operation_id`` holds (None for another step's answer)."""
    body = answer.body
    return (
        body if call.operation_id == operation_id and answer.raw is None and isinstance(body, dict) else None
    )


@fault("retrieve-renames-file", "state.retrieve", "retrieveFile", "createFile", "createUpload", at=ANSWER)
def _renamed(call: Call, answer: Answer) -> Answer:
    """GET /files/{file_id} answers another filename than the upload's."""
    body = _object_of(call, answer, "retrieveFile")
    if body is not None and isinstance(body.get("filename"), str):
        body["filename"] = "renamed-" + body["filename"]
    return answer


@fault("update-not-kept", "state.update", "modifyAssistant", "createAssistant", at=REQUEST)
def _update_dropped(call: Call) -> Call:
    """POST /assistants/{assistant_id} answers 200 but changes nothing."""
    return call.with_body({}) if call.operation_id == "modifyAssistant" else call


@fault("list-ignores-after", "state.pagination", "listBatches", "createBatch", at=REQUEST)
def _without_after(call: Call) -> Call:
    """GET /batches ignores its `after` cursor: every page is the first one."""
    if call.operation_id != "listBatches":
        return call
    return replace(call, params={name: value for name, value in call.params.items() if name != "after"})


@fault(
    "content-crlf", "state.content", "downloadFile", "createFile", "createUpload", "createBatch", at=ANSWER
)
def _crlf(call: Call, answer: Answer) -> Answer:
    """File content comes back with its line endings turned into CRLF."""
    if call.operation_id != "downloadFile":
        return answer
    return _text_edited(answer, lambda text: text.replace("\n", "\r\n"))


@fault("batch-status-regresses", "state.lifecycle", "retrieveBatch", "createBatch", at=ANSWER)
def _finalizing_as_validating(call: Call, answer: Answer) -> Answer:
    """A finalizing batch is answered as `validating` (its status moves backwards)."""
    body = _object_of(call, answer, "retrieveBatch")
    if body is not None and body.get("status") == "finalizing":
        body["status"] = "validating"
    return answer


@fault("batch-output-drops-line", "state.batch_output", "downloadFile", "createBatch", at=ANSWER)
def _last_line_dropped(call: Call, answer: Answer) -> Answer:
    """A completed batch's output file lacks its last request's line."""
    if call.operation_id != "downloadFile":
        return answer
    return _text_edited(answer, _without_last_output_line)


def _without_last_output_line(text: str) -> str:
    """A batch output file (its lines name batch requests) without its last line."""
    return "".join(text.splitlines(keepends=True)[:-1]) if '"batch_req_' in text else text
