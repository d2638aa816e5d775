"""Faults the schema checks catch: answers whose status, media type or body break the spec."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import BODY, CHAT, CHOICES, Faults, objects_of
from openai_conformance.server.hooks import ANSWER

__all__ = ["SCHEMA_FAULTS"]

SCHEMA_FAULTS = Faults()
fault = SCHEMA_FAULTS.declare

# The answers that hold a file object, and the workflows that upload one (reported under their creates).
_FILE_ANSWERS = ("createFile", "listFiles", "retrieveFile", "completeUpload")
_FILE_WORKFLOWS = ("createBatch", "createUpload", "createVectorStore", "createFineTuningJob")


@fault("chat-object-plural", "schema.body", CHAT, at=BODY)
def _plural_object(body: Any) -> None:
    """Chat completions carry `object: "chat.completions"` instead of the constant "chat.completion"."""
    body["object"] = "chat.completions"


@fault("chat-refusal-missing", "schema.body", CHAT, at=CHOICES)
def _no_refusal(choice: dict[str, Any]) -> None:
    """Chat completion messages omit the required (nullable) `refusal` field."""
    del choice["message"]["refusal"]


@fault("finish-reason-end-turn", "schema.body", CHAT, at=CHOICES)
def _end_turn(choice: dict[str, Any]) -> None:
    """Chat completions that finish normally report `finish_reason: "end_turn"`, which is not in the enum."""
    if choice["finish_reason"] == "stop":
        choice["finish_reason"] = "end_turn"


@fault("file-bytes-float", "schema.body", _FILE_ANSWERS, _FILE_WORKFLOWS, at=BODY)
def _float_bytes(body: Any) -> None:
    """File objects give their integer `bytes` as a float (`12.0`)."""
    for obj in objects_of(body, "file"):
        if isinstance(obj.get("bytes"), int):
            obj["bytes"] = float(obj["bytes"])


@fault("model-owner-missing", "schema.body", "listModels", "retrieveModel", at=BODY)
def _no_owner(body: Any) -> None:
    """Models (list and retrieve) omit the required `owned_by` field."""
    for model in objects_of(body, "model"):
        model.pop("owned_by", None)


@fault("models-status-201", "schema.status_code", "listModels", at=ANSWER)
def _created(call: Call, answer: Answer) -> Answer:
    """GET /models answers 201 instead of the declared 200 (body unchanged)."""
    return replace(answer, status=201)


@fault("moderations-status-203", "schema.status_code", "createModeration", at=ANSWER)
def _non_authoritative(call: Call, answer: Answer) -> Answer:
    """POST /moderations answers 203 (undeclared) with an otherwise valid moderation body."""
    return replace(answer, status=203)


@fault("models-text-plain", "schema.content_type", "listModels", at=ANSWER)
def _text_plain(call: Call, answer: Answer) -> Answer:
    """GET /models serves its (valid) JSON body as `text/plain`."""
    return replace(answer, media_type="text/plain")


# The models workflow (under listModels) retrieves every listed model; the list stays whole.
@fault("model-truncated-json", "schema.malformed_json", "retrieveModel", "listModels", at=ANSWER)
def _truncated(call: Call, answer: Answer) -> Answer:
    """GET /models/{model} answers a body cut off in the middle, which does not parse as JSON."""
    if call.operation_id != "retrieveModel":
        return answer
    data = json.dumps(answer.body).encode()
    return replace(answer, raw=data[: len(data) // 2])
