"""Faults of the Responses API, each one a bug reported against a real server, and the check that catches it.

The stream faults change the events of ``POST /responses`` with ``stream: true`` and number them
again from 0, so that each breaks one rule of the event grammar and no other; the state faults
change what the stored responses say or how they are kept.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import BODY_AND_EVENTS, Faults
from openai_conformance.server.hooks import ANSWER, DELIVERY, ERROR, EVENTS, REQUEST
from openai_conformance.server.routing import RequestError
from openai_conformance.server.wire import Pause, Wire

__all__ = ["RESPONSES_FAULTS"]

RESPONSES_FAULTS = Faults()
fault = RESPONSES_FAULTS.declare

_CREATE = "createResponse"
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def _renumbered(events: list[Any]) -> list[Any]:
    for number, event in enumerate(events):
        if isinstance(event, dict) and "sequence_number" in event:
            event["sequence_number"] = number
    return events


def _of(kind: str, events: list[Any]) -> list[int]:
    return [n for n, event in enumerate(events) if isinstance(event, dict) and event.get("type") == kind]


def _dropped(events: list[Any], positions: set[int]) -> list[Any]:
    """``events`` without those at ``positions``, numbered again."""
    return _renumbered([e for n, e in enumerate(events) if n not in positions])


def _last_of_each(kind: str, events: list[Any]) -> set[int]:
    """The position of the last event of ``kind`` for each item."""
    last: dict[Any, int] = {}
    for n in _of(kind, events):
        last[events[n].get("item_id")] = n
    return set(last.values())


# -- the event grammar of a stream ---------------------------------------------------------------


@fault("responses-in-progress-first", "responses.created_first", _CREATE, at=EVENTS)
def _in_progress_first(call: Call, events: list[Any]) -> list[Any]:
    """Responses streams open with response.in_progress, response.created only second."""
    if len(events) >= 2:
        events[0], events[1] = events[1], events[0]
    return _renumbered(events)


@fault("responses-sequence-hard-coded", "responses.sequence_number", _CREATE, at=EVENTS)
def _hard_coded_sequence(call: Call, events: list[Any]) -> list[Any]:
    """Every event of a Responses stream carries sequence_number 0 (LiteLLM PR #28899)."""
    for event in events:
        if isinstance(event, dict):
            event["sequence_number"] = 0
    return events


@fault("responses-no-terminal", "responses.terminal", _CREATE, at=EVENTS)
def _no_terminal(call: Call, events: list[Any]) -> list[Any]:
    """Responses streams end after the last item, without response.completed or response.incomplete."""
    return [e for e in events if not (isinstance(e, dict) and e.get("type") in _TERMINAL)]


@fault("responses-items-never-done", "responses.item_pairs", _CREATE, at=EVENTS)
def _items_never_done(call: Call, events: list[Any]) -> list[Any]:
    """Responses streams never send response.output_item.done (vLLM #37071)."""
    return _dropped(events, set(_of("response.output_item.done", events)))


@fault("responses-text-delta-lost", "responses.text_deltas", _CREATE, at=EVENTS)
def _text_delta_lost(call: Call, events: list[Any]) -> list[Any]:
    """The last output_text delta of each item is never sent: the deltas no longer join to the text
    (vLLM #30099)."""
    return _dropped(events, _last_of_each("response.output_text.delta", events))


@fault("responses-arguments-delta-lost", "responses.function_arguments", _CREATE, at=EVENTS)
def _arguments_delta_lost(call: Call, events: list[Any]) -> list[Any]:
    """The last function_call_arguments delta of each call is never sent."""
    return _dropped(events, _last_of_each("response.function_call_arguments.delta", events))


@fault("responses-output-ids-differ", "responses.output_items", _CREATE, at=EVENTS)
def _terminal_ids_differ(call: Call, events: list[Any]) -> list[Any]:
    """The terminal response's output items carry other ids than the streamed items (vLLM #56285)."""
    for n in (_of("response.completed", events) + _of("response.incomplete", events))[:1]:
        for item in events[n].get("response", {}).get("output") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                item["id"] += "_final"
    return events


# -- what a response says, in a plain answer and in a stream's events alike -----------------------


def _responses_of(value: Any) -> list[dict[str, Any]]:
    """The Response of a plain answer, or the one a stream's event carries."""
    if isinstance(value, dict) and value.get("object") == "response":
        return [value]
    if isinstance(value, dict) and isinstance(value.get("response"), dict):
        return [value["response"]]
    return []


@fault("responses-usage-off-by-one", "responses.usage", _CREATE, at=BODY_AND_EVENTS)
def _one_token_too_many(value: Any) -> None:
    """A response's total_tokens is one more than input_tokens + output_tokens."""
    for response in _responses_of(value):
        usage = response.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            usage["total_tokens"] += 1


@fault("responses-incomplete-without-reason", "responses.status", _CREATE, at=BODY_AND_EVENTS)
def _no_reason(value: Any) -> None:
    """A response cut at max_output_tokens is `incomplete` with incomplete_details null."""
    for response in _responses_of(value):
        if response.get("status") == "incomplete":
            response["incomplete_details"] = None


@fault("responses-max-output-tokens-ignored", "responses.max_output_tokens", _CREATE, at=REQUEST)
def _uncapped(call: Call) -> Call:
    """max_output_tokens is ignored: the model writes as much as it likes."""
    return call.without("max_output_tokens")


@fault("responses-tool-choice-ignored", "responses.forced_tool", _CREATE, at=REQUEST)
def _tool_choice_dropped(call: Call) -> Call:
    """tool_choice is ignored: a forced function call comes back as text (vLLM #36445)."""
    return call.without("tool_choice")


# -- events of the wrong shape, name or status ----------------------------------------------------


@fault("responses-created-bare", "stream.event_schema", _CREATE, at=EVENTS)
def _bare_created(call: Call, events: list[Any]) -> list[Any]:
    """response.created carries only {id, object, status} instead of the whole response (llama.cpp PR
    #21174)."""
    for n in _of("response.created", events)[:1]:
        response = events[n]["response"]
        events[n]["response"] = {
            "id": response.get("id"),
            "object": "response",
            "status": response.get("status"),
        }
    return events


@fault("responses-events-misnamed", "stream.event_type", _CREATE, at=DELIVERY)
def _misnamed(wire: Wire) -> Wire:
    """Every event of a Responses stream is sent as `event: response`, whatever its type."""
    pieces: list[bytes | Pause] = [
        re.sub(rb"^event: [^\n]*\n", b"event: response\n", piece) if isinstance(piece, bytes) else piece
        for piece in wire.pieces
    ]
    return replace(wire, pieces=pieces)


@fault("responses-error-as-event", "stream.error_status", _CREATE, at=ERROR)
def _error_as_event(call: Call | None, error: RequestError, reply: Reply) -> Reply:
    """A streamed Responses request naming an unknown model gets a 200 stream holding an `error` event
    instead of an HTTP 404."""
    if call is not None and call.arg("stream") is True and error.code == "model_not_found":
        event = {
            "type": "error",
            "code": error.code,
            "message": error.message,
            "param": error.param,
            "sequence_number": 0,
        }
        return StreamAnswer([event], named=True, done=False)
    return reply


# -- stored responses -----------------------------------------------------------------------------


@fault("responses-store-ignored", "responses.store", _CREATE, "getResponse", at=REQUEST)
def _keep_unstored(call: Call) -> Call:
    """`store: false` is ignored: every response is stored and retrievable."""
    return call.with_body({k: v for k, v in call.fields().items() if not (k == "store" and v is False)})


@fault("responses-previous-ignored", "responses.previous_response", _CREATE, at=REQUEST)
def _new_conversation(call: Call) -> Call:
    """previous_response_id is ignored: the follow-up starts a new conversation, an unknown id is accepted."""
    return call.without("previous_response_id")


@fault("responses-retrieve-without-output", "responses.retrieve", "getResponse", at=ANSWER)
def _forget_output(call: Call, answer: Answer) -> Answer:
    """GET /responses/{id} answers a completed response with an empty output."""
    if isinstance(answer.body, dict) and answer.body.get("status") == "completed":
        answer.body["output"] = []
    return answer


@fault("responses-input-items-one-page", "responses.input_items", "listInputItems", at=ANSWER)
def _no_more_pages(call: Call, answer: Answer) -> Answer:
    """GET input_items says has_more false on every page, so a client never fetches the next one."""
    if isinstance(answer.body, dict) and "has_more" in answer.body:
        answer.body["has_more"] = False
    return answer


@fault("responses-cancel-still-running", "responses.cancel", "cancelResponse", at=ANSWER)
def _still_running(call: Call, answer: Answer) -> Answer:
    """cancel answers a cancelled background response with status in_progress."""
    if isinstance(answer.body, dict) and answer.body.get("status") == "cancelled":
        answer.body["status"] = "in_progress"
    return answer
