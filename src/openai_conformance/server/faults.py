"""Named single deviations the reference server can be switched into, to prove the suite catches them.

Each fault changes exactly one behaviour and names the one check that must report it; everything
else stays conformant.  ``openai-conformance serve --fault ID`` switches one on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAULTS", "Fault", "get_fault"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One deliberate deviation of the reference server."""

    id: str
    check: str  # the check id (validation/catalogue.py) that must catch it
    description: str


_ALL = [
    # Schema.
    Fault(
        "chat-object-plural",
        "schema.body",
        'Chat completions carry `object: "chat.completions"` instead of the constant "chat.completion".',
    ),
    Fault(
        "chat-refusal-missing",
        "schema.body",
        "Chat completion messages omit the required (nullable) `refusal` field.",
    ),
    Fault(
        "finish-reason-end-turn",
        "schema.body",
        'Chat completions that finish normally report `finish_reason: "end_turn"`, which is not in the enum.',
    ),
    Fault("file-bytes-float", "schema.body", "File objects give their integer `bytes` as a float (`12.0`)."),
    Fault(
        "model-owner-missing", "schema.body", "Models (list and retrieve) omit the required `owned_by` field."
    ),
    Fault(
        "models-status-201",
        "schema.status_code",
        "GET /models answers 201 instead of the declared 200 (body unchanged).",
    ),
    Fault(
        "moderations-status-418",
        "schema.status_code",
        "POST /moderations answers 418 with an otherwise valid moderation body.",
    ),
    Fault(
        "models-text-plain",
        "schema.content_type",
        "GET /models serves its (valid) JSON body as `text/plain`.",
    ),
    Fault(
        "model-truncated-json",
        "schema.malformed_json",
        "GET /models/{model} answers a body cut off in the middle, which does not parse as JSON.",
    ),
    # Streaming.
    Fault(
        "stream-as-json",
        "stream.content_type",
        "Streamed completions are served with `Content-Type: application/json` instead of text/event-stream.",
    ),
    Fault(
        "stream-junk-lines",
        "stream.framing",
        "Streams put a bare `keep-alive` line (neither a field nor a `:` comment) between events.",
    ),
    Fault("stream-no-done", "stream.done", "Streams end without the final `data: [DONE]` event."),
    Fault(
        "stream-chunk-object",
        "stream.chunk_schema",
        'Chat stream chunks carry `object: "chat.completion"` instead of "chat.completion.chunk".',
    ),
    Fault(
        "stream-id-changes", "stream.consistent_id", "Every chunk of a chat stream carries a different id."
    ),
    Fault(
        "stream-created-changes",
        "stream.consistent_created",
        "The chunks of a chat stream carry `created` timestamps a second apart.",
    ),
    Fault(
        "stream-no-finish",
        "stream.finish_reason",
        "Chat streams never send the final chunk with a non-null finish_reason.",
    ),
    Fault(
        "stream-usage-unasked",
        "stream.usage",
        "Chat streams send a usage chunk even when `stream_options.include_usage` is not set.",
    ),
    Fault(
        "stream-usage-with-choices",
        "stream.usage",
        "With include_usage, usage rides on the last finish chunk (non-empty choices) instead of its own chunk.",
    ),
    Fault(
        "stream-tool-call-no-index",
        "stream.tool_call_index",
        "Streamed tool-call deltas omit their required `index`.",
    ),
    Fault(
        "stream-tool-args-truncated",
        "stream.tool_call_arguments",
        "Streamed tool-call argument fragments lose their last piece, so the joined arguments are not JSON.",
    ),
    Fault(
        "stream-stall",
        "stream.stalled",
        "Chat streams send their first chunk and then stay silent for an hour.",
    ),
    Fault(
        "stream-error-as-event",
        "stream.error_status",
        "A streamed chat request naming an unknown model gets a 200 event stream with an error event "
        "instead of an HTTP 404.",
    ),
    # Semantics.
    Fault("ignore-n", "semantics.choices_count", "Chat completions ignore `n` and always return one choice."),
    Fault(
        "exceed-max-tokens",
        "semantics.max_tokens",
        "Chat completions ignore max_tokens / max_completion_tokens and write the whole answer.",
    ),
    Fault(
        "usage-total-off-by-one",
        "semantics.usage_total",
        "Chat completion usage reports total_tokens = prompt + completion + 1.",
    ),
    Fault(
        "logprobs-missing", "semantics.logprobs", "Chat completions return `logprobs: null` even when asked."
    ),
    Fault(
        "tool-choice-ignored",
        "semantics.tool_choice",
        "A forced tool_choice is ignored: the answer is plain text with no tool call.",
    ),
    Fault(
        "tool-arguments-empty",
        "semantics.tool_arguments",
        "Tool calls carry `{}` as arguments even when the parameters schema requires properties.",
    ),
    Fault(
        "json-mode-prose",
        "semantics.json_mode",
        "response_format json_object is ignored: the content is prose, not JSON.",
    ),
    Fault(
        "json-schema-ignored",
        "semantics.json_schema",
        "response_format json_schema gets a fixed JSON object that ignores the given schema.",
    ),
    Fault(
        "base64-ignored",
        "semantics.embeddings_base64",
        "Embeddings ignore encoding_format base64 and answer float lists.",
    ),
    Fault(
        "dimensions-ignored",
        "semantics.embeddings_dimensions",
        "Embeddings ignore `dimensions` and answer the model's full length.",
    ),
    Fault(
        "embeddings-first-only",
        "semantics.embeddings_count",
        "Embeddings of a list of inputs answer only the first input's embedding.",
    ),
    Fault(
        "created-milliseconds",
        "semantics.created",
        "Chat completions give `created` in milliseconds instead of seconds.",
    ),
    # Errors.
    Fault(
        "invalid-accepted",
        "errors.invalid_accepted",
        "Requests that fail validation are answered 200 with a canned success body.",
    ),
    Fault(
        "moderations-server-error",
        "errors.server_error",
        "POST /moderations answers 500 (with the error envelope) to valid requests.",
    ),
    Fault(
        "flat-error-envelope",
        "errors.envelope",
        'Errors use a flat `{"object": "error", "message": ..., "code": 400}` body instead of '
        '`{"error": {...}}`.',
    ),
    Fault(
        "integer-error-code",
        "errors.envelope",
        "Errors carry the HTTP status as an integer `error.code` instead of a string or null.",
    ),
    Fault(
        "unknown-model-200",
        "errors.unknown_model",
        "Chat, completions and embeddings accept any model name and answer 200.",
    ),
    Fault(
        "unknown-model-400",
        "errors.unknown_model",
        "An unknown model is answered 400 invalid_request_error instead of 404 model_not_found.",
    ),
    # Auth.
    Fault(
        "auth-not-enforced", "auth.not_enforced", "The API key is not checked: any key, or none, is accepted."
    ),
    Fault(
        "key-echoed",
        "auth.key_echoed",
        "Every response echoes the request's Authorization header in an `x-echo-authorization` header.",
    ),
    # State.
    Fault(
        "delete-noop", "state.delete", "DELETE answers `deleted: true` but the resource stays retrievable."
    ),
    Fault("list-misses-newest", "state.list", "List operations leave out the most recently created item."),
]

FAULTS: dict[str, Fault] = {fault.id: fault for fault in _ALL}


def get_fault(fault_id: str) -> Fault:
    """The fault with this id; ``KeyError`` names it when unknown."""
    return FAULTS[fault_id]
