"""Each stream check fires on a broken stream, pointing into its events, and is silent on a good one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openai_conformance.errors import SpecError
from openai_conformance.openapi.overlay import apply_overlays, load_overlay
from openai_conformance.transport.exchange import Exchange, StreamEnd
from openai_conformance.validation.catalogue import CHECKS
from openai_conformance.validation.stream import (
    StreamKind,
    check_stream,
    create_chunk_validator,
    parse_stream,
    stream_kind,
)
from openai_conformance.validation.violations import Violation
from tests.validation.validation_factories import (
    NOW,
    chat_chunk,
    chat_stream_items,
    completion_chunk,
    json_exchange,
    load_spec,
    stream_exchange,
    tool_stream_items,
    usage_chunk,
    validator,
)

CHAT = "/chat/completions"
REQUEST: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
OVERLAY = Path(__file__).resolve().parents[2] / "spec" / "overlays" / "20-streaming.yaml"


def judge(exchange: Exchange, kind: StreamKind = "chat") -> list[Violation]:
    violations = list(check_stream(parse_stream(exchange), kind, validator(kind), now=NOW))
    for violation in violations:
        assert violation.check in CHECKS
        assert violation.severity in ("error", "warning")
    return violations


def only(violations: list[Violation], check: str) -> Violation:
    matching = [v for v in violations if v.check == check]
    assert matching, f"{check} did not fire: {violations}"
    assert {v.check for v in violations} <= {check}, violations
    return matching[0]


def chat(items: list[Any], request: dict[str, Any] | None = None, **options: Any) -> Exchange:
    return stream_exchange(CHAT, {**REQUEST, **(request or {})}, items, **options)


# --- conformant streams ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "request_fields"),
    [
        (chat_stream_items(), {}),
        (chat_stream_items(usage=True), {"stream_options": {"include_usage": True}}),
        (chat_stream_items(n=2), {"n": 2}),
        (chat_stream_items(n=2, usage=True), {"n": 2, "stream_options": {"include_usage": True}}),
        (tool_stream_items(['{"ci', 'ty": "Par', 'is"}']), {}),
    ],
)
def test_conformant_chat_streams_are_silent(items: list[Any], request_fields: dict[str, Any]) -> None:
    assert judge(chat(items, request_fields)) == []


def test_conformant_completion_stream_is_silent() -> None:
    items = [
        completion_chunk("Once"),
        completion_chunk(" upon", finish="length"),
        {
            **completion_chunk(),
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        },
    ]
    request = {"model": "m", "prompt": "x", "max_tokens": 2, "stream_options": {"include_usage": True}}
    assert judge(stream_exchange("/completions", request, items), "completion") == []


def test_the_overlaid_and_the_newer_spec_build_working_validators() -> None:
    overlaid = apply_overlays(load_spec(), [load_overlay(OVERLAY)])
    content = overlaid["paths"]["/chat/completions"]["post"]["responses"]["200"]["content"]
    assert content["text/event-stream"]["schema"]["format"] == "binary"
    exchange = chat(chat_stream_items(usage=True), {"stream_options": {"include_usage": True}})
    for spec in (overlaid, load_spec("f85dbe2")):
        chunk_validator = create_chunk_validator(spec, "chat")
        assert list(check_stream(parse_stream(exchange), "chat", chunk_validator, now=NOW)) == []
        broken = chat_chunk(content="x")
        broken["choices"][0]["finish_reason"] = "done"
        assert [p for p, _, _ in chunk_validator(broken)] == ["/choices/0/finish_reason"]


def test_a_spec_without_chunk_schema_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="CreateChatCompletionStreamResponse"):
        create_chunk_validator({"components": {"schemas": {}}}, "chat")


def test_stream_kind() -> None:
    assert stream_kind("createChatCompletion") == "chat"
    assert stream_kind("createCompletion") == "completion"
    assert stream_kind("createEmbedding") is None


def test_not_a_2xx_is_not_judged() -> None:
    assert judge(chat([], raw=b'{"error": {}}', status=400, content_type="application/json")) == []


# --- stream.content_type ------------------------------------------------------------------------


def test_content_type_json_for_a_stream_request() -> None:
    exchange = chat([], raw=b"{}", content_type="application/json")
    assert "application/json" in only(judge(exchange), "stream.content_type").message


def test_content_type_stream_without_stream_request() -> None:
    exchange = json_exchange(CHAT, REQUEST, {})
    exchange.headers["content-type"] = "text/event-stream"
    only(judge(exchange), "stream.content_type")
    exchange.headers["content-type"] = "application/json"
    assert judge(exchange) == []


# --- stream.framing --------------------------------------------------------------------------------


def _body(items: list[Any]) -> bytes:
    return "".join(f"data: {json.dumps(item)}\n\n" for item in items).encode()


def test_framing_error_field() -> None:
    raw = _body(chat_stream_items()) + b'error: {"message": "boom"}\n\ndata: [DONE]\n\n'
    violation = only(judge(chat([], raw=raw)), "stream.framing")
    assert violation.keyword == "unknown_field"


def test_framing_unterminated_last_event() -> None:
    raw = _body(chat_stream_items()) + b"data: [DONE]\n"
    violations = judge(chat([], raw=raw))
    assert {v.check for v in violations} == {"stream.framing", "stream.done"}
    assert next(v for v in violations if v.check == "stream.framing").keyword == "unterminated"


def test_framing_unterminated_is_ignored_when_the_suite_cut_the_stream() -> None:
    raw = _body(chat_stream_items())[:-30]
    assert judge(chat([], raw=raw, stream_end=StreamEnd.TOO_LARGE)) == []


def test_framing_merged_events() -> None:
    items = chat_stream_items()
    raw = (
        f"data: {json.dumps(items[0])}{json.dumps(items[1])}\n\n".encode()
        + _body(items[2:])
        + b"data: [DONE]\n\n"
    )
    violation = only(judge(chat([], raw=raw)), "stream.framing")
    assert (violation.pointer, violation.keyword) == ("/events/0", "merged")


def test_framing_data_not_json() -> None:
    items: list[Any] = [*chat_stream_items()]
    items.insert(1, "hello there")
    violation = only(judge(chat(items)), "stream.framing")
    assert (violation.pointer, violation.keyword) == ("/events/1", "not_json")


def test_framing_invalid_utf8() -> None:
    raw = _body(chat_stream_items()).replace(b"Hi", b"H\xff") + b"data: [DONE]\n\n"
    assert only(judge(chat([], raw=raw)), "stream.framing").keyword == "invalid_utf8"


# --- stream.chunk_schema ----------------------------------------------------------------------------


def test_chunk_schema_null_role() -> None:
    items = chat_stream_items()
    items[0]["choices"][0]["delta"]["role"] = None
    violation = only(judge(chat(items)), "stream.chunk_schema")
    assert violation.pointer == "/events/0/choices/0/delta/role"


def test_chunk_schema_missing_finish_reason_key_is_reported_once() -> None:
    # vllm#19650: the key is missing from every chunk but the last.
    items = chat_stream_items()
    for item in items[:-1]:
        del item["choices"][0]["finish_reason"]
    violations = judge(chat(items))
    assert [(v.check, v.pointer, v.keyword) for v in violations] == [
        ("stream.chunk_schema", "/events/0/choices/0", "required")
    ]


def test_chunk_schema_completion_chunk() -> None:
    items = [completion_chunk("a"), completion_chunk("b", finish="stop")]
    items[0]["object"] = "chat.completion.chunk"
    violation = only(
        judge(stream_exchange("/completions", {"model": "m"}, items), "completion"), "stream.chunk_schema"
    )
    assert (violation.pointer, violation.keyword) == ("/events/0/object", "enum")


# --- stream.done ------------------------------------------------------------------------------------


def test_done_missing() -> None:
    only(judge(chat(chat_stream_items(), done=False)), "stream.done")


def test_done_followed_by_events() -> None:
    raw = _body(chat_stream_items()) + b"data: [DONE]\n\n" + _body([chat_chunk(content="late")])
    assert only(judge(chat([], raw=raw)), "stream.done").pointer == "/events/4"


# --- stream.consistent_id ---------------------------------------------------------------------------


def test_consistent_id() -> None:
    items = chat_stream_items()
    items[1]["id"] = "chatcmpl-2"
    assert only(judge(chat(items)), "stream.consistent_id").pointer == "/events/1/id"


# --- stream.consistent_created ----------------------------------------------------------------------


def test_consistent_created() -> None:
    items = chat_stream_items()
    assert not [v for v in judge(chat(items)) if v.check == "stream.consistent_created"]
    items[2]["created"] = items[0]["created"] + 1
    found = only(judge(chat(items)), "stream.consistent_created")
    assert found.pointer == "/events/2/created" and found.severity == "warning"


# --- stream.finish_reason ---------------------------------------------------------------------------


def test_finish_reason_empty_string() -> None:
    # ollama#4357, sglang#3912: "" instead of null (the schema check reports it too).
    items = chat_stream_items()
    items[1]["choices"][0]["finish_reason"] = ""
    violations = [v for v in judge(chat(items)) if v.check == "stream.finish_reason"]
    assert [v.pointer for v in violations] == ["/events/1/choices/0/finish_reason"]


def test_finish_reason_never_given() -> None:
    # litellm: the last chunk lacked finish_reason.
    items = chat_stream_items()[:-1]
    violation = only(judge(chat(items)), "stream.finish_reason")
    assert violation.pointer == "/events/1/choices/0/finish_reason"


def test_finish_reason_given_twice() -> None:
    items = [*chat_stream_items(), chat_chunk(finish="stop")]
    assert only(judge(chat(items)), "stream.finish_reason").pointer == "/events/3/choices/0/finish_reason"


def test_finish_reason_no_chunk_at_all() -> None:
    # vllm#40978: an error before the first token was dropped, leaving only [DONE].
    assert "no choice" in only(judge(chat([])), "stream.finish_reason").message


# --- stream.usage -----------------------------------------------------------------------------------

USAGE = {"stream_options": {"include_usage": True}}


def test_usage_asked_but_missing() -> None:
    only(judge(chat(chat_stream_items(), USAGE)), "stream.usage")


def test_usage_not_asked_but_sent() -> None:
    # llama.cpp#12102: a usage chunk without include_usage.
    items = [*chat_stream_items(), usage_chunk()]
    assert only(judge(chat(items)), "stream.usage").pointer == "/events/3/usage"


def test_usage_chunk_with_choices() -> None:
    # litellm#8450.
    items = chat_stream_items()
    items[-1]["usage"] = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    assert only(judge(chat(items, USAGE)), "stream.usage").pointer == "/events/2/choices"


def test_usage_chunk_not_last() -> None:
    items = chat_stream_items()
    items.insert(2, usage_chunk())
    assert only(judge(chat(items, USAGE)), "stream.usage").pointer == "/events/3"


def test_usage_on_every_chunk() -> None:
    # LocalAI: zero usage on every chunk.
    zero = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    items = [{**item, "usage": zero} for item in chat_stream_items()]
    violations = judge(chat(items, USAGE))
    assert {v.check for v in violations} == {"stream.usage"}
    assert "/events/1/usage" in {v.pointer for v in violations}


# --- stream.tool_call_index -------------------------------------------------------------------------


@pytest.mark.parametrize("index", ["missing", None])
def test_tool_call_index_missing_or_null(index: Any) -> None:
    # ollama#7881; Gemini via openai-python#2806.
    items = tool_stream_items(['{"city": "Paris"}'])
    call = items[1]["choices"][0]["delta"]["tool_calls"][0]
    if index == "missing":
        del call["index"]
    else:
        call["index"] = index
    violations = [v for v in judge(chat(items)) if v.check == "stream.tool_call_index"]
    assert [v.pointer for v in violations] == ["/events/1/choices/0/delta/tool_calls/0/index"]


def test_tool_call_index_reused_by_another_call() -> None:
    items = tool_stream_items(['{"city": "Paris"}'])
    second = {
        "index": 0,
        "id": "call_2",
        "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"},
    }
    items.insert(2, chat_chunk(tool_calls=[second]))
    violations = [v for v in judge(chat(items)) if v.check == "stream.tool_call_index"]
    assert [v.pointer for v in violations] == ["/events/2/choices/0/delta/tool_calls/0/index"]


# --- stream.tool_call_arguments ---------------------------------------------------------------------


def test_tool_call_arguments_not_json_is_a_warning() -> None:
    violation = only(judge(chat(tool_stream_items(['{"city": ', "Paris}"]))), "stream.tool_call_arguments")
    assert violation.severity == "warning"
    assert violation.pointer == "/events/2/choices/0/delta/tool_calls/0/function/arguments"


def test_tool_call_arguments_resent_whole_is_an_error() -> None:
    items = tool_stream_items(['{"city": "Paris"}', '{"city": "Paris"}'])
    violation = only(judge(chat(items)), "stream.tool_call_arguments")
    assert violation.severity == "error"
    assert "repeats" in violation.message


def test_tool_call_arguments_as_object() -> None:
    # TGI#2461: arguments is an object (the chunk schema reports it too).
    items = tool_stream_items([])
    items[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] = {"city": "Paris"}
    violations = [v for v in judge(chat(items)) if v.check == "stream.tool_call_arguments"]
    assert [v.severity for v in violations] == ["error"]


def test_tool_call_arguments_cut_by_length_are_fine() -> None:
    assert judge(chat(tool_stream_items(['{"city": "Par'], finish="length"))) == []


# --- stream.error_status ----------------------------------------------------------------------------


def test_error_as_first_event_of_a_200_stream() -> None:
    # TGI#1896, llama.cpp#14566, sglang#21900.
    items = [{"error": {"message": "context too long", "type": "invalid_request_error"}}]
    violation = only(judge(chat(items)), "stream.error_status")
    assert violation.pointer == "/events/0"


def test_mid_stream_error_is_tolerated() -> None:
    items = [*chat_stream_items()[:2], {"error": {"message": "overloaded", "type": "server_error"}}]
    assert judge(chat(items, done=False)) == []


# --- stream.stalled ---------------------------------------------------------------------------------


def test_stalled_stream() -> None:
    exchange = chat(
        chat_stream_items()[:1],
        done=False,
        stream_end=StreamEnd.IDLE,
        stream_note="idle timeout: no byte for 30.0 s",
    )
    assert "idle timeout" in only(judge(exchange), "stream.stalled").message


def test_other_stream_problems_are_not_stalls() -> None:
    exchange = chat(chat_stream_items()[:1], done=False, stream_end=StreamEnd.CUT)
    assert judge(exchange) == []


# --- semantics on streams ---------------------------------------------------------------------------


def test_stream_choices_count() -> None:
    violation = only(judge(chat(chat_stream_items(), {"n": 2})), "semantics.choices_count")
    assert "[1]" in violation.message


def test_stream_choice_index_out_of_range() -> None:
    items = chat_stream_items()
    for item in items:
        item["choices"][0]["index"] = 1
    violations = judge(chat(items))
    assert {(v.check, v.pointer) for v in violations} == {
        ("semantics.choices_count", ""),  # index 0 never came
        ("semantics.choices_count", "/events/0/choices/0/index"),
    }


def test_stream_created_in_milliseconds() -> None:
    items = chat_stream_items()
    for item in items:
        item["created"] = 1_700_000_000_000
    assert only(judge(chat(items)), "semantics.created").pointer == "/events/0/created"


def test_stream_usage_total_and_max_tokens() -> None:
    items = [*chat_stream_items(), usage_chunk(prompt=5, completion=9, total=13)]
    request = {**USAGE, "max_tokens": 4}
    violations = judge(chat(items, request))
    assert {(v.check, v.pointer) for v in violations} == {
        ("semantics.usage_total", "/events/3/usage/total_tokens"),
        ("semantics.max_tokens", "/events/3/usage/completion_tokens"),
    }


def test_stream_semantics_can_be_left_out() -> None:
    exchange = chat(chat_stream_items(), {"n": 2})
    assert list(check_stream(parse_stream(exchange), "chat", validator("chat"), semantics=False)) == []
