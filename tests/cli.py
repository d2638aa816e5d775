"""Run ``openai-conformance`` as a user does and read what it wrote: one helper for every test that needs it."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai_conformance.cli import main
from tests.conftest import assert_report_follows_schema

REPORTS = ("report.json", "report.html", "junit.xml", "summary.md")


@dataclass
class CliRun:
    """What one ``openai-conformance run`` did: its exit status, its console and its reports."""

    code: int
    report: dict[str, Any]
    out: str
    err: str
    elapsed: float
    report_dir: Path

    @property
    def operations(self) -> list[dict[str, Any]]:
        operations: list[dict[str, Any]] = self.report["operations"]
        return operations

    def operation(self, operation_id: str) -> dict[str, Any]:
        found = [op for op in self.operations if op["operation_id"] == operation_id]
        assert found, f"{operation_id} is not in the report"
        return found[0]

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Every violation of every operation."""
        return [v for op in self.operations for v in op["violations"]]

    def checks(self, operation_id: str | None = None) -> set[str]:
        """The check ids found (on one operation, or on all)."""
        operations = [self.operation(operation_id)] if operation_id else self.operations
        return {v["check"] for op in operations for v in op["violations"]}

    def found(self) -> Counter[str]:
        """How many violation kinds each check found, over the whole run."""
        return Counter(v["check"] for v in self.violations)

    def errors(self) -> list[tuple[str, list[str]]]:
        """The operations that could not be tested (in part), with their reasons."""
        return [(op["operation_id"], op["errors"]) for op in self.operations if op["errors"]]

    def outcome(self, operation_id: str) -> str:
        return str(self.operation(operation_id)["outcome"])

    def outcomes(self) -> dict[str, str]:
        return {op["operation_id"]: op["outcome"] for op in self.operations}

    def files(self) -> dict[str, str]:
        """Every file the run wrote into its report folder, by name."""
        return {path.name: path.read_text(errors="replace") for path in sorted(self.report_dir.iterdir())}


def run_cli(report_dir: Path, *args: str, quiet: bool = True) -> CliRun:
    """``openai-conformance run ARGS`` in this process, its reports written into ``report_dir``."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", *args, "--report-dir", str(report_dir)]
    if quiet:
        argv.append("--quiet")
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    elapsed = time.monotonic() - started
    report = json.loads((report_dir / "report.json").read_text())
    assert_report_follows_schema(report)
    assert (report_dir / "report.html").exists(), "report.html was not written"
    return CliRun(code, report, out.getvalue(), err.getvalue(), elapsed, report_dir)


def assert_no_secret(run: CliRun, secret: str) -> None:
    """The secret appears in no report, no console line."""
    for name, text in run.files().items():
        assert secret not in text, f"the key leaked into {name}"
    assert secret not in run.out and secret not in run.err, "the key leaked into the console"
