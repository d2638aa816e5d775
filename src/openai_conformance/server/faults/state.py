"""Faults the state checks catch: a store that forgets to delete, lists that forget an object or their
cursor, content that changes, a retrieve or update that drifts, a lifecycle that moves backwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Fault, edit_body

__all__ = ["LIFECYCLE_FAULTS", "STATE_FAULTS"]

# The operations of 6b8287f that delete a stored object, and those that list objects a client can
# create (the hooks act on the store, so on other specs they reach those specs' deletes and lists).
_DELETES = (
    "deleteModel",
    "deleteFile",
    "deleteAssistant",
    "deleteThread",
    "deleteMessage",
    "deleteVectorStore",
    "deleteVectorStoreFile",
    "delete-invite",
    "delete-user",
    "delete-project-user",
    "delete-project-service-account",
    "delete-project-api-key",
)
# The workflows that delete what they created and look it up again, and those that list it.
_DELETING_WORKFLOWS = ("createFile", "createAssistant", "createThread", "createVectorStore")
_LISTING_WORKFLOWS = (
    "createFile",
    "createBatch",
    "createAssistant",
    "createThread",
    "createVectorStore",
    "createFineTuningJob",
)
_LISTS = (
    "listFiles",
    "listPaginatedFineTuningJobs",
    "listAssistants",
    "listMessages",
    "listRuns",
    "listRunSteps",  # a run has its steps
    "listVectorStores",
    "listVectorStoreFiles",
    "listFilesInVectorStoreBatch",
    "listBatches",
    "list-invites",
    "list-users",
    "list-projects",
    "list-project-users",
    "list-project-service-accounts",
    "list-project-api-keys",
)

STATE_FAULTS: tuple[Fault, ...] = (
    Fault(
        "delete-noop",
        "state.delete",
        "DELETE answers `deleted: true` but the resource stays retrievable.",
        operations=(*_DELETES, *_DELETING_WORKFLOWS),
        removal=lambda obj: False,
    ),
    Fault(
        "list-misses-newest",
        "state.list",
        "List operations leave out the most recently created item.",
        operations=(*_LISTS, *_LISTING_WORKFLOWS),
        listing=lambda items: items[:-1],
    ),
)


def _on(operation_id: str, hook: Callable[[Call, Answer], Answer]) -> Callable[[Call, Answer], Answer]:
    """An answer hook acting on one operation's answers (the others it declares are where a workflow sees it)."""
    return lambda call, answer: hook(call, answer) if call.operation_id == operation_id else answer


def _on_text(edit: Callable[[str], str]) -> Callable[[Call, Answer], Answer]:
    """An answer hook that edits file content: raw bytes, or the JSON string a spec declares."""

    def hook(call: Call, answer: Answer) -> Answer:
        if answer.raw is not None:
            return replace(answer, raw=edit(answer.raw.decode("utf-8", errors="replace")).encode())
        if isinstance(answer.body, str):
            return replace(answer, body=edit(answer.body))
        return answer

    return hook


def _drop_last_output_line(text: str) -> str:
    """A batch output file (its lines name batch requests) without its last line."""
    return "".join(text.splitlines(keepends=True)[:-1]) if '"batch_req_' in text else text


def _without_after(call: Call) -> Call:
    if call.operation_id != "listBatches":
        return call
    return replace(call, params={name: value for name, value in call.params.items() if name != "after"})


def _finalizing_as_validating(body: Any) -> None:
    if isinstance(body, dict) and body.get("status") == "finalizing":
        body["status"] = "validating"


def _renamed(body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("filename"), str):
        body["filename"] = "renamed-" + body["filename"]


LIFECYCLE_FAULTS: tuple[Fault, ...] = (
    Fault(
        "retrieve-renames-file",
        "state.retrieve",
        "GET /files/{file_id} answers another filename than the upload's.",
        operations=("retrieveFile", "createFile", "createUpload"),
        answer=_on("retrieveFile", edit_body(_renamed)),
    ),
    Fault(
        "update-not-kept",
        "state.update",
        "POST /assistants/{assistant_id} answers 200 but changes nothing.",
        operations=("modifyAssistant", "createAssistant"),
        request=lambda call: call.with_body({}) if call.operation_id == "modifyAssistant" else call,
    ),
    Fault(
        "list-ignores-after",
        "state.pagination",
        "GET /batches ignores its `after` cursor: every page is the first one.",
        operations=("listBatches", "createBatch"),
        request=_without_after,
    ),
    Fault(
        "content-crlf",
        "state.content",
        "File content comes back with its line endings turned into CRLF.",
        operations=("downloadFile", "createFile", "createUpload", "createBatch"),
        answer=_on("downloadFile", _on_text(lambda text: text.replace("\n", "\r\n"))),
    ),
    Fault(
        "batch-status-regresses",
        "state.lifecycle",
        "A finalizing batch is answered as `validating` (its status moves backwards).",
        operations=("retrieveBatch", "createBatch"),
        answer=_on("retrieveBatch", edit_body(_finalizing_as_validating)),
    ),
    Fault(
        "batch-output-drops-line",
        "state.batch_output",
        "A completed batch's output file lacks its last request's line.",
        operations=("downloadFile", "createBatch"),
        answer=_on("downloadFile", _on_text(_drop_last_output_line)),
    ),
)
