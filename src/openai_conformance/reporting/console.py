"""The terminal: a line per operation while running, a summary table at the end (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from openai_conformance.events import Event, OperationFinished, RunStarted
from openai_conformance.results.models import OperationResult, Outcome, RunResult
from openai_conformance.transport.curl import redact

__all__ = ["ConsoleReporter"]

_STYLE = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "red",
    Outcome.WARNED: "yellow",
    Outcome.UNSUPPORTED: "blue",
    Outcome.ERROR: "magenta",
    Outcome.SKIPPED: "dim",
}


class ConsoleReporter:
    """Progress and summary for people; quiet mode prints only the summary.

    It handles the run's events (a line when the run starts, one per operation) and prints the
    summary of the result at the end.
    """

    def __init__(
        self, console: Console | None = None, *, quiet: bool = False, secrets: tuple[str, ...] = ()
    ) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.secrets = secrets

    def say(self, text: str) -> None:
        self.console.print(redact(text, self.secrets), markup=False)

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            target = event.target
            self.say(
                f"openai-conformance: {len(event.operations)} operation(s) of {event.spec.title} against "
                f"{target.base_url}" + (" (embedded reference server)" if target.embedded else "")
            )
        elif isinstance(event, OperationFinished):
            self.operation(event.result)

    def operation(self, result: OperationResult) -> None:
        if self.quiet:
            return
        style = _STYLE[result.outcome]
        extra = f" {len(result.findings)} violation kind(s)" if result.findings else ""
        self.console.print(
            f"[{style}]{result.outcome.value:>11}[/{style}] {result.label} ({result.cases} cases){extra}",
            highlight=False,
        )

    def summary(self, run: RunResult, report_dir: str | None = None) -> None:
        failing = [op for op in run.operations if op.findings]
        if failing:
            table = Table(title="Violations", show_lines=False, expand=False)
            for column in ("Operation", "Check", "Pointer", "Message"):
                table.add_column(column, overflow="fold")
            for op in failing:
                for finding in op.violations:
                    table.add_row(
                        op.label,
                        finding.check,
                        finding.pointer or "/",
                        redact(finding.message, self.secrets)[:160],
                    )
            self.console.print(table)
        counts = run.counts()
        table = Table(title="Conformance summary")
        for outcome in Outcome:
            table.add_column(outcome.value, justify="right", style=_STYLE[outcome])
        table.add_row(*(str(counts.get(o.value, 0)) for o in Outcome))
        self.console.print(table)
        verdict = {
            0: "[green]conformant: no violations[/green]",
            1: f"[red]{run.error_violations} violation kind(s) found[/red]",
        }.get(run.exit_code) or _untested(run)
        self.console.print(
            f"{verdict} — {sum(op.cases for op in run.operations)} cases in {run.duration:.1f} s"
        )
        if run.spec_findings:
            self.console.print(
                f"{len(run.spec_findings)} spec finding(s): problems of the spec itself, listed in the report"
            )
        if run.interrupted:
            self.say(f"stopped early: {run.interrupted}")
        if report_dir:
            self.say(f"reports: {report_dir}/report.json, junit.xml, summary.md")


def _untested(run: RunResult) -> str:
    """The headline of a run that did not test everything (exit status 2)."""
    if run.fatal:
        return "[magenta]the target could not be tested[/magenta]"
    if run.interrupted:
        return "[magenta]incomplete: stopped early, no violation in what was tested[/magenta]"
    errors = sum(op.outcome is Outcome.ERROR for op in run.operations)
    return f"[magenta]{errors} operation(s) could not be tested, no violation in the others[/magenta]"
