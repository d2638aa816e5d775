"""The battery of the newer spec (f85dbe2): the Responses requests whose answers its faults change.

Each operation of the Responses API gets a valid request, and each fault of server/faults/responses.py
a request that shows it: plain and streamed answers (a text, a forced function, a long answer cut by
``max_output_tokens``), an unknown model streamed, a stored response retrieved, one with
``store: false`` looked up, a follow-up naming the previous response and one naming none that
exists, the input items paged, a background response cancelled, a response deleted and looked up.
Answers are recorded as battery.py records them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.validation.responses_factories import WEATHER as _TOOL

from .battery import Step

__all__ = ["RESPONSES_OPERATIONS", "responses_steps"]

RESPONSES_OPERATIONS = frozenset(
    {
        "createResponse",
        "getResponse",
        "deleteResponse",
        "cancelResponse",
        "listInputItems",
        "Getinputtokencounts",
    }
)
_CREATE = "createResponse"


def _body(text: str, **fields: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "input": text, **fields}


def responses_steps() -> list[Step]:
    """The whole battery of the Responses API, in the order it is sent."""
    return list(_steps())


def _steps() -> Iterator[Step]:
    for stream in (False, True):
        extra = {"stream": True} if stream else {}
        yield Step(_CREATE, "POST", "/responses", _body("Say hello.", **extra))
        yield Step(_CREATE, "POST", "/responses", _body("Write a long story.", max_output_tokens=16, **extra))
    yield Step(
        _CREATE, "POST", "/responses", _body("hi", model="openai-conformance-no-such-model", stream=True)
    )
    yield Step(_CREATE, "POST", "/responses", _body("Remember: tangerine."), save="first")
    yield Step(_CREATE, "POST", "/responses", _body("What was the word?", previous_response_id="{first}"))
    yield Step("Getinputtokencounts", "POST", "/responses/input_tokens", _body("Count me."))
    yield Step("getResponse", "GET", "/responses/{first}")
    yield Step(_CREATE, "POST", "/responses", _body("Not kept.", store=False), save="unstored")
    yield Step("getResponse", "GET", "/responses/{unstored}")
    messages = [{"type": "message", "role": "user", "content": text} for text in ("one", "two", "three")]
    yield Step(_CREATE, "POST", "/responses", {"model": "gpt-4o-mini", "input": messages}, save="listed")
    yield Step("listInputItems", "GET", "/responses/{listed}/input_items")
    yield Step("listInputItems", "GET", "/responses/{listed}/input_items?order=asc&limit=1")
    yield Step(_CREATE, "POST", "/responses", _body("In the background.", background=True), save="running")
    yield Step("cancelResponse", "POST", "/responses/{running}/cancel")
    yield Step("getResponse", "GET", "/responses/{running}")
    yield Step("deleteResponse", "DELETE", "/responses/{first}")
    yield Step("deleteResponse", "GET", "/responses/{first}")
    # Last, the requests a fault may answer with other objects than the conformant server does (a
    # message for a function call, one more stored response): the ids of every later object would shift.
    forced = {"tools": [_TOOL], "tool_choice": {"type": "function", "name": "get_weather"}}
    for stream in (False, True):
        yield Step(_CREATE, "POST", "/responses", _body("What is the weather?", **forced, stream=stream))
    yield Step(_CREATE, "POST", "/responses", _body("hi", previous_response_id="resp_missing"))
