"""The report writers: valid JUnit XML, a versioned JSON document, readable Markdown, no secrets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from openai_conformance.reporting.files import to_junit, write_reports
from openai_conformance.results.info import Settings, SpecInfo, Target
from openai_conformance.results.models import REPORT_FORMAT, OperationResult, Outcome, RunResult
from openai_conformance.transport.curl import to_curl
from openai_conformance.transport.exchange import Request
from openai_conformance.validation.violations import Violation

SECRET = "sk-very-secret-key-123"


def _run() -> RunResult:
    failed = OperationResult("listModels", "get", "/models", ("Models",))
    failed.cases = 3
    failed.statuses[200] = 3
    request = Request(
        "GET",
        "http://127.0.0.1:1/v1/models",
        "/models",
        "/models",
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    curl = to_curl(request, [SECRET])
    failed.add(
        Violation("schema.body", f"bad \x01 value with {SECRET}", "/object", keyword="enum"),
        status=200,
        curl=curl,
        request_size=10,
    )
    failed.add(
        Violation("schema.body", "bad value", "/object", keyword="enum"),
        status=200,
        curl=curl + " -d big",
        request_size=99,
    )
    failed.conclude()
    passed = OperationResult("retrieveModel", "get", "/models/{model}")
    passed.cases = 2
    passed.statuses[200] = 2
    passed.conclude()
    unsupported = OperationResult("createFile", "post", "/files")
    unsupported.outcome, unsupported.note = Outcome.UNSUPPORTED, "404 everywhere"
    return RunResult(
        target=Target(base_url="http://127.0.0.1:1"),
        spec=SpecInfo(title="OpenAI API 2.3.0", openapi="3.0.0", sha256="ab" * 32, pin="6b8287f"),
        settings=Settings(options={"seed": 0, "max_examples": 3, "mode": "positive"}),
        spec_findings=[{"message": "Path parameter 'user_id' was not resolved", "location": ""}],
        operations=[failed, passed, unsupported],
    )


def test_one_finding_per_kind_with_the_smallest_request() -> None:
    op = _run().operations[0]
    assert len(op.findings) == 1
    finding = op.violations[0]
    assert finding.occurrences == 2 and not finding.curl.endswith("-d big")


def test_reports_are_written_and_carry_no_secret(tmp_path: Path) -> None:
    paths = write_reports(_run(), tmp_path, [SECRET])
    assert sorted(p.name for p in paths) == ["junit.xml", "report.html", "report.json", "summary.md"]
    for path in paths:
        assert SECRET not in path.read_text()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["format"] == REPORT_FORMAT and report["exit_code"] == 1
    assert report["summary"]["failed"] == 1 and report["summary"]["unsupported"] == 1
    violation = report["operations"][0]["violations"][0]
    assert violation["check"] == "schema.body" and violation["pointer"] == "/object"
    assert "$OPENAI_API_KEY" in violation["curl"]
    summary = (tmp_path / "summary.md").read_text()
    assert "## Spec findings" in summary and "schema.body" in summary


def test_junit_is_well_formed_with_a_case_per_operation() -> None:
    root = ET.fromstring(to_junit(_run()))
    cases = root.findall("testcase")
    assert len(cases) == 3
    assert root.get("failures") == "1" and root.get("skipped") == "1"
    assert cases[0].find("failure") is not None and cases[2].find("skipped") is not None
    assert cases[1].find("failure") is None


def test_exit_codes() -> None:
    run = _run()
    assert run.exit_code == 1
    run.operations = run.operations[1:]
    assert run.exit_code == 0
    run.interrupted = "Ctrl-C"
    assert run.exit_code == 2  # not everything was tested
    run.interrupted = None
    broken = OperationResult("createFile", "post", "/files")
    broken.add_error("no answer within 30 s")
    broken.conclude()
    run.operations.append(broken)
    assert broken.outcome is Outcome.ERROR and run.exit_code == 2
    run.fatal = "unreachable"
    assert run.exit_code == 2


def test_curl_redacts_credentials_everywhere() -> None:
    request = Request(
        "POST",
        "http://h/v1/chat/completions",
        "/chat/completions",
        "/chat/completions",
        headers={
            "Authorization": f"Bearer {SECRET}",
            "X-Api-Key": "other-secret",
            "Content-Type": "application/json",
        },
        content=json.dumps({"messages": [{"role": "user", "content": SECRET}]}).encode(),
    )
    curl = to_curl(request, [SECRET])
    assert SECRET not in curl and "other-secret" not in curl
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in curl and "Content-Type: application/json" in curl


def test_curl_for_a_stream_does_not_buffer() -> None:
    body = {"model": "m", "messages": [], "stream": True}
    request = Request(
        "POST", "http://h/v1/chat/completions", "/chat/completions", "/chat/completions",
        content=json.dumps(body).encode(), json_body=body,
    )  # fmt: skip
    assert to_curl(request).startswith("curl -sS -N -X POST")
    plain = Request("GET", "http://h/v1/models", "/models", "/models")
    assert " -N " not in to_curl(plain)


def test_the_console_headline_says_why_not_everything_was_tested() -> None:
    import io

    from rich.console import Console

    from openai_conformance.reporting.console import ConsoleReporter

    def headline(run: RunResult) -> str:
        out = io.StringIO()
        ConsoleReporter(Console(file=out, width=200, color_system=None), quiet=True).summary(run, "reports")
        return next(line for line in out.getvalue().splitlines() if " cases in " in line)

    run = _run()
    run.operations = run.operations[1:]
    assert headline(run).startswith("conformant: no violations")
    run.interrupted = "interrupted by the user (Ctrl-C)"
    assert headline(run).startswith("incomplete: stopped early, no violation in what was tested")
    run.interrupted = None
    broken = OperationResult("createFile", "post", "/files")
    broken.add_error("no answer within 30 s")
    broken.conclude()
    run.operations.append(broken)
    assert headline(run).startswith("1 operation(s) could not be tested, no violation in the others")
    run.fatal = "unreachable"
    assert headline(run).startswith("the target could not be tested")
