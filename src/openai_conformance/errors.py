"""Errors that mean "we could not test" — never "the server is wrong".

A server that departs from the contract produces :class:`~openai_conformance.validation.violations.Violation`
records; the exceptions here are for everything else::

    ConformanceError
    ├── ConfigError          a bad flag, option value or environment variable
    ├── SpecError            the spec cannot be found, downloaded, verified or parsed
    │   └── SpecUnavailableError   no local copy and no way to download one
    ├── OverlayError         an overlay document is malformed or does not apply
    └── TargetError          the target cannot be tested at all (unreachable, refuses everything)

Each carries a one-line message meant for the user; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConformanceError",
    "OverlayError",
    "SpecError",
    "SpecUnavailableError",
    "TargetError",
]


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
