"""The official openai SDK's Responses client works against the reference server on f85dbe2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from openai_conformance.openapi.loader import load_contract
from openai_conformance.server import create_app, serve_in_thread
from tests.validation.responses_factories import WEATHER as _TOOL

from .helpers import API_KEY

openai = pytest.importorskip("openai")


@pytest.fixture(scope="module")
def sdk() -> Iterator[Any]:
    document = load_contract(pin="f85dbe2", findings=False).document
    with serve_in_thread(create_app(document, api_key=API_KEY)) as url:
        client = openai.OpenAI(api_key=API_KEY, base_url=url + "/v1", max_retries=0, timeout=10)
        yield client
        client.close()


def test_create_and_retrieve(sdk: Any) -> None:
    response = sdk.responses.create(model="gpt-4o-mini", input="Say hello.", instructions="Be brief.")
    assert response.status == "completed" and response.output_text
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    again = sdk.responses.retrieve(response.id)
    assert again.id == response.id and again.output_text == response.output_text
    items = list(sdk.responses.input_items.list(response.id))
    assert [item.role for item in items] == ["user"]
    sdk.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(response.id)


def test_stream(sdk: Any) -> None:
    deltas = []
    with sdk.responses.stream(model="gpt-4o-mini", input="Tell me a story.") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert final.status == "completed" and "".join(deltas) == final.output_text
    assert sdk.responses.retrieve(final.id).output_text == final.output_text


def test_create_streamed_with_a_forced_function(sdk: Any) -> None:
    events = list(
        sdk.responses.create(
            model="gpt-4o-mini",
            input="What is the weather in Paris?",
            tools=[_TOOL],
            tool_choice={"type": "function", "name": "get_weather"},
            stream=True,
        )
    )
    assert [e.sequence_number for e in events] == list(range(len(events)))
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert len(done) == 1 and json.loads(done[0].arguments) == {"city": ""}
    assert events[-1].type == "response.completed" and events[-1].response.output[0].type == "function_call"


def test_background_and_cancel(sdk: Any) -> None:
    running = sdk.responses.create(model="gpt-4o-mini", input="Take your time.", background=True)
    assert running.status == "queued"
    assert sdk.responses.cancel(running.id).status == "cancelled"


def test_previous_response_id(sdk: Any) -> None:
    first = sdk.responses.create(model="gpt-4o-mini", input="Remember: tangerine.")
    follow = sdk.responses.create(model="gpt-4o-mini", input="What was it?", previous_response_id=first.id)
    assert follow.previous_response_id == first.id
    with pytest.raises(openai.NotFoundError):
        sdk.responses.create(model="gpt-4o-mini", input="x", previous_response_id="resp_nothing")
