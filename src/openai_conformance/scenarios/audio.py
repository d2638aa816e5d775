"""Audio scenarios: speech in every response_format; transcripts and translations in every format."""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
_TRANSCRIPT_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
# A short MP3 to transcribe: an ID3 tag and one silent MPEG-1 layer III frame (128 kbit/s, 44.1 kHz).
_AUDIO = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(413)


@scenario("audio.speech", "createSpeech", "speech in mp3, opus, aac, flac, wav and pcm")
def _speech(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    for fmt in _SPEECH_FORMATS:
        body = {"model": model, "input": "Hello.", "voice": "alloy", "response_format": fmt}
        yield from ctx.check(ctx.post("/audio/speech", body), "createSpeech")


def _transcripts(ctx: ScenarioContext, model: str, operation_id: str, path: str) -> Iterator[ScenarioFinding]:
    for fmt in _TRANSCRIPT_FORMATS:
        fields = {"file": _AUDIO, "model": model, "response_format": fmt}
        if fmt == "verbose_json" and operation_id == "createTranscription":
            fields["timestamp_granularities[]"] = ["word", "segment"]
        yield from ctx.check(ctx.post_form(path, fields), operation_id)


@scenario(
    "audio.transcriptions",
    "createTranscription",
    "a transcript as json, text, srt, vtt and verbose_json (with word and segment timestamps)",
)
def _transcriptions(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _transcripts(ctx, model, "createTranscription", "/audio/transcriptions")


@scenario("audio.translations", "createTranslation", "a translation as json, text, srt, vtt and verbose_json")
def _translations(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _transcripts(ctx, model, "createTranslation", "/audio/translations")
