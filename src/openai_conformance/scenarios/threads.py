"""The threads, vector stores and fine-tuning workflows, judged across their answers (state.*).

threads: create (with a message) → retrieve → a message added, listed, retrieved → a run of an
assistant polled to a final status along the documented transitions → its steps listed and each
retrieved → a second run cancelled → the thread deleted and gone. vector stores: create → retrieve
→ update kept → a file added, listed, retrieved → a file batch polled to its end → the file removed
and gone → the store deleted and gone. fine-tuning: a job of an uploaded training file → retrieve →
listed → its events and checkpoints → cancelled at once (nothing is trained) → it stays cancelled.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios
from openai_conformance.scenarios.files import upload_file
from openai_conformance.scenarios.flow import gone, ids_of, listed, need, need_id, object_of, poll, send, tell
from openai_conformance.scenarios.state import (
    check_same,
    check_transition,
    check_updated,
)
from openai_conformance.transport.exchange import Exchange

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_THREAD = "/threads/{thread_id}"
_RUN = _THREAD + "/runs/{run_id}"
_STORE = "/vector_stores/{vector_store_id}"
_JOB = "/fine_tuning/jobs/{fine_tuning_job_id}"
_CANCELLED = frozenset({"cancelling", "cancelled"})
_MAX_STEPS = 5  # at most this many run steps are retrieved
_RUN_MOVING = ("status", "started_at", "completed_at", "cancelled_at", "failed_at", "expires_at",
               "last_error", "usage", "required_action", "incomplete_details")  # fmt: skip


def _run(
    ctx: ScenarioContext, thread: str, assistant: str, what: str
) -> Generator[ScenarioFinding, None, dict[str, Any]]:
    exchange = yield from send(ctx, "POST", thread + "/runs", "createRun", template=_THREAD + "/runs",
                               body={"assistant_id": assistant})  # fmt: skip
    run, _ = need_id(exchange, f"POST {thread}/runs", what)
    return run


@scenario(
    "state.threads",
    "createThread",
    "a thread keeps its messages; a run moves to a final status and lists its steps; a cancel cancels",
    model_for="createAssistant",
)
def _threads(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = {"messages": [{"role": "user", "content": "Say hello"}], "metadata": {"workflow": "thread"}}
    exchange = yield from send(ctx, "POST", "/threads", "createThread", body=body)
    created, thread_id = need_id(exchange, "POST /threads", "its messages, runs and delete")
    thread = f"/threads/{thread_id}"
    exchange = yield from send(ctx, "GET", thread, "getThread", template=_THREAD)
    yield from tell(check_same(created, need(exchange, f"GET {thread}", "its messages"), f"GET {thread}",
                               declared=("metadata",)), exchange)  # fmt: skip
    message_body = {"role": "user", "content": "And goodbye"}
    exchange = yield from send(ctx, "POST", thread + "/messages", "createMessage", template=_THREAD + "/messages",
                               body=message_body)  # fmt: skip
    message, message_id = need_id(exchange, f"POST {thread}/messages", "its runs")
    yield from listed(ctx, thread + "/messages", "listMessages", what="the message", present=[message_id],
                      template=_THREAD + "/messages")  # fmt: skip
    path = f"{thread}/messages/{message_id}"
    exchange = yield from send(ctx, "GET", path, "getMessage", template=_THREAD + "/messages/{message_id}")
    yield from tell(check_same(message, need(exchange, f"GET {path}", "its runs"), f"GET {path}",
                               declared=("role", "thread_id")), exchange)  # fmt: skip
    exchange = yield from send(ctx, "POST", "/assistants", "createAssistant", body={"model": model})
    _, assistant_id = need_id(exchange, "POST /assistants", "the thread's runs")
    run = yield from _run(ctx, thread, assistant_id, "its lifecycle and steps")
    run_path = f"{thread}/runs/{run['id']}"

    def each(body: dict[str, Any], answer: Exchange) -> Iterator[ScenarioFinding]:
        found = check_same(
            run, body, f"GET {run_path}", declared=("assistant_id", "thread_id"), changing=_RUN_MOVING
        )
        yield from tell(found, answer)

    yield from poll(ctx, run_path, _RUN, "getRun", kind="thread.run", what="the run", start=run, each=each,
                            until=("requires_action",))  # fmt: skip
    exchange = yield from send(ctx, "GET", run_path + "/steps", "listRunSteps", template=_RUN + "/steps")
    page = object_of(exchange)
    for step_id in ids_of(page or {})[:_MAX_STEPS]:
        path = f"{run_path}/steps/{step_id}"
        exchange = yield from send(ctx, "GET", path, "getRunStep", template=_RUN + "/steps/{step_id}")
        step = need(exchange, f"GET {path}", "the other steps")
        expected = {"id": step_id, "run_id": run["id"]}
        yield from tell(check_same(expected, step, f"GET {path}", declared=("run_id",)), exchange)
    other = yield from _run(ctx, thread, assistant_id, "its cancel")
    other_path = f"{thread}/runs/{other['id']}"
    exchange = yield from send(ctx, "POST", other_path + "/cancel", "cancelRun", template=_RUN + "/cancel")
    cancelled = need(exchange, f"POST {other_path}/cancel", "the cancelled run's lifecycle")
    yield from tell(
        check_transition("thread.run", "the run", other.get("status"), cancelled.get("status")), exchange
    )
    if cancelled.get("status") not in _CANCELLED:
        message_text = f"POST {other_path}/cancel answers status {cancelled.get('status')!r}, not cancelling or cancelled"
        yield check_transition.violation(message_text, "/status"), exchange
    yield from poll(
        ctx, other_path, _RUN, "getRun", kind="thread.run", what="the cancelled run", start=cancelled
    )
    exchange = yield from send(ctx, "DELETE", thread, "deleteThread", template=_THREAD)
    need(exchange, f"DELETE {thread}", "that it is gone")
    yield from gone(ctx, "GET", thread, _THREAD, "getThread", "a deleted thread")
    yield from send(
        ctx, "DELETE", f"/assistants/{assistant_id}", "deleteAssistant", template="/assistants/{assistant_id}"
    )


@scenario(
    "state.vector_stores",
    "createVectorStore",
    "a vector store keeps its update and files; a file batch ends; what is removed is gone",
    model_for=None,
)
def _vector_stores(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    file = yield from upload_file(ctx, b"The reference answer is 42.\n", "openai-conformance.txt", "assistants",
                                  "the vector store workflow")  # fmt: skip
    body = {"name": "openai-conformance", "metadata": {"workflow": "created"}}
    exchange = yield from send(ctx, "POST", "/vector_stores", "createVectorStore", body=body)
    created, store_id = need_id(exchange, "POST /vector_stores", "its files, update and delete")
    store = f"/vector_stores/{store_id}"
    exchange = yield from send(ctx, "GET", store, "getVectorStore", template=_STORE)
    retrieved = need(exchange, f"GET {store}", "its files")
    moving = ("status", "file_counts", "usage_bytes", "last_active_at", "expires_at")
    yield from tell(
        check_same(created, retrieved, f"GET {store}", declared=("name", "metadata"), changing=moving),
        exchange,
    )
    changes = {"name": "openai-conformance (renamed)"}
    exchange = yield from send(ctx, "POST", store, "modifyVectorStore", template=_STORE, body=changes)
    yield from tell(
        check_updated(need(exchange, f"POST {store}", "its files"), changes, f"POST {store}"), exchange
    )
    exchange = yield from send(ctx, "GET", store, "getVectorStore", template=_STORE)
    yield from tell(
        check_updated(need(exchange, f"GET {store}", "its files"), changes, f"GET {store} after the update"),
        exchange,
    )
    files = store + "/files"
    exchange = yield from send(ctx, "POST", files, "createVectorStoreFile", template=_STORE + "/files",
                               body={"file_id": file["id"]})  # fmt: skip
    added, added_id = need_id(exchange, f"POST {files}", "its file batch")
    yield from listed(ctx, files, "listVectorStoreFiles", what="the vector store file", present=[added_id],
                      template=_STORE + "/files")  # fmt: skip
    file_path = f"{files}/{added_id}"
    exchange = yield from send(
        ctx, "GET", file_path, "getVectorStoreFile", template=_STORE + "/files/{file_id}"
    )
    yield from tell(check_same(added, need(exchange, f"GET {file_path}", "its file batch"), f"GET {file_path}",
                               declared=("vector_store_id",), changing=("status", "usage_bytes", "last_error")), exchange)  # fmt: skip
    batches = store + "/file_batches"
    exchange = yield from send(ctx, "POST", batches, "createVectorStoreFileBatch", template=_STORE + "/file_batches",
                               body={"file_ids": [file["id"]]})  # fmt: skip
    batch, batch_id = need_id(exchange, f"POST {batches}", "the file batch's lifecycle")
    batch_path = f"{batches}/{batch_id}"
    template = _STORE + "/file_batches/{batch_id}"
    yield from poll(ctx, batch_path, template, "getVectorStoreFileBatch", kind="vector_store.files_batch",
                    what="the file batch", start=batch)  # fmt: skip
    yield from send(
        ctx, "GET", batch_path + "/files", "listFilesInVectorStoreBatch", template=template + "/files"
    )
    exchange = yield from send(
        ctx, "DELETE", file_path, "deleteVectorStoreFile", template=_STORE + "/files/{file_id}"
    )
    need(exchange, f"DELETE {file_path}", "that it is gone")
    yield from gone(
        ctx,
        "GET",
        file_path,
        _STORE + "/files/{file_id}",
        "getVectorStoreFile",
        "a removed vector store file",
    )
    exchange = yield from send(ctx, "DELETE", store, "deleteVectorStore", template=_STORE)
    need(exchange, f"DELETE {store}", "that it is gone")
    yield from gone(ctx, "GET", store, _STORE, "getVectorStore", "a deleted vector store")
    yield from send(ctx, "DELETE", f"/files/{file['id']}", "deleteFile", template="/files/{file_id}")


_TRAINING = (
    b'{"messages": [{"role": "user", "content": "Say hello"}, {"role": "assistant", "content": "Hello"}]}\n'
)


@scenario(
    "state.fine_tuning",
    "createFineTuningJob",
    "a fine-tuning job of an uploaded file is listed, has events and checkpoints, and stays cancelled",
    model_for=None,
)
def _fine_tuning(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    model = ctx.model_for("createFineTuningJob") or "gpt-4o-mini-2024-07-18"
    file = yield from upload_file(
        ctx, _TRAINING, "openai-conformance-training.jsonl", "fine-tune", "the fine-tuning workflow"
    )
    body = {"model": model, "training_file": file["id"]}
    exchange = yield from send(ctx, "POST", "/fine_tuning/jobs", "createFineTuningJob", body=body)
    created, job_id = need_id(exchange, "POST /fine_tuning/jobs", "its retrieve, events and cancel")
    job = f"/fine_tuning/jobs/{job_id}"
    # Cancelled before anything else: a real server trains nothing.
    exchange = yield from send(ctx, "POST", job + "/cancel", "cancelFineTuningJob", template=_JOB + "/cancel")
    cancelled = object_of(exchange)
    moving = (
        "status",
        "finished_at",
        "fine_tuned_model",
        "trained_tokens",
        "result_files",
        "error",
        "estimated_finish",
    )
    if cancelled is not None:
        yield from tell(
            check_transition("fine_tuning.job", "the job", created.get("status"), cancelled.get("status")),
            exchange,
        )
        if cancelled.get("status") not in ("cancelled", "failed"):
            text = f"POST {job}/cancel answers status {cancelled.get('status')!r}, not cancelled"
            yield check_transition.violation(text, "/status"), exchange
    exchange = yield from send(ctx, "GET", job, "retrieveFineTuningJob", template=_JOB)
    retrieved = need(exchange, f"GET {job}", "its list and events")
    yield from tell(
        check_same(created, retrieved, f"GET {job}", declared=("training_file",), changing=moving), exchange
    )
    if cancelled is not None:
        yield from tell(
            check_transition(
                "fine_tuning.job", "the cancelled job", cancelled.get("status"), retrieved.get("status")
            ),
            exchange,
        )
    yield from listed(
        ctx, "/fine_tuning/jobs", "listPaginatedFineTuningJobs", what="the job", present=[job_id]
    )
    yield from send(ctx, "GET", job + "/events", "listFineTuningEvents", template=_JOB + "/events")
    yield from send(
        ctx, "GET", job + "/checkpoints", "listFineTuningJobCheckpoints", template=_JOB + "/checkpoints"
    )
    yield from send(ctx, "DELETE", f"/files/{file['id']}", "deleteFile", template="/files/{file_id}")
