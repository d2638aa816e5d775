"""Faults the semantic checks catch: well-formed answers that ignore what the request asked for."""

from __future__ import annotations

from typing import Any

from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import (
    BODY_AND_EVENTS,
    CHAT,
    CHOICES_AND_EVENTS,
    COMPLETION,
    EMBEDDING,
    Faults,
)
from openai_conformance.server.hooks import JSON_SCHEMA, REQUEST
from openai_conformance.server.responders.embeddings import native_dimensions
from openai_conformance.server.responders.text import cap
from openai_conformance.server.routing import RequestError

__all__ = ["SEMANTIC_FAULTS"]

SEMANTIC_FAULTS = Faults()
fault = SEMANTIC_FAULTS.declare


@fault("ignore-n", "semantics.choices_count", CHAT, COMPLETION, at=REQUEST)
def _one_choice(call: Call) -> Call:
    """Chat and text completions ignore `n` and always return one choice (per prompt)."""
    return call.without("n")


@fault("exceed-max-tokens", "semantics.max_tokens", CHAT, at=REQUEST)
def _no_cap(call: Call) -> Call:
    """Chat completions ignore max_tokens / max_completion_tokens and write the whole answer."""
    try:
        cap(call, 1)
    except RequestError:
        return call  # an invalid cap is still refused, by the responder
    return call.without("max_tokens", "max_completion_tokens")


# Completions share the usage counting of chat.
@fault("usage-total-off-by-one", "semantics.usage_total", CHAT, COMPLETION, at=BODY_AND_EVENTS)
def _usage_plus_one(body: Any) -> None:
    """Chat completion usage reports total_tokens = prompt + completion + 1."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if isinstance(usage, dict):
        usage["total_tokens"] += 1


@fault("logprobs-missing", "semantics.logprobs", CHAT, at=CHOICES_AND_EVENTS)
def _no_logprobs(choice: dict[str, Any]) -> None:
    """Chat completions return `logprobs: null` even when asked."""
    choice["logprobs"] = None


@fault("tool-choice-ignored", "semantics.tool_choice", CHAT, at=REQUEST)
def _no_forced_call(call: Call) -> Call:
    """A forced tool_choice is ignored: the answer is plain text with no tool call."""
    fields = dict(call.fields())
    if isinstance(fields.get("tool_choice"), dict) or fields.get("tool_choice") == "required":
        fields["tool_choice"] = "none"  # not dropped: without a choice, a tool named in the prompt is called
    if isinstance(fields.get("function_call"), dict):
        del fields["function_call"]
    return call.with_body(fields)


@fault("tool-arguments-empty", "semantics.tool_arguments", CHAT, at=REQUEST)
def _no_parameters(call: Call) -> Call:
    """Tool calls (of functions without `strict`) carry `{}` as arguments even when the parameters schema
    requires properties.

    Tools (not strict ones: strict-tool-arguments-invalid) lose their parameters schema.
    """
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


@fault("json-mode-prose", "semantics.json_mode", CHAT, at=REQUEST)
def _no_json_object(call: Call) -> Call:
    """response_format json_object is ignored: the content is prose, not JSON."""
    fmt = call.arg("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return call.without("response_format")
    return call


@fault("json-schema-ignored", "semantics.json_schema", CHAT, at=JSON_SCHEMA)
def _fixed_object(call: Call, instance: Any, words: list[str]) -> Any:
    """response_format json_schema gets a fixed JSON object that ignores the given schema."""
    return {"answer": "".join(words[:2])}


@fault("base64-ignored", "semantics.embeddings_base64", EMBEDDING, at=REQUEST)
def _no_base64(call: Call) -> Call:
    """Embeddings ignore encoding_format base64 and answer float lists."""
    return call.without("encoding_format") if call.arg("encoding_format") == "base64" else call


@fault("dimensions-ignored", "semantics.embeddings_dimensions", EMBEDDING, at=REQUEST)
def _full_length(call: Call) -> Call:
    """Embeddings ignore `dimensions` and answer the model's full length."""
    dimensions = call.arg("dimensions")
    if dimensions is None or dimensions > native_dimensions(call.arg("model")):
        return call  # too many dimensions are still refused, by the responder
    return call.without("dimensions")


@fault("embeddings-first-only", "semantics.embeddings_count", EMBEDDING, at=REQUEST)
def _first_input(call: Call) -> Call:
    """Embeddings of a list of inputs answer only the first input's embedding."""
    value = call.arg("input")
    tokens = isinstance(value, list) and bool(value) and all(isinstance(v, int) for v in value)
    if not isinstance(value, list) or tokens:
        return call  # one input already (a string, or one list of token ids)
    return call.with_body({**call.fields(), "input": value[:1]})


@fault("created-milliseconds", "semantics.created", CHAT, at=BODY_AND_EVENTS)
def _milliseconds(body: Any) -> None:
    """Chat completions give `created` in milliseconds instead of seconds."""
    if isinstance(body, dict) and "created" in body:
        body["created"] = body["created"] * 1000
