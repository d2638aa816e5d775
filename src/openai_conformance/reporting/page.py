"""What report.html shows, read from a report.json document (of any 1.x format): the operations, the
findings grouped by check with their excerpts and reproductions, and the streams as timelines.

:mod:`.html` renders these views with the templates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

__all__ = ["OUTCOMES", "OUTCOME_LABEL", "CheckGroup", "OperationView", "groups_of", "operations_of"]

OUTCOMES = ("failed", "warned", "error", "not_reached", "unsupported", "passed", "skipped")
OUTCOME_LABEL = {
    "passed": "passed",
    "failed": "failed",
    "warned": "warned",
    "unsupported": "unsupported",
    "error": "could not test",
    "skipped": "skipped",
    "not_reached": "not reached",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# -- the views -------------------------------------------------------------------------------------


@dataclass(slots=True)
class ExcerptView:
    where: str
    content_type: str
    before: str
    marked: str
    after: str


@dataclass(slots=True)
class UpstreamView:
    status: int
    curl: str
    excerpt: ExcerptView | None


@dataclass(slots=True)
class FindingView:
    anchor: str
    operation: str  # operationId
    method: str
    path: str
    outcome: str
    check: str
    severity: str
    pointer: str
    keyword: str
    field: str  # the property a schema error names (the missing one)
    request: str  # "valid", or the rule the request broke
    message: str
    status: int
    occurrences: int
    curl: str
    excerpt: ExcerptView | None
    baseline: dict[str, Any] | None  # status, entry, reason, issue, expires
    fails: bool
    upstream: UpstreamView | None = None  # --upstream: the upstream's answer to the same request

    @property
    def search(self) -> str:
        return " ".join(
            (self.method, self.path, self.operation, self.check, self.pointer, self.message)
        ).lower()


@dataclass(slots=True)
class CheckGroup:
    id: str
    anchor: str
    severity: str
    description: str
    reference: str
    findings: list[FindingView]

    @property
    def new(self) -> int:
        return sum(f.fails for f in self.findings)

    @property
    def operations(self) -> int:
        return len({f.operation for f in self.findings})


@dataclass(slots=True)
class TimelineEventView:
    index: int
    at: float
    gap: float | None
    left: float  # percent of the track
    event: str
    type: str
    preview: str
    broke: bool


@dataclass(slots=True)
class StreamView:
    anchor: str
    source: str
    status: int
    events: int
    first_event: float | None
    largest_gap: float | None
    rate: float | None
    ended: str
    broke: list[int]
    timeline: list[TimelineEventView] | None
    span: float
    omitted: int  # events of the stream left out of the timeline


@dataclass(slots=True)
class OperationView:
    anchor: str
    operation_id: str
    method: str
    path: str
    tags: list[str]
    outcome: str
    outcome_label: str
    note: str
    cases: int
    statuses: list[tuple[str, int, str]]  # code, count, class (s2xx …)
    duration: float
    findings: list[FindingView]
    errors: list[str]
    streams: list[StreamView]
    untested: list[dict[str, Any]]  # requests that could not be tested: reason, source, occurrences, curl

    @property
    def checks(self) -> list[str]:
        return sorted({f.check for f in self.findings})

    @property
    def check_links(self) -> list[tuple[str, str, int]]:
        """Each check found here once: its id, the anchor of its first finding, how many kinds."""
        links: dict[str, tuple[str, int]] = {}
        for finding in self.findings:
            anchor, count = links.get(finding.check, (finding.anchor, 0))
            links[finding.check] = (anchor, count + 1)
        return [(check, anchor, count) for check, (anchor, count) in links.items()]

    @property
    def stream_count(self) -> int:
        return len(self.streams)

    @property
    def new(self) -> int:
        return sum(f.fails for f in self.findings)

    @property
    def search(self) -> str:
        parts = [self.method, self.path, self.operation_id, *self.tags, *self.checks, self.note]
        return " ".join(parts).lower()


def _excerpt(data: Any) -> ExcerptView | None:
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    text: str = data["text"]
    span = data.get("highlight")
    if isinstance(span, list) and len(span) == 2 and 0 <= span[0] <= span[1] <= len(text):
        start, end = int(span[0]), int(span[1])
    else:
        start = end = len(text)
    return ExcerptView(
        where=str(data.get("where") or "body"),
        content_type=str(data.get("content_type") or ""),
        before=text[:start],
        marked=text[start:end],
        after=text[end:],
    )


def _statuses(data: dict[str, Any]) -> list[tuple[str, int, str]]:
    items = sorted((str(k), int(v)) for k, v in (data.get("statuses") or {}).items())
    return [(code, count, f"s{code[:1]}xx") for code, count in items]


def _finding(op: dict[str, Any], item: dict[str, Any], anchor: str) -> FindingView:
    baseline = item.get("baseline") if isinstance(item.get("baseline"), dict) else None
    severity = "warning" if item.get("severity") == "warning" else "error"
    fails = severity == "error" and (baseline is None or baseline.get("status") in ("new", "expired"))
    return FindingView(
        anchor=anchor,
        operation=str(op.get("operation_id") or ""),
        method=str(op.get("method") or "").upper(),
        path=str(op.get("path") or ""),
        outcome=str(op.get("outcome") or "skipped"),
        check=str(item.get("check") or ""),
        severity=severity,
        pointer=str(item.get("pointer") or ""),
        keyword=str(item.get("keyword") or ""),
        field=str(item.get("field") or ""),
        request=str(item.get("request") or "valid"),
        message=str(item.get("message") or ""),
        status=int(item.get("status") or 0),
        occurrences=int(item.get("occurrences") or 1),
        curl=str(item.get("curl") or ""),
        excerpt=_excerpt(item.get("excerpt")),
        baseline=baseline,
        fails=fails,
        upstream=_upstream(item.get("upstream")),
    )


def _upstream(data: Any) -> UpstreamView | None:
    if not isinstance(data, dict):
        return None
    status, curl = int(data.get("status") or 0), str(data.get("curl") or "")
    return UpstreamView(status, curl, _excerpt(data.get("excerpt")))


def _stream(data: dict[str, Any], anchor: str) -> StreamView:
    raw = data.get("timeline")
    timeline: list[TimelineEventView] | None = None
    span = 0.0
    omitted = 0
    broke = [int(i) for i in data.get("broke") or ()]
    if isinstance(raw, list):
        items = [item for item in raw if isinstance(item, dict)]
        times = [float(item.get("at") or 0.0) for item in items]
        span = max(times, default=0.0)
        timeline = []
        previous: tuple[int, float] | None = None
        for position, (item, at) in enumerate(zip(items, times, strict=True)):
            index = int(item.get("index", position))
            gap = at - previous[1] if previous is not None and previous[0] == index - 1 else None
            timeline.append(
                TimelineEventView(
                    index=index,
                    at=at,
                    gap=gap,
                    left=round(100 * at / span, 2) if span > 0 else 0.0,
                    event=str(item.get("event") or "message"),
                    type=str(item.get("type") or ""),
                    preview=str(item.get("preview") or ""),
                    broke=index in broke,
                )
            )
            previous = (index, at)
        omitted = max(0, int(data.get("events") or 0) - len(timeline))
    return StreamView(
        anchor=anchor,
        source=str(data.get("source") or ""),
        status=int(data.get("status") or 0),
        events=int(data.get("events") or 0),
        first_event=data.get("first_event_seconds"),
        largest_gap=data.get("largest_gap_seconds"),
        rate=data.get("events_per_second"),
        ended=str(data.get("ended") or "complete"),
        broke=broke,
        timeline=timeline,
        span=span,
        omitted=omitted,
    )


def _check_info() -> dict[str, tuple[str, str]]:
    """check id → (description, reference), from the registry (checks a newer version knows may lack one)."""
    try:
        from openai_conformance.validation.catalogue import CHECKS
    except Exception:  # the report still renders without the catalogue's words
        return {}
    return {check.id: (check.description, check.reference) for check in CHECKS.values()}


def operations_of(document: dict[str, Any]) -> list[OperationView]:
    views = []
    taken: Counter[str] = Counter()
    for op in document.get("operations") or []:
        if not isinstance(op, dict):
            continue
        base = _slug(str(op.get("operation_id") or f"{op.get('method')} {op.get('path')}"))
        taken[base] += 1
        anchor = f"op-{base}" + (f"-{taken[base]}" if taken[base] > 1 else "")
        findings = [
            _finding(op, item, f"{anchor}-v{n + 1}")
            for n, item in enumerate(op.get("violations") or [])
            if isinstance(item, dict)
        ]
        streams = [
            _stream(item, f"{anchor}-s{n + 1}")
            for n, item in enumerate(op.get("streams") or [])
            if isinstance(item, dict)
        ]
        outcome = str(op.get("outcome") or "skipped")
        views.append(
            OperationView(
                anchor=anchor,
                operation_id=str(op.get("operation_id") or ""),
                method=str(op.get("method") or "").upper(),
                path=str(op.get("path") or ""),
                tags=[str(t) for t in op.get("tags") or []],
                outcome=outcome,
                outcome_label=OUTCOME_LABEL.get(outcome, outcome),
                note=str(op.get("note") or ""),
                cases=int(op.get("cases") or 0),
                statuses=_statuses(op),
                duration=float(op.get("duration_seconds") or 0.0),
                findings=findings,
                errors=[str(e) for e in op.get("errors") or []],
                streams=streams,
                untested=[u for u in op.get("untested") or [] if isinstance(u, dict)],
            )
        )
    return views


def groups_of(operations: list[OperationView]) -> list[CheckGroup]:
    info = _check_info()
    by_check: dict[str, list[FindingView]] = {}
    for op in operations:
        for finding in op.findings:
            by_check.setdefault(finding.check, []).append(finding)
    groups = []
    for check, findings in by_check.items():
        description, reference = info.get(check, ("", ""))
        severity = "error" if any(f.severity == "error" for f in findings) else "warning"
        findings.sort(key=lambda f: (not f.fails, f.severity != "error", f.method, f.path, f.pointer))
        groups.append(CheckGroup(check, f"check-{_slug(check)}", severity, description, reference, findings))
    groups.sort(key=lambda g: (g.new == 0, g.severity != "error", g.id))
    return groups
