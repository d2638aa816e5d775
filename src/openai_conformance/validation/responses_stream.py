"""The Responses event grammar: how a streamed ``POST /responses`` begins, counts, ends and agrees.

Each event of a Responses stream is judged against its schema elsewhere (validation/stream_events.py);
these rules judge the stream as a whole, as a client that rebuilds the response from its events
needs it to be (the ``openai`` SDK's ``responses.stream()`` does exactly that):

- it opens with ``response.created`` (status ``queued`` or ``in_progress``);
- ``sequence_number`` is on every event, starts at 0 and counts up by one;
- one terminal event (``response.completed``, ``.failed``, ``.incomplete``, or ``error``, which
  ``response.failed`` may follow) comes last, says the status of its response, and every event's
  ``response`` is the one ``response.created`` announced;
- the terminal response's ``output`` holds every item the stream sent, with the same ids;
- items, parts, text and arguments agree with their deltas (validation/responses_items.py);
- the terminal response obeys the rules on any Response (validation/responses_answer.py).

Rules about the end stay silent when the suite cut the stream. Pointers index the stream's events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.transport.exchange import StreamEnd
from openai_conformance.validation.parsed_stream import ParsedStream
from openai_conformance.validation.registry import check
from openai_conformance.validation.responses_answer import check_response
from openai_conformance.validation.responses_items import check_items
from openai_conformance.validation.semantics.shared import as_dict, json_int
from openai_conformance.validation.violations import Violation

__all__ = [
    "TERMINAL_TYPES",
    "check_responses_stream",
    "created_first",
    "output_items",
    "sequence_number",
    "terminal_event",
    "typed_events",
]

TERMINAL_TYPES: dict[str, frozenset[str]] = {
    "response.completed": frozenset({"completed"}),
    "response.incomplete": frozenset({"incomplete"}),
    "response.failed": frozenset({"failed", "cancelled"}),
    "error": frozenset(),
}
_OPENING = frozenset({"queued", "in_progress"})


def typed_events(stream: ParsedStream) -> list[tuple[int, str, dict[str, Any]]]:
    """(event index, type, event) of each event before an error that is an object with a string type."""
    return [
        (i, value["type"], value)
        for i, value in stream.values
        if isinstance(value, dict) and isinstance(value.get("type"), str)
    ]


@check("responses.created_first", "error")
def created_first(stream: ParsedStream, events: list[tuple[int, str, dict[str, Any]]]) -> Iterator[Violation]:
    """A Responses stream opens with `response.created`, whose response is `queued` or `in_progress`.

    Reference: API reference, streaming events: response.created is emitted when a response is created
    Why: the server opens the stream, before the model has written anything
    """
    if not stream.values:
        if stream.finished:
            yield created_first.violation("the stream carried no event at all")
        return
    first, value = stream.values[0]
    kind = value.get("type") if isinstance(value, dict) else None
    if kind != "response.created":
        yield created_first.violation(
            f"the first event is {kind!r}, not 'response.created'", f"/events/{first}/type"
        )
        return
    status = as_dict(value.get("response")).get("status")
    if status not in _OPENING:
        yield created_first.violation(
            f"response.created announces a response with status {status!r}, not queued or in_progress",
            f"/events/{first}/response/status",
        )


@check("responses.sequence_number", "error")
def sequence_number(stream: ParsedStream) -> Iterator[Violation]:
    """Every event of a Responses stream carries a top-level integer sequence_number: 0 for the first, then
    one more for each next event.

    Reference: ResponseStreamEvent members: `sequence_number` (required), the sequence number of this
        event
    Why: the server numbers the events it sends; no model output changes the count
    """
    missing = wrong = False
    expected = 0
    for i, event in stream.values:
        if not isinstance(event, dict):
            continue  # not an event at all: stream.event_type's to report
        number = event.get("sequence_number")
        if "sequence_number" not in event or json_int(number) is None:
            if not missing:
                missing = True
                nested = "sequence_number" in as_dict(event.get("response"))
                shown = (
                    "nests it inside `response`"
                    if nested
                    else ("has none" if number is None else f"has {number!r}")
                )
                yield sequence_number.violation(
                    f"event {i} {shown}: a top-level integer sequence_number is required", f"/events/{i}"
                )
            expected += 1
            continue
        if number != expected and not wrong:
            wrong = True
            what = "the first event's is" if expected == 0 else f"after {expected - 1} comes"
            yield sequence_number.violation(
                f"sequence_number {number} where {expected} is due ({what} {number})",
                f"/events/{i}/sequence_number",
            )
        expected = number + 1 if isinstance(number, int) else expected + 1


@check("responses.terminal", "error")
def terminal_event(
    stream: ParsedStream, events: list[tuple[int, str, dict[str, Any]]]
) -> tuple[tuple[int, str, dict[str, Any]] | None, list[Violation]]:
    """A Responses stream ends with exactly one terminal event (response.completed, response.failed,
    response.incomplete, or an `error`, which response.failed may follow) whose type says its response's
    status; every event's response is the one response.created announced.

    The terminal event (the last of an `error` and the response.failed after it), and the faults.

    Reference: API reference, streaming events: response.completed / failed / incomplete are emitted
        when the response ends so; `error` when an error occurs
    Why: the server ends the stream and states the response's status, whatever the model wrote
    """
    found: list[Violation] = []
    ends = [n for n, (_, kind, _) in enumerate(events) if kind in TERMINAL_TYPES]
    # `error` then `response.failed` is one way to end, not two.
    ends = [
        n
        for n in ends
        if not (events[n][1] == "error" and n + 1 in ends and events[n + 1][1] == "response.failed")
    ]
    if len(ends) > 1:
        i, kind, _ = events[ends[1]]
        found.append(
            terminal_event.violation(
                f"a second terminal event {kind!r} (event {i}): the stream has ended once already",
                f"/events/{i}/type",
            )
        )
    terminal = events[ends[0]] if ends else None
    if terminal is None:
        if stream.finished and events:
            found.append(
                terminal_event.violation(
                    "the stream ended without a terminal event (response.completed, "
                    "response.failed, response.incomplete or error)"
                )
            )
        elif stream.end is StreamEnd.TOO_LONG:
            found.append(
                terminal_event.violation(
                    f"the stream never ended with a terminal event: {stream.exchange.stream_note}"
                )
            )
        return None, found
    position = ends[0]
    after = events[position + 1 :]
    if after and not found:
        i, kind, _ = after[0]
        found.append(
            terminal_event.violation(
                f"event {i} ({kind!r}) follows the terminal event {terminal[1]!r}", f"/events/{i}"
            )
        )
    i, kind, event = terminal
    status = as_dict(event.get("response")).get("status")
    if kind != "error" and isinstance(status, str) and status not in TERMINAL_TYPES[kind]:
        found.append(
            terminal_event.violation(
                f"{kind} carries a response whose status is {status!r}", f"/events/{i}/response/status"
            )
        )
    return terminal, found


def _check_ids(events: list[tuple[int, str, dict[str, Any]]]) -> Iterator[Violation]:
    announced: Any = None
    for i, _kind, event in events:
        response = event.get("response")
        if not isinstance(response, dict) or not isinstance(response.get("id"), str):
            continue
        if announced is None:
            announced = response["id"]
        elif response["id"] != announced:
            yield terminal_event.violation(
                f"event {i} carries response {response['id']!r}, not {announced!r} as announced",
                f"/events/{i}/response/id",
            )
            return


@check("responses.output_items", "error")
def output_items(
    terminal: tuple[int, str, dict[str, Any]], streamed: list[dict[str, Any]]
) -> Iterator[Violation]:
    """The terminal response's `output` holds every item the stream sent (response.output_item.done), in
    order, with the same ids and types.

    Reference: response.completed carries the full response; output_item.done carries each finished item
        of `output` at its output_index
    Why: the server assembles the terminal response from the very items it streamed
    Relaxed: an `output` left empty although items were streamed is a warning: OpenAI's own
        ChatGPT/Codex backend has been seen sending it (BerriAI/litellm#41009), clients that read the
        items from the events lose nothing
    """
    i, kind, event = terminal
    output = as_dict(event.get("response")).get("output")
    if kind not in ("response.completed", "response.incomplete") or not isinstance(output, list):
        return
    pointer = f"/events/{i}/response/output"
    if not output and streamed:
        yield output_items.violation(
            f"{kind}.response.output is empty although {len(streamed)} item(s) were streamed",
            pointer,
            warning=True,
        )
        return
    sent = [(item.get("id"), item.get("type")) for item in streamed]
    final = [(as_dict(item).get("id"), as_dict(item).get("type")) for item in output]
    if sent != final:
        yield output_items.violation(
            f"the streamed items (id, type) {sent} differ from the terminal output's {final}", pointer
        )


def check_responses_stream(stream: ParsedStream, request: Mapping[str, Any]) -> Iterator[Violation]:
    """Every ``responses.*`` violation of one streamed answer of createResponse, and the answer rules on its end."""
    events = typed_events(stream)
    yield from created_first(stream, events)
    yield from sequence_number(stream)
    terminal, found = terminal_event(stream, events)
    yield from found
    yield from _check_ids(events)
    completed = terminal is not None and terminal[1] in ("response.completed", "response.incomplete")
    if terminal is not None:  # what follows the end is responses.terminal's to report, not the items'
        events = [event for event in events if event[0] <= terminal[0]]
    streamed = yield from check_items(
        events, terminal[2].get("response") if terminal else None, request, ended=completed
    )
    if terminal is not None:
        yield from output_items(terminal, streamed)
        yield from check_response(
            terminal[2].get("response"), f"/events/{terminal[0]}/response", request, plain=False
        )
