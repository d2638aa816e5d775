"""The rules on a Response object, judged on plain answers of POST /responses, GET and cancel."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from openai_conformance.openapi.loader import load_contract
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.judge import Judge
from openai_conformance.validation.violations import Violation
from tests.validation.responses_factories import REQUEST, WEATHER, function_call, message, response, usage
from tests.validation.validation_factories import json_exchange


@functools.cache
def judge_of() -> Judge:
    return Judge(load_contract(pin="f85dbe2", findings=False))


def judge(
    body: Any, request: dict[str, Any] | None = None, operation: str = "createResponse"
) -> list[Violation]:
    path = "/responses" if operation == "createResponse" else "/responses/{response_id}"
    exchange: Exchange = json_exchange(path, {**REQUEST, **(request or {})}, body)
    if operation != "createResponse":
        exchange.request.method, exchange.request.json_body, exchange.request.path = (
            "GET",
            None,
            "/responses/r",
        )
    return list(judge_of().judge(exchange, operation))


def only(violations: list[Violation], check: str, severity: str = "error") -> Violation:
    assert violations and {(v.check, v.severity) for v in violations} == {(check, severity)}, violations
    return violations[0]


def test_conformant_answers_are_silent() -> None:
    assert judge(response()) == []
    forced = {"tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}}
    assert judge(response([function_call('{"city":"Paris"}')]), forced) == []
    cut = response(
        [message("Once", status="incomplete")],
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
        usage=usage(10, 16),
    )
    assert judge(cut, {"max_output_tokens": 16}) == []
    assert judge(response([], status="queued", completed_at=None), {"background": True}) == []
    assert judge({**response(), "x_vendor": True, "service_tier": "default"}) == []


@pytest.mark.parametrize(
    ("usage_body", "needle"),
    [
        (usage(10, 5, total=16), "= 15, but total_tokens is 16"),
        (usage(10, 5, cached=11), "cached_tokens is 11"),
        (usage(10, 5, reasoning=6), "reasoning_tokens is 6"),
        ({**usage(10, 5), "output_tokens": -1, "total_tokens": 9}, "negative"),
    ],
)
def test_usage_adds_up(usage_body: dict[str, Any], needle: str) -> None:
    assert needle in only(judge(response(usage=usage_body)), "responses.usage").message


@pytest.mark.parametrize(
    ("body", "request_fields", "needle"),
    [
        (response(status="incomplete"), {}, "gives no reason"),
        (response(incomplete_details={"reason": "content_filter"}), {}, "carries incomplete_details"),
        (response([], status="failed", usage=None), {}, "`error` is null"),
        (response(error={"code": "server_error", "message": "x"}), {}, "carries an error"),
        (response([], status="in_progress", usage=None, completed_at=None), {}, "must be finished"),
    ],
)
def test_the_status_agrees_with_what_the_response_carries(
    body: dict[str, Any], request_fields: dict[str, Any], needle: str
) -> None:
    assert needle in only(judge(body, request_fields), "responses.status").message


def test_a_running_response_is_fine_when_retrieved() -> None:
    running = response([], status="in_progress", usage=None, completed_at=None)
    assert judge(running, operation="getResponse") == []
    assert only(judge(response(usage=usage(1, 1, total=3)), operation="getResponse"), "responses.usage")


def test_max_output_tokens_bounds_the_output() -> None:
    assert (
        "exceeds"
        in only(
            judge(response(usage=usage(5, 30)), {"max_output_tokens": 16}), "responses.max_output_tokens"
        ).message
    )
    only(
        judge(response(usage=usage(5, 16)), {"max_output_tokens": 16}),
        "responses.max_output_tokens",
        "warning",
    )
    short_cut = response(
        [message("Once", status="incomplete")],
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
        usage=usage(5, 3),
    )
    assert (
        "after 3" in only(judge(short_cut, {"max_output_tokens": 16}), "responses.max_output_tokens").message
    )


def test_a_forced_tool_is_called() -> None:
    required = {"tools": [WEATHER], "tool_choice": "required"}
    assert "no tool call" in only(judge(response(), required), "responses.forced_tool").message
    named = {
        "tools": [WEATHER, {**WEATHER, "name": "get_time"}],
        "tool_choice": {"type": "function", "name": "get_time"},
    }
    assert "get_time" in only(judge(response([function_call("{}")]), named), "responses.forced_tool").message
    # Not forced: auto, none, or a name no declared tool has (the server's to refuse).
    for choice in ("auto", "none", {"type": "function", "name": "undeclared"}):
        assert judge(response(), {"tools": [WEATHER], "tool_choice": choice}) == []
    # An answer cut short need not hold the call.
    cut = response(
        [], status="incomplete", incomplete_details={"reason": "max_output_tokens"}, usage=usage(5, 16)
    )
    assert judge(cut, {**required, "max_output_tokens": 16}) == []
