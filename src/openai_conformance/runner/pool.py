"""The ids a target made, by kind and under their parents, as its success answers showed them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from openai_conformance.openapi.operations import Operation
from openai_conformance.openapi.resources import Kind, ResourceGraph

__all__ = ["Entry", "Pool", "any_field", "format_path", "is_ids", "path_args"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource the target made: its id and the ids of its parents, outermost first."""

    id: str
    parents: tuple[str, ...] = ()


class Pool:
    """Resources by kind, oldest first; not thread-safe on its own (runner/resources.py locks)."""

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self.entries: dict[str, list[Entry]] = {}

    def add(self, key: str, entry: Entry) -> None:
        entries = self.entries.setdefault(key, [])
        if entry in entries:
            entries.remove(entry)
        entries.append(entry)

    def remove(self, key: str, entry: Entry) -> None:
        entries = self.entries.get(key, [])
        if entry in entries:
            entries.remove(entry)

    def pick(self, key: str, parents: tuple[str, ...] | None = None, turn: int = 0) -> Entry | None:
        """The newest resource of ``key`` (under ``parents``); ``turn``: the one that many before it."""
        found = [e for e in self.entries.get(key, []) if parents is None or e.parents == parents]
        return found[-1 - turn % len(found)] if found else None

    def take(self, operation: Operation, body: Any, values: tuple[str, ...]) -> list[str]:
        """Keep what a success answer of ``operation`` shows (``values``: the ids its path named);
        the kinds it added to."""
        if not isinstance(body, dict):
            return []
        added: list[str] = []
        made = self.graph.creates(operation)
        listed = self.graph.lists(operation)
        made_id = made.made_id(body) if made is not None else None
        if made is not None and made_id is not None:
            added += self._keep(made, {**body, "id": made_id}, values, by_path=True)
        data = body.get("data")
        items: list[Any] = data if isinstance(data, list) else []
        for item in items:
            if listed is not None:
                added += self._keep(listed, item, values, by_path=True)
        for obj in [body, *items]:
            name = obj.get("object") if isinstance(obj, dict) else None
            key = self.graph.by_object.get(name) if isinstance(name, str) else None
            if key is not None and self.graph.kinds[key] not in (made, listed):
                added += self._keep(self.graph.kinds[key], obj, values, by_path=False)
        return added

    def _keep(self, kind: Kind, obj: Any, values: tuple[str, ...], *, by_path: bool) -> list[str]:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
            return []
        parents = tuple(obj.get(name) for name in kind.parent_params)
        if not all(isinstance(p, str) and p for p in parents):
            if not by_path or len(values) < len(kind.parents):
                return []
            parents = values[: len(kind.parents)]
        self.add(kind.key, Entry(obj["id"], tuple(str(p) for p in parents)))
        return [kind.key]


def is_ids(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def any_field(graph: ResourceGraph, node: Any) -> bool:
    if isinstance(node, dict):
        return any(
            (graph.field_kind(str(k)) is not None and is_ids(v)) or any_field(graph, v)
            for k, v in node.items()
        )
    if isinstance(node, list):
        return any(any_field(graph, item) for item in node)
    return False


_PARAM = re.compile(r"\{([^}/]+)\}")


def path_args(template: str, path: str) -> dict[str, str]:
    """The path parameters of ``path`` as sent, by the names of ``template``."""
    parts = _PARAM.split(template)  # literal, name, literal, name, …, literal
    pattern = "".join(re.escape(part) if i % 2 == 0 else "([^/]*)" for i, part in enumerate(parts))
    match = re.fullmatch(pattern, path.split("?", 1)[0])
    if match is None:
        return {}
    return {name: unquote(value) for name, value in zip(parts[1::2], match.groups(), strict=True)}


def format_path(template: str, args: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: quote(str(args.get(m.group(1), "")), safe=""), template)
