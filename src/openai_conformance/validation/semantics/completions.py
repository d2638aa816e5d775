"""Semantics of text completions: the legacy ``logprobs`` integer and its four parallel lists."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.semantics.shared import LOGPROBS, as_dict, json_int, unasked_logprobs
from openai_conformance.validation.violations import Violation

__all__ = ["check_completion_logprobs"]


def check_completion_logprobs(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    """``logprobs: k`` gives at most k + 1 alternatives per token, in lists of one length."""
    k = json_int(request.get("logprobs"))
    if request.get("logprobs") is None:
        yield from unasked_logprobs(choices)
        return
    if k is None or k < 0:
        return
    for j, choice in enumerate(choices):
        logprobs = as_dict(choice).get("logprobs")
        if logprobs is None:
            if k >= 1:
                yield LOGPROBS.violation(
                    f"logprobs={k} was asked but the choice's logprobs is null",
                    f"/choices/{j}/logprobs",
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
            yield LOGPROBS.violation(f"logprobs lists differ in length: {lists}", f"/choices/{j}/logprobs")
        top = logprobs.get("top_logprobs")
        for t, entry in enumerate(top if isinstance(top, list) else []):
            # "the API will always return the logprob of the sampled token, so there may be up to
            # logprobs+1 elements in the response" (CreateCompletionRequest.logprobs).
            if isinstance(entry, dict) and len(entry) > k + 1:
                yield LOGPROBS.violation(
                    f"{len(entry)} alternatives for logprobs={k} (at most {k + 1})",
                    f"/choices/{j}/logprobs/top_logprobs/{t}",
                )
                break
