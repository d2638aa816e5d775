"""The excerpt of an answer a finding keeps: the pointed value marked in its context, bounded in size."""

from __future__ import annotations

import json
from typing import Any

from openai_conformance.results.evidence import Excerpt, excerpt_of
from openai_conformance.results.models import OperationResult
from openai_conformance.transport.exchange import Exchange, Request, SseEvent
from openai_conformance.validation.violations import Violation

REQUEST = Request("POST", "http://t/v1/chat/completions", "/chat/completions", "/chat/completions")


def _json(body: Any, content_type: str = "application/json") -> Exchange:
    return Exchange(REQUEST, 200, {"content-type": content_type}, json.dumps(body).encode(), 0.1)


def _marked(excerpt: Excerpt | None) -> str:
    assert excerpt is not None and excerpt.highlight is not None
    start, end = excerpt.highlight
    return excerpt.text[start:end]


def test_the_pointed_value_is_marked_in_its_container() -> None:
    body = {"object": "chat.completions", "choices": [{"index": 0, "finish_reason": "end_turn"}]}
    excerpt = excerpt_of(_json(body), "/choices/0/finish_reason")
    assert _marked(excerpt) == '"end_turn"'
    assert excerpt is not None and excerpt.where == "body at /choices/0" and '"index": 0' in excerpt.text
    assert _marked(excerpt_of(_json(body), "/object")) == '"chat.completions"'


def test_a_missing_member_marks_the_deepest_value_there_is() -> None:
    body = {"data": [{"id": "m"}]}
    assert json.loads(_marked(excerpt_of(_json(body), "/data/0/owned_by"))) == {"id": "m"}


def test_a_stream_pointer_names_the_event() -> None:
    events = [
        SseEvent(json.dumps({"object": "chat.completion", "choices": []}), at=0.01),
        SseEvent("[DONE]", at=0.02),
    ]
    exchange = Exchange(
        REQUEST, 200, {"content-type": "text/event-stream"}, b"", 0.1, events=events, sse_problems=[]
    )
    excerpt = excerpt_of(exchange, "/events/0/object")
    assert excerpt is not None and excerpt.where == "event 0" and _marked(excerpt) == '"chat.completion"'
    whole = excerpt_of(exchange, "")
    assert whole is not None and "[DONE]" in whole.text and whole.highlight is None


def test_long_values_are_shortened_but_the_target_shown() -> None:
    body = {"data": [{"embedding": [0.1] * 3000, "index": i} for i in range(40)]}
    excerpt = excerpt_of(_json(body), "/data/37/index")
    assert _marked(excerpt) == "37"
    assert excerpt is not None and len(excerpt.text) < 3000 and "more" in excerpt.text


def test_a_body_that_is_not_json_shows_its_start() -> None:
    exchange = Exchange(REQUEST, 500, {"content-type": "text/html"}, b"<html>" + b"x" * 100_000, 0.1)
    excerpt = excerpt_of(exchange, "")
    assert excerpt is not None and excerpt.text.startswith("<html>") and len(excerpt.text) < 3000
    assert excerpt_of(Exchange(REQUEST, 204, {}, b"", 0.1), "") is None


def test_the_finding_keeps_the_excerpt_of_its_smallest_reproduction() -> None:
    op = OperationResult("createChatCompletion", "post", "/chat/completions")
    asked: list[str] = []

    def evidence(body: Any) -> Any:
        def excerpt(pointer: str) -> Excerpt | None:
            asked.append(pointer)
            return excerpt_of(_json(body), pointer)

        return excerpt

    violation = Violation("schema.body", "bad", "/object", keyword="enum")
    op.add(violation, status=200, curl="big", request_size=50, evidence=evidence({"object": "big"}))
    op.add(violation, status=200, curl="bigger", request_size=90, evidence=evidence({"object": "bigger"}))
    op.add(violation, status=200, curl="small", request_size=5, evidence=evidence({"object": "small"}))
    finding = op.violations[0]
    assert finding.curl == "small" and _marked(finding.excerpt) == '"small"'
    assert len(asked) == 2, "an excerpt is made only for the reproduction kept"
    data = finding.to_dict()
    assert data["excerpt"]["highlight"] and data["signature"] == finding.signature
