"""Batches as the Batch API runs them: an input file that must exist, request counts that follow the
lifecycle, and output and error files that answer each input line by its ``custom_id``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from openai_conformance.server.routing import RequestError

if TYPE_CHECKING:  # the generic collections call back into this module
    from openai_conformance.server.responders.resources import Resources

__all__ = ["check_input", "on_status"]


def check_input(resources: Resources, body: dict[str, Any]) -> None:
    """Raise 404 when a batch names an input file that does not exist."""
    file_id = body.get("input_file_id")
    if isinstance(file_id, str) and file_id not in resources.store.file_bytes:
        raise RequestError(404, f"No file found with id '{file_id[:200]}'.", param="input_file_id")


def _lines(resources: Resources, batch: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """Each non-blank input line: its custom_id, and why it cannot be run (None: it can)."""
    data = resources.store.file_bytes.get(str(batch.get("input_file_id")), b"")
    lines: list[tuple[str | None, str | None]] = []
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            lines.append((None, "This line is not valid JSON."))
            continue
        custom_id = line.get("custom_id") if isinstance(line, dict) else None
        if not isinstance(custom_id, str):
            lines.append((None, "The line has no custom_id."))
        elif line.get("url") != batch.get("endpoint"):
            lines.append((custom_id, f"The line's url is not the batch's endpoint {batch.get('endpoint')}."))
        else:
            lines.append((custom_id, None))
    return lines


def _answer(resources: Resources, endpoint: object) -> Any:
    """The minimal success body of the operation the batch's endpoint names."""
    for op in resources.server.router.operations:
        if op.method == "POST" and "/v1" + op.path == endpoint:
            return resources.server.template(op)
    return {}


def _write(resources: Resources, batch: dict[str, Any], records: list[dict[str, Any]], name: str) -> str:
    data = b"".join(json.dumps(record).encode() + b"\n" for record in records)
    obj = resources.store.add_file(data, filename=f"{batch['id']}_{name}.jsonl", purpose="batch_output")
    return str(obj["id"])


def on_status(resources: Resources, batch: dict[str, Any], status: str, props: dict[str, Any]) -> None:
    """What a batch's move to ``status`` does: counts its requests, writes its output once completed."""
    if "request_counts" not in props:
        return
    lines = _lines(resources, batch)
    failed = sum(1 for _, problem in lines if problem)
    if status == "in_progress":
        batch["request_counts"] = {"total": len(lines), "completed": 0, "failed": 0}
    elif status == "finalizing":
        batch["request_counts"] = {"total": len(lines), "completed": len(lines) - failed, "failed": failed}
    if status != "completed":
        return
    store = resources.store
    outputs, errors = [], []
    for custom_id, problem in lines:
        record: dict[str, Any] = {
            "id": store.new_id("batch_req_", batch["id"], custom_id),
            "custom_id": custom_id,
        }
        if problem is None:
            body = _answer(resources, batch.get("endpoint"))
            request_id = store.new_id("req_", record["id"])
            outputs.append(
                record
                | {"response": {"status_code": 200, "request_id": request_id, "body": body}, "error": None}
            )
        else:
            errors.append(
                record | {"response": None, "error": {"code": "invalid_request", "message": problem}}
            )
    if outputs and "output_file_id" in props:
        batch["output_file_id"] = _write(resources, batch, outputs, "output")
    if errors and "error_file_id" in props:
        batch["error_file_id"] = _write(resources, batch, errors, "error")
