"""What each fault of an ignored parameter changes, seen from a client: one probe per fault (test_faults.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

__all__ = ["PARAMETER_PROBES"]

Probe = Callable[[TestClient], bool]

_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
_TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
_STRICT = {"type": "function", "function": {**_TOOL["function"], "strict": True}}
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAYAAACp8Z5+AAAAEklEQVR42mNQcGj4j4wZSBcAAONpHfFFceKRAAAAAElFTkSuQmCC"
)


def _choice(c: TestClient, prompt: str = "Say hello", **extra: Any) -> dict[str, Any]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}], **extra}
    choice: dict[str, Any] = c.post("/v1/chat/completions", json=body).json()["choices"][0]
    return choice


def _calls(c: TestClient, prompt: str = "Say hello", **extra: Any) -> list[Any]:
    return list(_choice(c, prompt, **extra)["message"].get("tool_calls") or [])


def _completion(c: TestClient, **extra: Any) -> dict[str, Any]:
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": "Once upon a time", **extra}
    answer: dict[str, Any] = c.post("/v1/completions", json=body).json()
    return answer


def _logprobs(c: TestClient) -> list[dict[str, Any]]:
    return list(_choice(c, logprobs=True, top_logprobs=2)["logprobs"]["content"])


def _moderation(c: TestClient) -> list[dict[str, Any]]:
    answer = c.post("/v1/moderations", json={"input": ["I will kill you.", "Thank you!"]}).json()
    return list(answer["results"])


def _image(c: TestClient, **fields: Any) -> list[dict[str, Any]]:
    body = {"prompt": "a cat", "n": 2, "response_format": "b64_json", "size": "256x256", **fields}
    return list(c.post("/v1/images/generations", json=body).json()["data"])


def _png_width(item: dict[str, Any]) -> int:
    return int.from_bytes(base64.b64decode(item["b64_json"])[16:20], "big")


def _transcript(c: TestClient, fmt: str) -> str:
    """The transcript: the body, or the text of a JSON body (a spec without text/plain answers)."""
    files = {"file": ("a.mp3", b"ID3 audio")}
    data = {"model": "whisper-1", "response_format": fmt}
    answer = c.post("/v1/audio/transcriptions", files=files, data=data)
    if answer.headers["content-type"].startswith("application/json"):
        return str(answer.json()["text"])
    return str(answer.text)


_COUNT = "Count from 1 to 10, separated by commas."

PARAMETER_PROBES: dict[str, Probe] = {
    "stop-ignored": lambda c: "5" in str(_choice(c, _COUNT, stop="5")["message"]["content"]),
    "max-completion-tokens-ignored": lambda c: (
        c.post(
            "/v1/chat/completions",
            json={
                "model": "gpt-4o-mini",
                "max_completion_tokens": 1,
                "messages": [{"role": "user", "content": _COUNT}],
            },
        ).json()["usage"]["completion_tokens"]
        > 1
    ),
    "length-reported-as-stop": lambda c: _choice(c, _COUNT, max_tokens=2)["finish_reason"] != "length",
    "stop-reported-as-length": lambda c: _choice(c, _COUNT, stop="5")["finish_reason"] != "stop",
    "logprobs-as-probabilities": lambda c: any(entry["logprob"] > 0 for entry in _logprobs(c)),
    "top-logprobs-ignored": lambda c: all(len(entry["top_logprobs"]) < 2 for entry in _logprobs(c)),
    "tool-choice-object-as-auto": lambda c: (
        not _calls(c, tools=[_TOOL], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    ),
    "tool-choice-required-as-auto": lambda c: not _calls(c, tools=[_TOOL], tool_choice="required"),
    "tool-choice-none-as-auto": lambda c: bool(
        _calls(c, "Use get_weather.", tools=[_TOOL], tool_choice="none")
    ),
    "parallel-tool-calls-ignored": lambda c: (
        len(_calls(c, "get_weather and get_time", tools=[_TOOL, _TIME], parallel_tool_calls=False)) > 1
    ),
    "strict-tool-arguments-invalid": lambda c: (
        "city"
        not in json.loads(_calls(c, tools=[_STRICT], tool_choice="required")[0]["function"]["arguments"])
    ),
    "seed-ignored": lambda c: (
        _choice(c, seed=7)["message"]["content"] != _choice(c, seed=7)["message"]["content"]
    ),
    "model-not-echoed": lambda c: (
        c.post(
            "/v1/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        ).json()["model"]
        != "gpt-4o-mini"
    ),
    "completions-first-prompt-only": lambda c: len(_completion(c, prompt=["a", "b"])["choices"]) != 2,
    "echo-ignored": lambda c: (
        not _completion(c, echo=True)["choices"][0]["text"].startswith("Once upon a time")
    ),
    "best-of-returned": lambda c: len(_completion(c, n=1, best_of=2)["choices"]) != 1,
    "completion-logprobs-zero-null": lambda c: _completion(c, logprobs=0)["choices"][0]["logprobs"] is None,
    "suffix-ignored": lambda c: (
        _completion(c)["choices"][0]["text"] == _completion(c, suffix="!")["choices"][0]["text"]
    ),
    "moderation-first-only": lambda c: len(_moderation(c)) != 2,
    "moderation-never-flagged": lambda c: not _moderation(c)[0]["flagged"],
    "moderation-unscored-category": lambda c: any(
        set(r["categories"]) - set(r["category_scores"]) for r in _moderation(c)
    ),
    "images-n-ignored": lambda c: len(_image(c)) != 2,
    "images-b64-ignored": lambda c: "b64_json" not in _image(c)[0],
    "images-size-ignored": lambda c: _png_width(_image(c)[0]) != 256,
    "speech-format-ignored": lambda c: (
        not c.post(
            "/v1/audio/speech",
            json={"model": "tts-1", "input": "hi", "voice": "alloy", "response_format": "flac"},
        ).content.startswith(b"fLaC")
    ),
    "transcript-format-ignored": lambda c: not _transcript(c, "vtt").startswith("WEBVTT"),
    "boundary-server-error": lambda c: (
        c.post(
            "/v1/chat/completions",
            json={
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "stop": list("abcd"),
            },
        ).status_code
        == 500
    ),
    "wrong-key-accepted": lambda c: (
        c.get("/v1/models", headers={"Authorization": "Bearer sk-wrong"}).status_code != 401
    ),
}
