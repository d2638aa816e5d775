"""Each fault of the Responses API shows its deviation on f85dbe2, and the server without it does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from openai_conformance.openapi.loader import load_contract
from openai_conformance.server import create_app
from openai_conformance.server.faults.responses import RESPONSES_FAULTS

Probe = Callable[[TestClient], bool]

_TOOL = {
    "type": "function",
    "name": "get_weather",
    "strict": True,
    "parameters": {"type": "object", "properties": {}},
}
_FORCED = {"tools": [_TOOL], "tool_choice": {"type": "function", "name": "get_weather"}}


def _create(c: TestClient, **body: Any) -> Any:
    return c.post("/v1/responses", json={"model": "gpt-4o-mini", "input": "Say hello.", **body})


def _events(c: TestClient, **body: Any) -> list[dict[str, Any]]:
    text = _create(c, stream=True, **body).text
    return [json.loads(line[6:]) for line in text.split("\n") if line.startswith("data: ")]


def _kinds(c: TestClient, **body: Any) -> list[str]:
    return [event["type"] for event in _events(c, **body)]


def _joined(c: TestClient, delta: str, done: str, field: str, **body: Any) -> bool:
    events = _events(c, **body)
    joined = "".join(e["delta"] for e in events if e["type"] == delta)
    return bool(joined != next(e[field] for e in events if e["type"] == done))


def _usage_off(c: TestClient) -> bool:
    usage = _create(c).json()["usage"]
    return bool(usage["total_tokens"] != usage["input_tokens"] + usage["output_tokens"])


def _terminal_ids(c: TestClient) -> bool:
    events = _events(c)
    streamed = [e["item"]["id"] for e in events if e["type"] == "response.output_item.done"]
    return streamed != [item["id"] for item in events[-1]["response"]["output"]]


def _unstored_kept(c: TestClient) -> bool:
    made = _create(c, store=False).json()
    return bool(c.get(f"/v1/responses/{made['id']}").status_code == 200)


def _previous_ignored(c: TestClient) -> bool:
    return bool(_create(c, previous_response_id="resp_missing").status_code == 200)


def _retrieved_empty(c: TestClient) -> bool:
    made = _create(c).json()
    return bool(c.get(f"/v1/responses/{made['id']}").json()["output"] == [])


def _one_page(c: TestClient) -> bool:
    made = _create(c, input=[{"role": "user", "content": t} for t in ("a", "b")]).json()
    return bool(
        c.get(f"/v1/responses/{made['id']}/input_items", params={"limit": 1}).json()["has_more"] is False
    )


def _cancel_running(c: TestClient) -> bool:
    made = _create(c, background=True).json()
    return bool(c.post(f"/v1/responses/{made['id']}/cancel").json()["status"] != "cancelled")


PROBES: dict[str, Probe] = {
    "responses-in-progress-first": lambda c: _kinds(c)[0] != "response.created",
    "responses-sequence-hard-coded": lambda c: len({e["sequence_number"] for e in _events(c)}) == 1,
    "responses-no-terminal": lambda c: _kinds(c)[-1] != "response.completed",
    "responses-items-never-done": lambda c: "response.output_item.done" not in _kinds(c),
    "responses-text-delta-lost": lambda c: _joined(
        c, "response.output_text.delta", "response.output_text.done", "text"
    ),
    "responses-arguments-delta-lost": lambda c: _joined(
        c,
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "arguments",
        **_FORCED,
    ),
    "responses-output-ids-differ": _terminal_ids,
    "responses-usage-off-by-one": _usage_off,
    "responses-incomplete-without-reason": lambda c: (
        _create(c, input="A long one.", max_output_tokens=16).json()["incomplete_details"] is None
    ),
    "responses-max-output-tokens-ignored": lambda c: (
        _create(c, input="A long one.", max_output_tokens=16).json()["usage"]["output_tokens"] > 16
    ),
    "responses-tool-choice-ignored": lambda c: (
        _create(c, **_FORCED).json()["output"][0]["type"] != "function_call"
    ),
    "responses-created-bare": lambda c: "model" not in _events(c)[0]["response"],
    "responses-events-misnamed": lambda c: "event: response\n" in _create(c, stream=True).text,
    "responses-error-as-event": lambda c: _create(c, model="no-such-model", stream=True).status_code == 200,
    "responses-store-ignored": _unstored_kept,
    "responses-previous-ignored": _previous_ignored,
    "responses-retrieve-without-output": _retrieved_empty,
    "responses-input-items-one-page": _one_page,
    "responses-cancel-still-running": _cancel_running,
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_contract(pin="f85dbe2", findings=False).document


def test_every_responses_fault_has_a_probe() -> None:
    assert set(PROBES) == {fault.id for fault in RESPONSES_FAULTS}


@pytest.mark.parametrize("fault_id", sorted(PROBES))
def test_fault_shows_its_deviation(fault_id: str, document: dict[str, Any]) -> None:
    probe = PROBES[fault_id]
    with TestClient(create_app(document, faults=[fault_id])) as faulty:
        assert probe(faulty) is True, f"{fault_id} does not deviate"
    with TestClient(create_app(document)) as clean:
        assert probe(clean) is False, f"the clean server shows the deviation of {fault_id}"
