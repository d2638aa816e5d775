"""Semantics of legacy text completions: ``echo``, stop sequences and the legacy logprobs.

Choice ``i * n + j`` answers prompt ``i``; with ``echo: true`` its text starts with that prompt
(given as a string: a prompt of token ids has no text to compare), and a stop sequence is looked
for only in what follows it, the prompt being the user's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, check, unchecked
from openai_conformance.validation.semantics.logprobs import check_logprobs
from openai_conformance.validation.semantics.shared import (
    COMPLETION_OPERATION,
    END_USER,
    SAMPLING,
    as_dict,
    json_int,
    prompt_texts,
    short,
)
from openai_conformance.validation.semantics.stop import check_stop, stop_sequences
from openai_conformance.validation.violations import Violation

__all__ = ["check_completion", "echo"]

unchecked(
    COMPLETION_OPERATION,
    ("temperature", "top_p", "frequency_penalty", "presence_penalty", "logit_bias"),
    SAMPLING,
)
unchecked(COMPLETION_OPERATION, ("user",), END_USER)


def _squash(text: str) -> str:
    return "".join(text.split())


def _choices(request: Mapping[str, Any], choices: list[Any]) -> Iterator[tuple[str, str | None, str]]:
    """Each choice's text with its prompt (None: token ids) and its pointer, where both are known."""
    prompts = prompt_texts(request["prompt"]) if request.get("prompt") is not None else None
    n = json_int(request.get("n")) or 1
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        text = choice.get("text")
        index = json_int(choice.get("index"))
        if (
            isinstance(text, str)
            and prompts is not None
            and index is not None
            and 0 <= index < n * len(prompts)
        ):
            yield text, prompts[index // n], f"/choices/{j}/text"


def _generated(text: str, prompt: str | None, echo: bool) -> str | None:
    """What the model wrote after the echoed prompt (None: where the prompt ends is unknown)."""
    if not echo:
        return text
    if prompt is None:
        return None  # token ids: where the prompt ends in the text is unknown
    if text.startswith(prompt):
        return text[len(prompt) :]
    return None  # echoed with its spaces cleaned up, or not echoed: the split is unknown


@check(
    "semantics.echo",
    "error",
    parameters=(Parameter(COMPLETION_OPERATION, "echo", "true: each choice's text starts with its prompt"),),
)
def echo(text: str, prompt: str | None, pointer: str) -> Iterator[Violation]:
    """With echo, each choice's text starts with its prompt.

    Reference: CreateCompletionRequest.echo: echo back the prompt in addition to the completion
    Why: the server puts the prompt it was given in front of the completion; no model writes it
    """
    if prompt is not None and not _squash(text).startswith(_squash(prompt)):
        yield echo.violation(
            f"echo is true but the text does not start with the prompt {short(prompt)}: {short(text)}",
            pointer,
        )


def check_completion(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    """The completions rules on the choices of one non-streamed answer."""
    yield from check_logprobs(request, choices, COMPLETION_OPERATION)
    echoed = request.get("echo") is True
    stops = stop_sequences(request)
    for text, prompt, pointer in _choices(request, choices):
        if echoed:
            yield from echo(text, prompt, pointer)
        generated = _generated(text, prompt, echoed)
        if generated is not None:
            yield from check_stop(generated, stops, pointer)
