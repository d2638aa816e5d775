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
import inspect
import re
from dataclasses import dataclass

from openai_conformance.validation.violations import Severity, Violation

__all__ = ["AREAS", "CHECK_MODULES", "Check", "all_checks", "get_check", "register"]

#: The modules that declare checks; importing them all fills the registry. Within an area, checks
#: are listed in the order of this tuple, then in the order each module declares them.
CHECK_MODULES: tuple[str, ...] = (
    "openai_conformance.validation.schema",
    "openai_conformance.validation.judge",
    "openai_conformance.validation.rejection",
    "openai_conformance.validation.stream",
    "openai_conformance.validation.stream_events",
    "openai_conformance.validation.stream_tools",
    "openai_conformance.validation.responses_stream",
    "openai_conformance.validation.responses_items",
    "openai_conformance.validation.responses_answer",
    "openai_conformance.validation.semantics.shared",
    "openai_conformance.validation.semantics.chat",
    "openai_conformance.validation.semantics.embeddings",
    "openai_conformance.validation.semantics.answers",
    "openai_conformance.scenarios.errors",
    "openai_conformance.scenarios.auth",
    "openai_conformance.scenarios.state",
    "openai_conformance.scenarios.chat",
    "openai_conformance.scenarios.responses",
    "openai_conformance.capabilities",
    "openai_conformance.runner.health",
)

#: The part of a check id before the dot, in the order listings and reports speak of them.
AREAS: tuple[str, ...] = (
    "schema",
    "errors",
    "auth",
    "stream",
    "responses",
    "semantics",
    "capability",
    "state",
    "target",
)

_ID = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")
_REGISTRY: dict[str, Check] = {}
_DECLARED_IN: dict[str, str] = {}  # check id → the module that declared it


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


def _declaring_module() -> str:
    """The module whose top level called :func:`register` (two frames up)."""
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame is not None and frame.f_back is not None else None
    return str(caller.f_globals.get("__name__", "")) if caller is not None else ""


def register(id: str, severity: Severity, description: str, reference: str, *, relaxed: str = "") -> Check:
    """Declare a check; ids are unique ``area.rule`` strings (a public contract: reports name them).

    Only the modules of :data:`CHECK_MODULES` may declare checks: a check declared elsewhere would
    be missing from ``openai-conformance checks`` until something happened to import its module.
    """
    if not _ID.match(id):
        raise ValueError(f"check id {id!r} is not of the form area.rule (lower case)")
    if id.split(".", 1)[0] not in AREAS:
        raise ValueError(f"check {id}: its area is none of {', '.join(AREAS)}")
    if severity not in ("error", "warning"):
        raise ValueError(f"check {id}: severity must be 'error' or 'warning', not {severity!r}")
    module = _declaring_module()
    if module not in CHECK_MODULES:
        raise ValueError(f"check {id} is declared in {module}, which CHECK_MODULES does not list")
    if id in _REGISTRY:
        raise ValueError(f"check {id} is declared twice")
    check = Check(id, severity, description, reference, relaxed)
    _REGISTRY[id] = check
    _DECLARED_IN[id] = module
    return check


def _order(check: Check) -> tuple[int, int]:
    return AREAS.index(check.area), CHECK_MODULES.index(_DECLARED_IN[check.id])


def all_checks() -> list[Check]:
    """Every declared check: by area, then in the order of CHECK_MODULES and of each declaration."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    # sorted() is stable: checks of one module keep the order in which the module declares them.
    return sorted(_REGISTRY.values(), key=_order)


def get_check(check_id: str) -> Check:
    """The check with this id; ``KeyError`` names it when unknown."""
    if check_id not in _REGISTRY:
        all_checks()
    return _REGISTRY[check_id]
