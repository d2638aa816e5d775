"""Generated requests: reproducible by seed, OpenAI-aware (models, budgets), valid multipart and JSON."""

from __future__ import annotations

import email
import email.policy
import json
from typing import Any

import httpx
import pytest

from openai_conformance.config import RunConfig
from openai_conformance.generation.hints import Budget, apply_hints
from openai_conformance.generation.models import models_for
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.runner import Runner
from openai_conformance.transport.http import HttpTransport

CONTRACT = load_contract(pin="6b8287f", findings=False)


def _sent(
    seed: int, include: str, models: tuple[str, ...] = ("chat-a", "embed-b"), examples: int = 6
) -> list[tuple[str, str, bytes]]:
    sent: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, str(request.url), request.read()))
        return httpx.Response(
            400,
            json={"error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}},
        )

    config = RunConfig(
        base_url="http://127.0.0.1:1",
        max_examples=examples,
        seed=seed,
        models=models,
        include=(include,),
        probes=False,
        max_boundaries=0,  # the drawn requests only (the boundaries: tests/test_boundaries.py)
        draw_cache=False,  # drawn each time: what is tested is the drawing
    )
    runner = Runner(
        CONTRACT, config, "http://127.0.0.1:1", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    runner.collect()
    runner.close()
    return _after_the_probes(sent)


def _after_the_probes(sent: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """The requests after those the run asks first: where the API is (GET /models), its "no such route"."""
    probes = 0
    for method, url, _ in sent:
        if not ("openai-conformance-no-such-route" in url or (method == "GET" and url.endswith("/models"))):
            break
        probes += 1
    return sent[probes:]


def test_same_seed_same_requests() -> None:
    first = _sent(7, "createChatCompletion")
    assert len(first) == 6
    assert first == _sent(7, "createChatCompletion")
    assert first != _sent(8, "createChatCompletion")


def test_models_and_budgets_are_applied_to_generated_bodies() -> None:
    bodies = [json.loads(body) for _, _, body in _sent(3, "createChatCompletion")]
    assert all(body["model"] == "chat-a" for body in bodies)
    for body in bodies:
        for name in ("max_tokens", "max_completion_tokens"):
            if isinstance(body.get(name), int):
                assert body[name] <= 16
        if isinstance(body.get("n"), int):
            assert body["n"] <= 2


def test_model_path_parameters_name_served_models() -> None:
    urls = [url for _, url, _ in _sent(1, "retrieveModel")]
    assert urls and all(url.endswith("/v1/models/chat-a") for url in urls)


def test_multipart_operations_send_multipart() -> None:
    sent = _sent(1, "createFile")
    assert sent and all(b"Content-Disposition: form-data" in body for _, _, body in sent)


@pytest.mark.parametrize(
    "body",
    [
        {"sdp": "v=0", "session": {"type": "realtime", "model": "m"}},  # f85dbe2's POST /realtime/calls
        {"purpose": "batch", "file": ("a.jsonl", b'{"x": 1}')},
    ],
    ids=["text fields only", "with a file"],
)
def test_a_multipart_body_is_multipart_whatever_its_fields(body: dict[str, Any]) -> None:
    transport = HttpTransport(RunConfig(), "http://api.test")
    try:
        request = transport.build("POST", "/x", "/x", body=body, media_type="multipart/form-data")
    finally:
        transport.close()
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    parsed = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.content, policy=email.policy.HTTP
    )
    fields = {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in parsed.iter_parts()
    }
    for name, value in body.items():
        expected = json.dumps(value).encode() if isinstance(value, dict) else value
        if isinstance(value, tuple):
            expected = value[1]
        elif isinstance(value, str):
            expected = value.encode()
        assert fields[name] == expected, name


def test_every_operation_of_the_primary_spec_generates_requests() -> None:
    sent = _sent(0, "/*", examples=1)
    templates = {(op.method.upper(), op.path) for op in iter_operations(CONTRACT.document)}
    assert len(templates) == 94
    reached = {method for method, _, _ in sent}
    assert len(sent) >= 94 and reached >= {"GET", "POST", "DELETE"}


def test_hints() -> None:
    body = apply_hints(
        {"model": "", "max_tokens": 10**6, "n": 9, "logprobs": 20, "best_of": 1},
        model="m",
        budget=Budget(),
        operation_id="createCompletion",
    )
    assert body == {"model": "m", "max_tokens": 16, "n": 2, "logprobs": 3, "best_of": 2}
    assert apply_hints({"logprobs": True}, model=None, budget=Budget(), operation_id="x") == {
        "logprobs": True
    }
    # No tokens at all is refused by the API though the schema allows 0: at least one, where it is
    # refused (a legacy completion may ask for none, to score its prompt)
    chat = {"max_tokens": 0, "max_completion_tokens": 0, "temperature": 0}
    assert apply_hints(chat, model=None, budget=Budget(), operation_id="createChatCompletion") == {
        "max_tokens": 1,
        "max_completion_tokens": 1,
        "temperature": 0,
    }
    legacy = apply_hints({"max_tokens": 0}, model=None, budget=Budget(), operation_id="createCompletion")
    assert legacy == {"max_tokens": 0}
    kept = {"max_completion_tokens": None, "max_tokens": 7}
    assert apply_hints(kept, model=None, budget=Budget(), operation_id="createChatCompletion") == kept
    assert models_for("createEmbedding", ["gpt-x", "text-embedding-3-small"]) == ["text-embedding-3-small"]
    assert models_for("createChatCompletion", ["gpt-x", "text-embedding-3-small"]) == ["gpt-x"]
    # Only a fine-tuned model is the caller's to delete; without one, the target decides.
    assert models_for("deleteModel", ["gpt-x", "ft:gpt-x:org::abc"]) == ["ft:gpt-x:org::abc"]
    assert models_for("deleteModel", ["gpt-x"]) == ["gpt-x"]
    assert models_for("createImage", ["gpt-x"]) == ["gpt-x"]
