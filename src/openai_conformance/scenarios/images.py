"""Images scenarios: `n`, both response formats and a size, for generations, edits and variations.

Sizes are the smallest the API offers (256x256, a dall-e-2 size); a target without an image model
answers 4xx, which is judged as the error answer it is.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

# A 4x4 RGBA PNG: what edits and variations start from (square, under 4 MB, as the API wants).
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAYAAACp8Z5+AAAAEklEQVR42mNQcGj4j4wZSBcAAONpHfFFceKRAAAAAElFTkSuQmCC"
)
_PROMPT = "A small red square on a white background."
_ASKS: tuple[dict[str, Any], ...] = (
    {"n": 2, "response_format": "url"},
    {"n": 1, "response_format": "b64_json", "size": "256x256"},
)


@scenario("images.generations", "createImage", "n=2 as URLs, and one 256x256 image as b64_json")
def _generations(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    for asked in _ASKS:
        body = {"model": model, "prompt": _PROMPT, **asked}
        yield from ctx.check(ctx.post("/images/generations", body), "createImage")


def _multipart(
    ctx: ScenarioContext, model: str, operation_id: str, path: str, fields: dict[str, Any]
) -> Iterator[ScenarioFinding]:
    for asked in _ASKS:
        yield from ctx.check(
            ctx.post_form(path, {"image": _PNG, "model": model, **fields, **asked}), operation_id
        )


@scenario("images.edits", "createImageEdit", "an edit: n=2 as URLs, and one 256x256 image as b64_json")
def _edits(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _multipart(ctx, model, "createImageEdit", "/images/edits", {"prompt": _PROMPT})


@scenario(
    "images.variations", "createImageVariation", "a variation: n=2 as URLs, and one 256x256 image as b64_json"
)
def _variations(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _multipart(ctx, model, "createImageVariation", "/images/variations", {})
