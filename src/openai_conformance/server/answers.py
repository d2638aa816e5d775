"""What a responder answers: a plain answer (a JSON body or raw bytes) or a stream of events.

Responders build these; the pipeline (app.py) hands them to the fault hooks and only then turns
them into bytes (wire.py), so that no responder needs to know how an answer may be bent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "Reply", "StreamAnswer"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A plain answer: ``body`` sent as compact JSON, unless ``raw`` bytes are given."""

    body: Any = None
    status: int = 200
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    @classmethod
    def of_bytes(cls, raw: bytes, media_type: str) -> Answer:
        return cls(raw=raw, media_type=media_type)


def _stream_headers() -> dict[str, str]:
    # Proxies (nginx) must neither cache nor buffer an event stream.
    return {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@dataclass(frozen=True, slots=True)
class StreamAnswer:
    """A server-sent event stream: each event a JSON value, sent as one ``data:`` event.

    ``named``: each event is also named by its ``type`` (``event: response.created``), as the typed
    streams are (Responses, audio, images); ``done``: the stream ends with ``data: [DONE]``, as chat
    and text completions do (the typed streams just end).
    """

    events: list[Any]
    status: int = 200
    media_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=_stream_headers)
    named: bool = False
    done: bool = True


#: Everything a responder may answer.
Reply = Answer | StreamAnswer
