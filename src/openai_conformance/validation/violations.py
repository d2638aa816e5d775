"""What "the server is wrong" looks like: a violation of one check, with evidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Severity", "Violation", "pointer_from_path", "violation_key"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One departure from the contract, found in one response.

    Built only through a declared check (:mod:`openai_conformance.validation.registry`).
    ``check`` is a stable ``area.rule`` id (a public contract: reports and baselines name it);
    ``pointer`` is an RFC 6901 JSON pointer into the response body ("" for the whole body or for
    something outside it, such as the status line); ``key`` groups violations of the same kind so
    a run reports each kind once per operation.
    """

    check: str
    message: str
    pointer: str = ""
    severity: Severity = "error"
    keyword: str = ""  # the schema keyword that failed, for schema checks

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two violations "the same kind": check, pointer with indices folded, keyword."""
        return violation_key(self.check, self.pointer, self.keyword)


def violation_key(check: str, pointer: str, keyword: str) -> tuple[str, str, str]:
    """The kind of a violation: its check, its pointer with array indices folded, its keyword."""
    return (check, _fold_indices(pointer), keyword)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_from_path(path: Iterable[object]) -> str:
    """An RFC 6901 pointer from a sequence of keys and indices."""
    return "".join("/" + _escape(str(part)) for part in path)


def _fold_indices(pointer: str) -> str:
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))
