"""Stop sequences: the text a server returns never holds one (it stops generating there)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.semantics.shared import CHAT_OPERATION, COMPLETION_OPERATION, short
from openai_conformance.validation.violations import Violation

__all__ = ["check_stop", "stop_sequences"]


def stop_sequences(request: Mapping[str, Any]) -> list[str]:
    """The request's stop sequences (``stop``: a string or a list of them); empty ones stop nothing."""
    stop = request.get("stop")
    values = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    return [value for value in values if isinstance(value, str) and value]


@check(
    "semantics.stop",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "stop",
            "a string or a list: no choice's content contains one; an answer "
            "asked to reach one ends with `stop`, short of the cap",
        ),
        Parameter(
            COMPLETION_OPERATION,
            "stop",
            "a string or a list: no choice's text (after an echoed prompt) contains one",
        ),
    ),
)
def check_stop(text: Any, stops: list[str], pointer: str) -> Iterator[Violation]:
    """The generated text never contains a stop sequence; an answer that reached one ends with
    finish_reason `stop`.

    A returned text that holds a stop sequence: the server did not stop there.

    Reference: CreateChatCompletionRequest.stop: up to 4 sequences where the API will stop generating
        further tokens
    Why: the server cuts the text at the first stop sequence before returning it: no text it returns can
        hold one
    """
    if not isinstance(text, str):
        return
    for stop in stops:
        if stop in text:
            yield check_stop.violation(
                f"the text contains the stop sequence {stop!r} at character {text.index(stop)}: {short(text)}",
                pointer,
            )
            return
