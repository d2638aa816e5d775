"""Faults the semantic checks catch: well-formed answers that ignore what the request asked for."""

from __future__ import annotations

from typing import Any

from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import (
    CHAT,
    COMPLETION,
    EMBEDDING,
    Fault,
    each_choice,
    each_event,
    edit_body,
    without,
)
from openai_conformance.server.responders.embeddings import native_dimensions
from openai_conformance.server.responders.text import cap
from openai_conformance.server.routing import RequestError

__all__ = ["SEMANTIC_FAULTS"]


def _no_cap(call: Call) -> Call:
    try:
        cap(call, 1)
    except RequestError:
        return call  # an invalid cap is still refused, by the responder
    return without("max_tokens", "max_completion_tokens")(call)


def _usage_plus_one(body: Any) -> None:
    usage = body.get("usage") if isinstance(body, dict) else None
    if isinstance(usage, dict):
        usage["total_tokens"] += 1


def _no_logprobs(choice: dict[str, Any]) -> None:
    choice["logprobs"] = None


def _milliseconds(body: Any) -> None:
    if isinstance(body, dict) and "created" in body:
        body["created"] = body["created"] * 1000


def _no_forced_call(call: Call) -> Call:
    fields = dict(call.fields())
    if isinstance(fields.get("tool_choice"), dict) or fields.get("tool_choice") == "required":
        fields["tool_choice"] = "none"  # not dropped: without a choice, a tool named in the prompt is called
    if isinstance(fields.get("function_call"), dict):
        del fields["function_call"]
    return call.with_body(fields)


def _no_parameters(call: Call) -> Call:
    """Tools (not strict ones: strict-tool-arguments-invalid) lose their parameters schema."""
    fields = dict(call.fields())
    if isinstance(fields.get("tools"), list):
        fields["tools"] = [
            {**t, "function": _bare(t["function"])} if _loose_tool(t) else t for t in fields["tools"]
        ]
    if isinstance(fields.get("functions"), list):
        fields["functions"] = [_bare(f) for f in fields["functions"]]
    return call.with_body(fields)


def _loose_tool(tool: Any) -> bool:
    function = tool.get("function") if isinstance(tool, dict) else None
    return isinstance(function, dict) and function.get("strict") is not True


def _bare(function: Any) -> Any:
    return (
        {k: v for k, v in function.items() if k != "parameters"} if isinstance(function, dict) else function
    )


def _no_json_object(call: Call) -> Call:
    fmt = call.arg("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return without("response_format")(call)
    return call


def _fixed_object(call: Call, instance: Any, words: list[str]) -> Any:
    return {"answer": "".join(words[:2])}


def _no_base64(call: Call) -> Call:
    return without("encoding_format")(call) if call.arg("encoding_format") == "base64" else call


def _full_length(call: Call) -> Call:
    dimensions = call.arg("dimensions")
    if dimensions is None or dimensions > native_dimensions(call.arg("model")):
        return call  # too many dimensions are still refused, by the responder
    return without("dimensions")(call)


def _first_input(call: Call) -> Call:
    value = call.arg("input")
    tokens = isinstance(value, list) and bool(value) and all(isinstance(v, int) for v in value)
    if not isinstance(value, list) or tokens:
        return call  # one input already (a string, or one list of token ids)
    return call.with_body({**call.fields(), "input": value[:1]})


SEMANTIC_FAULTS: tuple[Fault, ...] = (
    Fault(
        "ignore-n",
        "semantics.choices_count",
        "Chat and text completions ignore `n` and always return one choice (per prompt).",
        operations=(CHAT, COMPLETION),
        request=without("n"),
    ),
    Fault(
        "exceed-max-tokens",
        "semantics.max_tokens",
        "Chat completions ignore max_tokens / max_completion_tokens and write the whole answer.",
        operations=(CHAT,),
        request=_no_cap,
    ),
    Fault(
        "usage-total-off-by-one",
        "semantics.usage_total",
        "Chat completion usage reports total_tokens = prompt + completion + 1.",
        # Completions share the usage counting of chat.
        operations=(CHAT, COMPLETION),
        answer=edit_body(_usage_plus_one),
        events=each_event(lambda position, event: _usage_plus_one(event)),
    ),
    Fault(
        "logprobs-missing",
        "semantics.logprobs",
        "Chat completions return `logprobs: null` even when asked.",
        operations=(CHAT,),
        answer=edit_body(each_choice(_no_logprobs)),
        events=each_event(lambda position, event: each_choice(_no_logprobs)(event)),
    ),
    Fault(
        "tool-choice-ignored",
        "semantics.tool_choice",
        "A forced tool_choice is ignored: the answer is plain text with no tool call.",
        operations=(CHAT,),
        request=_no_forced_call,
    ),
    Fault(
        "tool-arguments-empty",
        "semantics.tool_arguments",
        "Tool calls (of functions without `strict`) carry `{}` as arguments even when the parameters schema "
        "requires properties.",
        operations=(CHAT,),
        request=_no_parameters,
    ),
    Fault(
        "json-mode-prose",
        "semantics.json_mode",
        "response_format json_object is ignored: the content is prose, not JSON.",
        operations=(CHAT,),
        request=_no_json_object,
    ),
    Fault(
        "json-schema-ignored",
        "semantics.json_schema",
        "response_format json_schema gets a fixed JSON object that ignores the given schema.",
        operations=(CHAT,),
        json_schema=_fixed_object,
    ),
    Fault(
        "base64-ignored",
        "semantics.embeddings_base64",
        "Embeddings ignore encoding_format base64 and answer float lists.",
        operations=(EMBEDDING,),
        request=_no_base64,
    ),
    Fault(
        "dimensions-ignored",
        "semantics.embeddings_dimensions",
        "Embeddings ignore `dimensions` and answer the model's full length.",
        operations=(EMBEDDING,),
        request=_full_length,
    ),
    Fault(
        "embeddings-first-only",
        "semantics.embeddings_count",
        "Embeddings of a list of inputs answer only the first input's embedding.",
        operations=(EMBEDDING,),
        request=_first_input,
    ),
    Fault(
        "created-milliseconds",
        "semantics.created",
        "Chat completions give `created` in milliseconds instead of seconds.",
        operations=(CHAT,),
        answer=edit_body(_milliseconds),
        events=each_event(lambda position, event: _milliseconds(event)),
    ),
)
