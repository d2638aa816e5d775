"""The scenarios against a fake server: silent when it is conformant, precise when it is not."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from openai_conformance.config import RunConfig
from openai_conformance.scenarios import (
    SCENARIOS,
    Scenario,
    ScenarioContext,
    chat,
    completions,
    embeddings,
    get_scenario,
)
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.parsed_stream import ParsedStream, parse_stream
from openai_conformance.validation.semantics import check_semantics
from openai_conformance.validation.stream import check_stream, stream_kind
from openai_conformance.validation.violations import Violation
from tests.validation.validation_factories import (
    CREATED,
    NOW,
    chat_chunk,
    json_exchange,
    stream_exchange,
    usage_chunk,
    validator,
)

#: The scenarios of the semantics a fuzzer rarely reaches (the others: test_request_scenarios.py).
SEMANTIC = (*chat.SCENARIOS, *completions.SCENARIOS, *embeddings.SCENARIOS)


@dataclass
class FakeServer:
    """A deterministic OpenAI-like server; each fault breaks one behaviour."""

    faults: frozenset[str] = frozenset()
    sent: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)

    def send(self, method: str, path: str, body: Any, stream: bool) -> Exchange:
        assert method == "POST"
        self.sent.append((path, body, stream))
        if path == "/embeddings":
            return json_exchange(path, body, self._embeddings(body))
        if path == "/completions":
            choices = self._completion_choices(body)
            if stream:
                return stream_exchange(path, body, self._completion_stream(body, choices))
            return json_exchange(path, body, self._completion(body, choices))
        assert path == "/chat/completions"
        if stream:
            return stream_exchange(path, body, self._chat_stream(body))
        return json_exchange(path, body, self._chat(body))

    # chat ------------------------------------------------------------------------------------------

    def _n(self, body: dict[str, Any]) -> int:
        return 1 if "n_ignored" in self.faults else int(body.get("n") or 1)

    def _reply(self, body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None, str]:
        """Content, tool calls and finish reason for a request."""
        if "max_tokens_ignored" in self.faults and body.get("max_tokens", 16) <= 2:
            return "1 2 3 4 5 6 7 8 9 10 " * 60, None, "stop"
        if isinstance(body.get("tool_choice"), dict):
            arguments = '{"town": 1}' if "bad_arguments" in self.faults else '{"city": "Paris"}'
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": arguments},
            }
            return None, [call], "stop"
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_object":
            return '{"ok": true}', None, "stop"
        if response_format.get("type") == "json_schema":
            return '{"answer": "five"}' if "schema_ignored" in self.faults else '{"answer": 5}', None, "stop"
        if body.get("max_tokens", 16) <= 2:
            return "1", None, "length"
        return "Hello", None, "stop"

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        content, calls, finish = self._reply(body)
        k = body.get("top_logprobs") or 0
        logprobs = None
        if body.get("logprobs") and "logprobs_ignored" not in self.faults:
            top = [{"token": f"t{i}", "logprob": -1.0 * i, "bytes": None} for i in range(k)]
            logprobs = {
                "content": [{"token": "Hi", "logprob": -0.1, "bytes": None, "top_logprobs": top}],
                "refusal": None,
            }
        choices = []
        for index in range(self._n(body)):
            message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
            if calls:
                message["tool_calls"] = calls
            choices.append(
                {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}
            )
        completion_tokens = min(len(choices) * 3, len(choices) * body.get("max_tokens", 16))
        if "max_tokens_ignored" in self.faults and body.get("max_tokens", 16) <= 2:
            return {
                "id": "chatcmpl-1", "object": "chat.completion", "created": CREATED, "model": body["model"],
                "choices": choices,
            }  # fmt: skip
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "system_fingerprint": "fp_1",
            "choices": choices,
            "usage": {
                "prompt_tokens": 7,
                "completion_tokens": completion_tokens,
                "total_tokens": 7 + completion_tokens,
            },
        }

    def _chat_stream(self, body: dict[str, Any]) -> list[Any]:
        content, calls, finish = self._reply(body)
        if "stream_shape_differs" in self.faults:
            finish = "length"  # the plain answer to the same request says "stop"
        include = (body.get("stream_options") or {}).get("include_usage") is True
        usage: dict[str, Any] = {"usage": None} if include else {}
        items: list[Any] = []
        for index in range(self._n(body)):
            items.append(chat_chunk(role=True, content="" if calls is None else None, index=index, **usage))
            if calls:
                first = {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
                items.append(chat_chunk(tool_calls=[first], index=index, **usage))
                pieces = ['{"city": ', '"Paris"}']
                if "tool_index_missing" in self.faults:
                    items += [
                        chat_chunk(tool_calls=[{"function": {"arguments": p}}], index=index, **usage)
                        for p in pieces
                    ]
                else:
                    items += [
                        chat_chunk(
                            tool_calls=[{"index": 0, "function": {"arguments": p}}], index=index, **usage
                        )
                        for p in pieces
                    ]
            else:
                items.append(chat_chunk(content=content, index=index, **usage))
            items.append(chat_chunk(index=index, finish=finish, **usage))
        if include and "usage_ignored" not in self.faults:
            items.append(usage_chunk(completion=2 * self._n(body)))
        return items

    # completions -----------------------------------------------------------------------------------

    def _completion_choices(self, body: dict[str, Any]) -> int:
        prompts = len(body["prompt"]) if isinstance(body["prompt"], list) else 1
        return prompts * (1 if "n_ignored" in self.faults else int(body.get("n") or 1))

    def _completion(self, body: dict[str, Any], choices: int) -> dict[str, Any]:
        return {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": CREATED,
            "model": body["model"],
            "choices": [
                {"text": " there", "index": i, "logprobs": None, "finish_reason": "stop"}
                for i in range(choices)
            ],
            "usage": {"prompt_tokens": 4, "completion_tokens": choices, "total_tokens": 4 + choices},
        }

    def _completion_stream(self, body: dict[str, Any], choices: int) -> list[Any]:
        base = {"id": "cmpl-1", "object": "text_completion", "created": CREATED, "model": body["model"]}
        items: list[Any] = []
        for index in range(choices):
            items.append(
                {
                    **base,
                    "choices": [{"text": " there", "index": index, "logprobs": None, "finish_reason": None}],
                }
            )
            reason = "" if "empty_finish_reason" in self.faults else "stop"
            items.append(
                {**base, "choices": [{"text": "", "index": index, "logprobs": None, "finish_reason": reason}]}
            )
        usage = {"prompt_tokens": 4, "completion_tokens": choices, "total_tokens": 4 + choices}
        items.append({**base, "choices": [], "usage": usage})
        return items

    # embeddings ------------------------------------------------------------------------------------

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if "embeddings_count" in self.faults:
            inputs = inputs[:1]
        size = 16 if "dimensions_ignored" in self.faults else int(body.get("dimensions") or 16)
        data = []
        for i, text in enumerate(inputs):
            vector = [((len(str(text)) + i) * 7 + j * 13) % 17 / 17 - 0.5 for j in range(size)]
            embedding: Any = vector
            if body.get("encoding_format") == "base64":
                order = ">" if "big_endian" in self.faults else "<"
                embedding = base64.b64encode(struct.pack(f"{order}{size}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        return {
            "object": "list",
            "model": body["model"],
            "data": data,
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }


class FakeTransport(HttpTransport):
    """Builds requests as the HTTP transport does; a fake server answers them."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(RunConfig(), "http://testserver/v1")
        self.server = server

    def send(self, request: Request, *, stream: bool = False) -> Exchange:
        return self.server.send(request.method, request.path, request.json_body, stream)


class FakeJudge:
    """What the engine's judge does, minus the schema of non-streamed bodies."""

    def judge(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True
    ) -> Iterator[Violation]:
        kind = stream_kind(operation_id)
        if kind is not None and exchange.request.body_field("stream") is True:
            yield from self.judge_stream(parse_stream(exchange), operation_id)
        else:
            yield from check_semantics(exchange, operation_id, now=NOW)

    def judge_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[Violation]:
        kind = stream_kind(operation_id)
        assert kind is not None
        yield from check_stream(stream, kind, validator(kind), now=NOW)


def context(
    server: FakeServer,
    *,
    max_tokens: int = 16,
    embedding_model: str | None = "text-embedding-3-small",
    completion_model: str | None = "gpt-3.5-turbo-instruct",
) -> ScenarioContext:
    fit = {
        "createChatCompletion": "gpt-4o-mini",
        "createEmbedding": embedding_model,
        "createCompletion": completion_model,
    }

    def models_for(operation_id: str) -> list[str]:
        model = fit.get(operation_id)
        return [model] if model else []

    return ScenarioContext(FakeTransport(server), FakeJudge(), models_for, max_tokens=max_tokens)


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


def test_context_checks_its_budget() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        context(FakeServer(), max_tokens=0)


def test_budget_of_one_token() -> None:
    server = FakeServer()
    list(run_scenarios(context(server, max_tokens=1, embedding_model=None, completion_model=None)))
    assert all(body.get("max_tokens") == 1 for _, body, _ in server.sent)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("n_ignored", {("chat.n", "semantics.choices_count"), ("chat.stream_n", "semantics.choices_count"),
                       ("completions.prompts_n", "semantics.choices_count")}),
        ("max_tokens_ignored", {("chat.max_tokens", "semantics.max_tokens")}),
        ("logprobs_ignored", {("chat.logprobs", "semantics.logprobs")}),
        ("bad_arguments", {("chat.tool_choice", "semantics.tool_arguments")}),
        ("schema_ignored", {("chat.json_schema", "semantics.json_schema")}),
        ("usage_ignored", {("chat.stream_usage", "stream.usage")}),
        # a missing index is reported once, by the rule that owns it (not again as a schema error)
        ("tool_index_missing", {("chat.stream_tool", "stream.tool_call_index")}),
        ("empty_finish_reason", {("completions.stream", "stream.finish_reason"),
                                 ("completions.stream", "stream.chunk_schema")}),
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
    found = run("max_tokens_ignored")
    assert [violation.pointer for _, violation in found] == ["/choices/0/message/content"] * 2
    assert "max_tokens=1" in found[0][1].message


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
