"""report.html: the run as one self-contained page (Jinja2 templates, CSS and script inline, no network).

:func:`render_report` reads a report.json document (of any 1.x format, so an older report renders
too) and shapes it into the view the template shows: the verdict and what it rests on, the
violations grouped by check (each with its excerpt of the answer, the pointed value marked, and its
``curl``), the operations as a filterable table, the streams as timelines, the baseline's known
deviations apart from the new ones, could-not-test reasons, spec findings and settings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2

from openai_conformance.reporting.page import OUTCOME_LABEL, OUTCOMES, groups_of, operations_of

__all__ = ["render_matrix_page", "render_report", "verdict_of"]


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """The templates compiled once and kept in the cache folder (Jinja2 checks each against its source);
    a folder that cannot be written costs a compile, nothing more."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)


@functools.cache
def _environment() -> jinja2.Environment:
    from openai_conformance.openapi.sources import cache_dir

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("openai_conformance.reporting", "templates"),
        bytecode_cache=_CompiledTemplates(str(cache_dir() / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["seconds"] = _seconds
    environment.filters["duration"] = _duration
    return environment


@functools.cache
def _assets() -> dict[str, str]:
    """The stylesheet and the script, inlined into every page (read as files: no template syntax in them)."""
    folder = resources.files("openai_conformance.reporting") / "templates"
    return {
        name: (folder / file).read_text(encoding="utf-8")
        for name, file in (("css", "style.css"), ("js", "report.js"))
    }


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms" if value >= 0.001 else f"{value * 1000:.2f} ms"
    return f"{value:.2f} s"


def _duration(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 3600:
        hours, rest = divmod(round(value), 3600)
        return f"{hours} h {rest // 60} min"
    if value >= 60:
        minutes, rest = divmod(round(value), 60)
        return f"{minutes} min {rest} s"
    return f"{value:.1f} s"


@dataclass(slots=True)
class Verdict:
    kind: str  # pass, known, fail, incomplete, error (the CSS class)
    title: str
    detail: str
    notes: list[str] = field(default_factory=list)


def verdict_of(document: dict[str, Any]) -> Verdict:
    """The headline of a report: what the run found, and why not everything was tested if it was not."""
    summary = document.get("summary") or {}
    operations = [op for op in document.get("operations") or [] if isinstance(op, dict)]
    total = len(operations)
    violations = [v for op in operations for v in op.get("violations") or [] if isinstance(v, dict)]
    errors = [v for v in violations if v.get("severity") != "warning"]
    failing = [
        v
        for v in errors
        if not isinstance(v.get("baseline"), dict) or v["baseline"].get("status") in ("new", "expired")
    ]
    known = len(violations) - sum(
        1
        for v in violations
        if not isinstance(v.get("baseline"), dict)
        or v["baseline"].get("status") in ("new", "expired", "added")
    )
    added = sum(
        1
        for v in violations
        if isinstance(v.get("baseline"), dict) and v["baseline"].get("status") == "added"
    )
    warnings = len(violations) - len(errors)
    not_tested = [op for op in operations if op.get("outcome") == "error"]
    notes = []
    if document.get("interrupted"):
        notes.append(f"stopped early: {document['interrupted']}")
    if not_tested:
        first = next((e for op in not_tested for e in op.get("errors") or []), "")
        notes.append(
            f"{len(not_tested)} operation(s) could not be tested" + (f" (first: {first})" if first else "")
        )
    if document.get("fatal"):
        return Verdict("error", "The target could not be tested", str(document["fatal"]), notes)
    failing_ops = len({id(op) for op in operations for v in op.get("violations") or [] if v in failing})
    if failing:
        title = f"{len(failing)} violation kind{'s' if len(failing) != 1 else ''}"
        detail = f"on {failing_ops} of {total} operation(s)"
        if known:
            detail += f"; {known} known deviation(s) accepted by the baseline"
        return Verdict("fail", title, detail, notes)
    tested = summary.get(
        "tested", sum(op.get("outcome") in ("passed", "failed", "warned") for op in operations)
    )
    if notes:
        found = "no violation in what was tested" if not known else f"{known} known deviation(s), none new"
        return Verdict("incomplete", "Not everything was tested", found, notes)
    extra = f"; {warnings} warning kind(s)" if warnings else ""
    if added:
        return Verdict(
            "known",
            "No new violations",
            f"{added} finding(s) recorded into the baseline by this run"
            + (f", {known} known before" if known else "")
            + f"; {tested} of {total} operation(s) tested",
        )
    if known:
        return Verdict(
            "known",
            "No new violations",
            f"{known} known deviation(s) accepted by the baseline; {tested} of {total} operation(s) tested{extra}",
        )
    return Verdict("pass", "Conformant", f"no violation in {tested} of {total} operation(s) tested{extra}")


def _when(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value or "–"
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _view(document: dict[str, Any]) -> dict[str, Any]:
    operations = operations_of(document)
    groups = groups_of(operations)
    summary = document.get("summary") or {}
    total = len(operations)
    tested = summary.get("tested", sum(op.outcome in ("passed", "failed", "warned") for op in operations))
    # Before format 1.4 a report said which operations answered 2xx, not which were judged on one.
    answered = summary.get(
        "judged_2xx",
        summary.get(
            "answered_2xx", sum(any(code.startswith("2") for code, _, _ in op.statuses) for op in operations)
        ),
    )
    findings = [f for g in groups for f in g.findings]
    outcomes = Counter(op.outcome for op in operations)
    settings = dict(document.get("settings") or {})
    spec = dict(document.get("spec") or {})
    target = dict(document.get("target") or {})
    baseline = document.get("baseline") if isinstance(document.get("baseline"), dict) else None
    known = [f for f in findings if f.baseline and f.baseline.get("status") == "known"]
    return {
        "document": document,
        "format": str(document.get("format") or ""),
        "verdict": verdict_of(document),
        "target": target,
        "spec": spec,
        "settings": sorted(settings.items()),
        "profile": settings.get("profile", "strict"),
        "mode": settings.get("mode", "positive"),
        "started": _when(str(document.get("started_at") or "")),
        "finished": _when(str(document.get("finished_at") or "")),
        "duration": float(document.get("duration_seconds") or 0.0),
        "operations": operations,
        "groups": groups,
        "outcomes": [(o, OUTCOME_LABEL[o], outcomes.get(o, 0)) for o in OUTCOMES if outcomes.get(o)],
        "total": total,
        "tested": tested,
        "answered_2xx": answered,
        "cases": int(summary.get("cases") or sum(op.cases for op in operations)),
        "kinds": len(findings),
        "new": sum(f.fails for f in findings),
        "warnings": sum(f.severity == "warning" for f in findings),
        "known": known,
        "baseline": baseline,
        "streamed": [op for op in operations if op.streams],
        "errored": [op for op in operations if op.errors or op.untested],
        "diagnosis": [str(line) for line in document.get("diagnosis") or []],
        "spec_findings": [f for f in document.get("spec_findings") or [] if isinstance(f, dict)],
    }


def render_report(document: dict[str, Any]) -> str:
    """report.html for a report.json document (already redacted)."""
    return _environment().get_template("report.html.j2").render(assets=_assets(), **_view(document))


def render_matrix_page(view: dict[str, Any]) -> str:
    """The compatibility matrix page (reporting/matrix.py builds the view)."""
    return _environment().get_template("matrix.html.j2").render(assets=_assets(), **view)
