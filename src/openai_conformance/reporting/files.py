"""report.json, report.html, junit.xml and summary.md, written atomically, every string redacted."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from openai_conformance.reporting.document import report_document
from openai_conformance.results.models import Outcome, RunResult
from openai_conformance.transport.curl import redact

__all__ = ["REPORT_FILES", "to_html", "to_json", "to_junit", "to_markdown", "write_reports"]

#: The files write_reports writes into a report folder.
REPORT_FILES = ("report.json", "report.html", "junit.xml", "summary.md")


def to_json(run: RunResult, secrets: Iterable[str] = ()) -> str:
    """The versioned report document."""
    return json.dumps(report_document(run, secrets), indent=2, ensure_ascii=False) + "\n"


def to_html(run: RunResult, secrets: Iterable[str] = ()) -> str:
    """The report as one self-contained page (reporting/html.py)."""
    from openai_conformance.reporting.html import render_report

    return render_report(report_document(run, secrets))


def _xml_text(text: str) -> str:
    # XML 1.0 cannot carry most control characters; a server's hostile body must not break the file.
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else f"\\x{ord(ch):02x}" for ch in text)


def to_junit(run: RunResult, secrets: Iterable[str] = ()) -> str:
    """One test case per operation; each violation kind is a <failure>, could-not-test an <error>."""
    secrets = tuple(secrets)
    counts = run.counts()
    suite = ET.Element(
        "testsuite",
        name="openai-conformance",
        tests=str(len(run.operations)),
        failures=str(sum(1 for op in run.operations if any(f.fails for f in op.findings.values()))),
        errors=str(counts.get(Outcome.ERROR.value, 0)),
        skipped=str(
            sum(counts.get(o.value, 0) for o in (Outcome.SKIPPED, Outcome.UNSUPPORTED, Outcome.NOT_REACHED))
        ),
        time=f"{run.duration:.3f}",
        timestamp=run.started_at,
    )
    for op in run.operations:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=op.tags[0] if op.tags else "api",
            name=f"{op.label} ({op.operation_id})",
            time=f"{op.duration:.3f}",
        )
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="reached", value="true" if op.reached else "false")
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(op.statuses.items()))
        ET.SubElement(props, "property", name="statuses", value=statuses)
        if op.outcome in (Outcome.SKIPPED, Outcome.UNSUPPORTED, Outcome.NOT_REACHED):
            message = op.note or op.outcome.label
            if op.outcome is Outcome.NOT_REACHED:
                message = f"not reached: {op.note.removeprefix('no success answer: ')}"
            ET.SubElement(case, "skipped", message=_xml_text(redact(message, secrets)))
            continue
        for finding in op.violations:
            if not finding.fails:  # a warning, or a deviation the baseline accepts
                continue
            failure = ET.SubElement(
                case,
                "failure",
                type=finding.check,
                message=_xml_text(
                    redact(f"{finding.check} at {finding.pointer or '/'}: {finding.message}", secrets)
                ),
            )
            said = f"status {finding.status}, seen {finding.occurrences}x\n{finding.curl}"
            if finding.upstream is not None:  # --upstream: the same request, as the upstream got it
                said += f"\nthe upstream answered {finding.upstream.status}:\n{finding.upstream.curl}"
            failure.text = _xml_text(redact(said, secrets))
        if op.outcome is Outcome.ERROR:
            error = ET.SubElement(
                case,
                "error",
                message=_xml_text(redact(op.errors[0] if op.errors else "could not test", secrets)),
            )
            error.text = _xml_text(redact("\n".join(op.errors), secrets))
        warnings = [f for f in op.violations if not f.fails]
        if warnings:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text(
                redact(
                    "\n".join(
                        f"{'warning' if f.severity == 'warning' else 'known'} {f.check} at {f.pointer or '/'}: {f.message}"
                        for f in warnings
                    ),
                    secrets,
                )
            )
    props = ET.Element("properties")
    suite.insert(0, props)
    ET.SubElement(props, "property", name="coverage", value=run.coverage_line)
    if run.spec_findings:
        for spec_finding in run.spec_findings:
            ET.SubElement(
                props,
                "property",
                name="spec_finding",
                value=_xml_text(f"{spec_finding['location']}: {spec_finding['message']}"),
            )
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(run: RunResult, secrets: Iterable[str] = ()) -> str:
    """A human summary: verdict, per-operation table, each violation with its reproduction."""
    secrets = tuple(secrets)
    data = run.to_dict()
    summary = data["summary"]
    spec = data["spec"]
    lines = [
        "# OpenAI API conformance report",
        "",
        f"- Target: `{run.target.base_url}`"
        + (" (embedded reference server)" if run.target.embedded else ""),
        f"- Spec: {spec['title']} (OpenAPI {spec['openapi']}), pin `{spec['pin'] or 'none'}`, sha256 `{spec['sha256'][:12]}`",
        f"- Overlays: {', '.join(o['name'] for o in spec['overlays']) or 'none'}",
        f"- Profile: {run.settings.get('profile', 'strict')}; mode: {run.settings.get('mode')}; seed {run.settings.get('seed')}; "
        f"{run.settings.get('max_examples')} examples per operation",
        f"- Operations: {summary['operations']} — passed {summary['passed']}, failed {summary['failed']}, "
        f"warned {summary['warned']}, not reached {summary['not_reached']}, unsupported {summary['unsupported']}, "
        f"could not test {summary['error']}, skipped {summary['skipped']}",
        f"- **Coverage:** {run.coverage_line}",
        f"- Violations: {summary['violations']} (warnings: {summary['warnings']}); cases sent: {summary['cases']}; {run.duration:.1f} s",
    ]
    if run.baseline is not None:
        lines.append(
            f"- Baseline `{run.baseline.file}`: {run.baseline.known} known, {summary['new_violations']} new failing"
            + (f", {len(run.baseline.fixed)} fixed" if run.baseline.fixed else "")
        )
    if spec.get("overlay_notes"):
        lines.append(
            f"- Overlay actions that did not apply to this (unpinned) spec: {len(spec['overlay_notes'])}"
        )
    if run.target.example_request:
        lines.append(
            f"- Requests went to: `{run.target.api_base}` (for example `{run.target.example_request}`)"
        )
    lines += [f"- **Diagnosis:** {_md(line)}" for line in run.diagnosis]
    if run.fatal:
        lines.append(f"- **The target could not be tested:** {run.fatal}")
    if run.interrupted:
        lines.append(f"- **The run stopped early:** {run.interrupted}")
    lines += [
        "",
        "## Operations",
        "",
        "| Operation | operationId | Outcome | 2xx judged | Cases | Statuses | Violations |",
        "|---|---|---|---|---|---|---|",
    ]
    for op in run.operations:
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(op.statuses.items())) or "-"
        outcome = op.outcome.label
        if op.outcome is Outcome.NOT_REACHED and op.note:
            outcome += f": {_md(op.note.removeprefix('no success answer: '))}"
        lines.append(
            f"| `{op.label}` | {op.operation_id} | {outcome} | {'yes' if op.reached else 'no'} | {op.cases} "
            f"| {statuses} | {len(op.findings)} |"
        )
    failing = [op for op in run.operations if op.findings]
    if failing:
        lines += ["", "## Violations"]
        for op in failing:
            lines += ["", f"### `{op.label}` ({op.operation_id})"]
            for finding in op.violations:
                kind = "" if finding.request == "valid" else f", {finding.request} request"
                known = ""
                if finding.baseline is not None and finding.baseline.status != "new":
                    known = f" — {finding.baseline.status}" + (
                        f": {_md(finding.baseline.reason)}" if finding.baseline.reason else ""
                    )
                lines += [
                    "",
                    f"- **{finding.check}** ({finding.severity}{known}) at `{finding.pointer or '/'}`, status {finding.status}{kind}, "
                    f"seen {finding.occurrences}×: {_md(finding.message)}",
                    "",
                    "  ```sh",
                    f"  {finding.curl}",
                    "  ```",
                ]
                if finding.upstream is not None:  # --upstream: the same request, as the upstream got it
                    said = f"  The upstream answered {finding.upstream.status} to the same request:"
                    lines += ["", said, "", "  ```sh", f"  {finding.upstream.curl}", "  ```"]
    errored = [op for op in run.operations if op.errors]
    if errored:
        lines += ["", "## Could not test", ""]
        lines += [f"- `{op.label}`: {_md('; '.join(op.errors[:3]))}" for op in errored]
        for op in errored:
            for untested in op.untested:
                lines += [
                    "",
                    f"  `{op.label}`, {untested.occurrences}× ({untested.source}): {_md(untested.reason)}",
                    "",
                    "  ```sh",
                    f"  {untested.curl}",
                    "  ```",
                ]
    if run.spec_findings:
        lines += [
            "",
            "## Spec findings",
            "",
            "Problems of the spec itself (not of the target), found by strict validation:",
            "",
        ]
        lines += [
            f"- `{f['location'] or '/'}`"
            + (f" ({f['places']} places)" if int(f.get("places") or 1) > 1 else "")
            + (" — corrected by an overlay" if f.get("corrected") else "")
            + f": {_md(f['message'][:300])}"
            for f in run.spec_findings
        ]
    return redact("\n".join(lines) + "\n", secrets)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(run: RunResult, directory: Path, secrets: Iterable[str] = ()) -> list[Path]:
    """Write the reports of REPORT_FILES into ``directory``; the paths written."""
    secrets = tuple(secrets)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    writers = {
        "report.json": to_json,
        "report.html": to_html,
        "junit.xml": to_junit,
        "summary.md": to_markdown,
    }
    for name in REPORT_FILES:
        render = writers[name]
        path = directory / name
        _write(path, render(run, secrets))
        written.append(path)
    return written
