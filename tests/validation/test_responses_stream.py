"""The Responses event grammar: each rule fires on a stream that breaks it and is silent on one that does not.

The conformant streams include what real servers legally send: vendor fields, SSE comments, CRLF,
events without ``event:`` names, a ``[DONE]`` at the end, slow streams, an ``error`` followed by
``response.failed``, and streams the suite cut before their end.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openai_conformance.transport.exchange import Exchange, StreamEnd
from openai_conformance.validation.catalogue import CHECKS
from openai_conformance.validation.parsed_stream import parse_stream
from openai_conformance.validation.stream import check_event_stream
from openai_conformance.validation.stream_kinds import stream_kinds
from openai_conformance.validation.violations import Violation
from tests.validation.responses_factories import (
    WEATHER,
    contract_document,
    function_call,
    function_events,
    message,
    renumber,
    response,
    responses_exchange,
    stream_events,
    text_events,
    union,
    usage,
)


def judge(exchange: Exchange) -> list[Violation]:
    kind = stream_kinds(contract_document())["createResponse"]
    violations = list(check_event_stream(parse_stream(exchange), kind, union()))
    assert all(v.check in CHECKS for v in violations)
    return violations


def only(violations: list[Violation], check: str, severity: str = "error") -> Violation:
    assert violations, f"{check} did not fire"
    assert {v.check for v in violations} == {check}, violations
    assert {v.severity for v in violations} == {severity}, violations
    return violations[0]


def events_of(kind: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


# --- conformant streams, and the legal variants of real servers -------------------------------------------


def _vendor(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for event in events:
        event["obfuscation"] = "k3Jf"  # OpenAI pads deltas; other servers add fields of their own
        if "response" in event:
            event["response"]["x_vendor"] = {"backend": "vllm"}
    return events


@pytest.mark.parametrize(
    ("events", "framing", "request_fields"),
    [
        (text_events(), {}, {}),
        (function_events(), {}, {"tools": [WEATHER], "tool_choice": "required"}),
        (_vendor(text_events()), {}, {}),
        (text_events(), {"comments": True}, {}),
        (text_events(), {"newline": "\r\n"}, {}),
        (text_events(), {"named": False}, {}),
        (text_events(), {"done": True}, {}),
        (text_events(("",)), {}, {}),
        (text_events(background=True), {}, {"background": True}),
        (
            stream_events([(message("Hi."), ["Hi."]), (function_call("{}"), ["{", "}"])]),
            {},
            {"tools": [WEATHER]},
        ),
    ],
)
def test_conformant_streams_are_silent(
    events: list[dict[str, Any]], framing: dict[str, Any], request_fields: dict[str, Any]
) -> None:
    assert judge(responses_exchange(events, request_fields, **framing)) == []


def test_a_slow_stream_is_judged_like_a_fast_one() -> None:
    slow = responses_exchange(text_events(), gap=2.5)
    assert [e.at for e in slow.events or []][-1] > 20
    assert judge(slow) == []


def test_an_incomplete_stream_cut_at_max_output_tokens_is_silent() -> None:
    cut = message("Once upon", status="incomplete")
    final = response(
        [cut], status="incomplete", incomplete_details={"reason": "max_output_tokens"}, usage=usage(10, 16)
    )
    events = stream_events([(cut, ["Once", " upon"])], final=final)
    assert judge(responses_exchange(events, {"max_output_tokens": 16})) == []


def test_an_error_then_response_failed_is_one_end() -> None:
    events = text_events()[:-1]
    failed = response(
        [], status="failed", error={"code": "server_error", "message": "The model failed."}, usage=None
    )
    events += [
        {"type": "error", "code": "server_error", "message": "The model failed.", "param": None},
        {"type": "response.failed", "response": failed},
    ]
    assert judge(responses_exchange(renumber(events))) == []


@pytest.mark.parametrize("end", [StreamEnd.IDLE, StreamEnd.CUT, StreamEnd.TOO_LARGE])
def test_a_stream_cut_by_the_suite_is_not_judged_on_its_end(end: StreamEnd) -> None:
    violations = judge(responses_exchange(text_events()[:6], stream_end=end))
    assert {v.check for v in violations} <= {"stream.stalled"}
    assert ("stream.stalled" in {v.check for v in violations}) == (end is StreamEnd.IDLE)


# --- each rule, broken ---------------------------------------------------------------------------------------


def test_the_first_event_must_be_response_created() -> None:
    events = text_events()
    events[0], events[1] = events[1], events[0]
    violation = only(judge(responses_exchange(renumber(events))), "responses.created_first")
    assert violation.pointer == "/events/0/type"
    created = text_events()
    created[0]["response"]["status"] = "completed"
    only(judge(responses_exchange(created)), "responses.created_first")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda e: [event.pop("sequence_number") for event in e[3:4]], "has none"),
        (
            lambda e: [
                event["response"].setdefault("sequence_number", event.pop("sequence_number"))
                for event in e[:1]
            ],
            "nests it",
        ),
        (
            lambda e: [event.update(sequence_number=event["sequence_number"] + 1) for event in e],
            "where 0 is due",
        ),
        (lambda e: [event.update(sequence_number=0) for event in e], "where 1 is due"),
        (
            lambda e: [event.update(sequence_number=event["sequence_number"] + 1) for event in e[5:]],
            "where 5 is due",
        ),
    ],
)
def test_sequence_numbers_start_at_0_and_count_by_one(change: Any, needle: str) -> None:
    events = text_events()
    change(events)
    violation = only(judge(responses_exchange(events)), "responses.sequence_number")
    assert needle in violation.message


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda e: e[:-1], "without a terminal event"),
        (lambda e: [*e, copy.deepcopy(e[-1])], "second terminal"),
        (
            lambda e: [
                *e,
                {
                    "type": "response.output_text.delta",
                    "item_id": "x",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "!",
                },
            ],
            "follows the terminal",
        ),
    ],
)
def test_one_terminal_event_comes_last(change: Any, needle: str) -> None:
    violations = judge(responses_exchange(renumber(change(text_events()))))
    assert needle in only(violations, "responses.terminal").message


def test_the_terminal_event_names_its_response_status_and_the_announced_response() -> None:
    events = text_events()
    events[-1]["response"]["status"] = "in_progress"
    assert "status is 'in_progress'" in only(judge(responses_exchange(events)), "responses.terminal").message
    events = text_events()
    events[-1]["response"]["id"] = "resp_other"
    assert "not 'resp_67" in only(judge(responses_exchange(events)), "responses.terminal").message


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda e: [x for x in e if x["type"] != "response.output_item.done"], "never done"),
        (lambda e: [x for x in e if x["type"] != "response.content_part.done"], "still open"),
        (lambda e: [x for x in e if x["type"] != "response.output_item.added"], "not open"),
        (
            lambda e: [
                {**x, "item_id": "msg_other"} if x["type"] == "response.output_text.delta" else x for x in e
            ],
            "names item",
        ),
        (
            lambda e: [
                {**x, "output_index": 1} if x["type"] == "response.output_item.added" else x for x in e
            ],
            "1; 0 is due",
        ),
        (
            lambda e: [
                {**x, "content_index": 1} if x["type"] == "response.content_part.added" else x for x in e
            ],
            "content_index 1",
        ),
    ],
)
def test_items_and_parts_come_in_pairs_and_are_named_by_their_indices(change: Any, needle: str) -> None:
    violations = judge(responses_exchange(renumber(change(text_events()))))
    assert needle in only(violations, "responses.item_pairs").message


def test_text_deltas_join_to_the_done_text_of_the_part_the_item_and_the_response() -> None:
    events = text_events()
    events[4]["delta"] = "Onc"
    assert "join to" in only(judge(responses_exchange(events)), "responses.text_deltas").message
    events = text_events()
    for event in events_of("response.content_part.done", events):
        event["part"]["text"] = "Once upon a tim"
    assert "content_part.done" in only(judge(responses_exchange(events)), "responses.text_deltas").message
    events = text_events()
    events[-1]["response"]["output"][0]["content"][0]["text"] = "Something else."
    assert "terminal response" in only(judge(responses_exchange(events)), "responses.text_deltas").message


def test_deltas_never_followed_by_their_done_event() -> None:
    events = [e for e in text_events() if e["type"] != "response.output_text.done"]
    only(judge(responses_exchange(renumber(events))), "responses.text_deltas")


def test_function_arguments_join_and_parse() -> None:
    request = {"tools": [WEATHER]}
    events = function_events()
    events[3]["delta"] = '{"cit'
    assert (
        "join to" in only(judge(responses_exchange(events, request)), "responses.function_arguments").message
    )
    events = function_events(('{"city"', ': "Par')).copy()
    violation = only(judge(responses_exchange(events, request)), "responses.function_arguments")
    assert "not JSON" in violation.message
    loose = {"tools": [{**WEATHER, "strict": False}]}
    only(
        judge(responses_exchange(function_events(('{"city', "")), loose)),
        "responses.function_arguments",
        "warning",
    )


def test_the_terminal_output_holds_the_streamed_items() -> None:
    events = text_events()
    events[-1]["response"]["output"][0]["id"] = "msg_final"
    assert "differ" in only(judge(responses_exchange(events)), "responses.output_items").message
    events = text_events()
    events[-1]["response"]["output"] = []
    only(judge(responses_exchange(events)), "responses.output_items", "warning")


def test_the_terminal_response_obeys_the_rules_of_any_response() -> None:
    events = text_events()
    events[-1]["response"]["usage"] = usage(36, 87, total=124)
    only(judge(responses_exchange(events)), "responses.usage")
    events = text_events()
    events[-1]["response"]["usage"] = usage(20, 40)
    only(judge(responses_exchange(events, {"max_output_tokens": 16})), "responses.max_output_tokens")
    forced = {"tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}}
    only(judge(responses_exchange(text_events(), forced)), "responses.forced_tool")


# --- event kinds and schemas ---------------------------------------------------------------------------------


def test_an_sse_event_name_must_be_the_type() -> None:
    events = text_events()
    raw = b"".join(
        (b"event: response\n" if n else b"event: response.created\n")
        + f"data: {__import__('json').dumps(e)}\n\n".encode()
        for n, e in enumerate(events)
    )
    violation = only(judge(responses_exchange(raw=raw)), "stream.event_type")
    assert "`event: response`" in violation.message


def test_an_event_without_a_type_or_of_an_unknown_type() -> None:
    events = text_events()
    del events[1]["type"]
    only(judge(responses_exchange(events, named=False)), "stream.event_type")
    events = text_events()
    events.insert(2, {"type": "response.vendor_progress", "sequence_number": 2})
    only(judge(responses_exchange(renumber(events))), "stream.event_type", "warning")


def test_each_event_is_held_to_its_own_member_of_the_union() -> None:
    events = text_events()
    response_id = events[0]["response"]["id"]
    events[0]["response"] = {"id": response_id, "object": "response", "status": "in_progress"}
    violation = only(judge(responses_exchange(events)), "stream.event_schema")
    assert violation.message.startswith("response.created:") and violation.pointer.startswith(
        "/events/0/response"
    )
    events = text_events()
    events[4]["delta"] = 5
    assert only(judge(responses_exchange(events)), "stream.event_schema").pointer == "/events/4/delta"


def test_a_stream_that_opens_with_an_error_is_an_error_status() -> None:
    error = {
        "type": "error",
        "code": "model_not_found",
        "message": "no such model",
        "param": "model",
        "sequence_number": 0,
    }
    only(judge(responses_exchange([error])), "stream.error_status")
