"""A streamed answer read once: what each event holds, where the stream ended, and how."""

from __future__ import annotations

import json
from typing import Any

from openai_conformance.transport.exchange import SseEvent, StreamEnd
from openai_conformance.validation.parsed_stream import parse_stream
from tests.validation.validation_factories import chat_chunk, json_exchange, stream_exchange

CHAT = "/chat/completions"
REQUEST: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
ERROR = {"error": {"message": "overloaded", "type": "server_error"}}


def test_a_conformant_stream() -> None:
    items = [chat_chunk(role=True, content=""), chat_chunk(content="Hi"), chat_chunk(finish="stop")]
    stream = parse_stream(stream_exchange(CHAT, REQUEST, items))
    assert [i for i, _ in stream.values] == [0, 1, 2] and stream.chunks == stream.every_chunk
    assert (stream.done_at, stream.after_done, stream.error, stream.not_json) == (3, None, None, [])
    assert len(stream.events) == 4 and stream.problems == []
    assert stream.is_event_stream and stream.ended_by_server and stream.finished
    assert stream.end is StreamEnd.COMPLETE


def test_an_answer_that_is_not_an_event_stream_has_no_events() -> None:
    stream = parse_stream(json_exchange(CHAT, {**REQUEST, "stream": True}, {"data: [DONE]": 1}))
    assert (stream.events, stream.values, stream.done_at, stream.is_event_stream) == ([], [], None, False)


def test_data_that_is_not_json_and_json_that_is_no_object() -> None:
    stream = parse_stream(stream_exchange(CHAT, REQUEST, ["hello", [1, 2], chat_chunk()]))
    assert stream.not_json == [0]
    assert stream.values == [(1, [1, 2]), (2, chat_chunk())]
    assert [i for i, _ in stream.chunks] == [2]


def test_events_after_done() -> None:
    raw = b"data: {}\n\ndata: [DONE]\n\ndata: late\n\ndata: later\n\n"
    stream = parse_stream(stream_exchange(CHAT, REQUEST, raw=raw))
    assert (stream.done_at, stream.after_done) == (1, 2)


def test_an_error_that_opens_the_stream() -> None:
    stream = parse_stream(stream_exchange(CHAT, REQUEST, [ERROR]))
    assert stream.error is not None and stream.error.opened and stream.error.index == 0
    assert json.loads(stream.error.data) == ERROR
    assert stream.aborted and not stream.finished and stream.done_at is None


def test_an_error_midway_aborts_the_stream() -> None:
    # What follows the error is kept for the semantics rules only; [DONE] after it is not judged.
    items = [chat_chunk(content="a"), ERROR, "not json", chat_chunk(content="b"), ERROR]
    stream = parse_stream(stream_exchange(CHAT, REQUEST, items))
    assert stream.error is not None and not stream.error.opened and stream.error.index == 1
    assert [i for i, _ in stream.chunks] == [0]
    assert [i for i, _ in stream.every_chunk] == [0, 3]
    assert (stream.not_json, stream.done_at, stream.after_done) == ([], None, None)


def test_a_stream_cut_by_the_suite() -> None:
    exchange = stream_exchange(CHAT, REQUEST, [chat_chunk()], done=False, stream_end=StreamEnd.IDLE)
    stream = parse_stream(exchange)
    assert (stream.end, stream.ended_by_server, stream.finished) == (StreamEnd.IDLE, False, False)


def test_events_decoded_on_arrival_keep_their_times() -> None:
    exchange = stream_exchange(CHAT, REQUEST, [chat_chunk()])
    exchange.events = [SseEvent(json.dumps(chat_chunk()), at=0.25), SseEvent("[DONE]", at=0.5)]
    exchange.sse_problems = []
    stream = parse_stream(exchange)
    assert [event.at for event in stream.events] == [0.25, 0.5]
    assert stream.done_at == 1 and stream.events is exchange.events
