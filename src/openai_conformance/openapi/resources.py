"""The resources of a spec: which operation creates, lists or consumes what, and which names refer to one.

Derived from the paths and the success schemas alone:

- a *kind* of resource is a collection path (``/files``, ``/threads/{thread_id}/messages``) that some
  path continues with ``/{id}``, or one a ``POST`` answers a new kind of object for
  (``/uploads/{upload_id}/parts`` → ``upload.part``); its key writes every parameter as ``{}``;
- a path parameter names the kind of the path before it (``run_id`` in
  ``/threads/{thread_id}/runs/{run_id}/steps`` names a run of a thread);
- a body or query field names a kind by the last word of its object name (``file_id``, ``file_ids``,
  ``assistant_id``, ``part_ids``), by the kind's own path parameter (``vector_store_ids``,
  ``fine_tuning_job_id``), or as a file (``input_file_id``, ``training_file``); where two kinds share a
  name, the one with the fewest parents wins (``file_id`` in a body names a file, not a vector store's);
- an operation *consumes* its resource when it deletes it or moves it on for good: a ``DELETE``, or a
  ``POST`` to ``{id}/<verb>`` that answers the object itself (``cancel``, ``complete``, ``archive``).

Model ids are left to generation/models.py (the target's own list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.openapi.operations import Operation

__all__ = ["Kind", "ResourceGraph", "Slot", "kind_key"]

_PARAM = re.compile(r"\{([^}/]+)\}")
_NOT_RESOURCES = frozenset({"model"})  # the target's served models stand in for these


def kind_key(template: str) -> str:
    """A path template with every parameter written ``{}``: ``/threads/{}/runs``."""
    return _PARAM.sub("{}", template)


@dataclass(slots=True)
class Kind:
    """One kind of resource: where it lives, what makes it and what lists it."""

    key: str  # "/threads/{}/messages"
    collection: str  # a template of it: "/threads/{thread_id}/messages"
    parents: tuple[str, ...]  # the keys of the kinds it lives under, outermost first
    parent_params: tuple[str, ...]  # the names of those parameters in ``collection``
    object: str = ""  # the object name its answers carry: "thread.message"
    create: Operation | None = None
    lister: Operation | None = None
    id_param: str = ""  # the path parameter that names one: "message_id"
    stored: bool = False  # its create takes a `store` flag: only what is stored can be fetched again
    stored_by_default: bool = False  # what the spec says an absent (or null) `store` means
    background: bool = False  # its create takes a `background` flag: only those can be cancelled

    def made_id(self, body: Any) -> str | None:
        """The id of what a create answered: its own ``id``, that of the object named like the kind's
        parameter (``role`` for ``role_id``), or that of the first item of a list it answered."""
        if not isinstance(body, dict):
            return None
        stem = self.id_param.removesuffix("_id")
        data = body.get("data")
        for candidate in (body, body.get(stem), data[0] if isinstance(data, list) and data else None):
            if isinstance(candidate, dict) and isinstance(candidate.get("id"), str) and candidate["id"]:
                return str(candidate["id"])
        return None

    def keeps(self, body: Any) -> bool:
        """Whether a create request with ``body`` makes one that can be fetched again (a chat
        completion only with ``store: true``; a response unless ``store: false``)."""
        if not self.stored:
            return True
        value = body.get("store") if isinstance(body, dict) else None
        return self.stored_by_default if value is None else value is True

    @property
    def label(self) -> str:
        return self.object or self.key


@dataclass(frozen=True, slots=True)
class Slot:
    """A path parameter that names a resource."""

    param: str
    kind: str  # its kind's key


@dataclass(slots=True)
class ResourceGraph:
    """The kinds of a spec and how its operations refer to them."""

    kinds: dict[str, Kind] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # body/query field name → kind key
    by_object: dict[str, str] = field(default_factory=dict)  # object name → kind key
    _consumers: set[tuple[str, str]] = field(default_factory=set)
    _cancels: set[tuple[str, str]] = field(default_factory=set)  # the consumers that cancel theirs

    @classmethod
    def from_document(cls, document: dict[str, Any], operations: Sequence[Operation]) -> ResourceGraph:
        graph = cls()
        objects = {(op.method, op.path): _object_name(document, op) for op in operations}
        collections = {_collection_of(op.path) for op in operations} - {None}
        for op in operations:
            for prefix in _param_prefixes(op.path):
                graph._kind(prefix)
        for collection in collections:
            assert collection is not None
            graph._kind(collection)
        derived = set(graph.kinds)
        for op in operations:
            if op.method == "post":
                graph._kind(op.path)  # a candidate: kept below when it answers a new kind of object
        for op in operations:
            key = kind_key(op.path)
            kind = graph.kinds.get(key)
            if kind is None:
                continue
            if op.method == "post" and kind.create is None:
                kind.create = op
                properties = _request_properties(document, op)
                store = properties.get("store")
                kind.stored = store is not None
                kind.background = "background" in properties
                kind.stored_by_default = _default(document, store) is True
            if op.method == "get" and kind.lister is None:
                kind.lister = op
        for kind in graph.kinds.values():
            item_object = ""
            for op in operations:
                if _collection_of(op.path) == kind.collection:
                    kind.id_param = kind.id_param or op.path.rsplit("{", 1)[1].rstrip("}")
                    if op.method == "get":
                        item_object = objects[(op.method, op.path)]
            kind.object = item_object or (objects[("post", kind.create.path)] if kind.create else "")
        # A POST-only collection is a kind only when it answers a new kind of object.
        known = {graph.kinds[key].object for key in derived}
        for key in set(graph.kinds) - derived:
            kind = graph.kinds[key]
            if kind.create is None or not kind.object or kind.object in known:
                del graph.kinds[key]
        graph._index(operations, objects)
        return graph

    def _kind(self, collection: str) -> None:
        key = kind_key(collection)
        if key in self.kinds or not collection or collection.endswith("}"):
            return
        params = tuple(_PARAM.findall(collection))
        prefixes = [collection[: m.start()].rstrip("/") for m in _PARAM.finditer(collection)]
        self.kinds[key] = Kind(key, collection, tuple(kind_key(p) for p in prefixes), params)

    def _index(self, operations: Sequence[Operation], objects: dict[tuple[str, str], str]) -> None:
        names: dict[str, list[Kind]] = {}
        claims: dict[str, list[str]] = {}
        for kind in self.kinds.values():
            if kind.object:
                claims.setdefault(kind.object, []).append(kind.key)
                last = kind.object.rsplit(".", 1)[-1]
                for name in (f"{last}_id", f"{last}_ids"):
                    names.setdefault(name, []).append(kind)
        # An object names its kind only when one kind alone answers it: f85dbe2's organization roles
        # and project roles are both `role`, and neither's id names the other.
        self.by_object.update({name: keys[0] for name, keys in claims.items() if len(keys) == 1})
        for op in operations:
            for slot in self.slots(op):
                for name in (slot.param, f"{slot.param}s"):
                    names.setdefault(name, []).append(self.kinds[slot.kind])
        for name, found in names.items():
            self.fields[name] = min(found, key=lambda k: len(k.parents)).key
        for op in operations:
            slots = self.slots(op)
            route = op.path.split("?", 1)[0]  # (f85dbe2's `/responses/{id}/cancel?beta=true`)
            if op.method == "delete" and route.endswith("}"):
                self._consumers.add((op.method, op.path))  # a model too, though the target names those
            if not slots:
                continue
            own = self.kinds[slots[-1].kind]
            verb = route.rsplit("/", 1)[-1]
            acts = op.method == "post" and route.endswith("}/" + verb) and "{" not in verb
            if acts and objects[(op.method, op.path)] == own.object and own.object:
                self._consumers.add((op.method, op.path))
                if verb == "cancel":
                    self._cancels.add((op.method, op.path))

    # -- what an operation refers to -----------------------------------------------------------------
    def slots(self, operation: Operation) -> tuple[Slot, ...]:
        """The path parameters of ``operation`` that name a resource, outermost first."""
        found = []
        for match in _PARAM.finditer(operation.path):
            name = match.group(1)
            key = kind_key(operation.path[: match.start()].rstrip("/"))
            if name not in _NOT_RESOURCES and key in self.kinds:
                found.append(Slot(name, key))
        return tuple(found)

    def field_kind(self, name: str) -> str | None:
        """The kind a body or query field names, if it names one."""
        key = self.fields.get(name)
        if key is None and (name.endswith("_file_id") or (name.endswith("_file") and name != "_file")):
            key = self.fields.get("file_id")
        return key

    def consumes(self, operation: Operation) -> bool:
        """Whether ``operation`` deletes its resource or moves it on for good."""
        return (operation.method, operation.path) in self._consumers

    def cancels(self, operation: Operation) -> bool:
        """Whether ``operation`` cancels its resource (a 2xx only for one still running)."""
        return (operation.method, operation.path) in self._cancels

    def creates(self, operation: Operation) -> Kind | None:
        kind = self.kinds.get(kind_key(operation.path))
        return kind if kind is not None and kind.create == operation else None

    def lists(self, operation: Operation) -> Kind | None:
        kind = self.kinds.get(kind_key(operation.path))
        return kind if kind is not None and kind.lister == operation else None

    def refers(self, operation: Operation) -> bool:
        """Whether requests of ``operation`` may name a resource (in the path, body or query)."""
        return bool(self.slots(operation))

    def run_order(self, operations: Iterable[Operation]) -> list[Operation]:
        """``operations`` so that what makes resources runs before what uses them, and what consumes
        them runs last, the deepest first (stable: the spec's order otherwise)."""

        def rank(op: Operation) -> tuple[bool, int, bool]:
            depth = len(self.slots(op))
            consumes = self.consumes(op)
            # Creates before the rest of their depth; children consumed before their parents.
            return consumes, -depth if consumes else depth, self.creates(op) is None

        return sorted(operations, key=rank)


def _collection_of(path: str) -> str | None:
    match = re.fullmatch(r"(.*)/\{[^}/]+\}", path)
    return match.group(1) if match else None


def _param_prefixes(path: str) -> list[str]:
    return [path[: m.start()].rstrip("/") for m in _PARAM.finditer(path) if m.group(1) not in _NOT_RESOURCES]


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 20:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node, depth = target, depth + 1
    return node


def _request_properties(document: dict[str, Any], operation: Operation) -> dict[str, Any]:
    """The top-level properties of the JSON request body of ``operation`` (``allOf`` merged): each
    name and its schema."""
    item = (document.get("paths") or {}).get(operation.path) or {}
    body = _resolve(document, (item.get(operation.method) or {}).get("requestBody")) or {}
    content = body.get("content") or {}
    found: dict[str, Any] = {}
    pending = [(content.get("application/json") or {}).get("schema")]
    while pending and len(found) < 500:
        schema = _resolve(document, pending.pop())
        if isinstance(schema, dict):
            for name, value in (schema.get("properties") or {}).items():
                found.setdefault(name, value)
            pending.extend(schema.get("allOf") or ())
    return found


def _default(document: dict[str, Any], schema: Any) -> Any:
    """The ``default`` a property's schema declares, on itself or on a member of its union (3.1's
    ``anyOf: [{type: boolean, default: true}, {type: null}]``); None when it declares none."""
    schema = _resolve(document, schema)
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return schema["default"]
    for member in (*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())):
        member = _resolve(document, member)
        if isinstance(member, dict) and "default" in member:
            return member["default"]
    return None


def _object_name(document: dict[str, Any], operation: Operation) -> str:
    """The ``object`` name the success answer of ``operation`` declares (its enum's only value), or ""."""
    item = (document.get("paths") or {}).get(operation.path) or {}
    responses = ((item.get(operation.method) or {}).get("responses")) or {}
    for status in ("200", "201"):
        content = (_resolve(document, responses.get(status)) or {}).get("content") or {}
        schema = _resolve(document, (content.get("application/json") or {}).get("schema"))
        name = _object_of(document, schema)
        if name:
            return name
    return ""


def _object_of(document: dict[str, Any], schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    props = schema.get("properties")
    if isinstance(props, dict) and "id" in props:
        obj = _resolve(document, props.get("object")) or {}
        values = obj.get("enum") or ([obj["const"]] if "const" in obj else [])
        if len(values) == 1 and isinstance(values[0], str):
            return values[0]
    for member in schema.get("allOf") or ():
        name = _object_of(document, _resolve(document, member))
        if name:
            return name
    return ""
