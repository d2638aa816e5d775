"""The items of a Responses stream: added and done in pairs, and their deltas joining to what is done.

A streamed response sends each output item as ``response.output_item.added`` … ``.done`` at its
``output_index``, each content part of a message as ``response.content_part.added`` … ``.done`` at
its ``content_index``, and text and arguments as deltas, then once whole in a ``.done`` event. A
client (the ``openai`` SDK's stream state) files every delta under the item and part these indices
and ``item_id`` name, and shows the joined deltas as the text: all must agree, with each other and
with the terminal response (vLLM #37071, #30099, #56285 are each one of these faults).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.validation.registry import register
from openai_conformance.validation.semantics.shared import as_dict, json_int, short
from openai_conformance.validation.violations import Violation

__all__ = ["FUNCTION_ARGUMENTS", "ITEM_PAIRS", "TEXT_DELTAS", "check_items"]

ITEM_PAIRS = register(
    "responses.item_pairs",
    "error",
    "output_item.added/.done and content_part.added/.done come in pairs, in order of output_index and "
    "content_index from 0, and every event that names an item or part names an open one by its "
    "output_index, content_index and item_id; a completed stream leaves none open.",
    "ResponseOutputItemAddedEvent / DoneEvent, ResponseContentPartAddedEvent / DoneEvent: the index of "
    "the output item (content part) and the ID of the item the event belongs to",
    why="the server opens and closes items and parts and gives their indices and ids",
)
TEXT_DELTAS = register(
    "responses.text_deltas",
    "error",
    "The deltas of a text (output_text, refusal, reasoning) join to its `.done` text, which is the text "
    "of that content part in content_part.done, output_item.done and the terminal response.",
    "ResponseTextDeltaEvent.delta: the text delta that was added; ResponseTextDoneEvent.text: the text "
    "content that is finalized",
    why="the server splits one text into deltas and reports the same text as done; a model writes the text once",
)
FUNCTION_ARGUMENTS = register(
    "responses.function_arguments",
    "error",
    "A function call's argument deltas join to function_call_arguments.done's `arguments`, which are "
    "the item's arguments in output_item.done and the terminal response, and parse as JSON.",
    "ResponseFunctionCallArgumentsDeltaEvent / DoneEvent; FunctionToolCall.arguments: a JSON string of "
    "the arguments to pass to the function",
    relaxed="arguments that do not parse as JSON are a warning unless the request declared the tool "
    "`strict: true`: without it a model may write what it likes",
    why="the server splits one arguments string into deltas and reports it whole; under `strict: true` decoding is constrained to the schema",
)

# Delta events and their done event: (done type, field with the whole text, index field).
_TEXTS: dict[str, tuple[str, str, str]] = {
    "response.output_text.delta": ("response.output_text.done", "text", "content_index"),
    "response.refusal.delta": ("response.refusal.done", "refusal", "content_index"),
    "response.reasoning_text.delta": ("response.reasoning_text.done", "text", "content_index"),
    "response.reasoning_summary_text.delta": (
        "response.reasoning_summary_text.done",
        "text",
        "summary_index",
    ),
}
_DONE_TEXTS = {done: (name, index) for done, name, index in _TEXTS.values()}
_IN_PARTS = frozenset(
    {
        "response.output_text.delta",
        "response.output_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.output_text.annotation.added",
    }
)
_PART_FIELD = {"response.output_text.done": "text", "response.refusal.done": "refusal"}


@dataclass
class _Item:
    id: Any
    type: Any
    parts: dict[int, bool] = field(default_factory=dict)  # content_index → done
    done: dict[str, Any] | None = None  # the item of output_item.done


@dataclass
class _Reader:
    """The stream read in order, noting one fault per rule and kind of fault."""

    found: list[Violation] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    items: dict[int, _Item] = field(default_factory=dict)
    texts: dict[tuple[str, Any, Any], list[str | None]] = field(default_factory=dict)  # None: not a string
    # By output_index (and content_index): a delta that names a wrong item_id is item_pairs' to report.
    done_texts: dict[tuple[Any, Any], tuple[str, int]] = field(default_factory=dict)  # → text, event
    arguments: dict[Any, list[str | None]] = field(default_factory=dict)
    done_arguments: dict[Any, tuple[str, int]] = field(default_factory=dict)

    def fault(self, key: str, violation: Violation) -> None:
        if key not in self.seen:
            self.seen.add(key)
            self.found.append(violation)

    def pairs(self, key: str, message: str, pointer: str) -> None:
        self.fault("pairs:" + key, ITEM_PAIRS.violation(message, pointer))

    def read(self, i: int, kind: str, event: dict[str, Any]) -> None:
        index = json_int(event.get("output_index"))
        pointer = f"/events/{i}"
        if kind == "response.output_item.added":
            self._added(i, event, index)
        elif kind == "response.output_item.done":
            self._done(i, event, index)
        elif index is not None and "item_id" in event:
            item = self.items.get(index)
            if item is None or item.done is not None:
                self.pairs(
                    "closed",
                    f"event {i} ({kind}) names output_index {index}, which is not open",
                    f"{pointer}/output_index",
                )
            elif item.id is not None and event["item_id"] != item.id:
                self.pairs(
                    "id",
                    f"event {i} ({kind}) names item {event['item_id']!r}, but item {index} is {item.id!r}",
                    f"{pointer}/item_id",
                )
            elif kind.startswith("response.content_part."):
                self._part(i, kind, event, item)
            elif kind in _IN_PARTS:
                part = json_int(event.get("content_index"))
                if part is None or item.parts.get(part) is not False:
                    self.pairs(
                        "part",
                        f"event {i} ({kind}) names content_index {part}, which is not an open part",
                        f"{pointer}/content_index",
                    )
        self._text(i, kind, event)

    def _added(self, i: int, event: dict[str, Any], index: int | None) -> None:
        item = as_dict(event.get("item"))
        if index is None:
            return  # the schema's to report
        if index in self.items:
            self.pairs(
                "again",
                f"output_index {index} is added a second time (event {i})",
                f"/events/{i}/output_index",
            )
        elif index != len(self.items):
            self.pairs(
                "order",
                f"item added at output_index {index}; {len(self.items)} is due",
                f"/events/{i}/output_index",
            )
        self.items.setdefault(index, _Item(item.get("id"), item.get("type")))

    def _done(self, i: int, event: dict[str, Any], index: int | None) -> None:
        item = as_dict(event.get("item"))
        opened = self.items.get(index) if index is not None else None
        pointer = f"/events/{i}"
        if opened is None or opened.done is not None:
            self.pairs(
                "done",
                f"output_item.done at output_index {index} was never added, or is done already",
                f"{pointer}/output_index",
            )
            known = {known.id for known in self.items.values()}
            if index is not None and opened is None and item.get("id") not in known:
                self.items[index] = _Item(item.get("id"), item.get("type"), done=item)  # still an item sent
            return
        if (item.get("id"), item.get("type")) != (opened.id, opened.type):
            self.pairs(
                "changed",
                f"item {index} was added as {opened.type} {opened.id!r} but is done as {item.get('type')} {item.get('id')!r}",
                f"{pointer}/item",
            )
        if any(not done for done in opened.parts.values()):
            self.pairs("open_part", f"item {index} is done while a content part is still open", pointer)
        opened.done = item

    def _part(self, i: int, kind: str, event: dict[str, Any], item: _Item) -> None:
        part = json_int(event.get("content_index"))
        pointer = f"/events/{i}/content_index"
        if part is None:
            return
        if kind == "response.content_part.added":
            if part in item.parts:
                self.pairs("part_again", f"content_index {part} is added a second time (event {i})", pointer)
            elif part != len(item.parts):
                self.pairs(
                    "part_order", f"part added at content_index {part}; {len(item.parts)} is due", pointer
                )
            item.parts.setdefault(part, False)
        elif kind == "response.content_part.done":
            if item.parts.get(part) is not False:
                self.pairs(
                    "part_done",
                    f"content_part.done at content_index {part} was never added, or is done already",
                    pointer,
                )
            item.parts[part] = True
            text_field = "text" if as_dict(event.get("part")).get("type") == "output_text" else "refusal"
            text = as_dict(event.get("part")).get(text_field)
            whole = self.done_texts.get((event.get("output_index"), part))
            if isinstance(text, str) and whole is not None and text != whole[0]:
                self.fault(
                    "text:part",
                    TEXT_DELTAS.violation(
                        f"content_part.done's text {short(text)} differs from the .done text {short(whole[0])}",
                        f"/events/{i}/part/{text_field}",
                    ),
                )

    def _text(self, i: int, kind: str, event: dict[str, Any]) -> None:
        at = event.get("output_index")
        if kind in _TEXTS:
            delta = event.get("delta")
            key = (kind, at, event.get(_TEXTS[kind][2]))
            self.texts.setdefault(key, []).append(delta if isinstance(delta, str) else None)
        elif kind in _DONE_TEXTS:
            name, index_field = _DONE_TEXTS[kind]
            delta_kind = next(k for k, v in _TEXTS.items() if v[0] == kind)
            joined = _joined(self.texts.pop((delta_kind, at, event.get(index_field)), []))
            text = event.get(name)
            if isinstance(text, str) and joined is not None and joined != text:
                what = delta_kind.rsplit(".", 2)[-2]
                message = f"the {what} deltas join to {short(joined)}, but {kind} says {short(text)}"
                self.fault("text:join", TEXT_DELTAS.violation(message, f"/events/{i}/{name}"))
            if kind in _PART_FIELD and isinstance(text, str):
                self.done_texts[(at, event.get(index_field))] = (text, i)
        elif kind == "response.function_call_arguments.delta":
            delta = event.get("delta")
            self.arguments.setdefault(at, []).append(delta if isinstance(delta, str) else None)
        elif kind == "response.function_call_arguments.done":
            joined = _joined(self.arguments.pop(at, []))
            arguments = event.get("arguments")
            if isinstance(arguments, str):
                self.done_arguments[at] = (arguments, i)
                if joined is not None and joined != arguments:
                    message = (
                        f"the argument deltas join to {short(joined)}, but function_call_arguments.done "
                        f"says {short(arguments)}"
                    )
                    self.fault("args:join", FUNCTION_ARGUMENTS.violation(message, f"/events/{i}/arguments"))


def _joined(pieces: list[str | None]) -> str | None:
    """The deltas joined; None when one is not a string (the event's schema reports it)."""
    return None if any(piece is None for piece in pieces) else "".join(piece or "" for piece in pieces)


def _strict(request: Mapping[str, Any], name: Any) -> bool:
    tools = [t for t in request.get("tools") or [] if isinstance(t, dict)]
    return any(
        t.get("type") == "function" and t.get("name") == name and t.get("strict") is True for t in tools
    )


def _check_done_items(reader: _Reader, final: list[dict[str, Any]], request: Mapping[str, Any]) -> None:
    """Each finished item against its .done events and the terminal response's item at its index."""
    for index, item in sorted(reader.items.items()):
        done = item.done
        if done is None:
            continue
        copies = [("output_item.done", done)] + (
            [("the terminal response", final[index])] if index < len(final) else []
        )
        for where, copy in copies:
            for part, content in enumerate(
                copy.get("content") or [] if isinstance(copy.get("content"), list) else []
            ):
                whole = reader.done_texts.get((index, part))
                field_name = "text" if as_dict(content).get("type") == "output_text" else "refusal"
                text = as_dict(content).get(field_name)
                if whole is not None and isinstance(text, str) and text != whole[0]:
                    reader.fault(
                        "text:item",
                        TEXT_DELTAS.violation(
                            f"item {index}'s text in {where} is {short(text)}, but its .done text is {short(whole[0])}",
                            f"/events/{whole[1]}",
                        ),
                    )
            if copy.get("type") != "function_call":
                continue
            sent = reader.done_arguments.get(index)
            arguments = copy.get("arguments")
            if sent is not None and isinstance(arguments, str) and arguments != sent[0]:
                reader.fault(
                    "args:item",
                    FUNCTION_ARGUMENTS.violation(
                        f"item {index}'s arguments in {where} are {short(arguments)}, but function_call_arguments.done "
                        f"says {short(sent[0])}",
                        f"/events/{sent[1]}/arguments",
                    ),
                )
        arguments = done.get("arguments")
        if (
            done.get("type") == "function_call"
            and isinstance(arguments, str)
            and done.get("status") != "incomplete"
        ):
            try:
                json.loads(arguments)
            except ValueError:
                strict = _strict(request, done.get("name"))
                reader.fault(
                    "args:json",
                    FUNCTION_ARGUMENTS.violation(
                        f"the arguments of function call {done.get('name')!r} are not JSON: {short(arguments)}"
                        + ("" if strict else " (the tool is not declared strict: a warning)"),
                        "",
                        warning=not strict,
                    ),
                )


def check_items(
    events: list[tuple[int, str, dict[str, Any]]], terminal: Any, request: Mapping[str, Any], *, ended: bool
) -> Generator[Violation, None, list[dict[str, Any]]]:
    """The item, text and argument rules of one stream; returns the items it sent, by output_index.

    ``ended``: the stream ended as completed or incomplete, so no item, part, text or call may stay open.
    """
    reader = _Reader()
    for i, kind, event in events:
        reader.read(i, kind, event)
    if ended:
        still = [index for index, item in sorted(reader.items.items()) if item.done is None]
        if still:
            reader.pairs("open", f"the stream ended with item(s) {still} added but never done", "")
        if any(reader.texts.values()):
            kinds = sorted({key[0] for key, parts in reader.texts.items() if parts})
            reader.fault(
                "text:open",
                TEXT_DELTAS.violation(f"{', '.join(kinds)} deltas were never followed by their .done event"),
            )
        if any(reader.arguments.values()):
            reader.fault(
                "args:open",
                FUNCTION_ARGUMENTS.violation(
                    "function_call_arguments deltas were never followed by function_call_arguments.done"
                ),
            )
    output = as_dict(terminal).get("output")
    _check_done_items(reader, [as_dict(item) for item in output] if isinstance(output, list) else [], request)
    yield from reader.found
    # An item never done is still an item the stream sent (item_pairs says it was not finished).
    return [item.done or {"id": item.id, "type": item.type} for _, item in sorted(reader.items.items())]
