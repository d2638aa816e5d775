"""The catalogue of checks for people: ``openai-conformance checks --markdown`` (docs/checks.md)."""

from __future__ import annotations

from collections.abc import Iterable

from openai_conformance.validation.registry import INFERENCE_OPERATIONS, Check, parameters_of

__all__ = ["checks_markdown"]

_AREAS = {
    "schema": "Schema conformance (openapi-core against the overlaid spec)",
    "errors": "Errors",
    "auth": "Auth",
    "stream": "Streams (server-sent events)",
    "semantics": "OpenAI semantics the schema cannot say",
    "capability": "Capabilities",
    "state": "State across calls",
    "target": "Target health",
}

_POLICY = [
    "",
    "## The severity policy",
    "",
    "- **error**: the spec or OpenAI's documentation makes the rule a must, and no real model could",
    "  legitimately do otherwise. Each error-level rule says below why a correct server cannot break it.",
    "- **warning**: a real model could legitimately depart from the rule (write bad JSON without",
    "  `strict`, stop early, answer two calls differently); each says what a correct server may do.",
    "- A rule that is an error in general and a warning in some situations says when (`relaxed`).",
    "- The exit status is 1 when an error-level violation was found; `--fail-on warning` makes",
    "  warnings count too.",
    "",
    "The registry holds every declaration to this policy (`policy_gaps()`, kept empty by the tests).",
]

_PARAMETERS = [
    "",
    "## Parameters of the inference operations",
    "",
    "Every request parameter whose effect is visible in the answer is either honoured or refused",
    "with a 4xx and the error envelope — never silently ignored. For each inference operation, which",
    "parameters are checked, by which check, and how; a parameter whose effect one answer cannot",
    "show is listed with the reason. Hand-made scenarios send each checked parameter on every run",
    "(`--no-probes` leaves them out); generated requests are judged by the same checks.",
]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _parameter_tables() -> list[str]:
    lines = list(_PARAMETERS)
    for operation in INFERENCE_OPERATIONS:
        rows = parameters_of(operation)
        if not rows:
            continue
        lines += ["", f"### `{operation}`", "", "| parameter | checked by | how |", "|---|---|---|"]
        for row in rows:
            if row.checks:
                for check_id, how in row.checks:
                    lines.append(f"| `{row.name}` | `{check_id}` | {_cell(how)} |")
            else:
                lines.append(f"| `{row.name}` | — | not checked: {_cell(row.unchecked)} |")
    return lines


def checks_markdown(checks: Iterable[Check]) -> str:
    """The policy; every check by area (id, severity and why, the rule, its authority); the parameters."""
    lines = [
        "# The checks",
        "",
        "Every rule the suite enforces, as `openai-conformance checks --markdown` prints it from the",
        "check registry. Check ids are a public contract: reports, baselines and faults name them.",
        "An error-level rule is one a correct server cannot break; where a real model could",
        "legitimately depart from it, the rule speaks as a warning (and says when).",
        *_POLICY,
    ]
    area = None
    for check in checks:
        if check.area != area:
            area = check.area
            lines += [
                "",
                f"## {_AREAS.get(area, area)}",
                "",
                "| id | severity | why this severity | rule | authority |",
                "|---|---|---|---|---|",
            ]
        severity = check.severity + (f" — {check.relaxed}" if check.relaxed else "")
        lines.append(
            f"| `{check.id}` | {_cell(severity)} | {_cell(check.why)} | {_cell(check.description)} "
            f"| {_cell(check.reference)} |"
        )
    lines += _parameter_tables()
    return "\n".join(lines) + "\n"
