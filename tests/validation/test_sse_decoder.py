"""The SSE decoder against the HTML Living Standard's event-stream examples and its framing notes."""

from __future__ import annotations

import pytest

from openai_conformance.transport.exchange import Exchange, SseEvent
from openai_conformance.transport.sse import SseDecoder, decode_sse, events_of, looks_merged
from tests.validation.validation_factories import make_request


def _decode(body: bytes) -> list[SseEvent]:
    events, _ = decode_sse(body)
    return events


def _datas(body: bytes) -> list[str]:
    return [event.data for event in _decode(body)]


def test_standard_example_multiline_data() -> None:
    # HTML standard 9.2.6: "YHOO\n+2\n10" from three data lines.
    assert _datas(b"data: YHOO\ndata: +2\ndata: 10\n\n") == ["YHOO\n+2\n10"]


def test_standard_example_ids_and_comments() -> None:
    body = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
    decoder = SseDecoder()
    events = decoder.decode(body) + decoder.flush()
    assert [(e.data, e.id) for e in events] == [("first event", "1"), ("second event", "")]
    # The third event has no blank line after it: the standard discards it, the decoder notes it.
    assert [issue.kind for issue in decoder.issues] == ["unterminated"]
    assert "third event" in decoder.problems[0]


def test_standard_example_empty_data() -> None:
    body = b"data\n\ndata\ndata\n\ndata:"
    decoder = SseDecoder()
    events = decoder.decode(body) + decoder.flush()
    assert [e.data for e in events] == ["", "\n"]
    assert [issue.kind for issue in decoder.issues] == ["unterminated"]


def test_standard_example_space_after_colon_is_optional() -> None:
    assert _datas(b"data:test\n\ndata: test\n\n") == ["test", "test"]


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(newline: bytes) -> None:
    body = b"data: a" + newline + b"data: b" + newline + newline + b"data: c" + newline + newline
    assert _datas(body) == ["a\nb", "c"]


def test_mixed_line_endings() -> None:
    assert _datas(b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r") == ["a\nb\nc", "d"]


def test_fields_event_id_retry() -> None:
    body = b"event: update\nid: 7\nretry: 1500\ndata: x\n\ndata: y\nretry: soon\n\nid: a\x00b\ndata: z\n\n"
    events = _decode(body)
    assert events[0] == SseEvent(data="x", event="update", id="7", retry=1500)
    # The event type resets after dispatch; the last event id persists; a bad retry is ignored.
    assert events[1] == SseEvent(data="y", event="message", id="7", retry=None)
    assert events[2].id == "7"  # an id containing NUL is ignored


def test_an_event_without_data_is_not_dispatched() -> None:
    assert _datas(b"event: ping\n\nid: 3\n\n: comment only\n\ndata: real\n\n") == ["real"]


def test_bom_is_stripped_once() -> None:
    assert _datas("\ufeffdata: a\n\n".encode()) == ["a"]
    assert _datas("\ufeff\ufeffdata: a\n\n".encode()) == []  # the second BOM makes an unknown field name


BODY = (
    "\ufeff: keep-alive comment\r\n"
    'data: {"text": "héllo ✓ 😀"}\r\n\r\n'
    "event: custom\rdata: line 1\rdata: line 2\r\r"
    "id: 42\ndata: [DONE]\n\n"
).encode()


def test_split_at_every_byte_offset() -> None:
    expected = _decode(BODY)
    assert [e.data for e in expected] == ['{"text": "héllo ✓ 😀"}', "line 1\nline 2", "[DONE]"]
    for offset in range(len(BODY) + 1):
        decoder = SseDecoder()
        events = decoder.decode(BODY[:offset]) + decoder.decode(BODY[offset:]) + decoder.flush()
        assert events == expected, offset
        assert decoder.issues == [], offset


def test_byte_by_byte_with_timestamps() -> None:
    decoder = SseDecoder()
    events: list[SseEvent] = []
    for position in range(len(BODY)):
        events += decoder.decode(BODY[position : position + 1], at=float(position))
    events += decoder.flush()
    assert [e.data for e in events] == [e.data for e in _decode(BODY)]
    assert events[-1].at == float(len(BODY) - 1)  # stamped with the chunk that completed it


def test_unknown_field_with_payload_is_a_problem() -> None:
    # llama.cpp sent errors on an `error:` field (PR #16109).
    decoder = SseDecoder()
    body = b'error: {"message": "context too long"}\n\ndata: ok\n\nkeep-alive\n\n'
    events = decoder.decode(body) + decoder.flush()
    assert [e.data for e in events] == ["ok"]
    assert [issue.kind for issue in decoder.issues] == ["unknown_field", "unknown_field"]
    assert "'error'" in decoder.problems[0]
    assert "neither a field nor a comment" in decoder.problems[1]  # a comment without its colon


@pytest.mark.parametrize(
    "body",
    [
        b'data: {"a": 1}{"b": 2}\n\n',
        b'data: {"a": 1}\ndata: {"b": 2}\n\n',
        b'data: {"a": 1}data: {"b": 2}\n\n',
    ],
)
def test_merged_events_are_a_problem(body: bytes) -> None:
    events, issues = decode_sse(body)
    assert len(events) == 1
    assert [(issue.kind, issue.event_index) for issue in issues] == [("merged", 0)]


def test_looks_merged() -> None:
    assert not looks_merged('{"a": 1}')
    assert not looks_merged("[DONE]")
    assert not looks_merged('{"a": ')
    assert looks_merged("[1] [2]")


def test_invalid_utf8_is_replaced_and_noted() -> None:
    events, issues = decode_sse(b"data: caf\xe9\n\n")
    assert events[0].data == "caf\ufffd"
    assert [issue.kind for issue in issues] == ["invalid_utf8"]


def test_stream_cut_inside_a_utf8_sequence() -> None:
    _, issues = decode_sse("data: ok\n\ndata: é".encode()[:-1])
    assert [issue.kind for issue in issues] == ["unterminated", "unterminated"]


def test_decode_after_flush_is_refused() -> None:
    decoder = SseDecoder()
    decoder.flush()
    assert decoder.flush() == []
    with pytest.raises(ValueError, match="after flush"):
        decoder.decode(b"data: x\n\n")


def test_events_of_prefers_the_transports_events() -> None:
    exchange = Exchange(
        request=make_request("/chat/completions", {}),
        status=200,
        headers={"content-type": "text/event-stream"},
        body=b"data: a\n\nbad: field\n\n",
        elapsed=0.0,
        events=[SseEvent(data="a", at=0.5)],
    )
    events, issues = events_of(exchange)
    assert events == [SseEvent(data="a", at=0.5)]
    assert [issue.kind for issue in issues] == ["unknown_field"]
