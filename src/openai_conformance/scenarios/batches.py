"""The batches workflow a client runs, judged across its answers (state.*).

Upload a valid JSONL input (``purpose: batch``) → create → retrieve (what the create answered) →
list (with cursor pagination across two batches) → poll to a final status (every move documented,
``request_counts`` adding up) → the output and error files answer every input ``custom_id`` once →
cancelling it once finished is refused. A second batch is cancelled: cancelling, then cancelled.
Reported under createBatch; polls are bounded by ``--max-wait``.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios, Stopped
from openai_conformance.scenarios.files import upload_file
from openai_conformance.scenarios.flow import ids_of, listed, need, need_id, object_of, poll, send, tell
from openai_conformance.scenarios.state import (
    TERMINAL,
    check_batch_output,
    check_counts,
    check_page,
    check_same,
    check_transition,
    content_of,
)
from openai_conformance.transport.exchange import Exchange

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_BATCH = "/batches/{batch_id}"
_CUSTOM_IDS = ("openai-conformance-1", "openai-conformance-2")
_DECLARED = ("input_file_id", "endpoint", "completion_window")
# Fields a batch fills in as it moves: compared by presence and type only where set.
_MOVING = (
    "status", "request_counts", "output_file_id", "error_file_id", "errors", "in_progress_at",
    "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at", "usage",
)  # fmt: skip
_PAGES = 3  # at most this many pages of limit=1 are read


def _input(model: str) -> bytes:
    lines = (
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 4},
        }
        for custom_id in _CUSTOM_IDS
    )
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _create(
    ctx: ScenarioContext, file_id: str, untested: str
) -> Generator[ScenarioFinding, None, dict[str, Any]]:
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    exchange = yield from send(ctx, "POST", "/batches", "createBatch", body=body)
    created, _ = need_id(exchange, "POST /batches", untested)
    for name, value in body.items():
        if created.get(name) != value:
            yield from tell(
                check_same(body | {"id": created["id"]}, created, "POST /batches", declared=[name]), exchange
            )
    return created


def _judged(created: dict[str, Any], what: str) -> Any:
    """What each poll of a batch is held to: the create's fields, and request counts that add up."""

    def each(body: dict[str, Any], exchange: Exchange) -> Iterator[ScenarioFinding]:
        yield from tell(check_same(created, body, what, declared=_DECLARED, changing=_MOVING), exchange)
        yield from tell(check_counts(body, what, len(_CUSTOM_IDS)), exchange)

    return each


def _output(ctx: ScenarioContext, batch: dict[str, Any], what: str) -> Iterator[ScenarioFinding]:
    """The output and error files of a completed batch answer each input custom_id once."""
    contents: list[bytes] = []
    shown: Exchange | None = None
    for name in ("output_file_id", "error_file_id"):
        file_id = batch.get(name)
        if not isinstance(file_id, str) or not file_id:
            continue
        path = f"/files/{file_id}/content"
        exchange = yield from send(ctx, "GET", path, "downloadFile", template="/files/{file_id}/content")
        if not 200 <= exchange.status < 300:
            raise Stopped(
                f"GET {path} ({name}) answered {exchange.status}, so the batch's output could not be judged"
            )
        contents.append(content_of(exchange))
        shown = shown or exchange
    if shown is None:
        raise Stopped(
            f"{what} is completed but names no output or error file, so its output could not be judged"
        )
    yield from tell(check_batch_output(contents, _CUSTOM_IDS, f"the output of {what}"), shown)


def _cancel_finished(ctx: ScenarioContext, batch: dict[str, Any], path: str) -> Iterator[ScenarioFinding]:
    """Cancelling a finished batch is refused (4xx); a 2xx must at least leave it as it was."""
    exchange = yield from send(ctx, "POST", path + "/cancel", "cancelBatch", template=_BATCH + "/cancel")
    body = object_of(exchange)
    if body is None:
        return
    before, after = batch.get("status"), body.get("status")
    if after != before:
        yield from tell(check_transition("batch", f"the {before} batch", before, after), exchange)
    else:
        message = f"POST {path}/cancel answers {exchange.status} for a {before} batch instead of refusing it"
        yield check_transition.violation(message, warning=True), exchange


def _pages(ctx: ScenarioContext, more_known: bool) -> Iterator[ScenarioFinding]:
    """GET /batches page by page with limit=1, following ``after``."""
    seen: set[str] = set()
    after: str | None = None
    for number in range(1, _PAGES + 1):
        query: dict[str, Any] = {"limit": 1} | ({"after": after} if after else {})
        exchange = yield from send(ctx, "GET", "/batches", "listBatches", query=query)
        page = object_of(exchange)
        if page is None:
            return
        what = f"GET /batches page {number} (limit=1{', after=' + after if after else ''})"
        yield from tell(
            check_page(page, what, limit=1, seen=seen, more_known=more_known and number == 1), exchange
        )
        ids = ids_of(page)
        if page.get("has_more") is not True or not ids:
            return
        after = ids[-1]


@scenario(
    "state.batches",
    "createBatch",
    "a batch of a valid input moves to a final status and answers each request; a cancel cancels",
    model_for=None,
)
def _batches(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    model = ctx.model_for("createChatCompletion") or "gpt-4o-mini"
    data = _input(model)
    untested = "the batch workflow"
    upload = yield from upload_file(ctx, data, "openai-conformance-batch.jsonl", "batch", untested)
    file_id = upload["id"]
    created = yield from _create(ctx, file_id, "its retrieve, list, lifecycle and output")
    path = f"/batches/{created['id']}"
    each = _judged(created, f"GET {path}")
    exchange = yield from send(ctx, "GET", path, "retrieveBatch", template=_BATCH)
    retrieved = need(exchange, f"GET {path}", "its list, lifecycle and output")
    yield from tell(
        check_transition("batch", "the batch", created.get("status"), retrieved.get("status")), exchange
    )
    yield from each(retrieved, exchange)
    other = yield from _create(ctx, file_id, "the cancel of a second batch")
    other_path = f"/batches/{other['id']}"
    page = yield from listed(
        ctx, "/batches", "listBatches", what="the batch", present=[created["id"], other["id"]]
    )
    yield from _pages(ctx, more_known=page is not None and len(ids_of(page)) >= 2)
    exchange = yield from send(
        ctx, "POST", other_path + "/cancel", "cancelBatch", template=_BATCH + "/cancel"
    )
    cancelled = need(exchange, f"POST {other_path}/cancel", "the cancelled batch's lifecycle")
    yield from tell(
        check_transition("batch", "the batch", other.get("status"), cancelled.get("status")), exchange
    )
    if cancelled.get("status") not in ("cancelling", "cancelled"):
        message = f"POST {other_path}/cancel answers status {cancelled.get('status')!r}, not cancelling or cancelled"
        yield check_transition.violation(message, "/status"), exchange
    final = yield from poll(
        ctx, path, _BATCH, "retrieveBatch", kind="batch", what="the batch", start=retrieved, each=each
    )
    if final.get("status") == "completed":
        yield from _output(ctx, final, f"GET {path}")
    if final.get("status") in TERMINAL:
        yield from _cancel_finished(ctx, final, path)
    ended = yield from poll(
        ctx, other_path, _BATCH, "retrieveBatch", kind="batch", what="the cancelled batch", start=cancelled,
        each=_judged(other, f"GET {other_path}"),
    )  # fmt: skip
    yield from send(ctx, "DELETE", f"/files/{file_id}", "deleteFile", template="/files/{file_id}")
    if final.get("status") not in TERMINAL:
        raise Stopped(
            f"the batch was still {final.get('status')!r} after --max-wait {ctx.max_wait:g} s, "
            "so its output and the refused cancel of a finished batch were not tested"
        )
    if ended.get("status") not in TERMINAL:
        raise Stopped(
            f"the cancelled batch was still {ended.get('status')!r} after --max-wait {ctx.max_wait:g} s"
        )
