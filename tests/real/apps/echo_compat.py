"""A small echo server built with fastapi-openai-compat, as its README shows: models and chat.

Run in the real servers' own virtualenv (``.ci/install-real-servers``), never imported by the tool's
tests: ``python -m uvicorn --app-dir tests/real/apps echo_compat:app``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from fastapi import FastAPI  # type: ignore[import-not-found, unused-ignore]
from fastapi_openai_compat import create_openai_router  # type: ignore[import-not-found, unused-ignore]


def list_models() -> list[str]:
    return ["echo"]


def _text(messages: list[Any]) -> str:
    for message in reversed(messages):
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
        if isinstance(content, str) and content:
            return content
    return "echo"


def _words(text: str) -> Generator[str, None, None]:
    for word in text.split():
        yield word + " "


def run_completion(model: str, messages: list[Any], body: dict[str, Any]) -> str | Generator[str, None, None]:
    """The last message's text, streamed word by word (a generator, as the library asks) for ``stream``."""
    text = _text(messages)
    if body.get("stream"):
        return _words(text)
    return text


app = FastAPI()
app.include_router(create_openai_router(list_models=list_models, run_completion=run_completion))
