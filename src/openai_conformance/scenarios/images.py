"""Images scenarios: `n`, both response formats and a size, for generations, edits and variations.

Sizes are the smallest the API offers (256x256, a dall-e-2 size); a target without an image model
answers 4xx, which is judged as the error answer it is.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import Scenario, ScenarioContext, ScenarioFinding, with_model

__all__ = ["SCENARIOS"]

# A 4x4 RGBA PNG: what edits and variations start from (square, under 4 MB, as the API wants).
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAYAAACp8Z5+AAAAEklEQVR42mNQcGj4j4wZSBcAAONpHfFFceKRAAAAAElFTkSuQmCC"
)
_PROMPT = "A small red square on a white background."
_ASKS: tuple[dict[str, Any], ...] = (
    {"n": 2, "response_format": "url"},
    {"n": 1, "response_format": "b64_json", "size": "256x256"},
)


def _generations(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    for asked in _ASKS:
        body = {"model": model, "prompt": _PROMPT, **asked}
        yield from ctx.check(ctx.post("/images/generations", body), "createImage")


def _multipart(operation_id: str, path: str, fields: dict[str, Any]) -> Any:
    def steps(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
        for asked in _ASKS:
            yield from ctx.check(
                ctx.post_form(path, {"image": _PNG, "model": model, **fields, **asked}), operation_id
            )

    return steps


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "images.generations",
        "createImage",
        "n=2 as URLs, and one 256x256 image as b64_json",
        with_model("createImage", _generations),
    ),
    Scenario(
        "images.edits",
        "createImageEdit",
        "an edit: n=2 as URLs, and one 256x256 image as b64_json",
        with_model("createImageEdit", _multipart("createImageEdit", "/images/edits", {"prompt": _PROMPT})),
    ),
    Scenario(
        "images.variations",
        "createImageVariation",
        "a variation: n=2 as URLs, and one 256x256 image as b64_json",
        with_model("createImageVariation", _multipart("createImageVariation", "/images/variations", {})),
    ),
)
