"""Faults of parameters silently ignored, as real servers have ignored them (each cites its evidence).

Each answers a request as if one of its parameters had not been sent (or had been sent another way),
and one check catches it: the answer is well-formed, only blind to what was asked.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import BODY, CHAT, CHOICES, COMPLETION, Faults, forgotten
from openai_conformance.server.hooks import ANSWER, REQUEST

__all__ = ["PARAMETER_FAULTS"]

PARAMETER_FAULTS = Faults()
fault = PARAMETER_FAULTS.declare
_DRAWS = itertools.count()

# -- chat -----------------------------------------------------------------------------------------


@fault("stop-ignored", "semantics.stop", CHAT, COMPLETION, at=REQUEST)
def _no_stop(call: Call) -> Call:
    """`stop` is ignored: the answer runs on past its stop sequences (chat and text completions)."""
    return call.without("stop")


@fault("max-completion-tokens-ignored", "semantics.max_tokens", CHAT, at=REQUEST)
def _completion_cap_only(call: Call) -> Call:
    """Chat completions honour max_tokens but ignore max_completion_tokens sent alone."""
    fields = call.fields()
    if fields.get("max_completion_tokens") is not None and fields.get("max_tokens") is None:
        return call.without("max_completion_tokens")
    return call


def _plain_text(call: Call) -> bool:
    """A chat request whose answer is plain text: no response format, no tools."""
    return call.arg("response_format") is None and not call.arg("tools") and not call.arg("functions")


def _finished_as(call: Call, answer: Answer, reason: str, *, when: str) -> Answer:
    """``answer`` reporting ``reason`` for the plain-text choices that finished with ``when``."""
    if answer.raw is None and _plain_text(call) and (when != "stop" or call.arg("stop") is not None):
        for choice in answer.body.get("choices") or [] if isinstance(answer.body, dict) else []:
            if isinstance(choice, dict) and choice.get("finish_reason") == when:
                choice["finish_reason"] = reason
    return answer


@fault("length-reported-as-stop", "semantics.max_tokens", CHAT, at=ANSWER)
def _length_as_stop(call: Call, answer: Answer) -> Answer:
    """Chat answers cut by the token cap say finish_reason `stop`, as if they had ended (vllm#37937)."""
    return _finished_as(call, answer, "stop", when="length")


@fault("stop-reported-as-length", "semantics.stop", CHAT, at=ANSWER)
def _stop_as_length(call: Call, answer: Answer) -> Answer:
    """Chat answers that reached a stop sequence say finish_reason `length`, as if the cap had cut them."""
    return _finished_as(call, answer, "length", when="stop")


def _token_entries(choice: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-token entries of a chat choice's logprobs."""
    logprobs = choice.get("logprobs")
    return (logprobs or {}).get("content") or [] if isinstance(logprobs, dict) else []


@fault("logprobs-as-probabilities", "semantics.logprobs", CHAT, at=CHOICES)
def _probabilities(choice: dict[str, Any]) -> None:
    """Chat logprobs carry probabilities (0..1) instead of log probabilities."""
    for entry in _token_entries(choice):
        entry["logprob"] = round(math.exp(entry["logprob"]), 6)
        for alternative in entry.get("top_logprobs") or []:
            alternative["logprob"] = round(math.exp(alternative["logprob"]), 6)


@fault("top-logprobs-ignored", "semantics.logprobs", CHAT, at=CHOICES)
def _one_alternative(choice: dict[str, Any]) -> None:
    """Chat completions give one alternative per token whatever top_logprobs asks (ollama#16117)."""
    for entry in _token_entries(choice):
        entry["top_logprobs"] = entry.get("top_logprobs", [])[:1]


def _auto_if(call: Call, forced: bool) -> Call:
    """``call`` with tool_choice `auto` where ``forced`` (the form of tool_choice a fault ignores)."""
    return call.with_body({**call.fields(), "tool_choice": "auto"}) if forced else call


@fault("tool-choice-object-as-auto", "semantics.tool_choice", CHAT, at=REQUEST)
def _named_as_auto(call: Call) -> Call:
    """A tool_choice naming a function falls back to `auto` (llama.cpp#26535; vllm#50477)."""
    return _auto_if(call, isinstance(call.fields().get("tool_choice"), dict))


@fault("tool-choice-required-as-auto", "semantics.tool_choice", CHAT, at=REQUEST)
def _required_as_auto(call: Call) -> Call:
    """tool_choice `required` is not enforced: it acts as `auto` (llama.cpp#27217)."""
    return _auto_if(call, call.fields().get("tool_choice") == "required")


@fault("tool-choice-none-as-auto", "semantics.tool_choice", CHAT, at=REQUEST)
def _none_as_auto(call: Call) -> Call:
    """tool_choice `none` is ignored: a tool the prompt names is called anyway."""
    return _auto_if(call, call.fields().get("tool_choice") == "none")


@fault("parallel-tool-calls-ignored", "semantics.parallel_tool_calls", CHAT, at=REQUEST)
def _all_tools_called(call: Call) -> Call:
    """parallel_tool_calls false is ignored: every tool the prompt names is called."""
    return call.without("parallel_tool_calls")


@fault("strict-tool-arguments-invalid", "semantics.strict_tool_arguments", CHAT, at=REQUEST)
def _strict_without_parameters(call: Call) -> Call:
    """Functions declared `strict: true` get `{}` as arguments, whatever their schema requires."""
    tools = call.arg("tools")
    if not isinstance(tools, list):
        return call
    bare = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and function.get("strict") is True:
            tool = {**tool, "function": {k: v for k, v in function.items() if k != "parameters"}}
        bare.append(tool)
    return call.with_body({**call.fields(), "tools": bare})


@fault("seed-ignored", "semantics.seed", CHAT, at=REQUEST)
def _reseeded(call: Call) -> Call:
    """`seed` is ignored: the same request at temperature 0 gets another answer each time.

    Each request with a seed is sampled afresh: the same request, another answer.
    """
    sent = call.sent
    if call.fields().get("seed") is None or not isinstance(sent, dict):
        return call
    return replace(call, sent={**sent, "seed": [sent.get("seed"), next(_DRAWS)]})


@fault("model-not-echoed", "semantics.model", CHAT, at=BODY)
def _default_model(body: Any) -> None:
    """Chat completions name another model than the one asked for (llama.cpp#10056: gpt-3.5-turbo)."""
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        body["model"] = "gpt-4o" if body["model"].startswith("gpt-3.5-turbo") else "gpt-3.5-turbo"


# -- text completions -----------------------------------------------------------------------------


@fault("completions-first-prompt-only", "semantics.choices_count", COMPLETION, at=REQUEST)
def _first_prompt(call: Call) -> Call:
    """Text completions answer only the first of several prompts."""
    prompt = call.fields().get("prompt")
    if not isinstance(prompt, list) or not prompt or all(isinstance(p, int) for p in prompt):
        return call  # one prompt already (a string, or one list of token ids)
    return call.with_body({**call.fields(), "prompt": prompt[:1]})


@fault("echo-ignored", "semantics.echo", COMPLETION, at=REQUEST)
def _no_echo(call: Call) -> Call:
    """Text completions ignore `echo`: the prompt is not put before the completion."""
    return call.without("echo")


@fault("best-of-returned", "semantics.choices_count", COMPLETION, at=REQUEST)
def _best_of_returned(call: Call) -> Call:
    """Text completions return all best_of candidates instead of the n best."""
    best_of = call.fields().get("best_of")
    if not isinstance(best_of, int) or best_of <= int(call.fields().get("n") or 1):
        return call
    return call.with_body({**call.fields(), "n": best_of})


@fault("completion-logprobs-zero-null", "semantics.logprobs", COMPLETION, at=CHOICES)
def _no_zero_logprobs(choice: dict[str, Any]) -> None:
    """Text completions answer `logprobs: 0` with `logprobs: null` (llama.cpp#11346)."""
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict) and all(not entry for entry in logprobs.get("top_logprobs") or []):
        choice["logprobs"] = None  # logprobs: 0 (no alternatives asked) answered with none at all


@fault("suffix-ignored", "semantics.suffix", COMPLETION, at=REQUEST)
def _no_suffix(call: Call) -> Call:
    """Text completions ignore `suffix`: the completion is the one written without it."""
    return forgotten(call, "suffix")
