"""Ids the target made, fed into later requests, so that generated requests reach the success path.

Every success answer is read for the resources it shows (a create's new object, a list's items, any
object whose ``object`` names a kind of openapi/resources.py); their ids go into a pool, under their
parents. Before a generated request is sent, the ids it names (path parameters, body and query
fields) are replaced by ids from the pool: three requests in four; the fourth keeps the ids it was
drawn with, so the target's answer for an unknown id (404 with the error envelope) is still judged.

When the pool lacks a kind (the operation that makes it runs later, or in another worker, or the
request is the first of its kind), one is made on the spot: listed under its parent, or created with
a request the create operation answered with an id before (else one drawn for it, the same seed
giving the same requests). Such setup requests are sent but not judged here: the create operation's
own requests are. An operation that consumes its resource (a delete, a cancel) gets a dedicated one,
so nothing another operation still needs is deleted. Every miss is kept with its reason, which the
report gives for an operation that never reached a success answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from openai_conformance.errors import TransportError
from openai_conformance.generation.request import GeneratedCase
from openai_conformance.openapi.operations import Operation
from openai_conformance.openapi.resources import Kind, ResourceGraph
from openai_conformance.runner.pool import Entry, Pool, any_field, format_path, is_ids, path_args

if TYPE_CHECKING:
    from openai_conformance.runner.operation import OperationRunner
    from openai_conformance.transport.exchange import Exchange

__all__ = ["RANDOM_SHARE", "Coverage", "Resources"]

RANDOM_SHARE = 4  # one request in this many keeps the ids it was drawn with
_SETUP_TRIES = 3  # requests tried to make one resource of a kind
_LIST_PARENTS = 3  # parents whose lists are asked for a resource of a kind
_UNKNOWN = "every request named an unknown id"


@dataclass(slots=True)
class Coverage:
    """What became of one operation's requests that name a resource."""

    filled: int = 0  # sent with ids the target made
    kept: int = 0  # sent with the ids they were drawn with
    misses: list[str] = field(default_factory=list)  # why ids could not be found, de-duplicated

    def miss(self, reason: str) -> None:
        if reason not in self.misses:
            self.misses.append(reason)


class Resources:
    """The pool of one process's target, and the requests that fill it."""

    def __init__(self, graph: ResourceGraph, runner: OperationRunner) -> None:
        self.graph = graph
        self._runner = runner
        self._pool = Pool(graph)
        self._recipes: dict[str, GeneratedCase] = {}  # per kind: a create request that made one
        self._tried: dict[str, list[GeneratedCase]] = {}  # per kind: the first create requests sent
        self._failed: dict[str, str] = {}  # per kind: why none could be made (not asked again)
        self._making: set[str] = set()
        self._lock = threading.RLock()
        self._operation: Operation | None = None
        self._index = 0
        self._dedicated: dict[str, Entry | str] = {}
        self.coverage = Coverage()

    # -- one operation -----------------------------------------------------------------------------
    def begin(self, operation: Operation) -> None:
        self._operation, self._index, self._dedicated = operation, 0, {}
        self.coverage = Coverage()

    def unreached_reason(self) -> str | None:
        """Why the operation may have got no success answer, as far as ids go (None: not for want of ids)."""
        coverage = self.coverage
        if coverage.misses:
            return coverage.misses[0]
        if coverage.kept and not coverage.filled:
            return _UNKNOWN
        return None

    def fill(self, case: GeneratedCase) -> GeneratedCase:
        """``case`` with the ids it names replaced by the target's own (most requests), or as drawn."""
        operation = self._operation
        if operation is None or self._runner.config.negative or not self._names_ids(operation, case):
            return case
        index, self._index = self._index, self._index + 1
        if index % RANDOM_SHARE == 1:
            self.coverage.kept += 1
            return case
        made = self.graph.creates(operation)
        # What a create under a parent names (a vector store's file) is made anew for it: naming one
        # that another request added already would be a conflict (409), not a success.
        fresh = made is not None and bool(made.parents)
        with self._lock:
            filled = self._substitute(operation, case, dedicated=self.graph.consumes(operation), fresh=fresh)
        if isinstance(filled, str):
            self.coverage.miss(filled)
            self.coverage.kept += 1
            return case
        self.coverage.filled += 1
        return filled

    def capture(self, operation: Operation, exchange: Exchange, case: GeneratedCase | None = None) -> None:
        """Keep the resources a success answer shows (a consuming operation's answer removes its own);
        a create request that made one is kept to make more (``case``: the request as sent)."""
        made = self.graph.creates(operation)
        if case is not None and made is not None:  # the very requests drawing would give again
            with self._lock:
                tried = self._tried.setdefault(made.key, [])
                if len(tried) < _SETUP_TRIES:
                    tried.append(case)
        args = path_args(operation.path, exchange.request.path)
        slots = self.graph.slots(operation)
        values = tuple(args.get(slot.param, "") for slot in slots)
        if exchange.status == 404 and slots:
            with self._lock:  # the target does not know it (any more): not to be named again
                self._pool.remove(slots[-1].kind, Entry(values[-1], values[:-1]))
        if not 200 <= exchange.status < 300:
            return
        if made is not None and case is not None and not made.keeps(case.body):
            return  # made, but not stored: nothing of it can be fetched again
        with self._lock:
            if self.graph.consumes(operation):
                if slots:
                    self._pool.remove(slots[-1].kind, Entry(values[-1], values[:-1]))
                return
            try:
                body = exchange.json()
            except ValueError:
                return
            for key in self._pool.take(operation, body, values):
                self._failed.pop(key, None)
            if case is not None and made is not None and made.made_id(body) is not None:
                self._recipes.setdefault(made.key, case)

    # -- filling a request -------------------------------------------------------------------------
    def _names_ids(self, operation: Operation, case: GeneratedCase) -> bool:
        graph = self.graph
        return bool(graph.slots(operation)) or any_field(graph, case.body) or any_field(graph, case.query)

    def _substitute(
        self,
        operation: Operation,
        case: GeneratedCase,
        *,
        dedicated: bool = False,
        bound: tuple[str, ...] | None = None,
        fresh: bool = False,
    ) -> GeneratedCase | str:
        """``case`` naming the target's ids, or why it cannot (``fresh``: new ones in its fields)."""
        slots = self.graph.slots(operation)
        values: tuple[str, ...] = ()
        if bound is not None:
            values = bound
        elif slots:
            deepest = slots[-1].kind
            entry = self._dedicated_one(deepest) if dedicated else self.ensure(deepest)
            if isinstance(entry, str):
                return entry
            values = (*entry.parents, entry.id)
        if len(values) != len(slots):
            return _UNKNOWN
        bindings = {slot.kind: value for slot, value in zip(slots, values, strict=True)}
        try:
            body = self._fields(case.body, bindings, fresh)
            query = self._fields(case.query, bindings, fresh)
        except _Missing as exc:
            return exc.reason
        args = path_args(operation.path, case.path)
        args.update({slot.param: value for slot, value in zip(slots, values, strict=True)})
        path = format_path(operation.path, args)
        return replace(case, path=path, body=body, query=query if isinstance(query, dict) else case.query)

    def _fields(self, node: Any, bindings: dict[str, str], fresh: bool = False) -> Any:
        if isinstance(node, dict):
            result = {}
            for name, value in node.items():
                key = self.graph.field_kind(str(name))
                if key is not None and is_ids(value):
                    result[name] = self._field_value(key, value, bindings, fresh)
                else:
                    result[name] = self._fields(value, bindings, fresh)
            return result
        if isinstance(node, list):
            return [self._fields(item, bindings, fresh) for item in node]
        return node

    def _field_value(self, key: str, value: Any, bindings: dict[str, str], fresh: bool) -> Any:
        kind = self.graph.kinds[key]
        parents = None
        if kind.parents:
            if not all(p in bindings for p in kind.parents):
                return value  # names a resource under parents this request does not name
            parents = tuple(bindings[p] for p in kind.parents)
        # Requests take turns among the pool's ids: a create naming the one another create just used
        # would be a conflict (a vector store's file), not a success.
        entry = self._pool.pick(key, parents, self._index) or self.ensure(key, parents)
        if fresh and kind.create is not None and not isinstance(entry, str):
            entry = self._create(kind, entry.parents)  # one no other request has named
        if isinstance(entry, str):
            raise _Missing(entry)
        return entry.id if isinstance(value, str) else [entry.id]

    # -- making resources --------------------------------------------------------------------------
    def ensure(self, key: str, parents: tuple[str, ...] | None = None) -> Entry | str:
        """A resource of kind ``key`` (under ``parents``) from the pool, listed or made; or why none."""
        found = self._pool.pick(key, parents)
        if found is not None:
            return found
        if key in self._failed and parents is None:
            return self._failed[key]
        if key in self._making:
            return _UNKNOWN
        self._making.add(key)
        try:
            result = self._find_or_make(self.graph.kinds[key], parents)
        finally:
            self._making.discard(key)
        if isinstance(result, str):
            if parents is None:
                self._failed[key] = result
            return result
        self._pool.add(key, result)
        self._failed.pop(key, None)
        return result

    def _parents_for(self, kind: Kind, parents: tuple[str, ...] | None) -> list[tuple[str, ...]] | str:
        if parents is not None or not kind.parents:
            return [parents or ()]
        parent = self.ensure(kind.parents[-1])
        if isinstance(parent, str):  # none to be had: the parents of those of its kind the run saw
            seen = [e.parents for e in reversed(self._pool.entries.get(kind.key, []))]
            return seen[:1] or parent
        # The newest parents, and the oldest (made before the run: it may have children already).
        chains = [(*e.parents, e.id) for e in reversed(self._pool.entries.get(kind.parents[-1], []))]
        chains = list(dict.fromkeys([*chains[: _LIST_PARENTS - 1], *chains[-1:]]))
        return chains or [(*parent.parents, parent.id)]

    def _find_or_make(self, kind: Kind, parents: tuple[str, ...] | None) -> Entry | str:
        chains = self._parents_for(kind, parents)
        if isinstance(chains, str):
            return chains
        reason = f"no operation creates or lists a {kind.label}: {_UNKNOWN}"
        if kind.lister is not None:
            for chain in chains:
                self._setup(kind.lister, GeneratedCase("GET", kind.lister.path, {}, {}, None, None), chain)
                found = self._pool.pick(kind.key, chain)
                if found is not None:
                    return found
            reason = f"{kind.lister.label} listed none: {_UNKNOWN}"
        if kind.create is not None:
            return self._create(kind, chains[0])
        return reason

    def _dedicated_one(self, key: str) -> Entry | str:
        """A resource of kind ``key`` for this operation alone (it will delete or finish it)."""
        if key not in self._dedicated:
            kind = self.graph.kinds[key]
            made: Entry | str
            if kind.create is None:  # nothing makes one: take one of the pool's (it leaves the pool)
                made = self.ensure(key)
            else:
                # A cancel is answered 2xx only for what runs in the background (a response made
                # with `background: true`); anything else finished at once and cannot be cancelled.
                cancel = self._operation is not None and self.graph.cancels(self._operation)
                chains = self._parents_for(kind, None)
                made = (
                    chains
                    if isinstance(chains, str)
                    else self._create(kind, chains[0], background=cancel and kind.background)
                )
            self._dedicated[key] = made
        return self._dedicated[key]

    def _create(self, kind: Kind, parents: tuple[str, ...], *, background: bool = False) -> Entry | str:
        create = kind.create
        assert create is not None
        recipe = self._recipes.get(kind.key)
        cases = (
            [recipe]
            if recipe is not None
            else self._tried.get(kind.key) or self._runner.source.setup_cases(create, _SETUP_TRIES)
        )
        reason = f"its create operation ({create.label}) could not be drawn: {_UNKNOWN}"
        fresh = False
        for case in [*cases[:_SETUP_TRIES], *cases[:1]]:
            if background and isinstance(case.body, dict):
                case = replace(case, body={**case.body, "background": True})
            answer = self._setup(create, case, parents, fresh=fresh)
            if isinstance(answer, str):
                return answer
            exchange, sent = answer
            if self._runner.no_route.matches(exchange):
                return f"the create operation it needs ({create.label}) is unsupported"
            if not 200 <= exchange.status < 300:
                reason = f"its create ({create.label}) answered {exchange.status}"
                if exchange.status == 409 and not fresh:  # what it names is taken: once more, with new ones
                    fresh, parents = True, self._fresh_parents(kind, parents)
                continue
            try:
                made = kind.made_id(exchange.json())
            except ValueError:
                made = None
            if made is None:
                return f"its create ({create.label}) answered without an id"
            if not background:  # (what others are made with runs at once)
                self._recipes[kind.key] = sent
            return Entry(made, parents)
        return reason

    def _fresh_parents(self, kind: Kind, parents: tuple[str, ...]) -> tuple[str, ...]:
        """``parents`` with a new last parent, where one can be made."""
        if not kind.parents or self.graph.kinds[kind.parents[-1]].create is None:
            return parents
        made = self._create(self.graph.kinds[kind.parents[-1]], parents[:-1])
        return parents if isinstance(made, str) else (*made.parents, made.id)

    def _setup(
        self, operation: Operation, case: GeneratedCase, parents: tuple[str, ...], *, fresh: bool = False
    ) -> tuple[Exchange, GeneratedCase] | str:
        """Send one setup request (its ids filled, its parents ``parents``); keep what it shows."""
        runner = self._runner
        if runner.budget.past():
            return "the run's time budget ran out before its resources were made"
        filled = self._substitute(operation, case, bound=parents, fresh=fresh)
        if isinstance(filled, str):
            return filled
        made = self.graph.creates(operation)
        if made is not None and made.stored and isinstance(filled.body, dict):
            filled = replace(filled, body={**filled.body, "store": True})  # else it cannot be fetched
        try:
            exchange = runner.transport.send(runner.request_of(operation, filled))
        except TransportError as exc:
            return f"{operation.label} got no answer: {exc.message}"
        if not self.graph.creates(operation):
            self.capture(operation, exchange)
        return exchange, filled


class _Missing(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
