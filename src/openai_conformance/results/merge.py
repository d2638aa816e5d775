"""One report from the reports of several shards or workers of the same run."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from openai_conformance.errors import ConfigError
from openai_conformance.results.models import RunResult

__all__ = ["load_report", "merge_runs"]


def load_report(path: Path) -> RunResult:
    """A report.json (or a folder holding one) read back."""
    if path.is_dir():
        path = path / "report.json"
    try:
        return RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(f"cannot read the report {path}: {exc.strerror or exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a report.json of this tool: {exc}") from exc


def merge_runs(runs: Iterable[RunResult]) -> RunResult:
    """Operations of every run, each once (a later report wins); the spec must be the same."""
    runs = list(runs)
    if not runs:
        raise ConfigError("report merge needs at least one report")
    first = runs[0]
    for run in runs[1:]:
        if run.spec.sha256 != first.spec.sha256:
            raise ConfigError("the reports were made with different specs and cannot be merged")
    operations = {}
    for run in runs:
        for op in run.operations:
            operations[(op.method, op.path)] = op
    merged = RunResult(
        target=first.target,
        spec=first.spec,
        settings=replace(first.settings, merged_from=len(runs)),
        spec_findings=first.spec_findings,
        operations=list(operations.values()),
        started_at=min(r.started_at for r in runs),
        finished_at=max(r.finished_at for r in runs),
        duration=max(r.duration for r in runs),
        interrupted="; ".join(r.interrupted for r in runs if r.interrupted) or None,
        fatal="; ".join(r.fatal for r in runs if r.fatal) or None,
        diagnosis=list(dict.fromkeys(line for r in runs for line in r.diagnosis)),
    )
    return merged
