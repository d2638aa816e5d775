"""The semantics of one answer, plain or streamed: which rules judge it, and its ``created`` time.

``check_semantics`` judges non-streamed 2xx JSON answers of ``createChatCompletion``,
``createCompletion`` and ``createEmbedding``; ``check_stream_semantics`` judges streamed answers of
the first two (``stream.check_stream`` runs it, so a judge calls one or the other, never both).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.parsed_stream import ParsedStream
from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.semantics.audio import check_speech, check_transcript
from openai_conformance.validation.semantics.chat import check_chat
from openai_conformance.validation.semantics.completions import check_completion
from openai_conformance.validation.semantics.embeddings import check_embeddings
from openai_conformance.validation.semantics.images import IMAGE_OPERATIONS, check_images
from openai_conformance.validation.semantics.moderations import check_moderation
from openai_conformance.validation.semantics.shared import (
    CHAT_OPERATION,
    COMPLETION_OPERATION,
    EMBEDDING_OPERATION,
    SEMANTIC_OPERATIONS,
    as_dict,
    check_indices,
    check_usage,
    expected_choices,
    is_stream_request,
    json_int,
    short,
)
from openai_conformance.validation.violations import Violation

__all__ = ["check_model", "check_semantics", "check_stream_semantics", "created"]

_MIN_CREATED = 1_420_070_400  # 2015-01-01T00:00:00Z: nothing of this API is older
_DAY = 86_400


@check("semantics.created", "error")
def created(value: Any, pointer: str, now: float) -> Violation | None:
    """`created` is a plausible Unix time in whole seconds.

    Reference: `created`: the Unix timestamp (in seconds)
    Why: the timestamp is the server's clock
    """
    if json_int(value) is None:
        kind = "a float" if isinstance(value, float) else f"{type(value).__name__} {short(value)}"
        return created.violation(f"`created` must be a Unix time in whole seconds, got {kind}", pointer)
    if value > now + _DAY:
        unit = " (milliseconds?)" if value > (now + _DAY) * 100 else ""
        return created.violation(
            f"`created` {value} is in the future{unit}: Unix time is in seconds", pointer
        )
    if value < _MIN_CREATED:
        return created.violation(
            f"`created` {value} is before 2015-01-01: not a Unix time in seconds",
            pointer,
        )
    return None


@check(
    "semantics.model",
    "warning",
    parameters=tuple(
        Parameter(operation, "model", "the answer names the asked model (or a version of it)")
        for operation in (CHAT_OPERATION, COMPLETION_OPERATION, EMBEDDING_OPERATION, "createModeration")
    ),
)
def check_model(request: dict[str, Any], body: dict[str, Any]) -> Violation | None:
    """The answer's `model` names the model asked for: the same id, or a version of it (`gpt-4o` answered as
    `gpt-4o-2024-08-06`).

    An answer that names another model is a violation (llama.cpp#10056).

    Reference: `model`: the model used for the completion
    Why: a proxy or a router may answer with the name of the model it sent the request to, which the asked
        id need not spell
    """
    asked, answered = request.get("model"), body.get("model")
    if not isinstance(asked, str) or not asked or not isinstance(answered, str):
        return None
    a, b = asked.lower(), answered.lower()
    if b.startswith(a) or a.startswith(b):
        return None
    return check_model.violation(
        f"the request asked for {short(asked)} but the answer names {short(answered)}", "/model"
    )


def check_semantics(
    exchange: Exchange, operation_id: str, *, now: float | None = None
) -> Iterator[Violation]:
    """Violations of the OpenAI semantics in a non-streamed 2xx answer of one of ``SEMANTIC_OPERATIONS``.

    Streamed answers are judged by ``stream.check_stream`` (which runs :func:`check_stream_semantics`).
    """
    if not 200 <= exchange.status < 300:
        return
    if operation_id in _MEDIA_OPERATIONS:
        yield from _check_media(exchange, operation_id)
        return
    if operation_id not in SEMANTIC_OPERATIONS:
        return
    if is_stream_request(exchange) and operation_id != EMBEDDING_OPERATION:
        return
    try:
        body = exchange.json()
    except ValueError:
        return  # judged by schema.malformed_json
    request = as_dict(exchange.request.json_body)
    if not isinstance(body, dict):
        return
    if found := check_model(request, body):
        yield found
    if operation_id == EMBEDDING_OPERATION:
        yield from check_embeddings(body, request)
        return
    now = time.time() if now is None else now
    choices = body.get("choices")
    if "created" in body and (found := created(body["created"], "/created", now)):
        yield found
    if not isinstance(choices, list):
        return
    yield from check_indices(
        [(as_dict(c).get("index"), f"/choices/{j}/index") for j, c in enumerate(choices)],
        expected_choices(request, operation_id),
        "/choices",
    )
    if "usage" in body:
        yield from check_usage(body["usage"], "/usage", request, operation_id, len(choices))
    if operation_id == CHAT_OPERATION:
        yield from check_chat(request, choices, body.get("usage"))
    else:
        yield from check_completion(request, choices)


_MEDIA_OPERATIONS = frozenset(
    {"createModeration", *IMAGE_OPERATIONS, "createSpeech", "createTranscription", "createTranslation"}
)


def _check_media(exchange: Exchange, operation_id: str) -> Iterator[Violation]:
    """Moderations, images and audio: their answers' rules."""
    if operation_id == "createSpeech":
        yield from check_speech(exchange)
        return
    if operation_id in ("createTranscription", "createTranslation"):
        yield from check_transcript(exchange)
        return
    try:
        body = exchange.json()
    except ValueError:
        return  # judged by schema.malformed_json
    if not isinstance(body, dict):
        return
    if operation_id == "createModeration":
        request = as_dict(exchange.request.json_body)
        if found := check_model(request, body):
            yield found
        yield from check_moderation(body, request)
    else:
        yield from check_images(body, exchange.request)


def check_stream_semantics(
    stream: ParsedStream, operation_id: str, *, now: float | None = None
) -> Iterator[Violation]:
    """The same rules for a streamed answer: choice indices, ``created`` and the usage chunk.

    Pointers index the stream's events: ``/events/3/usage/total_tokens``. Rules that need the whole
    stream stay silent when it was cut short (idle timeout, size cap) or aborted by an error event.
    """
    exchange = stream.exchange
    if operation_id not in (CHAT_OPERATION, COMPLETION_OPERATION) or exchange.status != 200:
        return
    if not stream.is_event_stream:
        return
    request = as_dict(exchange.request.json_body)
    now = time.time() if now is None else now
    created_seen = False
    indices: dict[int, str] = {}
    usage_chunks: list[tuple[Any, str]] = []
    for i, chunk in stream.every_chunk:
        if "created" in chunk and not created_seen:
            found = created(chunk["created"], f"/events/{i}/created", now)
            if found:
                created_seen = True
                yield found
        choices = chunk.get("choices")
        for j, choice in enumerate(choices if isinstance(choices, list) else []):
            index = json_int(as_dict(choice).get("index"))
            if index is not None:
                indices.setdefault(index, f"/events/{i}/choices/{j}/index")
        if chunk.get("usage") is not None:
            usage_chunks.append((chunk["usage"], f"/events/{i}/usage"))
    expected = expected_choices(request, operation_id)
    if stream.finished and indices and expected is not None:
        missing = sorted(set(range(expected)) - set(indices))
        if missing:
            yield check_indices.violation(
                f"the stream never carried choice index {missing} ({expected} choices asked: n x prompts)"
            )
    extra = sorted(index for index in indices if expected is not None and not 0 <= index < expected)
    if extra:
        yield check_indices.violation(
            f"choice index {extra[0]} is out of range for {expected} choices", indices[extra[0]]
        )
    for usage, pointer in usage_chunks[:1]:
        yield from check_usage(usage, pointer, request, operation_id, max(len(indices), 1))
