"""Semantics of audio: speech in the asked format, transcripts and translations in the asked shape.

Speech: the bytes carry the signature of ``response_format`` (mp3 by default; raw PCM has none, and
carries none of the others'), and an audio media type, when one is given, names that format
(``application/octet-stream``, the spec's own, names none). Transcripts: ``json`` is an object with
its text, ``text`` plain text, ``srt`` and ``vtt`` subtitles (served as text/plain, or as the text
of a JSON object where a spec declares no text/plain), ``verbose_json`` an object with language,
duration and the timestamps asked for (``timestamp_granularities``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import Parameter, check, unchecked
from openai_conformance.validation.semantics.media_files import AUDIO_MEDIA_TYPES, audio_format
from openai_conformance.validation.semantics.shared import as_dict, short
from openai_conformance.validation.violations import Violation

__all__ = ["check_speech", "check_transcript"]

_SPEECH = "createSpeech"
_TRANSCRIPTS = ("createTranscription", "createTranslation")

unchecked(_SPEECH, ("input", "voice", "speed", "model"), "how the speech sounds cannot be judged by a suite")
for _op in _TRANSCRIPTS:
    unchecked(
        _op, ("file", "prompt", "temperature", "model"), "what a model hears in the audio cannot be judged"
    )
unchecked(
    "createTranscription", ("language",), "the input's language, a hint: the transcript may name it otherwise"
)

_SRT = re.compile(r"^\s*\d+\s*\r?\n\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}")
_VTT = re.compile(r"^\ufeff?WEBVTT")


@check(
    "semantics.speech_format",
    "error",
    parameters=(Parameter(_SPEECH, "response_format", "the body's file signature and media type match it"),),
)
def check_speech(exchange: Exchange) -> Iterator[Violation]:
    """Speech comes in the asked response_format: the file signature (and an audio media type, if given) of
    mp3 (the default), opus, aac, flac, wav or pcm.

    Judged on one 200 answer.

    Reference: CreateSpeechRequest.response_format: the format to audio in
    Why: encoding the audio is the server's, after the model spoke
    """
    if exchange.content_type == "text/event-stream":
        return  # stream_format sse (newer specs): events, not a file
    asked = exchange.request.body_field("response_format") or "mp3"
    if asked not in AUDIO_MEDIA_TYPES:
        return
    media = exchange.content_type
    if media.startswith("audio/") and media not in AUDIO_MEDIA_TYPES[asked]:
        yield check_speech.violation(f"response_format {asked} was asked but the answer is served as {media}")
        return
    found = audio_format(exchange.body)
    if asked == "pcm" and found is not None:
        yield check_speech.violation(f"response_format pcm (raw samples) was asked but the audio is {found}")
    elif asked != "pcm" and found != asked:
        got = found or f"no audio file known (starts {short(exchange.body[:8].hex())})"
        yield check_speech.violation(f"response_format {asked} was asked but the audio is {got}")


def _granularities(exchange: Exchange) -> list[str]:
    value = exchange.request.body_field("timestamp_granularities[]")
    if value is None:
        value = exchange.request.body_field("timestamp_granularities")
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [str(item) for item in values] or ["segment"]


def _transcript(exchange: Exchange) -> tuple[str | None, Any]:
    """The transcript text (the body, or a JSON object's text) and the parsed JSON body, if it is one."""
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return exchange.body.decode("utf-8", "replace"), None
    if isinstance(body, dict):
        text = body.get("text")
        return (text if isinstance(text, str) else None), body
    return (body if isinstance(body, str) else None), body


@check(
    "semantics.transcript_format",
    "error",
    parameters=(
        *(
            Parameter(
                op,
                "response_format",
                "json: an object with text; text: plain text; srt / vtt: "
                "subtitles; verbose_json: language, duration, segments",
            )
            for op in _TRANSCRIPTS
        ),
        Parameter(
            "createTranscription",
            "timestamp_granularities[]",
            "verbose_json: `words` when word is asked, `segments` when segment is (the default)",
        ),
    ),
)
def check_transcript(exchange: Exchange) -> Iterator[Violation]:
    """A transcript or translation has the shape of its response_format: json, text, srt, vtt or verbose_json
    (with the timestamp granularities asked).

    Judged on one 200 answer of createTranscription or createTranslation.

    Reference: CreateTranscriptionRequest.response_format: the format of the transcript output
    Why: formatting the transcript is the server's, after the model transcribed
    """
    if exchange.content_type == "text/event-stream":
        return  # stream: true (newer specs): events
    asked = exchange.request.body_field("response_format") or "json"
    text, body = _transcript(exchange)
    if asked in ("json", "verbose_json") and not isinstance(body, dict):
        yield check_transcript.violation(
            f"response_format {asked} was asked but the body is not a JSON object"
        )
        return
    if asked == "srt" and (text is None or not _SRT.match(text)):
        yield check_transcript.violation(
            f"response_format srt was asked but the transcript is not SRT: {short(text)}"
        )
    elif asked == "vtt" and (text is None or not _VTT.match(text)):
        yield check_transcript.violation(
            f"response_format vtt was asked but the transcript is not WebVTT: {short(text)}"
        )
    elif asked == "text" and isinstance(body, dict) and exchange.content_type == "text/plain":
        yield check_transcript.violation("response_format text was asked but the body is a JSON object")
    elif asked == "verbose_json" and isinstance(body, dict):
        missing = [name for name in ("language", "duration") if name not in body]
        missing += [
            name
            for name, wanted in (("words", "word"), ("segments", "segment"))
            if wanted in _granularities(exchange)
            and not isinstance(as_dict(body).get(name), list)
            and exchange.request.path_template.endswith("transcriptions")
        ]
        if missing:
            yield check_transcript.violation(
                f"response_format verbose_json was asked but the answer has no {', '.join(missing)}"
            )
