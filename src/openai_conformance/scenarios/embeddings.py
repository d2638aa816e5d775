"""Embeddings scenarios: base64 and float answers agree, ``dimensions`` is obeyed, inputs keep their order."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios, answer_body
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.semantics.embeddings import decode_base64_embedding, embeddings_base64

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_EMBEDDING = "createEmbedding"


def _embed(ctx: ScenarioContext, model: str, **fields: Any) -> Exchange:
    return ctx.post("/embeddings", {"model": model, **fields})


def _vectors(body: dict[str, Any] | None) -> list[Any] | None:
    data = body.get("data") if body else None
    if not isinstance(data, list):
        return None
    return [item.get("embedding") if isinstance(item, dict) else None for item in data]


def _same_vector(floats: list[Any], decoded: list[float]) -> bool:
    """Equal within float32 rounding; else close in direction (embedding servers are not bit-exact)."""
    if len(floats) != len(decoded) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in floats
    ):
        return False
    if all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for a, b in zip(floats, decoded, strict=True)):
        return True
    dot = sum(a * b for a, b in zip(floats, decoded, strict=True))
    norms = math.sqrt(sum(a * a for a in floats)) * math.sqrt(sum(b * b for b in decoded))
    # A wrong byte order, width or encoding gives an unrelated vector; a re-run of the model does not.
    return norms > 0 and math.isfinite(norms) and dot / norms > 0.999


@scenario("embeddings.base64", _EMBEDDING, "base64 and float answers agree")
def _base64(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    text = "The quick brown fox jumps over the lazy dog."
    as_floats = _embed(ctx, model, input=text, encoding_format="float")
    yield from ctx.check(as_floats, _EMBEDDING)
    as_base64 = _embed(ctx, model, input=text, encoding_format="base64")
    yield from ctx.check(as_base64, _EMBEDDING)
    floats, encoded = _vectors(answer_body(as_floats)), _vectors(answer_body(as_base64))
    if not floats or not encoded or not isinstance(floats[0], list) or not isinstance(encoded[0], str):
        return  # a failed request or a wrong type: already judged above
    decoded = decode_base64_embedding(encoded[0])
    if decoded is not None and not _same_vector(floats[0], decoded):
        violation = embeddings_base64.violation(
            f"the base64 embedding decodes to {len(decoded)} float32 values starting {json.dumps(decoded[:3])}, "
            f"which differ from the {len(floats[0])} floats answered for the same input",
            "/data/0/embedding",
        )
        yield violation, as_base64


@scenario("embeddings.dimensions", _EMBEDDING, "dimensions=8 gives 8 values")
def _dimensions(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from ctx.check(_embed(ctx, model, input="hello", dimensions=8), _EMBEDDING)


@scenario(
    "embeddings.count", _EMBEDDING, "strings, tokens and token arrays give one embedding per input, in order"
)
def _count(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """Every input form: strings, one list of token ids, several (one embedding each)."""
    for value in (["red", "green", "blue"], [1934, 3090, 6437], [[1934, 3090], [6437], [1, 2, 3]]):
        yield from ctx.check(_embed(ctx, model, input=value), _EMBEDDING)
