"""The store's public API: a store seeded before the server starts is what the server serves."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from openai_conformance.server import Store, create_app

from .helpers import API_KEY, response_errors

_ASSISTANT = {
    "id": "asst_seeded0001",
    "object": "assistant",
    "created_at": 1723075200,
    "name": "Seeded",
    "description": None,
    "model": "gpt-4o-mini",
    "instructions": None,
    "tools": [],
    "metadata": None,
}


def _client(spec: dict[str, Any], store: Store) -> TestClient:
    return TestClient(
        create_app(spec, api_key=API_KEY, store=store), headers={"Authorization": f"Bearer {API_KEY}"}
    )


def test_a_seeded_model_is_listed_retrieved_and_usable(spec: dict[str, Any], openapi: Any) -> None:
    store = Store()
    store.add_model("acme-chat-1", owned_by="acme")
    client = _client(spec, store)
    listed = client.get("/v1/models").json()["data"]
    assert {"id": "acme-chat-1", "owned_by": "acme"}.items() <= listed[-1].items()
    retrieved = client.get("/v1/models/acme-chat-1")
    assert retrieved.json() == listed[-1]
    errors = response_errors(
        openapi, "GET", "/models/acme-chat-1", 200, retrieved.headers["content-type"], retrieved.content
    )
    assert errors == []
    chat = client.post(
        "/v1/chat/completions", json={"model": "acme-chat-1", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert chat.status_code == 200 and chat.json()["model"] == "acme-chat-1"


def test_a_seeded_file_is_listed_retrieved_and_downloaded(spec: dict[str, Any], openapi: Any) -> None:
    store = Store()
    seeded = store.add_file(b"hello, mock", filename="seed.txt", purpose="assistants")
    client = _client(spec, store)
    assert [f["id"] for f in client.get("/v1/files").json()["data"]] == [seeded["id"]]
    retrieved = client.get(f"/v1/files/{seeded['id']}")
    assert retrieved.json() == seeded
    errors = response_errors(
        openapi, "GET", f"/files/{seeded['id']}", 200, retrieved.headers["content-type"], retrieved.content
    )
    assert errors == []
    assert client.get(f"/v1/files/{seeded['id']}/content").json() == "hello, mock"


def test_a_stored_object_is_served_as_it_is(spec: dict[str, Any]) -> None:
    store = Store()
    store.put("/assistants", dict(_ASSISTANT))
    client = _client(spec, store)
    assert client.get(f"/v1/assistants/{_ASSISTANT['id']}").json() == _ASSISTANT
    assert [a["id"] for a in client.get("/v1/assistants").json()["data"]] == [_ASSISTANT["id"]]
    assert client.delete(f"/v1/assistants/{_ASSISTANT['id']}").json()["deleted"] is True
    assert store.collection("/assistants") == {}


def test_an_object_without_id_is_refused() -> None:
    with pytest.raises(ValueError, match="'id'"):
        Store().put("/assistants", {"object": "assistant"})


def test_the_servers_own_objects_go_to_the_given_store(spec: dict[str, Any]) -> None:
    store = Store()
    client = _client(spec, store)
    created = client.post("/v1/assistants", json={"model": "gpt-4o-mini"}).json()
    assert store.collection("/assistants")[created["id"]] == created
    # The organization's seeded user lives in the store too.
    assert "user-ref0001" in store.collection("/organization/users")
