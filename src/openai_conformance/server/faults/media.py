"""Faults of moderations, images and audio: answers well-formed, blind to what the request asked for."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import BODY, Faults
from openai_conformance.server.hooks import ANSWER, REQUEST

__all__ = ["MEDIA_FAULTS"]

MEDIA_FAULTS = Faults()
fault = MEDIA_FAULTS.declare

_MODERATION = "createModeration"
_IMAGES = ("createImage", "createImageEdit", "createImageVariation")
_TRANSCRIPTS = ("createTranscription", "createTranslation")
_ONE_BY_ONE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a4944415478da63600000000200"
    "01e5270de20000000049454e44ae426082"
)


def _results(body: Any) -> list[Any]:
    """The results of a moderation."""
    return body.get("results") or [] if isinstance(body, dict) else []


@fault("moderation-first-only", "semantics.moderation_count", _MODERATION, at=BODY)
def _first_result(body: Any) -> None:
    """Moderations of a list of inputs answer only the first input's result."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        body["results"] = body["results"][:1]


@fault("moderation-never-flagged", "semantics.moderation_flagged", _MODERATION, at=BODY)
def _never_flagged(body: Any) -> None:
    """Moderation results say `flagged: false` even when a category is true."""
    for result in _results(body):
        if isinstance(result, dict) and "flagged" in result:
            result["flagged"] = False


@fault("moderation-unscored-category", "semantics.moderation_categories", _MODERATION, at=BODY)
def _unscored_category(body: Any) -> None:
    """Moderation results name a vendor category (S14) in `categories` but give it no score.

    A vendor category (Llama Guard's S14) in `categories` that `category_scores` leaves out.
    """
    for result in _results(body):
        if isinstance(result, dict) and isinstance(result.get("categories"), dict):
            result["categories"]["S14"] = False


@fault("images-n-ignored", "semantics.images_count", _IMAGES, at=REQUEST)
def _one_image(call: Call) -> Call:
    """Image generations, edits and variations ignore `n` and answer one image."""
    return call.without("n")


@fault("images-b64-ignored", "semantics.images_format", _IMAGES, at=REQUEST)
def _urls(call: Call) -> Call:
    """Images ignore response_format b64_json and answer URLs."""
    return call.without("response_format") if call.arg("response_format") == "b64_json" else call


@fault("images-size-ignored", "semantics.images_size", _IMAGES, at=ANSWER)
def _tiny_images(call: Call, answer: Answer) -> Answer:
    """Images ignore `size`: every b64_json image is 1x1."""
    for item in answer.body.get("data") or [] if isinstance(answer.body, dict) else []:
        if isinstance(item, dict) and "b64_json" in item:
            item["b64_json"] = base64.b64encode(_ONE_BY_ONE_PNG).decode()
    return answer


@fault("speech-format-ignored", "semantics.speech_format", "createSpeech", at=REQUEST)
def _mp3(call: Call) -> Call:
    """Speech ignores response_format and always answers mp3."""
    return call.without("response_format")


@fault("transcript-format-ignored", "semantics.transcript_format", _TRANSCRIPTS, at=ANSWER)
def _json_transcript(call: Call, answer: Answer) -> Answer:
    """Transcripts and translations ignore response_format: always `{"text": …}`.

    Every transcript is answered as ``{"text": …}`` with the words alone, whatever format was asked.
    """
    if answer.raw is not None and answer.media_type == "text/plain":
        text = answer.raw.decode("utf-8", "replace")
    elif isinstance(answer.body, dict) and isinstance(answer.body.get("text"), str):
        text = answer.body["text"]
    else:
        return answer
    lines = [line for line in text.strip().splitlines() if line.strip()]
    words = lines[-1] if lines else text  # the subtitles' last line holds the words
    return replace(answer, raw=None, body={"text": words}, media_type="application/json")
