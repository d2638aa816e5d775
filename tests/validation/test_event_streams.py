"""Every streamed operation of a spec gets its event schema from the spec; each event is judged by its kind."""

from __future__ import annotations

import functools
import json
from typing import Any

from openai_conformance.openapi.loader import load_contract
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.validation.event_schema import event_types
from openai_conformance.validation.judge import Judge
from openai_conformance.validation.stream_kinds import stream_kinds
from openai_conformance.validation.violations import Violation
from tests.validation.responses_factories import contract_document, responses_exchange, sse, text_events
from tests.validation.validation_factories import load_spec


@functools.cache
def judge_of() -> Judge:
    return Judge(load_contract(pin="f85dbe2", findings=False))


def exchange(path: str, body: dict[str, Any], answer: bytes, media: str = "text/event-stream") -> Exchange:
    content = json.dumps(body).encode()
    request = Request("POST", f"http://t/v1{path}", path, path, {}, content, body, None, "application/json")
    return Exchange(request, 200, {"content-type": media}, answer, 0.1)


def judge(
    operation: str, path: str, body: dict[str, Any], answer: bytes, media: str = "text/event-stream"
) -> list[Violation]:
    return list(judge_of().judge(exchange(path, body, answer, media), operation))


def test_each_pin_says_which_operations_stream_and_how() -> None:
    older = stream_kinds(load_spec("6b8287f"))
    assert {op: (k.schema, k.grammar, k.done) for op, k in older.items()} == {
        "createChatCompletion": ("CreateChatCompletionStreamResponse", "chat", True),
        "createCompletion": ("CreateCompletionResponse", "completion", True),
    }
    newer = stream_kinds(contract_document())
    typed = {op: (k.schema, k.grammar) for op, k in newer.items() if k.typed}
    assert typed == {
        "createResponse": ("ResponseStreamEvent", "responses"),
        "beta_createResponse": ("BetaResponseStreamEvent", "responses"),
        "createSpeech": ("CreateSpeechResponseStreamEvent", "events"),
        "createTranscription": ("CreateTranscriptionResponseStreamEvent", "events"),
        "createImage": ("ImageGenStreamEvent", "events"),
        "createImageEdit": ("ImageEditStreamEvent", "events"),
    }
    assert not any(k.done for k in newer.values() if k.typed)
    assert newer["createChatCompletion"].chunk_kind == "chat"


def test_a_union_is_read_from_its_members_types() -> None:
    schemas = contract_document()["components"]["schemas"]
    members = event_types(schemas["ResponseStreamEvent"], schemas)
    assert members is not None and len(members) == 58
    assert members["response.output_text.delta"] == "ResponseTextDeltaEvent"
    assert event_types(schemas["CreateChatCompletionStreamResponse"], schemas) is None


_SPEECH = {"model": "gpt-4o-mini-tts", "input": "hi", "voice": "alloy", "stream_format": "sse"}
_DELTA = {"type": "speech.audio.delta", "audio": "SUQz"}
_DONE = {"type": "speech.audio.done", "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}}


def test_a_speech_stream_is_judged_event_by_event() -> None:
    assert judge("createSpeech", "/audio/speech", _SPEECH, sse([_DELTA, _DONE])) == []
    assert judge("createSpeech", "/audio/speech", _SPEECH, sse([_DELTA, _DONE], named=False, done=True)) == []
    broken = judge("createSpeech", "/audio/speech", _SPEECH, sse([{"type": "speech.audio.delta"}, _DONE]))
    assert [(v.check, v.pointer) for v in broken] == [("stream.event_schema", "/events/0")]
    vendor = judge(
        "createSpeech", "/audio/speech", _SPEECH, sse([{"type": "speech.audio.progress"}, _DELTA, _DONE])
    )
    assert [(v.check, v.severity) for v in vendor] == [("stream.event_type", "warning")]
    plain = judge("createSpeech", "/audio/speech", _SPEECH, b"ID3audio", "application/octet-stream")
    assert [v.check for v in plain] == ["stream.content_type"]


def test_images_stream_their_partial_and_completed_images() -> None:
    common = {
        "b64_json": "iVBORw0K",
        "created_at": 1723075200,
        "size": "auto",
        "quality": "auto",
        "background": "auto",
        "output_format": "png",
    }
    usage = {
        "total_tokens": 3,
        "input_tokens": 1,
        "output_tokens": 2,
        "input_tokens_details": {"text_tokens": 1, "image_tokens": 0},
    }
    events = [
        {"type": "image_generation.partial_image", **common, "partial_image_index": 0},
        {"type": "image_generation.completed", **common, "usage": usage},
    ]
    body = {"model": "gpt-image-1", "prompt": "a cat", "stream": True}
    assert judge("createImage", "/images/generations", body, sse(events)) == []
    events[1]["size"] = "256x256"
    assert [v.check for v in judge("createImage", "/images/generations", body, sse(events))] == [
        "stream.event_schema"
    ]


def test_a_transcription_by_whisper_1_is_answered_plain_as_the_spec_says() -> None:
    plain = json.dumps({"text": "hello"}).encode()
    whisper = {"model": "whisper-1", "stream": True}
    assert judge("createTranscription", "/audio/transcriptions", whisper, plain, "application/json") == []
    other = {"model": "gpt-4o-transcribe", "stream": True}
    got = judge("createTranscription", "/audio/transcriptions", other, plain, "application/json")
    assert [v.check for v in got] == ["stream.content_type"]
    events = [
        {"type": "transcript.text.delta", "delta": "hel"},
        {"type": "transcript.text.delta", "delta": "lo"},
        {"type": "transcript.text.done", "text": "hello"},
    ]
    assert judge("createTranscription", "/audio/transcriptions", other, sse(events)) == []


def test_compat_makes_a_missing_nullable_field_of_an_event_a_warning() -> None:
    events = text_events()
    del events[0]["response"]["error"]  # required, and nullable: the compat profile's rule
    contract = load_contract(pin="f85dbe2", findings=False)
    strict = [v for v in Judge(contract).judge(responses_exchange(events), "createResponse")]
    compat = [
        v for v in Judge(contract, profile="compat").judge(responses_exchange(events), "createResponse")
    ]
    assert [(v.check, v.severity) for v in strict] == [("stream.event_schema", "error")]
    assert [(v.check, v.severity) for v in compat] == [("stream.event_schema", "warning")]
    typed = text_events()
    typed[0]["response"]["error"] = "broken"  # a wrong value stays an error
    got = [v for v in Judge(contract, profile="compat").judge(responses_exchange(typed), "createResponse")]
    assert [(v.check, v.severity) for v in got] == [("stream.event_schema", "error")]
