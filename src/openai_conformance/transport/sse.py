"""A pure, incremental Server-Sent Events decoder that also notes every framing problem it sees.

It follows the HTML Living Standard, 9.2.6 "Interpreting an event stream": the stream is UTF-8
(a leading BOM is dropped), lines end with CRLF, LF or CR, a line starting with ``:`` is a comment,
``data``/``event``/``id``/``retry`` are the only fields, an event is dispatched at a blank line and
the bytes of an event not closed by a blank line are discarded at the end of the stream.

A browser or the ``openai`` client silently ignores what the standard tells it to ignore; a server
that relies on that has lost data. So, besides the events, the decoder records :class:`SseProblem`
records for ``stream.framing``: fields other than the four (llama.cpp sent errors on an ``error:``
field; a bare ``keep-alive`` line is a comment without its colon), an event left undispatched at the
end, several JSON documents merged into one event (llama.cpp#14268), and bytes that are not UTF-8.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Literal

from openai_conformance.transport.exchange import Exchange, SseEvent

__all__ = ["ProblemKind", "SseDecoder", "SseProblem", "decode_sse", "events_of", "looks_merged"]

#: What kind of framing fault a problem is; reports group problems by it.
ProblemKind = Literal["unknown_field", "unterminated", "merged", "invalid_utf8"]

_FIELDS = frozenset({"data", "event", "id", "retry"})
_MAX_PROBLEMS = 50  # a broken server repeats the same fault on every event; keep the first ones
_PREVIEW = 80


@dataclass(frozen=True, slots=True)
class SseProblem:
    """One departure from the event-stream format."""

    kind: ProblemKind
    message: str
    event_index: int | None = None  # the index of the dispatched event it concerns, if any


def _preview(text: str) -> str:
    return repr(text if len(text) <= _PREVIEW else text[:_PREVIEW] + "…")


def looks_merged(data: str) -> bool:
    """Whether an event's data is several JSON documents (or ``data:`` lines) run together."""
    text = data.strip()
    if not text or text[0] not in "{[":
        return False
    decoder = json.JSONDecoder()
    try:
        decoder.decode(text)
    except ValueError:
        pass
    else:
        return False
    try:
        _, end = decoder.raw_decode(text)
    except ValueError:
        return False
    rest = text[end:].lstrip()
    if rest.startswith("data:"):
        return True
    try:
        decoder.raw_decode(rest)
    except ValueError:
        return False
    return True


class SseDecoder:
    """Turns the bytes of an event stream into :class:`SseEvent` records, chunk by chunk.

    ``decode`` may be fed arbitrary slices of the stream (a CRLF or a UTF-8 sequence split across two
    chunks is handled); ``flush`` ends the stream. ``at`` stamps the events completed by a chunk.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._strict: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
        self._started = False  # whether any text has been seen (to strip a leading BOM once)
        self._line = ""  # the text of the current, unterminated line
        self._after_cr = False  # the last chunk ended with CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event_type = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self._pending = False  # a field line has been seen since the last dispatch
        self._dispatched = 0
        self._offset = 0  # bytes consumed so far, for messages
        self._finished = False
        self.issues: list[SseProblem] = []

    @property
    def problems(self) -> list[str]:
        """The framing problems seen so far, as messages."""
        return [issue.message for issue in self.issues]

    def decode(self, chunk: bytes, at: float | None = None) -> list[SseEvent]:
        """The events completed by this chunk of the stream."""
        if self._finished:
            raise ValueError("decode() after flush(): the stream has ended")
        self._check_utf8(chunk, final=False)
        self._offset += len(chunk)
        return self._feed(self._decoder.decode(chunk), 0.0 if at is None else at)

    def flush(self, at: float | None = None) -> list[SseEvent]:
        """End the stream: an event not closed by a blank line is discarded (and noted)."""
        if self._finished:
            return []
        self._check_utf8(b"", final=True)
        events = self._feed(self._decoder.decode(b"", final=True), 0.0 if at is None else at)
        self._finished = True
        if self._line or self._pending:
            leftover = self._line or "\n".join(self._data)
            self._note(
                "unterminated",
                "the stream ended inside an event (no blank line after it), so clients discard it: "
                + _preview(leftover),
            )
        return events

    def _check_utf8(self, chunk: bytes, *, final: bool) -> None:
        if self._strict is None:
            return
        try:
            self._strict.decode(chunk, final)
        except UnicodeDecodeError as exc:
            self._strict = None  # its state is unusable now; one report is enough
            if final:  # a cut stream ends this way too: judged with the other end-of-stream faults
                self._note("unterminated", "the stream ends inside a UTF-8 sequence")
            else:
                where = self._offset + exc.start
                self._note(
                    "invalid_utf8", f"the stream is not valid UTF-8 (byte offset {where}: {exc.reason})"
                )

    def _note(self, kind: ProblemKind, message: str, event_index: int | None = None) -> None:
        if len(self.issues) < _MAX_PROBLEMS:
            self.issues.append(SseProblem(kind, message, event_index))

    def _feed(self, text: str, at: float) -> list[SseEvent]:
        if not text:
            return []
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._after_cr:
            self._after_cr = False
            if text.startswith("\n"):
                text = text[1:]
        events: list[SseEvent] = []
        start = 0
        length = len(text)
        while start < length:
            cr = text.find("\r", start)
            lf = text.find("\n", start)
            if cr < 0 and lf < 0:
                break
            if cr < 0 or (0 <= lf < cr):
                end, after = lf, lf + 1
            elif cr + 1 < length:
                end, after = cr, cr + 2 if text[cr + 1] == "\n" else cr + 1
            else:  # CR at the very end: an LF may start the next chunk
                end, after = cr, cr + 1
                self._after_cr = True
            line = self._line + text[start:end]
            self._line = ""
            event = self._process_line(line, at)
            if event is not None:
                events.append(event)
            start = after
        self._line += text[start:]
        return events

    def _process_line(self, line: str, at: float) -> SseEvent | None:
        if not line:
            return self._dispatch(at)
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name not in _FIELDS:
            # The standard ignores unknown fields, so whatever they carry is lost; the API sends
            # data-only events, so a bare word (a comment missing its `:`) is noise a client must skip.
            what = "is neither a field nor a comment"
            if value:
                what = f"has the field {name!r}, which SSE clients ignore"
            self._note(
                "unknown_field",
                f"line {_preview(line)} {what} (the API sends only `data:` lines and `:` comments)",
                self._dispatched,
            )
            return None
        self._pending = True
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif value.isascii() and value.isdigit():  # retry
            self._retry = int(value)
        return None

    def _dispatch(self, at: float) -> SseEvent | None:
        data, event_type, retry = self._data, self._event_type, self._retry
        self._data, self._event_type, self._retry, self._pending = [], "", None, False
        if not data:
            return None
        text = "\n".join(data)
        index = self._dispatched
        self._dispatched += 1
        if looks_merged(text):
            self._note(
                "merged",
                f"event {index} holds several JSON documents in one data field: {_preview(text)}",
                index,
            )
        return SseEvent(data=text, event=event_type or "message", id=self._last_id, retry=retry, at=at)


def decode_sse(body: bytes) -> tuple[list[SseEvent], list[SseProblem]]:
    """Decode a whole event stream at once: its events and its framing problems."""
    decoder = SseDecoder()
    events = decoder.decode(body)
    events += decoder.flush()
    return events, decoder.issues


def events_of(exchange: Exchange) -> tuple[list[SseEvent], list[SseProblem]]:
    """An answer's events and framing problems: as the transport decoded them on arrival, or from its body."""
    if exchange.events is not None and exchange.sse_problems is not None:
        return exchange.events, exchange.sse_problems
    events, issues = decode_sse(exchange.body) if exchange.body else ([], [])
    return (exchange.events if exchange.events is not None else events), issues
