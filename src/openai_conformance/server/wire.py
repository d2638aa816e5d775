"""Answers as bytes on the wire: compact JSON bodies, and event streams with their framing and timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response, StreamingResponse

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.routing import dumps

__all__ = ["DONE", "Pause", "Wire", "to_response"]

DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True, slots=True)
class Pause:
    """Silence on the wire for ``seconds`` before the next piece."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Wire:
    """An event stream as it is delivered: what precedes its end, in order, then its end.

    ``pieces`` starts as one framed ``data:`` event per event; ``end`` is the ``[DONE]`` sentinel,
    or None for a stream that just stops.  Each piece of bytes is written as one chunk.
    """

    pieces: list[bytes | Pause]
    end: bytes | None = DONE
    status: int = 200
    media_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, stream: StreamAnswer) -> Wire:
        pieces: list[bytes | Pause] = [_framed(event, stream.named) for event in stream.events]
        return cls(
            pieces, DONE if stream.done else None, stream.status, stream.media_type, dict(stream.headers)
        )

    async def produce(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, Pause):
                await asyncio.sleep(piece.seconds)
            else:
                yield piece
        if self.end is not None:
            yield self.end


def _framed(event: Any, named: bool) -> bytes:
    """One event as SSE: ``data:`` with its JSON, after ``event:`` with its type when ``named``."""
    kind = event.get("type") if named and isinstance(event, dict) else None
    head = b"event: " + str(kind).encode() + b"\n" if isinstance(kind, str) else b""
    return head + b"data: " + dumps(event) + b"\n\n"


def to_response(reply: Reply, deliver: Callable[[Wire], Wire]) -> Response:
    """The starlette response of ``reply``; a stream goes through ``deliver`` first."""
    if isinstance(reply, StreamAnswer):
        wire = deliver(Wire.of(reply))
        return StreamingResponse(
            wire.produce(), status_code=wire.status, media_type=wire.media_type, headers=wire.headers
        )
    return _plain(reply)


def _plain(answer: Answer) -> Response:
    content = answer.raw if answer.raw is not None else dumps(answer.body)
    response = Response(content, status_code=answer.status, media_type=answer.media_type)
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response
