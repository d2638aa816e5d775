"""One request and what the target answered: the unit every check judges."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Exchange", "Request", "SseEvent"]

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

    def body_field(self, name: str, default: Any = None) -> Any:
        """A top-level field of the JSON (or multipart) body, or ``default``."""
        if isinstance(self.json_body, dict):
            return self.json_body.get(name, default)
        if self.files and name in self.files:
            return self.files[name]
        return default


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One server-sent event as the HTML standard's parser dispatches it."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    at: float = 0.0  # seconds since the request was sent


@dataclass(slots=True)
class Exchange:
    """A request and the target's answer."""

    request: Request
    status: int
    headers: Headers
    body: bytes
    elapsed: float  # seconds until the whole answer had arrived
    events: list[SseEvent] | None = None  # decoded events, when the answer was a stream
    stream_problem: str | None = None  # why reading a stream stopped early ("idle timeout", …)
    truncated: bool = False  # the body was cut at the size cap

    @property
    def content_type(self) -> str:
        """The media type of the answer, without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body)
