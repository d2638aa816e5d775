"""The catalogue of checks for people: ``openai-conformance checks --markdown`` (docs/checks.md)."""

from __future__ import annotations

from collections.abc import Iterable

from openai_conformance.validation.registry import Check

__all__ = ["checks_markdown"]

_AREAS = {
    "schema": "Schema conformance (openapi-core against the overlaid spec)",
    "errors": "Errors",
    "auth": "Auth",
    "stream": "Streams (server-sent events)",
    "semantics": "OpenAI semantics the schema cannot say",
    "capability": "Capabilities",
    "state": "State across calls",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def checks_markdown(checks: Iterable[Check]) -> str:
    """Every check by area: id, severity (and when it is only a warning), the rule, its authority."""
    lines = [
        "# The checks",
        "",
        "Every rule the suite enforces, as `openai-conformance checks --markdown` prints it from the",
        "check registry. Check ids are a public contract: reports, baselines and faults name them.",
        "An error-level rule is one a correct server cannot break; where a real model could",
        "legitimately depart from it, the rule speaks as a warning (and says when).",
    ]
    area = None
    for check in checks:
        if check.area != area:
            area = check.area
            lines += [
                "",
                f"## {_AREAS.get(area, area)}",
                "",
                "| id | severity | rule | authority |",
                "|---|---|---|---|",
            ]
        severity = check.severity + (f" — {check.relaxed}" if check.relaxed else "")
        lines.append(
            f"| `{check.id}` | {_cell(severity)} | {_cell(check.description)} | {_cell(check.reference)} |"
        )
    return "\n".join(lines) + "\n"
