"""Semantics of chat completions: logprobs, tool choice and arguments, response formats."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from referencing import Registry

from openai_conformance.validation.registry import register
from openai_conformance.validation.semantics.shared import (
    CUT,
    LOGPROBS,
    as_dict,
    json_int,
    short,
    unasked_logprobs,
)
from openai_conformance.validation.violations import Violation, pointer_from_path

__all__ = ["JSON_MODE", "JSON_SCHEMA", "TOOL_ARGUMENTS", "TOOL_CHOICE", "check_chat"]

TOOL_CHOICE = register(
    "semantics.tool_choice",
    "error",
    "A forced tool_choice yields a tool call of that function.",
    "ChatCompletionNamedToolChoice: forces the model to call that function",
    why="with a forced or forbidden tool the server constrains what the model may emit",
)
TOOL_ARGUMENTS = register(
    "semantics.tool_arguments",
    "warning",
    "Tool-call arguments are a JSON string valid for the function's parameters schema.",
    "function.arguments: the model does not always generate valid JSON (hence a warning)",
    why="without `strict: true` the API itself warns that the model does not always generate valid JSON",
)
JSON_MODE = register(
    "semantics.json_mode",
    "error",
    "response_format json_object yields content that parses as JSON.",
    "ResponseFormatJsonObject",
    why="JSON mode constrains decoding to JSON: even an answer cut by the cap is the start of a JSON document",
)
JSON_SCHEMA = register(
    "semantics.json_schema",
    "error",
    "response_format json_schema yields content valid for the schema.",
    "ResponseFormatJsonSchema (strict: true)",
    why="json_schema constrains decoding to JSON, and with `strict: true` to the schema",
)


def _logprob_items(choice: Mapping[str, Any]) -> list[Any] | None:
    content = as_dict(choice.get("logprobs")).get("content")
    return content if isinstance(content, list) else None


def _check_chat_logprobs(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    asked = request.get("logprobs") is True
    if not asked:
        yield from unasked_logprobs(choices)
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
    full = short = 0
    first_short = ""
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        content = as_dict(choice.get("message")).get("content")
        if choice.get("logprobs") is None:
            yield LOGPROBS.violation(
                "logprobs: true was asked but the choice's logprobs is null",
                f"/choices/{j}/logprobs",
            )
            continue
        items = _logprob_items(choice)
        if items is None:
            if isinstance(content, str) and content:
                yield LOGPROBS.violation(
                    "logprobs: true was asked but logprobs.content is null",
                    f"/choices/{j}/logprobs/content",
                )
            continue
        if k is None:
            continue
        for t, item in enumerate(items):
            top = as_dict(item).get("top_logprobs")
            if not isinstance(top, list):
                continue
            pointer = f"/choices/{j}/logprobs/content/{t}/top_logprobs"
            if len(top) > k:
                yield LOGPROBS.violation(f"{len(top)} top_logprobs for top_logprobs={k}", pointer)
                return
            if len(top) == k:
                full += 1
            else:
                short += 1
                first_short = first_short or pointer
    if k and short and not full and not constrained:
        yield LOGPROBS.violation(
            f"top_logprobs={k} was asked but no token has {k} alternatives (the parameter was ignored?)",
            first_short,
        )


def _named_tool(request: Mapping[str, Any]) -> str | None:
    choice = request.get("tool_choice")
    if not isinstance(choice, dict) or choice.get("type") != "function":
        return None
    name = as_dict(choice.get("function")).get("name")
    return name if isinstance(name, str) else None


def _tool_names(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's function tools: name → parameters schema (None when absent)."""
    tools = request.get("tools")
    names: dict[str, Any] = {}
    if isinstance(tools, list):
        for tool in tools:
            function = as_dict(as_dict(tool).get("function"))
            if as_dict(tool).get("type") == "function" and isinstance(function.get("name"), str):
                names[function["name"]] = function.get("parameters")
    return names


def _check_tool_choice(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    tools = _tool_names(request)
    forced = _named_tool(request)
    mode = request.get("tool_choice")
    if forced is None and not (mode in ("required", "none") and tools):
        return
    if forced is not None and forced not in tools:
        return  # the API rejects that request; a server that accepts it is judged elsewhere
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        if choice.get("finish_reason") in CUT:
            continue
        calls = as_dict(choice.get("message")).get("tool_calls")
        calls = calls if isinstance(calls, list) else []
        names = [as_dict(as_dict(call).get("function")).get("name") for call in calls]
        pointer = f"/choices/{j}/message/tool_calls"
        if mode == "none" and calls:
            yield TOOL_CHOICE.violation("tool_choice is `none` but the model called a tool", pointer)
        elif mode == "required" and not calls:
            yield TOOL_CHOICE.violation("tool_choice is `required` but no tool was called", pointer)
        elif forced is not None and forced not in names:
            got = f"calls to {names}" if names else "no tool call"
            yield TOOL_CHOICE.violation(
                f"tool_choice forces function {forced!r} but the choice has {got}",
                pointer,
            )


def _schema_errors(instance: Any, schema: Any) -> list[str] | None:
    """Why ``instance`` fails the JSON Schema ``schema`` (None when the schema cannot be used)."""
    if not isinstance(schema, dict):
        return None
    from jsonschema import exceptions as jsonschema_exceptions
    from jsonschema.validators import Draft202012Validator, validator_for
    from referencing.exceptions import Unresolvable

    try:
        cls = validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
        # An empty registry: a `$ref` to anything outside the schema is never fetched.
        validator = cls(schema, registry=Registry())
        errors = [
            f"{pointer_from_path(list(error.absolute_path)) or '/'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]
    except (jsonschema_exceptions.SchemaError, jsonschema_exceptions.ValidationError, Unresolvable):
        return None
    except Exception:  # a fuzzed schema can break a validator in odd ways; that is not the server's fault
        return None
    return errors


def _check_tool_arguments(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    tools = _tool_names(request)
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        if choice.get("finish_reason") in CUT:
            continue
        calls = as_dict(choice.get("message")).get("tool_calls")
        if not isinstance(calls, list):
            continue
        for c, call in enumerate(calls):
            function = as_dict(as_dict(call).get("function"))
            if "arguments" not in function:
                continue
            arguments = function["arguments"]
            pointer = f"/choices/{j}/message/tool_calls/{c}/function/arguments"
            if not isinstance(arguments, str):
                yield TOOL_ARGUMENTS.violation(
                    f"arguments must be a JSON *string*, got {type(arguments).__name__} {short(arguments)}",
                    pointer,
                )
                continue
            try:
                parsed = json.loads(arguments)
            except ValueError:
                yield TOOL_ARGUMENTS.violation(f"arguments are not JSON: {short(arguments)}", pointer)
                continue
            errors = _schema_errors(parsed, tools.get(str(function.get("name"))))
            if errors:
                yield TOOL_ARGUMENTS.violation(
                    f"arguments do not match the function's parameters: {'; '.join(errors[:3])}",
                    pointer,
                )


def _check_response_format(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    response_format = as_dict(request.get("response_format"))
    kind = response_format.get("type")
    if kind not in ("json_object", "json_schema"):
        return
    check = JSON_MODE if kind == "json_object" else JSON_SCHEMA
    json_schema = as_dict(response_format.get("json_schema"))
    # Only strict structured outputs guarantee schema adherence; without it the output is JSON only.
    schema = json_schema.get("schema") if json_schema.get("strict") is True else None
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        content = as_dict(choice.get("message")).get("content")
        if choice.get("finish_reason") in CUT or not isinstance(content, str):
            continue  # cut short, a tool call or a refusal
        pointer = f"/choices/{j}/message/content"
        try:
            parsed = json.loads(content)
        except ValueError:
            yield check.violation(
                f"response_format {kind} but the content is not JSON: {short(content)}", pointer
            )
            continue
        errors = _schema_errors(parsed, schema) if schema is not None else None
        if errors:
            yield check.violation(
                f"the content does not match the json_schema: {'; '.join(errors[:3])}", pointer
            )


def check_chat(request: dict[str, Any], choices: list[Any]) -> Iterator[Violation]:
    """The chat rules on the choices of one non-streamed answer."""
    yield from _check_chat_logprobs(request, choices)
    yield from _check_tool_choice(request, choices)
    yield from _check_tool_arguments(request, choices)
    yield from _check_response_format(request, choices)
