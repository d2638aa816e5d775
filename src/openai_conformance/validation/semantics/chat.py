"""Semantics of chat completions: response formats and stop sequences, with the tool and logprob rules.

JSON mode and ``json_schema`` constrain decoding to JSON, so an answer cut by the token cap is still
the start of a JSON document: prose is caught, cut or not. Only ``strict: true`` guarantees that the
content fits the schema; without it the schema is a goal a model may miss (a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, check, unchecked
from openai_conformance.validation.semantics.json_prefix import is_json_prefix
from openai_conformance.validation.semantics.logprobs import check_logprobs
from openai_conformance.validation.semantics.shared import (
    CHAT_OPERATION,
    END_USER,
    SAMPLING,
    as_dict,
    json_int,
    schema_errors,
    short,
)
from openai_conformance.validation.semantics.stop import check_stop, stop_sequences
from openai_conformance.validation.semantics.tools import check_tools
from openai_conformance.validation.violations import Violation

__all__ = ["check_chat", "json_mode", "json_schema"]

unchecked(
    CHAT_OPERATION, ("temperature", "top_p", "frequency_penalty", "presence_penalty", "logit_bias"), SAMPLING
)
unchecked(CHAT_OPERATION, ("messages",), "the prompt itself: what a model makes of it is not the server's")
unchecked(CHAT_OPERATION, ("user",), END_USER)
unchecked(
    CHAT_OPERATION,
    ("service_tier",),
    "the answer names the tier that served it, which need not be the one asked for (`auto`)",
)


def _not_json(kind: str, content: str, cut: bool) -> str:
    """What keeps ``content`` from being the JSON ``response_format`` asked for ("" when nothing)."""
    if cut:
        if is_json_prefix(content):
            return ""
        return (
            f"response_format {kind}, cut by the token cap, but the content is not the start of a "
            f"JSON document: {short(content)}"
        )
    try:
        json.loads(content)
    except ValueError:
        return f"response_format {kind} but the content is not JSON: {short(content)}"
    return ""


@check(
    "semantics.json_mode",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "response_format",
            "json_object: the content parses as JSON; cut by the cap, it is the start of a JSON document",
        ),
    ),
)
def json_mode(content: str, cut: bool, pointer: str) -> Iterator[Violation]:
    """response_format json_object yields content that parses as JSON.

    Reference: ResponseFormatJsonObject
    Why: JSON mode constrains decoding to JSON: even an answer cut by the cap is the start of a JSON
        document
    """
    if problem := _not_json("json_object", content, cut):
        yield json_mode.violation(problem, pointer)


@check(
    "semantics.json_schema",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "response_format",
            "json_schema: the content is JSON (the start of a document "
            "when cut), valid for the schema (a warning unless strict)",
        ),
        Parameter(
            CHAT_OPERATION,
            "response_format.json_schema.strict",
            "true: content not valid for the schema is an error",
        ),
    ),
)
def json_schema(
    content: str, cut: bool, pointer: str, response_format: Mapping[str, Any]
) -> Iterator[Violation]:
    """response_format json_schema yields content valid for the schema.

    Reference: ResponseFormatJsonSchema (strict: true)
    Why: json_schema constrains decoding to JSON, and with `strict: true` to the schema
    Relaxed: a warning when the schema is not `strict`: the content is JSON, but a model may miss the
        schema
    """
    if problem := _not_json("json_schema", content, cut):
        yield json_schema.violation(problem, pointer)
        return
    declared = as_dict(response_format.get("json_schema"))
    strict = declared.get("strict") is True
    schema = declared.get("schema")
    errors = schema_errors(json.loads(content), schema) if schema is not None and not cut else None
    if errors:
        how = "" if strict else " (the schema is not strict: a warning)"
        yield json_schema.violation(
            f"the content does not match the json_schema{how}: {'; '.join(errors[:3])}",
            pointer,
            warning=not strict,
        )


def _check_response_format(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    response_format = as_dict(request.get("response_format"))
    kind = response_format.get("type")
    if kind not in ("json_object", "json_schema"):
        return
    for j, choice in enumerate(choices):
        choice = as_dict(choice)
        content = as_dict(choice.get("message")).get("content")
        if not isinstance(content, str) or choice.get("finish_reason") == "content_filter":
            continue  # a tool call, a refusal, or content a filter replaced
        pointer = f"/choices/{j}/message/content"
        cut = choice.get("finish_reason") == "length"
        if kind == "json_object":
            yield from json_mode(content, cut, pointer)
        else:
            yield from json_schema(content, cut, pointer, response_format)


def check_chat(request: dict[str, Any], choices: list[Any], usage: Any = None) -> Iterator[Violation]:
    """The chat rules on the choices of one non-streamed answer (``usage``: the answer's)."""
    completion_tokens = json_int(as_dict(usage).get("completion_tokens"))
    yield from check_logprobs(request, choices, CHAT_OPERATION, completion_tokens)
    yield from check_tools(request, choices)
    yield from _check_response_format(request, choices)
    stops = stop_sequences(request)
    for j, choice in enumerate(choices if stops else []):
        content = as_dict(as_dict(choice).get("message")).get("content")
        yield from check_stop(content, stops, f"/choices/{j}/message/content")
