"""One validated request, as the responders and the fault hooks see it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from openai_conformance.server.routing import Operation

__all__ = ["Call"]


@dataclass(frozen=True, slots=True)
class Call:
    """A request that passed validation: its operation, typed arguments, body and uploaded files.

    ``sent`` is the body as the client sent it and ``body`` the body the responder acts on; they
    differ only where a ``request`` hook rewrote the request.  What a model "writes" (the words of a
    chat answer) derives from ``sent``: a server that ignores a field still answers the same request.
    """

    op: Operation
    path_args: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    sent: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    authorization: str | None = None

    @property
    def operation_id(self) -> str:
        return self.op.operation_id

    def arg(self, name: str, default: Any = None) -> Any:
        """A body field (JSON or form), ``default`` when absent or null."""
        if isinstance(self.body, dict):
            value = self.body.get(name)
            return default if value is None else value
        return default

    def fields(self) -> dict[str, Any]:
        """The body's fields (an empty dict for a body that is not an object)."""
        return self.body if isinstance(self.body, dict) else {}

    def with_body(self, body: Any) -> Call:
        """This request with another body to act on (``sent`` stays what the client sent)."""
        return replace(self, body=body)

    def without(self, *names: str) -> Call:
        """This request with body fields dropped: the responder acts as if they were not sent."""
        return self.with_body({k: v for k, v in self.fields().items() if k not in names})
