"""Two JSON answers to the same request, field by field: what the proxy dropped, added or changed.

Ids and timestamps are never compared (each side makes its own), only their presence and type.
What a model generates (content, tool arguments, logprobs, usage counts, finish reasons, image
data, embedding values) is compared only when the upstream is deterministic (the reference
server): a real model writes something else each time. Numbers are compared as numbers (``1`` and
``1.0`` are one value: a proxy that re-serializes may write either; whether the schema wants an
integer is the schema check's to say). A field of the API that a proxy adds is a warning unless it
breaks the schema (verdicts.py decides that); a field the spec does not declare is the proxy's own,
and legal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openai_conformance.validation.registry import Check, register
from openai_conformance.validation.semantics.shared import json_type
from openai_conformance.validation.violations import pointer_from_path

__all__ = [
    "ENVELOPE",
    "FIELD_ADDED",
    "FIELD_DROPPED",
    "NULL_DROPPED",
    "TYPE_CHANGED",
    "VALUE_CHANGED",
    "Difference",
    "diff_json",
    "json_type",
]

FIELD_DROPPED = register(
    "proxy.field_dropped",
    "error",
    "A field the upstream answered with reaches the client through the proxy.",
    "a proxy of the OpenAI API passes on what the API answers; a dropped field is lost to every client",
    relaxed="the field is not one the spec declares (a vendor field of the upstream): a proxy may "
    "answer with the spec's fields only; or the answer is the model catalogue (GET /models): a gateway "
    "lists the models it is configured to serve",
    why="the upstream answered the same request with the field: passing the answer on keeps it",
)
NULL_DROPPED = register(
    "proxy.null_dropped",
    "error",
    "A field the upstream answered with null is not left out by the proxy.",
    "the spec requires nullable fields such as message.refusal, logprobs and a chunk's finish_reason",
    relaxed="the field is optional, so the answer stays valid without it: absent and null mean the same "
    "to most clients",
    why="the upstream answered the same request with the field as null: passing the answer on keeps it",
)
FIELD_ADDED = register(
    "proxy.field_added",
    "error",
    "The proxy adds no field of the API that the upstream did not answer with.",
    "a proxy passes on what the API answers; fields the spec does not declare (a proxy's own metadata) "
    "are legal and not compared",
    relaxed="the answer stays valid for the schema (a null or a value of an optional field): clients "
    "may read it as the upstream's, but nothing breaks",
    why="the upstream did not answer the same request with the field: the proxy added it, and it "
    "breaks the schema",
)
TYPE_CHANGED = register(
    "proxy.type_changed",
    "error",
    "A value keeps the JSON type the upstream gave it (string, number, boolean, object, array).",
    "a proxy passes values on; clients parse them by type",
    why="a value passed on keeps its type: no model chooses how a proxy writes it again",
)
VALUE_CHANGED = register(
    "proxy.value_changed",
    "error",
    "A value that is not generated (object, role, index, status, a finish_reason or usage of a "
    "deterministic upstream, …) is the upstream's.",
    "a proxy passes values on; ids, timestamps and, from a model that is not deterministic, generated "
    "values are not compared",
    relaxed="the model name: a proxy may map the names of models; or the answer is the model catalogue "
    "(GET /models): a gateway describes the models it serves in its own words",
    why="a value no model writes (or, from the deterministic reference server, any value) is the "
    "same for the same request: only the proxy can change it",
)
ENVELOPE = register(
    "proxy.error_envelope",
    "error",
    "An error answer keeps the upstream's error `type`, `code` and `param`.",
    "platform.openai.com/docs/guides/error-codes: clients act on the type and code of an error",
    why="the upstream's error type, code and param for the same request: passing them on involves no model",
)

_IDS = frozenset({"id"})
_TIMES = frozenset({"created", "created_at", "timestamp"})
# Values a model writes: compared only when the upstream is deterministic.
_GENERATED = frozenset(
    {
        "content",
        "text",
        "refusal",
        "arguments",
        "reasoning_content",
        "reasoning",
        "b64_json",
        "url",
        "revised_prompt",
        "embedding",
        "logprobs",
        "top_logprobs",
        "usage",
        "finish_reason",
        "system_fingerprint",
        "tool_calls",
        "function_call",
        "audio",
        "annotations",
        "transcript",
        "flagged",
        "categories",
        "category_scores",
        "category_applied_input_types",
    }
)
# Keys whose very presence depends on what a model chose to write (a tool call, or text).
_CHOSEN = frozenset({"tool_calls", "function_call", "audio", "annotations", "content", "reasoning_content"})


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the proxy's answer differs from the upstream's, at a place of each."""

    check: Check
    message: str
    pointer: str  # into the proxy's answer
    upstream_pointer: str  # into the upstream's
    warning: bool = False  # the difference is one the check's ``relaxed`` allows (unless it breaks a rule)
    field: str = ""  # the member name it is about


def _shown(value: Any, limit: int = 60) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Whether the schema declares the member at a path of the answer (verdicts.py builds one per answer).
Declares = Callable[[list[str | int]], bool]


@dataclass(frozen=True, slots=True)
class _Walk:
    deterministic: bool
    declares: Declares
    error: bool  # an error answer: differences under /error are the envelope's
    prefix: str  # the pointer of the compared values in the proxy's answer (a stream event's)
    upstream_prefix: str


def diff_json(
    proxy: Any,
    upstream: Any,
    *,
    deterministic: bool,
    declares: Declares = lambda path: True,
    error: bool = False,
    prefix: str = "",
    upstream_prefix: str = "",
    skip: frozenset[str] = frozenset(),
    generated: bool = False,
) -> Iterator[Difference]:
    """Every difference between two JSON values (``skip``: top-level members left to the caller;
    ``generated``: the values are a model's, such as a stream's usage)."""
    walk = _Walk(deterministic, declares, error, prefix, upstream_prefix)
    if isinstance(proxy, dict) and isinstance(upstream, dict) and skip:
        proxy = {k: v for k, v in proxy.items() if k not in skip}
        upstream = {k: v for k, v in upstream.items() if k not in skip}
    yield from _diff(walk, proxy, upstream, [], [], generated=generated)


_ENVELOPE_MEMBERS = frozenset({"type", "code", "param"})


def _envelope(walk: _Walk, path: list[str | int]) -> bool:
    """Whether ``path`` is an error envelope's ``type``, ``code`` or ``param`` (proxy.error_envelope's)."""
    return walk.error and len(path) == 2 and path[0] == "error" and path[1] in _ENVELOPE_MEMBERS


def _diff(
    walk: _Walk,
    proxy: Any,
    upstream: Any,
    path: list[str | int],
    upath: list[str | int],
    *,
    generated: bool,
) -> Iterator[Difference]:
    pointer = walk.prefix + pointer_from_path(path)
    upointer = walk.upstream_prefix + pointer_from_path(upath)
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    kinds = json_type(proxy), json_type(upstream)
    if kinds[0] != kinds[1]:
        if "null" in kinds:
            if generated and not walk.deterministic:
                return
            message = (
                f"{pointer or 'the body'} is {_shown(proxy)} through the proxy, {_shown(upstream)} upstream"
            )
            check = ENVELOPE if _envelope(walk, path) else VALUE_CHANGED
            yield Difference(check, message, pointer, upointer, field=key)
            return
        message = f"{pointer or 'the body'} is {kinds[0]} through the proxy, {kinds[1]} upstream"
        retyped = ENVELOPE if _envelope(walk, path) else TYPE_CHANGED
        yield Difference(retyped, message, pointer, upointer, field=key)
        return
    if kinds[0] == "object":
        yield from _diff_object(walk, proxy, upstream, path, upath, generated=generated)
    elif kinds[0] == "array":
        yield from _diff_array(walk, proxy, upstream, path, upath, generated=generated, key=key)
    elif proxy != upstream:
        if key in _IDS or key.endswith(("_id", "_ids")) or key in _TIMES or key.endswith("_at"):
            return
        if walk.error and key == "message":
            return  # an error's wording is the proxy's to choose (many prefix their name)
        written = generated or key in _GENERATED
        if written and not walk.deterministic:
            return  # what a model says differs from one answer to the next
        message = f"{pointer} is {_shown(proxy)} through the proxy, {_shown(upstream)} upstream"
        if _envelope(walk, path):
            yield Difference(ENVELOPE, message, pointer, upointer, field=key)
        else:  # the model's name: a proxy may map the names of models
            yield Difference(VALUE_CHANGED, message, pointer, upointer, warning=key == "model", field=key)


def _diff_object(
    walk: _Walk,
    proxy: dict[str, Any],
    upstream: dict[str, Any],
    path: list[str | int],
    upath: list[str | int],
    *,
    generated: bool,
) -> Iterator[Difference]:
    loose = not walk.deterministic  # a model chooses whether to write text or call a tool
    for name, value in upstream.items():
        inner = generated or name in _GENERATED
        if name in proxy:
            yield from _diff(walk, proxy[name], value, [*path, name], [*upath, name], generated=inner)
            continue
        if loose and name in _CHOSEN:
            continue
        pointer = walk.prefix + pointer_from_path([*path, name])
        upointer = walk.upstream_prefix + pointer_from_path([*upath, name])
        if value is None:
            message = f"{pointer} is null upstream and missing through the proxy"
            if _envelope(walk, [*path, name]):
                yield Difference(ENVELOPE, message, pointer, upointer, field=name)
            else:  # an error where the spec requires the field (verdicts.py: the violation it explains)
                yield Difference(NULL_DROPPED, message, pointer, upointer, warning=True, field=name)
        else:
            message = f"{pointer} ({_shown(value, 40)} upstream) is missing through the proxy"
            if _envelope(walk, [*path, name]):
                yield Difference(ENVELOPE, message, pointer, upointer, field=name)
            else:
                vendor = not walk.declares([*path, name])
                yield Difference(FIELD_DROPPED, message, pointer, upointer, warning=vendor, field=name)
    for name, value in proxy.items():
        if name in upstream or (loose and name in _CHOSEN):
            continue
        if not walk.declares([*path, name]):
            continue  # a vendor field of the proxy's own: legal (whether it breaks the schema is the schema's)
        pointer = walk.prefix + pointer_from_path([*path, name])
        message = (
            f"{pointer} ({_shown(value, 40)}) is added by the proxy: the upstream did not answer with it"
        )
        upointer = walk.upstream_prefix + pointer_from_path(upath)
        yield Difference(FIELD_ADDED, message, pointer, upointer, warning=True, field=name)


def _diff_array(
    walk: _Walk,
    proxy: list[Any],
    upstream: list[Any],
    path: list[str | int],
    upath: list[str | int],
    *,
    generated: bool,
    key: str,
) -> Iterator[Difference]:
    for index, (mine, theirs) in enumerate(zip(proxy, upstream, strict=False)):
        yield from _diff(walk, mine, theirs, [*path, index], [*upath, index], generated=generated)
    if len(proxy) == len(upstream) or (generated and not walk.deterministic and key != "embedding"):
        return
    pointer = walk.prefix + pointer_from_path(path)
    upointer = walk.upstream_prefix + pointer_from_path(upath)
    count = f"{len(proxy)} items through the proxy, {len(upstream)} upstream"
    if len(proxy) < len(upstream):
        lost = walk.prefix + pointer_from_path([*path, len(proxy)])
        message = f"{pointer} has {count}: {lost} and on are missing"
        yield Difference(FIELD_DROPPED, message, lost, upointer, field=key)
    else:
        added = walk.prefix + pointer_from_path([*path, len(upstream)])
        yield Difference(
            FIELD_ADDED, f"{pointer} has {count}: {added} and on are added", added, upointer, field=key
        )
