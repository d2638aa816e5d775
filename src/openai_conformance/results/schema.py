"""The JSON Schema of report.json: the report format as a published contract.

``openai-conformance report schema`` prints it. It describes the current format
(:data:`~openai_conformance.results.models.REPORT_FORMAT`); a reader of format 1.x may meet members a
later 1.y adds, so the published schema allows members it does not name. The suite's own tests
validate every report they write against the *strict* variant, which allows none, so that the schema
cannot fall behind what the writer writes. Reports of earlier 1.x formats still load
(:func:`~openai_conformance.results.merge.load_report`): their missing members take their defaults.
"""

from __future__ import annotations

from typing import Any

from openai_conformance.results.models import REPORT_FORMAT, Outcome

__all__ = ["SCHEMA_ID", "report_schema", "schema_errors"]

SCHEMA_ID = f"urn:openai-conformance:report:{REPORT_FORMAT}"

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_INT = {"type": "integer", "minimum": 0}
_NUMBER = {"type": "number"}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_BOOL = {"type": "boolean"}
_STRINGS = {"type": "array", "items": _STRING}
_DATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _object(
    properties: dict[str, Any], *, required: tuple[str, ...] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
        **extra,
    }


def _definitions() -> dict[str, Any]:
    entry_ref = _object(
        {
            "id": _STRING,
            "operation": _STRING,
            "check": _STRING,
            "signature": _STRING,
            "pointer": _STRING,
            "message": _STRING,
            "reason": _NULLABLE_STRING,
            "issue": _NULLABLE_STRING,
            "expires": _DATE,
        },
        description="A baseline entry, as the report names it.",
    )
    return {
        "excerpt": _object(
            {
                "where": {**_STRING, "description": "body, or the event a stream pointer names ('event 3')"},
                "content_type": _NULLABLE_STRING,
                "text": _STRING,
                "highlight": {
                    "type": ["array", "null"],
                    "items": _INT,
                    "minItems": 2,
                    "maxItems": 2,
                    "description": "[start, end) of the value the pointer names, in text",
                },
            },
            description="The part of the answer (of the kept reproduction) the violation's pointer names.",
        ),
        "baseline_mark": _object(
            {
                "status": {"enum": ["known", "new", "expired", "added"]},
                "entry": _NULLABLE_STRING,
                "reason": _NULLABLE_STRING,
                "issue": _NULLABLE_STRING,
                "expires": _DATE,
            },
            description="How the run's baseline saw the finding; new and expired ones fail the run.",
        ),
        "violation": _object(
            {
                "check": {**_STRING, "description": "the check id (openai-conformance checks)"},
                "severity": {"enum": ["error", "warning"]},
                "message": _STRING,
                "pointer": {
                    **_STRING,
                    "description": "RFC 6901 pointer into the body, or /events/N/… into a stream",
                },
                "keyword": _NULLABLE_STRING,
                "field": {
                    **_NULLABLE_STRING,
                    "description": "the property a schema error names (the missing one)",
                },
                "request": {**_STRING, "description": "valid, or the rule the request broke (invalid: …)"},
                "status": {**_INT, "description": "the answer's status (0: no answer at all)"},
                "occurrences": {"type": "integer", "minimum": 1},
                "curl": _STRING,
                "signature": {
                    **_STRING,
                    "description": "a stable digest of the finding's kind (baselines, diffs)",
                },
                "excerpt": {"oneOf": [{"$ref": "#/$defs/excerpt"}, {"type": "null"}]},
                "baseline": {"oneOf": [{"$ref": "#/$defs/baseline_mark"}, {"type": "null"}]},
                "upstream": {"oneOf": [{"$ref": "#/$defs/upstream_answer"}, {"type": "null"}]},
            },
            required=(
                *("check", "severity", "message", "pointer", "keyword", "field", "request", "status"),
                *("occurrences", "curl", "signature", "excerpt", "baseline"),
            ),
        ),
        "upstream_answer": _object(
            {
                "status": {**_INT, "description": "the upstream's status"},
                "curl": {**_STRING, "description": "the same request as sent to the upstream"},
                "excerpt": {"oneOf": [{"$ref": "#/$defs/excerpt"}, {"type": "null"}]},
            },
            description="With --upstream: the upstream's answer to the request of the finding.",
        ),
        "timeline_event": _object(
            {
                "index": _INT,
                "at": {**_NUMBER, "description": "seconds since the request was sent"},
                "event": _STRING,
                "type": _NULLABLE_STRING,
                "preview": _STRING,
            },
            required=("at", "event", "type", "preview"),
        ),
        "stream": _object(
            {
                "source": {**_STRING, "description": "generated, or the scenario that sent it"},
                "status": _INT,
                "events": _INT,
                "first_event_seconds": _NULLABLE_NUMBER,
                "largest_gap_seconds": _NULLABLE_NUMBER,
                "events_per_second": _NULLABLE_NUMBER,
                "ended": {"enum": ["complete", "idle", "too long", "too large", "cut"]},
                "timeline": {
                    "type": ["array", "null"],
                    "items": {"$ref": "#/$defs/timeline_event"},
                    "description": "kept for a few cases per operation: those a violation points into, then the first",
                },
                "broke": {
                    "type": "array",
                    "items": _INT,
                    "description": "event indices a violation's pointer names",
                },
            }
        ),
        "operation": _object(
            {
                "operation_id": _STRING,
                "method": _STRING,
                "path": _STRING,
                "tags": _STRINGS,
                "outcome": {"enum": [o.value for o in Outcome]},
                "note": _NULLABLE_STRING,
                "cases": _INT,
                "reached": {
                    **_BOOL,
                    "description": "a success (2xx) answer to this operation was judged (its own "
                    "request, or a workflow's step that called it)",
                },
                "statuses": {
                    "type": "object",
                    "additionalProperties": _INT,
                    "propertyNames": {"pattern": r"^\d{3}$"},
                },
                "duration_seconds": _NUMBER,
                "violations": {"type": "array", "items": {"$ref": "#/$defs/violation"}},
                "errors": _STRINGS,
                "untested": {"type": "array", "items": {"$ref": "#/$defs/untested"}},
                "streams": {"type": "array", "items": {"$ref": "#/$defs/stream"}},
            }
        ),
        "untested": _object(
            {
                "reason": _STRING,
                "source": _STRING,
                "occurrences": {"type": "integer", "minimum": 1},
                "curl": _STRING,
            },
            description="Requests of one kind that could not be tested, with a reproduction.",
        ),
        "baseline_entry_ref": entry_ref,
        "baseline": _object(
            {
                "file": _STRING,
                "entries": _INT,
                "known": _INT,
                "new": _INT,
                "expired": {"type": "array", "items": {"$ref": "#/$defs/baseline_entry_ref"}},
                "fixed": {"type": "array", "items": {"$ref": "#/$defs/baseline_entry_ref"}},
                "untested": _INT,
                "updated": _BOOL,
                "added": _INT,
                "dropped": _INT,
            }
        ),
    }


def report_schema(*, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of report.json; ``strict``: no member it does not name."""
    summary = _object(
        {
            "operations": _INT,
            "cases": _INT,
            "violations": {**_INT, "description": "error-level violation kinds"},
            "warnings": _INT,
            "new_violations": {
                **_INT,
                "description": "error-level kinds that fail the run (not in the baseline)",
            },
            "known": {**_INT, "description": "kinds the baseline accepts"},
            "tested": {**_INT, "description": "operations passed, failed or warned"},
            "answered_2xx": {**_INT, "description": "operations answered 2xx at least once"},
            "judged_2xx": {**_INT, "description": "operations judged on at least one 2xx answer"},
            **{o.value: _INT for o in Outcome},
        }
    )
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"openai-conformance report.json, format {REPORT_FORMAT}",
        **_object(
            {
                "format": {"type": "string", "pattern": r"^1\.\d+$"},
                "tool": {"const": "openai-conformance"},
                "started_at": _STRING,
                "finished_at": _STRING,
                "duration_seconds": _NUMBER,
                "interrupted": _NULLABLE_STRING,
                "fatal": _NULLABLE_STRING,
                "diagnosis": {**_STRINGS, "description": "what the run saw of the target, in sentences"},
                "exit_code": {"enum": [0, 1, 2]},
                "target": _object(
                    {
                        "base_url": _STRING,
                        "embedded": _BOOL,
                        "faults": _STRINGS,
                        "models": _STRINGS,
                        "api_base": _NULLABLE_STRING,
                        "example_request": _NULLABLE_STRING,
                    },
                    required=("base_url", "embedded", "models"),
                ),
                "spec": _object(
                    {
                        "title": _STRING,
                        "openapi": _STRING,
                        "sha256": _STRING,
                        "origin": _STRING,
                        "location": _STRING,
                        "pin": _NULLABLE_STRING,
                        "commit": _NULLABLE_STRING,
                        "overlays": {
                            "type": "array",
                            "items": _object({"name": _STRING, "title": _STRING, "sha256": _STRING}),
                        },
                        "overlay_notes": _STRINGS,
                    }
                ),
                "settings": {
                    "type": "object",
                    "description": "the reported options (never the key or header values), runner, drawing",
                    "required": ["runner", "drawing"],
                },
                "summary": summary,
                "baseline": {"oneOf": [{"$ref": "#/$defs/baseline"}, {"type": "null"}]},
                "spec_findings": {
                    "type": "array",
                    "items": _object(
                        {"message": _STRING, "location": _STRING, "places": _INT, "corrected": _BOOL},
                        required=("message", "location"),
                    ),
                },
                "operations": {"type": "array", "items": {"$ref": "#/$defs/operation"}},
            }
        ),
        "$defs": _definitions(),
    }
    if strict:
        _close(schema)
    return schema


def _close(node: Any) -> None:
    """Forbid members a schema object does not name (for the strict variant), everywhere."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def schema_errors(document: Any, *, strict: bool = False) -> list[str]:
    """What keeps ``document`` from being a report.json of the current format (empty: nothing)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(report_schema(strict=strict))
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '/'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
