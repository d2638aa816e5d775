'''What a fault is: an id, the check that must catch it, the operations it reaches, and its hooks.

An area's module declares its faults in a ``Faults`` table, each by decorating the function that
makes its change::

    SCHEMA_FAULTS = Faults()
    fault = SCHEMA_FAULTS.declare


    @fault("models-text-plain", "schema.content_type", "listModels", at=ANSWER)
    def _text_plain(call: Call, answer: Answer) -> Answer:
        """GET /models serves its (valid) JSON body as `text/plain`."""
        return replace(answer, media_type="text/plain")

The docstring's first paragraph is the fault's description; ``at`` says which hook the function is
(a point of hooks.py, or one of the simpler forms below: ``BODY`` edits the JSON body of a plain
answer, ``CHOICES`` each of its choices, ``EACH_EVENT`` each event of a stream, …).
'''

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any, Final, TypeVar

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.hooks import (
    ANSWER,
    EVENTS,
    AnswerHook,
    At,
    EventsHook,
    FaultHooks,
)

__all__ = [
    "ALL",
    "BODY",
    "BODY_AND_EVENTS",
    "CHAT",
    "CHOICES",
    "CHOICES_AND_EVENTS",
    "COMPLETION",
    "EACH_EVENT",
    "EMBEDDING",
    "Fault",
    "Faults",
    "each_choice",
    "each_event",
    "edit_body",
    "every_event",
    "forgotten",
    "objects_of",
]

#: ``operations`` of a fault that changes answers of every operation (and of unknown routes).
ALL: Final[tuple[str, ...]] = ("*",)

CHAT: Final = "createChatCompletion"
COMPLETION: Final = "createCompletion"
EMBEDDING: Final = "createEmbedding"

H = TypeVar("H")
#: An edit of a JSON value in place: a body, an event, a choice.
Edit = Callable[[Any], None]
#: An edit of one choice of a completion (or of a stream chunk).
ChoiceEdit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Fault:
    """One deliberate deviation of the reference server, and where it makes it.

    ``operations`` are the operationIds whose answers the fault changes: every one where the suite
    may see it, including the operation a hand-made probe reports under (a workflow is reported
    under its create, the auth probe under listModels), or ``ALL``.  ``hooks`` are its hooks by
    hook point of hooks.py; a fault sets those it needs.  Hooks act on the requests of every declared
    operation, so a fault seen through a workflow acts only on the step it breaks (it checks
    ``call.operation_id``).
    """

    id: str
    check: str  # the check id (validation/catalogue.py) that must catch it
    description: str
    _: KW_ONLY
    operations: tuple[str, ...]
    hooks: FaultHooks = field(default_factory=lambda: FaultHooks(), hash=False)

    @property
    def everywhere(self) -> bool:
        """Whether the fault reaches every operation."""
        return self.operations == ALL

    def reaches(self, call: Call | None) -> bool:
        """Whether the fault's hooks act on ``call`` (None: a request that matched no operation)."""
        return self.everywhere or (call is not None and call.operation_id in self.operations)


class Faults:
    """The faults one module declares, in the order declared (the order their hooks run in)."""

    def __init__(self) -> None:
        self._declared: list[Fault] = []

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def declare(
        self, fault_id: str, check: str, *operations: str | tuple[str, ...], at: At[H]
    ) -> Callable[[H], H]:
        """Declares the fault whose hooks the decorated function is (or makes, ``at``), described by
        its docstring's first paragraph; ``operations`` are operationIds or tuples of them."""

        def declare(function: H) -> H:
            doc = inspect.getdoc(function)
            if not doc:
                raise TypeError(f"fault {fault_id!r}: its function has no docstring to describe it")
            description = " ".join(doc.split("\n\n", 1)[0].split())
            reach = tuple(
                name for group in operations for name in ((group,) if isinstance(group, str) else group)
            )
            self._declared.append(Fault(fault_id, check, description, operations=reach, hooks=at(function)))
            return function

        return declare


# -- small builders of hooks --------------------------------------------------------------------


def edit_body(edit: Edit) -> AnswerHook:
    """An answer hook that changes the JSON body of a plain answer in place (raw bytes pass)."""

    def hook(call: Call, answer: Answer) -> Answer:
        if answer.raw is None:
            edit(answer.body)
        return answer

    return hook


def each_choice(edit: ChoiceEdit) -> Edit:
    """A body edit applied to every choice of a completion (or of a stream chunk)."""

    def apply(body: Any) -> None:
        for choice in body.get("choices") or [] if isinstance(body, dict) else []:
            edit(choice)

    return apply


def each_event(edit: Callable[[int, Any], None]) -> EventsHook:
    """An events hook that changes every event in place, given its position in the stream."""

    def hook(call: Call, events: list[Any]) -> list[Any]:
        for position, event in enumerate(events):
            edit(position, event)
        return events

    return hook


def every_event(edit: Edit) -> EventsHook:
    """An events hook that makes the same edit to every event of a stream."""
    return each_event(lambda position, event: edit(event))


def forgotten(call: Call, *names: str) -> Call:
    """``call`` with body fields dropped as if never sent: the responder acts on the request without
    them, and the "model" writes what it would have written without them."""
    fields = {k: v for k, v in call.fields().items() if k not in names}
    sent = call.sent if isinstance(call.sent, dict) else {}
    return replace(call, body=fields, sent={k: v for k, v in sent.items() if k not in names})


def objects_of(value: Any, kind: str) -> Iterator[dict[str, Any]]:
    """Every object inside ``value`` (itself included) whose ``object`` field is ``kind``."""
    if isinstance(value, dict):
        if value.get("object") == kind:
            yield value
        for item in value.values():
            yield from objects_of(item, kind)
    elif isinstance(value, list):
        for item in value:
            yield from objects_of(item, kind)


#: A function that edits the JSON body of a plain answer in place (raw bytes pass).
BODY: Final = ANSWER.via(edit_body)
#: A function that edits each choice of a plain answer.
CHOICES: Final = BODY.via(each_choice)
#: A function that edits each event of a stream, given its position.
EACH_EVENT: Final = EVENTS.via(each_event)
#: A function that edits the body of a plain answer and each event of a stream alike.
BODY_AND_EVENTS: Final = BODY & EVENTS.via(every_event)
#: A function that edits each choice of a plain answer and of each event of a stream.
CHOICES_AND_EVENTS: Final = CHOICES & EVENTS.via(every_event).via(each_choice)
