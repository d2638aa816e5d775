"""Helpers of the reference server's tests."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

API_KEY = "sk-conformance-test-key"
ERROR_STATUSES = ("400", "401", "403", "404", "409", "422", "429", "500")
_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


def overlay(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` with the corrections of the suite's loader (test-only stand-in).

    Every operation declares the error statuses with the ErrorResponse envelope, and path parameters
    used in a path but not declared are declared.
    """
    out = copy.deepcopy(spec)
    for path, item in out["paths"].items():
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            for status in ERROR_STATUSES:
                responses.setdefault(
                    status,
                    {"description": "Error", "content": {"application/json": {"schema": _ERROR_SCHEMA}}},
                )
            declared = {
                p.get("name") for p in op.get("parameters", []) + item.get("parameters", []) if "name" in p
            }
            for name in re.findall(r"{([^}/]+)}", path):
                if name not in declared:
                    op.setdefault("parameters", []).append(
                        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    )
    return out


def response_errors(
    openapi: Any,
    method: str,
    path: str,
    status: int,
    content_type: str,
    data: bytes,
    query: dict[str, Any] | None = None,
) -> list[str]:
    """What openapi-core finds wrong with a response of the reference server (empty: valid)."""
    from openapi_core.testing import MockRequest, MockResponse

    request = MockRequest("https://api.openai.com", method.lower(), "/v1" + path, args=query or {})
    response = MockResponse(data, status_code=status, content_type=content_type)
    errors = []
    for error in openapi.iter_response_errors(request, response):
        detail = str(error)
        cause = error.__cause__
        if cause is not None:
            detail += f" <- {cause}"
            for sub in getattr(cause, "schema_errors", [])[:3]:
                detail += f" [{list(sub.absolute_path)}: {sub.message[:200]}]"
        errors.append(detail)
    return errors


def sse_events(text: str) -> list[str]:
    """The data of each event of an SSE body (strictly framed: `data: ...` then a blank line)."""
    assert text.endswith("\n\n"), "the stream must end with a blank line"
    events = []
    for block in text[:-2].split("\n\n"):
        lines = block.split("\n")
        assert all(line.startswith("data: ") for line in lines), block
        events.append("\n".join(line[len("data: ") :] for line in lines))
    return events


def sse_chunks(text: str) -> list[Any]:
    """The JSON chunks of a stream that ends with [DONE]."""
    events = sse_events(text)
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]
