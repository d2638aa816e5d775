"""The faults switched on in one server, composed at every hook point (see hooks.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Fault
from openai_conformance.server.hooks import StoredObject
from openai_conformance.server.routing import RequestError
from openai_conformance.server.wire import Wire

__all__ = ["FaultSet"]

H = TypeVar("H")


class FaultSet:
    """Some faults, in declaration order; with none, every hook point leaves the server conformant."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self.faults = tuple(faults)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(fault.id for fault in self.faults)

    def _at(self, call: Call | None, point: Callable[[Fault], H | None]) -> list[H]:
        """The hooks of ``point`` of the faults that reach ``call``, in order."""
        return [hook for fault in self.faults if fault.reaches(call) and (hook := point(fault)) is not None]

    def _anywhere(self, point: Callable[[Fault], H | None]) -> list[H]:
        return [hook for fault in self.faults if (hook := point(fault)) is not None]

    # -- called by the pipeline -----------------------------------------------------------------
    def auth(self, call: Call, authorization: str | None, refusal: RequestError) -> RequestError | None:
        answered: RequestError | None = refusal
        for hook in self._at(call, lambda f: f.hooks.get("auth")):
            answered = hook(authorization, refusal)
            if answered is None:
                break
            refusal = answered
        return answered

    def accepts_invalid(self, call: Call, error: RequestError) -> bool:
        return any(hook(error) for hook in self._at(call, lambda f: f.hooks.get("invalid")))

    def request(self, call: Call) -> Call:
        for hook in self._at(call, lambda f: f.hooks.get("request")):
            call = hook(call)
        return call

    def before(self, call: Call) -> None:
        for hook in self._at(call, lambda f: f.hooks.get("before")):
            hook(call)

    def answer(self, call: Call, reply: Reply) -> Reply:
        """``reply`` through the answer hooks (a plain answer) or the events hooks (a stream)."""
        if isinstance(reply, StreamAnswer):
            events = self._at(call, lambda f: f.hooks.get("events"))
            if not events:
                return reply
            chunks = copy.deepcopy(reply.events)
            for hook in events:
                chunks = hook(call, chunks)
            return replace(reply, events=chunks)
        answers = self._at(call, lambda f: f.hooks.get("answer"))
        if not answers:
            return reply
        reply = replace(reply, body=copy.deepcopy(reply.body), headers=dict(reply.headers))
        for answer_hook in answers:
            reply = answer_hook(call, reply)
        return reply

    def error(self, call: Call | None, error: RequestError, reply: Answer) -> Reply:
        answered: Reply = reply
        for hook in self._at(call, lambda f: f.hooks.get("error")):
            answered = hook(call, error, answered)
        return answered

    def delivery(self, call: Call | None, wire: Wire) -> Wire:
        for hook in self._at(call, lambda f: f.hooks.get("delivery")):
            wire = hook(wire)
        return wire

    def headers(self, call: Call | None, request_headers: Mapping[str, str]) -> dict[str, str]:
        added: dict[str, str] = {}
        for hook in self._at(call, lambda f: f.hooks.get("headers")):
            added.update(hook(request_headers))
        return added

    # -- called by the responders (the Hooks protocol) ------------------------------------------
    def model_lookup(self, call: Call, model: object, refusal: RequestError) -> RequestError | None:
        answered: RequestError | None = refusal
        for hook in self._at(call, lambda f: f.hooks.get("model_lookup")):
            answered = hook(call, model, refusal)
            if answered is None:
                break
            refusal = answered
        return answered

    def json_schema(self, call: Call, instance: Any, words: list[str]) -> Any:
        for hook in self._at(call, lambda f: f.hooks.get("json_schema")):
            instance = hook(call, instance, words)
        return instance

    def listing(self, items: list[StoredObject]) -> list[StoredObject]:
        for hook in self._anywhere(lambda f: f.hooks.get("listing")):
            items = hook(items)
        return items

    def removal(self, obj: StoredObject) -> bool:
        return all(hook(obj) for hook in self._anywhere(lambda f: f.hooks.get("removal")))
