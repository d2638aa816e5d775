"""Every check the suite runs: a stable id, a severity, what it enforces and on what authority.

Check ids are a public contract: reports name them, ``--ignore`` takes them, and every fault of the
reference server declares the id that must catch it.
"""

from __future__ import annotations

from dataclasses import dataclass

from openai_conformance.validation.violations import Severity

__all__ = ["CHECKS", "Check", "get_check"]


@dataclass(frozen=True, slots=True)
class Check:
    """One rule the suite enforces."""

    id: str
    severity: Severity
    description: str
    reference: str  # the spec text or documented API behaviour the rule enforces


def _c(id: str, severity: Severity, description: str, reference: str) -> Check:
    return Check(id, severity, description, reference)


_ALL = [
    # Schema conformance, judged by openapi-core against the (overlaid) spec.
    _c(
        "schema.status_code",
        "error",
        "The status code is declared for the operation.",
        "OpenAPI 3 Responses Object; overlay 10-error-responses declares the API's error statuses",
    ),
    _c(
        "schema.content_type",
        "error",
        "The response media type is declared for the status.",
        "OpenAPI 3 Response Object `content`",
    ),
    _c(
        "schema.malformed_json",
        "error",
        "A JSON response body parses as JSON (UTF-8).",
        "RFC 8259; the spec declares application/json",
    ),
    _c(
        "schema.body",
        "error",
        "The response body validates against the declared schema.",
        "OpenAPI 3 Schema Object of the declared response",
    ),
    _c(
        "schema.header",
        "error",
        "Declared response headers are present and valid.",
        "OpenAPI 3 Response Object `headers`",
    ),
    # Errors.
    _c(
        "errors.envelope",
        "error",
        'An error response carries {"error": {"message": str, "type": str, "param": str|null, '
        '"code": str|null}}.',
        "the spec's ErrorResponse schema; platform.openai.com/docs/guides/error-codes",
    ),
    _c(
        "errors.server_error",
        "error",
        "A request, valid or invalid, is never answered with a 5xx.",
        "a 5xx means the server failed; input, valid or not, must not crash it",
    ),
    _c(
        "errors.invalid_accepted",
        "error",
        "An invalid request is answered with a 4xx, never a 2xx.",
        "the API rejects requests that violate the request schema with 400",
    ),
    _c(
        "errors.unknown_model",
        "error",
        "A request naming a model that does not exist gets 404.",
        "the API answers model_not_found with 404",
    ),
    # Auth.
    _c(
        "auth.not_enforced",
        "error",
        "Without a key, or with a wrong one, the target answers 401.",
        "API reference, Authentication: requests carry `Authorization: Bearer KEY`",
    ),
    _c("auth.key_echoed", "error", "The API key never appears in a response.", "basic secret hygiene"),
    # Streaming (Server-Sent Events).
    _c(
        "stream.content_type",
        "error",
        "A streamed answer is served as text/event-stream.",
        "API reference: `stream: true` sends data-only server-sent events",
    ),
    _c(
        "stream.framing",
        "error",
        "Events follow the SSE format: `data:` fields, events end with a blank line.",
        "HTML Living Standard, 9.2 Server-sent events",
    ),
    _c(
        "stream.chunk_schema",
        "error",
        "Every event's JSON validates against the chunk schema.",
        "CreateChatCompletionStreamResponse / CreateCompletionResponse",
    ),
    _c(
        "stream.done",
        "error",
        "The stream ends with `data: [DONE]`.",
        "API reference: the stream is terminated by a `data: [DONE]` message",
    ),
    _c(
        "stream.consistent_id",
        "error",
        "All chunks of a stream carry the same id.",
        "chunk schema: `id` — each chunk has the same ID",
    ),
    _c(
        "stream.consistent_created",
        "warning",
        "All chunks of a chat stream carry the same `created` timestamp.",
        "chat chunk schema: `created` — each chunk has the same timestamp",
    ),
    _c(
        "stream.finish_reason",
        "error",
        "Each choice index gets exactly one final chunk with a non-null finish_reason.",
        "chunk schema: finish_reason is null until the choice is finished",
    ),
    _c(
        "stream.usage",
        "error",
        "With include_usage, exactly one usage chunk with empty choices precedes [DONE]; none otherwise.",
        "ChatCompletionStreamOptions.include_usage",
    ),
    _c(
        "stream.tool_call_index",
        "error",
        "Every tool-call delta carries an integer index.",
        "ChatCompletionMessageToolCallChunk.index (required)",
    ),
    _c(
        "stream.tool_call_arguments",
        "error",
        "Tool-call arguments joined across deltas parse as JSON.",
        "function.arguments: the arguments in JSON format",
    ),
    _c(
        "stream.error_status",
        "error",
        "An error before the first chunk is an HTTP error, not a 200 stream.",
        "errors are HTTP responses with the ErrorResponse envelope",
    ),
    _c(
        "stream.matches_plain",
        "warning",
        "A streamed answer has the shape of the plain answer to the same request (choices, content kind, finish_reason).",
        "API reference: streaming sends the same completion as chunks; a model may still vary between two calls",
    ),
    _c(
        "stream.stalled",
        "error",
        "A stream never stays silent longer than the idle timeout.",
        "a stalled stream hangs clients",
    ),
    # OpenAI semantics the schema cannot express.
    _c(
        "semantics.choices_count",
        "error",
        "len(choices) == n, with indices 0..n-1.",
        "CreateChatCompletionRequest.n: how many chat completion choices to generate",
    ),
    _c(
        "semantics.usage_total",
        "error",
        "usage.total_tokens == prompt_tokens + completion_tokens.",
        "CompletionUsage.total_tokens: total number of tokens used in the request (prompt + completion)",
    ),
    _c(
        "semantics.max_tokens",
        "error",
        "completion_tokens never exceeds max_tokens / max_completion_tokens; hitting it gives finish_reason `length`.",
        "max_tokens: the maximum number of tokens that can be generated",
    ),
    _c(
        "semantics.logprobs",
        "error",
        "Logprobs are present exactly when asked, with top_logprobs of the asked size.",
        "CreateChatCompletionRequest.logprobs / top_logprobs",
    ),
    _c(
        "semantics.tool_choice",
        "error",
        "A forced tool_choice yields a tool call of that function.",
        "ChatCompletionNamedToolChoice: forces the model to call that function",
    ),
    _c(
        "semantics.tool_arguments",
        "warning",
        "Tool-call arguments are a JSON string valid for the function's parameters schema.",
        "function.arguments: the model does not always generate valid JSON (hence a warning)",
    ),
    _c(
        "semantics.json_mode",
        "error",
        "response_format json_object yields content that parses as JSON.",
        "ResponseFormatJsonObject",
    ),
    _c(
        "semantics.json_schema",
        "error",
        "response_format json_schema yields content valid for the schema.",
        "ResponseFormatJsonSchema (strict: true)",
    ),
    _c(
        "semantics.embeddings_count",
        "error",
        "One embedding per input, in index order.",
        "CreateEmbeddingResponse.data: the list of embeddings generated by the model",
    ),
    _c(
        "semantics.embeddings_base64",
        "error",
        "encoding_format base64 decodes to little-endian float32 equal to the float answer.",
        "CreateEmbeddingRequest.encoding_format",
    ),
    _c(
        "semantics.embeddings_dimensions",
        "error",
        "`dimensions` sets the length of every embedding.",
        "CreateEmbeddingRequest.dimensions",
    ),
    _c(
        "semantics.created",
        "error",
        "`created` is a plausible Unix time in whole seconds.",
        "`created`: the Unix timestamp (in seconds)",
    ),
    # Capabilities.
    _c(
        "capability.missing",
        "error",
        "An operation named by --expect is implemented by the target.",
        "the user's --expect list",
    ),
    # State across calls.
    _c(
        "state.delete",
        "error",
        "A deleted resource can no longer be retrieved.",
        "Delete operations: the resource is deleted",
    ),
    _c(
        "state.list",
        "error",
        "A created resource appears in its list.",
        "List operations return the resources",
    ),
]

CHECKS: dict[str, Check] = {check.id: check for check in _ALL}


def get_check(check_id: str) -> Check:
    """The check with this id; ``KeyError`` names it when unknown."""
    return CHECKS[check_id]
