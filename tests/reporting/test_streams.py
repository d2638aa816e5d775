"""Streams in the report: one record per streamed answer, a bounded few timelines, the events rules broke."""

from __future__ import annotations

import json

from openai_conformance.events import CaseJudged
from openai_conformance.openapi.operations import Operation
from openai_conformance.results.collector import OperationRecorder
from openai_conformance.results.streams import (
    TIMELINE_EVENTS,
    TIMELINES_PER_OPERATION,
    StreamRecord,
    event_indices,
    stream_record,
)
from openai_conformance.transport.exchange import Exchange, Request, SseEvent, StreamEnd
from openai_conformance.validation.violations import Violation

CHAT = Operation("post", "/chat/completions", "createChatCompletion", ("Chat",), ("application/json",), False)


def _chunk(content: str) -> str:
    return json.dumps(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": content}}],
        }
    )


def _stream(times: list[float], *, end: StreamEnd = StreamEnd.COMPLETE) -> Exchange:
    events = [SseEvent(_chunk(f"w{i}"), at=at) for i, at in enumerate(times)]
    request = Request("POST", "http://t/v1/chat/completions", "/chat/completions", "/chat/completions")
    return Exchange(
        request,
        200,
        {"content-type": "text/event-stream"},
        b"",
        elapsed=times[-1] if times else 0.0,
        events=events,
        sse_problems=[],
        stream_end=end,
    )


def _judged(
    exchange: Exchange, violations: tuple[Violation, ...] = (), source: str = "generated"
) -> CaseJudged:
    return CaseJudged(
        CHAT, source, exchange.status, violations, curl="curl …", request_size=10, exchange=exchange
    )


def test_a_stream_record_has_its_times_and_its_end() -> None:
    record = stream_record(
        "chat.stream", _stream([0.25, 0.3, 1.3, 1.35], end=StreamEnd.IDLE), ["/events/2/choices/0"]
    )
    assert record is not None
    assert record.events == 4 and record.status == 200 and record.source == "chat.stream"
    assert record.first_event_seconds == 0.25
    assert abs((record.largest_gap_seconds or 0) - 1.0) < 1e-9
    assert record.ended == "idle" and record.broke == [2]
    assert record.timeline is not None and [e.index for e in record.timeline] == [0, 1, 2, 3]
    first = record.timeline[0]
    assert first.event == "message" and first.type == "chat.completion.chunk"
    assert "w0" in first.preview and "c1" not in first.preview, "a preview shows what the event brought"


def test_its_shape_is_the_one_the_report_promises() -> None:
    record = stream_record("generated", _stream([0.1, 0.2]), [])
    assert record is not None
    data = record.to_dict()
    assert set(data) == {
        "source",
        "status",
        "events",
        "first_event_seconds",
        "largest_gap_seconds",
        "events_per_second",
        "ended",
        "timeline",
        "broke",
    }
    assert set(data["timeline"][0]) >= {"at", "event", "type", "preview"}
    assert StreamRecord.from_dict(data).to_dict() == data


def test_an_answer_that_is_no_stream_has_no_record() -> None:
    exchange = _stream([0.1])
    exchange.events = None
    assert stream_record("generated", exchange, []) is None


def test_event_indices_come_from_stream_pointers_only() -> None:
    assert event_indices(["/events/3/choices/0", "/events/10", "/choices/0", "", "/events/3/id"]) == [3, 10]


def test_an_endless_stream_keeps_a_bounded_timeline_with_the_broken_event() -> None:
    times = [i * 0.001 for i in range(50_000)]
    record = stream_record("generated", _stream(times, end=StreamEnd.TOO_LONG), ["/events/31337/choices"])
    assert record is not None and record.timeline is not None
    assert record.events == 50_000 and record.ended == "too long"
    assert len(record.timeline) <= TIMELINE_EVENTS + 1
    kept = [e.index for e in record.timeline]
    assert 31337 in kept and kept[0] == 0 and kept[-1] == 49_999
    assert len(json.dumps(record.to_dict())) < 40_000


def test_an_operation_keeps_few_timelines_those_a_violation_names_first() -> None:
    recorder = OperationRecorder(CHAT)
    for _ in range(TIMELINES_PER_OPERATION + 3):
        recorder.record(_judged(_stream([0.1, 0.2, 0.3])))
    broken = Violation("stream.chunk_schema", "bad", "/events/1/object")
    recorder.record(_judged(_stream([0.1, 0.2, 0.3]), (broken,), source="chat.stream"))
    streams = recorder.result.streams
    assert len(streams) == TIMELINES_PER_OPERATION + 4, "every streamed case has its record"
    kept = [s for s in streams if s.timeline is not None]
    assert len(kept) == TIMELINES_PER_OPERATION
    assert streams[-1].timeline is not None and streams[-1].broke == [1]
    assert streams[0].timeline is not None, "among plain ones, the first stay"


def test_the_report_carries_the_streams() -> None:
    recorder = OperationRecorder(CHAT)
    recorder.record(_judged(_stream([0.1, 0.4])))
    result = recorder.finish()
    data = result.to_dict()
    assert data["streams"][0]["events"] == 2
    from openai_conformance.results.models import OperationResult

    assert OperationResult.from_dict(data).streams[0].to_dict() == data["streams"][0]
