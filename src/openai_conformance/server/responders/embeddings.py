"""POST /embeddings: unit vectors seeded from model and input, as floats or base64, cut to ``dimensions``."""

from __future__ import annotations

from typing import Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.generate import digest, embedding, embedding_base64, token_text, tokens
from openai_conformance.server.routing import RequestError

__all__ = ["embeddings", "native_dimensions"]

_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def native_dimensions(model: Any) -> int:
    """The length of ``model``'s embeddings when no ``dimensions`` are asked for."""
    return _DIMENSIONS.get(str(model), 1536)


def embeddings(server: Server, call: Call) -> Reply:
    model = call.arg("model")
    server.require_model(call, model)
    native = native_dimensions(model)
    dimensions = call.arg("dimensions")
    if dimensions is not None and dimensions > native:
        raise RequestError(400, f"Invalid 'dimensions': at most {native} for {model}.", param="dimensions")
    # 3.1 (JSON Schema 2020-12) counts 8.0 as an integer, so a valid request may send one.
    dimensions = native if dimensions is None else int(dimensions)
    value = call.arg("input", "")
    if isinstance(value, str):
        inputs: list[Any] = [value]
    elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        inputs = [value]
    else:
        inputs = list(value) if isinstance(value, list) else [value]
    base64_wanted = call.arg("encoding_format") == "base64"
    data = []
    prompt_tokens = 0
    for index, item in enumerate(inputs):
        text = token_text(item) if isinstance(item, list) else str(item)
        prompt_tokens += len(item) if isinstance(item, list) else tokens(text)
        # The first `dimensions` values of the model's vector, made unit length again (what the API's
        # shortened embeddings are); only those are drawn.
        vector = embedding(digest("embedding", str(model), item), dimensions)
        encoded: Any = embedding_base64(vector) if base64_wanted else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
    return Answer({"object": "list", "data": data, "model": str(model), "usage": usage})
