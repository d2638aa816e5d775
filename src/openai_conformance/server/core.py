"""The reference server's shared state: the spec's operations, body templates, the in-memory store."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response

from openai_conformance.server.bodies import TIMESTAMP, SchemaBuilder
from openai_conformance.server.generate import digest
from openai_conformance.server.routing import Operation, RequestError, Router

__all__ = ["FINE_TUNED_MODEL", "MODELS", "Call", "Server"]

# The models GET /models serves: (id, owned_by).  Requests naming any other model get 404.
MODELS: tuple[tuple[str, str], ...] = (
    ("gpt-4o-mini", "system"),
    ("gpt-4o-mini-2024-07-18", "system"),
    ("gpt-4o", "system"),
    ("gpt-4o-2024-08-06", "system"),
    ("gpt-4-turbo", "system"),
    ("gpt-4", "openai"),
    ("gpt-3.5-turbo", "openai"),
    ("gpt-3.5-turbo-instruct", "system"),
    ("babbage-002", "system"),
    ("davinci-002", "system"),
    ("text-embedding-3-small", "system"),
    ("text-embedding-3-large", "system"),
    ("text-embedding-ada-002", "openai-internal"),
    ("omni-moderation-latest", "system"),
    ("text-moderation-latest", "system"),
    ("dall-e-2", "system"),
    ("dall-e-3", "system"),
    ("tts-1", "openai-internal"),
    ("tts-1-hd", "system"),
    ("whisper-1", "openai-internal"),
)
FINE_TUNED_MODEL = "ft:gpt-4o-mini-2024-07-18:openai-conformance::ref00001"
OWNER = "openai-conformance"


@dataclass
class Call:
    """One validated request, as the handlers see it."""

    op: Operation
    path_args: dict[str, str]
    params: dict[str, Any]
    body: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    authorization: str | None = None

    def arg(self, name: str, default: Any = None) -> Any:
        """A body field (JSON or form), ``default`` when absent or null."""
        if isinstance(self.body, dict):
            value = self.body.get(name)
            return default if value is None else value
        return default


class Server:
    """Everything a request handler needs; one instance per app."""

    def __init__(self, spec: dict[str, Any], *, api_key: str | None, fault: str | None) -> None:
        self.spec = spec
        self.api_key = api_key
        self.fault = fault
        self.builder = SchemaBuilder(spec)
        self.router = Router(spec, self.builder)
        self._templates: dict[str, Any] = {}
        self._schema_templates: dict[int, Any] = {}
        self.counters: dict[str, int] = {}
        # collection key ("/threads/{thread_id}/messages|thread_x") -> id -> stored object
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.upload_parts: dict[str, tuple[str, bytes]] = {}  # part id -> (upload id, data)
        self.batch_files: dict[str, list[str]] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.resources: Any = None  # the Resources of this server, set by the app
        for index, (model_id, owner) in enumerate((*MODELS, (FINE_TUNED_MODEL, OWNER))):
            self.models[model_id] = {
                "id": model_id,
                "object": "model",
                "created": TIMESTAMP - 86400 * (len(MODELS) - index),
                "owned_by": owner,
            }

    # -- helpers ----------------------------------------------------------------------------
    def on(self, fault: str) -> bool:
        """Whether this fault is switched on."""
        return self.fault == fault

    def tick(self, kind: str) -> int:
        """The next value of the counter for ``kind`` (1, 2, ...)."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def new_id(self, prefix: str, *content: Any) -> str:
        """A fresh, deterministic id: the counter of ``prefix`` plus a hash of the content."""
        count = self.tick("id:" + prefix)
        return prefix + digest(prefix, count, content)[:24]

    def timestamp(self) -> int:
        """A plausible, increasing Unix time in seconds."""
        return TIMESTAMP + self.tick("time")

    def template(self, op: Operation) -> Any:
        """A fresh copy of the minimal valid 200 body of ``op``."""
        key = op.method + " " + op.path
        if key not in self._templates:
            self._templates[key] = self.builder.build(op.success_schema)
        return copy.deepcopy(self._templates[key])

    def instance(self, schema: Any) -> Any:
        """A fresh copy of the minimal valid instance of a spec schema."""
        key = id(schema)
        if key not in self._schema_templates:
            self._schema_templates[key] = (schema, self.builder.build(schema))
        return copy.deepcopy(self._schema_templates[key][1])

    def model_exists(self, model: Any) -> bool:
        return isinstance(model, str) and model in self.models

    def require_model(self, model: Any) -> None:
        """Raise 404 model_not_found for a model this server does not serve."""
        if self.model_exists(model) or self.on("unknown-model-200"):
            return
        if self.on("unknown-model-400"):
            raise RequestError(400, f"Invalid model: {str(model)[:100]}", param="model", code="invalid_model")
        raise RequestError(
            404,
            f"The model `{str(model)[:200]}` does not exist or you do not have access to it.",
            code="model_not_found",
        )

    def collection(self, key: str) -> dict[str, dict[str, Any]]:
        return self.collections.setdefault(key, {})

    # -- responses ----------------------------------------------------------------------------
    def json(self, body: Any, status: int = 200, media: str = "application/json") -> Response:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return Response(data.encode(), status_code=status, media_type=media)

    def error(self, err: RequestError) -> Response:
        """OpenAI's error envelope for ``err`` (or a faulty variant of it)."""
        if self.on("flat-error-envelope"):
            body: Any = {
                "object": "error",
                "message": err.message,
                "type": err.type,
                "param": err.param,
                "code": err.status,
            }
        else:
            code: Any = err.status if self.on("integer-error-code") else err.code
            body = {"error": {"message": err.message, "type": err.type, "param": err.param, "code": code}}
        return self.json(body, err.status)


def read_upload(value: Any) -> tuple[bytes, str]:
    """The bytes and filename of a form value (a file, or a plain string sent as one)."""
    if isinstance(value, UploadFile):
        return value.file.read(), value.filename or "file"
    if isinstance(value, bytes):
        return value, "file"
    return str(value).encode(), "file"
