"""The check registry: every rule of the suite, declared beside the code that enforces it.

A module that enforces a rule declares it once, at import time::

    DONE = register(
        "stream.done",
        "error",
        "The stream ends with `data: [DONE]`.",
        "API reference: the stream is terminated by a `data: [DONE]` message",
    )

and builds every violation of it through the declaration: ``yield DONE.violation("…", pointer)``.
A rule that speaks as a warning in some situations says when in ``relaxed`` and passes
``warning=True`` from the one function that decides it. ``openai-conformance checks``, the
catalogue and the README's list are read from here; nothing else makes a :class:`Violation`.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from openai_conformance.validation.violations import Severity, Violation

__all__ = ["CHECK_MODULES", "Check", "all_checks", "get_check", "register"]

#: The modules that declare checks; importing them all fills the registry.
CHECK_MODULES: tuple[str, ...] = (
    "openai_conformance.validation.schema",
    "openai_conformance.validation.judge",
    "openai_conformance.validation.stream",
    "openai_conformance.validation.semantics",
    "openai_conformance.validation.scenarios",
    "openai_conformance.validation.probes",
    "openai_conformance.capabilities",
)

_ID = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")
_REGISTRY: dict[str, Check] = {}


@dataclass(frozen=True, slots=True)
class Check:
    """One rule the suite enforces: a stable id, a default severity, what it enforces and why."""

    id: str
    severity: Severity
    description: str
    reference: str  # the spec text or documented API behaviour the rule enforces
    relaxed: str = ""  # when the rule speaks as a warning instead of its default severity

    @property
    def area(self) -> str:
        """The part of the id before the dot: schema, stream, semantics, errors, auth, state, …"""
        return self.id.split(".", 1)[0]

    def violation(
        self, message: str, pointer: str = "", keyword: str = "", *, warning: bool = False
    ) -> Violation:
        """A violation of this check; ``warning`` lowers an error-level rule where ``relaxed`` says."""
        if warning and not self.relaxed and self.severity == "error":
            raise ValueError(f"{self.id} is never a warning: its declaration says no `relaxed` case")
        return Violation(self.id, message, pointer, "warning" if warning else self.severity, keyword)


def register(id: str, severity: Severity, description: str, reference: str, *, relaxed: str = "") -> Check:
    """Declare a check; ids are unique ``area.rule`` strings (a public contract: reports name them)."""
    if not _ID.match(id):
        raise ValueError(f"check id {id!r} is not of the form area.rule (lower case)")
    if severity not in ("error", "warning"):
        raise ValueError(f"check {id}: severity must be 'error' or 'warning', not {severity!r}")
    if id in _REGISTRY:
        raise ValueError(f"check {id} is declared twice")
    check = Check(id, severity, description, reference, relaxed)
    _REGISTRY[id] = check
    return check


def all_checks() -> list[Check]:
    """Every declared check, in the order the modules declare them."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return list(_REGISTRY.values())


def get_check(check_id: str) -> Check:
    """The check with this id; ``KeyError`` names it when unknown."""
    if check_id not in _REGISTRY:
        all_checks()
    return _REGISTRY[check_id]
