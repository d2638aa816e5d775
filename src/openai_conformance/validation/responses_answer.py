"""What a Response object must say, plain or at the end of a stream: usage, status, limits, tools.

The rules the schema cannot express about one ``Response`` (f85dbe2): its usage adds up, its status
agrees with ``incomplete_details`` and ``error``, ``max_output_tokens`` bounds its output, and a
forced tool is called. They judge the answer to ``POST /responses`` (plain), the response of a
stream's terminal event (validation/responses_stream.py runs them there), and the response that
``GET``/``cancel`` return (the rules that need the request stay silent then). Like every semantics
rule, none fires on a fuzzed request with odd but valid values: where the request leaves room, the
rule is silent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import check
from openai_conformance.validation.semantics.shared import as_dict, json_int
from openai_conformance.validation.violations import Violation

__all__ = [
    "FINISHED",
    "RESPONSE_OPERATIONS",
    "check_response",
    "check_response_answer",
    "forced_tool",
    "is_create",
    "max_output_tokens",
    "response_status",
    "response_usage",
]

#: The operations that answer with a Response (their ``beta_`` twins too), and whether they create one.
RESPONSE_OPERATIONS: dict[str, bool] = {"createResponse": True, "getResponse": False, "cancelResponse": False}
FINISHED = frozenset({"completed", "incomplete", "failed", "cancelled"})


def is_create(operation_id: str) -> bool | None:
    """True for an operation that creates a response, False for one that returns one, else None."""
    return RESPONSE_OPERATIONS.get(operation_id.removeprefix("beta_"))


@check("responses.usage", "error")
def response_usage(usage: Any, pointer: str) -> Iterator[Violation]:
    """A response's usage adds up: input_tokens + output_tokens == total_tokens, cached_tokens <=
    input_tokens, reasoning_tokens <= output_tokens.

    Reference: ResponseUsage: total_tokens is the total number of tokens used; the details are parts of
        input_tokens and output_tokens
    Why: the server counts the tokens; its sums are arithmetic, not the model's choice
    """
    if not isinstance(usage, dict):
        return
    counts = {name: json_int(usage.get(name)) for name in ("input_tokens", "output_tokens", "total_tokens")}
    given, output, total = counts["input_tokens"], counts["output_tokens"], counts["total_tokens"]
    for name, value in counts.items():
        if value is not None and value < 0:
            yield response_usage.violation(f"{name} is negative ({value})", f"{pointer}/{name}")
            return
    if given is not None and output is not None and total is not None and given + output != total:
        yield response_usage.violation(
            f"input_tokens {given} + output_tokens {output} = {given + output}, but total_tokens is {total}",
            f"{pointer}/total_tokens",
        )
    for part, name, whole, value in (
        ("input_tokens_details", "cached_tokens", "input_tokens", given),
        ("output_tokens_details", "reasoning_tokens", "output_tokens", output),
    ):
        detail = json_int(as_dict(usage.get(part)).get(name))
        if detail is not None and value is not None and not 0 <= detail <= value:
            yield response_usage.violation(
                f"{part}.{name} is {detail}, outside 0..{whole} ({value})", f"{pointer}/{part}/{name}"
            )


@check("responses.status", "error")
def response_status(
    response: Mapping[str, Any], pointer: str, request: Mapping[str, Any] | None
) -> Iterator[Violation]:
    """A response's status agrees with what it carries: `incomplete` exactly when incomplete_details gives
    a reason, `failed` exactly when `error` is set; an answer to a request without `background` is
    finished (completed, incomplete or failed).

    Reference: Response.status, incomplete_details (why the response is incomplete), error (when the
        model fails to generate a response); background: run the model response in the background
    Why: the server sets the status from how the response ended
    """
    status = response.get("status")
    if not isinstance(status, str):
        return  # the schema's to report
    details = response.get("incomplete_details")
    reason = as_dict(details).get("reason")
    if status == "incomplete" and not isinstance(reason, str):
        yield response_status.violation(
            "the response is incomplete but incomplete_details gives no reason",
            f"{pointer}/incomplete_details",
        )
    elif status != "incomplete" and details is not None:
        yield response_status.violation(
            f"the response is {status!r} but carries incomplete_details {details!r}",
            f"{pointer}/incomplete_details",
        )
    error = response.get("error")
    if status == "failed" and error is None:
        yield response_status.violation("the response failed but `error` is null", f"{pointer}/error")
    elif status in ("completed", "incomplete") and error is not None:
        yield response_status.violation(
            f"the response is {status!r} but carries an error", f"{pointer}/error"
        )
    if request is not None and request.get("background") is not True and status not in FINISHED:
        yield response_status.violation(
            f"the answer to a request without `background` has status {status!r}: it must be finished",
            f"{pointer}/status",
        )


@check("responses.max_output_tokens", "error")
def max_output_tokens(
    response: Mapping[str, Any], pointer: str, request: Mapping[str, Any]
) -> Iterator[Violation]:
    """output_tokens never exceeds max_output_tokens; a response cut there is `incomplete` with reason
    `max_output_tokens`.

    Reference: CreateResponse.max_output_tokens: an upper bound for the number of tokens that can be
        generated, visible output and reasoning tokens included
    Why: the cap is enforced by the server's decoding loop, which stops there and says why
    Relaxed: a completed response whose output_tokens equal max_output_tokens is a warning: the model
        may have ended there by itself
    """
    most = json_int(request.get("max_output_tokens"))
    output = json_int(as_dict(response.get("usage")).get("output_tokens"))
    if most is None or output is None:
        return
    where = f"{pointer}/usage/output_tokens"
    if output > most:
        yield max_output_tokens.violation(f"output_tokens {output} exceeds max_output_tokens {most}", where)
    elif output == most and response.get("status") == "completed":
        yield max_output_tokens.violation(
            f"output_tokens reached max_output_tokens ({most}) yet the response says `completed`, not "
            "`incomplete` with reason max_output_tokens",
            where,
            warning=True,
        )
    reason = as_dict(response.get("incomplete_details")).get("reason")
    if reason == "max_output_tokens" and output < most and response.get("status") == "incomplete":
        yield max_output_tokens.violation(
            f"the response says it was cut at max_output_tokens ({most}) after {output} output tokens", where
        )


def _forced(request: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """What tool_choice forces: ("required", None) or ("function", name); None when nothing is forced."""
    tools = [t for t in request.get("tools") or [] if isinstance(t, dict)]
    if not tools:
        return None
    choice = request.get("tool_choice")
    if choice == "required":
        return "required", None
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        declared = {t.get("name") for t in tools if t.get("type") == "function"}
        return ("function", choice["name"]) if choice["name"] in declared else None
    return None


@check("responses.forced_tool", "error")
def forced_tool(response: Mapping[str, Any], pointer: str, request: Mapping[str, Any]) -> Iterator[Violation]:
    """With tool_choice `required` (and tools) the output holds a tool call; with a named function, a
    function_call of that function, not text.

    Reference: ToolChoiceOptions: `required` means the model must call one or more tools;
        ToolChoiceFunction forces the model to call a specific function
    Why: a forced tool choice constrains decoding to a call of that tool
    """
    forced = _forced(request)
    output = response.get("output")
    if forced is None or response.get("status") != "completed" or not isinstance(output, list):
        return
    kinds = [str(as_dict(item).get("type")) for item in output]
    mode, name = forced
    if mode == "required" and not any(kind.endswith("_call") for kind in kinds):
        yield forced_tool.violation(
            f"tool_choice is `required` but the output holds no tool call (items: {kinds})",
            f"{pointer}/output",
        )
    elif mode == "function":
        names = [as_dict(item).get("name") for item in output if as_dict(item).get("type") == "function_call"]
        if name not in names:
            got = f"function calls {names}" if names else f"no function call (items: {kinds})"
            yield forced_tool.violation(
                f"tool_choice forces function {name!r} but the output holds {got}", f"{pointer}/output"
            )


def check_response(
    response: Any, pointer: str = "", request: Mapping[str, Any] | None = None, *, plain: bool = True
) -> Iterator[Violation]:
    """The rules on one Response object; ``request`` is the create request when there is one.

    ``plain``: the response is an answer of its own (a stream's terminal response is judged with the
    stream's events, whose type already says whether it is finished).
    """
    if not isinstance(response, dict):
        return
    yield from response_usage(response.get("usage"), f"{pointer}/usage")
    yield from response_status(response, pointer, request if plain else None)
    if request is not None:
        yield from max_output_tokens(response, pointer, request)
        yield from forced_tool(response, pointer, request)


def check_response_answer(exchange: Exchange, operation_id: str) -> Iterator[Violation]:
    """The Response rules on a plain 2xx answer of createResponse, getResponse or cancelResponse."""
    create = is_create(operation_id)
    if create is None or not 200 <= exchange.status < 300 or exchange.request.asks_stream:
        return
    try:
        body = exchange.json()
    except ValueError:
        return  # the schema's to report
    request = as_dict(exchange.request.json_body) if create else None
    yield from check_response(body, "", request)
