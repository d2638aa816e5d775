"""The reference server's in-memory state: models, stored objects, file contents, uploads, batches.

A ``Store`` can be filled before the server starts, to use the reference server as a mock::

    store = Store()
    store.add_model("my-model", owned_by="me")
    file = store.add_file(b"hello", filename="a.txt", purpose="assistants")
    store.put("/assistants", {"id": "asst_1", "object": "assistant", ...})
    app = create_app(spec, store=store)

Objects live in *collections* named by the spec's collection path and the ids of their parents:
``put("/threads/{thread_id}/messages", message, parents={"thread_id": "thread_1"})``.  Ids and
timestamps come from counters, so the same requests always get the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from openai_conformance.server.bodies import TIMESTAMP
from openai_conformance.server.generate import digest

__all__ = ["FINE_TUNED_MODEL", "MODELS", "OWNER", "Store"]

# The models GET /models serves from the start: (id, owned_by).  Requests naming others get 404.
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
    # The models the newer spec's streams need: speech as SSE, streamed transcripts and images.
    ("gpt-4o-mini-tts", "system"),
    ("gpt-4o-transcribe", "system"),
    ("gpt-image-1", "system"),
)
OWNER = "openai-conformance"  # the owner of fine-tuned models: the only ones a client may delete
FINE_TUNED_MODEL = "ft:gpt-4o-mini-2024-07-18:openai-conformance::ref00001"

StoredObject = dict[str, Any]


def collection_key(collection: str, parents: Mapping[str, str] | None = None) -> str:
    """Where the objects of ``collection`` under ``parents`` live: the path, then each parent's id."""
    names = re.findall(r"{([^}/]+)}", collection)
    return collection + "|" + "|".join((parents or {}).get(name, "") for name in names)


class Store:
    """Everything the reference server remembers between requests."""

    def __init__(self) -> None:
        self.models: dict[str, StoredObject] = {}
        self.collections: dict[str, dict[str, StoredObject]] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.upload_parts: dict[str, tuple[str, bytes]] = {}  # part id -> (upload id, data)
        self.batch_files: dict[str, list[str]] = {}  # vector store file batch id -> file ids
        self._counters: dict[str, int] = {}
        for index, (model_id, owner) in enumerate((*MODELS, (FINE_TUNED_MODEL, OWNER))):
            self.add_model(model_id, owned_by=owner, created=TIMESTAMP - 86400 * (len(MODELS) - index))

    # -- ids and time ---------------------------------------------------------------------------
    def tick(self, kind: str) -> int:
        """The next value of the counter for ``kind`` (1, 2, ...)."""
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def new_id(self, prefix: str, *content: Any) -> str:
        """A fresh, deterministic id: the counter of ``prefix`` plus a hash of the content."""
        count = self.tick("id:" + prefix)
        return prefix + digest(prefix, count, content)[:24]

    def timestamp(self) -> int:
        """A plausible, increasing Unix time in seconds."""
        return TIMESTAMP + self.tick("time")

    # -- models ---------------------------------------------------------------------------------
    def add_model(self, model_id: str, *, owned_by: str = OWNER, created: int | None = None) -> StoredObject:
        """Serve ``model_id`` (GET /models lists it; requests may name it)."""
        model = {
            "id": model_id,
            "object": "model",
            "created": self.timestamp() if created is None else created,
            "owned_by": owned_by,
        }
        self.models[model_id] = model
        return model

    def has_model(self, model: object) -> bool:
        return isinstance(model, str) and model in self.models

    # -- stored objects -------------------------------------------------------------------------
    def collection(
        self, collection: str, parents: Mapping[str, str] | None = None
    ) -> dict[str, StoredObject]:
        """The objects of ``collection`` under ``parents``, by id, oldest first (a live mapping)."""
        return self.collections.setdefault(collection_key(collection, parents), {})

    def put(
        self, collection: str, obj: StoredObject, *, parents: Mapping[str, str] | None = None
    ) -> StoredObject:
        """Store ``obj`` (which must carry its ``id``) in ``collection``; the server serves it as it is."""
        if not isinstance(obj.get("id"), str):
            raise ValueError(f"a stored object needs a string 'id', not {obj.get('id')!r}")
        self.collection(collection, parents)[obj["id"]] = obj
        return obj

    def add_file(self, data: bytes, *, filename: str, purpose: str) -> StoredObject:
        """Store a file: GET /files lists it and /files/{id}/content answers ``data``."""
        obj = {
            "id": self.new_id("file-", {"filename": filename, "purpose": purpose}),
            "object": "file",
            "bytes": len(data),
            "created_at": self.timestamp(),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        return self.put_file(obj, data)

    def put_file(self, obj: StoredObject, data: bytes) -> StoredObject:
        """Store a file object and its contents."""
        self.put("/files", obj)
        self.file_bytes[obj["id"]] = data
        return obj
