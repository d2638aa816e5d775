"""The suite's workflows (scenarios/files.py, batches.py, resources.py) as battery steps, each filed
under the operation the suite reports it under, so that a fault seen only through a workflow shows
in that operation's entry."""

from __future__ import annotations

import json
from collections.abc import Iterator

from openai_conformance.server.store import FINE_TUNED_MODEL, MODELS

from .battery import Step

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
    yield Step(
        entry,
        "POST",
        "/assistants",
        {"model": "gpt-4o-mini", "name": "openai-conformance", "metadata": {"workflow": "created"}},
        save="wf_assistant",
    )
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


def workflows() -> Iterator[Step]:
    """Every workflow's requests, in the order the suite sends them."""
    yield from _files()
    yield from _uploads()
    yield from _batches()
    yield from _models()
    yield from _assistants()
