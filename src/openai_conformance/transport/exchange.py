"""One request and what the target answered: the unit every check judges."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai_conformance.transport.sse import SseProblem

__all__ = ["Exchange", "Request", "SseEvent", "StreamEnd", "asks_for_stream"]


def asks_for_stream(body: Any) -> bool:
    """Whether a request body asks for an event stream: ``stream: true`` (chat, completions, Responses,
    images, transcriptions) or ``stream_format: "sse"`` (speech)."""
    if not isinstance(body, dict):
        return False
    return body.get("stream") is True or body.get("stream_format") == "sse"


#: Header names are lower-cased; a repeated header keeps its last value (enough for every check here).
Headers = dict[str, str]


@dataclass(slots=True)
class Request:
    """A request as sent: enough to judge the answer and to render a reproduction."""

    method: str  # upper case
    url: str  # absolute URL as sent
    path_template: str  # the spec's path, e.g. "/models/{model}"
    path: str = ""  # the operation path as sent, e.g. "/models/gpt-4o" (without the API prefix)
    headers: Headers = field(default_factory=dict)
    content: bytes = b""
    json_body: Any = None  # the JSON body before encoding, when the body is JSON
    files: dict[str, Any] | None = None  # multipart fields, when the body is multipart
    media_type: str | None = None
    # What makes the request invalid on purpose ("malformed JSON", "a wrong key"); "" for a valid one.
    about: str = ""

    def body_field(self, name: str, default: Any = None) -> Any:
        """A top-level field of the JSON (or multipart) body, or ``default``."""
        if isinstance(self.json_body, dict):
            return self.json_body.get(name, default)
        if self.files and name in self.files:
            return self.files[name]
        return default

    @property
    def asks_stream(self) -> bool:
        """Whether the request asked for an event stream (see :func:`asks_for_stream`)."""
        return asks_for_stream(self.json_body if isinstance(self.json_body, dict) else self.files)


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One server-sent event as the HTML standard's parser dispatches it."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    at: float = 0.0  # seconds since the request was sent


class StreamEnd(enum.Enum):
    """How reading a streamed answer ended: by the server, or cut by the suite (and why)."""

    COMPLETE = "complete"  # the server ended the stream
    IDLE = "idle"  # silent for longer than --stream-idle-timeout: cut
    TOO_LONG = "too long"  # still going after --max-stream-seconds: cut
    TOO_LARGE = "too large"  # larger than --max-body-bytes: cut
    CUT = "cut"  # the connection broke before the server ended the stream

    @property
    def by_server(self) -> bool:
        """Whether the server ended the stream, so rules about how a stream ends can be judged."""
        return self is StreamEnd.COMPLETE


@dataclass(slots=True)
class Exchange:
    """A request and the target's answer."""

    request: Request
    status: int
    headers: Headers
    body: bytes
    elapsed: float  # seconds until the whole answer had arrived
    events: list[SseEvent] | None = None  # decoded as they arrived, when the answer was an event stream
    sse_problems: list[SseProblem] | None = None  # the framing problems the decoder noted on the way
    stream_end: StreamEnd | None = None  # how reading a stream ended; None when none was read
    stream_note: str | None = None  # what cut the stream, in words, when the suite cut it
    # With --upstream: the upstream's answer to the same request, or why there is none.
    upstream: Exchange | None = None
    upstream_error: str | None = None

    @property
    def truncated(self) -> bool:
        """The stream was cut at the size cap (a plain answer that large is never judged)."""
        return self.stream_end is StreamEnd.TOO_LARGE

    @property
    def stream_cut(self) -> bool:
        """A stream was read but did not end by the server: rules about its end must stay silent."""
        return self.stream_end is not None and not self.stream_end.by_server

    @property
    def content_type(self) -> str:
        """The media type of the answer, without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body)
