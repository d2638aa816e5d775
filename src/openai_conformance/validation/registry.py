"""The check registry: every rule of the suite, declared by the function that judges it.

A check is a function that judges one rule, decorated with :func:`check` (its id, default
severity and the request parameters it verifies). Its docstring is the rule's documentation: the
first paragraph describes the rule, and the fields ``Reference:`` (the spec text or documented
behaviour it enforces), ``Why:`` (the reason for its severity) and ``Relaxed:`` (when it speaks as
a warning) give the rest, each up to a blank line or the next field. The decorated function becomes
the :class:`Rule` — called as before, and the one maker of its violations::

    @check("stream.done", "error")
    def done(stream: ParsedStream) -> Iterator[Violation]:
        '''The stream ends with `data: [DONE]`.

        Reference: the streaming guide: the stream is terminated by a `data: [DONE]` message
        Why: the server writes the sentinel after the model stopped
        '''
        if …:
            yield done.violation("…", pointer)

A rule that speaks as a warning in some situations says when (``Relaxed:``) and passes
``warning=True`` from the one function that decides it. A function that judges an answer in parts
(``check_stream``, ``check_semantics``) calls the rules in turn; a rule may be called from several
places, and any code may build its violations (``done.violation(…)``). ``openai-conformance
checks``, the catalogue and the README's list are read from here; nothing else makes a
:class:`Violation`.

:func:`register` is the same declaration as data (``NAME = register(id, severity, description,
reference, why=…)``), for a family of rules that one reading of an answer tells apart as it goes
and that no one function each judges: the schema validator's translation of openapi-core's
errors (schema.py), the reader of the Responses item events (responses_items.py), the proxy's
walk of two JSON answers (proxy/fields.py).

**The severity policy.** A rule is an *error* where the spec or OpenAI's documentation makes it a
must and no real model could legitimately do otherwise; it is a *warning* where a model could (a
model may write bad JSON without ``strict``, stop early, or answer two calls differently). Every
declaration says which (``Why:``, ``why=`` for :func:`register`): for an error, why a correct server cannot break the rule; for a
warning, what a correct server may do that breaks it. :func:`policy_gaps` lists the declarations
that do not, and the tests hold it empty. ``--fail-on warning`` makes warnings fail a run too.

**Parameters.** The principle of the catalogue: every request parameter of an inference operation
whose effect is visible in the answer is honoured or refused with a 4xx, never silently ignored. A
check names the parameters it verifies (``parameters=(Parameter(operation, name, how), …)``); a
parameter whose effect one answer cannot show is declared with :func:`unchecked`, saying why.
:func:`parameters_of` is the table ``docs/checks.md`` prints for each operation.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, ParamSpec, TypeVar

from openai_conformance.validation.violations import Severity, Violation

__all__ = [
    "AREAS",
    "CHECK_MODULES",
    "INFERENCE_OPERATIONS",
    "Check",
    "Parameter",
    "ParameterRow",
    "Rule",
    "Unchecked",
    "all_checks",
    "check",
    "get_check",
    "parameters_of",
    "policy_gaps",
    "register",
    "unchecked",
]

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
    "openai_conformance.validation.semantics.logprobs",
    "openai_conformance.validation.semantics.stop",
    "openai_conformance.validation.semantics.tools",
    "openai_conformance.validation.semantics.chat",
    "openai_conformance.validation.semantics.completions",
    "openai_conformance.validation.semantics.embeddings",
    "openai_conformance.validation.semantics.moderations",
    "openai_conformance.validation.semantics.images",
    "openai_conformance.validation.semantics.audio",
    "openai_conformance.validation.semantics.answers",
    "openai_conformance.scenarios.errors",
    "openai_conformance.scenarios.auth",
    "openai_conformance.scenarios.state",
    "openai_conformance.scenarios.chat",
    "openai_conformance.scenarios.chat_streams",
    "openai_conformance.scenarios.completions",
    "openai_conformance.scenarios.responses",
    "openai_conformance.capabilities",
    "openai_conformance.runner.health",
    "openai_conformance.validation.proxy.answers",
    "openai_conformance.validation.proxy.fields",
    "openai_conformance.validation.proxy.streams",
    "openai_conformance.validation.proxy.verdicts",
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
    "proxy",
    "upstream",
)

#: The operations whose answers a model writes: the catalogue lists each one's parameters.
INFERENCE_OPERATIONS: tuple[str, ...] = (
    "createChatCompletion",
    "createCompletion",
    "createEmbedding",
    "createModeration",
    "createImage",
    "createImageEdit",
    "createImageVariation",
    "createSpeech",
    "createTranscription",
    "createTranslation",
)

P = ParamSpec("P")
R = TypeVar("R")

_ID = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")
_REGISTRY: dict[str, Check] = {}
_DECLARED_IN: dict[str, str] = {}  # check id → the module that declared it
_UNCHECKED: list[Unchecked] = []


@dataclass(frozen=True, slots=True)
class Parameter:
    """A request parameter a check verifies is honoured, and how the answer shows it."""

    operation: str  # operationId
    name: str  # the body field, e.g. "n" or "response_format.json_schema.strict"
    how: str  # what the answer must show


@dataclass(frozen=True, slots=True)
class Unchecked:
    """Request parameters of an operation that no check verifies, and why none can."""

    operation: str
    names: tuple[str, ...]
    why: str


@dataclass(frozen=True, slots=True)
class Check:
    """One rule the suite enforces: a stable id, a default severity, what it enforces and why."""

    id: str
    severity: Severity
    description: str
    reference: str  # the spec text or documented API behaviour the rule enforces
    relaxed: str = ""  # when the rule speaks as a warning instead of its default severity
    why: str = ""  # error: why a correct server cannot break it; warning: what a correct server may do
    parameters: tuple[Parameter, ...] = ()  # the request parameters it verifies are honoured

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


@dataclass(frozen=True, slots=True)
class Rule(Check, Generic[P, R]):
    """A check and the function that judges it: calling the rule calls the function."""

    judge: Callable[P, R] = field(kw_only=True, repr=False, compare=False)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.judge(*args, **kwargs)


def _declaring_module() -> str:
    """The module whose top level called :func:`register` (two frames up)."""
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame is not None and frame.f_back is not None else None
    return str(caller.f_globals.get("__name__", "")) if caller is not None else ""


def _declare(check: Check, module: str) -> None:
    """Hold ``check`` to the registry's guarantees and record it as declared by ``module``."""
    if not _ID.match(check.id):
        raise ValueError(f"check id {check.id!r} is not of the form area.rule (lower case)")
    if check.area not in AREAS:
        raise ValueError(f"check {check.id}: its area is none of {', '.join(AREAS)}")
    if check.severity not in ("error", "warning"):
        raise ValueError(f"check {check.id}: severity must be 'error' or 'warning', not {check.severity!r}")
    if module not in CHECK_MODULES:
        raise ValueError(f"check {check.id} is declared in {module}, which CHECK_MODULES does not list")
    if check.id in _REGISTRY:
        raise ValueError(f"check {check.id} is declared twice")
    _REGISTRY[check.id] = check
    _DECLARED_IN[check.id] = module


#: The fields of a check's docstring after its description, and the declaration's names for them.
_FIELDS = {"Reference": "reference", "Why": "why", "Relaxed": "relaxed"}
_FIELD = re.compile(rf"^({'|'.join(_FIELDS)}): ")


def _documented(function: Callable[..., object]) -> dict[str, str]:
    """A check's docstring read: its first paragraph (``description``) and its fields, each on one line."""
    lines = (inspect.getdoc(function) or "").splitlines()
    blank = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    found = {"description": " ".join(lines[:blank])}
    field = ""
    for line in lines[blank:]:
        if match := _FIELD.match(line):
            field = _FIELDS[match[1]]
            found[field] = line[match.end() :]
        elif not line.strip():
            field = ""
        elif field:
            found[field] += " " + line
    return {name: " ".join(text.split()) for name, text in found.items()}


def check(
    id: str, severity: Severity, *, parameters: tuple[Parameter, ...] = ()
) -> Callable[[Callable[P, R]], Rule[P, R]]:
    """Declare the check the decorated function judges; its docstring documents it (see the module's).

    Ids are unique ``area.rule`` strings (a public contract: reports name them). Only the modules of
    :data:`CHECK_MODULES` may declare checks: a check declared elsewhere would be missing from
    ``openai-conformance checks`` until something happened to import its module. ``parameters``
    names the request parameters whose effect the check verifies.
    """

    def declare(function: Callable[P, R]) -> Rule[P, R]:
        doc = _documented(function)
        if not doc["description"] or not doc.get("reference"):
            raise ValueError(
                f"check {id}: the docstring of {function.__qualname__} gives no description or no Reference:"
            )
        rule = Rule(
            id,
            severity,
            doc["description"],
            doc["reference"],
            doc.get("relaxed", ""),
            doc.get("why", ""),
            tuple(parameters),
            judge=function,
        )
        _declare(rule, function.__module__)
        return rule

    return declare


def register(
    id: str,
    severity: Severity,
    description: str,
    reference: str,
    *,
    relaxed: str = "",
    why: str = "",
    parameters: tuple[Parameter, ...] = (),
) -> Check:
    """Declare a check that no one function judges (made from data); otherwise see :func:`check`."""
    declared = Check(id, severity, description, reference, relaxed, why.strip(), tuple(parameters))
    _declare(declared, _declaring_module())
    return declared


def unchecked(operation: str, names: tuple[str, ...], why: str) -> None:
    """Declare request parameters of an inference operation that no check can verify, and why."""
    module = _declaring_module()
    if module not in CHECK_MODULES:
        raise ValueError(
            f"parameters of {operation} are declared in {module}, which CHECK_MODULES does not list"
        )
    if operation not in INFERENCE_OPERATIONS:
        raise ValueError(f"{operation} is not an inference operation")
    if not names or not why.strip():
        raise ValueError(f"unchecked parameters of {operation} need names and a reason")
    _UNCHECKED.append(Unchecked(operation, tuple(names), why.strip()))


def policy_gaps() -> list[str]:
    """The declarations that break the severity policy, each in a sentence (none, in this project)."""
    gaps = []
    for check in all_checks():
        if not check.why:
            kind = (
                "why a correct server cannot break it"
                if check.severity == "error"
                else ("what a correct server may do that breaks it")
            )
            gaps.append(f"{check.id} ({check.severity}) does not say {kind}")
        if check.relaxed and check.severity != "error":
            gaps.append(f"{check.id} is a warning already: `relaxed` says nothing")
        for parameter in check.parameters:
            if parameter.operation not in INFERENCE_OPERATIONS:
                gaps.append(
                    f"{check.id} names a parameter of {parameter.operation}, not an inference operation"
                )
    return gaps


@dataclass(frozen=True, slots=True)
class ParameterRow:
    """One line of an operation's parameter table: the checks that verify it, or why none does."""

    name: str
    checks: tuple[tuple[str, str], ...] = ()  # (check id, how)
    unchecked: str = ""  # why no check can verify it


def parameters_of(operation: str) -> list[ParameterRow]:
    """The parameters of ``operation`` the registry speaks of, by name: checked ones and the rest."""
    rows: dict[str, ParameterRow] = {}
    for check in all_checks():
        for parameter in check.parameters:
            if parameter.operation == operation:
                row = rows.get(parameter.name, ParameterRow(parameter.name))
                rows[parameter.name] = ParameterRow(
                    row.name, (*row.checks, (check.id, parameter.how)), row.unchecked
                )
    for entry in _UNCHECKED:
        if entry.operation == operation:
            for name in entry.names:
                row = rows.get(name, ParameterRow(name))
                rows[name] = ParameterRow(name, row.checks, entry.why)
    return [rows[name] for name in sorted(rows)]


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
