"""State across calls: what the target creates it lists, and what it deletes is gone."""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.scenarios.base import Scenario, ScenarioContext, ScenarioFinding
from openai_conformance.validation.registry import register

__all__ = ["DELETED", "LISTED", "SCENARIOS"]

DELETED = register(
    "state.delete",
    "error",
    "A deleted resource can no longer be retrieved.",
    "Delete operations: the resource is deleted",
    why="state is the server's: a deleted object is gone",
)
LISTED = register(
    "state.list",
    "error",
    "A created resource appears in its list.",
    "List operations return the resources",
    why="state is the server's: a created object is listed",
)

_BATCH_LINE = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


def _files_lifecycle(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    """Upload a file, find it in the list, delete it, and see it gone."""
    upload = ctx.request(
        "POST", "/files", {"purpose": "batch", "file": _BATCH_LINE}, media_type="multipart/form-data"
    )
    created = ctx.send(upload)
    if created.status != 200:
        return
    yield from ctx.check(created, "createFile")
    try:
        file_id = str(created.json()["id"])
    except (ValueError, KeyError, TypeError):
        return
    listed = ctx.send(ctx.request("GET", "/files"))
    if listed.status == 200:
        try:
            ids = {str(item.get("id")) for item in listed.json().get("data", []) if isinstance(item, dict)}
        except (ValueError, AttributeError):
            ids = set()
        if file_id not in ids:
            yield LISTED.violation(f"the file {file_id} just created is missing from GET /files"), listed
    path = f"/files/{file_id}"
    deleted = ctx.send(ctx.request("DELETE", path, template="/files/{file_id}"))
    if deleted.status != 200:
        return
    again = ctx.send(ctx.request("GET", path, template="/files/{file_id}"))
    if again.status == 200:
        message = f"the file {file_id} can still be retrieved after DELETE {path} succeeded"
        yield DELETED.violation(message), again


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "state.files",
        "deleteFile",
        "a created file is listed, and gone once deleted",
        _files_lifecycle,
        needs_models=False,
    ),
)
