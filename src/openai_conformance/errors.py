"""Errors that mean "we could not test" — never "the server is wrong".

A server that departs from the contract produces :class:`~openai_conformance.validation.violations.Violation`
records; the exceptions here are for everything else::

    ConformanceError
    ├── ConfigError          a bad flag, option value or environment variable
    ├── SpecError            the spec cannot be found, downloaded, verified or parsed
    │   └── SpecUnavailableError   no local copy and no way to download one
    ├── OverlayError         an overlay document is malformed or does not apply
    ├── TargetError          the target cannot be tested at all (unreachable, refuses everything)
    └── CaseError            one request could not be tested; the run goes on
        ├── TransportError   the request could not be completed (connect, timeout, protocol, 429, size)
        └── JudgeError       the answer arrived but could not be judged (a validator broke on it)

Each carries a one-line message meant for the user; the CLI prints it and exits with status 2. A
:class:`CaseError` is recorded against its operation as "could not test" instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from openai_conformance.transport.exchange import Exchange

__all__ = [
    "CaseError",
    "ConfigError",
    "ConformanceError",
    "JudgeError",
    "OverlayError",
    "SpecError",
    "SpecUnavailableError",
    "TargetError",
    "TransportError",
    "TransportErrorKind",
]

#: Why a request could not be completed; tests and reports group transport errors by it.
TransportErrorKind = Literal["connect", "timeout", "protocol", "too_large", "rate_limited", "other"]


class ConformanceError(Exception):
    """The tool could not do what it was asked; the message is one line for the user."""


class ConfigError(ConformanceError):
    """A flag, option or environment variable has a value the tool cannot use."""


class SpecError(ConformanceError):
    """The OpenAPI spec cannot be found, downloaded, verified or parsed."""


class SpecUnavailableError(SpecError):
    """No local copy of the spec exists and none could be downloaded."""


class OverlayError(ConformanceError):
    """An overlay document is malformed or one of its actions does not apply."""


class TargetError(ConformanceError):
    """The target server cannot be tested at all."""


class CaseError(ConformanceError):
    """One request could not be tested: recorded against its operation, never a verdict."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransportError(CaseError):
    """The request could not be completed; ``kind`` says how it failed."""

    def __init__(self, kind: TransportErrorKind, message: str, *, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.kind: TransportErrorKind = kind
        self.exchange = exchange  # the answer that made it fail, when one came (a 429 that remains)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class JudgeError(CaseError):
    """The answer arrived but could not be judged (a validator broke on it, or no operation matched)."""
