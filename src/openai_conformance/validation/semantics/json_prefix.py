"""Whether a text is the start of a JSON document: what a JSON-constrained answer cut by the token cap is.

A server that constrains decoding to JSON (JSON mode, Structured Outputs, strict tools) emits only
tokens that keep the text a prefix of some valid document; the cap may stop it anywhere, even inside
a string or a number. Prose is never such a prefix, cut or not. A small hand-written scanner (a
stack of containers and the state within the current value), linear in the text, no recursion.
"""

from __future__ import annotations

__all__ = ["is_json_prefix"]

_WHITESPACE = " \t\n\r"
_LITERALS = ("true", "false", "null")
_ESCAPES = '"\\/bfnrtu'
_HEX = "0123456789abcdefABCDEF"
_NUMBER = "0123456789+-.eE"


class _Scanner:
    """The grammar of RFC 8259 as states; ``feed`` answers False at the first character no document allows."""

    def __init__(self) -> None:
        self.stack: list[str] = []  # "{" or "[" for each open container
        self.expect = "value"  # value | key | colon | comma_or_close | value_or_close | key_or_close | done
        self.literal = ""  # the part of true/false/null read so far
        self.number = ""  # the number read so far
        self.in_string = False
        self.string_is_key = False
        self.escape = -1  # -1: no escape; 0: after a backslash; 1-4: hex digits of \\u read so far

    def feed(self, char: str) -> bool:
        if self.in_string:
            return self._string(char)
        if self.literal:
            return self._literal(char)
        if self.number:
            if char in _NUMBER and _number_prefix(self.number + char):
                self.number += char
                return True
            if not _complete_number(self.number):
                return False
            self.number = ""
            self._value_done()
        return self._structure(char)

    def _string(self, char: str) -> bool:
        if self.escape == 0:
            if char not in _ESCAPES:
                return False
            self.escape = 1 if char == "u" else -1
            return True
        if self.escape > 0:
            if char not in _HEX:
                return False
            self.escape = -1 if self.escape == 4 else self.escape + 1
            return True
        if char == "\\":
            self.escape = 0
        elif char == '"':
            self.in_string = False
            if self.string_is_key:
                self.expect = "colon"
            else:
                self._value_done()
        elif ord(char) < 0x20:
            return False  # control characters must be escaped
        return True

    def _literal(self, char: str) -> bool:
        candidate = self.literal + char
        matches = [word for word in _LITERALS if word.startswith(candidate)]
        if not matches:
            return False
        self.literal = candidate
        if candidate in _LITERALS:
            self.literal = ""
            self._value_done()
        return True

    def _structure(self, char: str) -> bool:
        if char in _WHITESPACE:
            return True
        expect = self.expect
        if expect == "done":
            return False
        if expect == "colon":
            if char != ":":
                return False
            self.expect = "value"
            return True
        if expect == "comma_or_close":
            return self._comma_or_close(char)
        if expect in ("key", "key_or_close"):
            if char == "}" and expect == "key_or_close":
                return self._close("{")
            if char != '"':
                return False
            self.in_string, self.string_is_key = True, True
            return True
        if char == "]" and expect == "value_or_close":
            return self._close("[")
        return self._start_value(char)

    def _start_value(self, char: str) -> bool:
        if char == "{":
            self.stack.append("{")
            self.expect = "key_or_close"
        elif char == "[":
            self.stack.append("[")
            self.expect = "value_or_close"
        elif char == '"':
            self.in_string, self.string_is_key = True, False
        elif char in "-0123456789":
            self.number = char
        elif any(word.startswith(char) for word in _LITERALS):
            self.literal = char
        else:
            return False
        return True

    def _comma_or_close(self, char: str) -> bool:
        top = self.stack[-1] if self.stack else ""
        if char == ",":
            self.expect = "key" if top == "{" else "value"
            return True
        if char in "}]":
            return self._close("{" if char == "}" else "[")
        return False

    def _close(self, kind: str) -> bool:
        if not self.stack or self.stack[-1] != kind:
            return False
        self.stack.pop()
        self._value_done()
        return True

    def _value_done(self) -> None:
        self.expect = "comma_or_close" if self.stack else "done"


def _digits(text: str, i: int) -> int:
    """The position after the digits that start at ``i``."""
    while i < len(text) and text[i].isdigit():
        i += 1
    return i


def _number_prefix(text: str) -> bool:
    """Whether ``text`` can still grow into a JSON number: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?"""
    i, n = (1 if text.startswith("-") else 0), len(text)
    if i == n:
        return True
    if text[i] == "0":
        i += 1
    elif text[i].isdigit():
        i = _digits(text, i)
    else:
        return False
    for marker, signs in ((".", ""), ("eE", "+-")):
        if i < n and text[i] in marker:
            i += 1
            if i < n and signs and text[i] in signs:
                i += 1
            if i == n:
                return True
            if not text[i].isdigit():
                return False
            i = _digits(text, i)
    return i == n


def _complete_number(text: str) -> bool:
    return _number_prefix(text) and text[-1].isdigit()


def is_json_prefix(text: str) -> bool:
    """Whether some text appended to ``text`` makes a valid JSON document (``""`` and whitespace are)."""
    scanner = _Scanner()
    return all(scanner.feed(char) for char in text)
