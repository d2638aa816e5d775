"""The operations of a contract, and the user's selection of them."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Operation", "iter_operations", "select_operations"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec."""

    method: str  # lower case, as in the spec
    path: str
    operation_id: str
    tags: tuple[str, ...]
    request_media_types: tuple[str, ...]
    has_path_parameters: bool
    has_query_parameters: bool = False

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def streams(self) -> bool:
        """Whether the operation can answer with a server-sent event stream (`stream: true`)."""
        return self.operation_id in ("createChatCompletion", "createCompletion")


def _media_types(operation: dict[str, Any]) -> tuple[str, ...]:
    body = operation.get("requestBody") or {}
    return tuple((body.get("content") or {}).keys())


def iter_operations(document: dict[str, Any]) -> Iterable[Operation]:
    """Every operation of the spec, in document order."""
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            yield Operation(
                method=method,
                path=path,
                operation_id=str(operation.get("operationId") or f"{method} {path}"),
                tags=tuple(str(tag) for tag in operation.get("tags") or ()),
                request_media_types=_media_types(operation),
                has_path_parameters="{" in path,
                has_query_parameters=any(
                    isinstance(p, dict) and p.get("in") == "query"
                    for p in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
                ),
            )


def _matches(operation: Operation, pattern: str) -> bool:
    """A pattern names a tag, an operationId, or a path (glob), optionally prefixed by a method."""
    lowered = pattern.lower()
    if lowered in (tag.lower() for tag in operation.tags) or pattern == operation.operation_id:
        return True
    method, _, rest = pattern.partition(" ")
    if rest and method.lower() in _METHODS:
        return method.lower() == operation.method and _path_matches(operation.path, rest)
    return _path_matches(operation.path, pattern)


def _path_matches(path: str, pattern: str) -> bool:
    if not pattern.startswith("/"):
        return False
    if fnmatch.fnmatchcase(path, pattern):
        return True
    try:
        return re.fullmatch(pattern, path) is not None
    except re.error:
        return False


def select_operations(
    operations: Iterable[Operation], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Operation]:
    """Those operations that match an ``include`` pattern (all when none is given) and no ``exclude``."""
    return [
        op
        for op in operations
        if (not include or any(_matches(op, p) for p in include))
        and not any(_matches(op, p) for p in exclude)
    ]
