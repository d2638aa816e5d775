"""Semantics of legacy text completions: ``echo``, stop sequences and the legacy logprobs.

Choice ``i * n + j`` answers prompt ``i``; with ``echo: true`` its text starts with that prompt
(given as a string: a prompt of token ids has no text to compare), and a stop sequence is looked
for only in what follows it, the prompt being the user's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, register, unchecked
from openai_conformance.validation.semantics.logprobs import check_completion_logprobs
from openai_conformance.validation.semantics.shared import (
    COMPLETION_OPERATION,
    END_USER,
    SAMPLING,
    as_dict,
    check_stop,
    json_int,
    prompt_texts,
    short,
    stop_sequences,
)
from openai_conformance.validation.violations import Violation

__all__ = ["ECHO", "check_completion"]

ECHO = register(
    "semantics.echo",
    "error",
    "With echo, each choice's text starts with its prompt.",
    "CreateCompletionRequest.echo: echo back the prompt in addition to the completion",
    why="the server puts the prompt it was given in front of the completion; no model writes it",
    parameters=(Parameter(COMPLETION_OPERATION, "echo", "true: each choice's text starts with its prompt"),),
)

unchecked(
    COMPLETION_OPERATION,
    ("temperature", "top_p", "frequency_penalty", "presence_penalty", "logit_bias"),
    SAMPLING,
)
unchecked(COMPLETION_OPERATION, ("user",), END_USER)


def _squash(text: str) -> str:
    return "".join(text.split())


def check_completion(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    """The completions rules on the choices of one non-streamed answer."""
    yield from check_completion_logprobs(request, choices)
    prompts = prompt_texts(request["prompt"]) if request.get("prompt") is not None else None
    n = json_int(request.get("n")) or 1
    echo = request.get("echo") is True
    stops = stop_sequences(request)
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        text = choice.get("text")
        index = json_int(choice.get("index"))
        if not isinstance(text, str) or prompts is None or index is None or not 0 <= index < n * len(prompts):
            continue
        prompt = prompts[index // n]
        pointer = f"/choices/{j}/text"
        generated: str | None = text
        if echo:
            if prompt is None:
                generated = None  # token ids: where the prompt ends in the text is unknown
            elif text.startswith(prompt):
                generated = text[len(prompt) :]
            elif _squash(text).startswith(_squash(prompt)):
                generated = None  # echoed with its spaces cleaned up: the split is unknown
            else:
                yield ECHO.violation(
                    f"echo is true but the text does not start with the prompt {short(prompt)}: "
                    f"{short(text)}",
                    pointer,
                )
                generated = None
        if generated is not None:
            yield from check_stop(generated, stops, pointer)
