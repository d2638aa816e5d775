"""A fixed battery of requests to the reference server, and a recorder of its answers to the byte.

The battery sends at least one valid request to every operation of the 6b8287f spec, plus the
requests whose answers the faults change: streams, tools, JSON modes, logprobs, ``n``, unknown
models, invalid bodies, missing and wrong keys, and the suite's workflows (workflow_steps.py).  Each answer is
filed under an *entry*: the operation under which the suite would report what it shows (a
lifecycle of several requests is one entry, as the suite's probe of it is one).  Deletes come last,
each followed by a look-up of what it deleted, so that a delete that keeps its object shows in the
delete's own entry.

The answers are recorded as ASGI messages, straight from the app: status, raw headers, each body
chunk as it was sent, and whether the stream went silent (a stall) before its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

from openai_conformance.server.bodies import SchemaBuilder

__all__ = ["Answer", "Step", "record", "steps"]

API_KEY = "sk-conformance-test-key"
FINE_TUNED_MODEL = "ft:gpt-4o-mini-2024-07-18:openai-conformance::ref00001"
_SILENCE = 0.3  # seconds without a message after which a stream counts as stalled
_BOUNDARY = "openai-conformance-battery"
_NO_BODY = object()


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as the app sent it."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    chunks: tuple[bytes, ...]
    stalled: bool

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Step:
    """One request of the battery."""

    entry: str  # the operationId the answer is filed under
    method: str
    path: str  # may name saved ids: /threads/{thread}/messages
    body: Any = _NO_BODY  # a JSON body
    files: dict[str, tuple[str, bytes]] | None = None  # multipart files (with ``data`` as fields)
    data: dict[str, str] | None = None
    content: bytes | None = None  # a raw body, sent with ``content_type``
    content_type: str = ""
    key: str | None = API_KEY  # the bearer key; None sends no Authorization header
    save: str | None = None  # remember the answer's "id" (or ``save_key``) under this name
    save_key: str = "id"  # a dotted path into the answer: "file.id", "output_file_id"

    def request(self, ids: dict[str, str]) -> httpx.Request:
        path = _fill(self.path, ids)
        headers = {"Authorization": f"Bearer {self.key}"} if self.key is not None else {}
        url = "http://testserver/v1" + path
        if self.files is not None:
            headers["Content-Type"] = f"multipart/form-data; boundary={_BOUNDARY}"
            return httpx.Request(self.method, url, headers=headers, files=self.files, data=self.data)
        if self.content is not None:
            headers["Content-Type"] = self.content_type
            return httpx.Request(self.method, url, headers=headers, content=self.content)
        if self.body is not _NO_BODY:
            return httpx.Request(self.method, url, headers=headers, json=_fill(self.body, ids))
        return httpx.Request(self.method, url, headers=headers)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``{name}`` of a saved id replaced by the id."""
    if isinstance(value, str):
        return re.sub(r"{(\w+)}", lambda m: ids.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


async def _send(app: ASGIApp, request: httpx.Request) -> Answer:
    content = request.read()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.url.path,
        "raw_path": request.url.raw_path.split(b"?")[0],
        "query_string": request.url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
    }
    pending = [{"type": "http.request", "body": content, "more_body": False}]
    never = asyncio.Event()
    queue: asyncio.Queue[Message] = asyncio.Queue()

    async def receive() -> Message:
        if pending:
            return pending.pop()
        await never.wait()  # the client stays connected until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await queue.put(message)

    task = asyncio.ensure_future(app(scope, receive, send))
    status, stalled = 0, False
    headers: tuple[tuple[bytes, bytes], ...] = ()
    chunks: list[bytes] = []
    try:
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), _SILENCE)
            except TimeoutError:
                stalled = True
                break
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = tuple((bytes(k), bytes(v)) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    chunks.append(bytes(message["body"]))
                if not message.get("more_body", False):
                    break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return Answer(status, headers, tuple(chunks), stalled)


async def _record(app: ASGIApp, battery: list[Step]) -> list[tuple[Step, Answer]]:
    ids: dict[str, str] = {}
    answers = []
    for step in battery:
        answer = await _send(app, step.request(ids))
        if step.save is not None:
            try:
                value = answer.json()
                for key in step.save_key.split("."):
                    value = value[key]
                ids[step.save] = str(value)
            except (ValueError, KeyError, TypeError):
                ids[step.save] = "missing"
        answers.append((step, answer))
    return answers


def record(app: ASGIApp, battery: list[Step]) -> list[tuple[Step, Answer]]:
    """Every step's answer, in order (the app is called in-process, on a fresh event loop)."""
    return asyncio.run(_record(app, battery))


# -- the battery --------------------------------------------------------------------------------

_CHAT = "createChatCompletion"
_COMPLETION = "createCompletion"
_EMBEDDING = "createEmbedding"
_JSONL = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


def _minimal(spec: dict[str, Any], method: str, path: str, **fields: Any) -> dict[str, Any]:
    """The smallest JSON body the spec accepts for ``method path``, with ``fields`` set."""
    builder = SchemaBuilder(spec)
    body = builder.resolve(spec["paths"][path][method.lower()].get("requestBody")) or {}
    schema = ((body.get("content") or {}).get("application/json") or {}).get("schema")
    built = builder.build(schema) if schema is not None else {}
    return {**(built if isinstance(built, dict) else {}), **fields}


def _models() -> Iterator[Step]:
    yield Step("listModels", "GET", "/models")
    # The suite's auth probe: no key, a wrong key.
    yield Step("listModels", "GET", "/models", key=None)
    yield Step("listModels", "GET", "/models", key="sk-openai-conformance-wrong-key")
    yield Step("retrieveModel", "GET", "/models/gpt-4o-mini")
    yield Step("retrieveModel", "GET", "/models/no-such-model")
    yield Step("deleteModel", "DELETE", "/models/gpt-4o-mini")


def _files_and_uploads(spec: dict[str, Any]) -> Iterator[Step]:
    yield Step(
        "createFile",
        "POST",
        "/files",
        files={"file": ("a.jsonl", _JSONL)},
        data={"purpose": "batch"},
        save="file",
    )
    for name, data in (("file2", b"hello"), ("file3", b"more")):
        yield Step(
            "createFile",
            "POST",
            "/files",
            files={"file": (f"{name}.txt", data)},
            data={"purpose": "assistants"},
            save=name,
        )
    yield Step("listFiles", "GET", "/files")
    yield Step("listFiles", "GET", "/files?purpose=assistants&limit=1")
    yield Step("retrieveFile", "GET", "/files/{file}")
    yield Step("downloadFile", "GET", "/files/{file}/content")
    upload = _minimal(
        spec, "POST", "/uploads", filename="u.txt", purpose="assistants", bytes=6, mime_type="text/plain"
    )
    yield Step("createUpload", "POST", "/uploads", upload, save="upload")
    for part, data in (("part1", b"abc"), ("part2", b"def")):
        yield Step("addUploadPart", "POST", "/uploads/{upload}/parts", files={"data": ("d", data)}, save=part)
    yield Step("completeUpload", "POST", "/uploads/{upload}/complete", {"part_ids": ["{part1}", "{part2}"]})
    yield Step("createUpload", "POST", "/uploads", upload, save="upload2")
    yield Step("cancelUpload", "POST", "/uploads/{upload2}/cancel")


def _assistants_and_threads(spec: dict[str, Any]) -> Iterator[Step]:
    yield Step(
        "createAssistant", "POST", "/assistants", {"model": "gpt-4o-mini", "name": "a"}, save="assistant"
    )
    yield Step("listAssistants", "GET", "/assistants")
    yield Step("listAssistants", "GET", "/assistants?limit=abc")  # invalid: a 400
    yield Step("getAssistant", "GET", "/assistants/{assistant}")
    yield Step("modifyAssistant", "POST", "/assistants/{assistant}", {"name": "b"})
    yield Step(
        "createThread", "POST", "/threads", {"messages": [{"role": "user", "content": "hi"}]}, save="thread"
    )
    yield Step("getThread", "GET", "/threads/{thread}")
    yield Step("modifyThread", "POST", "/threads/{thread}", {"metadata": {"k": "v"}})
    yield Step(
        "createMessage",
        "POST",
        "/threads/{thread}/messages",
        {"role": "user", "content": "x"},
        save="message",
    )
    yield Step("listMessages", "GET", "/threads/{thread}/messages")
    yield Step("getMessage", "GET", "/threads/{thread}/messages/{message}")
    yield Step("modifyMessage", "POST", "/threads/{thread}/messages/{message}", {"metadata": {"k": "v"}})
    yield Step(
        "createThreadAndRun",
        "POST",
        "/threads/runs",
        {"assistant_id": "{assistant}", "thread": {"messages": [{"role": "user", "content": "hi"}]}},
    )
    yield Step("createRun", "POST", "/threads/{thread}/runs", {"assistant_id": "{assistant}"}, save="run")
    yield Step("createRun", "POST", "/threads/{thread}/runs", {"assistant_id": "{assistant}"}, save="run2")
    yield Step("listRuns", "GET", "/threads/{thread}/runs")
    yield Step("getRun", "GET", "/threads/{thread}/runs/{run}")
    yield Step("modifyRun", "POST", "/threads/{thread}/runs/{run}", {"metadata": {"k": "v"}})
    yield Step(
        "submitToolOuputsToRun",
        "POST",
        "/threads/{thread}/runs/{run}/submit_tool_outputs",
        _minimal(spec, "POST", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"),
    )
    yield Step("cancelRun", "POST", "/threads/{thread}/runs/{run2}/cancel")
    yield Step("listRunSteps", "GET", "/threads/{thread}/runs/{run}/steps")
    yield Step("getRunStep", "GET", "/threads/{thread}/runs/{run}/steps/step_missing")


def _vector_stores_and_jobs(spec: dict[str, Any]) -> Iterator[Step]:
    yield Step("createVectorStore", "POST", "/vector_stores", {"name": "vs"}, save="vs")
    yield Step("listVectorStores", "GET", "/vector_stores")
    yield Step("getVectorStore", "GET", "/vector_stores/{vs}")
    yield Step("modifyVectorStore", "POST", "/vector_stores/{vs}", {"name": "vs2"})
    yield Step("createVectorStoreFile", "POST", "/vector_stores/{vs}/files", {"file_id": "{file3}"})
    yield Step("listVectorStoreFiles", "GET", "/vector_stores/{vs}/files")
    yield Step("getVectorStoreFile", "GET", "/vector_stores/{vs}/files/{file3}")
    yield Step(
        "createVectorStoreFileBatch",
        "POST",
        "/vector_stores/{vs}/file_batches",
        {"file_ids": ["{file2}"]},
        save="vsb",
    )
    yield Step("cancelVectorStoreFileBatch", "POST", "/vector_stores/{vs}/file_batches/{vsb}/cancel")
    yield Step("getVectorStoreFileBatch", "GET", "/vector_stores/{vs}/file_batches/{vsb}")
    yield Step("listFilesInVectorStoreBatch", "GET", "/vector_stores/{vs}/file_batches/{vsb}/files")
    job = {"model": "gpt-4o-mini", "training_file": "{file}"}
    yield Step("createFineTuningJob", "POST", "/fine_tuning/jobs", job, save="job")
    yield Step("createFineTuningJob", "POST", "/fine_tuning/jobs", job, save="job2")
    yield Step("listPaginatedFineTuningJobs", "GET", "/fine_tuning/jobs")
    for _ in range(4):  # each retrieve advances the job; the last one has a fine-tuned model
        yield Step("retrieveFineTuningJob", "GET", "/fine_tuning/jobs/{job}")
    yield Step("listFineTuningEvents", "GET", "/fine_tuning/jobs/{job}/events")
    yield Step("listFineTuningJobCheckpoints", "GET", "/fine_tuning/jobs/{job}/checkpoints")
    yield Step("cancelFineTuningJob", "POST", "/fine_tuning/jobs/{job2}/cancel")
    batch = {"input_file_id": "{file}", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    yield Step("createBatch", "POST", "/batches", batch, save="batch")
    yield Step("createBatch", "POST", "/batches", batch, save="batch2")
    yield Step("listBatches", "GET", "/batches")
    yield Step("listBatches", "GET", "/batches?limit=1&after={batch}")
    yield Step("cancelBatch", "POST", "/batches/{batch2}/cancel")
    for _ in range(2):  # each retrieve advances the batch: in progress, finalizing
        yield Step("retrieveBatch", "GET", "/batches/{batch}")
    yield Step("retrieveBatch", "GET", "/batches/{batch}", save="output", save_key="output_file_id")
    yield Step("downloadFile", "GET", "/files/{output}/content")


def _organization(spec: dict[str, Any]) -> Iterator[Step]:
    org = "/organization"
    yield Step("list-audit-logs", "GET", org + "/audit_logs")
    invite = _minimal(spec, "POST", org + "/invites", email="a@example.com")
    yield Step("inviteUser", "POST", org + "/invites", invite, save="invite")
    yield Step("list-invites", "GET", org + "/invites")
    yield Step("retrieve-invite", "GET", org + "/invites/{invite}")
    yield Step("list-users", "GET", org + "/users")
    yield Step("retrieve-user", "GET", org + "/users/user-ref0001")
    yield Step(
        "modify-user", "POST", org + "/users/user-ref0001", _minimal(spec, "POST", org + "/users/{user_id}")
    )
    yield Step("create-project", "POST", org + "/projects", {"name": "p"}, save="project")
    yield Step("list-projects", "GET", org + "/projects")
    yield Step("retrieve-project", "GET", org + "/projects/proj_ref0001")
    yield Step("modify-project", "POST", org + "/projects/proj_ref0001", {"name": "q"})
    yield Step("archive-project", "POST", org + "/projects/{project}/archive")
    users = org + "/projects/proj_ref0001/users"
    member = _minimal(spec, "POST", org + "/projects/{project_id}/users", user_id="user-ref0001")
    yield Step("create-project-user", "POST", org + "/projects/{project}/users", member)  # a user of the org
    yield Step("list-project-users", "GET", users)
    yield Step("retrieve-project-user", "GET", users + "/user-ref0001")
    yield Step(
        "modify-project-user",
        "POST",
        users + "/user-ref0001",
        _minimal(spec, "POST", org + "/projects/{project_id}/users/{user_id}"),
    )
    accounts = org + "/projects/proj_ref0001/service_accounts"
    yield Step("create-project-service-account", "POST", accounts, {"name": "robot"})
    yield Step("list-project-service-accounts", "GET", accounts)
    yield Step("retrieve-project-service-account", "GET", accounts + "/svc_acct_ref0001")
    keys = org + "/projects/proj_ref0001/api_keys"
    yield Step("list-project-api-keys", "GET", keys)
    yield Step("retrieve-project-api-key", "GET", keys + "/key_ref0001")


def _deletes() -> Iterator[Step]:
    """Each delete, then a look-up of what it deleted (filed under the delete)."""
    org = "/organization"
    for entry, path in (
        ("deleteModel", "/models/" + FINE_TUNED_MODEL),
        ("deleteAssistant", "/assistants/{assistant}"),
        ("deleteMessage", "/threads/{thread}/messages/{message}"),
        ("deleteThread", "/threads/{thread}"),
        ("deleteVectorStoreFile", "/vector_stores/{vs}/files/{file3}"),
        ("deleteVectorStore", "/vector_stores/{vs}"),
        ("delete-invite", org + "/invites/{invite}"),
        ("delete-project-user", org + "/projects/proj_ref0001/users/user-ref0001"),
        ("delete-project-service-account", org + "/projects/proj_ref0001/service_accounts/svc_acct_ref0001"),
        ("delete-project-api-key", org + "/projects/proj_ref0001/api_keys/key_ref0001"),
        ("delete-user", org + "/users/user-ref0001"),
        ("deleteFile", "/files/{file2}"),
    ):
        yield Step(entry, "DELETE", path)
        yield Step(entry, "GET", path)


def steps(spec: dict[str, Any]) -> list[Step]:
    """The whole battery, in the order it is sent."""
    from tests.server.battery_inference import inference  # it builds Steps of this module
    from tests.server.workflow_steps import workflows  # they are made of this module's steps

    return [
        *inference(),
        *_models(),
        *_files_and_uploads(spec),
        *_assistants_and_threads(spec),
        *_vector_stores_and_jobs(spec),
        *_organization(spec),
        *workflows(),
        *_deletes(),
    ]
