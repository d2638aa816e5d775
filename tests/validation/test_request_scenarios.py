"""The scenarios of refused requests and auth, over the real HTTP transport and a mock target.

They share one mechanism with the semantic scenarios (test_scenarios.py): a request that gets no
answer raises out of its scenario, and the run records it against the operation, by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from openai_conformance.config import RunConfig
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.runner import Runner
from openai_conformance.scenarios import get_scenario, scenarios_for
from openai_conformance.scenarios.base import ScenarioContext, fit_models
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.parsed_stream import ParsedStream
from openai_conformance.validation.violations import Violation

Handler = Callable[[httpx.Request], httpx.Response]
ERROR = {"error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}}
KEY = "sk-scenario-key-0042"


@dataclass
class RecordingJudge:
    """Judges nothing; remembers what it was asked to judge."""

    calls: list[tuple[int, str, bool]] = field(default_factory=list)

    def judge(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True
    ) -> Iterator[Violation]:
        self.calls.append((exchange.status, operation_id, valid_request))
        return iter(())

    def judge_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[Violation]:
        return self.judge(stream.exchange, operation_id)


@dataclass
class Target:
    """A mock target: every request it got, answered by ``handler``."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)


def _context(target: Target, judge: RecordingJudge, *, expect_auth: bool = False) -> ScenarioContext:
    settings = RunConfig(api_key=KEY)
    transport = HttpTransport(
        settings, "http://target.test/v1", client=httpx.Client(transport=httpx.MockTransport(target))
    )
    return ScenarioContext(transport, judge, fit_models(["gpt-4o-mini"]), expect_auth=expect_auth)


def _run(scenario_id: str, handler: Handler, **options: Any) -> tuple[list[str], Target, RecordingJudge]:
    target, judge = Target(handler), RecordingJudge()
    found = [
        violation.check for violation, _ in get_scenario(scenario_id).run(_context(target, judge, **options))
    ]
    return found, target, judge


def _status(status: int, body: Any = None) -> Handler:
    return lambda request: httpx.Response(status, json=ERROR if body is None else body)


# --- errors -------------------------------------------------------------------------------------------------


def test_invalid_requests_rejected_with_400_are_judged_as_invalid() -> None:
    found, target, judge = _run("errors.invalid.createChatCompletion", _status(400))
    assert found == []
    assert [(r.method, r.url.path) for r in target.requests] == [("POST", "/v1/chat/completions")] * 5
    assert judge.calls == [(400, "createChatCompletion", False)] * 5
    malformed, plain = target.requests[3], target.requests[4]
    assert (malformed.content, malformed.headers["content-type"]) == (b'{"model": ', "application/json")
    assert plain.headers["content-type"] == "text/plain"
    assert json.loads(plain.content)["model"] == "gpt-4o-mini"
    assert target.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("status", "check"), [(200, "errors.invalid_accepted"), (500, "errors.server_error")]
)
def test_invalid_requests_accepted_or_crashing(status: int, check: str) -> None:
    found, _, judge = _run("errors.invalid.createEmbedding", _status(status, {}))
    assert found == [check] * 4
    assert judge.calls == []  # the verdict is the status; the body is not judged on top


def test_unknown_model() -> None:
    found, target, _ = _run("errors.unknown_model.createCompletion", _status(200, {}))
    assert found == ["errors.unknown_model"]
    assert json.loads(target.requests[0].content)["model"] == "openai-conformance-no-such-model"
    found, _, judge = _run("errors.unknown_model.createCompletion", _status(404))
    assert (found, judge.calls) == ([], [(404, "createCompletion", True)])


def test_unknown_model_streamed_is_judged_as_a_stream() -> None:
    found, target, judge = _run("errors.unknown_model.stream", _status(404))
    assert found == [] and judge.calls == [(404, "createChatCompletion", True)]
    assert json.loads(target.requests[0].content)["stream"] is True


# --- auth ----------------------------------------------------------------------------------------------------


def _keyed(request: httpx.Request) -> httpx.Response:
    """A target that refuses a request without a key, and lets any key in (it only looks for one)."""
    if "authorization" not in request.headers:
        return httpx.Response(401, json=ERROR)
    return httpx.Response(200, json={"object": "list", "data": []})


def test_a_target_that_refuses_no_key_must_refuse_a_wrong_key_on_every_run() -> None:
    target, judge = Target(_keyed), RecordingJudge()
    ctx = _context(target, judge)
    found = [v for v, _ in get_scenario("auth.required").run(ctx)]
    assert [v.check for v in found] == ["auth.not_enforced"]
    assert "a wrong key got 200, not 401, although a request without a key was refused" in found[0].message
    assert [r.headers.get("authorization") for r in target.requests] == [
        None,
        "Bearer sk-openai-conformance-wrong-key",
    ]
    assert judge.calls == [(401, "listModels", False)]  # the refusal is judged as an error answer
    assert ctx.notes == []


def test_a_target_that_refuses_both_passes_and_both_refusals_are_judged() -> None:
    found, _, judge = _run("auth.required", _status(401))
    assert (found, judge.calls) == ([], [(401, "listModels", False)] * 2)


def test_a_target_that_needs_no_key_is_said_so_and_is_no_violation() -> None:
    target, judge = Target(_status(200, {"data": []})), RecordingJudge()
    ctx = _context(target, judge)
    assert list(get_scenario("auth.required").run(ctx)) == []
    assert ctx.notes == ["the target does not require a key: a request without one was accepted"]
    assert [r.headers.get("authorization") for r in target.requests] == [None]  # the key was left out


def test_without_a_key_nothing_is_said_about_needing_one() -> None:
    target = Target(_status(200, {"data": []}))
    transport = HttpTransport(
        RunConfig(), "http://target.test/v1", client=httpx.Client(transport=httpx.MockTransport(target))
    )
    ctx = ScenarioContext(transport, RecordingJudge(), fit_models([]))
    assert list(get_scenario("auth.required").run(ctx)) == [] and ctx.notes == []


def test_expect_auth_wants_both_refused() -> None:
    found, target, _ = _run("auth.required", _status(200, {"data": []}), expect_auth=True)
    assert found == ["auth.not_enforced", "auth.not_enforced"]
    assert [r.headers.get("authorization") for r in target.requests] == [
        None,
        "Bearer sk-openai-conformance-wrong-key",
    ]


def test_a_credential_header_is_left_out_of_the_keyless_request() -> None:
    target = Target(_keyed)
    settings = RunConfig(headers={"Authorization": f"Bearer {KEY}", "api-key": KEY})
    transport = HttpTransport(
        settings, "http://target.test/v1", client=httpx.Client(transport=httpx.MockTransport(target))
    )
    ctx = ScenarioContext(transport, RecordingJudge(), fit_models([]))
    assert ctx.keyed
    list(get_scenario("auth.required").run(ctx))
    assert "api-key" not in target.requests[0].headers and "authorization" not in target.requests[0].headers


# --- no request vanishes ---------------------------------------------------------------------------------------


def _timeout_on_malformed_json(request: httpx.Request) -> httpx.Response:
    if request.content == b'{"model": ':
        raise httpx.ReadTimeout("silent", request=request)
    if request.url.path == "/v1/models":
        return httpx.Response(
            200, json={"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}
        )
    return httpx.Response(400, json=ERROR)


def test_a_request_without_an_answer_is_told_and_the_others_are_still_sent() -> None:
    target, judge = Target(_timeout_on_malformed_json), RecordingJudge()
    unanswered: list[tuple[str, str]] = []
    context = replace(
        _context(target, judge),
        on_unanswered=lambda request, message: unanswered.append((request.about, message)),
    )
    list(get_scenario("errors.invalid.createChatCompletion").run(context))
    assert unanswered == [("malformed JSON", "no answer within 30 s")]
    # the text/plain body after it was sent too, and every answered one was judged
    assert len(target.requests) == 5 and len(judge.calls) == 4


def test_the_run_records_it_against_the_operation_by_the_scenario_name() -> None:
    contract = load_contract(pin="6b8287f", findings=False)
    operation = next(
        op for op in iter_operations(contract.document) if op.operation_id == "createChatCompletion"
    )
    config = RunConfig(base_url="http://target.test", models=("gpt-4o-mini",), max_examples=1, seed=3)
    client = httpx.Client(transport=httpx.MockTransport(Target(_timeout_on_malformed_json)))
    with Runner(contract, config, "http://target.test", client=client) as runner:
        result = runner.collect([operation]).operations[0]
    assert "errors.invalid.createChatCompletion: no answer within 30 s" in result.errors
    assert not any(error.startswith("chat.") for error in result.errors)  # the others ran to the end
    (untested,) = result.untested
    assert untested.source == "errors.invalid.createChatCompletion"
    assert untested.curl.endswith("--data-binary '{\"model\": '")


def test_scenarios_for_an_operation() -> None:
    ids = [scenario.id for scenario in scenarios_for("createChatCompletion")]
    assert ids[:3] == [
        "errors.invalid.createChatCompletion",
        "errors.unknown_model.createChatCompletion",
        "errors.unknown_model.stream",
    ]
    assert ids[3:] and all(scenario_id.startswith("chat.") for scenario_id in ids[3:])
    without_models = [scenario.id for scenario in scenarios_for("createChatCompletion", models=False)]
    assert without_models == ids[1:3]
    assert [scenario.id for scenario in scenarios_for("createFile", models=False)] == ["state.files"]
    assert scenarios_for("deleteFile", models=False) == []  # the files workflow is reported under its create
