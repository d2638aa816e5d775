"""The report document every writer starts from: ``RunResult.to_dict()`` with every string redacted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openai_conformance.results.models import RunResult
from openai_conformance.transport.curl import redact

__all__ = ["report_document", "scrub"]


def scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every secret replaced in every string it holds."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


def report_document(run: RunResult, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The versioned report.json document of ``run``, redacted."""
    document: dict[str, Any] = scrub(run.to_dict(), tuple(secrets))
    return document
