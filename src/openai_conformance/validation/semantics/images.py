"""Semantics of images (generations, edits, variations): `n` images, in the asked format, of the asked size.

``response_format: url`` gives each image a URL; ``b64_json`` gives base64 that decodes to an image
file (its signature matches ``output_format`` when asked), whose header says it is of the asked
``size``. URLs are not fetched: the size of an image is judged on the bytes the answer carries.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.transport.exchange import Request
from openai_conformance.validation.registry import Parameter, check, unchecked
from openai_conformance.validation.semantics.media_files import image_format, image_size
from openai_conformance.validation.semantics.shared import as_dict, json_int, short
from openai_conformance.validation.violations import Violation

__all__ = ["IMAGE_OPERATIONS", "check_images", "images_count", "images_format", "images_size"]

IMAGE_OPERATIONS = ("createImage", "createImageEdit", "createImageVariation")

for _op in IMAGE_OPERATIONS:
    unchecked(_op, ("model", "user"), "the images answer names no model; `user` is for abuse monitoring")
for _op in IMAGE_OPERATIONS[:2]:
    unchecked(_op, ("prompt",), "what an image shows cannot be judged by a suite")
unchecked("createImage", ("quality", "style"), "a matter of how the image looks")
unchecked(
    "createImageEdit", ("image", "mask"), "the inputs to edit: what the edit makes of them cannot be judged"
)
unchecked("createImageVariation", ("image",), "the input to vary: what the variation shows cannot be judged")

_SIZE = re.compile(r"^(\d+)x(\d+)$")


def _decoded(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _asked_n(request: Request) -> int | None:
    n = request.body_field("n")
    if n is None:
        return 1
    if isinstance(n, str) and n.isdigit():  # a multipart field arrives as text
        return int(n)
    return json_int(n)


@check(
    "semantics.images_count",
    "error",
    parameters=tuple(Parameter(op, "n", "len(data) == n") for op in IMAGE_OPERATIONS),
)
def images_count(data: list[Any], request: Request) -> Iterator[Violation]:
    """An answer carries `n` images (1 when not asked).

    Reference: CreateImageRequest.n: the number of images to generate
    Why: how many images come back is the server's loop over n
    """
    n = _asked_n(request)
    if n is not None and n >= 1 and len(data) != n:
        yield images_count.violation(f"{len(data)} images for n={n}", "/data")


def _image(item: Mapping[str, Any]) -> tuple[str, bytes | None] | None:
    """An image's b64_json and the bytes it decodes to (None: no b64_json)."""
    encoded = item.get("b64_json")
    return (encoded, _decoded(encoded)) if isinstance(encoded, str) else None


@check(
    "semantics.images_format",
    "error",
    parameters=(
        *(
            Parameter(op, "response_format", "url: a URL per image; b64_json: base64 of an image file")
            for op in IMAGE_OPERATIONS
        ),
        Parameter("createImage", "output_format", "png, jpeg or webp: the b64_json file has that signature"),
    ),
)
def images_format(item: Mapping[str, Any], pointer: str, request: Request) -> Iterator[Violation]:
    """response_format `url` gives each image a URL; `b64_json` gives base64 of an image file (of the
    `output_format` asked, if any).

    Reference: CreateImageRequest.response_format: the format in which the generated images are returned
    Why: how the image is delivered is the server's, after the model drew it
    """
    response_format = request.body_field("response_format")
    output_format = request.body_field("output_format")
    image = _image(item)
    if response_format == "url" and not isinstance(item.get("url"), str):
        yield images_format.violation("response_format url was asked but the image has no url", pointer)
    elif response_format == "b64_json" and image is None:
        yield images_format.violation(
            "response_format b64_json was asked but the image has no b64_json", pointer
        )
    elif image is not None:
        kind = image_format(image[1]) if image[1] is not None else None
        if kind is None:
            yield images_format.violation(
                f"b64_json is not base64 of an image file: {short(image[0])}", f"{pointer}/b64_json"
            )
        elif (
            isinstance(output_format, str)
            and output_format in ("png", "jpeg", "webp")
            and kind != output_format
        ):
            yield images_format.violation(
                f"output_format {output_format} was asked but the image is {kind}", f"{pointer}/b64_json"
            )


@check(
    "semantics.images_size",
    "error",
    parameters=tuple(
        Parameter(op, "size", "WxH: the decoded image's header says W x H (b64_json answers)")
        for op in IMAGE_OPERATIONS
    ),
)
def images_size(item: Mapping[str, Any], pointer: str, request: Request) -> Iterator[Violation]:
    """An image delivered as b64_json has the `size` asked (its header's width x height).

    Reference: CreateImageRequest.size: the size of the generated images
    Why: the size is a setting of the generation the server runs, not something a model chooses
    """
    size = _SIZE.match(str(request.body_field("size") or ""))
    image = _image(item)
    dimensions = image_size(image[1]) if image is not None and image[1] is not None else None
    if size and dimensions is not None and dimensions != (int(size.group(1)), int(size.group(2))):
        yield images_size.violation(
            f"size {size.group(0)} was asked but the image is {dimensions[0]}x{dimensions[1]}",
            f"{pointer}/b64_json",
        )


def check_images(body: dict[str, Any], request: Request) -> Iterator[Violation]:
    """The images rules on one answer (up to the first image that breaks one)."""
    data = body.get("data")
    if not isinstance(data, list):
        return
    yield from images_count(data, request)
    for i, item in enumerate(data):
        item, pointer = as_dict(item), f"/data/{i}"
        found = [*images_format(item, pointer, request)] or [*images_size(item, pointer, request)]
        if found:
            yield from found
            return
