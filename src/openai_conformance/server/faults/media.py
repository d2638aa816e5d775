"""Faults of moderations, images and audio: answers well-formed, blind to what the request asked for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Fault, edit_body, without

__all__ = ["MEDIA_FAULTS"]

_MODERATION = "createModeration"
_IMAGES = ("createImage", "createImageEdit", "createImageVariation")
_TRANSCRIPTS = ("createTranscription", "createTranslation")
_ONE_BY_ONE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a4944415478da63600000000200"
    "01e5270de20000000049454e44ae426082"
)


def _first_result(body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        body["results"] = body["results"][:1]


def _never_flagged(body: Any) -> None:
    for result in body.get("results") or [] if isinstance(body, dict) else []:
        if isinstance(result, dict) and "flagged" in result:
            result["flagged"] = False


def _unscored_category(body: Any) -> None:
    """A vendor category (Llama Guard's S14) in `categories` that `category_scores` leaves out."""
    for result in body.get("results") or [] if isinstance(body, dict) else []:
        if isinstance(result, dict) and isinstance(result.get("categories"), dict):
            result["categories"]["S14"] = False


def _one_image(call: Call) -> Call:
    return without("n")(call)


def _tiny_images(call: Call, answer: Answer) -> Answer:
    import base64

    for item in answer.body.get("data") or [] if isinstance(answer.body, dict) else []:
        if isinstance(item, dict) and "b64_json" in item:
            item["b64_json"] = base64.b64encode(_ONE_BY_ONE_PNG).decode()
    return answer


def _json_transcript(call: Call, answer: Answer) -> Answer:
    """Every transcript answered as ``{"text": …}`` with the words alone, whatever format was asked."""
    if answer.raw is not None and answer.media_type == "text/plain":
        text = answer.raw.decode("utf-8", "replace")
    elif isinstance(answer.body, dict) and isinstance(answer.body.get("text"), str):
        text = answer.body["text"]
    else:
        return answer
    lines = [line for line in text.strip().splitlines() if line.strip()]
    words = lines[-1] if lines else text  # the subtitles' last line holds the words
    return replace(answer, raw=None, body={"text": words}, media_type="application/json")


MEDIA_FAULTS: tuple[Fault, ...] = (
    Fault(
        "moderation-first-only",
        "semantics.moderation_count",
        "Moderations of a list of inputs answer only the first input's result.",
        operations=(_MODERATION,),
        answer=edit_body(_first_result),
    ),
    Fault(
        "moderation-never-flagged",
        "semantics.moderation_flagged",
        "Moderation results say `flagged: false` even when a category is true.",
        operations=(_MODERATION,),
        answer=edit_body(_never_flagged),
    ),
    Fault(
        "moderation-unscored-category",
        "semantics.moderation_categories",
        "Moderation results name a vendor category (S14) in `categories` but give it no score.",
        operations=(_MODERATION,),
        answer=edit_body(_unscored_category),
    ),
    Fault(
        "images-n-ignored",
        "semantics.images_count",
        "Image generations, edits and variations ignore `n` and answer one image.",
        operations=_IMAGES,
        request=_one_image,
    ),
    Fault(
        "images-b64-ignored",
        "semantics.images_format",
        "Images ignore response_format b64_json and answer URLs.",
        operations=_IMAGES,
        request=lambda call: (
            without("response_format")(call) if call.arg("response_format") == "b64_json" else call
        ),
    ),
    Fault(
        "images-size-ignored",
        "semantics.images_size",
        "Images ignore `size`: every b64_json image is 1x1.",
        operations=_IMAGES,
        answer=_tiny_images,
    ),
    Fault(
        "speech-format-ignored",
        "semantics.speech_format",
        "Speech ignores response_format and always answers mp3.",
        operations=("createSpeech",),
        request=without("response_format"),
    ),
    Fault(
        "transcript-format-ignored",
        "semantics.transcript_format",
        'Transcripts and translations ignore response_format: always `{"text": …}`.',
        operations=_TRANSCRIPTS,
        answer=_json_transcript,
    ),
)
