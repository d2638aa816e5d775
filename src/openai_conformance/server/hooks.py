"""The hook points of the reference server: where a fault may change what the server does.

The conformant server never asks which fault is on.  A request goes through the pipeline
(app.py), which calls the active faults' hooks at these points, in this order:

=============  ===================================================================================
point          signature, and what it may change
=============  ===================================================================================
auth           ``(authorization, refusal) -> refusal | None``: the 401 to answer a missing or
               wrong key with; None lets the request through.
invalid        ``(error) -> bool``: whether a request that failed validation is accepted anyway;
               an accepted one gets its operation's minimal success body (then the answer hooks),
               as from a server that validates nothing.
request        ``(call) -> call``: the validated request the responder acts on (``Call.sent``
               keeps what the client sent).
before         ``(call) -> None``: raises ``RequestError`` to answer instead of the responder.
model lookup   ``(call, model, refusal) -> refusal | None``: the 404 for a model the server does
               not serve; None accepts the model.  Called by the responders.
json schema    ``(call, instance, words) -> instance``: the JSON value a ``json_schema`` answer
               holds (the conformant one fits the schema; ``words`` are what the model says).
               Called by the chat responder.
listing        ``(items) -> items``: the stored objects a list answer starts from, oldest first.
               Called by the list responders.
removal        ``(obj) -> bool``: whether a delete really removes the stored object.  Called by
               the delete responders.
answer         ``(call, answer) -> answer``: status, media type, headers and JSON body of a plain
               answer, or its raw bytes.
events         ``(call, events) -> events``: the JSON events of a stream, before they are framed.
error          ``(call | None, error, reply) -> reply``: the answer to a refused request (the
               conformant one is OpenAI's error envelope); ``call`` is None before routing.
delivery       ``(wire) -> wire``: a stream's framed pieces, pauses, end and media type.
headers        ``(request headers) -> headers``: headers added to every response.
=============  ===================================================================================

Answer, events, error and json schema hooks are handed values of their own (copies where the
originals live on in the store) and may change them in place.  A request hook leaves the body it
is given alone (it is also ``Call.sent``) and returns ``call.with_body(...)`` — or, for a server
that answers as if a field had never been sent, a copy with ``sent`` changed too (``forgotten``
in faults/fault.py): what a model "writes" derives from ``sent``; a listing hook
returns a list of its own and leaves the stored objects in it unchanged.

**Composition.**  Several faults may be on at once.  The hooks of one point run in the order their
faults are declared in ``FAULTS`` (not the order they were switched on), each on what the one
before returned.  A refusal hook (auth, model lookup) that returns None ends its chain: the
request is let through.  ``invalid`` accepts when any fault accepts, ``removal`` keeps the object
when any fault keeps it, ``headers`` merges every fault's headers, and the first ``before`` hook
that raises answers.

**Declaring.**  ``AUTH``, ``REQUEST``, ``ANSWER``, … are the points as places a fault's function
goes (``at=REQUEST`` in ``Faults.declare``, faults/fault.py), typed by their hooks' signatures.

**Reach.**  A fault's hooks act only on requests of the operations it declares (every one for
``ALL``), except ``listing`` and ``removal``, which act on the store whatever the operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, Protocol, TypedDict, TypeVar

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.routing import RequestError
from openai_conformance.server.wire import Wire

__all__ = [
    "ANSWER",
    "AUTH",
    "BEFORE",
    "DELIVERY",
    "ERROR",
    "EVENTS",
    "HEADERS",
    "INVALID",
    "JSON_SCHEMA",
    "LISTING",
    "MODEL_LOOKUP",
    "REMOVAL",
    "REQUEST",
    "AnswerHook",
    "At",
    "AuthHook",
    "BeforeHook",
    "DeliveryHook",
    "ErrorHook",
    "EventsHook",
    "FaultHooks",
    "HeadersHook",
    "Hooks",
    "InvalidHook",
    "JsonSchemaHook",
    "ListingHook",
    "ModelLookupHook",
    "RemovalHook",
    "RequestHook",
    "StoredObject",
]

#: An object as the store keeps it (a model, a file, an assistant, …).
StoredObject = dict[str, Any]


H = TypeVar("H")
E = TypeVar("E")


class FaultHooks(TypedDict, total=False):
    """The hooks one fault sets, by hook point (the fields of the same names of ``Fault``)."""

    auth: AuthHook
    invalid: InvalidHook
    request: RequestHook
    before: BeforeHook
    model_lookup: ModelLookupHook
    json_schema: JsonSchemaHook
    listing: ListingHook
    removal: RemovalHook
    answer: AnswerHook
    events: EventsHook
    error: ErrorHook
    delivery: DeliveryHook
    headers: HeadersHook


class At(Generic[H]):
    """Where a function becomes a fault's hooks: a hook point (``REQUEST``: the function is the
    request hook), or a simpler function made into the hooks of a point (``via``) or of two (``&``)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[H], FaultHooks]) -> None:
        self._make = make

    def __call__(self, function: H) -> FaultHooks:
        return self._make(function)

    def via(self, build: Callable[[E], H]) -> At[E]:
        """Functions that ``build`` makes into this place's hook (an edit of a body into an answer hook)."""
        return At(lambda function: self._make(build(function)))

    def __and__(self, other: At[H]) -> At[H]:
        """One function made into the hooks of both places (a plain answer's and a stream's)."""
        return At(lambda function: {**self._make(function), **other(function)})


#: Each hook point: the signature of its hooks, and the point as a place for a fault's function.
AuthHook = Callable[[str | None, RequestError], RequestError | None]
AUTH: Final = At[AuthHook](lambda hook: {"auth": hook})
InvalidHook = Callable[[RequestError], bool]
INVALID: Final = At[InvalidHook](lambda hook: {"invalid": hook})
RequestHook = Callable[[Call], Call]
REQUEST: Final = At[RequestHook](lambda hook: {"request": hook})
BeforeHook = Callable[[Call], None]
BEFORE: Final = At[BeforeHook](lambda hook: {"before": hook})
ModelLookupHook = Callable[[Call, object, RequestError], RequestError | None]
MODEL_LOOKUP: Final = At[ModelLookupHook](lambda hook: {"model_lookup": hook})
JsonSchemaHook = Callable[[Call, Any, list[str]], Any]
JSON_SCHEMA: Final = At[JsonSchemaHook](lambda hook: {"json_schema": hook})
ListingHook = Callable[[list[StoredObject]], list[StoredObject]]
LISTING: Final = At[ListingHook](lambda hook: {"listing": hook})
RemovalHook = Callable[[StoredObject], bool]
REMOVAL: Final = At[RemovalHook](lambda hook: {"removal": hook})
AnswerHook = Callable[[Call, Answer], Answer]
ANSWER: Final = At[AnswerHook](lambda hook: {"answer": hook})
EventsHook = Callable[[Call, list[Any]], list[Any]]
EVENTS: Final = At[EventsHook](lambda hook: {"events": hook})
ErrorHook = Callable[[Call | None, RequestError, Reply], Reply]
ERROR: Final = At[ErrorHook](lambda hook: {"error": hook})
DeliveryHook = Callable[[Wire], Wire]
DELIVERY: Final = At[DeliveryHook](lambda hook: {"delivery": hook})
HeadersHook = Callable[[Mapping[str, str]], Mapping[str, str]]
HEADERS: Final = At[HeadersHook](lambda hook: {"headers": hook})


class Hooks(Protocol):
    """The hook points the responders call themselves (the pipeline calls the others)."""

    def model_lookup(self, call: Call, model: object, refusal: RequestError) -> RequestError | None:
        """The error to answer for an unknown ``model``; None accepts it."""
        ...

    def json_schema(self, call: Call, instance: Any, words: list[str]) -> Any:
        """The JSON value a json_schema answer holds, given the schema's instance."""
        ...

    def listing(self, items: list[StoredObject]) -> list[StoredObject]:
        """The stored objects a list answer starts from."""
        ...

    def removal(self, obj: StoredObject) -> bool:
        """Whether a delete removes ``obj`` from the store."""
        ...
