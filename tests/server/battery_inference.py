"""The battery's requests to the inference operations: chat, completions, embeddings, moderations,
images and audio, plain and streamed, with the parameters the suite's scenarios send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.server.battery import Step

__all__ = ["inference"]

_CHAT = "createChatCompletion"
_COMPLETION = "createCompletion"
_EMBEDDING = "createEmbedding"
_HELLO = [{"role": "user", "content": "Say hello"}]
_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city", "days"],
        },
    },
}
_FORCED = {"tools": [_WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}
_TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
_STRICT_WEATHER = {"type": "function", "function": {**_WEATHER["function"], "strict": True}}
_PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": _HELLO, **extra}


def inference() -> Iterator[Step]:
    """The inference operations' requests, the suite's scenarios among them."""
    chat = "/chat/completions"
    extras: tuple[dict[str, Any], ...] = (
        {},
        {"n": 2},
        {"max_tokens": 2},
        {"max_completion_tokens": 1},
        {"logprobs": True, "top_logprobs": 2},
        _FORCED,
        {**_FORCED, "n": 2},
        {"tools": [_WEATHER], "tool_choice": "required"},
        {"tools": [_WEATHER]},
        {"functions": [_WEATHER["function"]], "function_call": {"name": "get_weather"}},
        {"response_format": {"type": "json_object"}},
        {"response_format": {"type": "json_object"}, "max_tokens": 3},
        {
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": _PERSON}},
            "n": 2,
        },
        {"stop": ["server"], "max_tokens": 50},
        {"stop": ["a", "b", "c", "d"]},  # stop at its maxItems
        {"max_tokens": 2, "messages": [{"role": "user", "content": "Count from 1 to 100."}]},
        {"stream_options": {"include_usage": True}},
        # the suite's parameter scenarios
        {"messages": [{"role": "user", "content": "Count from 1 to 10, separated by commas."}], "stop": "5"},
        {"seed": 1234, "temperature": 0},
        {
            "tools": [_WEATHER],
            "tool_choice": "none",
            "messages": [{"role": "user", "content": "get_weather?"}],
        },
        {
            "tools": [_WEATHER, _TIME],
            "tool_choice": "required",
            "parallel_tool_calls": False,
            "messages": [{"role": "user", "content": "Use get_weather and get_time."}],
        },
        {"tools": [_STRICT_WEATHER], "tool_choice": _FORCED["tool_choice"]},
    )
    for extra in extras:
        yield Step(_CHAT, "POST", chat, _chat(**extra))
    extras = (
        {},
        {"n": 2},
        {"max_tokens": 2},
        {"stream_options": {"include_usage": True}},
        {"stream_options": {"include_usage": True}, "n": 2},
        {"logprobs": True, "top_logprobs": 2},
        _FORCED,
        {**_FORCED, "n": 2, "stream_options": {"include_usage": True}},
        {"functions": [_WEATHER["function"]], "function_call": {"name": "get_weather"}},
        {"response_format": {"type": "json_object"}},
    )
    for extra in extras:
        yield Step(_CHAT, "POST", chat, _chat(stream=True, **extra))
    # The suite's probes: unknown models (plain and streamed) and invalid requests.
    yield Step(_CHAT, "POST", chat, _chat(model="openai-conformance-no-such-model", max_tokens=4))
    yield Step(_CHAT, "POST", chat, _chat(model="openai-conformance-no-such-model", stream=True))
    yield Step(_CHAT, "POST", chat, {"model": "gpt-4o-mini"})
    yield Step(_CHAT, "POST", chat, {"model": "gpt-4o-mini", "messages": "hello"})
    yield Step(_CHAT, "POST", chat, _chat(temperature=5))
    yield Step(_CHAT, "POST", chat, _chat(max_tokens=0))
    yield Step(_CHAT, "POST", chat, content=b'{"model": ', content_type="application/json")
    yield Step(_CHAT, "POST", chat, content=json.dumps(_chat()).encode(), content_type="text/plain")

    completions = "/completions"
    model = "gpt-3.5-turbo-instruct"
    extras = (
        {},
        {"prompt": ["Once upon a time", "The capital of France is"], "n": 2, "max_tokens": 4},
        {"logprobs": 2, "echo": True},
        {"logprobs": 0},
        {"prompt": "Counting: 1, 2, 3,", "stop": "6"},
        {"n": 1, "best_of": 2},
        {"suffix": " The end."},
        {"stream": True},
        {"stream": True, "stream_options": {"include_usage": True}, "logprobs": 1},
        {"model": "openai-conformance-no-such-model"},
        {"prompt": "hi", "max_tokens": "many"},
    )
    for extra in extras:
        yield Step(_COMPLETION, "POST", completions, {"model": model, "prompt": "Once upon a time", **extra})
    yield Step(_COMPLETION, "POST", completions, {"model": model})

    embeddings = "/embeddings"
    model = "text-embedding-3-small"
    extras = (
        {},
        {"encoding_format": "float", "input": "The quick brown fox"},
        {"encoding_format": "base64"},
        {"dimensions": 8},
        {"dimensions": 8, "encoding_format": "base64"},
        {"dimensions": 5000},
        {"input": ["red", "green", "blue"]},
        {"input": [1, 2, 3]},
        {"model": "openai-conformance-no-such-model"},
        {"encoding_format": "hex"},
    )
    for extra in extras:
        yield Step(_EMBEDDING, "POST", embeddings, {"model": model, "input": "hello", **extra})
    yield Step(_EMBEDDING, "POST", embeddings, {"model": model})

    yield Step("createModeration", "POST", "/moderations", {"input": "x"})
    yield Step(
        "createModeration", "POST", "/moderations", {"input": ["a", "b"], "model": "text-moderation-latest"}
    )
    yield Step("createModeration", "POST", "/moderations", {"input": ["I will kill you.", "Thank you!"]})
    yield Step("createImage", "POST", "/images/generations", {"prompt": "a cat"})
    yield Step(
        "createImage",
        "POST",
        "/images/generations",
        {"prompt": "a cat", "model": "dall-e-3", "response_format": "b64_json"},
    )
    yield Step(
        "createImage",
        "POST",
        "/images/generations",
        {"prompt": "a cat", "n": 2, "response_format": "b64_json", "size": "256x256"},
    )
    yield Step(
        "createImageEdit", "POST", "/images/edits", files={"image": ("a.png", _PNG)}, data={"prompt": "a hat"}
    )
    yield Step("createImageVariation", "POST", "/images/variations", files={"image": ("a.png", _PNG)})
    wanted = {"n": "2", "response_format": "b64_json", "size": "256x256"}
    yield Step(
        "createImageEdit",
        "POST",
        "/images/edits",
        files={"image": ("a.png", _PNG)},
        data={"prompt": "a hat", **wanted},
    )
    yield Step(
        "createImageVariation", "POST", "/images/variations", files={"image": ("a.png", _PNG)}, data=wanted
    )
    for speech in ({}, {"response_format": "opus"}):
        yield Step(
            "createSpeech",
            "POST",
            "/audio/speech",
            {"model": "tts-1", "input": "hello", "voice": "alloy", **speech},
        )
    for op, path in (
        ("createTranscription", "/audio/transcriptions"),
        ("createTranslation", "/audio/translations"),
    ):
        for fmt in ("json", "text", "srt", "verbose_json"):
            yield Step(
                op,
                "POST",
                path,
                files={"file": ("a.mp3", b"ID3 audio")},
                data={"model": "whisper-1", "response_format": fmt},
            )
