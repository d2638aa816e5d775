"""The offending excerpt of an answer: the part a violation's pointer names, shown in its context.

A finding keeps the excerpt of the answer its reproduction got: the JSON around the value the
pointer names (pretty-printed, with the value's span marked), the event a stream pointer names
(``/events/3/choices/0`` → event 3), or the start of a body that is not JSON. Long strings, long
arrays and deep objects are shortened, so an excerpt stays a few kilobytes whatever the answer.
Built where the answer was judged; report writers redact it like every other string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openai_conformance.results.record import Record, from_record
from openai_conformance.transport.exchange import Exchange

__all__ = ["Excerpt", "UpstreamEvidence", "excerpt_of"]

_MAX_TEXT = 2400  # characters of an excerpt
_MAX_STRING = 160  # characters of one string value
_MAX_ITEMS = 6  # array items or object members shown around the one pointed at
_MAX_DEPTH = 5
_MAX_PARSE = 2 * 1024 * 1024  # a larger body is shown, not parsed


@dataclass(frozen=True, slots=True)
class Excerpt:
    """Part of an answer: where it comes from, its text, and the span of the value pointed at."""

    where: str  # "body", "event 3", "events"
    text: str
    highlight: tuple[int, int] | None = None  # [start, end) in ``text``
    content_type: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "content_type": self.content_type or None,
            "text": self.text,
            "highlight": list(self.highlight) if self.highlight else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Excerpt | None:
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return None
        span = data.get("highlight")
        highlight = (int(span[0]), int(span[1])) if isinstance(span, list) and len(span) == 2 else None
        return cls(
            str(data.get("where") or "body"), data["text"], highlight, str(data.get("content_type") or "")
        )


@dataclass(frozen=True, slots=True)
class UpstreamEvidence(Record):
    """With --upstream: the upstream's answer to the request of a finding, beside the proxy's."""

    status: int
    curl: str  # the request as sent to the upstream (its key redacted too)
    excerpt: Excerpt | None = None

    @classmethod
    def from_dict(cls, data: Any) -> UpstreamEvidence | None:
        if not isinstance(data, dict):
            return None
        return from_record(cls, data, excerpt=Excerpt.from_dict(data.get("excerpt")))


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _tokens(pointer: str) -> list[str]:
    return [_unescape(part) for part in pointer.split("/")[1:]] if pointer.startswith("/") else []


def _resolve(document: Any, tokens: list[str]) -> tuple[Any, list[str | int]]:
    """The deepest value the tokens reach, and the path to it (a missing member stops the walk)."""
    value: Any = document
    path: list[str | int] = []
    for token in tokens:
        if isinstance(value, dict) and token in value:
            value = value[token]
            path.append(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
            path.append(int(token))
        else:
            break
    return value, path


class _Printer:
    """Pretty JSON with the span of one path recorded; shortened where it would grow too long."""

    def __init__(self, target: list[str | int]) -> None:
        self.target = target
        self.parts: list[str] = []
        self.length = 0
        self.span: tuple[int, int] | None = None

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def value(self, value: Any, path: list[str | int], depth: int) -> None:
        start = self.length
        on_target = path == self.target
        toward = len(path) < len(self.target) and self.target[: len(path)] == path
        if isinstance(value, dict):
            self._object(value, path, depth, toward)
        elif isinstance(value, list):
            self._array(value, path, depth, toward)
        elif isinstance(value, str):
            shown = value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "…"
            self.write(json.dumps(shown, ensure_ascii=False))
        else:
            self.write(json.dumps(value))
        if on_target:
            self.span = (start, self.length)

    def _folded(self, value: dict[str, Any] | list[Any], depth: int, toward: bool, brackets: str) -> bool:
        """Write an empty container, or one too deep to show away from the target, on one line."""
        if value and (depth < _MAX_DEPTH or toward):
            return False
        self.write(brackets if not value else brackets[0] + "…" + brackets[1])
        return True

    def _object(self, value: dict[str, Any], path: list[str | int], depth: int, toward: bool) -> None:
        if self._folded(value, depth, toward, "{}"):
            return
        keys = list(value)
        shown = keys[:_MAX_ITEMS]
        if toward:
            wanted = self.target[len(path)]
            if wanted in value and wanted not in shown:
                shown = [*shown[: _MAX_ITEMS - 1], str(wanted)]
        pad = "  " * (depth + 1)
        self.write("{\n")
        for n, key in enumerate(shown):
            self.write(pad + json.dumps(key, ensure_ascii=False) + ": ")
            self.value(value[key], [*path, key], depth + 1)
            self.write(",\n" if n < len(shown) - 1 or len(shown) < len(keys) else "\n")
        if len(shown) < len(keys):
            self.write(f"{pad}… {len(keys) - len(shown)} more\n")
        self.write("  " * depth + "}")

    def _array(self, value: list[Any], path: list[str | int], depth: int, toward: bool) -> None:
        if self._folded(value, depth, toward, "[]"):
            return
        indices = list(range(min(len(value), _MAX_ITEMS)))
        if toward:
            wanted = self.target[len(path)]
            if isinstance(wanted, int) and wanted not in indices:
                indices = [*indices[: _MAX_ITEMS - 2], wanted]
        if all(not isinstance(item, dict | list) for item in value[:_MAX_ITEMS]) and not toward:
            # A list of numbers (an embedding) reads best on one line.
            items = [json.dumps(value[i], ensure_ascii=False) for i in indices]
            more = f", … {len(value) - len(indices)} more" if len(indices) < len(value) else ""
            self.write("[" + ", ".join(items) + more + "]")
            return
        pad = "  " * (depth + 1)
        self.write("[\n")
        previous = -1
        for i in indices:
            if i != previous + 1:
                self.write(f"{pad}… {i - previous - 1} more,\n")
            self.write(pad)
            self.value(value[i], [*path, i], depth + 1)
            self.write(",\n" if i < len(value) - 1 else "\n")
            previous = i
        if previous < len(value) - 1:
            self.write(f"{pad}… {len(value) - previous - 1} more\n")
        self.write("  " * depth + "]")


def _json_excerpt(where: str, document: Any, pointer_tokens: list[str], content_type: str) -> Excerpt:
    value, path = _resolve(document, pointer_tokens)
    # Show the container of the value pointed at, so its neighbours give it context.
    shown_path = path[:-1] if path else path
    container, _ = _resolve(document, [str(p) for p in shown_path])
    printer = _Printer(path[len(shown_path) :] if path else [])
    printer.value(container, [], 0)
    text = "".join(printer.parts)
    span = printer.span if path else None
    if shown_path:
        where += " at /" + "/".join(str(p) for p in shown_path)
    if len(text) > _MAX_TEXT:
        if span is not None and span[1] > _MAX_TEXT:
            cut = max(0, span[0] - _MAX_TEXT // 3)
            text = "…" + text[cut : cut + _MAX_TEXT]
            span = (span[0] - cut + 1, min(span[1] - cut + 1, len(text)))
        else:
            text = text[:_MAX_TEXT] + "…"
    del value
    return Excerpt(where, text, span, content_type)


def _text_excerpt(where: str, text: str, content_type: str) -> Excerpt:
    return Excerpt(where, text[:_MAX_TEXT] + ("…" if len(text) > _MAX_TEXT else ""), None, content_type)


def excerpt_of(exchange: Exchange, pointer: str) -> Excerpt | None:
    """The part of the answer ``pointer`` names, in context; None for an empty answer."""
    content_type = exchange.content_type
    tokens = _tokens(pointer)
    events = exchange.events
    if events is not None:
        if (
            tokens[:1] == ["events"]
            and len(tokens) > 1
            and tokens[1].isdigit()
            and int(tokens[1]) < len(events)
        ):
            index = int(tokens[1])
            data = events[index].data
            try:
                document = json.loads(data)
            except ValueError:
                return _text_excerpt(f"event {index}", data, content_type)
            return _json_excerpt(f"event {index}", document, tokens[2:], content_type)
        if events:  # a rule about the whole stream: its last events show how it ended
            tail = events[-4:]
            first = len(events) - len(tail)
            lines = [f"[{first + n}] +{event.at:.3f}s data: {event.data}" for n, event in enumerate(tail)]
            return _text_excerpt(
                f"events {first}–{len(events) - 1} of {len(events)}", "\n".join(lines), content_type
            )
    body = exchange.body
    if not body:
        return None
    if len(body) <= _MAX_PARSE and (content_type.endswith("json") or body[:1] in (b"{", b"[")):
        try:
            document = json.loads(body)
        except ValueError:
            pass
        else:
            return _json_excerpt("body", document, tokens, content_type)
    return _text_excerpt("body", body[: _MAX_TEXT * 4].decode("utf-8", errors="replace"), content_type)
