"""A generated request before it is sent, and how drawing an operation's requests ended (a light
module: the engine's parent process reads these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Drawn", "GeneratedCase"]


@dataclass(slots=True)
class GeneratedCase:
    """A request generated for one operation, before it is sent."""

    method: str
    path: str  # formatted path, e.g. "/models/gpt-4o"
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any  # JSON value, multipart fields, or None
    media_type: str | None
    invalid_body: bool = False  # negative mode: the body itself was made to break the schema
    boundary: str = ""  # a request at the boundaries its schema allows: which one ("maximum of n", …)


@dataclass(frozen=True, slots=True)
class Drawn:
    """How drawing an operation's requests ended, besides the requests themselves."""

    error: str | None = None  # could not generate (all or some of) the requests
    note: str | None = None  # nothing to say against the target, but worth a line in the report
    fatal: bool = False  # not a single request could be built: the operation cannot be tested at all
