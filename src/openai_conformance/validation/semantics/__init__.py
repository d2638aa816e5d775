"""OpenAI semantics the schema cannot express: rules that relate an answer to its request.

``shared`` holds the request facts and the rules every operation shares (choices, usage, unasked
logprobs); ``chat``, ``completions`` and ``embeddings`` the rules of one operation each; ``answers``
decides which rules judge an answer, plain or streamed.
"""

from __future__ import annotations

from openai_conformance.validation.semantics.answers import check_semantics, check_stream_semantics
from openai_conformance.validation.semantics.embeddings import decode_base64_embedding
from openai_conformance.validation.semantics.shared import (
    EMBEDDING_OPERATION,
    SEMANTIC_OPERATIONS,
    expected_choices,
    is_stream_request,
)

__all__ = [
    "EMBEDDING_OPERATION",
    "SEMANTIC_OPERATIONS",
    "check_semantics",
    "check_stream_semantics",
    "decode_base64_embedding",
    "expected_choices",
    "is_stream_request",
]
