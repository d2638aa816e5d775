"""report.html without a browser: self-contained, escaped, redacted, readable from older reports too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from openai_conformance.cli import main
from openai_conformance.reporting.document import report_document
from openai_conformance.reporting.files import write_reports
from openai_conformance.reporting.html import render_report, verdict_of
from openai_conformance.results.baseline import Baseline, BaselineEntry, apply_baseline
from openai_conformance.results.models import Outcome
from openai_conformance.validation.violations import Violation
from tests.reporting.factories import NO_DONE, WRONG_N, operation, run

DATA = Path(__file__).resolve().parents[1] / "data"
SECRET = "sk-html-secret-0123456789"

#: Anything a page could fetch: src/href/action to another origin, CSS imports and url(), protocol-relative links.
_FETCHES = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(""", re.I)


def _page(*ops: object) -> str:
    return render_report(report_document(run(*ops)))  # type: ignore[arg-type]


def test_the_page_fetches_nothing() -> None:
    page = _page(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N))
    assert not _FETCHES.findall(page)
    assert "<style>" in page and "<script>" in page and "<link" not in page


def test_what_the_server_said_is_escaped() -> None:
    hostile = Violation("schema.body", '<script>alert("x")</script> & <img src=//evil.invalid/x>', "/object")
    page = _page(operation("createChatCompletion", "/chat/completions", hostile))
    assert "<script>alert" not in page and "<img src=//evil" not in page
    assert "&lt;script&gt;alert" in page and "&lt;img src=//evil.invalid/x&gt;" in page


def test_secrets_are_redacted_in_the_page(tmp_path: Path) -> None:
    leaky = Violation("schema.body", f"echoed {SECRET}", "/object")
    write_reports(run(operation("createChatCompletion", "/chat/completions", leaky)), tmp_path, [SECRET])
    page = (tmp_path / "report.html").read_text()
    assert SECRET not in page and "&lt;redacted&gt;" in page


@pytest.mark.parametrize("name", ["report-1.0.json", "report-1.1.json", "report-1.2.json"])
def test_older_reports_render(name: str, tmp_path: Path) -> None:
    document = json.loads((DATA / name).read_text())
    page = render_report(document)
    for violation in (v for op in document["operations"] for v in op["violations"]):
        assert violation["check"] in page
    assert verdict_of(document).kind == "fail"
    target = tmp_path / "page.html"
    assert main(["report", "html", str(DATA / name), "--output", str(target)]) == 0
    assert target.read_text() == page


def test_the_verdicts() -> None:
    clean = report_document(run(operation("listModels", "/models", method="get")))
    assert verdict_of(clean).kind == "pass" and verdict_of(clean).title == "Conformant"
    failing = run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N))
    assert verdict_of(report_document(failing)).title == "2 violation kinds"
    known = run(operation("createChatCompletion", "/chat/completions", NO_DONE))
    finding = known.operations[0].violations[0]
    baseline = Baseline(
        Path("known.json"), [BaselineEntry("createChatCompletion", "stream.done", finding.signature)]
    )
    apply_baseline(known, baseline)
    assert verdict_of(report_document(known)).kind == "known"
    page = render_report(report_document(known))
    assert 'id="baseline"' in page and "b-known" in page
    untested = run(
        operation("listModels", "/models", method="get"),
        operation("createFile", "/files", outcome=Outcome.ERROR),
    )
    untested.operations[1].errors.append("connection refused")
    verdict = verdict_of(report_document(untested))
    assert verdict.kind == "incomplete" and "connection refused" in verdict.notes[0]
    fatal = run()
    fatal.fatal = "the target could not be reached: connection refused"
    assert verdict_of(report_document(fatal)).kind == "error"
