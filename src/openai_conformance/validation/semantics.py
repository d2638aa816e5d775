"""OpenAI semantics the schema cannot express: rules that relate a response to its request.

Every rule here is something the API guarantees for *every* valid request, so a fuzzed request with odd
but valid values never makes a conformant server fail: when the request leaves room (a choice cut by
``max_tokens``, a non-strict schema, an ``echo``), the rule stays silent.

``check_semantics`` judges non-streamed 2xx JSON answers of ``createChatCompletion``,
``createCompletion`` and ``createEmbedding``; ``check_stream_semantics`` judges streamed answers of
the first two (``stream.check_stream`` runs it, so a judge calls one or the other, never both).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import time
from collections.abc import Iterator, Mapping
from typing import Any

from referencing import Registry

from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.sse import events_of
from openai_conformance.validation.catalogue import get_check
from openai_conformance.validation.violations import Violation, pointer_from_path

__all__ = [
    "EMBEDDING_OPERATION",
    "SEMANTIC_OPERATIONS",
    "check_semantics",
    "check_stream_semantics",
    "decode_base64_embedding",
    "expected_choices",
    "is_stream_request",
]

CHAT_OPERATION = "createChatCompletion"
COMPLETION_OPERATION = "createCompletion"
EMBEDDING_OPERATION = "createEmbedding"
SEMANTIC_OPERATIONS = frozenset({CHAT_OPERATION, COMPLETION_OPERATION, EMBEDDING_OPERATION})

_MIN_CREATED = 1_420_070_400  # 2015-01-01T00:00:00Z: nothing of this API is older
_DAY = 86_400
_CUT = frozenset({"length", "content_filter"})  # a choice that did not end on its own
_MESSAGE_LIMIT = 200


def _violation(check: str, message: str, pointer: str = "", keyword: str = "") -> Violation:
    return Violation(check, message, pointer, get_check(check).severity, keyword)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…")


def _int(value: Any) -> int | None:
    """``value`` when it is a JSON integer (``true`` is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_stream_request(exchange: Exchange) -> bool:
    """Whether the request asked for a stream (``stream: true``)."""
    return exchange.request.body_field("stream") is True


# --- request facts ---------------------------------------------------------------------------------


def _n(request: Mapping[str, Any]) -> int | None:
    n = request.get("n")
    if n is None:
        return 1
    return n if _int(n) is not None and n >= 1 else None


def _prompt_count(prompt: Any) -> int | None:
    """How many prompts a completions ``prompt`` holds (None when unclear)."""
    if prompt is None or isinstance(prompt, str):
        return 1
    if not isinstance(prompt, list) or not prompt:
        return None
    if all(isinstance(item, str) for item in prompt):
        return len(prompt)
    if all(_int(item) is not None for item in prompt):
        return 1  # one prompt given as tokens
    if all(isinstance(item, list) for item in prompt):
        return len(prompt)
    return None


def expected_choices(request: Any, operation_id: str) -> int | None:
    """How many choices the request asks for (``n`` times the prompts), or None when unclear."""
    request = _dict(request)
    n = _n(request)
    if n is None:
        return None
    if operation_id == COMPLETION_OPERATION:
        prompts = _prompt_count(request.get("prompt"))
        return None if prompts is None else n * prompts
    return n


def _token_bound(request: Mapping[str, Any], operation_id: str, choices: int) -> tuple[int, str] | None:
    """The most completion tokens the answer may count, and how it was derived."""
    caps = [
        (value, name)
        for name in ("max_tokens", "max_completion_tokens")
        if (value := _int(request.get(name))) is not None and value >= 0
    ]
    if not caps:
        return None
    cap, name = min(caps)
    if operation_id == COMPLETION_OPERATION and request.get("echo") is True:
        return None  # echoed prompts: not worth guessing how servers count them
    per_prompt = max(_n(request) or 1, _int(request.get("best_of")) or 1)
    prompts = _prompt_count(request.get("prompt")) if operation_id == COMPLETION_OPERATION else 1
    generations = max(per_prompt * (prompts or 1), choices, 1)
    if generations == 1:
        return cap, f"{name}={cap}"
    return cap * generations, f"{name}={cap} x {generations} generations"


# --- shared rules -------------------------------------------------------------------------------


def _check_created(value: Any, pointer: str, now: float) -> Violation | None:
    if _int(value) is None:
        kind = "a float" if isinstance(value, float) else f"{type(value).__name__} {_short(value)}"
        return _violation(
            "semantics.created", f"`created` must be a Unix time in whole seconds, got {kind}", pointer
        )
    if value > now + _DAY:
        unit = " (milliseconds?)" if value > (now + _DAY) * 100 else ""
        return _violation(
            "semantics.created", f"`created` {value} is in the future{unit}: Unix time is in seconds", pointer
        )
    if value < _MIN_CREATED:
        return _violation(
            "semantics.created",
            f"`created` {value} is before 2015-01-01: not a Unix time in seconds",
            pointer,
        )
    return None


def _check_usage(
    usage: Any, pointer: str, request: Mapping[str, Any], operation_id: str, choices: int
) -> Iterator[Violation]:
    usage = _dict(usage)
    prompt, completion, total = (
        _int(usage.get(k)) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    )
    if prompt is not None and completion is not None and total is not None and total != prompt + completion:
        yield _violation(
            "semantics.usage_total",
            f"total_tokens {total} != prompt_tokens {prompt} + completion_tokens {completion}",
            f"{pointer}/total_tokens",
        )
    bound = _token_bound(request, operation_id, choices)
    if bound is not None and completion is not None and completion > bound[0]:
        yield _violation(
            "semantics.max_tokens",
            f"completion_tokens is {completion}, more than {bound[0]} ({bound[1]})",
            f"{pointer}/completion_tokens",
        )


def _check_indices(indices: list[tuple[Any, str]], expected: int | None, where: str) -> Iterator[Violation]:
    """Choice indices must be exactly 0..count-1 (``indices`` pairs each with its pointer)."""
    if expected is not None and len(indices) != expected:
        yield _violation(
            "semantics.choices_count", f"{len(indices)} choices for {expected} asked (n x prompts)", where
        )
    seen: set[int] = set()
    for index, pointer in indices:
        value = _int(index)
        if value is None or not 0 <= value < len(indices) or value in seen:
            yield _violation(
                "semantics.choices_count",
                f"choice index {_short(index)} is not one of 0..{len(indices) - 1} (each once)",
                pointer,
            )
            return
        seen.add(value)


# --- chat ---------------------------------------------------------------------------------------


def _carries_logprobs(value: Any) -> bool:
    """Whether a choice's ``logprobs`` holds anything (an object of nulls and empty lists does not)."""
    if isinstance(value, dict):
        return any(item not in (None, [], {}) for item in value.values())
    return value is not None


def _logprob_items(choice: Mapping[str, Any]) -> list[Any] | None:
    content = _dict(choice.get("logprobs")).get("content")
    return content if isinstance(content, list) else None


def _unasked_logprobs(choices: list[Any]) -> Iterator[Violation]:
    """The first choice that carries logprobs nobody asked for."""
    for j, choice in enumerate(choices):
        if _carries_logprobs(_dict(choice).get("logprobs")):
            yield _violation(
                "semantics.logprobs",
                "logprobs were not asked for but the choice carries them",
                f"/choices/{j}/logprobs",
            )
            return


def _check_chat_logprobs(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    asked = request.get("logprobs") is True
    if not asked:
        yield from _unasked_logprobs(choices)
        return
    k = _int(request.get("top_logprobs"))
    # The spec allows fewer than k alternatives "in rare cases"; a constrained vocabulary makes them
    # common. So fewer is a fault only when *no* token got k (the parameter was dropped).
    constrained = (
        _dict(request.get("response_format")).get("type") == "json_schema"
        or isinstance(request.get("tool_choice"), dict)
        or request.get("tool_choice") == "required"
        or bool(request.get("logit_bias"))
    )
    full = short = 0
    first_short = ""
    for j, choice in enumerate(choices):
        choice = _dict(choice)
        content = _dict(choice.get("message")).get("content")
        if choice.get("logprobs") is None:
            yield _violation(
                "semantics.logprobs",
                "logprobs: true was asked but the choice's logprobs is null",
                f"/choices/{j}/logprobs",
            )
            continue
        items = _logprob_items(choice)
        if items is None:
            if isinstance(content, str) and content:
                yield _violation(
                    "semantics.logprobs",
                    "logprobs: true was asked but logprobs.content is null",
                    f"/choices/{j}/logprobs/content",
                )
            continue
        if k is None:
            continue
        for t, item in enumerate(items):
            top = _dict(item).get("top_logprobs")
            if not isinstance(top, list):
                continue
            pointer = f"/choices/{j}/logprobs/content/{t}/top_logprobs"
            if len(top) > k:
                yield _violation(
                    "semantics.logprobs", f"{len(top)} top_logprobs for top_logprobs={k}", pointer
                )
                return
            if len(top) == k:
                full += 1
            else:
                short += 1
                first_short = first_short or pointer
    if k and short and not full and not constrained:
        yield _violation(
            "semantics.logprobs",
            f"top_logprobs={k} was asked but no token has {k} alternatives (the parameter was ignored?)",
            first_short,
        )


def _named_tool(request: Mapping[str, Any]) -> str | None:
    choice = request.get("tool_choice")
    if not isinstance(choice, dict) or choice.get("type") != "function":
        return None
    name = _dict(choice.get("function")).get("name")
    return name if isinstance(name, str) else None


def _tool_names(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's function tools: name → parameters schema (None when absent)."""
    tools = request.get("tools")
    names: dict[str, Any] = {}
    if isinstance(tools, list):
        for tool in tools:
            function = _dict(_dict(tool).get("function"))
            if _dict(tool).get("type") == "function" and isinstance(function.get("name"), str):
                names[function["name"]] = function.get("parameters")
    return names


def _check_tool_choice(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    tools = _tool_names(request)
    forced = _named_tool(request)
    mode = request.get("tool_choice")
    if forced is None and not (mode in ("required", "none") and tools):
        return
    if forced is not None and forced not in tools:
        return  # the API rejects that request; a server that accepts it is judged elsewhere
    for j, choice in enumerate(choices):
        choice = _dict(choice)
        if choice.get("finish_reason") in _CUT:
            continue
        calls = _dict(choice.get("message")).get("tool_calls")
        calls = calls if isinstance(calls, list) else []
        names = [_dict(_dict(call).get("function")).get("name") for call in calls]
        pointer = f"/choices/{j}/message/tool_calls"
        if mode == "none" and calls:
            yield _violation(
                "semantics.tool_choice", "tool_choice is `none` but the model called a tool", pointer
            )
        elif mode == "required" and not calls:
            yield _violation(
                "semantics.tool_choice", "tool_choice is `required` but no tool was called", pointer
            )
        elif forced is not None and forced not in names:
            got = f"calls to {names}" if names else "no tool call"
            yield _violation(
                "semantics.tool_choice",
                f"tool_choice forces function {forced!r} but the choice has {got}",
                pointer,
            )


def _schema_errors(instance: Any, schema: Any) -> list[str] | None:
    """Why ``instance`` fails the JSON Schema ``schema`` (None when the schema cannot be used)."""
    if not isinstance(schema, dict):
        return None
    from jsonschema import exceptions as jsonschema_exceptions
    from jsonschema.validators import Draft202012Validator, validator_for
    from referencing.exceptions import Unresolvable

    try:
        cls = validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
        # An empty registry: a `$ref` to anything outside the schema is never fetched.
        validator = cls(schema, registry=Registry())
        errors = [
            f"{pointer_from_path(list(error.absolute_path)) or '/'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]
    except (jsonschema_exceptions.SchemaError, jsonschema_exceptions.ValidationError, Unresolvable):
        return None
    except Exception:  # a fuzzed schema can break a validator in odd ways; that is not the server's fault
        return None
    return errors


def _check_tool_arguments(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    tools = _tool_names(request)
    for j, choice in enumerate(choices):
        choice = _dict(choice)
        if choice.get("finish_reason") in _CUT:
            continue
        calls = _dict(choice.get("message")).get("tool_calls")
        if not isinstance(calls, list):
            continue
        for c, call in enumerate(calls):
            function = _dict(_dict(call).get("function"))
            if "arguments" not in function:
                continue
            arguments = function["arguments"]
            pointer = f"/choices/{j}/message/tool_calls/{c}/function/arguments"
            if not isinstance(arguments, str):
                yield _violation(
                    "semantics.tool_arguments",
                    f"arguments must be a JSON *string*, got {type(arguments).__name__} {_short(arguments)}",
                    pointer,
                )
                continue
            try:
                parsed = json.loads(arguments)
            except ValueError:
                yield _violation(
                    "semantics.tool_arguments", f"arguments are not JSON: {_short(arguments)}", pointer
                )
                continue
            errors = _schema_errors(parsed, tools.get(str(function.get("name"))))
            if errors:
                yield _violation(
                    "semantics.tool_arguments",
                    f"arguments do not match the function's parameters: {'; '.join(errors[:3])}",
                    pointer,
                )


def _check_response_format(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    response_format = _dict(request.get("response_format"))
    kind = response_format.get("type")
    if kind not in ("json_object", "json_schema"):
        return
    check = "semantics.json_mode" if kind == "json_object" else "semantics.json_schema"
    json_schema = _dict(response_format.get("json_schema"))
    # Only strict structured outputs guarantee schema adherence; without it the output is JSON only.
    schema = json_schema.get("schema") if json_schema.get("strict") is True else None
    for j, choice in enumerate(choices):
        choice = _dict(choice)
        content = _dict(choice.get("message")).get("content")
        if choice.get("finish_reason") in _CUT or not isinstance(content, str):
            continue  # cut short, a tool call or a refusal
        pointer = f"/choices/{j}/message/content"
        try:
            parsed = json.loads(content)
        except ValueError:
            yield _violation(
                check, f"response_format {kind} but the content is not JSON: {_short(content)}", pointer
            )
            continue
        errors = _schema_errors(parsed, schema) if schema is not None else None
        if errors:
            yield _violation(
                check, f"the content does not match the json_schema: {'; '.join(errors[:3])}", pointer
            )


def _check_chat(request: dict[str, Any], choices: list[Any]) -> Iterator[Violation]:
    yield from _check_chat_logprobs(request, choices)
    yield from _check_tool_choice(request, choices)
    yield from _check_tool_arguments(request, choices)
    yield from _check_response_format(request, choices)


# --- completions --------------------------------------------------------------------------------


def _check_completion_logprobs(request: Mapping[str, Any], choices: list[Any]) -> Iterator[Violation]:
    k = _int(request.get("logprobs"))
    if request.get("logprobs") is None:
        yield from _unasked_logprobs(choices)
        return
    if k is None or k < 0:
        return
    for j, choice in enumerate(choices):
        logprobs = _dict(choice).get("logprobs")
        if logprobs is None:
            if k >= 1:
                yield _violation(
                    "semantics.logprobs",
                    f"logprobs={k} was asked but the choice's logprobs is null",
                    f"/choices/{j}/logprobs",
                )
            continue
        if not isinstance(logprobs, dict):
            continue
        lists = {
            name: len(value)
            for name in ("tokens", "token_logprobs", "top_logprobs", "text_offset")
            if isinstance(value := logprobs.get(name), list)
        }
        if len(set(lists.values())) > 1:
            yield _violation(
                "semantics.logprobs", f"logprobs lists differ in length: {lists}", f"/choices/{j}/logprobs"
            )
        top = logprobs.get("top_logprobs")
        for t, entry in enumerate(top if isinstance(top, list) else []):
            # "the API will always return the logprob of the sampled token, so there may be up to
            # logprobs+1 elements in the response" (CreateCompletionRequest.logprobs).
            if isinstance(entry, dict) and len(entry) > k + 1:
                yield _violation(
                    "semantics.logprobs",
                    f"{len(entry)} alternatives for logprobs={k} (at most {k + 1})",
                    f"/choices/{j}/logprobs/top_logprobs/{t}",
                )
                break


# --- embeddings ---------------------------------------------------------------------------------


def decode_base64_embedding(value: str) -> list[float] | None:
    """The float32 values of a base64 embedding, or None when it is not base64 of float32s."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def _input_count(value: Any) -> int | None:
    if isinstance(value, str):
        return 1
    if not isinstance(value, list) or not value:
        return None
    if all(_int(item) is not None for item in value):
        return 1
    if all(isinstance(item, str | list) for item in value):
        return len(value)
    return None


def _check_embeddings(body: dict[str, Any], request: dict[str, Any]) -> Iterator[Violation]:
    data = body.get("data")
    if not isinstance(data, list):
        return
    expected = _input_count(request.get("input"))
    if expected is not None and len(data) != expected:
        yield _violation(
            "semantics.embeddings_count", f"{len(data)} embeddings for {expected} inputs", "/data"
        )
    for i, item in enumerate(data):
        index = _dict(item).get("index")
        if index != i or _int(index) is None:
            yield _violation(
                "semantics.embeddings_count",
                f"data[{i}] has index {_short(index)}: embeddings must come in input order, indexed from 0",
                f"/data/{i}/index",
            )
            break
    base64_asked = request.get("encoding_format") == "base64"
    dimensions = _int(request.get("dimensions"))
    lengths: list[tuple[int, str]] = []
    for i, item in enumerate(data):
        embedding = _dict(item).get("embedding")
        pointer = f"/data/{i}/embedding"
        if isinstance(embedding, str):
            if not base64_asked:
                yield _violation(
                    "semantics.embeddings_base64",
                    "the embedding is a string but encoding_format base64 was not asked for",
                    pointer,
                )
                return
            values = decode_base64_embedding(embedding)
            if values is None:
                yield _violation(
                    "semantics.embeddings_base64",
                    f"the embedding is not base64 of little-endian float32 values: {_short(embedding)}",
                    pointer,
                )
                return
            lengths.append((len(values), pointer))
        elif isinstance(embedding, list):
            if base64_asked:
                yield _violation(
                    "semantics.embeddings_base64",
                    "encoding_format base64 was asked but the embedding is a list of numbers",
                    pointer,
                )
                return
            lengths.append((len(embedding), pointer))
    for length, pointer in lengths:
        if dimensions is not None and length != dimensions:
            yield _violation(
                "semantics.embeddings_dimensions",
                f"the embedding has {length} values for dimensions={dimensions}",
                pointer,
            )
            return
        if length != lengths[0][0]:
            yield _violation(
                "semantics.embeddings_dimensions",
                f"embeddings of one answer differ in length ({lengths[0][0]} and {length})",
                pointer,
            )
            return


# --- entry points ---------------------------------------------------------------------------------


def check_semantics(
    exchange: Exchange, operation_id: str, *, now: float | None = None
) -> Iterator[Violation]:
    """Violations of the OpenAI semantics in a non-streamed 2xx answer of one of ``SEMANTIC_OPERATIONS``.

    Streamed answers are judged by ``stream.check_stream`` (which runs :func:`check_stream_semantics`).
    """
    if operation_id not in SEMANTIC_OPERATIONS or not 200 <= exchange.status < 300:
        return
    if is_stream_request(exchange) and operation_id != EMBEDDING_OPERATION:
        return
    try:
        body = exchange.json()
    except ValueError:
        return  # judged by schema.malformed_json
    request = _dict(exchange.request.json_body)
    if not isinstance(body, dict):
        return
    if operation_id == EMBEDDING_OPERATION:
        yield from _check_embeddings(body, request)
        return
    now = time.time() if now is None else now
    choices = body.get("choices")
    if "created" in body and (found := _check_created(body["created"], "/created", now)):
        yield found
    if not isinstance(choices, list):
        return
    yield from _check_indices(
        [(_dict(c).get("index"), f"/choices/{j}/index") for j, c in enumerate(choices)],
        expected_choices(request, operation_id),
        "/choices",
    )
    if "usage" in body:
        yield from _check_usage(body["usage"], "/usage", request, operation_id, len(choices))
    if operation_id == CHAT_OPERATION:
        yield from _check_chat(request, choices)
    else:
        yield from _check_completion_logprobs(request, choices)


def check_stream_semantics(
    exchange: Exchange, operation_id: str, *, now: float | None = None
) -> Iterator[Violation]:
    """The same rules for a streamed answer: choice indices, ``created`` and the usage chunk.

    Pointers index the stream's events: ``/events/3/usage/total_tokens``. Rules that need the whole
    stream stay silent when it was cut short (idle timeout, size cap).
    """
    if operation_id not in (CHAT_OPERATION, COMPLETION_OPERATION) or exchange.status != 200:
        return
    if exchange.content_type != "text/event-stream":
        return
    request = _dict(exchange.request.json_body)
    now = time.time() if now is None else now
    events, _ = events_of(exchange)
    complete = not exchange.stream_cut
    created_seen = False
    indices: dict[int, str] = {}
    usage_chunks: list[tuple[Any, str]] = []
    for i, event in enumerate(events):
        if event.data.strip() == "[DONE]":
            break
        try:
            chunk = json.loads(event.data)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        if "error" in chunk and "choices" not in chunk:
            complete = False  # an error event: the stream was aborted
            continue
        if "created" in chunk and not created_seen:
            found = _check_created(chunk["created"], f"/events/{i}/created", now)
            if found:
                created_seen = True
                yield found
        choices = chunk.get("choices")
        for j, choice in enumerate(choices if isinstance(choices, list) else []):
            index = _int(_dict(choice).get("index"))
            if index is not None:
                indices.setdefault(index, f"/events/{i}/choices/{j}/index")
        if chunk.get("usage") is not None:
            usage_chunks.append((chunk["usage"], f"/events/{i}/usage"))
    expected = expected_choices(request, operation_id)
    if complete and indices and expected is not None:
        missing = sorted(set(range(expected)) - set(indices))
        if missing:
            yield _violation(
                "semantics.choices_count",
                f"the stream never carried choice index {missing} ({expected} choices asked: n x prompts)",
            )
    extra = sorted(index for index in indices if expected is not None and not 0 <= index < expected)
    if extra:
        yield _violation(
            "semantics.choices_count",
            f"choice index {extra[0]} is out of range for {expected} choices",
            indices[extra[0]],
        )
    for usage, pointer in usage_chunks[:1]:
        yield from _check_usage(usage, pointer, request, operation_id, max(len(indices), 1))
