"""Faults the schema checks catch: answers whose status, media type or body break the spec."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import CHAT, Fault, each_choice, edit_body, objects_of, replaced

__all__ = ["SCHEMA_FAULTS"]

_FILE_ANSWERS = ("createFile", "listFiles", "retrieveFile", "completeUpload")


def _plural_object(body: Any) -> None:
    body["object"] = "chat.completions"


def _no_refusal(choice: dict[str, Any]) -> None:
    del choice["message"]["refusal"]


def _end_turn(choice: dict[str, Any]) -> None:
    if choice["finish_reason"] == "stop":
        choice["finish_reason"] = "end_turn"


def _float_bytes(body: Any) -> None:
    for obj in objects_of(body, "file"):
        if isinstance(obj.get("bytes"), int):
            obj["bytes"] = float(obj["bytes"])


def _no_owner(body: Any) -> None:
    for model in objects_of(body, "model"):
        model.pop("owned_by", None)


def _truncated(call: Call, answer: Answer) -> Answer:
    data = json.dumps(answer.body).encode()
    return replace(answer, raw=data[: len(data) // 2])


SCHEMA_FAULTS: tuple[Fault, ...] = (
    Fault(
        "chat-object-plural",
        "schema.body",
        'Chat completions carry `object: "chat.completions"` instead of the constant "chat.completion".',
        operations=(CHAT,),
        answer=edit_body(_plural_object),
    ),
    Fault(
        "chat-refusal-missing",
        "schema.body",
        "Chat completion messages omit the required (nullable) `refusal` field.",
        operations=(CHAT,),
        answer=edit_body(each_choice(_no_refusal)),
    ),
    Fault(
        "finish-reason-end-turn",
        "schema.body",
        'Chat completions that finish normally report `finish_reason: "end_turn"`, which is not in the enum.',
        operations=(CHAT,),
        answer=edit_body(each_choice(_end_turn)),
    ),
    Fault(
        "file-bytes-float",
        "schema.body",
        "File objects give their integer `bytes` as a float (`12.0`).",
        # The files lifecycle probe (under deleteFile) judges the file it uploads.
        operations=(*_FILE_ANSWERS, "deleteFile"),
        answer=edit_body(_float_bytes),
    ),
    Fault(
        "model-owner-missing",
        "schema.body",
        "Models (list and retrieve) omit the required `owned_by` field.",
        operations=("listModels", "retrieveModel"),
        answer=edit_body(_no_owner),
    ),
    Fault(
        "models-status-201",
        "schema.status_code",
        "GET /models answers 201 instead of the declared 200 (body unchanged).",
        operations=("listModels",),
        answer=replaced(status=201),
    ),
    Fault(
        "moderations-status-203",
        "schema.status_code",
        "POST /moderations answers 203 (undeclared) with an otherwise valid moderation body.",
        operations=("createModeration",),
        answer=replaced(status=203),
    ),
    Fault(
        "models-text-plain",
        "schema.content_type",
        "GET /models serves its (valid) JSON body as `text/plain`.",
        operations=("listModels",),
        answer=replaced(media_type="text/plain"),
    ),
    Fault(
        "model-truncated-json",
        "schema.malformed_json",
        "GET /models/{model} answers a body cut off in the middle, which does not parse as JSON.",
        operations=("retrieveModel",),
        answer=_truncated,
    ),
)
