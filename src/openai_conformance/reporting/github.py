"""GitHub Actions output: the headline and each new violation as workflow annotations, and a job summary.

``--report github`` (on by default when ``GITHUB_ACTIONS=true``) prints workflow commands
(``::error title=…::…``) that GitHub shows on the run's page and the pull request, one per new
violation kind (a finding the baseline accepts is not annotated), and appends a Markdown summary to
the file ``$GITHUB_STEP_SUMMARY`` names. Pure functions of the report document, like the other writers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from openai_conformance.reporting.html import verdict_of

__all__ = ["github_enabled", "job_summary", "workflow_commands", "write_github"]

#: GitHub shows only so many annotations of a step; past these, one line says how many more there are.
MAX_ANNOTATIONS = 50


def github_enabled(requested: tuple[str, ...], environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to write GitHub output: asked for, or under GitHub Actions unless ``--report none``."""
    if "none" in requested:
        return False
    return "github" in requested or environ.get("GITHUB_ACTIONS") == "true"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, title: str, message: str) -> str:
    return f"::{level} title={_property(title)}::{_data(message)}"


def _new(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for op in document.get("operations") or []:
        for finding in op.get("violations") or []:
            mark = finding.get("baseline")
            if mark is None or mark.get("status") in ("new", "expired"):
                yield op, finding


def workflow_commands(document: dict[str, Any]) -> list[str]:
    """The workflow commands: the headline, then one per new violation kind."""
    verdict = verdict_of(document)
    level = {"pass": "notice", "known": "notice", "fail": "error"}.get(verdict.kind, "error")
    headline = verdict.detail + "".join(f"; {note}" for note in verdict.notes)
    lines = [_command(level, f"openai-conformance: {verdict.title}", headline)]
    found = list(_new(document))
    for op, finding in found[:MAX_ANNOTATIONS]:
        label = f"{op.get('method', '')} {op.get('path', '')}"
        level = "warning" if finding.get("severity") == "warning" else "error"
        expired = (finding.get("baseline") or {}).get("status") == "expired"
        message = f"{label} at {finding.get('pointer') or '/'}: {finding.get('message', '')}"
        if expired:
            message += " (its baseline entry has expired)"
        if finding.get("curl"):
            message += "\nReproduce: " + str(finding["curl"])
        lines.append(_command(level, f"{finding.get('check', '')} on {label}", message))
    if len(found) > MAX_ANNOTATIONS:
        lines.append(
            _command(
                "warning",
                "openai-conformance",
                f"{len(found) - MAX_ANNOTATIONS} more new violation kinds: see the report",
            )
        )
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def job_summary(document: dict[str, Any], report_dir: str | None = None) -> str:
    """The Markdown of the job summary: verdict, counts, new violations, known ones, fixed entries."""
    verdict = verdict_of(document)
    icon = {"pass": "✅", "known": "✅", "fail": "❌"}.get(verdict.kind, "⚠️")
    summary = document.get("summary") or {}
    target = document.get("target") or {}
    spec = document.get("spec") or {}
    lines = [
        f"## {icon} openai-conformance: {verdict.title}",
        "",
        verdict.detail + ".",
    ]
    lines += [f"- {note}" for note in verdict.notes]
    lines += [f"- {line}" for line in document.get("diagnosis") or []]
    lines += [
        "",
        f"Target `{target.get('base_url', '')}` · spec {spec.get('title', '')} pin `{spec.get('pin') or 'none'}` · "
        f"{summary.get('tested', '?')}/{summary.get('operations', '?')} operations tested · "
        f"{summary.get('judged_2xx', summary.get('answered_2xx', '?'))} judged on a 2xx answer · "
        f"{summary.get('cases', '?')} cases · "
        f"{float(document.get('duration_seconds') or 0):.1f} s",
    ]
    new = list(_new(document))
    if new:
        lines += [
            "",
            "### New violations",
            "",
            "| Operation | Check | Pointer | Message |",
            "|---|---|---|---|",
        ]
        for op, finding in new[:200]:
            lines.append(
                f"| `{op.get('method', '')} {op.get('path', '')}` | `{finding.get('check', '')}` | "
                f"`{finding.get('pointer') or '/'}` | {_cell(str(finding.get('message', '')))[:200]} |"
            )
    known = [
        (op, f)
        for op in document.get("operations") or []
        for f in op.get("violations") or []
        if (f.get("baseline") or {}).get("status") == "known"
    ]
    if known:
        lines += ["", f"<details><summary>{len(known)} known deviation(s) (baseline)</summary>", ""]
        lines += ["| Operation | Check | Reason |", "|---|---|---|"]
        for op, finding in known:
            reason = (finding.get("baseline") or {}).get("reason") or ""
            lines.append(
                f"| `{op.get('method', '')} {op.get('path', '')}` | `{finding.get('check', '')}` | {_cell(reason)} |"
            )
        lines += ["", "</details>"]
    baseline = document.get("baseline") or {}
    if baseline.get("fixed"):
        verb = "dropped" if baseline.get("updated") else "no longer seen: drop them with `--baseline-update`"
        lines += [
            "",
            f"{len(baseline['fixed'])} baseline entr{'y' if len(baseline['fixed']) == 1 else 'ies'} fixed, {verb}.",
        ]
    if report_dir:
        lines += ["", f"The full report is `{report_dir}/report.html` (keep the folder as an artefact)."]
    return "\n".join(lines) + "\n"


def write_github(
    document: dict[str, Any], *, report_dir: str | None = None, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Append the job summary to ``$GITHUB_STEP_SUMMARY`` (when set); the annotations to print."""
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with Path(summary_file).open("a", encoding="utf-8") as out:
            out.write(job_summary(document, report_dir))
    return workflow_commands(document)
