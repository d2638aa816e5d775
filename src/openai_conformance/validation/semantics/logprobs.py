"""Logprobs, chat and legacy: present exactly when asked, never positive, one per token, and the tokens.

A log probability is the log of a probability: never above 0 (``-9999.0`` is OpenAI's "very
unlikely"). The entries are the sampled tokens, one each: chat entries carry their UTF-8 ``bytes``
("useful … where characters are represented by multiple tokens and their byte representations must
be combined"), legacy completions their ``tokens``; joined, they are the text. Whitespace is left out
of that comparison (detokenizers clean spaces up) and so is a surplus or missing tail (a special
token at the end, or entries left out: the count rule's business).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.semantics.shared import (
    CHAT_OPERATION,
    COMPLETION_OPERATION,
    as_dict,
    json_int,
    short,
)
from openai_conformance.validation.violations import Violation

__all__ = ["check_logprobs"]


def _carries_logprobs(value: Any) -> bool:
    """Whether a choice's ``logprobs`` holds anything (an object of nulls and empty lists does not)."""
    if isinstance(value, dict):
        return any(item not in (None, [], {}) for item in value.values())
    return value is not None


def _unasked(choices: list[Any]) -> Iterator[Violation]:
    """The first choice that carries logprobs nobody asked for."""
    for j, choice in enumerate(choices):
        if _carries_logprobs(as_dict(choice).get("logprobs")):
            yield check_logprobs.violation(
                "logprobs were not asked for but the choice carries them",
                f"/choices/{j}/logprobs",
            )
            return


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _squash(text: str) -> str:
    return "".join(text.split())


def _joined_differs(joined: str, text: str) -> bool:
    """Whether the tokens joined are not the text (whitespace aside, a tail on either side allowed)."""
    a, b = _squash(joined), _squash(text)
    return not (a.startswith(b) or b.startswith(a))


def _chat_bytes(items: list[Any]) -> str | None:
    """The text the entries' ``bytes`` spell, when every entry gives them and they decode as UTF-8."""
    raw = bytearray()
    for item in items:
        values = as_dict(item).get("bytes")
        if not isinstance(values, list) or not all(json_int(v) is not None and 0 <= v < 256 for v in values):
            return None
        raw.extend(values)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # cut inside a character (the cap): nothing to compare


def _chat_values(items: list[Any], pointer: str) -> Violation | None:
    for t, item in enumerate(items):
        item = as_dict(item)
        if _positive(item.get("logprob")):
            return check_logprobs.violation(
                f"logprob {item['logprob']} is positive: a log probability is at most 0",
                f"{pointer}/{t}/logprob",
            )
        top = item.get("top_logprobs")
        for a, alternative in enumerate(top if isinstance(top, list) else []):
            if _positive(as_dict(alternative).get("logprob")):
                return check_logprobs.violation(
                    f"logprob {alternative['logprob']} is positive: a log probability is at most 0",
                    f"{pointer}/{t}/top_logprobs/{a}/logprob",
                )
    return None


def _chat_count(items: list[Any], completion_tokens: int | None, pointer: str) -> Violation | None:
    """One entry per generated token (one spare for a final special token the count may leave out)."""
    if completion_tokens is None:
        return None
    if len(items) > completion_tokens + 1:
        return check_logprobs.violation(
            f"{len(items)} logprob entries for {completion_tokens} completion tokens: one entry per token",
            pointer,
        )
    if len(items) < completion_tokens - 1:
        return check_logprobs.violation(
            f"{len(items)} logprob entries for {completion_tokens} completion tokens (tokens left out?)",
            pointer,
            warning=True,
        )
    return None


def _chat(
    request: Mapping[str, Any], choices: list[Any], completion_tokens: int | None = None
) -> Iterator[Violation]:
    """The logprobs of a chat answer's choices; ``completion_tokens`` from its usage (one choice only)."""
    if request.get("logprobs") is not True:
        yield from _unasked(choices)
        return
    k = json_int(request.get("top_logprobs"))
    # The spec allows fewer than k alternatives "in rare cases"; a constrained vocabulary makes them
    # common. So fewer is a fault only when *no* token got k (the parameter was dropped).
    constrained = (
        as_dict(request.get("response_format")).get("type") == "json_schema"
        or isinstance(request.get("tool_choice"), dict)
        or request.get("tool_choice") == "required"
        or bool(request.get("logit_bias"))
    )
    full = short_count = 0
    first_short = ""
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        message = as_dict(choice.get("message"))
        content = message.get("content")
        if choice.get("logprobs") is None:
            yield check_logprobs.violation(
                "logprobs: true was asked but the choice's logprobs is null", f"/choices/{j}/logprobs"
            )
            continue
        items = as_dict(choice.get("logprobs")).get("content")
        pointer = f"/choices/{j}/logprobs/content"
        if not isinstance(items, list):
            if isinstance(content, str) and content:
                yield check_logprobs.violation(
                    "logprobs: true was asked but logprobs.content is null", pointer
                )
            continue
        if found := _chat_values(items, pointer):
            yield found
            return
        if isinstance(content, str) and not message.get("tool_calls"):
            joined = _chat_bytes(items)
            if joined is not None and _joined_differs(joined, content):
                yield check_logprobs.violation(
                    f"the entries' bytes spell {short(joined)}, not the content {short(content)}", pointer
                )
                return
            if len(choices) == 1 and (found := _chat_count(items, completion_tokens, pointer)):
                yield found
        for t, item in enumerate(items if k is not None else []):
            top = as_dict(item).get("top_logprobs")
            if not isinstance(top, list):
                continue
            assert k is not None
            if len(top) > k:
                yield check_logprobs.violation(
                    f"{len(top)} top_logprobs for top_logprobs={k}", f"{pointer}/{t}/top_logprobs"
                )
                return
            if len(top) == k:
                full += 1
            else:
                short_count += 1
                first_short = first_short or f"{pointer}/{t}/top_logprobs"
    if k and short_count and not full and not constrained:
        yield check_logprobs.violation(
            f"top_logprobs={k} was asked but no token has {k} alternatives (the parameter was ignored?)",
            first_short,
        )


def _completion_values(logprobs: Mapping[str, Any], pointer: str) -> Violation | None:
    values = logprobs.get("token_logprobs")
    for t, value in enumerate(values if isinstance(values, list) else []):
        if _positive(value):
            return check_logprobs.violation(
                f"token logprob {value} is positive: a log probability is at most 0",
                f"{pointer}/token_logprobs/{t}",
            )
    top = logprobs.get("top_logprobs")
    for t, entry in enumerate(top if isinstance(top, list) else []):
        for token, value in as_dict(entry).items():
            if _positive(value):
                return check_logprobs.violation(
                    f"logprob {value} of {token!r} is positive: a log probability is at most 0",
                    f"{pointer}/top_logprobs/{t}",
                )
    return None


def _completion(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    """``logprobs: k`` (0-5) gives at most k + 1 alternatives per token, in lists of one length."""
    k = json_int(request.get("logprobs"))
    if request.get("logprobs") is None:
        yield from _unasked(choices)
        return
    if k is None or k < 0:
        return
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        logprobs = choice.get("logprobs")
        text = choice.get("text")
        pointer = f"/choices/{j}/logprobs"
        if logprobs is None:
            if isinstance(text, str) and text:
                yield check_logprobs.violation(
                    f"logprobs={k} was asked but the choice's logprobs is null", pointer
                )
            continue
        if not isinstance(logprobs, dict):
            continue
        lists = {
            name: len(value)
            for name in ("tokens", "token_logprobs", "top_logprobs", "text_offset")
            if isinstance(value := logprobs.get(name), list)
        }
        if len(set(lists.values())) > 1:
            yield check_logprobs.violation(f"logprobs lists differ in length: {lists}", pointer)
        if found := _completion_values(logprobs, pointer):
            yield found
            return
        top = logprobs.get("top_logprobs")
        for t, entry in enumerate(top if isinstance(top, list) else []):
            # "the API will always return the logprob of the sampled token, so there may be up to
            # logprobs+1 elements in the response" (CreateCompletionRequest.logprobs).
            if isinstance(entry, dict) and len(entry) > k + 1:
                yield check_logprobs.violation(
                    f"{len(entry)} alternatives for logprobs={k} (at most {k + 1})",
                    f"{pointer}/top_logprobs/{t}",
                )
                break
        tokens = logprobs.get("tokens")
        pieces = [x for x in tokens if isinstance(x, str)] if isinstance(tokens, list) else []
        plain = isinstance(tokens, list) and len(pieces) == len(tokens)
        if plain and not any(x.startswith("bytes:") for x in pieces) and isinstance(text, str):
            joined = "".join(pieces)
            if _joined_differs(joined, text):
                yield check_logprobs.violation(
                    f"the tokens join to {short(joined)}, not the text {short(text)}", f"{pointer}/tokens"
                )


@check(
    "semantics.logprobs",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "logprobs",
            "logprobs.content present exactly when asked; every value <= 0; "
            "one entry per token; the entries' bytes join to the content",
        ),
        Parameter(CHAT_OPERATION, "top_logprobs", "at most k alternatives per token, and k for some token"),
        Parameter(
            COMPLETION_OPERATION,
            "logprobs",
            "0-5: present exactly when asked (0 too); the four lists of "
            "one length; at most k + 1 alternatives; every value <= 0; the tokens join to the text",
        ),
    ),
)
def check_logprobs(
    request: Mapping[str, Any], choices: list[Any], operation_id: str, completion_tokens: int | None = None
) -> Iterator[Violation]:
    """Logprobs are present exactly when asked, with top_logprobs of the asked size.

    The logprobs of a chat or legacy completion answer's choices (``completion_tokens`` from a chat
    answer's usage, for one choice only).

    Reference: CreateChatCompletionRequest.logprobs / top_logprobs
    Why: log probabilities are computed by the server from the model's distribution: they exist for
        every sampled token and are never positive
    Relaxed: a warning when a choice has fewer logprob entries than the tokens usage counts (a server
        may leave special tokens out)
    """
    if operation_id == CHAT_OPERATION:
        yield from _chat(request, choices, completion_tokens)
    else:
        yield from _completion(request, choices)
