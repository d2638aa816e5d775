"""Faults of the Responses API, each one a bug reported against a real server, and the check that catches it.

The stream faults change the events of ``POST /responses`` with ``stream: true`` and number them
again from 0, so that each breaks one rule of the event grammar and no other; the state faults
change what the stored responses say or how they are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Fault, edit_body, without
from openai_conformance.server.routing import RequestError
from openai_conformance.server.wire import Pause, Wire

__all__ = ["RESPONSES_FAULTS"]

_CREATE = "createResponse"
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def _renumbered(events: list[Any]) -> list[Any]:
    for number, event in enumerate(events):
        if isinstance(event, dict) and "sequence_number" in event:
            event["sequence_number"] = number
    return events


def _of(kind: str, events: list[Any]) -> list[int]:
    return [n for n, event in enumerate(events) if isinstance(event, dict) and event.get("type") == kind]


def _in_progress_first(call: Call, events: list[Any]) -> list[Any]:
    if len(events) >= 2:
        events[0], events[1] = events[1], events[0]
    return _renumbered(events)


def _hard_coded_sequence(call: Call, events: list[Any]) -> list[Any]:
    for event in events:
        if isinstance(event, dict):
            event["sequence_number"] = 0
    return events


def _no_terminal(call: Call, events: list[Any]) -> list[Any]:
    return [e for e in events if not (isinstance(e, dict) and e.get("type") in _TERMINAL)]


def _items_never_done(call: Call, events: list[Any]) -> list[Any]:
    dropped = set(_of("response.output_item.done", events))
    return _renumbered([e for n, e in enumerate(events) if n not in dropped])


def _last_of_each(kind: str, events: list[Any]) -> set[int]:
    """The position of the last event of ``kind`` for each item."""
    last: dict[Any, int] = {}
    for n in _of(kind, events):
        last[events[n].get("item_id")] = n
    return set(last.values())


def _text_delta_lost(call: Call, events: list[Any]) -> list[Any]:
    dropped = _last_of_each("response.output_text.delta", events)
    return _renumbered([e for n, e in enumerate(events) if n not in dropped])


def _arguments_delta_lost(call: Call, events: list[Any]) -> list[Any]:
    dropped = _last_of_each("response.function_call_arguments.delta", events)
    return _renumbered([e for n, e in enumerate(events) if n not in dropped])


def _terminal_ids_differ(call: Call, events: list[Any]) -> list[Any]:
    for n in (_of("response.completed", events) + _of("response.incomplete", events))[:1]:
        for item in events[n].get("response", {}).get("output") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                item["id"] += "_final"
    return events


def _responses_of(value: Any) -> list[dict[str, Any]]:
    """The Response objects of a plain answer or of a stream's events."""
    if isinstance(value, dict) and value.get("object") == "response":
        return [value]
    if isinstance(value, list):
        return [e["response"] for e in value if isinstance(e, dict) and isinstance(e.get("response"), dict)]
    return []


def _one_token_too_many(value: Any) -> None:
    for response in _responses_of(value):
        usage = response.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            usage["total_tokens"] += 1


def _no_reason(value: Any) -> None:
    for response in _responses_of(value):
        if response.get("status") == "incomplete":
            response["incomplete_details"] = None


def _plain_and_streamed(edit: Callable[[Any], None]) -> dict[str, Any]:
    """The hooks that make one change to the responses of plain answers and of streams alike."""

    def events(call: Call, events: list[Any]) -> list[Any]:
        edit(events)
        return events

    return {"answer": edit_body(edit), "events": events}


def _bare_created(call: Call, events: list[Any]) -> list[Any]:
    for n in _of("response.created", events)[:1]:
        response = events[n]["response"]
        events[n]["response"] = {
            "id": response.get("id"),
            "object": "response",
            "status": response.get("status"),
        }
    return events


def _misnamed(wire: Wire) -> Wire:
    pieces: list[bytes | Pause] = [
        re.sub(rb"^event: [^\n]*\n", b"event: response\n", piece) if isinstance(piece, bytes) else piece
        for piece in wire.pieces
    ]
    return replace(wire, pieces=pieces)


def _error_as_event(call: Call | None, error: RequestError, reply: Reply) -> Reply:
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


def _keep_unstored(call: Call) -> Call:
    return call.with_body({k: v for k, v in call.fields().items() if not (k == "store" and v is False)})


def _forget_output(call: Call, answer: Answer) -> Answer:
    if isinstance(answer.body, dict) and answer.body.get("status") == "completed":
        answer.body["output"] = []
    return answer


def _no_more_pages(call: Call, answer: Answer) -> Answer:
    if isinstance(answer.body, dict) and "has_more" in answer.body:
        answer.body["has_more"] = False
    return answer


def _still_running(call: Call, answer: Answer) -> Answer:
    if isinstance(answer.body, dict) and answer.body.get("status") == "cancelled":
        answer.body["status"] = "in_progress"
    return answer


RESPONSES_FAULTS: tuple[Fault, ...] = (
    Fault(
        "responses-in-progress-first",
        "responses.created_first",
        "Responses streams open with response.in_progress, response.created only second.",
        operations=(_CREATE,),
        events=_in_progress_first,
    ),
    Fault(
        "responses-sequence-hard-coded",
        "responses.sequence_number",
        "Every event of a Responses stream carries sequence_number 0 (LiteLLM PR #28899).",
        operations=(_CREATE,),
        events=_hard_coded_sequence,
    ),
    Fault(
        "responses-no-terminal",
        "responses.terminal",
        "Responses streams end after the last item, without response.completed or response.incomplete.",
        operations=(_CREATE,),
        events=_no_terminal,
    ),
    Fault(
        "responses-items-never-done",
        "responses.item_pairs",
        "Responses streams never send response.output_item.done (vLLM #37071).",
        operations=(_CREATE,),
        events=_items_never_done,
    ),
    Fault(
        "responses-text-delta-lost",
        "responses.text_deltas",
        "The last output_text delta of each item is never sent: the deltas no longer join to the text "
        "(vLLM #30099).",
        operations=(_CREATE,),
        events=_text_delta_lost,
    ),
    Fault(
        "responses-arguments-delta-lost",
        "responses.function_arguments",
        "The last function_call_arguments delta of each call is never sent.",
        operations=(_CREATE,),
        events=_arguments_delta_lost,
    ),
    Fault(
        "responses-output-ids-differ",
        "responses.output_items",
        "The terminal response's output items carry other ids than the streamed items (vLLM #56285).",
        operations=(_CREATE,),
        events=_terminal_ids_differ,
    ),
    Fault(
        "responses-usage-off-by-one",
        "responses.usage",
        "A response's total_tokens is one more than input_tokens + output_tokens.",
        operations=(_CREATE,),
        **_plain_and_streamed(_one_token_too_many),
    ),
    Fault(
        "responses-incomplete-without-reason",
        "responses.status",
        "A response cut at max_output_tokens is `incomplete` with incomplete_details null.",
        operations=(_CREATE,),
        **_plain_and_streamed(_no_reason),
    ),
    Fault(
        "responses-max-output-tokens-ignored",
        "responses.max_output_tokens",
        "max_output_tokens is ignored: the model writes as much as it likes.",
        operations=(_CREATE,),
        request=without("max_output_tokens"),
    ),
    Fault(
        "responses-tool-choice-ignored",
        "responses.forced_tool",
        "tool_choice is ignored: a forced function call comes back as text (vLLM #36445).",
        operations=(_CREATE,),
        request=without("tool_choice"),
    ),
    Fault(
        "responses-created-bare",
        "stream.event_schema",
        "response.created carries only {id, object, status} instead of the whole response (llama.cpp PR #21174).",
        operations=(_CREATE,),
        events=_bare_created,
    ),
    Fault(
        "responses-events-misnamed",
        "stream.event_type",
        "Every event of a Responses stream is sent as `event: response`, whatever its type.",
        operations=(_CREATE,),
        delivery=_misnamed,
    ),
    Fault(
        "responses-error-as-event",
        "stream.error_status",
        "A streamed Responses request naming an unknown model gets a 200 stream holding an `error` event "
        "instead of an HTTP 404.",
        operations=(_CREATE,),
        error=_error_as_event,
    ),
    Fault(
        "responses-store-ignored",
        "responses.store",
        "`store: false` is ignored: every response is stored and retrievable.",
        operations=(_CREATE, "getResponse"),
        request=_keep_unstored,
    ),
    Fault(
        "responses-previous-ignored",
        "responses.previous_response",
        "previous_response_id is ignored: the follow-up starts a new conversation, an unknown id is accepted.",
        operations=(_CREATE,),
        request=without("previous_response_id"),
    ),
    Fault(
        "responses-retrieve-without-output",
        "responses.retrieve",
        "GET /responses/{id} answers a completed response with an empty output.",
        operations=("getResponse",),
        answer=_forget_output,
    ),
    Fault(
        "responses-input-items-one-page",
        "responses.input_items",
        "GET input_items says has_more false on every page, so a client never fetches the next one.",
        operations=("listInputItems",),
        answer=_no_more_pages,
    ),
    Fault(
        "responses-cancel-still-running",
        "responses.cancel",
        "cancel answers a cancelled background response with status in_progress.",
        operations=("cancelResponse",),
        answer=_still_running,
    ),
)
