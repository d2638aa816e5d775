"""The suite's workflows (scenarios/files.py, batches.py, resources.py, organization.py) as battery
steps, each filed under the operation the suite reports it under, so that a fault seen only through a
workflow shows in that operation's entry."""

from __future__ import annotations

import json
from collections.abc import Iterator

from openai_conformance.server.store import FINE_TUNED_MODEL, MODELS
from tests.server.battery import Step

__all__ = ["workflows"]

_CONTENT = (
    b'{"custom_id": "openai-conformance-files", "method": "POST", "url": "/v1/chat/completions", '
    b'"body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Caf\\xc3\\xa9?"}], '
    b'"max_tokens": 4}}\n'
)
_PARTS = (
    b'{"messages": [{"role": "user", "content": "Say hello"}, ',
    b'{"role": "assistant", "content": "Hello"}]}\n',
)


def _batch_input() -> bytes:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 4}
    lines = (
        {
            "custom_id": f"openai-conformance-{n}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": body,
        }
        for n in (1, 2)
    )
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _removed(entry: str, path: str) -> Iterator[Step]:
    """A delete, then the look-up that must find it gone."""
    yield Step(entry, "DELETE", path)
    yield Step(entry, "GET", path)


def _files() -> Iterator[Step]:
    entry, path = "createFile", "/files/{wf_file}"
    yield Step(
        entry,
        "POST",
        "/files",
        files={"file": ("openai-conformance.jsonl", _CONTENT)},
        data={"purpose": "batch"},
        save="wf_file",
    )
    yield Step(entry, "GET", path)
    yield Step(entry, "GET", "/files")
    yield Step(entry, "GET", path + "/content")
    yield Step(entry, "DELETE", path)
    yield Step(entry, "GET", path)
    yield Step(entry, "GET", path + "/content")
    yield Step(entry, "DELETE", path)
    yield Step(entry, "GET", "/files")


def _uploads() -> Iterator[Step]:
    entry = "createUpload"
    upload = {
        "filename": "openai-conformance.jsonl",
        "purpose": "fine-tune",
        "bytes": len(b"".join(_PARTS)),
        "mime_type": "text/jsonl",
    }
    yield Step(entry, "POST", "/uploads", upload, save="wf_upload")
    for number, part in enumerate(_PARTS, 1):
        yield Step(
            entry,
            "POST",
            "/uploads/{wf_upload}/parts",
            files={"data": (f"part{number}", part)},
            save=f"wf_part{number}",
        )
    yield Step(
        entry,
        "POST",
        "/uploads/{wf_upload}/complete",
        {"part_ids": ["{wf_part1}", "{wf_part2}"]},
        save="wf_upfile",
        save_key="file.id",
    )
    yield Step(entry, "GET", "/files/{wf_upfile}")
    yield Step(entry, "GET", "/files/{wf_upfile}/content")
    yield Step(entry, "DELETE", "/files/{wf_upfile}")
    yield Step(entry, "POST", "/uploads", upload, save="wf_upload2")
    yield Step(entry, "POST", "/uploads/{wf_upload2}/cancel")


def _batches() -> Iterator[Step]:
    entry = "createBatch"
    yield Step(
        entry,
        "POST",
        "/files",
        files={"file": ("openai-conformance-batch.jsonl", _batch_input())},
        data={"purpose": "batch"},
        save="wf_input",
    )
    batch = {"input_file_id": "{wf_input}", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    yield Step(entry, "POST", "/batches", batch, save="wf_batch")
    yield Step(entry, "GET", "/batches/{wf_batch}")
    yield Step(entry, "POST", "/batches", batch, save="wf_batch2")
    yield Step(entry, "GET", "/batches")
    yield Step(entry, "GET", "/batches?limit=1", save="wf_page", save_key="last_id")
    yield Step(entry, "GET", "/batches?limit=1&after={wf_page}")
    yield Step(entry, "POST", "/batches/{wf_batch2}/cancel")
    yield Step(entry, "GET", "/batches/{wf_batch}")
    yield Step(entry, "GET", "/batches/{wf_batch}", save="wf_output", save_key="output_file_id")
    yield Step(entry, "GET", "/files/{wf_output}/content")
    yield Step(entry, "POST", "/batches/{wf_batch}/cancel")
    yield Step(entry, "GET", "/batches/{wf_batch2}")
    yield Step(entry, "DELETE", "/files/{wf_input}")


def _models() -> Iterator[Step]:
    yield Step("listModels", "GET", "/models")
    for model, _ in (*MODELS, (FINE_TUNED_MODEL, "")):
        yield Step("listModels", "GET", "/models/" + model.replace(":", "%3A"))


def _assistants() -> Iterator[Step]:
    entry, path = "createAssistant", "/assistants/{wf_assistant}"
    body = {"model": "gpt-4o-mini", "name": "openai-conformance", "metadata": {"workflow": "created"}}
    yield Step(entry, "POST", "/assistants", body, save="wf_assistant")
    yield Step(entry, "GET", path)
    yield Step(
        entry, "POST", path, {"name": "openai-conformance (renamed)", "metadata": {"workflow": "updated"}}
    )
    yield Step(entry, "GET", path)
    yield Step(entry, "GET", "/assistants")
    yield Step(entry, "DELETE", path)
    yield Step(entry, "GET", path)
    yield Step(entry, "DELETE", path)
    yield Step(entry, "GET", "/assistants")


def _threads() -> Iterator[Step]:
    entry, thread, run = "createThread", "/threads/{wf_thread}", "/threads/{wf_thread}/runs/{wf_run}"
    body = {"messages": [{"role": "user", "content": "Say hello"}], "metadata": {"workflow": "thread"}}
    yield Step(entry, "POST", "/threads", body, save="wf_thread")
    yield Step(entry, "GET", thread)
    yield Step(
        entry, "POST", thread + "/messages", {"role": "user", "content": "And goodbye"}, save="wf_message"
    )
    yield Step(entry, "GET", thread + "/messages")
    yield Step(entry, "GET", thread + "/messages/{wf_message}")
    yield Step(entry, "POST", "/assistants", {"model": "gpt-4o-mini"}, save="wf_runner")
    yield Step(entry, "POST", thread + "/runs", {"assistant_id": "{wf_runner}"}, save="wf_run")
    yield Step(entry, "GET", run)
    yield Step(entry, "GET", run)
    yield Step(entry, "GET", run + "/steps", save="wf_step", save_key="first_id")
    yield Step(entry, "GET", run + "/steps/{wf_step}")
    yield Step(entry, "POST", thread + "/runs", {"assistant_id": "{wf_runner}"}, save="wf_run2")
    yield Step(entry, "POST", thread + "/runs/{wf_run2}/cancel")
    yield Step(entry, "GET", thread + "/runs/{wf_run2}")
    yield from _removed(entry, thread)
    yield Step(entry, "DELETE", "/assistants/{wf_runner}")


def _vector_stores() -> Iterator[Step]:
    entry, store = "createVectorStore", "/vector_stores/{wf_vs}"
    text = {"file": ("openai-conformance.txt", b"The reference answer is 42.\n")}
    yield Step(entry, "POST", "/files", files=text, data={"purpose": "assistants"}, save="wf_vsfile")
    yield Step(
        entry,
        "POST",
        "/vector_stores",
        {"name": "openai-conformance", "metadata": {"workflow": "created"}},
        save="wf_vs",
    )
    yield Step(entry, "GET", store)
    yield Step(entry, "POST", store, {"name": "openai-conformance (renamed)"})
    yield Step(entry, "GET", store)
    yield Step(entry, "POST", store + "/files", {"file_id": "{wf_vsfile}"})
    yield Step(entry, "GET", store + "/files")
    yield Step(entry, "GET", store + "/files/{wf_vsfile}")
    yield Step(entry, "POST", store + "/file_batches", {"file_ids": ["{wf_vsfile}"]}, save="wf_vsb")
    yield Step(entry, "GET", store + "/file_batches/{wf_vsb}")
    yield Step(entry, "GET", store + "/file_batches/{wf_vsb}/files")
    yield from _removed(entry, store + "/files/{wf_vsfile}")
    yield from _removed(entry, store)
    yield Step(entry, "DELETE", "/files/{wf_vsfile}")


def _fine_tuning() -> Iterator[Step]:
    entry, job = "createFineTuningJob", "/fine_tuning/jobs/{wf_job}"
    training = {"file": ("openai-conformance-training.jsonl", b"".join(_PARTS))}
    yield Step(entry, "POST", "/files", files=training, data={"purpose": "fine-tune"}, save="wf_train")
    yield Step(
        entry,
        "POST",
        "/fine_tuning/jobs",
        {"model": "gpt-4o-mini", "training_file": "{wf_train}"},
        save="wf_job",
    )
    yield Step(entry, "POST", job + "/cancel")
    yield Step(entry, "GET", job)
    yield Step(entry, "GET", "/fine_tuning/jobs")
    yield Step(entry, "GET", job + "/events")
    yield Step(entry, "GET", job + "/checkpoints")
    yield Step(entry, "DELETE", "/files/{wf_train}")


def _projects() -> Iterator[Step]:
    """The projects workflow up to its archive, which a fault of its own changes. Its members' and
    service accounts' deletes and lists, and the invites workflow, are left out: the store faults
    (delete-noop, list-misses-newest) change those, and since a workflow's step is filed under the
    operation it calls, those faults are declared by the deletes and lists themselves."""
    entry, project = "create-project", "/organization/projects/{wf_project}"
    yield Step(entry, "POST", "/organization/projects", {"name": "openai-conformance"}, save="wf_project")
    yield Step(entry, "GET", project)
    yield Step(entry, "POST", project, {"name": "openai-conformance (renamed)"})
    yield Step(entry, "GET", project)
    yield Step(entry, "POST", project + "/archive")
    yield Step(entry, "GET", project)


def workflows() -> Iterator[Step]:
    """Every workflow's requests, in the order the suite sends them."""
    yield from _files()
    yield from _uploads()
    yield from _batches()
    yield from _models()
    yield from _assistants()
    yield from _threads()
    yield from _vector_stores()
    yield from _fine_tuning()
    yield from _projects()
