"""The parameter checks of chat and text completions: each fires on an answer that ignores its parameter,
and stays silent on what the contract allows (extra vendor fields, an answer cut by the cap, a model
that stops early, whitespace a detokenizer cleaned up)."""

from __future__ import annotations

from typing import Any

import pytest

from openai_conformance.validation.semantics import check_semantics
from openai_conformance.validation.semantics.json_prefix import is_json_prefix
from openai_conformance.validation.violations import Violation
from tests.validation.validation_factories import NOW, chat_choice, chat_response, json_exchange, tool_call

CHAT = "createChatCompletion"
COMPLETION = "createCompletion"
MESSAGES = [{"role": "user", "content": "Hi"}]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}
STRICT = {"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA, "strict": True}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": SCHEMA}}


def chat(response: dict[str, Any], **request: Any) -> list[Violation]:
    body = {"model": "gpt-4o-mini", "messages": MESSAGES, **request}
    return list(check_semantics(json_exchange("/chat/completions", body, response), CHAT, now=NOW))


def found(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.check, v.severity) for v in violations]


def calls(*arguments: Any, finish: str = "tool_calls", names: tuple[str, ...] = ()) -> dict[str, Any]:
    listed = [tool_call(a, name=(names[i] if names else "get_weather")) for i, a in enumerate(arguments)]
    return chat_response([chat_choice(None, tool_calls=listed, finish=finish)])


# --- semantics.stop ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["5", ["x", "5"]])
def test_a_stop_sequence_in_the_content_is_caught(stop: Any) -> None:
    violations = chat(chat_response([chat_choice("1, 2, 3, 4, 5, 6")]), stop=stop)
    assert found(violations) == [("semantics.stop", "error")]
    assert (
        "'5' at character 12" in violations[0].message
        and violations[0].pointer == "/choices/0/message/content"
    )


def test_stop_is_silent_when_honoured_cut_or_empty() -> None:
    assert chat(chat_response([chat_choice("1, 2, 3, 4, ")]), stop="5") == []
    assert chat(chat_response([chat_choice("1, 2,", finish="length")]), stop=["5"]) == []
    assert chat(chat_response([chat_choice("anything")]), stop="") == []  # an empty stop stops nothing
    assert chat(chat_response([chat_choice(None, tool_calls=[tool_call()])]), stop="city") == []


# --- semantics.json_mode / json_schema cut by the cap -----------------------------------------------------


def test_a_json_answer_cut_by_the_cap_must_still_be_the_start_of_json() -> None:
    fmt = {"type": "json_object"}
    assert chat(chat_response([chat_choice('{"ok": tr', finish="length")]), response_format=fmt) == []
    assert chat(chat_response([chat_choice("", finish="length")]), response_format=fmt) == []
    prose = chat(chat_response([chat_choice("Sure! Here is", finish="length")]), response_format=fmt)
    assert found(prose) == [("semantics.json_mode", "error")] and "cut by the token cap" in prose[0].message
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA, "strict": True}}
    assert found(chat(chat_response([chat_choice("The city", finish="length")]), response_format=schema)) == [
        ("semantics.json_schema", "error")
    ]
    assert chat(chat_response([chat_choice('{"city": "Pa', finish="length")]), response_format=schema) == []


@pytest.mark.parametrize(
    "prefix", ["", " ", '{"a', '{"a": [1, 2.5e', "[true, fal", '"x\\u00', '{"k": {"n": nul', "-0.1"]
)
def test_json_prefixes(prefix: str) -> None:
    assert is_json_prefix(prefix)


@pytest.mark.parametrize("text", ["Sure", "```json", '{"a" 1', "[1,]", '{"a":1}}', "01", "{} {}", '"\\x'])
def test_not_json_prefixes(text: str) -> None:
    assert not is_json_prefix(text)


# --- semantics.strict_tool_arguments / tool_arguments ---------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [("{city: Paris}", "not JSON"), ('{"town": "Paris"}', "parameters"), ({"city": "Paris"}, "string")],
)
def test_strict_arguments_that_break_the_schema_are_errors(arguments: Any, needle: str) -> None:
    violations = chat(calls(arguments), tools=[STRICT], tool_choice="required")
    assert (
        found(violations) == [("semantics.strict_tool_arguments", "error")]
        and needle in violations[0].message
    )
    loose = chat(calls(arguments), tools=[WEATHER], tool_choice="required")
    assert found(loose) == [("semantics.tool_arguments", "warning")]  # without strict, a model may


def test_strict_arguments_cut_by_the_cap_must_be_the_start_of_json() -> None:
    assert chat(calls('{"city": "Pa', finish="length"), tools=[STRICT]) == []
    assert found(chat(calls("city=Pa", finish="length"), tools=[STRICT])) == [
        ("semantics.strict_tool_arguments", "error")
    ]
    assert chat(calls("city=Pa", finish="length"), tools=[WEATHER]) == []  # not strict: cut, not judged


def test_strict_arguments_valid_for_the_schema_pass_with_vendor_fields() -> None:
    body = calls('{"city": "Paris"}')
    body["choices"][0]["message"]["tool_calls"][0]["vendor_extra"] = {"x": 1}
    body["choices"][0]["message"]["reasoning_content"] = "thinking"
    assert chat(body, tools=[STRICT], tool_choice="required", parallel_tool_calls=False) == []


# --- semantics.parallel_tool_calls and tool_choice --------------------------------------------------------


def test_two_calls_with_parallel_tool_calls_false() -> None:
    two = calls('{"city": "Paris"}', '{"city": "Paris"}', names=("get_weather", "get_time"))
    assert found(chat(two, tools=[WEATHER, TIME], parallel_tool_calls=False)) == [
        ("semantics.parallel_tool_calls", "error")
    ]
    assert (
        chat(two, tools=[WEATHER, TIME]) == []
        and chat(two, tools=[WEATHER, TIME], parallel_tool_calls=True) == []
    )
    assert chat(calls('{"city": "Paris"}'), tools=[WEATHER, TIME], parallel_tool_calls=False) == []


def test_required_with_one_call_of_two_tools_is_enough() -> None:
    assert chat(calls('{"city": "Paris"}'), tools=[WEATHER, TIME], tool_choice="required") == []


def test_a_forced_legacy_function_call() -> None:
    functions = [WEATHER["function"]]
    message = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "function_call": {"name": "other", "arguments": "{}"},
    }
    body = chat_response(
        [{"index": 0, "message": message, "logprobs": None, "finish_reason": "function_call"}]
    )
    assert found(chat(body, functions=functions, function_call={"name": "get_weather"})) == [
        ("semantics.tool_choice", "error")
    ]
    message["function_call"] = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert chat(body, functions=functions, function_call={"name": "get_weather"}) == []


# --- semantics.logprobs: values, bytes, count ---------------------------------------------------------------


def entry(token: str, logprob: float = -0.5, top: list[Any] | None = None, raw: Any = ...) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode()) if raw is ... else raw,
            "top_logprobs": top or []}  # fmt: skip


def logprobs_answer(content: str, *entries: dict[str, Any], tokens: int | None = None) -> dict[str, Any]:
    count = len(entries) if tokens is None else tokens
    usage = {"prompt_tokens": 5, "completion_tokens": count, "total_tokens": 5 + count}
    return chat_response(
        [chat_choice(content, logprobs={"content": list(entries), "refusal": None})], usage=usage
    )


def test_a_positive_log_probability_is_caught() -> None:
    assert found(chat(logprobs_answer("Hi", entry("Hi", 0.7)), logprobs=True)) == [
        ("semantics.logprobs", "error")
    ]
    top = [{"token": "Ho", "logprob": 0.2, "bytes": None}]
    violations = chat(logprobs_answer("Hi", entry("Hi", -0.1, top)), logprobs=True, top_logprobs=1)
    assert found(violations) == [("semantics.logprobs", "error")]
    assert violations[0].pointer.endswith("/top_logprobs/0/logprob")
    assert chat(logprobs_answer("Hi", entry("Hi", -9999.0)), logprobs=True) == []  # OpenAI's "very unlikely"


def test_the_bytes_must_spell_the_content() -> None:
    wrong = chat(logprobs_answer("Hello there", entry("Good"), entry("bye")), logprobs=True)
    assert found(wrong) == [("semantics.logprobs", "error")] and "spell 'Goodbye'" in wrong[0].message
    # whitespace cleaned up by a detokenizer; a final special token; bytes not given; a cut character
    assert (
        chat(logprobs_answer("Hello , world", entry("Hello"), entry(","), entry(" world")), logprobs=True)
        == []
    )
    assert chat(logprobs_answer("Hi", entry("Hi"), entry("<|eot_id|>")), logprobs=True) == []
    assert chat(logprobs_answer("Hi", entry("H", raw=None), entry("x", raw=None)), logprobs=True) == []
    emoji = "\N{GRINNING FACE}".encode()
    cut = logprobs_answer("a\ufffd", entry("a"), entry("\ufffd", raw=list(emoji[:2])))
    assert chat(cut, logprobs=True) == []


def test_one_entry_per_token() -> None:
    many = logprobs_answer("abc", entry("a"), entry("b"), entry("c"), entry(""), tokens=2)
    assert found(chat(many, logprobs=True)) == [("semantics.logprobs", "error")]
    few = logprobs_answer("abcde", entry("abcde"), tokens=5)
    assert found(chat(few, logprobs=True)) == [("semantics.logprobs", "warning")]
    assert chat(logprobs_answer("ab", entry("a"), entry("b"), entry(""), tokens=2), logprobs=True) == []


# --- text completions: logprobs, echo, stop ---------------------------------------------------------------


def completion(request: dict[str, Any], *choices: dict[str, Any]) -> list[Violation]:
    body = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": "gpt-3.5-turbo-instruct",
        "choices": list(choices),
    }
    exchange = json_exchange("/completions", {"model": "gpt-3.5-turbo-instruct", **request}, body)
    return list(check_semantics(exchange, COMPLETION, now=NOW))


def text(value: str, index: int = 0, logprobs: Any = None) -> dict[str, Any]:
    return {"text": value, "index": index, "logprobs": logprobs, "finish_reason": "stop"}


def legacy(tokens: list[str], values: list[Any], top: list[Any] | None = None) -> dict[str, Any]:
    return {"tokens": tokens, "token_logprobs": values, "top_logprobs": top or [{} for _ in tokens],
            "text_offset": list(range(len(tokens)))}  # fmt: skip


def test_completion_logprobs_zero_still_gives_the_sampled_tokens() -> None:
    assert found(completion({"prompt": "x", "logprobs": 0}, text(" there"))) == [
        ("semantics.logprobs", "error")
    ]
    assert completion({"prompt": "x", "logprobs": 0}, text("")) == []  # nothing generated, nothing to give
    assert (
        completion({"prompt": "x", "logprobs": 0}, text(" there", logprobs=legacy([" there"], [-0.2]))) == []
    )


def test_completion_logprob_values_and_tokens() -> None:
    positive = text(" a b", logprobs=legacy([" a", " b"], [-0.1, 0.3]))
    assert found(completion({"prompt": "x", "logprobs": 1}, positive)) == [("semantics.logprobs", "error")]
    echoed = text("x a", logprobs=legacy(["x", " a"], [None, -0.2]))  # echo: the first token has no logprob
    assert completion({"prompt": "x", "logprobs": 1, "echo": True}, echoed) == []
    unrelated = text(" a b", logprobs=legacy([" c", " d"], [-0.1, -0.2]))
    assert found(completion({"prompt": "x", "logprobs": 1}, unrelated)) == [("semantics.logprobs", "error")]
    partial = text(" \ufffd", logprobs=legacy(["bytes:\\xf0\\x9f"], [-0.1]))
    assert completion({"prompt": "x", "logprobs": 1}, partial) == []


def test_echo_puts_each_prompt_first() -> None:
    assert found(completion({"prompt": "Once", "echo": True}, text(" upon a time"))) == [
        ("semantics.echo", "error")
    ]
    assert completion({"prompt": "Once", "echo": True}, text("Once upon a time")) == []
    assert (
        completion({"prompt": "Once  upon", "echo": True}, text("Once upon a time")) == []
    )  # spaces cleaned
    assert completion({"prompt": [1, 2, 3], "echo": True}, text(" anything")) == []  # token ids: no text
    two = completion({"prompt": ["A", "B"], "n": 2, "echo": True},
                     text("A.", 0), text("A!", 1), text("B.", 2), text("A?", 3))  # fmt: skip
    assert found(two) == [("semantics.echo", "error")] and two[0].pointer == "/choices/3/text"


def test_completion_stop_is_looked_for_after_the_echoed_prompt() -> None:
    assert completion({"prompt": "1, 2,", "stop": "2", "echo": True}, text("1, 2, 3,")) == []
    assert found(completion({"prompt": "1,", "stop": "3"}, text(" 2, 3,"))) == [("semantics.stop", "error")]


# --- semantics.model ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "answered"),
    [("gpt-4o", "gpt-4o-2024-08-06"), ("llama3", "llama3:latest"), ("GPT-4o-mini", "gpt-4o-mini")],
)
def test_the_answer_may_name_a_version_of_the_asked_model(asked: str, answered: str) -> None:
    body = chat_response(model=answered)
    assert list(check_semantics(json_exchange("/chat/completions", {"model": asked, "messages": MESSAGES}, body),
                                CHAT, now=NOW)) == []  # fmt: skip


def test_another_model_is_a_warning() -> None:
    assert found(chat(chat_response(model="gpt-3.5-turbo"))) == [("semantics.model", "warning")]
