"""The checks of moderations, images and audio: each fires on an answer that ignores what was asked and
stays silent on conformant answers (extra vendor fields, the spec's octet-stream, a JSON transcript
where a spec declares no text/plain)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from openai_conformance.server.generate import image_file
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.validation.semantics import check_semantics
from openai_conformance.validation.semantics.media_files import audio_format, image_format, image_size
from tests.validation.validation_factories import NOW, json_exchange


def judged(exchange: Exchange, operation_id: str) -> list[tuple[str, str]]:
    return [(v.check, v.severity) for v in check_semantics(exchange, operation_id, now=NOW)]


# --- moderations -----------------------------------------------------------------------------------------


def result(flagged: bool = False, **categories: bool) -> dict[str, Any]:
    names = {"hate": False, "violence": False, **categories}
    return {"flagged": flagged, "categories": names, "category_scores": dict.fromkeys(names, 0.01)}


def moderation(request: Any, *results: dict[str, Any]) -> list[tuple[str, str]]:
    body = {"id": "modr-1", "model": "omni-moderation-latest", "results": list(results)}
    return judged(json_exchange("/moderations", {"input": request}, body), "createModeration")


def test_one_result_per_input() -> None:
    assert moderation(["a", "b"], result()) == [("semantics.moderation_count", "error")]
    assert moderation(["a", "b"], result(), result()) == [] and moderation("a", result()) == []
    parts = [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "https://x"}}]
    assert moderation(parts, result()) == []  # multi-modal parts: one result, as the model reads them


def test_flagged_is_what_the_categories_say() -> None:
    assert moderation("kill", result(False, violence=True)) == [("semantics.moderation_flagged", "error")]
    assert moderation("hi", result(True)) == [("semantics.moderation_flagged", "error")]
    assert moderation("kill", result(True, violence=True)) == []


def test_every_category_scored_and_every_score_a_probability() -> None:
    vendor = result()
    vendor["categories"]["S14"] = False
    assert moderation("a", vendor) == [("semantics.moderation_categories", "error")]
    vendor["category_scores"]["S14"] = 0.0  # a vendor category, scored too: fine
    vendor["category_applied_input_types"] = {"hate": ["text"]}
    assert moderation("a", vendor) == []
    over = result()
    over["category_scores"]["hate"] = 3.5
    assert moderation("a", over) == [("semantics.moderation_categories", "error")]


# --- images ---------------------------------------------------------------------------------------------------


def images(
    request: dict[str, Any], *items: dict[str, Any], path: str = "/images/generations"
) -> list[tuple[str, str]]:
    operation = {"/images/generations": "createImage", "/images/edits": "createImageEdit"}[path]
    return judged(json_exchange(path, request, {"created": 1_700_000_000, "data": list(items)}), operation)


def b64(kind: str = "png", width: int = 256, height: int = 256) -> dict[str, Any]:
    return {"b64_json": base64.b64encode(image_file(kind, width, height)).decode()}


def test_n_images() -> None:
    url = {"url": "https://example.com/1.png"}
    assert images({"prompt": "x", "n": 2}, url) == [("semantics.images_count", "error")]
    assert images({"prompt": "x", "n": 2}, url, url) == [] and images({"prompt": "x"}, url) == []


def test_the_asked_response_format() -> None:
    assert images({"prompt": "x", "response_format": "b64_json"}, {"url": "https://x"}) == [
        ("semantics.images_format", "error")
    ]
    assert images({"prompt": "x", "response_format": "url"}, b64()) == [("semantics.images_format", "error")]
    assert images({"prompt": "x", "response_format": "b64_json"}, {"b64_json": "bm90IGFuIGltYWdl"}) == [
        ("semantics.images_format", "error")
    ]
    assert images({"prompt": "x", "response_format": "b64_json"}, {**b64(), "revised_prompt": "y"}) == []
    assert images({"prompt": "x"}, b64()) == []  # gpt-image models answer base64 unasked
    assert images({"prompt": "x", "output_format": "webp"}, b64("png")) == [
        ("semantics.images_format", "error")
    ]
    assert images({"prompt": "x", "output_format": "webp"}, b64("webp")) == []


def test_the_asked_size() -> None:
    assert images({"prompt": "x", "size": "512x512", "response_format": "b64_json"}, b64()) == [
        ("semantics.images_size", "error")
    ]
    assert images({"prompt": "x", "size": "1792x1024"}, b64("jpeg", 1792, 1024)) == []
    assert images({"prompt": "x", "size": "auto"}, b64()) == []


def test_a_multipart_request_is_read_from_its_fields() -> None:
    exchange = json_exchange("/images/edits", {}, {"created": 1, "data": [b64()]})
    exchange.request.json_body = None
    exchange.request.files = {"image": b"...", "n": "2", "size": "256x256", "response_format": "b64_json"}
    assert judged(exchange, "createImageEdit") == [("semantics.images_count", "error")]


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp"])
def test_image_headers(kind: str) -> None:
    data = image_file(kind, 640, 360)
    assert (image_format(data), image_size(data)) == (kind, (640, 360))


def test_gif_and_unknown_bytes() -> None:
    gif = b"GIF89a" + (10).to_bytes(2, "little") + (20).to_bytes(2, "little") + b"\x00" * 8
    assert (image_format(gif), image_size(gif)) == ("gif", (10, 20))
    assert image_format(b"hello") is None and image_size(b"hello") is None


# --- audio ------------------------------------------------------------------------------------------------


_SIGNATURES = {
    "mp3": b"ID3\x04\x00\x00\x00",
    "opus": b"OggS\x00\x02",
    "aac": b"\xff\xf1\x50\x80",
    "flac": b"fLaC\x00",
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "pcm": b"\x01\x00\x02\x00",
}


def speech(asked: str | None, body: bytes, media: str = "application/octet-stream") -> list[tuple[str, str]]:
    request = Request("POST", "http://t/v1/audio/speech", "/audio/speech", "/audio/speech",
                      json_body={"input": "hi", **({"response_format": asked} if asked else {})})  # fmt: skip
    exchange = Exchange(request=request, status=200, headers={"content-type": media}, body=body, elapsed=0.1)
    return judged(exchange, "createSpeech")


@pytest.mark.parametrize("fmt", sorted(_SIGNATURES))
def test_speech_in_each_format(fmt: str) -> None:
    assert speech(fmt, _SIGNATURES[fmt] + b"\x00" * 32) == []
    other = "mp3" if fmt != "mp3" else "flac"
    assert speech(fmt, _SIGNATURES[other] + b"\x00" * 32) == [("semantics.speech_format", "error")]


def test_speech_media_types() -> None:
    assert speech(None, b"\xff\xfb\x90\x00" + bytes(40), "audio/mpeg") == []  # mp3 by default, a frame sync
    assert speech("opus", _SIGNATURES["opus"], "audio/ogg") == []
    assert speech("opus", _SIGNATURES["opus"], "audio/mpeg") == [("semantics.speech_format", "error")]
    assert audio_format(b"\xff\xf9\x50\x80") == "aac" and audio_format(b"\xff\xe3\x00\x00") == "mp3"


def transcript(operation: str, fields: dict[str, Any], body: bytes, media: str) -> list[tuple[str, str]]:
    path = "/audio/transcriptions" if operation == "createTranscription" else "/audio/translations"
    request = Request("POST", f"http://t/v1{path}", path, path, files={"file": b"ID3", **fields})
    exchange = Exchange(request=request, status=200, headers={"content-type": media}, body=body, elapsed=0.1)
    return judged(exchange, operation)


SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello there.\n"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello there.\n"


@pytest.mark.parametrize("operation", ["createTranscription", "createTranslation"])
def test_each_transcript_format(operation: str) -> None:
    def as_json(value: Any) -> bytes:
        return json.dumps(value).encode()

    assert transcript(operation, {}, as_json({"text": "Hello."}), "application/json") == []
    assert transcript(operation, {"response_format": "text"}, b"Hello.", "text/plain") == []
    assert transcript(operation, {"response_format": "srt"}, SRT.encode(), "text/plain") == []
    assert transcript(operation, {"response_format": "vtt"}, VTT.encode(), "text/plain") == []
    # a spec that declares no text/plain gets the subtitles as the text of a JSON object
    assert transcript(operation, {"response_format": "srt"}, as_json({"text": SRT}), "application/json") == []
    error = [("semantics.transcript_format", "error")]
    for fmt in ("srt", "vtt"):
        assert (
            transcript(operation, {"response_format": fmt}, as_json({"text": "Hello."}), "application/json")
            == error
        )
    assert transcript(operation, {}, b"Hello.", "text/plain") == error
    verbose = {"text": "Hello.", "language": "english", "duration": 1.2, "segments": [{"id": 0}]}
    assert (
        transcript(operation, {"response_format": "verbose_json"}, as_json(verbose), "application/json") == []
    )
    assert (
        transcript(operation, {"response_format": "verbose_json"}, as_json({"text": "x"}), "application/json")
        == error
    )


def test_verbose_json_has_the_timestamps_asked() -> None:
    verbose = {"text": "Hi.", "language": "english", "duration": 1.0, "segments": []}
    fields = {"response_format": "verbose_json", "timestamp_granularities[]": ["word"]}
    body = json.dumps(verbose).encode()
    assert transcript("createTranscription", fields, body, "application/json") == [
        ("semantics.transcript_format", "error")
    ]
    verbose["words"] = [{"word": "Hi", "start": 0.0, "end": 0.5}]
    assert transcript("createTranscription", fields, json.dumps(verbose).encode(), "application/json") == []
