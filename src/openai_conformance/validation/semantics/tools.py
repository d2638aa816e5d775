"""Tools in chat answers: tool_choice obeyed, parallel_tool_calls obeyed, arguments valid for the function.

``tool_choice`` constrains decoding: ``none`` forbids a call, ``required`` demands one, a named
function demands that one (the legacy ``function_call`` too). ``parallel_tool_calls: false`` allows
one call at most. Arguments: with ``strict: true`` on the function (Structured Outputs) the API
guarantees JSON valid for its parameters schema, so anything else is an error; without it the API
warns that "the model does not always generate valid JSON", so it is a warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.semantics.json_prefix import is_json_prefix
from openai_conformance.validation.semantics.shared import (
    CHAT_OPERATION,
    CUT,
    as_dict,
    schema_errors,
    short,
)
from openai_conformance.validation.violations import Violation

__all__ = [
    "check_tools",
    "parallel_tool_calls",
    "strict_tool_arguments",
    "tool_arguments",
    "tool_choice",
]


def _named(request: Mapping[str, Any]) -> tuple[str, str] | None:
    """The function the request forces: ("tool", name) or ("function", name) for the legacy form."""
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = as_dict(choice.get("function")).get("name")
        return ("tool", name) if isinstance(name, str) else None
    legacy = request.get("function_call")
    if isinstance(legacy, dict) and isinstance(legacy.get("name"), str):
        return "function", legacy["name"]
    return None


def _functions(request: Mapping[str, Any], key: str) -> dict[str, dict[str, Any]]:
    """The request's functions by name (``tools`` or the legacy ``functions``)."""
    found: dict[str, dict[str, Any]] = {}
    listed = request.get(key)
    for item in listed if isinstance(listed, list) else []:
        item = as_dict(item)
        function = as_dict(item.get("function")) if key == "tools" else item
        if (key != "tools" or item.get("type") == "function") and isinstance(function.get("name"), str):
            found[function["name"]] = function
    return found


def _calls(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    calls = message.get("tool_calls")
    return [as_dict(call) for call in calls] if isinstance(calls, list) else []


@check(
    "semantics.tool_choice",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "tool_choice",
            "`none`: no tool call; `required`: some tool call; a named "
            "function (object form): a call of that one",
        ),
        Parameter(CHAT_OPERATION, "tools", "a tool is called only by a name the request declares"),
        Parameter(CHAT_OPERATION, "function_call", "a named function: a function_call of that one"),
        Parameter(CHAT_OPERATION, "functions", "the legacy form of tools, judged alike"),
    ),
)
def tool_choice(request: Mapping[str, Any], j: int, message: Mapping[str, Any]) -> Iterator[Violation]:
    """A forced tool_choice yields a tool call of that function.

    Reference: ChatCompletionNamedToolChoice: forces the model to call that function
    Why: with a forced or forbidden tool the server constrains what the model may emit
    """
    tools = _functions(request, "tools")
    mode = request.get("tool_choice")
    calls = _calls(message)
    names = [as_dict(call.get("function")).get("name") for call in calls]
    pointer = f"/choices/{j}/message/tool_calls"
    forced = _named(request)
    if forced is not None and forced[0] == "function":
        if forced[1] in _functions(request, "functions"):
            called = as_dict(message.get("function_call")).get("name")
            if called != forced[1]:
                got = f"a function_call of {called!r}" if called else "no function_call"
                yield tool_choice.violation(
                    f"function_call forces {forced[1]!r} but the choice has {got}", f"/choices/{j}/message"
                )
    elif mode == "none" and tools and calls:
        yield tool_choice.violation("tool_choice is `none` but the model called a tool", pointer)
    elif mode == "required" and tools and not calls:
        yield tool_choice.violation("tool_choice is `required` but no tool was called", pointer)
    elif forced is not None and forced[1] in tools and forced[1] not in names:
        got = f"calls to {names}" if names else "no tool call"
        yield tool_choice.violation(
            f"tool_choice forces function {forced[1]!r} but the choice has {got}", pointer
        )


def _argument_problems(arguments: Any, definition: Mapping[str, Any], cut: bool) -> Iterator[str]:
    """What is wrong with one call's arguments (``cut``: strict ones cut short by the cap)."""
    if not isinstance(arguments, str):
        yield f"arguments must be a JSON *string*, got {type(arguments).__name__} {short(arguments)}"
    elif cut:
        if not is_json_prefix(arguments):
            yield f"strict arguments cut by the cap are not the start of JSON: {short(arguments)}"
    else:
        try:
            parsed = json.loads(arguments)
        except ValueError:
            yield f"arguments are not JSON: {short(arguments)}"
            return
        errors = schema_errors(parsed, definition.get("parameters"))
        if errors:
            yield f"arguments do not match the function's parameters: {'; '.join(errors[:3])}"


@check(
    "semantics.tool_arguments",
    "warning",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "tools[].function.parameters",
            "without strict: the arguments are JSON valid for the schema (a warning)",
        ),
    ),
)
def tool_arguments(arguments: Any, definition: Mapping[str, Any], pointer: str) -> Iterator[Violation]:
    """Tool-call arguments are a JSON string valid for the function's parameters schema.

    Reference: function.arguments: the model does not always generate valid JSON (hence a warning)
    Why: without `strict: true` the API itself warns that the model does not always generate valid JSON
    """
    for problem in _argument_problems(arguments, definition, cut=False):
        yield tool_arguments.violation(problem, pointer)


@check(
    "semantics.strict_tool_arguments",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "tools[].function.strict",
            "true: the arguments are JSON valid for the "
            "parameters schema, or a prefix of such JSON when cut by the cap",
        ),
    ),
)
def strict_tool_arguments(
    arguments: Any, definition: Mapping[str, Any], pointer: str, cut: bool
) -> Iterator[Violation]:
    """With `strict: true` on the function, tool-call arguments are a JSON string valid for its parameters
    schema (the start of one when cut by the cap).

    Reference: FunctionObject.strict: the model will follow the exact schema defined in the parameters
        field
    Why: Structured Outputs constrain decoding to the schema: no sampled text can leave it
    """
    for problem in _argument_problems(arguments, definition, cut):
        yield strict_tool_arguments.violation(problem, pointer)


@check(
    "semantics.parallel_tool_calls",
    "error",
    parameters=(Parameter(CHAT_OPERATION, "parallel_tool_calls", "false: at most one tool call per choice"),),
)
def parallel_tool_calls(
    request: Mapping[str, Any], j: int, message: Mapping[str, Any]
) -> Iterator[Violation]:
    """With parallel_tool_calls false, a choice calls one tool at most.

    Reference: CreateChatCompletionRequest.parallel_tool_calls: whether to enable parallel function
        calling
    Why: how many calls a choice may carry is the server's constraint on decoding
    """
    forced = _named(request)
    calls = _calls(message)
    if (
        (forced is None or forced[0] != "function")
        and request.get("parallel_tool_calls") is False
        and len(calls) > 1
    ):
        yield parallel_tool_calls.violation(
            f"parallel_tool_calls is false but the choice calls {len(calls)} tools",
            f"/choices/{j}/message/tool_calls",
        )


def _check_arguments(
    tools: Mapping[str, dict[str, Any]], j: int, message: Mapping[str, Any], cut: bool
) -> Iterator[Violation]:
    for c, call in enumerate(_calls(message)):
        function = as_dict(call.get("function"))
        if "arguments" not in function:
            continue
        definition = tools.get(str(function.get("name")), {})
        pointer = f"/choices/{j}/message/tool_calls/{c}/function/arguments"
        if definition.get("strict") is True:
            yield from strict_tool_arguments(function["arguments"], definition, pointer, cut)
        elif not cut:  # cut short: the arguments may be incomplete, and nothing held them to JSON
            yield from tool_arguments(function["arguments"], definition, pointer)


def check_tools(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    """The tool rules on the choices of one non-streamed chat answer."""
    tools = _functions(request, "tools")
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        message = as_dict(choice.get("message"))
        cut = choice.get("finish_reason") in CUT
        if not cut:
            yield from tool_choice(request, j, message)
            yield from parallel_tool_calls(request, j, message)
        yield from _check_arguments(tools, j, message, cut)
