"""The terminal: a line per operation while running, a summary at the end (rich).

On a terminal the summary is a table; in a pipe or CI (not a terminal) it is plain lines that are
never wrapped, so that nothing breaks mid-word at 80 columns. Either way the headline says what the
run saw of the target (its diagnosis), every "could not test" reason appears once (with the
operations it concerns), and the spec's own findings are listed once each, those an overlay
corrected marked as such.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from openai_conformance.events import Event, OperationFinished, RunStarted, TargetDown
from openai_conformance.results.models import VALID, Finding, OperationResult, Outcome, RunResult
from openai_conformance.transport.curl import redact

__all__ = ["ConsoleReporter"]

_STYLE = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "red",
    Outcome.WARNED: "yellow",
    Outcome.UNSUPPORTED: "blue",
    Outcome.ERROR: "magenta",
    Outcome.SKIPPED: "dim",
    Outcome.NOT_REACHED: "cyan",
}
_MESSAGE = 160  # characters of a finding's message shown


class ConsoleReporter:
    """Progress and summary for people; quiet mode prints only the summary.

    It handles the run's events (a line when the run starts, one per operation, one when the target
    goes down) and prints the summary of the result at the end.
    """

    def __init__(
        self, console: Console | None = None, *, quiet: bool = False, secrets: tuple[str, ...] = ()
    ) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.secrets = secrets

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(redact(text, self.secrets), markup=False, style=style)

    @property
    def plain(self) -> bool:
        """Not a terminal (a pipe, a CI log): plain lines instead of tables."""
        return not self.console.is_terminal

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            target = event.target
            where = f" (requests go to {target.api_base})" if target.api_base else ""
            self.say(
                f"openai-conformance: {len(event.operations)} operation(s) of {event.spec.title} against "
                f"{target.base_url}" + (" (embedded reference server)" if target.embedded else where)
            )
        elif isinstance(event, TargetDown):
            self.say(
                f"{event.violation.check} ({event.operation.operation_id}): {event.violation.message}", "red"
            )
        elif isinstance(event, OperationFinished):
            self.operation(event.result)

    def operation(self, result: OperationResult) -> None:
        if self.quiet:
            return
        style = _STYLE[result.outcome]
        extra = f" {len(result.findings)} violation kind(s)" if result.findings else ""
        if result.outcome is Outcome.ERROR and result.errors:
            extra += f": {result.errors[0]}"
        if result.outcome is Outcome.NOT_REACHED and result.note:
            extra += f": {result.note}"
        seen = _statuses(result)
        self.console.print(
            f"[{style}]{result.outcome.label:>11}[/{style}] {result.label} ({result.cases} cases{seen})",
            redact(extra, self.secrets),
            highlight=False,
            sep="",
        )

    # -- the summary ---------------------------------------------------------------------------------
    def summary(self, run: RunResult, report_dir: str | None = None) -> None:
        self._violations(run)
        self._untested(run)
        self._counts(run)
        for line in run.diagnosis:
            self.say(line, "magenta")
        known = f" ({run.known_violations} known to the baseline)" if run.known_violations else ""
        self.say(run.coverage_line + _unreached(run))
        failing = run.failing_violations + (run.failing_warnings if run.fails_on_warnings else 0)
        verdict = {
            0: f"[green]conformant: no {'new ' if known else ''}violations{known}[/green]",
            1: f"[red]{failing} {'new ' if known else ''}violation kind(s) found{known}[/red]",
        }.get(run.exit_code) or _untested_verdict(run)
        self.console.print(
            f"{verdict} — {sum(op.cases for op in run.operations)} cases in {run.duration:.1f} s"
        )
        self._spec_findings(run.spec_findings)
        if run.interrupted:
            self.say(f"stopped early: {run.interrupted}")
        if report_dir:
            self.say(f"reports: {report_dir}/report.html, report.json, junit.xml, summary.md")

    def _violations(self, run: RunResult) -> None:
        failing = [op for op in run.operations if op.findings]
        if not failing:
            return
        if self.plain:
            self.say("Violations:")
            for op in failing:
                self.say(f"  {op.label} ({op.operation_id})")
                for finding in op.violations:
                    self.say(f"    {_line(finding, self.secrets)}")
            return
        table = Table(title="Violations", show_lines=False, expand=False)
        table.add_column("Operation", no_wrap=True)
        table.add_column("Check", no_wrap=True)
        table.add_column("Pointer", overflow="fold")
        table.add_column("Status", no_wrap=True, justify="right")
        table.add_column("Message")
        for op in failing:
            for finding in op.violations:
                table.add_row(
                    op.label,
                    finding.check,
                    finding.pointer or "/",
                    f"{finding.status or '-'} ×{finding.occurrences}",
                    _message(finding, self.secrets),
                )
        self.console.print(table)

    def _untested(self, run: RunResult) -> None:
        """Every reason something could not be tested, once, with the operations it concerns."""
        reasons: dict[str, list[str]] = defaultdict(list)
        for op in run.operations:
            for reason in dict.fromkeys(_reason(error) for error in op.errors):
                reasons[reason].append(op.operation_id)
        if not reasons:
            return
        self.say("Could not test:")
        for reason, operations in reasons.items():
            shown = ", ".join(operations[:3]) + (
                f" and {len(operations) - 3} more" if len(operations) > 3 else ""
            )
            self.say(f"  {reason} ({len(operations)} operation(s): {shown})")

    def _counts(self, run: RunResult) -> None:
        counts = run.counts()
        if self.plain:
            self.say("Operations: " + ", ".join(f"{o.label} {counts.get(o.value, 0)}" for o in Outcome))
            return
        table = Table(title="Conformance summary")
        for outcome in Outcome:
            table.add_column(outcome.label, justify="right", style=_STYLE[outcome])
        table.add_row(*(str(counts.get(o.value, 0)) for o in Outcome))
        self.console.print(table)

    def _spec_findings(self, findings: list[dict[str, Any]]) -> None:
        """The spec's own problems, once each: those the overlays corrected said to be corrected."""
        if not findings:
            return
        corrected = [f for f in findings if f.get("corrected")]
        remaining = [f for f in findings if not f.get("corrected")]
        self.say(
            f"spec findings (problems of the spec itself): {len(remaining)} open, "
            f"{len(corrected)} corrected by an overlay"
        )
        if self.quiet:
            return
        for finding in [*remaining, *corrected]:
            state = "corrected" if finding.get("corrected") else "open"
            places = int(finding.get("places") or 1)
            where = str(finding.get("location") or "/") + (f" ({places} places)" if places > 1 else "")
            self.say(f"  {state:<9} {where}: {str(finding.get('message', ''))[:_MESSAGE]}")


_SOURCE = re.compile(r"^(?:could not test|the rest was not sent|[a-z_]+(?:\.[A-Za-z_]+)+): ")


def _statuses(result: OperationResult) -> str:
    """The statuses seen, ", 200×4 404×1", with "no 2xx judged" where none was."""
    if not result.statuses:
        return ""
    seen = " ".join(f"{status}×{count}" for status, count in sorted(result.statuses.items()))
    return f"; {seen}" + ("" if result.reached else ", no 2xx judged")


def _unreached(run: RunResult) -> str:
    count = sum(op.outcome is Outcome.NOT_REACHED for op in run.operations)
    return f" ({count} not reached: see their notes)" if count else ""


def _reason(error: str) -> str:
    """A could-not-test reason without what sent the request (a scenario's id) or what it cost."""
    return _SOURCE.sub("", error, count=1)


def _message(finding: Finding, secrets: tuple[str, ...]) -> str:
    text = redact(finding.message, secrets)[:_MESSAGE]
    if finding.request != VALID:
        text += f" [{finding.request}]"
    return text


def _line(finding: Finding, secrets: tuple[str, ...]) -> str:
    status = (
        f"{finding.status} ×{finding.occurrences}" if finding.status else f"no answer ×{finding.occurrences}"
    )
    return f"{finding.severity:<7} {finding.check} at {finding.pointer or '/'} ({status}): {_message(finding, secrets)}"


def _untested_verdict(run: RunResult) -> str:
    """The headline of a run that did not test everything (exit status 2)."""
    if run.fatal:
        return f"[magenta]the target could not be tested: {_escape(run.fatal)}[/magenta]"
    if run.interrupted:
        return "[magenta]incomplete: stopped early, no violation in what was tested[/magenta]"
    errors = sum(op.outcome is Outcome.ERROR for op in run.operations)
    return f"[magenta]{errors} operation(s) could not be tested, no violation in the others[/magenta]"


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
