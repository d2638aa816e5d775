"""Faults of parameters silently ignored, as real servers have ignored them (each cites its evidence).

Each answers a request as if one of its parameters had not been sent (or had been sent another way),
and one check catches it: the answer is well-formed, only blind to what was asked.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import (
    CHAT,
    COMPLETION,
    Fault,
    each_choice,
    edit_body,
    forgotten,
    without,
)

__all__ = ["PARAMETER_FAULTS"]


def _choice_as(mode: str, *forms: str) -> Any:
    """A request hook that turns a tool_choice of one of ``forms`` ("object", "none", "required") into ``mode``."""

    def hook(call: Call) -> Call:
        choice = call.fields().get("tool_choice")
        form = "object" if isinstance(choice, dict) else choice
        return call.with_body({**call.fields(), "tool_choice": mode}) if form in forms else call

    return hook


def _completion_cap_only(call: Call) -> Call:
    fields = call.fields()
    if fields.get("max_completion_tokens") is not None and fields.get("max_tokens") is None:
        return without("max_completion_tokens")(call)
    return call


def _probabilities(choice: dict[str, Any]) -> None:
    """Probabilities where log probabilities belong (exp of each)."""
    logprobs = choice.get("logprobs")
    for entry in (logprobs or {}).get("content") or [] if isinstance(logprobs, dict) else []:
        entry["logprob"] = round(math.exp(entry["logprob"]), 6)
        for alternative in entry.get("top_logprobs") or []:
            alternative["logprob"] = round(math.exp(alternative["logprob"]), 6)


def _one_alternative(choice: dict[str, Any]) -> None:
    logprobs = choice.get("logprobs")
    for entry in (logprobs or {}).get("content") or [] if isinstance(logprobs, dict) else []:
        entry["top_logprobs"] = entry.get("top_logprobs", [])[:1]


def _strict_without_parameters(call: Call) -> Call:
    tools = call.fields().get("tools")
    if not isinstance(tools, list):
        return call
    bare = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and function.get("strict") is True:
            tool = {**tool, "function": {k: v for k, v in function.items() if k != "parameters"}}
        bare.append(tool)
    return call.with_body({**call.fields(), "tools": bare})


_DRAWS = itertools.count()


def _reseeded(call: Call) -> Call:
    """Each request with a seed is sampled afresh: the same request, another answer."""
    sent = call.sent
    if call.fields().get("seed") is None or not isinstance(sent, dict):
        return call
    return replace(call, sent={**sent, "seed": [sent.get("seed"), next(_DRAWS)]})


def _default_model(body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        body["model"] = "gpt-4o" if body["model"].startswith("gpt-3.5-turbo") else "gpt-3.5-turbo"


def _first_prompt(call: Call) -> Call:
    prompt = call.fields().get("prompt")
    if not isinstance(prompt, list) or not prompt or all(isinstance(p, int) for p in prompt):
        return call  # one prompt already (a string, or one list of token ids)
    return call.with_body({**call.fields(), "prompt": prompt[:1]})


def _best_of_returned(call: Call) -> Call:
    best_of = call.fields().get("best_of")
    if not isinstance(best_of, int) or best_of <= int(call.fields().get("n") or 1):
        return call
    return call.with_body({**call.fields(), "n": best_of})


def _no_zero_logprobs(choice: dict[str, Any]) -> None:
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict) and all(not entry for entry in logprobs.get("top_logprobs") or []):
        choice["logprobs"] = None  # logprobs: 0 (no alternatives asked) answered with none at all


def _plain_text(call: Call) -> bool:
    """A chat request whose answer is plain text: no response format, no tools."""
    return call.arg("response_format") is None and not call.arg("tools") and not call.arg("functions")


def _finish_as(reason: str, *, when: str) -> Any:
    """An answer hook that reports ``reason`` for the plain-text choices that finished with ``when``."""

    def hook(call: Call, answer: Any) -> Any:
        if answer.raw is None and _plain_text(call) and (when != "stop" or call.arg("stop") is not None):
            for choice in answer.body.get("choices") or [] if isinstance(answer.body, dict) else []:
                if isinstance(choice, dict) and choice.get("finish_reason") == when:
                    choice["finish_reason"] = reason
        return answer

    return hook


PARAMETER_FAULTS: tuple[Fault, ...] = (
    # chat
    Fault(
        "stop-ignored",
        "semantics.stop",
        "`stop` is ignored: the answer runs on past its stop sequences (chat and text completions).",
        operations=(CHAT, COMPLETION),
        request=without("stop"),
    ),
    Fault(
        "max-completion-tokens-ignored",
        "semantics.max_tokens",
        "Chat completions honour max_tokens but ignore max_completion_tokens sent alone.",
        operations=(CHAT,),
        request=_completion_cap_only,
    ),
    Fault(
        "length-reported-as-stop",
        "semantics.max_tokens",
        "Chat answers cut by the token cap say finish_reason `stop`, as if they had ended (vllm#37937).",
        operations=(CHAT,),
        answer=_finish_as("stop", when="length"),
    ),
    Fault(
        "stop-reported-as-length",
        "semantics.stop",
        "Chat answers that reached a stop sequence say finish_reason `length`, as if the cap had cut them.",
        operations=(CHAT,),
        answer=_finish_as("length", when="stop"),
    ),
    Fault(
        "logprobs-as-probabilities",
        "semantics.logprobs",
        "Chat logprobs carry probabilities (0..1) instead of log probabilities.",
        operations=(CHAT,),
        answer=edit_body(each_choice(_probabilities)),
    ),
    Fault(
        "top-logprobs-ignored",
        "semantics.logprobs",
        "Chat completions give one alternative per token whatever top_logprobs asks (ollama#16117).",
        operations=(CHAT,),
        answer=edit_body(each_choice(_one_alternative)),
    ),
    Fault(
        "tool-choice-object-as-auto",
        "semantics.tool_choice",
        "A tool_choice naming a function falls back to `auto` (llama.cpp#26535; vllm#50477).",
        operations=(CHAT,),
        request=_choice_as("auto", "object"),
    ),
    Fault(
        "tool-choice-required-as-auto",
        "semantics.tool_choice",
        "tool_choice `required` is not enforced: it acts as `auto` (llama.cpp#27217).",
        operations=(CHAT,),
        request=_choice_as("auto", "required"),
    ),
    Fault(
        "tool-choice-none-as-auto",
        "semantics.tool_choice",
        "tool_choice `none` is ignored: a tool the prompt names is called anyway.",
        operations=(CHAT,),
        request=_choice_as("auto", "none"),
    ),
    Fault(
        "parallel-tool-calls-ignored",
        "semantics.parallel_tool_calls",
        "parallel_tool_calls false is ignored: every tool the prompt names is called.",
        operations=(CHAT,),
        request=without("parallel_tool_calls"),
    ),
    Fault(
        "strict-tool-arguments-invalid",
        "semantics.strict_tool_arguments",
        "Functions declared `strict: true` get `{}` as arguments, whatever their schema requires.",
        operations=(CHAT,),
        request=_strict_without_parameters,
    ),
    Fault(
        "seed-ignored",
        "semantics.seed",
        "`seed` is ignored: the same request at temperature 0 gets another answer each time.",
        operations=(CHAT,),
        request=_reseeded,
    ),
    Fault(
        "model-not-echoed",
        "semantics.model",
        "Chat completions name another model than the one asked for (llama.cpp#10056: gpt-3.5-turbo).",
        operations=(CHAT,),
        answer=edit_body(_default_model),
    ),
    # text completions
    Fault(
        "completions-first-prompt-only",
        "semantics.choices_count",
        "Text completions answer only the first of several prompts.",
        operations=(COMPLETION,),
        request=_first_prompt,
    ),
    Fault(
        "echo-ignored",
        "semantics.echo",
        "Text completions ignore `echo`: the prompt is not put before the completion.",
        operations=(COMPLETION,),
        request=without("echo"),
    ),
    Fault(
        "best-of-returned",
        "semantics.choices_count",
        "Text completions return all best_of candidates instead of the n best.",
        operations=(COMPLETION,),
        request=_best_of_returned,
    ),
    Fault(
        "completion-logprobs-zero-null",
        "semantics.logprobs",
        "Text completions answer `logprobs: 0` with `logprobs: null` (llama.cpp#11346).",
        operations=(COMPLETION,),
        answer=edit_body(each_choice(_no_zero_logprobs)),
    ),
    Fault(
        "suffix-ignored",
        "semantics.suffix",
        "Text completions ignore `suffix`: the completion is the one written without it.",
        operations=(COMPLETION,),
        request=forgotten("suffix"),
    ),
)
