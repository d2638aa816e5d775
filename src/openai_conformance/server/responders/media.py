"""Moderations, images and audio: answers shaped by the spec's schemas, seeded from the request.

The newer spec's streams are served as it describes them, each event named by its type and no
``[DONE]``: speech with ``stream_format: "sse"`` (not for tts-1 and tts-1-hd, which the spec says do
not support it: a 400), transcriptions with ``stream: true`` (ignored for whisper-1, as the spec
says), images and image edits with ``stream: true`` (GPT image models only: a 400 for DALL·E).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.bodies import TIMESTAMP
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.generate import digest, image_file, reply_words, split_tokens, tokens
from openai_conformance.server.routing import RequestError

__all__ = ["images", "moderations", "speech", "transcription"]

_AUDIO_MAGIC = {
    "mp3": b"ID3\x04\x00\x00",
    "opus": b"OggS\x00\x02",
    "aac": b"\xff\xf1\x50\x80",
    "flac": b"fLaC\x00\x00",
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "pcm": b"\x00\x00",
}


# What the stand-in moderation model flags, by the words of an input.
_FLAGGED_WORDS = {"kill": "violence", "hate you": "harassment", "hurt myself": "self-harm"}
_SIZE = re.compile(r"^(\d{1,4})x(\d{1,4})$")


def moderations(server: Server, call: Call) -> Reply:
    value = call.arg("input", "")
    inputs = value if isinstance(value, list) else [value]
    body = server.template(call.op)
    item_schema = server.builder.resolve(call.op.success_schema)
    result_schema = server.builder.resolve(
        ((item_schema.get("properties") or {}).get("results") or {}).get("items", {})
    )
    results = []
    for item in inputs:
        result = server.instance(result_schema)
        scores = result.get("category_scores")
        categories = result.get("categories")
        if isinstance(scores, dict):
            for index, name in enumerate(sorted(scores)):
                scores[name] = round(int(digest(item, name)[:6], 16) / 0xFFFFFF * 0.001 + index * 1e-6, 8)
        text = str(item).lower() if isinstance(item, str) else ""
        for word, category in _FLAGGED_WORDS.items():
            if (
                word in text
                and isinstance(categories, dict)
                and isinstance(scores, dict)
                and category in categories
            ):
                categories[category] = True
                scores[category] = round(0.9 + int(digest(item, category)[:4], 16) / 0xFFFF * 0.09, 6)
        if isinstance(categories, dict) and "flagged" in result:
            result["flagged"] = any(value is True for value in categories.values())
        results.append(result)
    body.update(
        {
            "id": "modr-" + digest("moderation", inputs)[:24],
            "model": str(call.arg("model", "omni-moderation-latest")),
            "results": results,
        }
    )
    return Answer(body)


# What an image stream's events may say (their enums); other requested values are told as `auto`.
_IMAGE_SETTINGS = {
    "size": ("1024x1024", "1024x1536", "1536x1024", "auto"),
    "quality": ("low", "medium", "high", "auto"),
    "background": ("transparent", "opaque", "auto"),
}
_DALL_E = ("dall-e-2", "dall-e-3")
_NO_SSE_SPEECH = ("tts-1", "tts-1-hd")


def _streamed(call: Call) -> bool:
    return call.arg("stream") in (True, "true")


def _image_stream(call: Call, key: str) -> StreamAnswer:
    kind = "image_edit" if call.operation_id == "createImageEdit" else "image_generation"
    settings = {
        name: call.arg(name) if call.arg(name) in allowed else "auto"
        for name, allowed in _IMAGE_SETTINGS.items()
    }
    fmt = call.arg("output_format")
    fmt = fmt if fmt in ("png", "webp", "jpeg") else "png"
    found = _SIZE.match(str(call.arg("size", "")))
    width, height = (int(found.group(1)), int(found.group(2))) if found else (1024, 1024)
    common = {
        "b64_json": base64.b64encode(image_file(fmt, width, height)).decode(),
        "created_at": TIMESTAMP,
        **settings,
        "output_format": fmt,
    }
    partial = call.arg("partial_images", 0)
    events: list[dict[str, Any]] = [
        {"type": f"{kind}.partial_image", **common, "partial_image_index": index}
        for index in range(partial if isinstance(partial, int) and 0 <= partial <= 3 else 0)
    ]
    prompt = tokens(str(call.arg("prompt", ""))) + 1
    usage = {
        "total_tokens": prompt + 272,
        "input_tokens": prompt,
        "output_tokens": 272,
        "input_tokens_details": {"text_tokens": prompt, "image_tokens": 0},
    }
    events.append({"type": f"{kind}.completed", **common, "usage": usage})
    return StreamAnswer(events, named=True, done=False)


def images(server: Server, call: Call) -> Reply:
    if _streamed(call) and call.operation_id != "createImageVariation":
        model = call.arg("model", "dall-e-2" if call.operation_id == "createImage" else "gpt-image-1.5")
        if model in _DALL_E:
            raise RequestError(
                400, f"Streaming is only supported for the GPT image models, not {model}.", param="stream"
            )
        return _image_stream(call, digest(call.operation_id, call.fields(), sorted(call.files)))
    n = call.arg("n", 1)
    n = int(n) if isinstance(n, int) else 1
    # gpt-image models answer base64 whatever is asked; dall-e models a URL unless b64_json is asked
    model = str(call.arg("model", "dall-e-2"))
    want_b64 = call.arg("response_format") == "b64_json" or (
        model.startswith("gpt-image") and call.arg("response_format") is None
    )
    found = _SIZE.match(str(call.arg("size", "")))
    width, height = (int(found.group(1)), int(found.group(2))) if found else (1024, 1024)
    picture = image_file(str(call.arg("output_format", "png")), width, height)
    key = digest(call.operation_id, call.fields(), sorted(call.files))
    data = []
    for index in range(n):
        image_id = digest(key, index)[:24]
        item: dict[str, Any] = {}
        if want_b64:
            item["b64_json"] = base64.b64encode(picture).decode()
        else:
            item["url"] = f"https://images.openai-conformance.invalid/img-{image_id}.png"
        if call.arg("model") == "dall-e-3" and isinstance(call.arg("prompt"), str):
            item["revised_prompt"] = call.arg("prompt")
        data.append(item)
    return Answer({"created": TIMESTAMP, "data": data})


def speech(server: Server, call: Call) -> Reply:
    fmt = str(call.arg("response_format", "mp3"))
    text = str(call.arg("input", ""))
    payload = _AUDIO_MAGIC.get(fmt, b"") + digest("speech", text, call.arg("voice")).encode() * (
        1 + len(text) // 64
    )
    if call.arg("stream_format") == "sse":
        if call.arg("model") in _NO_SSE_SPEECH:
            raise RequestError(
                400, f"`stream_format: sse` is not supported for {call.arg('model')}.", param="stream_format"
            )
        pieces = [payload[i : i + 32] for i in range(0, len(payload), 32)] or [b""]
        events: list[dict[str, Any]] = [
            {"type": "speech.audio.delta", "audio": base64.b64encode(piece).decode()} for piece in pieces
        ]
        used = tokens(text)
        usage = {"input_tokens": used, "output_tokens": len(pieces), "total_tokens": used + len(pieces)}
        events.append({"type": "speech.audio.done", "usage": usage})
        return StreamAnswer(events, named=True, done=False)
    return Answer.of_bytes(payload, call.op.success_media or "application/octet-stream")


def _clock(seconds: float, comma: bool) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{',' if comma else '.'}{ms:03d}"


def transcription(server: Server, call: Call) -> Reply:
    data = call.files.get("file", b"")
    words = reply_words(digest(call.operation_id, data.hex()[:4096], call.arg("prompt")))
    text = " ".join(words).capitalize() + "."
    duration = round(len(words) * 0.4, 2)
    if _streamed(call) and call.arg("model") != "whisper-1" and call.operation_id == "createTranscription":
        events: list[dict[str, Any]] = [
            {"type": "transcript.text.delta", "delta": piece} for piece in split_tokens(text)
        ]
        used = 1 + len(data) // 1024
        usage = {
            "type": "tokens",
            "input_tokens": used,
            "output_tokens": len(words),
            "total_tokens": used + len(words),
        }
        events.append({"type": "transcript.text.done", "text": text, "usage": usage})
        return StreamAnswer(events, named=True, done=False)
    fmt = call.arg("response_format", "json")
    if fmt in ("text", "srt", "vtt"):
        if fmt == "srt":
            out = f"1\n{_clock(0, True)} --> {_clock(duration, True)}\n{text}\n"
        elif fmt == "vtt":
            out = f"WEBVTT\n\n{_clock(0, False)} --> {_clock(duration, False)}\n{text}\n"
        else:
            out = text
        if "text/plain" in call.op.success_medias:
            return Answer.of_bytes(out.encode(), "text/plain")
        return Answer({"text": out})
    if fmt == "verbose_json":
        verbose = _verbose(server, call, text, words, duration)
        if verbose is not None:
            return Answer(verbose)
    return Answer({"text": text})


def _verbose(server: Server, call: Call, text: str, words: list[str], duration: float) -> Any:
    """The verbose_json answer, when the spec declares one (a branch with a `duration`)."""
    builder = server.builder
    schema = builder.resolve(call.op.success_schema)
    branches = schema.get("oneOf") or schema.get("anyOf") or [schema] if isinstance(schema, dict) else []
    verbose = next(
        (builder.resolve(b) for b in branches if "duration" in (builder.resolve(b).get("properties") or {})),
        None,
    )
    if verbose is None:
        return None
    body = server.instance(verbose)
    props = verbose.get("properties") or {}
    body.update({"text": text, "language": str(call.arg("language", "english"))})
    is_text = (builder.resolve(props.get("duration")) or {}).get("type") == "string"
    body["duration"] = str(duration) if is_text else duration
    granularities = call.arg("timestamp_granularities[]", ["segment"])
    for name, wanted in (("segments", "segment"), ("words", "word")):
        if wanted in granularities and name in props:
            item_schema = (builder.resolve(props[name]) or {}).get("items")
            item = server.instance(item_schema)
            if isinstance(item, dict):
                fields = (builder.resolve(item_schema) or {}).get("properties") or {}
                for field_name, value in (("text", text), ("word", words[0]), ("end", duration)):
                    if field_name in item and builder.conforms(value, fields.get(field_name)):
                        item[field_name] = value
            body[name] = [item]
    return body
