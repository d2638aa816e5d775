"""The result model of a run; ``RunResult.to_dict`` is the versioned ``report.json`` document."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.results.info import Settings, SpecInfo, Target
from openai_conformance.validation.violations import Severity, Violation, violation_key

__all__ = ["REPORT_FORMAT", "Finding", "OperationResult", "Outcome", "RunResult"]

#: Its major part changes when the shape of report.json changes incompatibly; readers accept any 1.x.
#: 1.1: ``target.faults`` (a list) replaces ``target.fault``; settings ``max_tokens``/``max_n``.
REPORT_FORMAT = "1.1"


class Outcome(enum.StrEnum):
    """What became of one operation."""

    PASSED = "passed"  # answered, and nothing departed from the contract
    FAILED = "failed"  # at least one error-severity violation
    WARNED = "warned"  # only warnings
    UNSUPPORTED = "unsupported"  # the target does not implement it (404/405 on every request)
    ERROR = "error"  # could not be tested (transport failures on every request, tool errors)
    SKIPPED = "skipped"  # not run (deselected, or the run ran out of time)


@dataclass(slots=True)
class Finding:
    """One kind of violation on one operation, with the smallest request that showed it."""

    check: str
    severity: Severity
    message: str
    pointer: str
    keyword: str
    status: int
    curl: str
    occurrences: int = 1
    request_size: int = 0

    @classmethod
    def from_violation(cls, violation: Violation, *, status: int, curl: str, request_size: int) -> Finding:
        return cls(
            check=violation.check,
            severity=violation.severity,
            message=violation.message,
            pointer=violation.pointer,
            keyword=violation.keyword,
            status=status,
            curl=curl,
            request_size=request_size,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            check=str(data["check"]),
            severity="warning" if data.get("severity") == "warning" else "error",
            message=str(data["message"]),
            pointer=str(data.get("pointer") or ""),
            keyword=str(data.get("keyword") or ""),
            status=int(data.get("status") or 0),
            curl=str(data.get("curl") or ""),
            occurrences=int(data.get("occurrences") or 1),
        )

    @property
    def key(self) -> tuple[str, str, str]:
        return violation_key(self.check, self.pointer, self.keyword)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "pointer": self.pointer,
            "keyword": self.keyword or None,
            "status": self.status,
            "occurrences": self.occurrences,
            "curl": self.curl,
        }


@dataclass(slots=True)
class OperationResult:
    """Everything one operation's cases showed."""

    operation_id: str
    method: str
    path: str
    tags: tuple[str, ...] = ()
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # could-not-test reasons, de-duplicated
    bare_not_found: int = 0  # 404/405 answers whose body is not an API error: no route at all
    duration: float = 0.0
    outcome: Outcome = Outcome.SKIPPED
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def add(self, violation: Violation, *, status: int, curl: str, request_size: int) -> None:
        """Record a violation; of each kind only the smallest reproducing request is kept."""
        key = violation.key
        existing = self.findings.get(key)
        if existing is None:
            self.findings[key] = Finding.from_violation(
                violation, status=status, curl=curl, request_size=request_size
            )
            return
        existing.occurrences += 1
        if request_size < existing.request_size:
            existing.curl, existing.request_size = curl, request_size
            existing.message, existing.pointer, existing.status = violation.message, violation.pointer, status

    def add_error(self, message: str) -> None:
        if message not in self.errors and len(self.errors) < 20:
            self.errors.append(message)

    @property
    def violations(self) -> list[Finding]:
        return sorted(self.findings.values(), key=lambda f: (f.severity != "error", f.check, f.pointer))

    def conclude(self) -> None:
        """Set the outcome from what was recorded."""
        if self.outcome is not Outcome.SKIPPED and self.outcome is not Outcome.ERROR:
            return
        if any(f.severity == "error" for f in self.findings.values()):
            self.outcome = Outcome.FAILED
        elif self.findings:
            self.outcome = Outcome.WARNED
        elif self.cases == 0 and self.errors:
            self.outcome = Outcome.ERROR
        elif self.cases == 0:
            self.outcome = Outcome.SKIPPED
        else:
            self.outcome = Outcome.PASSED

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "method": self.method.upper(),
            "path": self.path,
            "tags": list(self.tags),
            "outcome": self.outcome.value,
            "note": self.note or None,
            "cases": self.cases,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "duration_seconds": round(self.duration, 4),
            "violations": [f.to_dict() for f in self.violations],
            "errors": list(self.errors),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OperationResult:
        result = cls(
            operation_id=str(data["operation_id"]),
            method=str(data["method"]).lower(),
            path=str(data["path"]),
            tags=tuple(data.get("tags") or ()),
            cases=int(data.get("cases") or 0),
            statuses=Counter({int(k): int(v) for k, v in (data.get("statuses") or {}).items()}),
            errors=list(data.get("errors") or []),
            duration=float(data.get("duration_seconds") or 0.0),
            outcome=Outcome(data.get("outcome", "skipped")),
            note=str(data.get("note") or ""),
        )
        for item in data.get("violations") or []:
            finding = Finding.from_dict(item)
            result.findings[finding.key] = finding
        return result


@dataclass(slots=True)
class RunResult:
    """A whole run."""

    target: Target
    spec: SpecInfo
    settings: Settings
    spec_findings: list[dict[str, str]] = field(default_factory=list)
    operations: list[OperationResult] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    duration: float = 0.0
    interrupted: str | None = None  # why the run stopped early, if it did
    fatal: str | None = None  # why the target could not be tested at all

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Read a report.json document back (for merging the reports of shards)."""
        if str(data.get("format", "")).split(".")[0] != REPORT_FORMAT.split(".")[0]:
            raise ValueError(f"report format {data.get('format')!r} is not {REPORT_FORMAT}")
        return cls(
            target=Target.from_dict(dict(data.get("target") or {})),
            spec=SpecInfo.from_dict(dict(data.get("spec") or {})),
            settings=Settings.from_dict(dict(data.get("settings") or {})),
            spec_findings=list(data.get("spec_findings") or []),
            operations=[OperationResult.from_dict(op) for op in data.get("operations") or []],
            started_at=str(data.get("started_at") or ""),
            finished_at=str(data.get("finished_at") or ""),
            duration=float(data.get("duration_seconds") or 0.0),
            interrupted=data.get("interrupted"),
            fatal=data.get("fatal"),
        )

    def counts(self) -> Counter[str]:
        return Counter(op.outcome.value for op in self.operations)

    @property
    def error_violations(self) -> int:
        return sum(1 for op in self.operations for f in op.findings.values() if f.severity == "error")

    @property
    def warning_violations(self) -> int:
        return sum(1 for op in self.operations for f in op.findings.values() if f.severity == "warning")

    @property
    def fails_on_warnings(self) -> bool:
        """Whether the run was asked to fail on warnings too (``--fail-on warning``)."""
        return self.settings.options.get("fail_on") == "warning"

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 violations found (warnings too with ``--fail-on warning``), 2 not everything
        could be tested.

        "Not everything": the target could not be reached, an operation could not be tested, or the run
        was interrupted. A nightly gate must not pass on a run that tested half of what it was asked.
        """
        if self.fatal:
            return 2
        if self.error_violations or (self.fails_on_warnings and self.warning_violations):
            return 1
        if self.interrupted or any(op.outcome is Outcome.ERROR for op in self.operations):
            return 2
        return 0

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "format": REPORT_FORMAT,
            "tool": "openai-conformance",
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": round(self.duration, 3),
            "interrupted": self.interrupted,
            "fatal": self.fatal,
            "exit_code": self.exit_code,
            "target": self.target.to_dict(),
            "spec": self.spec.to_dict(),
            "settings": self.settings.to_dict(),
            "summary": {
                "operations": len(self.operations),
                "cases": sum(op.cases for op in self.operations),
                "violations": self.error_violations,
                "warnings": self.warning_violations,
                **{outcome.value: counts.get(outcome.value, 0) for outcome in Outcome},
            },
            "spec_findings": self.spec_findings,
            "operations": [op.to_dict() for op in self.operations],
        }
