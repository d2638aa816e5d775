"""What a fault is: an id, the check that must catch it, the operations it reaches, and its hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, replace
from typing import Any, Final

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.hooks import (
    AnswerHook,
    AuthHook,
    BeforeHook,
    DeliveryHook,
    ErrorHook,
    EventsHook,
    HeadersHook,
    InvalidHook,
    JsonSchemaHook,
    ListingHook,
    ModelLookupHook,
    RemovalHook,
    RequestHook,
)

__all__ = [
    "ALL",
    "CHAT",
    "COMPLETION",
    "EMBEDDING",
    "Fault",
    "each_choice",
    "each_event",
    "edit_body",
    "forgotten",
    "objects_of",
    "replaced",
    "without",
]

#: ``operations`` of a fault that changes answers of every operation (and of unknown routes).
ALL: Final[tuple[str, ...]] = ("*",)

CHAT: Final = "createChatCompletion"
COMPLETION: Final = "createCompletion"
EMBEDDING: Final = "createEmbedding"


@dataclass(frozen=True, slots=True)
class Fault:
    """One deliberate deviation of the reference server, and where it makes it.

    ``operations`` are the operationIds whose answers the fault changes: every one where the suite
    may see it, including the operation a hand-made probe reports under (the files lifecycle is
    reported under deleteFile, the auth probe under listModels), or ``ALL``.  The hook fields are
    the hook points of hooks.py; a fault sets those it needs.
    """

    id: str
    check: str  # the check id (validation/catalogue.py) that must catch it
    description: str
    _: KW_ONLY
    operations: tuple[str, ...]
    auth: AuthHook | None = None
    invalid: InvalidHook | None = None
    request: RequestHook | None = None
    before: BeforeHook | None = None
    model_lookup: ModelLookupHook | None = None
    json_schema: JsonSchemaHook | None = None
    listing: ListingHook | None = None
    removal: RemovalHook | None = None
    answer: AnswerHook | None = None
    events: EventsHook | None = None
    error: ErrorHook | None = None
    delivery: DeliveryHook | None = None
    headers: HeadersHook | None = None

    @property
    def everywhere(self) -> bool:
        """Whether the fault reaches every operation."""
        return self.operations == ALL

    def reaches(self, call: Call | None) -> bool:
        """Whether the fault's hooks act on ``call`` (None: a request that matched no operation)."""
        return self.everywhere or (call is not None and call.operation_id in self.operations)


# -- small builders of hooks --------------------------------------------------------------------


def edit_body(edit: Callable[[Any], None]) -> AnswerHook:
    """An answer hook that changes the JSON body of a plain answer in place (raw bytes pass)."""

    def hook(call: Call, answer: Answer) -> Answer:
        if answer.raw is None:
            edit(answer.body)
        return answer

    return hook


def each_choice(edit: Callable[[dict[str, Any]], None]) -> Callable[[Any], None]:
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


def without(*names: str) -> RequestHook:
    """A request hook that drops body fields: the responder acts as if they were not sent."""

    def hook(call: Call) -> Call:
        return call.with_body({k: v for k, v in call.fields().items() if k not in names})

    return hook


def forgotten(*names: str) -> RequestHook:
    """A request hook that drops body fields as if never sent: the responder acts on the request
    without them, and the "model" writes what it would have written without them."""

    def hook(call: Call) -> Call:
        fields = {k: v for k, v in call.fields().items() if k not in names}
        sent = call.sent if isinstance(call.sent, dict) else {}
        return replace(call, body=fields, sent={k: v for k, v in sent.items() if k not in names})

    return hook


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


def replaced(**changes: Any) -> AnswerHook:
    """An answer hook that sets fields of the answer itself (status, media type, …)."""

    def hook(call: Call, answer: Answer) -> Answer:
        return replace(answer, **changes)

    return hook
