"""The console in a pipe or CI: plain lines never wrapped mid-word, each could-not-test reason once,
spec findings once each with those an overlay corrected said to be corrected."""

from __future__ import annotations

import io

from rich.console import Console

from openai_conformance.reporting.console import ConsoleReporter
from openai_conformance.results.info import Settings, SpecInfo, Target
from openai_conformance.results.models import OperationResult, Outcome, RunResult
from openai_conformance.validation.violations import Violation

LONG = "the answer carries a field the schema does not declare, and its value is far longer than a line " * 2


def _run() -> RunResult:
    failed = OperationResult("createChatCompletion", "post", "/chat/completions")
    failed.statuses[200] = 1
    failed.add(
        Violation("schema.body", LONG.strip(), "/choices/0/message/some_rather_long_field_name"),
        status=200,
        curl="curl",
        request_size=1,
    )
    failed.conclude()
    down = [OperationResult(f"op{i}", "get", f"/op{i}") for i in range(3)]
    for op in down:
        op.outcome = Outcome.ERROR
        op.add_error("could not test: the target stopped answering after POST http://h/v1/chat/completions")
    return RunResult(
        target=Target(base_url="http://h"),
        spec=SpecInfo(title="OpenAI API"),
        settings=Settings(),
        operations=[failed, *down],
        spec_findings=[
            {
                "message": "Path parameter 'user_id' was not resolved",
                "location": "",
                "places": 1,
                "corrected": True,
            },
            {
                "message": "[...] has non-unique elements",
                "location": "/properties/model",
                "places": 3,
                "corrected": False,
            },
        ],
        diagnosis=["the target went down after POST http://h/v1/chat/completions (createChatCompletion)"],
    )


def _printed(run: RunResult, *, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=terminal, highlight=False, soft_wrap=not terminal)
    ConsoleReporter(console).summary(run)
    return out.getvalue()


def test_not_a_terminal_gives_plain_lines_that_are_never_wrapped() -> None:
    printed = _printed(_run(), terminal=False)
    lines = printed.splitlines()
    (line,) = [line for line in lines if "schema.body" in line]
    assert "/choices/0/message/some_rather_long_field_name" in line and len(line) > 80
    assert "┃" not in printed and "│" not in printed  # no table


def test_each_reason_once_and_the_headline_says_what_happened() -> None:
    printed = _printed(_run(), terminal=False)
    assert printed.count("the target stopped answering after POST") == 1
    assert "(3 operation(s): op0, op1, op2)" in printed
    assert printed.count("the target went down after POST") == 1


def test_spec_findings_are_listed_once_corrected_ones_as_such() -> None:
    printed = _printed(_run(), terminal=False)
    assert "spec findings (problems of the spec itself): 1 open, 1 corrected by an overlay" in printed
    assert "  corrected /: Path parameter 'user_id' was not resolved" in printed
    assert "  open      /properties/model (3 places): [...] has non-unique elements" in printed


def test_a_terminal_gets_tables_whose_words_are_whole() -> None:
    printed = _printed(_run(), terminal=True)
    assert "Violations" in printed and "schema.body" in printed  # the check id is never cut
