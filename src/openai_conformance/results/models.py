"""The result model of a run; ``RunResult.to_dict`` is the versioned ``report.json`` document."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.results.evidence import Excerpt, UpstreamEvidence
from openai_conformance.results.finding import VALID, Finding, FindingKey, UntestedRequest
from openai_conformance.results.identity import BaselineSummary
from openai_conformance.results.info import Settings, SpecInfo, Target
from openai_conformance.results.streams import StreamRecord
from openai_conformance.validation.violations import Violation

__all__ = [
    "REPORT_FORMAT",
    "VALID",
    "Finding",
    "OperationResult",
    "Outcome",
    "RunResult",
    "UntestedRequest",
    "judged_line",
]

#: Its major part changes when the shape of report.json changes incompatibly; readers accept any 1.x.
#: 1.1: ``target.faults`` (a list) replaces ``target.fault``; settings ``max_tokens``/``max_n``.
#: 1.2: a violation's ``request`` and ``field``; an operation's ``untested``; the run's
#: ``diagnosis``; ``target.api_base`` and ``target.example_request``.
#: 1.3: per operation ``streams``; per violation ``signature``, ``excerpt``, ``baseline``; the run's
#: ``baseline``; summary ``tested``, ``answered_2xx``, ``new_violations``, ``known``. The JSON Schema
#: of the current format is ``openai-conformance report schema`` (results/schema.py).
#: 1.4: per violation ``upstream`` (with --upstream: the upstream's status, excerpt and reproduction).
#: 1.5: the outcome ``not_reached`` (answered, but never with a success); per operation ``reached``
#: (a 2xx answer was judged); summary ``judged_2xx``.
#: 1.6: an operation's ``cases``, ``statuses``, ``reached`` and ``violations`` hold its own answers
#: only: a workflow's step counts under the operation it called, not the workflow's.
REPORT_FORMAT = "1.6"

_UNTESTED_ENTRIES = 48  # distinct (reason, source) entries kept per operation


class Outcome(enum.StrEnum):
    """What became of one operation."""

    PASSED = "passed"  # answered, and nothing departed from the contract
    FAILED = "failed"  # at least one error-severity violation
    WARNED = "warned"  # only warnings
    UNSUPPORTED = "unsupported"  # the target does not implement it (404/405 on every request)
    ERROR = "error"  # could not be tested (transport failures on every request, tool errors)
    SKIPPED = "skipped"  # not run (deselected, or the run ran out of time)
    NOT_REACHED = "not_reached"  # answered, judged, but never with a success: its 2xx was not judged

    @property
    def label(self) -> str:
        """The outcome in words: "not reached"."""
        return self.value.replace("_", " ")


def judged_line(judged: int, operations: int) -> str:
    """How many operations were judged on their success path, in words."""
    return f"{judged}/{operations} operations judged on a 2xx answer"


@dataclass(slots=True)
class OperationResult:
    """Everything one operation's cases showed."""

    operation_id: str
    method: str
    path: str
    tags: tuple[str, ...] = ()
    cases: int = 0  # requests sent, answered or not
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[FindingKey, Finding] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # could-not-test reasons, de-duplicated
    untested: list[UntestedRequest] = field(
        default_factory=list
    )  # requests that could not be tested, by reason
    bare_not_found: int = 0  # 404/405 answers whose body is not an API error: no route at all
    judged_2xx: int = 0  # success answers that were judged
    duration: float = 0.0
    outcome: Outcome = Outcome.SKIPPED
    note: str = ""
    streams: list[StreamRecord] = field(default_factory=list)  # one per streamed answer (results/streams.py)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def add(
        self,
        violation: Violation,
        *,
        status: int,
        curl: str,
        request_size: int,
        request: str = VALID,
        evidence: Callable[[str], Excerpt | None] | None = None,
        upstream: Callable[[], UpstreamEvidence | None] | None = None,
    ) -> None:
        """Record a violation under its defect (:attr:`Finding.key`), keeping that defect's smallest
        reproducing request.

        ``evidence(pointer)`` gives the excerpt of the answer, ``upstream()`` the upstream's answer to
        the same request; they are asked only for the reproduction kept.
        """
        finding = Finding.from_violation(
            violation, status=status, curl=curl, request_size=request_size, request=request
        )
        existing = self.findings.get(finding.key)
        if existing is None:
            finding.excerpt = evidence(violation.pointer) if evidence else None
            finding.upstream = upstream() if upstream else None
            self.findings[finding.key] = finding
            return
        existing.occurrences += 1
        if request_size < existing.request_size:
            existing.curl, existing.request_size = curl, request_size
            existing.message, existing.pointer = violation.message, violation.pointer
            if evidence is not None:
                existing.excerpt = evidence(violation.pointer)
            existing.upstream = upstream() if upstream else None

    def add_error(self, message: str) -> None:
        if message not in self.errors and len(self.errors) < 20:
            self.errors.append(message)

    def add_untested(self, reason: str, curl: str, source: str = "") -> None:
        """A request that could not be tested, with its reproduction; one entry per reason and source
        (up to 48: room for every scenario of an operation, each with a reason or two)."""
        for entry in self.untested:
            if entry.reason == reason and entry.source == source:
                entry.occurrences += 1
                if curl and (not entry.curl or len(curl) < len(entry.curl)):
                    entry.curl = curl
                return
        if len(self.untested) < _UNTESTED_ENTRIES:
            self.untested.append(UntestedRequest(reason, curl, source))

    @property
    def violations(self) -> list[Finding]:
        return sorted(self.findings.values(), key=lambda f: (f.severity != "error", f.check, f.pointer))

    @property
    def answered(self) -> int:
        """How many requests got an answer (``cases`` counts every request sent)."""
        return sum(self.statuses.values())

    @property
    def tested(self) -> bool:
        """Whether its answers were judged (passed, failed or warned)."""
        return self.outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.WARNED)

    @property
    def answered_2xx(self) -> bool:
        """Whether at least one answer was a success."""
        return any(200 <= status < 300 for status in self.statuses)

    @property
    def reached(self) -> bool:
        """Whether a success answer was reached and judged (its success schemas were applied)."""
        return self.judged_2xx > 0

    def conclude(self) -> None:
        """Set the outcome from what was recorded: "passed" only on answers that were judged."""
        if self.outcome is not Outcome.SKIPPED and self.outcome is not Outcome.ERROR:
            return
        if any(f.severity == "error" for f in self.findings.values()):
            self.outcome = Outcome.FAILED
        elif self.findings:
            self.outcome = Outcome.WARNED
        elif self.answered == 0 and (self.errors or self.untested):
            self.outcome = Outcome.ERROR
        elif self.answered == 0:
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
            "reached": self.reached,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "duration_seconds": round(self.duration, 4),
            "violations": [f.to_dict() for f in self.violations],
            "errors": list(self.errors),
            "untested": [u.to_dict() for u in self.untested],
            "streams": [s.to_dict() for s in self.streams],
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
            untested=[
                UntestedRequest.from_dict(u) for u in data.get("untested") or [] if isinstance(u, dict)
            ],
            streams=[StreamRecord.from_dict(s) for s in data.get("streams") or () if isinstance(s, dict)],
        )
        # Before 1.5 a report did not say; a 2xx among its statuses is the best guess.
        reached = data.get("reached")
        result.judged_2xx = int(result.answered_2xx if reached is None else bool(reached))
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
    spec_findings: list[dict[str, Any]] = field(default_factory=list)
    operations: list[OperationResult] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    duration: float = 0.0
    interrupted: str | None = None  # why the run stopped early, if it did
    fatal: str | None = None  # why the target could not be tested at all
    diagnosis: list[str] = field(default_factory=list)  # what the run saw of the target, in sentences
    baseline: BaselineSummary | None = None  # what the run's --baseline said (results/baseline.py)

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
            diagnosis=[str(line) for line in data.get("diagnosis") or []],
            baseline=BaselineSummary.from_dict(data.get("baseline")),
        )

    def counts(self) -> Counter[str]:
        return Counter(op.outcome.value for op in self.operations)

    @property
    def coverage_line(self) -> str:
        """The headline of coverage: "90/94 operations judged on a 2xx answer"."""
        return judged_line(sum(op.reached for op in self.operations), len(self.operations))

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
    def failing_violations(self) -> int:
        """Error kinds that fail the run: all of them, less those the baseline accounts for."""
        return sum(1 for op in self.operations for f in op.findings.values() if f.fails)

    @property
    def failing_warnings(self) -> int:
        """Warning kinds no baseline accounts for: they fail the run with ``--fail-on warning``."""
        return sum(
            1
            for op in self.operations
            for f in op.findings.values()
            if f.severity == "warning" and f.fails_under("warning")
        )

    @property
    def known_violations(self) -> int:
        """Kinds (errors and warnings) the baseline accounts for."""
        return sum(
            1
            for op in self.operations
            for f in op.findings.values()
            if f.baseline is not None and not f.baseline.fails and f.baseline.status != "added"
        )

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 violations found (warnings too with ``--fail-on warning``), 2 not everything
        could be tested.

        "Not everything": the target could not be reached, an operation could not be tested, or the run
        was interrupted. A nightly gate must not pass on a run that tested half of what it was asked.
        """
        if self.fatal:
            return 2
        if self.failing_violations or (self.fails_on_warnings and self.failing_warnings):
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
            "diagnosis": list(self.diagnosis),
            "exit_code": self.exit_code,
            "target": self.target.to_dict(),
            "spec": self.spec.to_dict(),
            "settings": self.settings.to_dict(),
            "summary": {
                "operations": len(self.operations),
                "cases": sum(op.cases for op in self.operations),
                "violations": self.error_violations,
                "warnings": self.warning_violations,
                "new_violations": self.failing_violations,
                "known": self.known_violations,
                "tested": sum(op.tested for op in self.operations),
                "answered_2xx": sum(op.answered_2xx for op in self.operations),
                "judged_2xx": sum(op.reached for op in self.operations),
                **{outcome.value: counts.get(outcome.value, 0) for outcome in Outcome},
            },
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "spec_findings": self.spec_findings,
            "operations": [op.to_dict() for op in self.operations],
        }
