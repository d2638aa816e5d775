"""Every semantics check fires on a broken answer and stays silent on what the contract allows."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.catalogue import CHECKS
from openai_conformance.validation.semantics import (
    check_semantics,
    decode_base64_embedding,
    expected_choices,
)
from openai_conformance.validation.violations import Violation
from tests.validation.validation_factories import (
    NOW,
    chat_choice,
    chat_response,
    json_exchange,
    stream_exchange,
    tool_call,
)

CHAT = "createChatCompletion"
COMPLETION = "createCompletion"
EMBEDDING = "createEmbedding"
CHAT_REQUEST: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


def judge(exchange: Exchange, operation_id: str = CHAT) -> list[Violation]:
    violations = list(check_semantics(exchange, operation_id, now=NOW))
    for violation in violations:
        assert violation.check in CHECKS
        declared = CHECKS[violation.check]
        assert violation.severity == declared.severity or (
            declared.relaxed and violation.severity == "warning"
        )
    return violations


def chat(response: dict[str, Any], **request: Any) -> list[Violation]:
    return judge(json_exchange("/chat/completions", {**CHAT_REQUEST, **request}, response))


def only(violations: list[Violation], check: str) -> Violation:
    assert [v.check for v in violations] == [check] * len(violations) and violations, violations
    return violations[0]


# --- scope -------------------------------------------------------------------------------------------


def test_conformant_chat_answer_is_silent() -> None:
    assert chat(chat_response()) == []


def test_other_operations_errors_and_non_json_are_not_judged() -> None:
    broken = chat_response(created=1.5)
    assert judge(json_exchange("/models", {}, broken), "listModels") == []
    assert judge(json_exchange("/chat/completions", CHAT_REQUEST, broken, status=400)) == []
    exchange = json_exchange("/chat/completions", CHAT_REQUEST, {})
    exchange.body = b"not json"
    assert judge(exchange) == []
    assert judge(stream_exchange("/chat/completions", CHAT_REQUEST, [])) == []  # streams: check_stream


# --- semantics.choices_count -----------------------------------------------------------------------


def test_choices_count_n_ignored() -> None:
    # ollama PR #6948: n silently ignored.
    assert only(chat(chat_response(), n=2), "semantics.choices_count").pointer == "/choices"


def test_choices_count_index_one_for_a_single_choice() -> None:
    # litellm#3678.
    violation = only(chat(chat_response([chat_choice(index=1)])), "semantics.choices_count")
    assert violation.pointer == "/choices/0/index"


def test_choices_count_n_choices_in_any_order() -> None:
    usage = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
    assert chat(chat_response([chat_choice(index=1), chat_choice(index=0)], usage=usage), n=2) == []
    assert chat(chat_response(), n=None) == []


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        ({"prompt": "x"}, 1),
        ({"prompt": ["a", "b"], "n": 2}, 4),
        ({"prompt": [1, 2, 3]}, 1),
        ({"prompt": [[1], [2], [3]]}, 3),
        ({"prompt": []}, None),
        ({"prompt": None, "n": 3}, 3),
        ({"prompt": "x", "n": 0}, None),
        ({"prompt": "x", "n": True}, None),
    ],
)
def test_expected_choices_of_completions(request_body: dict[str, Any], expected: int | None) -> None:
    assert expected_choices(request_body, COMPLETION) == expected


def completion(choices: int, **usage: int) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [
            {"text": "x", "index": i, "logprobs": None, "finish_reason": "length"} for i in range(choices)
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8, **usage},
    }


def test_choices_count_completions_prompts_times_n() -> None:
    request = {"model": "gpt-3.5-turbo-instruct", "prompt": ["a", "b"], "n": 2}
    assert judge(json_exchange("/completions", request, completion(4)), COMPLETION) == []
    only(judge(json_exchange("/completions", request, completion(2)), COMPLETION), "semantics.choices_count")


# --- semantics.usage_total / semantics.max_tokens ---------------------------------------------------


def test_usage_total() -> None:
    usage = {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 12}
    assert only(chat(chat_response(usage=usage)), "semantics.usage_total").pointer == "/usage/total_tokens"


def test_max_tokens_exceeded() -> None:
    # ollama#18575: max_tokens ignored.
    usage = {"prompt_tokens": 9, "completion_tokens": 40, "total_tokens": 49}
    violation = only(chat(chat_response(usage=usage), max_tokens=16), "semantics.max_tokens")
    assert violation.pointer == "/usage/completion_tokens"
    only(chat(chat_response(usage=usage), max_completion_tokens=16), "semantics.max_tokens")


def test_max_tokens_allows_exactly_the_cap_and_counts_every_generation() -> None:
    usage = {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
    assert chat(chat_response([chat_choice(finish="length")], usage=usage), max_tokens=2) == []
    assert chat(chat_response([chat_choice(finish="stop")], usage=usage), max_tokens=2) == []
    two = chat_response(
        [chat_choice(), chat_choice(index=1)], usage={**usage, "completion_tokens": 4, "total_tokens": 13}
    )
    assert chat(two, max_tokens=2, n=2) == []
    # best_of candidates are billed too; echo is left alone.
    request = {"model": "gpt-3.5-turbo-instruct", "prompt": "x", "max_tokens": 2, "best_of": 3}
    body = completion(1, completion_tokens=6, total_tokens=10)
    assert judge(json_exchange("/completions", request, body), COMPLETION) == []
    echo = {"model": "gpt-3.5-turbo-instruct", "prompt": "x", "max_tokens": 2, "echo": True}
    assert judge(json_exchange("/completions", echo, body), COMPLETION) == []


def test_max_tokens_absent_or_null_is_no_bound() -> None:
    usage = {"prompt_tokens": 9, "completion_tokens": 400, "total_tokens": 409}
    assert chat(chat_response(usage=usage)) == []
    assert chat(chat_response(usage=usage), max_tokens=None) == []


# --- semantics.logprobs ------------------------------------------------------------------------------


def token(k: int, text: str = "Hi") -> dict[str, Any]:
    top = [{"token": f"t{i}", "logprob": -float(i), "bytes": None} for i in range(k)]
    return {"token": text, "logprob": -0.1, "bytes": list(text.encode()), "top_logprobs": top}


def with_logprobs(*tokens: dict[str, Any]) -> dict[str, Any]:
    """An answer whose content is what its logprob entries spell, one token each."""
    content = "".join(str(t["token"]) for t in tokens)
    usage = {"prompt_tokens": 9, "completion_tokens": len(tokens), "total_tokens": 9 + len(tokens)}
    return chat_response(
        [chat_choice(content, logprobs={"content": list(tokens), "refusal": None})], usage=usage
    )


def test_logprobs_asked_but_null() -> None:
    # ollama#16117: logprobs silently dropped.
    violation = only(chat(chat_response(), logprobs=True), "semantics.logprobs")
    assert violation.pointer == "/choices/0/logprobs"


def test_logprobs_content_null() -> None:
    body = chat_response([chat_choice(logprobs={"content": None, "refusal": None})])
    assert only(chat(body, logprobs=True), "semantics.logprobs").pointer == "/choices/0/logprobs/content"


def test_logprobs_not_asked_but_sent() -> None:
    only(chat(with_logprobs(token(0))), "semantics.logprobs")
    assert chat(chat_response([chat_choice(logprobs={"content": None, "refusal": None})])) == []
    assert chat(with_logprobs(token(0)), logprobs=True) == []


def test_top_logprobs_too_many() -> None:
    violation = only(
        chat(with_logprobs(token(2), token(3)), logprobs=True, top_logprobs=2), "semantics.logprobs"
    )
    assert violation.pointer == "/choices/0/logprobs/content/1/top_logprobs"


def test_top_logprobs_ignored() -> None:
    only(chat(with_logprobs(token(0), token(0)), logprobs=True, top_logprobs=2), "semantics.logprobs")


def test_top_logprobs_fewer_in_rare_cases_is_allowed() -> None:
    # "In rare cases, there may be fewer than the number of requested top_logprobs returned."
    assert chat(with_logprobs(token(2), token(1)), logprobs=True, top_logprobs=2) == []
    constrained = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}, "strict": True}}
    body = chat_response([chat_choice("{}", logprobs={"content": [token(1, "{}")], "refusal": None})])
    assert chat(body, logprobs=True, top_logprobs=2, response_format=constrained) == []


def test_completion_logprobs() -> None:
    request = {"model": "gpt-3.5-turbo-instruct", "prompt": "x", "logprobs": 2}
    body = completion(1)
    only(judge(json_exchange("/completions", request, body), COMPLETION), "semantics.logprobs")
    body["choices"][0]["text"] = "ab"
    body["choices"][0]["logprobs"] = {
        "tokens": ["a", "b"],
        "token_logprobs": [-0.1, -0.2],
        "top_logprobs": [None, {"a": -0.1, "b": -1.0, "c": -2.0}],  # k + 1 with the sampled token
        "text_offset": [0, 1],
    }
    assert judge(json_exchange("/completions", request, body), COMPLETION) == []
    body["choices"][0]["logprobs"]["top_logprobs"][1]["d"] = -3.0
    violation = only(judge(json_exchange("/completions", request, body), COMPLETION), "semantics.logprobs")
    assert violation.pointer == "/choices/0/logprobs/top_logprobs/1"
    body["choices"][0]["logprobs"]["top_logprobs"][1].pop("d")
    body["choices"][0]["logprobs"]["tokens"].append("c")
    only(judge(json_exchange("/completions", request, body), COMPLETION), "semantics.logprobs")
    assert judge(
        json_exchange("/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "x"}, body), COMPLETION
    )


# --- semantics.tool_choice ---------------------------------------------------------------------------

FORCED = {"type": "function", "function": {"name": "get_weather"}}


def test_forced_tool_not_called() -> None:
    violation = only(chat(chat_response(), tools=[WEATHER], tool_choice=FORCED), "semantics.tool_choice")
    assert violation.pointer == "/choices/0/message/tool_calls"


def test_forced_tool_called_with_stop_is_fine() -> None:
    # OpenAI answers a forced function with finish_reason "stop", not "tool_calls".
    body = chat_response([chat_choice(None, tool_calls=[tool_call()], finish="stop")])
    assert chat(body, tools=[WEATHER], tool_choice=FORCED) == []
    cut = chat_response([chat_choice("", finish="length")])
    assert chat(cut, tools=[WEATHER], tool_choice=FORCED) == []


def test_tool_choice_required_and_none() -> None:
    only(chat(chat_response(), tools=[WEATHER], tool_choice="required"), "semantics.tool_choice")
    called = chat_response([chat_choice(None, tool_calls=[tool_call()], finish="tool_calls")])
    only(chat(called, tools=[WEATHER], tool_choice="none"), "semantics.tool_choice")
    assert chat(called, tools=[WEATHER], tool_choice="auto") == []


def test_forced_tool_that_is_not_offered_is_not_judged() -> None:
    assert chat(chat_response(), tool_choice=FORCED) == []


# --- semantics.tool_arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [({"city": "Paris"}, "string"), ("{city: Paris}", "not JSON"), ('{"town": "Paris"}', "parameters")],
)
def test_tool_arguments(arguments: Any, needle: str) -> None:
    # TGI#2461: arguments as an object.
    body = chat_response([chat_choice(None, tool_calls=[tool_call(arguments)], finish="tool_calls")])
    violation = only(chat(body, tools=[WEATHER]), "semantics.tool_arguments")
    assert violation.severity == "warning"
    assert needle in violation.message
    assert violation.pointer == "/choices/0/message/tool_calls/0/function/arguments"


def test_tool_arguments_with_an_unusable_schema_are_only_parsed() -> None:
    odd = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": 12}}}
    remote = {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"$ref": "http://x.invalid/s"}},
    }
    body = chat_response([chat_choice(None, tool_calls=[tool_call('{"a": 1}')], finish="tool_calls")])
    assert chat(body, tools=[odd]) == []
    assert chat(body, tools=[remote]) == []


# --- semantics.json_mode / semantics.json_schema -----------------------------------------------------


def test_json_mode() -> None:
    fmt = {"type": "json_object"}
    violation = only(
        chat(chat_response([chat_choice("```json\n{}\n```")]), response_format=fmt), "semantics.json_mode"
    )
    assert violation.pointer == "/choices/0/message/content"
    assert chat(chat_response([chat_choice(' {"ok": true} ')]), response_format=fmt) == []
    assert chat(chat_response([chat_choice('{"ok": tr', finish="length")]), response_format=fmt) == []


SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}


def test_json_schema() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "sum", "schema": SCHEMA, "strict": True}}
    violation = only(
        chat(chat_response([chat_choice('{"answer": "five"}')]), response_format=fmt), "semantics.json_schema"
    )
    assert "/answer" in violation.message
    only(chat(chat_response([chat_choice("five")]), response_format=fmt), "semantics.json_schema")
    assert chat(chat_response([chat_choice('{"answer": 5}')]), response_format=fmt) == []
    refusal = chat_response([chat_choice(None)])
    assert chat(refusal, response_format=fmt) == []


def test_json_schema_without_strict_is_held_to_the_schema_as_a_warning() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "sum", "schema": SCHEMA}}
    found = only(
        chat(chat_response([chat_choice('{"answer": "five"}')]), response_format=fmt), "semantics.json_schema"
    )
    assert found.severity == "warning" and "not strict" in found.message
    assert chat(chat_response([chat_choice('{"answer": 5}')]), response_format=fmt) == []
    # not JSON at all stays an error: json_schema constrains decoding to JSON, strict or not
    assert (
        only(
            chat(chat_response([chat_choice("five")]), response_format=fmt), "semantics.json_schema"
        ).severity
        == "error"
    )


# --- embeddings ---------------------------------------------------------------------------------------


def embeddings(*vectors: Any, indices: list[int] | None = None) -> dict[str, Any]:
    data = [
        {"object": "embedding", "index": (indices or list(range(len(vectors))))[i], "embedding": vector}
        for i, vector in enumerate(vectors)
    ]
    return {"object": "list", "model": "e", "data": data, "usage": {"prompt_tokens": 3, "total_tokens": 3}}


def encode(values: list[float], fmt: str = "<") -> str:
    return base64.b64encode(struct.pack(f"{fmt}{len(values)}f", *values)).decode()


def embed(request: dict[str, Any], response: dict[str, Any]) -> list[Violation]:
    return judge(json_exchange("/embeddings", {"model": "e", **request}, response), EMBEDDING)


def test_embeddings_count() -> None:
    assert embed({"input": ["a", "b"]}, embeddings([0.1], [0.2])) == []
    assert (
        only(
            embed({"input": ["a", "b", "c"]}, embeddings([0.1], [0.2])), "semantics.embeddings_count"
        ).pointer
        == "/data"
    )
    violation = only(
        embed({"input": ["a", "b"]}, embeddings([0.1], [0.2], indices=[1, 0])), "semantics.embeddings_count"
    )
    assert violation.pointer == "/data/0/index"
    assert embed({"input": [1, 2, 3]}, embeddings([0.1])) == []


def test_embeddings_dimensions() -> None:
    assert embed({"input": "a", "dimensions": 3}, embeddings([0.1, 0.2, 0.3])) == []
    violation = only(
        embed({"input": "a", "dimensions": 2}, embeddings([0.1, 0.2, 0.3])), "semantics.embeddings_dimensions"
    )
    assert violation.pointer == "/data/0/embedding"
    request = {"input": "a", "dimensions": 2, "encoding_format": "base64"}
    only(embed(request, embeddings(encode([0.1, 0.2, 0.3]))), "semantics.embeddings_dimensions")
    only(embed({"input": ["a", "b"]}, embeddings([0.1, 0.2], [0.1])), "semantics.embeddings_dimensions")


def test_embeddings_base64() -> None:
    # llama.cpp#10887: base64 unsupported.
    request = {"input": "a", "encoding_format": "base64"}
    assert embed(request, embeddings(encode([0.5, -0.25]))) == []
    only(embed(request, embeddings([0.5, -0.25])), "semantics.embeddings_base64")
    only(embed(request, embeddings("not base64!")), "semantics.embeddings_base64")
    only(embed(request, embeddings(base64.b64encode(b"abc").decode())), "semantics.embeddings_base64")
    only(embed({"input": "a"}, embeddings(encode([0.5]))), "semantics.embeddings_base64")


def test_decode_base64_embedding() -> None:
    assert decode_base64_embedding(encode([1.5, -2.0])) == [1.5, -2.0]
    assert decode_base64_embedding("@@@") is None


# --- semantics.created --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "needle"),
    [(1_700_000_000.5, "float"), (1_700_000_000_000, "milliseconds"), (12, "2015"), ("1700000000", "str")],
)
def test_created(created: Any, needle: str) -> None:
    # litellm#476: created is a float.
    violation = only(chat(chat_response(created=created)), "semantics.created")
    assert (violation.pointer, needle in violation.message) == ("/created", True)


def test_created_near_now_is_fine() -> None:
    assert chat(chat_response(created=int(NOW) + 3600)) == []
