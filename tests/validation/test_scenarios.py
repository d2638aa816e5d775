"""The scenarios against a fake server (fake_server.py): silent when it is conformant, precise when not."""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from openai_conformance.scenarios import (
    SCENARIOS,
    chat,
    chat_streams,
    chat_tools,
    completions,
    embeddings,
    get_scenario,
)
from openai_conformance.scenarios.base import Scenario, ScenarioContext, ScenarioFinding, Scenarios
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.violations import Violation
from tests.validation.fake_server import FakeServer, context

#: The scenarios of the semantics a fuzzer rarely reaches (the others: test_request_scenarios.py).
SEMANTIC = (
    *chat.SCENARIOS,
    *chat_tools.SCENARIOS,
    *chat_streams.SCENARIOS,
    *completions.SCENARIOS,
    *embeddings.SCENARIOS,
)


def run_scenarios(
    ctx: ScenarioContext, scenarios: tuple[Scenario, ...] = SEMANTIC
) -> Iterator[tuple[Scenario, Violation, Exchange]]:
    for scenario in scenarios:
        for violation, exchange in scenario.run(ctx):
            yield scenario, violation, exchange


def run(*faults: str) -> list[tuple[str, Violation]]:
    return [
        (scenario.id, violation)
        for scenario, violation, _ in run_scenarios(context(FakeServer(frozenset(faults))))
    ]


def test_a_conformant_server_passes_every_scenario() -> None:
    server = FakeServer()
    assert list(run_scenarios(context(server))) == []
    assert {path for path, _, _ in server.sent} == {"/chat/completions", "/completions", "/embeddings"}
    streamed = [body for _, body, stream in server.sent if stream]
    assert streamed and all(body["stream"] is True for body in streamed)
    assert all(body.get("max_tokens", 0) <= 16 for _, body, _ in server.sent)


def test_scenarios_without_their_model_are_skipped() -> None:
    server = FakeServer()
    results = list(run_scenarios(context(server, embedding_model=None, completion_model=None)))
    assert results == []
    assert {path for path, _, _ in server.sent} == {"/chat/completions"}


def test_scenario_catalogue() -> None:
    ids = [scenario.id for scenario in SCENARIOS]
    assert len(ids) == len(set(ids))
    assert set(SEMANTIC) <= set(SCENARIOS)
    assert get_scenario("embeddings.base64").operation_id == "createEmbedding"
    with pytest.raises(KeyError):
        get_scenario("nope")
    assert all(isinstance(scenario, Scenario) and scenario.description for scenario in SCENARIOS)


def test_a_scenario_is_declared_by_decorating_its_steps() -> None:
    declared = Scenarios()
    scenario = declared.declare
    given: list[tuple[str, str | None]] = []

    def named(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
        given.append(("named", model))
        yield from ()

    def embedded(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
        given.append(("embedded", model))
        yield from ()

    def unnamed(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
        given.append(("unnamed", None))
        yield from ()

    # The decorator returns the steps themselves (a check's rule stays callable as it was).
    assert scenario("x.named", "createChatCompletion", "named")(named) is named
    assert scenario("x.embedded", "getThing", "embedded", model_for="createEmbedding")(embedded) is embedded
    assert scenario("x.unnamed", "listThings", "unnamed", model_for=None)(unnamed) is unnamed
    assert [(s.id, s.operation_id, s.description, s.needs_models) for s in declared] == [
        ("x.named", "createChatCompletion", "named", True),
        ("x.embedded", "getThing", "embedded", True),
        ("x.unnamed", "listThings", "unnamed", False),
    ]
    assert (
        len(declared) == 3 and declared[-1].id == "x.unnamed" and [s.id for s in declared[:1]] == ["x.named"]
    )
    for each in declared:
        assert list(each.run(context(FakeServer()))) == []
    assert given == [("named", "gpt-4o-mini"), ("embedded", "text-embedding-3-small"), ("unnamed", None)]
    # Without a model fit for `model_for`, steps that name one do not run; those that name none do.
    given.clear()
    for each in declared:
        assert list(each.run(context(FakeServer(), embedding_model=None))) == []
    assert given == [("named", "gpt-4o-mini"), ("unnamed", None)]
    with pytest.raises(ValueError, match="declared twice"):
        scenario("x.named", "createChatCompletion", "again")(named)


def test_context_checks_its_budget() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        context(FakeServer(), max_tokens=0)


def test_budget_of_one_token() -> None:
    server = FakeServer()
    list(run_scenarios(context(server, max_tokens=1, embedding_model=None, completion_model=None)))
    assert all(body.get("max_tokens", body.get("max_completion_tokens")) == 1 for _, body, _ in server.sent)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("n_ignored", {("chat.n", "semantics.choices_count"), ("chat.stream_n", "semantics.choices_count"),
                       ("completions.prompts_n", "semantics.choices_count"),
                       ("completions.prompt_forms", "semantics.choices_count")}),
        ("max_tokens_ignored", {("chat.max_tokens", "semantics.max_tokens"),
                                ("chat.max_completion_tokens", "semantics.max_tokens")}),
        ("logprobs_ignored", {("chat.logprobs", "semantics.logprobs")}),
        ("positive_logprobs", {("chat.logprobs", "semantics.logprobs")}),
        ("bad_arguments", {("chat.tool_choice", "semantics.tool_arguments"),
                           ("chat.tool_choice_required", "semantics.tool_arguments"),
                           ("chat.parallel_tool_calls", "semantics.tool_arguments"),
                           ("chat.strict_tool", "semantics.strict_tool_arguments")}),
        ("parallel_ignored", {("chat.parallel_tool_calls", "semantics.parallel_tool_calls")}),
        ("stop_ignored", {("chat.stop", "semantics.stop")}),
        ("length_at_stop", {("chat.stop", "semantics.stop")}),
        ("cap_says_stop", {("chat.max_tokens", "semantics.max_tokens"),
                           ("chat.max_completion_tokens", "semantics.max_tokens")}),
        ("seed_ignored", {("chat.seed", "semantics.seed")}),
        ("schema_ignored", {("chat.json_schema", "semantics.json_schema"),
                            ("chat.json_schema_loose", "semantics.json_schema")}),
        ("usage_ignored", {("chat.stream_usage", "stream.usage")}),
        # a missing index is reported once, by the rule that owns it (not again as a schema error)
        ("tool_index_missing", {("chat.stream_tool", "stream.tool_call_index"),
                                ("chat.strict_tool", "stream.tool_call_index")}),
        ("empty_finish_reason", {("completions.stream", "stream.finish_reason"),
                                 ("completions.stream", "stream.chunk_schema")}),
        ("suffix_ignored", {("completions.suffix", "semantics.suffix")}),
        ("big_endian", {("embeddings.base64", "semantics.embeddings_base64")}),
        ("dimensions_ignored", {("embeddings.dimensions", "semantics.embeddings_dimensions")}),
        ("embeddings_count", {("embeddings.count", "semantics.embeddings_count")}),
        ("stream_shape_differs", {("chat.stream_matches_plain", "stream.matches_plain")}),
    ],
)  # fmt: skip
def test_each_fault_is_caught_by_its_scenario(fault: str, expected: set[tuple[str, str]]) -> None:
    found = run(fault)
    assert {(scenario, violation.check) for scenario, violation in found} == expected


def test_max_tokens_bound_without_usage_points_at_the_content() -> None:
    found = [(scenario, v) for scenario, v in run("max_tokens_ignored") if scenario == "chat.max_tokens"]
    assert [violation.pointer for _, violation in found] == ["/choices/0/message/content"] * 2
    assert "the cap is 1 but the answer is 1260 bytes long" in found[0][1].message


def test_base64_comparison_tolerates_rerun_noise() -> None:
    class Noisy(FakeServer):
        def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
            answer = super()._embeddings(body)
            if body.get("encoding_format") == "base64":
                values = struct.unpack("<16f", base64.b64decode(answer["data"][0]["embedding"]))
                noisy = [v * (1 + 1e-4) for v in values]
                answer["data"][0]["embedding"] = base64.b64encode(struct.pack("<16f", *noisy)).decode()
            return answer

    assert list(get_scenario("embeddings.base64").run(context(Noisy()))) == []


def test_each_result_carries_the_exchange_that_shows_it() -> None:
    results = list(run_scenarios(context(FakeServer(frozenset({"big_endian"})))))
    assert results
    for _, violation, exchange in results:
        assert violation.check == "semantics.embeddings_base64"
        assert exchange.request.json_body["encoding_format"] == "base64"
        assert json.loads(exchange.body)["data"]


def test_a_model_that_stops_early_passes_the_cap_scenarios() -> None:
    """Under the cap and finished on its own (`stop`): nothing says the cap was ignored."""

    class Early(FakeServer):
        def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
            answer = super()._chat(body)
            if self._cap(body) == 2:  # one token of the two allowed, then the model stopped
                answer["choices"][0]["finish_reason"] = "stop"
                answer["usage"] = {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}
            return answer

    found = [
        (scenario.id, violation.check)
        for scenario in (get_scenario("chat.max_tokens"), get_scenario("chat.max_completion_tokens"))
        for violation, _ in scenario.run(context(Early()))
    ]
    assert found == []


def test_the_seed_scenario_reports_a_warning_with_both_answers() -> None:
    found = [v for scenario, v in run("seed_ignored") if scenario == "chat.seed"]
    assert [v.severity for v in found] == ["warning"]
    assert re.search(r"gave 'Hello (\d+)', then 'Hello (\d+)'", found[0].message)
