"""A stream under the wrong media type is still judged as the stream it is; --profile compat in chunks."""

from __future__ import annotations

from typing import Any

from openai_conformance.openapi.loader import load_contract
from openai_conformance.transport.curl import WRONG_KEY, to_curl
from openai_conformance.transport.exchange import Request
from openai_conformance.validation.judge import Judge
from openai_conformance.validation.stream import check_stream, create_chunk_validator, parse_stream
from openai_conformance.validation.violations import Violation
from tests.validation.validation_factories import chat_chunk, chat_stream_items, load_spec, stream_exchange

CHAT = "/chat/completions"
REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
CONTRACT = load_contract(pin="6b8287f", findings=False)


def _judged(items: list[Any], content_type: str) -> list[Violation]:
    exchange = stream_exchange(CHAT, REQUEST, items, content_type=content_type)
    return list(Judge(CONTRACT).judge(exchange, "createChatCompletion"))


def test_a_conformant_stream_under_its_own_media_type_is_silent() -> None:
    assert _judged(chat_stream_items(), "text/event-stream") == []


def test_the_wrong_media_type_is_reported_once_and_the_stream_is_still_judged() -> None:
    items = [chat_chunk(content="he", role=True, chunk_id="a"), chat_chunk(content="llo", chunk_id="b")]
    checks = [v.check for v in _judged(items, "application/json")]
    assert checks.count("stream.content_type") == 1
    assert "schema.content_type" not in checks and "schema.malformed_json" not in checks
    assert "stream.consistent_id" in checks and "stream.finish_reason" in checks


def test_the_wrong_media_type_alone_is_the_only_finding() -> None:
    assert [v.check for v in _judged(chat_stream_items(), "text/plain")] == ["stream.content_type"]


def _without_finish_reason() -> list[Any]:
    items = chat_stream_items()
    first = items[0]
    del first["choices"][0]["finish_reason"]  # required, and nullable: the compat profile's rule
    return items


def test_compat_makes_a_missing_nullable_field_of_a_chunk_a_warning() -> None:
    exchange = stream_exchange(CHAT, REQUEST, _without_finish_reason())
    strict = create_chunk_validator(load_spec(), "chat")
    compat = create_chunk_validator(load_spec(), "chat", compat=True)
    (error,) = [
        v for v in check_stream(parse_stream(exchange), "chat", strict) if v.check == "stream.chunk_schema"
    ]
    (warning,) = [
        v for v in check_stream(parse_stream(exchange), "chat", compat) if v.check == "stream.chunk_schema"
    ]
    assert error.severity == "error" and warning.severity == "warning"
    broken = stream_exchange(
        CHAT, REQUEST, [{**chat_stream_items()[0], "created": "soon"}, *chat_stream_items()[1:]]
    )
    (typed,) = [
        v for v in check_stream(parse_stream(broken), "chat", compat) if v.check == "stream.chunk_schema"
    ]
    assert typed.severity == "error"  # anything else stays an error


def test_the_judge_applies_the_profile_to_chunks() -> None:
    exchange = stream_exchange(CHAT, REQUEST, _without_finish_reason())
    severities = {
        v.severity for v in Judge(CONTRACT, profile="compat").judge(exchange, "createChatCompletion")
    }
    assert severities == {"warning"}


def test_the_wrong_key_reproduction_sends_the_wrong_key_and_never_the_valid_one() -> None:
    valid = "sk-the-real-key-0123456789"
    wrong = Request("GET", "http://h/v1/models", "/models", headers={"Authorization": f"Bearer {WRONG_KEY}"})
    right = Request("GET", "http://h/v1/models", "/models", headers={"Authorization": f"Bearer {valid}"})
    assert f"Authorization: Bearer {WRONG_KEY}" in to_curl(wrong, [valid])
    shown = to_curl(right, [valid])
    assert "$OPENAI_API_KEY" in shown and valid not in shown
